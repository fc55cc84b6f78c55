"""Carry the current scope to other threads and processes, so their events join the same tree.

* In this process, :func:`wrap` binds a function to the caller's context (its scopes and its
  ``bind_contextvars``), for a thread or an executor.
* Across processes, :func:`carrier` names the current scope in a small dict of strings (with a
  W3C ``traceparent``); :func:`attach` continues that scope in the other process. A process
  started with :func:`carrier_env` in its environment attaches by itself on first use.
* A function from :func:`wrap` does both: called in this process it runs in the caller's
  context; pickled to another (a ``ProcessPoolExecutor``, ``multiprocessing`` with ``spawn``)
  it carries a :func:`carrier` and attaches to it there.
* A carrier pickled to another process also takes this process's settings along: a child that
  does not call ``configure()`` itself logs as its parent does (see
  :mod:`wf_structlog.config.inherit`). :func:`attach` configures logging before it attaches, so
  threads the child starts in the block carry the scope too.

A carrier that cannot be read (it may come from outside) is ignored, as W3C Trace Context
asks, and that is said once on stderr.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Generic, ParamSpec, TypeVar

import orjson

from .._runtime import faults as _faults
from .._runtime.scope import Scope
from .._runtime.state import CURRENT, STATE, current, ensure_configured
from .hierarchy import InteractionScope, IterationScope, WorkflowScope

__all__ = ["ENV_SCOPE", "ENV_TRACEPARENT", "attach", "carrier", "carrier_env", "wrap"]

P = ParamSpec("P")
R = TypeVar("R")

ENV_TRACEPARENT: Final = "TRACEPARENT"
"""The environment variable W3C's environment-carrier proposal and OpenTelemetry use."""
ENV_SCOPE: Final = "WF_LOG_SCOPE"
"""Our environment variable for the rest of the scope (names, iteration, agent)."""

_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_SPAN_ID = re.compile(r"[0-9a-f]{16}")
_MAX_TEXT = 1000


def carrier() -> dict[str, str]:
    """The current scope, as strings another process can :func:`attach` to.

    Returns:
        ``{"traceparent": "00-<workflow id>-<scope id>-01", "wf_scope": "<json>"}``, or ``{}``
        outside any scope (or when logging is off). Both values are safe in HTTP headers.
    """
    scope = current()
    if scope is None:
        return {}
    stamp = scope.stamp
    workflow = workflow_of(scope)
    rest: dict[str, Any] = {
        "workflow": stamp["workflow"],
        "workflow_span_id": workflow.span_id,
        "iterations": workflow._iterations,
    }
    for key in ("iteration", "iteration_id", "interaction_id", "agent"):
        if key in stamp:
            rest[key] = stamp[key]
    return _Carrier(
        traceparent=f"00-{stamp['workflow_id']}-{scope.span_id}-01",
        wf_scope=orjson.dumps(rest).decode(),
    )


class _Carrier(dict[str, str]):
    """A carrier: a plain dict of strings, which pickled (to a process started by ``spawn``
    or ``forkserver``) takes this process's settings along, so the child logs as this one
    does (see :mod:`wf_structlog.config.inherit`). As text it names the scope alone."""

    def __reduce__(self) -> tuple[Any, ...]:
        if STATE.portable is None and STATE.unportable:
            _faults.report(
                "unportable",
                "a carrier went to another process without this one's settings "
                f"({STATE.unportable}): it configures from its environment",
            )
        return (_carried, (dict(self), STATE.portable))


def _carried(found: dict[str, str], settings: bytes | None) -> dict[str, str]:
    """A carrier unpickled: the settings it brought wait for this process's first use."""
    if settings is not None and not STATE.configured:
        STATE.inherited = settings
    return _Carrier(found)


def carrier_env() -> dict[str, str]:
    """:func:`carrier` as environment variables, for a child process.

    ``subprocess.run(cmd, env={**os.environ, **carrier_env()})`` starts a child whose events
    continue the current scope. Outside any scope, the variables are set empty, so a child
    does not continue a scope this process was itself attached to earlier.
    """
    found = carrier()
    return {ENV_TRACEPARENT: found.get("traceparent", ""), ENV_SCOPE: found.get("wf_scope", "")}


@contextlib.contextmanager
def attach(found: Mapping[str, str] | None) -> Iterator[Scope | None]:
    """Continue, in this process, the scope a :func:`carrier` names.

    Events logged in the block are stamped with that scope's ids (and ``attached``), and scopes
    opened in it become its children. With ``None``, ``{}``, or a carrier that cannot be
    read, the block runs as it would have without it.

    Args:
        found: what :func:`carrier` returned in the other process (only ``traceparent`` is
            needed; ``wf_scope`` adds the names).

    Yields:
        The attached scope, or ``None``.
    """
    ensure_configured()  # threads started in the block then carry the scope (threads="auto")
    scope = _scope_from(found)
    if scope is None:
        yield None
        return
    token = CURRENT.set(scope)
    try:
        yield scope
    finally:
        CURRENT.reset(token)


