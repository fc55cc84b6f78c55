"""LangChain and LangGraph runs as our scopes: the work of :class:`~.langchain.WfCallbackHandler`.

- A run the program starts (a chain, a graph, a tool: the root of a tree of runs) outside any
  workflow opens one, named after the run; inside a workflow it joins it.
- Each LangGraph node is an interaction named after the node (a subgraph's nodes nest in the
  node that runs it).
- The calls of a root run outside any node land in an interaction named after the run, opened
  when the first one comes; in the program's own interaction if the run started in one.
- Each model call is an ``llm_call`` logged by :class:`._call.LLMCall`, as the SDKs' calls are;
  each tool call a ``tool_call`` action (``tool``, ``input``, ``output``, ``status``,
  ``duration_ms``), each retriever query a ``retrieval`` action (``retriever``, ``input``,
  ``output``: the documents). A model the program calls by itself, outside any chain, is
  logged where the program is, as an SDK call is.
- LangGraph's control flow is not an error: a node stopped by ``interrupt()`` ends
  ``interrupted``, one that hands a ``Command`` to its parent graph ends ``ok``.

LangChain calls a handler in whichever thread, task or executor runs the step, so every run is
placed by its ``parent_run_id``, never by a context variable (:mod:`._under`). While a model
run it logs is in flight, the SDK instrumentation stands aside (:data:`._call.QUIET`): the call
is logged once, here, with the structure around it.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, Final
from uuid import UUID

from .. import schema
from .._runtime import faults as _faults
from .._runtime.forksafe import renew_after_fork
from .._runtime.hooks import Work, ending, tell
from .._runtime.logger import get_logger
from .._runtime.scope import Scope, started_enabled
from .._runtime.state import STATE
from ..scopes.hierarchy import InteractionScope, WorkflowScope, current_scope
from . import _call
from ._langchain_fields import TokenFold, plain, result_fields, tool_output
from ._under import end_here, enter_here, open_run, under

NAME: Final = "langchain"

_MODEL_RUN: ContextVar[UUID | None] = ContextVar("wf_structlog_langchain_model", default=None)
"""The model run this context last started: while it is in flight, its SDK call is ours."""


def _request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    model = _call.given(kwargs, "model") or kwargs.get("model_name") or kwargs.get("ls_model")
    return {"model": model, "prompt": kwargs.get("messages")}


@functools.cache
def _api(provider: str, operation: str) -> _call.Api:
    """A model run of LangChain's, for *provider* (its ``ls_provider``: ``openai``, ...)."""
    return _call.Api(
        provider=provider,
        endpoint=NAME,
        request_id_header="",  # LangChain keeps no response headers
        request=_request,
        response=result_fields,
        fold=TokenFold,
        operation=operation,
    )


_ACTIONS: Final = {"tool": "tool_call", "retriever": "retrieval"}
"""The event of each kind of action run, by the key that names what ran."""


def _control_flow(error: BaseException) -> str | None:
    """The status a node ends with when LangGraph's control flow (not a failure) stopped it:
    ``interrupted`` for ``interrupt()``, ``ok`` for a ``Command`` to the parent graph."""
    names = {kind.__name__ for kind in type(error).__mro__}
    if "GraphInterrupt" in names:
        return "interrupted"
    return schema.STATUS_OK if "GraphBubbleUp" in names else None


def _is_node(name: str, metadata: Mapping[str, Any], tags: list[str]) -> bool:
    """Whether a chain run is a LangGraph node (its task's run, tagged with its step; the
    runs inside it inherit its metadata, not the tag)."""
    return metadata.get("langgraph_node") == name and any(t.startswith("graph:step:") for t in tags)


@dataclasses.dataclass(eq=False)
class _Run:
    """One run of LangChain's, as far as we follow it."""

    name: str
    parent: _Run | None
    input: Any = None
    turn: InteractionScope | None = None
    """The interaction this run is: a graph node, or a root run whose calls needed one."""
    base: Scope | None = None
    """A root run's: where its scopes open."""
    flow: WorkflowScope | None = None
    """A root run's: the workflow opened for it."""
    home: Scope | None = None
    """A call's (model, tool, retriever): the scope it is logged in, found when it starts."""
    call: _call.LLMCall | None = None
    fold: TokenFold | None = None
    t0: float = 0.0
    kind: str = "tool"
    """An action run's: what ran (a key of :data:`_ACTIONS`)."""
    call_id: Any = None
    """A tool run's: the id of the model's tool call it answers."""
    work: Work | None = None
    """An action run's: its live span, when tracing listens."""

    @property
    def root(self) -> _Run:
        run = self
        while run.parent is not None:
            run = run.parent
        return run


