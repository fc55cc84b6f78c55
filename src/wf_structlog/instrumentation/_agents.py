"""The OpenAI Agents SDK (``openai-agents``) logged by a ``TracingProcessor`` of ours.

Each agent run is an interaction (a handoff ends one agent's and the next agent's opens), each
function tool an action (``tool_call``), each handoff an action (``handoff``), and each model
call (a ``response`` or ``generation`` span) an ``llm_call``. A run outside any workflow opens
one, named after the trace. The SDK's own exporter is left as the user set it: ours is added
beside it with ``add_trace_processor``.

The model calls the SDK makes through the openai client are logged here, from the span, and
not a second time by the openai instrumentation: while an Agents model span is current, that
instrumentation stands aside (:data:`_call.QUIET`).

The processor's callbacks run in the SDK's tasks, where a context variable set would leak or
be lost; so scopes are opened and written under explicit parents, each in a copied context.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import schema
from .._runtime import faults as _faults
from .._runtime.logger import get_logger
from .._runtime.scope import Scope
from .._runtime.state import CURRENT
from ..cost import normalise
from ..scopes.hierarchy import InteractionScope, WorkflowScope, current_scope, workflow_of
from . import _call, _openai

_NAME: Final = "openai_agents"
_MODEL_SPANS: Final = frozenset({"response", "generation"})


def _in(scope: Scope | None, fn: Callable[[], Any]) -> Any:
    """*fn()* with *scope* current, in a copy of the context (the caller's stays as it was)."""

    def run() -> Any:
        CURRENT.set(scope)
        return fn()

    return contextvars.copy_context().run(run)


def _status(span: Any) -> str:
    return schema.STATUS_ERROR if span.error else schema.STATUS_OK


def _generation_fields(data: Any) -> dict[str, Any]:
    output = data.output or []
    texts = [m.get("content") for m in output if isinstance(m, Mapping)]
    return {
        "model": data.model,
        "prompt": data.input,
        "response": " ".join(t for t in texts if isinstance(t, str)) or None,
        **normalise("openai", data.usage),
    }


def _model_fields(data: Any) -> tuple[_call.Api, dict[str, Any]]:
    if data.type == "generation":
        return _openai.CHAT, _generation_fields(data)
    found = _openai.responses_fields(data.response) if data.response is not None else {}
    found["prompt"] = data.input
    return _openai.RESPONSES, found


class Processor:
    """The ``TracingProcessor``: traces and spans of the Agents SDK as our scopes."""

    def __init__(self) -> None:
        self.active = True
        self._lock = threading.Lock()
        self._parents: dict[str, Scope | None] = {}
        """Per trace: the scope its agents' interactions open under."""
        self._workflows: dict[str, WorkflowScope] = {}
        """Per trace: the workflow we opened for it (none when the user had one open)."""
        self._open: dict[str, InteractionScope] = {}
        """Per trace: the interaction of the agent running now."""
        self._calls: dict[str, _call.LLMCall] = {}
        """Per model span: the call, timed from the span's start."""

    def _guard(self, what: str, fn: Callable[[], None]) -> None:
        if not self.active:
            return
        try:
            with self._lock:
                fn()
        except Exception as exc:
            _faults.report(f"instrument:{_NAME}", f"logging {what} failed ({exc!r}); it went on")

    def on_trace_start(self, trace: Any) -> None:
        """Note where the run's interactions go; open a workflow when none is open."""
        self._guard("an agents trace", lambda: self._trace_start(trace))

    def _trace_start(self, trace: Any) -> None:
        here = current_scope()
        if workflow_of(here) is None:
            flow = _in(None, lambda: WorkflowScope(trace.name, {}).start())
            self._workflows[trace.trace_id] = flow
            here = flow
        self._parents[trace.trace_id] = here

    def on_trace_end(self, trace: Any) -> None:
        """End the last agent's interaction and the workflow opened for the run."""
        self._guard("an agents trace", lambda: self._trace_end(trace.trace_id))

    def _trace_end(self, trace_id: str) -> None:
        self._end_interaction(trace_id, schema.STATUS_OK)
        self._parents.pop(trace_id, None)
        flow = self._workflows.pop(trace_id, None)
        if flow is not None:
            _in(flow, flow.end)

    def _end_interaction(self, trace_id: str, status: str) -> None:
        turn = self._open.pop(trace_id, None)
        if turn is not None and turn.is_open:
            _in(turn, lambda: turn.end(status))

    def on_span_start(self, span: Any) -> None:
        """An agent opens its interaction; a model call starts its clock."""
        self._guard("an agents span", lambda: self._span_start(span))

    def _span_start(self, span: Any) -> None:
        kind = span.span_data.type
        if kind == "agent":
            self._end_interaction(span.trace_id, schema.STATUS_OK)
            turn = InteractionScope(span.span_data.name, None, {})
            self._open[span.trace_id] = _in(self._parents.get(span.trace_id), turn.start)
        elif kind in _MODEL_SPANS:
            self._calls[span.span_id] = _call.LLMCall(_openai.RESPONSES, {})

    def on_span_end(self, span: Any) -> None:
        """Log a model call, a tool call or a handoff in the agent's interaction."""
        self._guard("an agents span", lambda: self._span_end(span))

    def _span_end(self, span: Any) -> None:
        data = span.span_data
        turn = self._open.get(span.trace_id)
        if data.type == "agent":
            if span.error:
                self._end_interaction(span.trace_id, schema.STATUS_ERROR)
        elif data.type in _MODEL_SPANS:
            call = self._calls.pop(span.span_id, None)
            if call is not None:
                call.api, found = _model_fields(data)
                _in(turn, lambda: call.end(_status(span), found))
                if turn is not None and found.get("response"):
                    turn.output = found["response"]  # the agent's last word is its output
        elif data.type == "function":
            fields = {"tool": data.name, "input": data.input, "output": data.output}
            self._action(turn, "tool_call", span, fields)
        elif data.type == "handoff":
            self._action(turn, "handoff", span, {"from": data.from_agent, "to": data.to_agent})

    def _action(self, turn: Scope | None, event: str, span: Any, fields: dict[str, Any]) -> None:
        fields["status"] = _status(span)
        if span.error:
            detail = span.error.get("data") or {}
            fields["error"] = detail.get("error") or span.error.get("message")
        log = get_logger()
        method = log.error if span.error else log.info
        _in(turn, lambda: method(event, **fields))

    def shutdown(self) -> None:
        """Nothing to flush: every event was written when its span ended."""

    def force_flush(self) -> None:
        """Nothing to flush: every event was written when its span ended."""


_processor: Processor | None = None


def _in_model_span() -> bool:
    from agents.tracing import get_current_span  # the optional SDK, there once installed

    span = get_current_span()
    return span is not None and getattr(span.span_data, "type", None) in _MODEL_SPANS


def install() -> Callable[[], None]:
    """Add our processor to the SDK's (once per process: the SDK cannot remove one), and quiet
    the openai instrumentation inside its model spans; returns what turns both off."""
    global _processor
    import agents  # the optional SDK: ImportError when absent

    if _processor is None:
        # The SDK's base class, abstract, is only importable once the SDK is installed.
        made: Any = type("WfTracingProcessor", (Processor, agents.TracingProcessor), {})()
        agents.add_trace_processor(made)
        _processor = made
    processor = _processor
    processor.active = True
    _call.QUIET.append(_in_model_span)

    def undo() -> None:
        processor.active = False
        _call.QUIET.remove(_in_model_span)

    return undo
