"""The end of a process: open scopes are closed with the right status, and the sinks flushed.

* At a normal exit (``atexit``), scopes this process opened and left open end ``"ok"``.
* For an unhandled exception (``sys.excepthook``), they end with that exception's status
  (``"error"``, or ``"interrupted"`` for ``KeyboardInterrupt``) before Python prints it.
* A ``multiprocessing`` child started by ``fork`` leaves through ``os._exit``, which skips
  ``atexit``; multiprocessing's own exit finalizers do the same work there.

Then every sink is flushed, so a non-blocking queue is written out before the process ends.
A process killed by a signal (SIGKILL) runs none of this: every event it logged before is in
the file, and the reducer marks its unfinished scopes ``"incomplete"``.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import sys
from types import TracebackType

from .exceptions import hide_wrapper_frames
from .pipeline import flush
from .scope import close_open_scopes
from .state import STATE, Stoppable

__all__ = ["install", "stop_at_exit"]


def stop_at_exit(owner: Stoppable) -> None:
    """Call ``owner.stop()`` at exit, after the sinks are flushed (a writer thread's owner
    stops it, so what other exit handlers log is written by whoever logs it)."""
    STATE.stoppers.add(owner)


def at_exit(exc: BaseException | None = None) -> None:
    """Close the scopes this process left open (with *exc*'s status), then flush the sinks
    (a non-blocking writer is stopped: later events are written by whoever logs them)."""
    try:
        close_open_scopes(exc)
    finally:
        flush(STATE.sinks)
        for owner in list(STATE.stoppers):
            owner.stop()


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    try:
        at_exit(exc)
    finally:
        _previous_excepthook(exc_type, exc, hide_wrapper_frames(exc, tb))


_previous_excepthook = sys.excepthook


def _in_fork_child(_: object) -> None:
    multiprocessing.util.Finalize(None, at_exit, exitpriority=0)


def install() -> None:
    """Register the exit work once per process (on first configuration)."""
    global _previous_excepthook
    if STATE.exit_installed:
        return
    STATE.exit_installed = True
    atexit.register(at_exit)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    multiprocessing.util.register_after_fork(_Token, _in_fork_child)


class _Token:
    """A long-lived object for multiprocessing's after-fork registry (it keys by weakref)."""
