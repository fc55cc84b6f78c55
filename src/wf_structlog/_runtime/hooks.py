"""Listeners told when a scope or a call starts and ends (how live tracing spans are made).

The runtime never imports an integration: the OpenTelemetry one registers a listener here
(:func:`add_listener`) and is then told of each scope (opened, entered in a context, closed)
and each unit of work that is not a scope: an instrumented LLM call, an ``@action`` call.
With no listener registered, each of these costs one test of an empty tuple.

A listener that raises is said once on stderr; the program and its logging go on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

from . import faults as _faults
from .state import STATE

if TYPE_CHECKING:
    from .scope import Scope

__all__ = ["ENDING", "Listener", "Work", "add_listener", "ending", "remove_listener"]


class Work:
    """A unit of work that is not a scope: an LLM call (``kind="llm"``) or a tool call
    (``kind="tool"``). Its event is logged when it ends, inside :func:`ending`."""

    __slots__ = ("attributes", "event", "kind", "live", "name", "scope")

    def __init__(
        self,
        kind: str,
        name: str,
        attributes: dict[str, Any],
        scope: Scope | None = None,
        event: str | None = None,
    ) -> None:
        self.kind = kind
        self.name = name
        """What the work is: the model called, the tool's name."""
        self.attributes = attributes
        """What is known when it starts (provider, operation, server...), not redacted: only
        names and numbers, never content."""
        self.scope = scope
        """The scope the work is done in, when it is not the current one (a framework's
        callback logs its runs under scopes named explicitly); ``None``: the current one."""
        self.event = event
        """The name of the event its end logs, if not the usual one (``llm_call`` for an LLM
        call, *name* for a tool)."""
        self.live: object = None
        """What the listener keeps for this work (its span)."""


class Listener(Protocol):
    """What an integration is told (each method is called in the thread doing the work)."""

    def scope_opened(self, scope: Scope) -> None:
        """*scope* opened (before its start event is logged)."""

    def scope_entered(self, scope: Scope) -> None:
        """*scope* became the current scope of this context."""

    def scope_closed(self, scope: Scope, status: str, exc: BaseException | None) -> None:
        """*scope* ended with *status* (after its end event was logged)."""

    def work_started(self, work: Work) -> None:
        """*work* starts here, in the current scope."""

    def work_left(self, work: Work) -> None:
        """The caller's code runs again (a stream was returned); *work* has not ended."""

    def work_ended(self, work: Work, exc: BaseException | None) -> None:
        """*work* ended (after its event was logged)."""


ENDING: ContextVar[Work | None] = ContextVar("wf_structlog_ending", default=None)
"""The work whose own event is being logged in this context, if any."""


@contextlib.contextmanager
def ending(work: Work | None) -> Iterator[None]:
    """Log *work*'s own event inside this block: listeners see which work it ends."""
    token = ENDING.set(work)
    try:
        yield
    finally:
        ENDING.reset(token)


def add_listener(listener: Listener) -> None:
    """Tell *listener* of every scope and work from now on."""
    with STATE.lock:
        STATE.listeners = (*STATE.listeners, listener)


def remove_listener(listener: Listener) -> None:
    """Stop telling *listener* (one never added is ignored)."""
    with STATE.lock:
        STATE.listeners = tuple(x for x in STATE.listeners if x is not listener)


def tell(method: str, *args: Any) -> None:
    """Call *method* of every listener with *args*; a failing listener is said once."""
    for listener in STATE.listeners:
        try:
            getattr(listener, method)(*args)
        except Exception as exc:
            name = type(listener).__name__
            _faults.report(f"listener:{name}", f"{name}.{method} failed: {exc!r}")
