"""Helpers for asserting on what your agents logged.

::

    from wf_structlog.testing import capture

    def test_planner_logs_its_call():
        with capture() as logs:
            run_planner()
        assert [e["event"] for e in logs.events] == [...]
        assert logs.documents[0]["status"] == "ok"
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._runtime.state import CURRENT, STATE, ensure_configured
from .config import apply, current_settings, reset, resolve
from .config.apply import close_left_sinks
from .outputs.sinks import MemorySink
from .reading.reducer import reduce
from .scopes.hierarchy import close_implicit
from .typing import EventDict

__all__ = ["Capture", "capture", "events"]


class Capture:
    """Events kept by the test preset, and the documents they reduce to."""

    def __init__(self, sink: MemorySink) -> None:
        self._sink = sink

    @property
    def events(self) -> list[EventDict]:
        """Every event written since the capture began, after the whole chain (redacted)."""
        return self._sink.events

    @property
    def documents(self) -> list[dict[str, Any]]:
        """The workflow documents the captured events reduce to."""
        return reduce(self._sink.events)

    def clear(self) -> None:
        """Forget the events captured so far."""
        self._sink.events.clear()


@contextmanager
def capture(**overrides: Any) -> Iterator[Capture]:
    """Configure the ``test`` preset for the block, then restore what was configured before.

    Args:
        **overrides: as for :func:`wf_structlog.configure` (``level``, ``file``, ...).

    The environment (``WF_LOG_*``, ``WORKFLOW_LOGGING``, ``TRACEPARENT``) is ignored, so a
    test captures the same on every machine. Scopes are cleared inside the block, and implicit
    ones closed at both ends, so a test neither sees nor leaves behind another's scopes.
    """
    previous = current_settings() if STATE.configured else None
    close_implicit()
    token = CURRENT.set(None)
    root, STATE.root = STATE.root, None
    captured = resolve("test", {}, **overrides)
    apply(captured)
    assert isinstance(STATE.memory, MemorySink)
    try:
        yield Capture(STATE.memory)
    finally:
        close_implicit()
        CURRENT.reset(token)
        if previous is not None:
            apply(previous)  # the program's own sinks were lent, not closed
            close_left_sinks(captured, previous)
            STATE.root = root
        else:
            reset()


def events() -> list[EventDict]:
    """Events kept in memory by the configuration in force (the ``test`` preset keeps them)."""
    ensure_configured()
    return STATE.memory.events if isinstance(STATE.memory, MemorySink) else []