class Tracker:
    """The runs in flight, of every handler of ours (shared, so two handlers on one run log
    it once: the first to see a run follows it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[UUID, _Run] = {}
        renew_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._runs = {}  # the parent's runs, the parent logs

    def guard(self, what: str, fn: Callable[..., None], *args: Any) -> None:
        """``fn(*args)``, one callback at a time, when logging is on; a failure is said once,
        never raised."""
        try:
            if started_enabled():
                with self._lock:
                    fn(*args)
        except Exception as exc:
            _faults.report(f"instrument:{NAME}", f"logging {what} failed ({exc!r}); it went on")

    def in_model_run(self) -> bool:
        """Whether this context is inside a model run we log (then its SDK call is ours)."""
        run_id = _MODEL_RUN.get()
        return run_id is not None and run_id in self._runs  # one atomic lookup, no lock

    # -- runs ------------------------------------------------------------------------------

    def _new(self, run_id: UUID, parent_id: UUID | None, name: str, input: Any) -> _Run | None:
        if run_id in self._runs:
            return None  # another handler of ours follows it
        parent = self._runs.get(parent_id) if parent_id is not None else None
        run = self._runs[run_id] = _Run(name, parent, input)
        return run

    def _open_root(self, run: _Run) -> None:
        if run.parent is None:
            run.base, run.flow = open_run(run.name)
            if run.flow is not None:
                enter_here(run.flow)

    def _above(self, run: _Run | None) -> Scope | None:
        """The scope the steps of *run* go into: the nearest interaction at or above it, else
        where its root opens scopes."""
        while run is not None:
            if run.turn is not None:
                return run.turn
            if run.parent is None:
                return run.base
            run = run.parent
        return None

    def _home(self, run: _Run) -> Scope | None:
        """Where the call *run*, starting now, is logged: in the nearest interaction above it;
        else in its root's own, opened now."""
        scope = self._above(run.parent) if run.parent is not None else run.base
        root = run.root
        if isinstance(scope, InteractionScope):
            return scope
        turn = InteractionScope(root.name, plain(root.input), {})
        root.turn = under(root.base, turn.start)
        return root.turn

    def _end(
        self, run: _Run, output: Any, error: BaseException | None, status: str | None = None
    ) -> None:
        if error is not None:
            status = _control_flow(error)
            error = None if status is not None else error
        if run.turn is not None:
            if error is None:
                run.turn.output = plain(output)
            end_here(run.turn, error, status)
        if run.parent is None:
            if run.flow is not None:
                end_here(run.flow, error, status)
            for run_id, other in list(self._runs.items()):
                if other.root is run:  # runs left open under it (an abandoned stream)
                    del self._runs[run_id]

    # -- chains and graph nodes ------------------------------------------------------------

    def chain_start(
        self,
        run_id: UUID,
        parent_id: UUID | None,
        name: str,
        inputs: Any,
        metadata: Mapping[str, Any],
        tags: list[str],
        agent: bool,
    ) -> None:
        """A chain, a graph or a node starts: a node, or an *agent* (the legacy
        ``AgentExecutor``), opens its interaction."""
        run = self._new(run_id, parent_id, name, inputs)
        if run is None:
            return
        self._open_root(run)
        if agent or _is_node(name, metadata, tags):
            turn = InteractionScope(name, plain(inputs), {})
            run.turn = under(self._above(run.parent) or run.base, turn.start)
            enter_here(run.turn)

    def chain_end(self, run_id: UUID, outputs: Any, error: BaseException | None) -> None:
        """A chain ends (with *error*, if it raised): its interaction ends, and a root's
        workflow."""
        run = self._runs.pop(run_id, None)
        if run is not None:
            self._end(run, outputs, error)

    def agent_step(self, run_id: UUID, event: str, fields: dict[str, Any]) -> None:
        """An ``AgentExecutor`` (the run *run_id*) chose its next tool or its final answer:
        an *event* (``agent_action``, ``agent_finish``) in its interaction."""
        run = self._runs.get(run_id)
        if run is not None:
            step = {key: plain(value) for key, value in fields.items()}
            under(self._above(run), lambda: get_logger().info(event, **step))

    # -- model calls -----------------------------------------------------------------------

    def model_start(
        self,
        run_id: UUID,
        parent_id: UUID | None,
        prompt: Any,
        params: Mapping[str, Any],
        metadata: Mapping[str, Any],
    ) -> None:
        """A model run starts: its call is timed from here."""
        run = self._new(run_id, parent_id, str(metadata.get("ls_model_name") or "model"), None)
        if run is None:
            return
        # The program's own model call (no chain around it) is logged where the program is.
        run.home = run.base = current_scope() if run.parent is None else self._home(run)
        provider = str(metadata.get("ls_provider") or NAME)
        chat = metadata.get("ls_model_type", "chat") == "chat"
        api = _api(provider, "chat" if chat else "text_completion")
        kwargs = {**params, "ls_model": metadata.get("ls_model_name"), "messages": plain(prompt)}
        run.call = _call.LLMCall(api, kwargs)
        run.call.begin(None, run.home)  # its live span, current here until its first token
        run.fold = TokenFold(kwargs)
        _MODEL_RUN.set(run_id)

    def model_token(self, run_id: UUID, token: Any) -> None:
        """A streamed token arrived."""
        run = self._runs.get(run_id)
        if run is not None and run.call is not None and run.fold is not None:
            run.call.streaming = True
            run.call.first_chunk()
            run.call.left()  # the caller's code runs between tokens, not inside the call
            run.fold.add(token)

    def model_end(self, run_id: UUID, result: Any, error: BaseException | None) -> None:
        """A model run ended: its ``llm_call``, with what *result* says (or the text streamed
        so far, on *error*)."""
        run = self._runs.pop(run_id, None)
        if run is None or run.call is None or run.fold is None:
            return
        call = run.call
        if error is None:
            found, status = result_fields(result), schema.STATUS_OK
            if "input_tokens" not in found and "output_tokens" not in found:
                found[schema.USAGE_MISSING] = True  # unpriced, saying why (see the module)
        else:
            found, status = run.fold.fields(), _call.status_of(error)

        def end() -> None:
            call.end(status, found, error)

        call.left()  # here, where its span was made current
        if run.parent is None:  # the program's own model call: in the program's context
            end()
        else:
            under(run.home, end)

    # -- tools and retrievers --------------------------------------------------------------

    def action_start(
        self, run_id: UUID, parent_id: UUID | None, kind: str, name: str, input: Any, call_id: Any
    ) -> None:
        """A tool or retriever (*kind*) starts, answering the model's tool call *call_id* if
        any: timed from here."""
        run = self._new(run_id, parent_id, name, plain(input))
        if run is not None:
            self._open_root(run)
            run.kind, run.call_id, run.home = kind, call_id, self._home(run)
            run.t0 = time.perf_counter()
            if STATE.listeners:  # its live span, current here while the tool runs
                run.work = Work("tool", name, {}, run.home, _ACTIONS[kind])
                tell("work_started", run.work)

    def action_end(self, run_id: UUID, output: Any, error: BaseException | None) -> None:
        """A tool or retriever ended: its action, in error if it raised."""
        run = self._runs.pop(run_id, None)
        if run is None:
            return
        fields: dict[str, Any] = {run.kind: run.name, "input": run.input}
        call_id = run.call_id or getattr(output, "tool_call_id", None)  # on a ToolMessage
        if call_id is not None:
            fields["tool_call_id"] = call_id
        status = None if error is None else _control_flow(error)
        if status is not None:
            error = None
        if error is None:
            fields.update(output=tool_output(output), status=status or schema.STATUS_OK)
        else:
            fields.update(status=_call.status_of(error), error=str(error))
            fields["error_type"] = type(error).__qualname__
        fields["duration_ms"] = round((time.perf_counter() - run.t0) * 1000, 3)
        log = get_logger()
        method = log.info if error is None else log.error

        def logged() -> None:
            with ending(run.work):
                method(_ACTIONS[run.kind], **fields)

        if run.work is not None:
            tell("work_left", run.work)  # here, where its span was made current
        under(run.home, logged)
        if run.work is not None:
            tell("work_ended", run.work, error)
        if run.parent is None:
            self._end(run, fields.get("output"), error, status)


TRACKER: Final = Tracker()
"""The one tracker every handler of ours shares."""

_quiet_lock = threading.Lock()


def quiet_sdks() -> None:
    """From now on, the SDK instrumentation stands aside inside the model runs we log."""
    with _quiet_lock:
        if TRACKER.in_model_run not in _call.QUIET:
            _call.QUIET.append(TRACKER.in_model_run)
