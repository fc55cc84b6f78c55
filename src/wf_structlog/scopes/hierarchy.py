"""Hierarchy scopes: workflow -> iteration -> interaction, kept per thread and asyncio task.

Each scope is a handle usable as ``with``, ``async with``, a decorator, or by hand with
``start()`` / ``end()``. Opening a scope logs ``<kind>.start``; closing it logs ``<kind>.end``
with its status, duration and number of direct children. Scope events are structural: they
are written whatever the level, so documents can always be rebuilt.

Scopes the user does not open open themselves: an interaction directly inside a workflow goes
into an implicit iteration that closes with the workflow, and an iteration or interaction
outside any workflow goes into an implicit workflow named after the program, closed at exit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from .. import schema
from .._runtime.ids import new_run_id
from .._runtime.otel_context import span_to_join
from .._runtime.scope import Scope, ScopeError, misuse, started_enabled
from .._runtime.state import STATE, current
from ..outputs.sinks import document_path

__all__ = [
    "InteractionScope",
    "IterationScope",
    "Scope",
    "ScopeError",
    "WorkflowScope",
    "add_metadata",
    "add_resource",
    "current_scope",
    "interaction",
    "iteration",
    "workflow",
]


class WorkflowScope(Scope):
    """A workflow run. Its :attr:`id` (``workflow_id`` in events) is 32 hex digits."""

    kind = "workflow"

    def __init__(self, name: str, metadata: Mapping[str, Any]) -> None:
        super().__init__(metadata)
        self.name = str(name)
        self.run_id = new_run_id()
        self._iterations = 0
        self._implicit_iteration: IterationScope | None = None
        self._parent_workflow: WorkflowScope | None = None
        self._opened_in: str | None = None
        self._trace_parent: str | None = None

    @property
    def id(self) -> str:
        """The run id: 32 hex digits, a W3C trace id."""
        return self.run_id

    def _label(self) -> str:
        return repr(self.name)

    @property
    def document_path(self) -> Path | None:
        """Where this run's document is written when it ends, if ``doc_dir`` is configured: a
        sub-workflow's is inside the file of the outermost run this process opened it in
        (unless it outlives that run: then it has a file of its own)."""
        if STATE.doc_dir is None:
            return None
        run = self
        while run._parent_workflow is not None and run._parent_workflow.pid == os.getpid():
            run = run._parent_workflow  # not a run attached from another process (pid 0)
        return document_path(Path(STATE.doc_dir), run.name, run.run_id)

    def _fresh(self) -> Self:
        return type(self)(self.name, self._metadata)

    def _resolve_parent(self, prev: Scope | None) -> Scope | None:
        self._parent_workflow = workflow_of(prev)
        self._opened_in = prev.span_id if prev is not None else None
        joined = span_to_join() if self._parent_workflow is None else None
        if joined is not None:  # the program's OpenTelemetry span: this run joins its trace
            self.run_id, self._trace_parent = joined
        return None  # a workflow is the root of its own run

    def _make_stamp(self) -> dict[str, Any]:
        return {"workflow": self.name, "workflow_id": self.run_id, "span_id": self.span_id}

    def _start_fields(self) -> dict[str, Any]:
        fields = super()._start_fields()
        if self._parent_workflow is not None:
            fields["parent_workflow_id"] = self._parent_workflow.run_id
            fields[schema.PARENT_SCOPE_KEY] = self._opened_in
        if self._trace_parent is not None:
            fields["trace_parent_span_id"] = self._trace_parent
        return fields

    def _next_number(self, wanted: int | None) -> int:
        number = self._iterations + 1 if wanted is None else wanted
        self._iterations = max(self._iterations, number)
        return number

    def _implicit_iteration_scope(self) -> IterationScope:
        """The iteration that interactions opened directly in this workflow go into."""
        with STATE.structure:
            it = self._implicit_iteration
            if it is None or not it.is_open:
                it = IterationScope(None, {})
                it.mark_implicit()
                it._open_under(self)
                self._implicit_iteration = it
            return it


class IterationScope(Scope):
    """One round of a workflow, numbered 1, 2, ... within it."""

    kind = "iteration"

    def __init__(self, number: int | None, metadata: Mapping[str, Any]) -> None:
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
            raise TypeError(f"iteration number must be an int, got {number!r}")
        super().__init__(metadata)
        self._wanted = number
        self.number = 0

    def _label(self) -> str:
        return str(self.number or self._wanted or "")

    def _fresh(self) -> Self:
        return type(self)(self._wanted, self._metadata)

    def _resolve_parent(self, prev: Scope | None) -> Scope | None:
        live = _past_automatic(_open_ancestor(self, prev))
        if isinstance(live, IterationScope | InteractionScope):
            misuse(f"iteration opened inside {live!r}; iterations do not nest")
        wf = workflow_of(live) or _implicit_workflow()
        stale = wf._implicit_iteration
        # Close the implicit iteration once explicit ones begin, unless a concurrent task
        # still has an interaction open in it.
        if stale is not None and stale.is_open and not stale._open_children:
            stale._finish(None, None)
        return wf

    def _open_under(self, parent: Scope | None) -> None:
        assert isinstance(parent, WorkflowScope)
        self.number = parent._next_number(self._wanted)
        super()._open_under(parent)

    def _make_stamp(self) -> dict[str, Any]:
        assert self.parent is not None
        return {
            "workflow": self.parent.stamp["workflow"],
            "workflow_id": self.parent.stamp["workflow_id"],
            "iteration": self.number,
            "iteration_id": self.span_id,
            "span_id": self.span_id,
        }


class InteractionScope(Scope):
    """One agent's turn: its input, its actions, its output."""

    kind = "interaction"

    def __init__(self, agent: str, input: Any, metadata: Mapping[str, Any]) -> None:
        super().__init__(metadata)
        self.agent = str(agent)
        self.input = input
        self.output: Any = None
        """Set this to record what the agent produced; it is logged on the end event."""

    def _label(self) -> str:
        return repr(self.agent)

    def _fresh(self) -> Self:
        return type(self)(self.agent, self.input, self._metadata)

    def _resolve_parent(self, prev: Scope | None) -> Scope | None:
        live = _past_automatic(_open_ancestor(self, prev))
        if isinstance(live, InteractionScope | IterationScope):
            return live
        wf = workflow_of(live) or _implicit_workflow()
        return wf._implicit_iteration_scope()

    def _make_stamp(self) -> dict[str, Any]:
        assert self.parent is not None
        stamp = dict(self.parent.stamp)
        stamp.update(interaction_id=self.span_id, agent=self.agent, span_id=self.span_id)
        return stamp

    def _start_fields(self) -> dict[str, Any]:
        fields = super()._start_fields()
        if self.input is not None:
            fields["input"] = self.input
        return fields

    def _end_fields(self) -> dict[str, Any]:
        return {} if self.output is None else {"output": self.output}


