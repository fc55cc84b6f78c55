"""An exception as event data: its type, message, traceback and id, never raising itself."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, TypeVar

from .ids import new_span_id

_WRAPPER_FILES: Final = tuple(
    os.path.join("wf_structlog", *path)
    for path in (("_runtime", "decorate.py"), ("scopes", "agents.py"))
)
"""Our decorators' modules: their frames sit in every traceback of a decorated function."""

_ID: Final = "_wf_structlog_id"
"""The attribute holding an exception's ``id`` on the exception itself."""


def describe_exception(
    exc: BaseException, tb: TracebackType | None = None, *, with_locals: bool = False
) -> dict[str, Any]:
    """``{type, message, traceback, id}`` of *exc*; with *with_locals*, also ``locals``: for each
    frame, ``{"frame": "file:line in function", "variables": {name: value}}``.

    ``id`` is the same each time the same exception is described (an exception escaping
    three scopes ends each of them with it), so a reader can show its traceback once. The
    frames of our own decorators (``@agent``, ``@action``, a scope as a decorator) are left
    out of ``traceback`` and ``locals``, unless the exception was raised in one of them.

    An exception whose ``__str__`` raises is still described, by its type. Local variables
    are only values in the event: the redactor and the payload limits treat them like any.
    """
    name = type(exc).__qualname__
    tb = tb or exc.__traceback__
    try:
        message = str(exc)
    except Exception:
        message = f"<{name}: message could not be formatted>"
    described: dict[str, Any] = {
        "type": name,
        "message": message,
        "traceback": _format_traceback(exc, tb),
        "id": _exception_id(exc),
    }
    if with_locals:
        described["locals"] = [
            {
                "frame": f"{frame.f_code.co_filename}:{line} in {frame.f_code.co_name}",
                "variables": dict(frame.f_locals),
            }
            for frame, line in _without_wrappers(
                list(traceback.walk_tb(tb)), lambda step: step[0].f_code.co_filename
            )
        ]
    return described


def _exception_id(exc: BaseException) -> str:
    # Kept in the instance's __dict__, not set as an attribute: a frozen exception class
    # refuses setattr. Exceptions cannot be weakly referenced, and a table by id() would
    # mistake a new exception at a freed one's address for the old one.
    try:
        ident = exc.__dict__.get(_ID)
        if not isinstance(ident, str):
            ident = exc.__dict__[_ID] = new_span_id()
        return ident
    except Exception:
        return new_span_id()


T = TypeVar("T")


def _without_wrappers(frames: list[T], filename: Callable[[T], str]) -> list[T]:
    """*frames* without our decorators' frames, except the last (where it was raised)."""
    kept = [frame for frame in frames[:-1] if not filename(frame).endswith(_WRAPPER_FILES)]
    return [*kept, *frames[-1:]]


def _format_traceback(exc: BaseException, tb: TracebackType | None) -> str:
    try:
        described = traceback.TracebackException(type(exc), exc, tb, compact=True)
        _hide_wrappers_in(described)
        return "".join(described.format())
    except Exception:  # a broken exception (its notes, its cause): its frames and type
        return "".join([*traceback.format_tb(tb), f"{type(exc).__qualname__}\n"])


def _hide_wrappers_in(described: traceback.TracebackException) -> None:
    pending, seen = [described], set()
    while pending:  # the exception, its cause, its context, a group's members
        one = pending.pop()
        if id(one) in seen:
            continue
        seen.add(id(one))
        stack = _without_wrappers(list(one.stack), lambda frame: frame.filename)
        if len(stack) != len(one.stack):
            one.stack = traceback.StackSummary.from_list(stack)
        pending.extend(e for e in (one.__cause__, one.__context__) if e is not None)
        pending.extend(one.exceptions or ())


def hide_wrapper_frames(exc: BaseException, tb: TracebackType | None) -> TracebackType | None:
    """*tb*, and the tracebacks of *exc*'s causes and contexts, relinked without our
    decorators' frames (for Python's own print of an unhandled exception); never raises.

    The tracebacks are changed in place: call this only when nothing else will read them.
    """
    try:
        pending, seen = [(exc, tb)], set()
        while pending:
            one, steps = pending.pop()
            if id(one) in seen:
                continue
            seen.add(id(one))
            linked = _relink(steps)
            if one is exc:
                tb = linked
            else:
                one.__traceback__ = linked
            for other in (one.__cause__, one.__context__):
                if other is not None:
                    pending.append((other, other.__traceback__))
    except Exception:
        pass  # the frames shown are only cosmetics: never lose the traceback over them
    return tb


def _relink(tb: TracebackType | None) -> TracebackType | None:
    steps = []
    while tb is not None:
        steps.append(tb)
        tb = tb.tb_next
    kept = _without_wrappers(steps, lambda step: step.tb_frame.f_code.co_filename)
    for step, following in zip(kept, [*kept[1:], None], strict=True):
        step.tb_next = following
    return kept[0] if kept else None
