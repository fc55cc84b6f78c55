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

import asyncio
import atexit
import functools
import inspect
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final, ParamSpec, Self, TypeVar

from . import schema
from ._ids import new_run_id, new_span_id
from ._logger import get_logger
from ._pipeline import emit
from ._state import CURRENT, STATE, ensure_configured
from .processors import describe_exception
from .sinks import document_path

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

P = ParamSpec("P")
R = TypeVar("R")

_NEW: Final = "new"
_OPEN: Final = "open"
_CLOSED: Final = "closed"
_DISABLED: Final = "disabled"

# Structural changes (opening, closing, implicit scopes) are rare; one lock keeps them simple.
_structure = threading.RLock()


class ScopeError(RuntimeError):
    """A scope was used out of order: closed twice, closed before a child, reopened.

    Raised under the ``dev`` and ``test`` presets (``strict = true``); under ``prod`` the same
    problem is logged as a ``scope_misuse`` warning and the program goes on.
    """


def _misuse(message: str, *, exception_in_flight: bool = False, **fields: Any) -> None:
    if STATE.strict and not exception_in_flight:
        raise ScopeError(message)
    get_logger().warning(schema.MISUSE_EVENT, problem=message, **fields)


def _status_of(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, Exception):
        return schema.STATUS_ERROR
    if isinstance(exc, SystemExit) and exc.code in (None, 0):
        return None
    return "interrupted"


