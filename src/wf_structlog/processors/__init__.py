"""Event shaping: the processors of our chain, plain structlog callables.

A processor is ``(logger, method_name, event_dict) -> event_dict``. Stamping adds the scope
ids, time, level and sequence (:mod:`.stamping`); redaction removes secrets
(:mod:`.redaction`); payload limits and safe values make any value fit a line
(:mod:`.payloads`).
"""

from __future__ import annotations

from .stamping import (
    RedactThenStamp,
    add_log_level,
    add_sequence,
    add_timestamp,
    format_exceptions,
    format_exceptions_with_locals,
    merge_contextvars,
    safe_values,
    stamp_event,
    stamp_hierarchy,
    utc_now,
)

__all__ = [
    "RedactThenStamp",
    "add_log_level",
    "add_sequence",
    "add_timestamp",
    "format_exceptions",
    "format_exceptions_with_locals",
    "merge_contextvars",
    "safe_values",
    "stamp_event",
    "stamp_hierarchy",
    "utc_now",
]
