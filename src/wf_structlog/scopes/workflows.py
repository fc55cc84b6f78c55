"""The root-logger style: named workflows, like ``logging.getLogger(name)``.

::

    log = get_workflow_logger("research")   # the same object for the same name
    set_global_verbosity("warning")         # every logger at once
    set_current_workflow("research")        # this thread or task now logs in "research"

A named workflow is opened the first time it is needed and stays open until you end it (the
scope :func:`set_current_workflow` returns has ``end()``) or the program exits; after it ended,
the next use of its name opens a new run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import Token
from typing import Any

from .._runtime import scope as _scope
from .._runtime.logger import METHOD_NUMBERS, BoundLogger
from .._runtime.state import CURRENT, STATE, current, ensure_configured
from .hierarchy import Scope, WorkflowScope, workflow_of

__all__ = [
    "WorkflowBoundLogger",
    "get_workflow_logger",
    "set_current_workflow",
]


def _named_workflow(name: str) -> WorkflowScope:
    """The open run of the workflow *name*, opened now if there is none (and logging is on)."""
    enabled = _scope.started_enabled()  # before the lock: configuring takes locks of its own
    with STATE.structure:
        scope = STATE.named.get(name)
        if not isinstance(scope, WorkflowScope) or not scope.is_open:
            scope = STATE.named[name] = WorkflowScope(name, {})
            if enabled:
                scope._open_under(None)
        return scope


class _Named:
    """The wrapped logger of a :class:`WorkflowBoundLogger`: it carries the workflow's name
    (structlog keeps it through ``bind``)."""

    def __init__(self, name: str) -> None:
        self.name = name


def _routed(method_name: str) -> Callable[..., Any]:
    def method(self: WorkflowBoundLogger, *args: Any, **kw: Any) -> Any:
        token = self._enter()
        try:
            return getattr(super(WorkflowBoundLogger, self), method_name)(*args, **kw)
        finally:
            if token is not None:
                CURRENT.reset(token)

    method.__name__ = method_name
    method.__doc__ = getattr(BoundLogger, method_name).__doc__
    return method


class WorkflowBoundLogger(BoundLogger):
    """A logger whose events land in the workflow it is named after.

    Inside a run of that workflow, events go where the call is (its iteration, interaction);
    anywhere else they go into the workflow's current named run.
    """

    _logger: _Named

    @property
    def workflow_name(self) -> str:
        """The name of the workflow this logger logs in."""
        return self._logger.name

    def _enter(self) -> Token[Scope | None] | None:
        ensure_configured()
        if not STATE.enabled:
            return None
        here = workflow_of(current())
        if here is not None and here.name == self._logger.name:
            return None
        return CURRENT.set(_named_workflow(self._logger.name))


for _name in (*METHOD_NUMBERS, "log"):
    setattr(WorkflowBoundLogger, _name, _routed(_name))


def get_workflow_logger(name: str) -> WorkflowBoundLogger:
    """The logger of the workflow *name*: the same object every time for the same name.

    Args:
        name: the workflow's name.
    """
    with STATE.structure:
        logger = STATE.named_loggers.get(name)
        if not isinstance(logger, WorkflowBoundLogger):
            logger = STATE.named_loggers[name] = WorkflowBoundLogger(_Named(name), (), {})
        return logger


def set_current_workflow(name: str) -> WorkflowScope:
    """Make the current thread or asyncio task log in the workflow *name* from now on.

    It sets a context variable, so concurrent tasks each keep the workflow they set. Scopes
    opened afterwards (iterations, interactions) go into that workflow.

    Args:
        name: the workflow's name; its run is opened if none is open.

    Returns:
        The workflow's scope (``end()`` it to finish the run and write its document).
    """
    scope = _named_workflow(name)
    CURRENT.set(scope)
    return scope
