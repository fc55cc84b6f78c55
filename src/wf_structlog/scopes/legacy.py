"""The old hand-driven ``WorkflowLogger`` API, as a drop-in on top of the real scopes.

Each method maps onto the core API (see the README's migration table): the constructor opens a
:func:`~wf_structlog.workflow`, ``start_iteration`` an :func:`~wf_structlog.iteration`,
``start_interaction`` an :func:`~wf_structlog.interaction`, and ``log_action`` logs an event
inside it. The nested JSON file the old logger wrote is now the reducer's document of this
workflow's events, written on each ``end_iteration``, at ``finalize`` and whenever the workflow
ends (at exit, say).

Calls in the wrong order never crash old code: by default the missing scope is opened or closed
for you and a ``scope_misuse`` warning says what was fixed (``log_action`` with no interaction
open logs in one it opens, named after the action, which ends with the next scope).
``strict=True`` raises :class:`~wf_structlog.ScopeError` instead, naming the call and the
state.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import orjson

from .. import schema
from .._files import make_dirs, replace_privately, write_all
from .._runtime.pipeline import add_tap, remove_tap
from .._runtime.scope import Scope, misuse
from .._runtime.state import CURRENT, STATE, current
from ..reading.reducer import Reducer
from ..render.ndjson import to_json
from ..typing import EventDict
from .hierarchy import InteractionScope, IterationScope, WorkflowScope

__all__ = ["WorkflowLogger"]

S = TypeVar("S", bound=Scope)


class _Tap:
    """Reduces the events of one workflow run, and of the workflows opened inside it, as they
    pass, and writes its document at its end."""

    def __init__(self, owner: WorkflowLogger) -> None:
        self._owner = owner
        self._reducer = Reducer(trusted=True)
        self._runs: set[Any] = set()  # the owner's run and the runs opened inside it
        self._lock = threading.Lock()

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        run_id, name = event_dict.get("workflow_id"), event_dict.get("event")
        owner = run_id == self._owner.workflow_id
        if owner:
            self._runs.add(run_id)
        elif name == "workflow.start" and event_dict.get("parent_workflow_id") in self._runs:
            self._runs.add(run_id)  # a sub-workflow: its document goes inside the owner's
        if run_id not in self._runs:
            return
        with self._lock:
            self._reducer.add(event_dict)
        if owner and name == "workflow.end":
            remove_tap(self)
            self._owner.save()

    def document(self) -> dict[str, Any] | None:
        """The document so far, sub-workflows nested in it; ``None`` before any event."""
        with self._lock:
            return next(
                (d for d in self._reducer.documents() if d["id"] == self._owner.workflow_id),
                None,
            )

    def flush(self) -> None:
        """Nothing to flush: the document is written by :meth:`WorkflowLogger.save`."""

    def close(self) -> None:
        """Nothing to close: a tap outlives configurations."""


class WorkflowLogger:
    """The old ``WorkflowLogger``: drive a workflow by hand, get its nested JSON document.

    Args:
        workflow_name: the workflow's name (in every event and in the file name).
        log_dir: where the document is written, as ``<workflow_name>_<run id>.json``.
        strict: raise :class:`~wf_structlog.ScopeError` for calls in the wrong order, instead
            of fixing them up and logging a ``scope_misuse`` warning.
        **metadata: the workflow's metadata.

    Under the ``off`` preset (or ``WORKFLOW_LOGGING=false``) nothing is logged or written.
    """

    def __init__(
        self,
        workflow_name: str,
        log_dir: str | os.PathLike[str] = "logs",
        *,
        strict: bool = False,
        **metadata: Any,
    ) -> None:
        self.workflow_name = str(workflow_name)
        self.strict = strict
        self._lock = threading.RLock()
        self._workflow = WorkflowScope(self.workflow_name, metadata)
        self._iteration: IterationScope | None = None
        self._interaction: InteractionScope | None = None
        self._automatic: InteractionScope | None = None
        """The interaction ``log_action`` opened because none was: it ends with the next."""
        self._finalized = False
        self._tap = _Tap(self)
        self.path = Path(log_dir) / f"{_safe_name(self.workflow_name)}_{self.workflow_id}.json"
        """The document's file: the workflow name and its run id make it unique."""
        add_tap(self._tap)
        self._workflow.start()
        if not self._workflow.is_open:  # logging is off
            remove_tap(self._tap)

    @property
    def workflow_id(self) -> str:
        """The run id of the workflow (``workflow_id`` in its events)."""
        return self._workflow.run_id

    # -- scopes ------------------------------------------------------------------------------

    def start_iteration(self, iteration_number: int | None = None) -> None:
        """Open iteration *iteration_number* (default: the next one).

        Args:
            iteration_number: the iteration's number.
        """
        with self._lock:
            if not self._usable("start_iteration"):
                return
            if self._iteration is not None:
                self._problem("start_iteration", f"iteration {self._iteration.number} is open")
                self._end_iteration_now(None)
            self._iteration = _open(IterationScope(iteration_number, {}), self._workflow)

    def end_iteration(self, status: str | None = None) -> None:
        """Close the current iteration and write the document.

        Args:
            status: its status (default ``"ok"``).
        """
        with self._lock:
            if not self._usable("end_iteration"):
                return
            if self._iteration is None:
                self._problem("end_iteration", "no iteration is open", status=status)
                return
            self._end_iteration_now(status)
        self.save()

    def start_interaction(self, agent_name: str, input: Any = None) -> None:
        """Open an interaction of *agent_name* in the current iteration.

        Args:
            agent_name: the agent.
            input: what the agent was given.
        """
        with self._lock:
            if not self._usable("start_interaction", agent=agent_name):
                return
            if self._interaction is not None:
                self._close_interaction("start_interaction", agent=agent_name)
            if self._iteration is None:
                self._problem("start_interaction", "no iteration is open", agent=agent_name)
            self._interaction = self._open_interaction(InteractionScope(agent_name, input, {}))

    def end_interaction(self, output: Any = None, status: str | None = None) -> None:
        """Close the current interaction with the agent's *output*.

        Args:
            output: what the agent produced.
            status: its status (default ``"ok"``).
        """
        with self._lock:
            if not self._usable("end_interaction", output=output):
                return
            if self._interaction is None:
                self._problem("end_interaction", "no interaction is open", output=output)
                return
            self._end_interaction_now(output, status)

    def _end_interaction_now(self, output: Any, status: str | None) -> None:
        assert self._interaction is not None
        if output is not None:
            self._interaction.output = output
        self._interaction.end(status)
        self._interaction = self._automatic = None

    def _end_iteration_now(self, status: str | None) -> None:
        assert self._iteration is not None
        if self._interaction is not None:
            self._close_interaction("end_iteration")
        self._iteration.end(status)
        self._iteration = None

    def _open_interaction(self, scope: InteractionScope) -> InteractionScope:
        """Open *scope* in the current iteration, opening one first if none is open."""
        if self._iteration is None:
            self._iteration = _open(IterationScope(None, {}), self._workflow)
        return _open(scope, self._iteration)

    def _close_interaction(self, call: str, **fields: Any) -> None:
        """Close the interaction still open when *call* needs it closed: one that
        ``log_action`` opened ends ``"ok"`` silently, one the caller left open is abandoned."""
        assert self._interaction is not None
        if self._interaction is self._automatic:
            self._end_interaction_now(None, None)
            return
        self._problem(call, f"interaction {self._interaction.agent!r} is open", **fields)
        self._end_interaction_now(None, schema.STATUS_ABANDONED)

    # -- events ------------------------------------------------------------------------------

    def log_action(
        self,
        action_type: str,
        input: Any = None,
        output: Any = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Log an action of the current interaction: an event named *action_type*.

        Args:
            action_type: what the action is (``"llm_call"``, ``"search"``, ...).
            input: what it was given.
            output: what it produced.
            metadata: more fields, logged at the top level of the event, so
                ``input_tokens`` and ``output_tokens`` count in the document's ``usage``.
        """
        fields = {**(metadata or {}), "action_type": action_type, "input": input}
        fields["output"] = output
        with self._lock:
            if not self._usable("log_action", **fields):
                return
            if self._interaction is None:
                self._problem("log_action", "no interaction is open")
                scope = InteractionScope(str(action_type), None, {})
                self._interaction = self._automatic = self._open_interaction(scope)
            scope = self._interaction
        _record(scope, "info", {**fields, "event": str(action_type)})

    def log_error(self, message_or_exception: str | BaseException, details: Any = None) -> None:
        """Log an error in the current scope: it lands in that scope's ``errors``.

        Args:
            message_or_exception: what went wrong; an exception is recorded with its traceback.
            details: anything more about it.
        """
        fields: dict[str, Any] = {"event": str(message_or_exception)}
        if isinstance(message_or_exception, BaseException):
            fields["event"] = fields["event"] or type(message_or_exception).__name__
            fields["exc_info"] = message_or_exception
        if details is not None:
            fields["details"] = details
        with self._lock:
            scope = self._innermost() if self._usable("log_error", **fields) else None
        if scope is not None:
            _record(scope, "error", fields)

    def add_resource(self, name: str, details: Mapping[str, Any] | None = None) -> None:
        """Record a resource of the workflow.

        Args:
            name: what the resource is called.
            details: anything about it.
        """
        if self._usable("add_resource", resource=name, details=details):
            self._workflow.add_resource(name, **{str(k): v for k, v in (details or {}).items()})

    def add_metadata(self, key_or_dict: str | Mapping[str, Any], value: Any = None) -> None:
        """Add metadata to the workflow: one key and value, or a dict of them.

        Args:
            key_or_dict: a key, or a dict of keys and values.
            value: the value, when a key is given.
        """
        metadata = dict(key_or_dict) if isinstance(key_or_dict, Mapping) else {key_or_dict: value}
        if self._usable("add_metadata", metadata=metadata):
            self._workflow.add_metadata(metadata)

    def finalize(self, status: str | None = None) -> Path | None:
        """End the workflow (closing what is still open) and write the document.

        Args:
            status: the workflow's status (default ``"ok"``).

        Returns:
            The document's path, or ``None`` when logging is off.
        """
        with self._lock:
            if not self._usable("finalize", status=status):
                return None
            if self._iteration is not None:
                self._problem("finalize", f"iteration {self._iteration.number} is open")
                self._end_iteration_now(None)
            self._finalized = True
            self._workflow.end(status)  # the tap writes the document on workflow.end
        return self.path if self.path.exists() else None

    def save(self) -> Path | None:
        """Write the document as it stands now (``finalize`` and ``end_iteration`` do).

        Returns:
            The document's path, or ``None`` when logging is off.
        """
        document = self._tap.document()
        if document is None:
            return None
        data = to_json(document, orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
        make_dirs(self.path.parent, STATE.file_mode)
        replace_privately(self.path, lambda fd: write_all(fd, data), STATE.file_mode)
        return self.path

    # -- helpers -----------------------------------------------------------------------------

    def _innermost(self) -> Scope:
        return self._interaction or self._iteration or self._workflow

    def _usable(self, call: str, **fields: Any) -> bool:
        """Whether *call* can go on: logging is on and the workflow was not finalized."""
        if not self._workflow.is_open:
            if self._finalized:
                self._problem(call, "the workflow was finalized", **fields)
            return False
        return True

    def _problem(self, call: str, state: str, **fields: Any) -> None:
        """A call in the wrong order: raise when strict, else warn (in the innermost scope)."""
        message = f"WorkflowLogger({self.workflow_name!r}).{call}(): {state}"
        with _inside(self._innermost() if self._workflow.is_open else None):
            misuse(message, strict=self.strict, call=call, **fields)


_UNSAFE = str.maketrans({c: "_" for c in '/\\:*?"<>| '})


def _safe_name(name: str) -> str:
    return name.translate(_UNSAFE) or "workflow"


@contextlib.contextmanager
def _inside(scope: Scope | None) -> Iterator[None]:
    """Make *scope* the current one for the block (whatever thread calls)."""
    token = CURRENT.set(scope)
    try:
        yield
    finally:
        CURRENT.reset(token)


def _open(scope: S, parent: Scope) -> S:
    """Start *scope* as a child of *parent* and leave it current in the caller's context."""
    if current() is not parent:
        CURRENT.set(parent)
    return scope.start()


def _record(scope: Scope, method_name: str, fields: dict[str, Any]) -> None:
    """Log *fields* inside *scope*; written whatever the level, like the old file was."""
    scope.emit_inside(method_name, fields, counted_in=scope)