class Scope:
    """One open span of work. Create scopes with :func:`workflow`, :func:`iteration` and
    :func:`interaction`; set :attr:`status` to end with a status of your own."""

    kind: ClassVar[str]

    def __init__(self, metadata: Mapping[str, Any]) -> None:
        self.span_id = new_span_id()
        self.status: str | None = None
        """The status to end with; ``None`` means ``"ok"`` unless an exception escapes."""
        self.parent: Scope | None = None
        self.stamp: dict[str, Any] = {}
        self._metadata = dict(metadata)
        self._phase = _NEW
        self._implicit = False
        self._prev: Scope | None = None
        self._open_children: dict[Scope, None] = {}
        self._children = 0
        self._count_lock = threading.Lock()
        self._t0 = 0.0

    @property
    def id(self) -> str:
        """The id documents use for this scope."""
        return self.span_id

    @property
    def is_open(self) -> bool:
        """Whether the scope has started and not yet ended."""
        return self._phase == _OPEN

    def __repr__(self) -> str:
        return f"<{self.kind} {self._label()} {self.id} {self._phase}>"

    def _label(self) -> str:
        return ""

    def _fresh(self) -> Self:
        """A new, unstarted scope with the same arguments (one per decorated call)."""
        raise NotImplementedError

    def _resolve_parent(self, prev: Scope | None) -> Scope | None:
        raise NotImplementedError

    def _start_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.parent is not None:
            fields["parent_span_id"] = self.parent.span_id
        if self._metadata:
            fields["metadata"] = self._metadata
        return fields

    def _end_fields(self) -> dict[str, Any]:
        return {}

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Open the scope and make it the current one; returns the scope."""
        ensure_configured()
        if not STATE.enabled:
            self._phase = _DISABLED
            return self
        if self._phase != _NEW:
            _misuse(f"{self!r} was started again; a scope opens once (use a new one)")
            return self
        prev = CURRENT.get()
        with _structure:
            self._open_under(self._resolve_parent(prev))
        self._prev = prev
        CURRENT.set(self)
        return self

    def _open_under(self, parent: Scope | None) -> None:
        """Attach to *parent*, compute the stamp, log the start event (without becoming current)."""
        self.parent = parent
        self.stamp = self._make_stamp()
        if parent is not None:
            parent._open_children[self] = None
        self._phase = _OPEN
        self._t0 = time.perf_counter()
        if self._log_event("start", "info", self._start_fields()) and parent is not None:
            parent._count_child()

    def _make_stamp(self) -> dict[str, Any]:
        raise NotImplementedError

    def end(self, status: str | None = None) -> None:
        """Close the scope with *status* (default: :attr:`status`, else ``"ok"``).

        Closing twice, or closing a scope that never started, is a misuse: a
        :class:`ScopeError` under strict presets, a ``scope_misuse`` warning otherwise.
        """
        self._finish(status, None)

    def _finish(
        self,
        status: str | None,
        exc: BaseException | None,
        problems: list[str] | None = None,
    ) -> None:
        """Close the scope: its open children first, then its end event.

        Problems found on the way (a child left open) are logged inside this scope before its
        end event, and raised (strict presets, no exception in flight) only once everything is
        closed. A child hands its problems to the parent closing it, via *problems*.
        """
        in_flight = exc is not None
        with _structure:
            phase = self._phase
            if phase == _OPEN:
                self._phase = _CLOSED
                children = list(self._open_children)
        if phase == _DISABLED:
            return
        if phase != _OPEN:
            state = "already closed" if phase == _CLOSED else "never started"
            _misuse(f"{self!r} was closed but is {state}", exception_in_flight=in_flight)
            return
        found: list[str] = []
        for child in reversed(children):
            if not child._implicit:
                found.append(f"{self!r} was closed before its child {child!r}")
            child._finish(None if child._implicit else schema.STATUS_ABANDONED, exc, found)
        if problems is not None:
            problems.extend(found)
        elif found and (not STATE.strict or in_flight):
            for problem in found:
                self._warn_inside(problem)
        final = str(_status_of(exc) or status or self.status or schema.STATUS_OK)
        fields = self._end_fields()
        fields["status"] = final
        fields["duration_ms"] = round((time.perf_counter() - self._t0) * 1000, 3)
        with self._count_lock:
            fields["children"] = self._children
        if self.parent is not None:
            fields["parent_span_id"] = self.parent.span_id
        if exc is not None and final != schema.STATUS_OK:
            fields["exception"] = describe_exception(exc)
        self._log_event("end", "error" if final == schema.STATUS_ERROR else "info", fields)
        with _structure:
            if self.parent is not None:
                self.parent._open_children.pop(self, None)
        self._restore_current()
        if found and problems is None and STATE.strict and not in_flight:
            raise ScopeError("; ".join(found))

    def _warn_inside(self, problem: str) -> None:
        if self._emit_inside("warning", {"event": schema.MISUSE_EVENT, "problem": problem}):
            self._count_child()

    def _restore_current(self) -> None:
        current = CURRENT.get()
        while current is not None and current is not self:
            current = current.parent
        if current is None:
            return  # this context never entered the scope, or already left it
        target = self._prev
        while target is not None and target._phase == _CLOSED:
            target = target.parent
        CURRENT.set(target)

    def _log_event(self, phase: str, method_name: str, fields: dict[str, Any]) -> bool:
        fields["event"] = f"{self.kind}.{phase}"
        return self._emit_inside(method_name, fields)

    def _emit_inside(self, method_name: str, event_dict: dict[str, Any]) -> bool:
        """Emit *event_dict* as if logged inside this scope (stamped with its ids)."""
        token = CURRENT.set(self)
        try:
            return emit(method_name, event_dict)
        finally:
            CURRENT.reset(token)

    def _count_child(self) -> None:
        """Count one event or child scope written directly in this scope (for ``children``)."""
        with self._count_lock:
            self._children += 1

    # -- metadata, resources ---------------------------------------------------------------

    def add_metadata(self, mapping: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Add key-value metadata to this scope (merged in the document, later keys win).

        Args:
            mapping: metadata as a dict (for keys that are not identifiers).
            **fields: metadata as keyword arguments.
        """
        self._record(schema.METADATA_EVENT, {"metadata": {**(mapping or {}), **fields}})

    def add_resource(self, name: str, /, **details: Any) -> None:
        """Record a resource this scope used (a file, a URL, a tool, a dataset).

        Args:
            name: what the resource is called.
            **details: anything about it (size, version, url, ...).
        """
        self._record(schema.RESOURCE_EVENT, {"resource": name, "details": details})

    def _record(self, event: str, fields: dict[str, Any]) -> None:
        if self._phase == _DISABLED or not _started_enabled():
            return
        if self._phase != _OPEN:
            _misuse(f"{event} added to {self!r}, which is not open")
        fields["event"] = event
        if self._emit_inside("info", fields):
            self._count_child()

    # -- context manager and decorator -----------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(None, exc)

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(None, exc)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use the scope as a decorator: each call of *fn* runs in a new scope like this one."""
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"{self.kind}() cannot decorate the generator function {fn.__qualname__}: "
                f"open the scope inside the generator with `with wf_structlog.{self.kind}(...)`"
            )
        if inspect.iscoroutinefunction(fn):
            return _async_wrapper(self, fn)  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper


def _async_wrapper(scope: Scope, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        async with scope._fresh():
            return await fn(*args, **kwargs)

    return wrapper


def _started_enabled() -> bool:
    ensure_configured()
    return STATE.enabled


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

    @property
    def id(self) -> str:
        """The run id: 32 hex digits, a W3C trace id."""
        return self.run_id

    def _label(self) -> str:
        return repr(self.name)

    @property
    def document_path(self) -> Path | None:
        """Where this run's document is written when it ends, if ``doc_dir`` is configured."""
        settings = STATE.settings
        if settings is None or settings.doc_dir is None:
            return None
        return document_path(Path(settings.doc_dir), self.name, self.run_id)

    def _fresh(self) -> Self:
        return type(self)(self.name, self._metadata)

    def _resolve_parent(self, prev: Scope | None) -> Scope | None:
        self._parent_workflow = _workflow_of(prev)
        return None  # a workflow is the root of its own run

    def _make_stamp(self) -> dict[str, Any]:
        return {"workflow": self.name, "workflow_id": self.run_id, "span_id": self.span_id}

    def _start_fields(self) -> dict[str, Any]:
        fields = super()._start_fields()
        if self._parent_workflow is not None:
            fields["parent_workflow_id"] = self._parent_workflow.run_id
        return fields

    def _next_number(self, wanted: int | None) -> int:
        number = self._iterations + 1 if wanted is None else wanted
        self._iterations = max(self._iterations, number)
        return number

    def _implicit_iteration_scope(self) -> IterationScope:
        """The iteration that interactions opened directly in this workflow go into."""
        with _structure:
            it = self._implicit_iteration
            if it is None or it._phase != _OPEN:
                it = IterationScope(None, {})
                it._implicit = True
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
        live = _open_ancestor(self, prev)
        if isinstance(live, IterationScope | InteractionScope):
            _misuse(f"iteration opened inside {live!r}; iterations do not nest")
        wf = _workflow_of(live) or _implicit_workflow()
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
        live = _open_ancestor(self, prev)
        if isinstance(live, InteractionScope | IterationScope):
            return live
        wf = _workflow_of(live) or _implicit_workflow()
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
    while live is not None and live._phase == _CLOSED:
        live = live.parent
    if live is not scope:
        _misuse(f"{child.kind} opened inside {scope!r}, which is closed")
    return live


