"""Threads that log into the scope of the code that started them.

A thread starts with an empty context, so by default its events would belong to no scope.
Two ways to carry the scope over:

* explicitly: :class:`ContextThreadPoolExecutor` (a drop-in ``ThreadPoolExecutor``) or
  :func:`wf_structlog.wrap` around any function handed to a thread;
* automatically (``configure(threads="auto")``, the default of every preset but ``off``): the
  standard ``ThreadPoolExecutor.submit`` (hence ``map`` and ``loop.run_in_executor``) and
  ``threading.Thread.start`` carry the context of their caller. :func:`install` and
  :func:`uninstall` patch and restore exactly those two methods.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, Final

from .propagation import wrap

__all__ = ["ContextThreadPoolExecutor", "install", "installed", "uninstall"]

_ORIGINAL_SUBMIT: Final = concurrent.futures.ThreadPoolExecutor.submit
_ORIGINAL_START: Final = threading.Thread.start


class ContextThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in the context of the code that submitted them.

    Each task sees the submitter's scopes and ``bind_contextvars`` values; a scope a task opens
    is a child of the submitter's scope.
    """

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[Any]:
        """Schedule ``fn(*args, **kwargs)`` in the caller's context."""
        return _ORIGINAL_SUBMIT(self, wrap(fn), *args, **kwargs)


_submit_in_context = ContextThreadPoolExecutor.submit


def _start_in_context(self: threading.Thread) -> None:
    # An instance attribute shadows the class's run(), so subclasses that override run() are
    # covered too; the thread's own bootstrap then calls it.
    self.run = wrap(self.run)  # type: ignore[method-assign]
    _ORIGINAL_START(self)


def install() -> None:
    """Make the standard thread pool and ``threading.Thread`` carry the caller's context."""
    concurrent.futures.ThreadPoolExecutor.submit = _submit_in_context  # type: ignore[method-assign,assignment]
    threading.Thread.start = _start_in_context  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore the standard methods; threads already started keep their context."""
    concurrent.futures.ThreadPoolExecutor.submit = _ORIGINAL_SUBMIT  # type: ignore[method-assign]
    threading.Thread.start = _ORIGINAL_START  # type: ignore[method-assign]


def installed() -> bool:
    """Whether the automatic mode is on."""
    return threading.Thread.start is _start_in_context
