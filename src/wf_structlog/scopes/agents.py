"""Decorators for agents and tools: each call of an agent is an interaction, of a tool an action.

::

    @wf_structlog.agent("planner")
    def plan(task: str) -> str: ...          # interaction: input {"task": ...}, output the plan

    @wf_structlog.action("search")
    async def search(query: str) -> list[str]: ...   # one "search" event per call

Both work on functions, coroutine functions, generator and async generator functions. The
arguments and results are fields of events, so they pass through ``safe_values`` and redaction
like any other value.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from .. import schema
from .._runtime.decorate import Span, decorate
from .._runtime.hooks import Work, ending, tell
from .._runtime.logger import get_logger
from .._runtime.scope import status_of
from .._runtime.state import STATE
from .hierarchy import InteractionScope

__all__ = ["action", "agent"]

P = ParamSpec("P")
R = TypeVar("R")

_SKIPPED = frozenset({"self", "cls"})


def _binder(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    """Turns a call's arguments into ``{parameter: value}``, defaults included (``self`` and
    ``cls`` left out)."""
    signature = inspect.signature(fn)

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:  # the call itself will fail and say why; keep what was passed
            return {"args": list(args), "kwargs": kwargs}
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if k not in _SKIPPED}

    return arguments


def _set_output(span: InteractionScope | _ActionCall, result: Any) -> None:
    span.output = result


def _decorator(make: Callable[[Any], Span]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator running each call in the span *make* builds from the call's arguments,
    with the call's result as the span's output."""

    def decorator(fn: Callable[P, R]) -> Callable[P, R]:
        arguments = _binder(fn)
        return decorate(fn, lambda args, kwargs: make(arguments(args, kwargs)), _set_output)

    return decorator


def agent(name: str, /, **metadata: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make each call of the decorated function one interaction of agent *name*.

    The interaction's ``input`` is the call's arguments, as ``{parameter: value}``; its
    ``output`` the return value. For a generator it is the list of items yielded, or
    ``{"yielded": n}`` past 100 items. An exception ends the interaction ``"error"`` with
    the exception recorded.

    Args:
        name: the agent's name.
        **metadata: recorded on every interaction's start event.
    """

    return _decorator(lambda input: InteractionScope(name, input, metadata))


class _ActionCall:
    """One call of an action: timed from ``start`` and logged as one event at its end."""

    def __init__(self, name: str, input: Any, fields: dict[str, Any]) -> None:
        self.name = name
        self.input = input
        self.fields = fields
        self.output: Any = None
        self._t0 = 0.0
        self._work: Work | None = None

    def start(self) -> Self:
        self._t0 = time.perf_counter()
        if STATE.listeners:
            self._work = Work("tool", self.name, {})
            tell("work_started", self._work)
        return self

    def _finish(self, status: str | None, exc: BaseException | None) -> None:
        final = status or status_of(exc) or schema.STATUS_OK
        fields = {**self.fields, "input": self.input, "status": final}
        if exc is None:
            fields["output"] = self.output
        fields["duration_ms"] = round((time.perf_counter() - self._t0) * 1000, 3)
        with ending(self._work):
            if final == schema.STATUS_ERROR:
                get_logger().error(self.name, exc_info=exc, **fields)
            else:
                get_logger().info(self.name, **fields)
        if self._work is not None:
            tell("work_ended", self._work, exc)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish(None, e)

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._finish(None, e)


def action(name: str, /, **fields: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Log each call of the decorated function as one action event named *name*.

    The event, logged when the call ends in the scope the call was made in, carries ``input``
    (the arguments, as ``{parameter: value}``), ``output`` (the return value; for a generator
    the items yielded, or ``{"yielded": n}`` past 100), ``status`` and ``duration_ms``. A call
    that raises logs the event at ``error`` level with the ``exception`` and no ``output``; a
    generator its consumer stops early has status ``"abandoned"``.

    Args:
        name: the event's name (``"search"``, ``"fetch"``, ...).
        **fields: more fields logged on every event (``tool="web"``).
    """

    return _decorator(lambda input: _ActionCall(name, input, fields))