def _open_ancestor(child: Scope, scope: Scope | None) -> Scope | None:
    """*scope*, or its nearest open ancestor if it was closed (say, by another task)."""
    live = scope
    while live is not None and live.is_closed:
        live = live.parent
    if live is not scope:
        misuse(f"{child.kind} opened inside {scope!r}, which is closed")
    return live


def _past_automatic(scope: Scope | None) -> Scope | None:
    """*scope*, unless it is an automatic interaction (``log_llm_call``'s): that one ends when
    the next scope opens where it is, and the new scope goes where the automatic one was
    opened from."""
    if not (isinstance(scope, InteractionScope) and scope.implicit and scope.is_open):
        return scope
    scope._finish(None, None)
    before = scope._prev
    while before is not None and not before.is_open:
        before = before._prev or before.parent
    return before


def workflow_of(scope: Scope | None) -> WorkflowScope | None:
    while scope is not None and not isinstance(scope, WorkflowScope):
        scope = scope.parent
    return scope


def program_name() -> str:
    """The running script's name (``agents.py`` -> ``agents``); ``main`` for ``python -c``."""
    main = sys.argv[0] if sys.argv else ""
    stem = Path(main).stem
    return stem if stem and not stem.startswith("-") else "main"


def _implicit_workflow() -> WorkflowScope:
    """The workflow scopes opened outside any workflow go into; it closes at exit."""
    with STATE.structure:
        implicit = STATE.implicit
        if not isinstance(implicit, WorkflowScope) or not implicit.is_open:
            implicit = STATE.implicit = WorkflowScope(program_name(), {})
            implicit.mark_implicit()
            implicit._open_under(None)
        return implicit


def close_implicit() -> None:
    """End the implicit workflow, if this process opened it (on reset, around test captures)."""
    implicit = STATE.implicit
    if implicit is not None and implicit.is_open and implicit.pid == STATE.pid:
        implicit._finish(None, None)


# -- public functions ------------------------------------------------------------------------


def workflow(name: str, /, **metadata: Any) -> WorkflowScope:
    """A workflow run: ``with``, ``async with``, ``@decorator``, or ``start()``/``end()``.

    Args:
        name: what the workflow is (``"research"``); documents are named after it.
        **metadata: recorded on the start event and in the document's ``metadata``.
    """
    return WorkflowScope(name, metadata)


def iteration(number: int | None = None, /, **metadata: Any) -> IterationScope:
    """One iteration of the enclosing workflow, numbered 1, 2, ... unless *number* is given.

    Args:
        number: the iteration's number; by default one more than the last.
        **metadata: recorded on the start event and in the document.
    """
    return IterationScope(number, metadata)


def interaction(agent: str, input: Any = None, **metadata: Any) -> InteractionScope:
    """One agent's turn. Events logged inside it are its actions.

    Args:
        agent: the agent's name; stamped on every event as ``agent``.
        input: what the agent was given (logged on the start event).
        **metadata: recorded on the start event and in the document.

    Set ``.output`` on the returned scope to record the agent's result.
    """
    return InteractionScope(agent, input, metadata)


def current_scope() -> Scope | None:
    """The innermost open scope of the calling thread or task (else the scope this process
    was attached to from its environment), or ``None``."""
    return current()


def _current_or_misuse(what: str, **fields: Any) -> Scope | None:
    """The current scope; outside any, a misuse that still logs what was passed."""
    scope = current()
    if scope is None and started_enabled():
        misuse(f"{what}() called outside any scope", **fields)
    return scope


def add_metadata(mapping: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
    """Add metadata to the current scope (see :meth:`Scope.add_metadata`)."""
    metadata = {**(mapping or {}), **fields}
    scope = _current_or_misuse("add_metadata", metadata=metadata)
    if scope is not None:
        scope.add_metadata(metadata)


def add_resource(name: str, /, **details: Any) -> None:
    """Record a resource on the current scope (see :meth:`Scope.add_resource`)."""
    scope = _current_or_misuse("add_resource", resource=name, details=details)
    if scope is not None:
        scope.add_resource(name, **details)
