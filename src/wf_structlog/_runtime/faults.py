"""Report problems inside logging once on stderr, never to the user's program."""

from __future__ import annotations

import sys

from .state import STATE


def report(key: str, message: str) -> None:
    """Say *message* on stderr the first time *key* goes wrong; stay quiet after that."""
    with STATE.reported_lock:
        if key in STATE.reported:
            return
        STATE.reported.add(key)
    try:
        sys.stderr.write(f"wf_structlog: {message} (reported once; logging goes on)\n")
        sys.stderr.flush()
    except Exception:
        pass


def forget() -> None:
    """Clear the record, so each problem is reported again (used when reconfiguring)."""
    with STATE.reported_lock:
        STATE.reported.clear()
