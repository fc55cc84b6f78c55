"""Work wf_structlog does on its own behalf: its threads, and what is logged while it works.

Our threads (the non-blocking writer, a bounded OTLP flush, the OpenTelemetry SDK's export
thread we make) start with an empty context, even when ``threads="auto"`` makes every other
thread carry its starter's scope: they never log into a scope of whoever happened to start
them. And while we work (:func:`at_work`), a ``logging`` record (the exporter's HTTP client's,
say) is ours, never one of the program's events: :mod:`wf_structlog.stdlib` leaves it alone,
so exporting spans can never log events that make more spans to export.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from typing import Final, TypeVar

__all__ = ["at_work", "in_our_context", "start_thread", "working"]

R = TypeVar("R")

_WORKING: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar(
    "wf_structlog_working", default=False
)


def working() -> bool:
    """Whether the code running now is wf_structlog's own work."""
    return _WORKING.get()


@contextlib.contextmanager
def at_work() -> Iterator[None]:
    """Mark the block as our own work (see :func:`working`)."""
    token = _WORKING.set(True)
    try:
        yield
    finally:
        _WORKING.reset(token)


def _our_context() -> contextvars.Context:
    context = contextvars.Context()  # empty: no scope, no bound variables
    context.run(_WORKING.set, True)
    return context


def in_our_context(fn: Callable[..., R], *args: object) -> R:
    """``fn(*args)`` in an empty context marked as our work: a thread *fn* starts (an SDK's
    worker) carries nothing of the caller's, whether or not threads are patched."""
    return _our_context().run(fn, *args)


def start_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start a daemon thread running *target* as our own work, with an empty context."""
    thread = threading.Thread(target=_our_context().run, args=(target,), name=name, daemon=True)
    contextvars.Context().run(thread.start)  # the thread patch, if on, copies this: nothing
    return thread
