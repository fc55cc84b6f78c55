"""Report problems inside logging once on stderr, never to the user's program."""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_reported: set[str] = set()


def report(key: str, message: str) -> None:
    """Say *message* on stderr the first time *key* goes wrong; stay quiet after that."""
    with _lock:
        if key in _reported:
            return
        _reported.add(key)
    try:
        sys.stderr.write(f"wf_structlog: {message} (reported once; logging goes on)\n")
        sys.stderr.flush()
    except Exception:
        pass


def _renew_lock() -> None:
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_renew_lock)


def forget() -> None:
    """Clear the record, so each problem is reported again (used when reconfiguring)."""
    with _lock:
        _reported.clear()