def root_from_environment(environ: Mapping[str, str]) -> Scope | None:
    """The scope named by ``TRACEPARENT`` / ``WF_LOG_SCOPE`` in *environ*, if any."""
    traceparent = environ.get(ENV_TRACEPARENT, "")
    if not traceparent:
        return None
    return _scope_from({"traceparent": traceparent, "wf_scope": environ.get(ENV_SCOPE, "")})


@functools.lru_cache(maxsize=64)
def _parse(traceparent: str, rest_json: str) -> Scope | None:
    """The remote scope, or ``None``; cached so that one carrier gives one scope object."""
    match = _TRACEPARENT.fullmatch(traceparent.strip())
    if match is None or set(match[1]) == {"0"} or set(match[2]) == {"0"}:
        raise ValueError(f"traceparent {traceparent[:80]!r} is not a W3C traceparent")
    run_id, span_id = match[1], match[2]
    rest = orjson.loads(rest_json) if rest_json else {}
    if not isinstance(rest, dict):
        raise ValueError("wf_scope is not a JSON object")
    name, agent = _text(rest.get("workflow"), "workflow"), _text(rest.get("agent"), "agent")
    number, iterations = _number(rest, "iteration"), _number(rest, "iterations")
    iteration_id, interaction_id = _span(rest, "iteration_id"), _span(rest, "interaction_id")
    workflow = WorkflowScope(name or "remote", {})
    workflow.run_id = run_id
    workflow._iterations = iterations or 0
    scope: Scope = _opened_elsewhere(workflow, None, _span(rest, "workflow_span_id") or span_id)
    if iteration_id is not None:
        iteration = IterationScope(None, {})
        iteration.number = number or 0
        scope = _opened_elsewhere(iteration, scope, iteration_id)
    if interaction_id is not None:
        scope = _opened_elsewhere(InteractionScope(agent or "", None, {}), scope, interaction_id)
    if scope.span_id != span_id:
        raise ValueError("traceparent and wf_scope name different scopes")
    return scope


def _scope_from(found: Mapping[str, str] | None) -> Scope | None:
    if not found or not STATE.enabled:
        return None
    try:
        traceparent = found.get("traceparent") or found.get(ENV_TRACEPARENT) or ""
        rest = found.get("wf_scope") or found.get(ENV_SCOPE) or ""
        if not isinstance(traceparent, str) or not isinstance(rest, str):
            raise ValueError("carrier values must be strings")
        return _parse(traceparent, rest) if traceparent else None
    except (ValueError, TypeError, AttributeError) as exc:
        _faults.report("carrier", f"ignored a carrier that cannot be read: {exc}")
        return None


def _opened_elsewhere(scope: Scope, parent: Scope | None, span_id: str) -> Scope:
    """*scope* as an open scope of another process: it is never started or ended here."""
    return scope.attach_remote(parent, span_id)


def _span(rest: Mapping[str, Any], key: str) -> str | None:
    value = rest.get(key)
    if value is not None and not (isinstance(value, str) and _SPAN_ID.fullmatch(value)):
        raise ValueError(f"{key} {value!r} is not 16 hex digits")
    return value


def _text(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return None if value is None else value[:_MAX_TEXT]


def _number(rest: Mapping[str, Any], key: str) -> int | None:
    value = rest.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ValueError(f"{key} must be an integer")
    return value


def workflow_of(scope: Scope) -> WorkflowScope:
    while not isinstance(scope, WorkflowScope):
        assert scope.parent is not None
        scope = scope.parent
    return scope


class _Wrapped(Generic[P, R]):
    """A function bound to its caller's context; pickled, it carries a :func:`carrier`."""

    def __init__(
        self,
        fn: Callable[P, R],
        context: contextvars.Context | None,
        found: Mapping[str, str] | None = None,
    ) -> None:
        self._fn = fn
        self._context = context
        self._carrier = found
        functools.update_wrapper(self, fn, updated=())

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._context is not None:
            # A copy per call: one context cannot be entered by two threads at once.
            return self._context.copy().run(self._fn, *args, **kwargs)
        with attach(self._carrier):
            return self._fn(*args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        found = self._context.run(carrier) if self._context is not None else self._carrier
        return (_Wrapped, (self._fn, None, found))


def wrap(fn: Callable[P, R]) -> Callable[P, R]:
    """*fn*, bound to the current scope: call it in a thread, or send it to another process.

    Args:
        fn: any callable; to go to another process it must be picklable (a module-level
            function), as ``ProcessPoolExecutor`` already requires.

    Example::

        with wf_structlog.interaction("researcher"):
            pool.submit(wf_structlog.wrap(search), query)
    """
    return _Wrapped(fn, contextvars.copy_context())
