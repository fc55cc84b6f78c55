"""W3C trace-context shaped identifiers: 32 hex digits for a run, 16 for a scope."""

from __future__ import annotations

import random

# random reseeds itself in a forked child, so ids stay unique across fork.
_bits = random.getrandbits


def new_run_id() -> str:
    """A non-zero 128-bit id as 32 lowercase hex digits (a W3C trace id)."""
    return f"{_bits(128) or 1:032x}"


def new_span_id() -> str:
    """A non-zero 64-bit id as 16 lowercase hex digits (a W3C span id)."""
    return f"{_bits(64) or 1:016x}"