def _workflow_of(scope: Scope | None) -> WorkflowScope | None:
    while scope is not None and not isinstance(scope, WorkflowScope):
        scope = scope.parent
    return scope


_implicit: WorkflowScope | None = None


def _program_name() -> str:
    """The running script's name (``agents.py`` -> ``agents``); ``main`` for ``python -c``."""
    main = sys.argv[0] if sys.argv else ""
    stem = Path(main).stem
    return stem if stem and not stem.startswith("-") else "main"


def _implicit_workflow() -> WorkflowScope:
    """The workflow scopes opened outside any workflow go into; it closes at exit."""
    global _implicit
    with _structure:
        if _implicit is None or _implicit._phase != _OPEN:
            if _implicit is None:
                atexit.register(close_implicit)
            _implicit = WorkflowScope(_program_name(), {})
            _implicit._implicit = True
            _implicit._open_under(None)
        return _implicit


def close_implicit() -> None:
    """End the implicit workflow, if one is open (at exit, on reset, around test captures)."""
    if _implicit is not None and _implicit.is_open:
        _implicit._finish(None, None)


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
    """The innermost open scope of the calling thread or task, or ``None``."""
    return CURRENT.get()


def _current_or_misuse(what: str, **fields: Any) -> Scope | None:
    """The current scope; outside any, a misuse that still logs what was passed."""
    scope = CURRENT.get()
    if scope is None and _started_enabled():
        _misuse(f"{what}() called outside any scope", **fields)
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
