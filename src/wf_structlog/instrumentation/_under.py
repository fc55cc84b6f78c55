"""Logging from a framework's callbacks, under scopes named explicitly.

A framework runs its callbacks in its own threads, tasks and executors, where a context
variable set would leak into the framework's code or be lost: so the scopes a callback opens,
and the events it logs, are placed under an explicit parent, each in a copy of the context
(the caller's stays as it was). The OpenAI Agents SDK and LangChain integrations share this.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from .._runtime.hooks import tell
from .._runtime.scope import Scope
from .._runtime.state import CURRENT, STATE
from ..scopes.hierarchy import WorkflowScope, current_scope, workflow_of


def under(scope: Scope | None, fn: Callable[[], Any]) -> Any:
    """*fn()* with *scope* current, in a copy of the context (the caller's stays as it was)."""

    def run() -> Any:
        CURRENT.set(scope)
        return fn()

    return contextvars.copy_context().run(run)


def open_run(name: str) -> tuple[Scope | None, WorkflowScope | None]:
    """Where a framework's run opens its scopes: the caller's current scope when it is in a
    workflow, else a new workflow named *name*, which is returned a second time for the run
    to end it."""
    here = current_scope()
    if workflow_of(here) is not None:
        return here, None
    flow = under(None, lambda: WorkflowScope(name, {}).start())
    return flow, flow


def enter_here(scope: Scope) -> None:
    """Make *scope*'s tracing span the current one in this context (a callback's, run inline
    in the framework's own thread or task): the framework's code that runs next, and any
    instrumentation in it, nests its spans in it. End it with :func:`end_here`, here.

    Our current scope stays as it was: only the listeners are told."""
    if STATE.listeners:
        tell("scope_entered", scope)


def end_here(scope: Scope, error: BaseException | None = None, status: str | None = None) -> None:
    """End *scope* as a ``with`` block over it ends, in this context (where
    :func:`enter_here` made its span current, it stops being so): with *status* (``ok`` by
    default), or on *error* (its status, and the exception on the end event)."""
    if not scope.is_open:
        return
    if error is None:
        scope.end(status)
    else:
        scope.__exit__(type(error), error, error.__traceback__)
