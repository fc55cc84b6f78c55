"""Event shaping: the processors of our chain, plain structlog callables.

A processor is ``(logger, method_name, event_dict) -> event_dict``. Stamping adds the scope
ids, time, level and sequence (:mod:`.stamping`); redaction removes secrets
(:mod:`.redaction`); payload limits and safe values make any value fit a line
(:mod:`.payloads`).
"""

from __future__ import annotations

from . import stamping
from .stamping import *  # noqa: F403 (the package's public names are those of .stamping)

__all__ = stamping.__all__
