"""The scope base class: opening, closing, events, misuse. The kinds are in ``scopes``."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Final, ParamSpec, Self, TypeVar

from .. import schema
from .exceptions import describe_exception
from .hooks import tell
from .ids import new_span_id
from .logger import get_logger
from .pipeline import emit_counted
from .state import CURRENT, STATE, current, ensure_configured

P = ParamSpec("P")
R = TypeVar("R")

NEW: Final = "new"
OPEN: Final = "open"
CLOSED: Final = "closed"
DISABLED: Final = "disabled"

_QUIET_STATUSES: Final = frozenset({schema.STATUS_OK, schema.STATUS_ABANDONED})
"""End statuses that carry no ``exception``, even when one ended the scope."""


class ScopeError(RuntimeError):
    """A scope was used out of order: closed twice, closed before a child, reopened.

    Raised under the ``dev`` and ``test`` presets (``strict = true``); under ``prod`` the same
    problem is logged as a ``scope_misuse`` warning and the program goes on.
    """


def misuse(
    message: str, *, exception_in_flight: bool = False, strict: bool | None = None, **fields: Any
) -> None:
    """Raise :class:`ScopeError` under strict presets (or when *strict* says so), else log a
    ``scope_misuse`` warning."""
    if (STATE.strict if strict is None else strict) and not exception_in_flight:
        raise ScopeError(message)
    get_logger().warning(schema.MISUSE_EVENT, problem=message, **fields)


def status_of(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    if isinstance(exc, GeneratorExit):
        return schema.STATUS_ABANDONED
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
        self._shown_stamp: tuple[object, object, Mapping[str, Any]] = (None, None, {})
        self._metadata = dict(metadata)
        self._phase = NEW
        self._implicit = False
        self._prev: Scope | None = None
        self._open_children: dict[Scope, None] = {}
        self._children = itertools.count()
        self._t0 = 0.0
        self.pid = 0
        """The process that opened the scope (0 until it opens)."""
        self.live: object = None
        """What a listener (``hooks``) keeps for this scope: its tracing span."""

    @property
    def id(self) -> str:
        """The id documents use for this scope."""
        return self.span_id

    @property
    def is_open(self) -> bool:
        """Whether the scope has started and not yet ended."""
        return self._phase == OPEN

    @property
    def is_closed(self) -> bool:
        """Whether the scope has ended."""
        return self._phase == CLOSED

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
            if self.parent.pid != self.pid:
                fields["attached"] = True
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
            self._phase = DISABLED
            return self
        if self._phase != NEW:
            misuse(f"{self!r} was started again; a scope opens once (use a new one)")
            return self
        prev = current()
        with STATE.structure:
            self._open_under(self._resolve_parent(prev))
        self._prev = prev
        CURRENT.set(self)
        if STATE.listeners:
            tell("scope_entered", self)
        return self

    def _open_under(self, parent: Scope | None) -> None:
        """Attach to *parent*, compute the stamp, log the start event (without becoming current)."""
        self.parent = parent
        self.pid = STATE.pid
        self.stamp = self._make_stamp()
        if parent is not None:
            parent._open_children[self] = None
        if parent is None or parent.pid != self.pid:
            STATE.roots[self] = None
        self._phase = OPEN
        self._t0 = time.perf_counter()
        if STATE.listeners:
            tell("scope_opened", self)
        self._log_event("start", "info", self._start_fields(), counted_in=parent)

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
        in_flight = exc is not None or STATE.exiting
        with STATE.structure:
            phase = self._phase
            if phase == OPEN:
                self._phase = CLOSED
                children = list(self._open_children)
        if phase == DISABLED:
            return
        if phase != OPEN:
            state = "already closed" if phase == CLOSED else "never started"
            misuse(f"{self!r} was closed but is {state}", exception_in_flight=in_flight)
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
        self._log_end(str(status_of(exc) or status or self.status or schema.STATUS_OK), exc)
        with STATE.structure:
            if self.parent is not None:
                self.parent._open_children.pop(self, None)
            STATE.roots.pop(self, None)
        self._restore_current()
        if found and problems is None and STATE.strict and not in_flight:
            raise ScopeError("; ".join(found))

    def _log_end(self, final: str, exc: BaseException | None) -> None:
        fields = self._end_fields()
        fields["status"] = final
        fields["duration_ms"] = round((time.perf_counter() - self._t0) * 1000, 3)
        fields["children"] = next(self._children)
        if self.parent is not None:
            fields["parent_span_id"] = self.parent.span_id
        if exc is not None and final not in _QUIET_STATUSES:
            fields["exception"] = describe_exception(exc)
        self._log_event("end", "error" if final == schema.STATUS_ERROR else "info", fields)
        if STATE.listeners:
            tell("scope_closed", self, final, exc)

    def _warn_inside(self, problem: str) -> None:
        fields = {"event": schema.MISUSE_EVENT, "problem": problem}
        self.emit_inside("warning", fields, counted_in=self)

    def _restore_current(self) -> None:
        current = CURRENT.get()
        while current is not None and current is not self:
            current = current.parent
        if current is None:
            return  # this context never entered the scope, or already left it
        target = self._prev
        while target is not None and target._phase == CLOSED:
            target = target.parent
        CURRENT.set(target)

    def _log_event(
        self, phase: str, method_name: str, fields: dict[str, Any], counted_in: Scope | None = None
    ) -> bool:
        fields["event"] = f"{self.kind}.{phase}"
        return self.emit_inside(method_name, fields, counted_in=counted_in)

    # -- what other parts do to a scope ----------------------------------------------------

    def emit_inside(
        self, method_name: str, event_dict: dict[str, Any], *, counted_in: Scope | None = None
    ) -> bool:
        """Emit *event_dict* as if logged inside this scope (stamped with its ids).

        Args:
            method_name: the logger method it stands for (``"info"``, ``"warning"``...).
            event_dict: the event.
            counted_in: the scope whose ``children`` count it, if any.

        Returns:
            Whether the event was written.
        """
        token = CURRENT.set(self)
        try:
            return emit_counted(method_name, event_dict, counted_in)
        finally:
            CURRENT.reset(token)

    def count_child(self) -> None:
        """Count one event or child scope written directly in this scope (for ``children``)."""
        next(self._children)  # atomic: no lock on the hot path, none to break at fork

    @property
    def implicit(self) -> bool:
        """Whether the scope was opened for the caller (an automatic or implicit scope)."""
        return self._implicit

    def mark_implicit(self) -> None:
        """Mark the scope as opened for the caller: it ends quietly with its parent."""
        self._implicit = True

    def attach_remote(self, parent: Scope | None, span_id: str) -> Self:
        """Make this the open scope *span_id* of another process, under *parent*.

        It is never started or ended here: events logged in it are stamped with its ids
        and marked ``attached``.
        """
        self.span_id = span_id
        self.parent = parent
        self.stamp = self._make_stamp()
        self._phase = OPEN
        return self

    def shown_stamp(self, owner: object) -> Mapping[str, Any] | None:
        """The stamp as *owner* showed it last, or ``None`` if the stamp or the owner changed
        since (a new ``configure()`` has a new owner).

        :class:`~wf_structlog.processors.RedactThenStamp` redacts a scope's ids and names once
        per scope, not on every event; this lookup allocates nothing, on the hot path.
        """
        shown = self._shown_stamp
        if shown[0] is owner and shown[1] is self.stamp:
            return shown[2]
        return None

    def keep_shown_stamp(self, owner: object, shown: Mapping[str, Any]) -> Mapping[str, Any]:
        """Remember *shown*, the stamp as *owner* shows it, until the stamp or owner changes."""
        self._shown_stamp = (owner, self.stamp, shown)
        return shown

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
        if self._phase == DISABLED or not started_enabled():
            return
        if self._phase != OPEN:
            misuse(f"{event} added to {self!r}, which is not open")
        fields["event"] = event
        self.emit_inside("info", fields, counted_in=self)

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
        self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use the scope as a decorator: each call of *fn* runs in a new scope like this one.

        Works on functions, coroutine functions, generator functions and async generator
        functions (see :mod:`wf_structlog._runtime.decorate`).
        """
        from .decorate import decorate

        return decorate(fn, lambda args, kwargs: self._fresh())


def started_enabled() -> bool:
    """Whether logging is on (configuring on first use)."""
    ensure_configured()
    return STATE.enabled


def close_open_scopes(exc: BaseException | None = None) -> None:
    """End every scope this process opened and left open, innermost first.

    Called at exit (status ``"ok"``) and for an unhandled exception (*exc*: its status); a
    scope opened in another process is left to that process. Never raises.
    """
    with STATE.structure:
        roots = [root for root in STATE.roots if root.pid == STATE.pid]
    STATE.exiting = True
    try:
        for root in reversed(roots):
            if root.is_open:
                root._finish(None, exc)
    finally:
        STATE.exiting = False
