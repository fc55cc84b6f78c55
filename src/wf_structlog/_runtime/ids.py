"""W3C trace-context shaped identifiers: 32 hex digits for a run, 16 for a scope."""

from __future__ import annotations

import secrets

# The operating system's generator: a program that seeds `random` (as tests and simulations
# do) must not make two runs share an id, nor must a forked child repeat its parent's.
_bits = secrets.randbits


def new_run_id() -> str:
    """A non-zero 128-bit id as 32 lowercase hex digits (a W3C trace id)."""
    return f"{_bits(128) or 1:032x}"


def new_span_id() -> str:
    """A non-zero 64-bit id as 16 lowercase hex digits (a W3C span id)."""
    return f"{_bits(64) or 1:016x}"
