"""Scopes as decorators, for every kind of function an agent step can be.

A plain or ``async`` function runs inside a new scope (or an action's call, see ``agents``) per
call. A generator or async generator runs each step inside its scope's own context, so that
between two ``yield``\\ s the consumer does not see the generator's scope as its own. A
generator the consumer stops iterating early (``close()``, ``break`` from an ``async for``, or
garbage collection) ends its scope with status ``"abandoned"``.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, ParamSpec, Protocol, Self, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Span(Protocol):
    """What a decorated call runs in: a :class:`~wf_structlog.Scope`, or an action's call."""

    def start(self) -> Self: ...

    def _finish(self, status: str | None, exc: BaseException | None) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


Opener = Callable[[tuple[Any, ...], dict[str, Any]], Span]
"""Makes the span of one call from the call's arguments."""
Recorder = Callable[[Any, Any], None]
"""Records a call's result on its span (a generator's: :class:`Yielded`'s summary)."""


def decorate(
    fn: Callable[P, R], open_scope: Opener, record: Recorder | None = None
) -> Callable[P, R]:
    """*fn*, with each call (or each generator it returns) inside the span *open_scope* makes.

    Args:
        fn: the function to decorate.
        open_scope: makes each call's span (an unstarted scope) from its arguments.
        record: called with each call's span and result before the span ends.
    """
    if inspect.isasyncgenfunction(fn):
        return _async_generator(open_scope, fn, record)  # type: ignore[return-value]
    if inspect.isgeneratorfunction(fn):
        return _generator(open_scope, fn, record)  # type: ignore[return-value]
    if inspect.iscoroutinefunction(fn):
        return _coroutine(open_scope, fn, record)  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with open_scope(args, kwargs) as fresh:
            result = fn(*args, **kwargs)
            if record is not None:
                record(fresh, result)
            return result

    return wrapper


def _coroutine(
    open_scope: Opener, fn: Callable[P, Awaitable[R]], record: Recorder | None
) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        async with open_scope(args, kwargs) as fresh:
            result = await fn(*args, **kwargs)
            if record is not None:
                record(fresh, result)
            return result

    return wrapper


class Yielded:
    """What a generator yielded: the items while there are few, else only their number."""

    LIMIT = 100
    """More items than this are summarised as ``{"yielded": count}``."""

    def __init__(self) -> None:
        self.count = 0
        self.items: list[Any] = []

    def add(self, item: Any) -> None:
        """Count *item*, and keep it while under :attr:`LIMIT`."""
        self.count += 1
        if self.count <= self.LIMIT:
            self.items.append(item)
        else:
            self.items.clear()

    def summary(self) -> list[Any] | dict[str, int]:
        """The items, or ``{"yielded": count}`` when there were more than :attr:`LIMIT`."""
        return self.items if self.count <= self.LIMIT else {"yielded": self.count}


def _in_context(
    steps: Generator[Any, Any, R], ctx: contextvars.Context, seen: Yielded | None = None
) -> Generator[Any, Any, R]:
    """``yield from steps``, with every step of *steps* run in *ctx* (items counted in *seen*)."""
    step: Callable[[Any], Any] = steps.send
    arg: Any = None
    while True:
        try:
            item = ctx.run(step, arg)
        except StopIteration as stop:
            result: R = stop.value
            return result
        if seen is not None:
            seen.add(item)
        try:
            arg = yield item
            step = steps.send
        except GeneratorExit:
            ctx.run(steps.close)
            raise
        except BaseException as exc:
            step, arg = steps.throw, exc


class _Awaiting:
    """An awaitable that awaits *awaitable* with each of its steps run in *ctx*."""

    __slots__ = ("_awaitable", "_ctx")

    def __init__(self, awaitable: Awaitable[R], ctx: contextvars.Context) -> None:
        self._awaitable = awaitable
        self._ctx = ctx

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield from _in_context(self._awaitable.__await__(), self._ctx))


def _generator(
    open_scope: Opener, fn: Callable[P, Generator[Any, Any, R]], record: Recorder | None
) -> Callable[P, Generator[Any, Any, R]]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, R]:
        ctx = contextvars.copy_context()
        fresh = ctx.run(open_scope(args, kwargs).start)
        seen = None if record is None else Yielded()
        try:
            result = yield from _in_context(ctx.run(fn, *args, **kwargs), ctx, seen)
        except BaseException as exc:
            _finish(fresh, ctx, exc, record, seen)
            raise
        _finish(fresh, ctx, None, record, seen)
        return result

    return wrapper


def _finish(
    fresh: Span,
    ctx: contextvars.Context,
    exc: BaseException | None,
    record: Recorder | None,
    seen: Yielded | None,
) -> None:
    """End a generator's scope in its context, after recording what it yielded."""
    if record is not None and seen is not None:
        record(fresh, seen.summary())
    ctx.run(fresh._finish, None, exc)


def _async_generator(
    open_scope: Opener, fn: Callable[P, AsyncGenerator[Any, Any]], record: Recorder | None
) -> Callable[P, AsyncGenerator[Any, Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        ctx = contextvars.copy_context()
        fresh = ctx.run(open_scope(args, kwargs).start)
        seen = None if record is None else Yielded()
        steps = ctx.run(fn, *args, **kwargs)
        step: Callable[[Any], Awaitable[Any]] = steps.asend
        arg: Any = None
        try:
            while True:
                try:
                    item = await _Awaiting(step(arg), ctx)
                except StopAsyncIteration:
                    break
                if seen is not None:
                    seen.add(item)
                try:
                    arg = yield item
                    step = steps.asend
                except GeneratorExit:
                    await _Awaiting(steps.aclose(), ctx)
                    raise
                except BaseException as exc:
                    step, arg = steps.athrow, exc
        except BaseException as exc:
            _finish(fresh, ctx, exc, record, seen)
            raise
        _finish(fresh, ctx, None, record, seen)

    return wrapper
