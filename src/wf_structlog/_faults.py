"""Report problems inside logging once on stderr, never to the user's program."""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()
_reported: dict[str, int] = {}


def report(key: str, message: str) -> None:
    """Say *message* on stderr the first time *key* goes wrong; count later occurrences silently."""
    with _lock:
        seen = _reported.get(key, 0)
        _reported[key] = seen + 1
    if seen:
        return
    try:
        sys.stderr.write(f"wf_structlog: {message} (reported once; logging goes on)\n")
        sys.stderr.flush()
    except Exception:
        pass


def counts() -> dict[str, int]:
    """How often each reported problem has happened in this process."""
    with _lock:
        return dict(_reported)


def forget() -> None:
    """Clear the record, so each problem is reported again (used when reconfiguring)."""
    with _lock:
        _reported.clear()
