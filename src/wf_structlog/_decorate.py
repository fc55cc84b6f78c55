"""Scopes as decorators, for every kind of function an agent step can be.

A plain or ``async`` function runs inside a new scope per call. A generator or async generator
runs each step inside its scope's own context, so that between two ``yield``\\ s the consumer
does not see the generator's scope as its own. A generator the consumer stops iterating early
(``close()``, ``break`` from an ``async for``, or garbage collection) ends its scope with status
``"abandoned"``.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from ._scope import Scope

P = ParamSpec("P")
R = TypeVar("R")


def decorate(scope: Scope, fn: Callable[P, R]) -> Callable[P, R]:
    """*fn*, with each call (or each generator it returns) inside a fresh copy of *scope*."""
    if inspect.isasyncgenfunction(fn):
        return _async_generator(scope, fn)  # type: ignore[return-value]
    if inspect.isgeneratorfunction(fn):
        return _generator(scope, fn)  # type: ignore[return-value]
    if inspect.iscoroutinefunction(fn):
        return _coroutine(scope, fn)  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with scope._fresh():
            return fn(*args, **kwargs)

    return wrapper


def _coroutine(scope: Scope, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        async with scope._fresh():
            return await fn(*args, **kwargs)

    return wrapper


def _in_context(steps: Generator[Any, Any, R], ctx: contextvars.Context) -> Generator[Any, Any, R]:
    """``yield from steps``, with every step of *steps* run in *ctx*."""
    step: Callable[[Any], Any] = steps.send
    arg: Any = None
    while True:
        try:
            item = ctx.run(step, arg)
        except StopIteration as stop:
            result: R = stop.value
            return result
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
    scope: Scope, fn: Callable[P, Generator[Any, Any, R]]
) -> Callable[P, Generator[Any, Any, R]]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, R]:
        ctx = contextvars.copy_context()
        fresh = ctx.run(scope._fresh().start)
        try:
            result = yield from _in_context(ctx.run(fn, *args, **kwargs), ctx)
        except BaseException as exc:
            ctx.run(fresh._finish, None, exc)
            raise
        ctx.run(fresh._finish, None, None)
        return result

    return wrapper


def _async_generator(
    scope: Scope, fn: Callable[P, AsyncGenerator[Any, Any]]
) -> Callable[P, AsyncGenerator[Any, Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        ctx = contextvars.copy_context()
        fresh = ctx.run(scope._fresh().start)
        steps = ctx.run(fn, *args, **kwargs)
        step: Callable[[Any], Awaitable[Any]] = steps.asend
        arg: Any = None
        try:
            while True:
                try:
                    item = await _Awaiting(step(arg), ctx)
                except StopAsyncIteration:
                    break
                try:
                    arg = yield item
                    step = steps.asend
                except GeneratorExit:
                    await _Awaiting(steps.aclose(), ctx)
                    raise
                except BaseException as exc:
                    step, arg = steps.athrow, exc
        except BaseException as exc:
            ctx.run(fresh._finish, None, exc)
            raise
        ctx.run(fresh._finish, None, None)

    return wrapper
