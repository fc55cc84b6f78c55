"""Scopes as live OpenTelemetry spans, current in the OpenTelemetry context while they run.

:class:`LiveSpans` is told of every scope and call (:mod:`wf_structlog._runtime.hooks`) and
sees every event after the chain (it is a sink, so spans carry only redacted values):

* each workflow, iteration and interaction, each instrumented LLM call and each ``@action``
  call is a span started when it starts and ended when it ends; while a scope or call runs
  its span is the current one, so a span any other instrumentation opens inside (httpx, a
  database driver, your own) is its child;
* a span's attributes come from the events that start and end it (:mod:`.attributes`);
* other events are span events of the span they were logged in; an event naming a ``model``
  or a ``tool`` (an LLM or tool call logged by hand) is a span of its own, back-dated by its
  ``duration_ms``.

Spans are made through the application's ``TracerProvider`` when it set one (its resource,
sampler and processors apply), else through ours (:mod:`.export`). Our ids are the spans'
ids (:mod:`.ids`). While our instrumentation makes an LLM call's span, OpenTelemetry
instrumentations below it (``openinference-instrumentation-openai``, httpx) are suppressed,
so a call is one span, with our redacted content, counted once.
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)

from .. import schema
from .._runtime import hooks
from .._runtime.scope import Scope
from .._runtime.state import CURRENT
from ..typing import EventDict
from . import attributes
from .export import Export
from .ids import OurIds, chosen

__all__ = ["LiveSpans", "provider_of_application"]

_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_OURS: weakref.WeakSet[object] = weakref.WeakSet()
"""Tracer providers we made (not the application's)."""
_LLM_EVENT: Final = "llm_call"


@dataclasses.dataclass
class _Live:
    """A span of ours, with what it takes to make it current and stop being so."""

    span: Span
    tracer: Tracer
    kind: str
    name: str = ""
    context: Context | None = None
    token: object = None

    def enter(self, suppress: bool = False) -> None:
        ctx = trace.set_span_in_context(self.span)
        if suppress:
            ctx = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, ctx)
        self.context, self.token = ctx, otel_context.attach(ctx)

    def leave(self) -> None:
        # Only where it was entered: a scope closed from another thread or task is not current
        # there, and detaching there would undo that context's own spans.
        if self.token is not None and otel_context.get_current() is self.context:
            otel_context.detach(self.token)  # type: ignore[arg-type]
        self.token = None


def provider_of_application() -> Any | None:
    """The tracer provider the application set, if it is an SDK one (not ours)."""
    provider = trace.get_tracer_provider()
    if provider in _OURS or not hasattr(provider, "add_span_processor"):
        return None
    return provider


def _our_tracer(provider: Any) -> Tracer | None:
    tracer = provider.get_tracer("wf_structlog", "0.1.0")
    generator = getattr(tracer, "id_generator", None)
    if generator is None:
        return None  # not the SDK's tracer: its ids cannot be ours, so no live spans
    if not isinstance(generator, OurIds):
        tracer.id_generator = OurIds(generator)  # our tracer object only, not the provider
    return tracer  # type: ignore[no-any-return]


def _scope_span(scope: Scope) -> tuple[str, dict[str, Any]]:
    stamp = scope.stamp
    if scope.kind == "workflow":
        name = str(stamp.get("workflow"))
        return f"invoke_workflow {name}", {
            "gen_ai.operation.name": "invoke_workflow",
            "gen_ai.workflow.name": name,
            "openinference.span.kind": "CHAIN",
        }
    if scope.kind == "iteration":
        return f"iteration {stamp.get('iteration')}", {"openinference.span.kind": "CHAIN"}
    agent = str(stamp.get("agent"))
    return f"invoke_agent {agent}", {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "openinference.span.kind": "AGENT",
    }


def _work_span(work: hooks.Work) -> tuple[str, SpanKind, dict[str, Any]]:
    if work.kind == "tool":
        return (
            f"execute_tool {work.name}",
            SpanKind.INTERNAL,
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": work.name},
        )
    known = work.attributes
    found = {
        attributes.GEN_AI[k]: known[k] for k in ("provider", "operation", "model") if k in known
    }
    if "server_address" in known:
        found["server.address"] = known["server_address"]
        found["server.port"] = known["server_port"]
    return f"{known.get('operation', 'chat')} {work.name}", SpanKind.CLIENT, found


_MODEL_OPERATIONS: Final = frozenset({"chat", "text_completion", "generate_content"})
"""``gen_ai.operation.name`` of a span that is one model call (GenAI conventions)."""


def _framework_call_span(span: Span, tool: object = None) -> bool:
    """Whether *span* (the current one) is a call's span made by a framework's own
    instrumentation: a model call's (PydanticAI's ``chat <model>``), or with *tool* that tool's
    execution (``execute_tool <tool>``). The call we log inside it is that very call, and a
    second span would show it twice (and count a model call's tokens twice) in a backend."""
    found = getattr(span, "attributes", None) if span.is_recording() else None
    if found is None:
        return False
    operation = found.get("gen_ai.operation.name")
    if tool is None:
        return operation in _MODEL_OPERATIONS
    return bool(operation == "execute_tool" and found.get("gen_ai.tool.name") == tool)


def _fail(span: Span, event: EventDict) -> None:
    """Mark *span* failed when *event* (its end) says so: status, ``error.type``, and the
    exception as an ``exception`` span event."""
    failed = event.get("status") == schema.STATUS_ERROR or event.get("level") in schema.ERROR_LEVELS
    if not failed:
        return
    exception = event.get("exception")
    found = attributes.exception_attributes(exception) if exception is not None else {}
    message = found.get("exception.message") or event.get("error")
    span.set_status(Status(StatusCode.ERROR, str(message) if message else None))
    span.set_attribute(
        "error.type", str(event.get("error_type") or found.get("exception.type") or "_OTHER")
    )
    if found:
        span.add_event("exception", found)


class LiveSpans:
    """Live spans for scopes and calls (see the module); a listener and a sink.

    Args:
        export: our own provider and exporter, when the application has no provider.
    """

    def __init__(self, export: Export | None = None) -> None:
        self._export = export
        if export is not None:
            _OURS.add(export.provider)
            if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
                trace.set_tracer_provider(export.provider)  # so other instrumentation nests
        self._open: dict[str, _Live] = {}
        hooks.add_listener(self)

    @property
    def dropped(self) -> int:
        """How many spans our export could not send (0 with the application's provider)."""
        return self._export.dropped if self._export is not None else 0

    def _tracer(self) -> Tracer | None:
        if self._export is not None:
            return _our_tracer(self._export.provider)
        provider = provider_of_application()
        return _our_tracer(provider) if provider is not None else None

    # -- the listener ------------------------------------------------------------------------

    def scope_opened(self, scope: Scope) -> None:
        """Start *scope*'s span, as its parent scope's child (a workflow: a root)."""
        parent = scope.parent
        tracer = (
            parent.live.tracer if parent is not None and isinstance(parent.live, _Live) else None
        )
        tracer = tracer or self._tracer()
        if tracer is None:
            return
        context, links = self._parent_context(scope)
        name, known = _scope_span(scope)
        with chosen(str(scope.stamp["workflow_id"]), scope.span_id):
            span = tracer.start_span(name, context=context, attributes=known, links=links)
        scope.live = self._open[scope.span_id] = _Live(span, tracer, scope.kind)

    def _parent_context(self, scope: Scope) -> tuple[Context | None, list[Link]]:
        parent = scope.parent
        if parent is not None:
            if isinstance(parent.live, _Live):
                return trace.set_span_in_context(parent.live.span, Context()), []
            remote = SpanContext(  # a scope of another process: its span is exported there
                int(scope.stamp["workflow_id"], 16), int(parent.span_id, 16), True, _SAMPLED
            )
            return trace.set_span_in_context(NonRecordingSpan(remote), Context()), []
        around = trace.get_current_span().get_span_context()
        if around.is_valid and f"{around.trace_id:032x}" == scope.stamp["workflow_id"]:
            return None, []  # the run joined the application's trace: a child of its span
        return Context(), [Link(around)] if around.is_valid else []

    def scope_entered(self, scope: Scope) -> None:
        """Make *scope*'s span the current one in this context."""
        if isinstance(scope.live, _Live):
            scope.live.enter()

    def scope_closed(self, scope: Scope, status: str, exc: BaseException | None) -> None:
        """End *scope*'s span (its end event has set its attributes and status)."""
        live = scope.live
        if isinstance(live, _Live):
            self._open.pop(scope.span_id, None)
            live.leave()
            live.span.end()

    def work_started(self, work: hooks.Work) -> None:
        """Start the span of an LLM or tool call, current while the SDK or tool runs; none
        for an LLM call that a framework's own span describes already."""
        if work.kind == "llm" and _framework_call_span(trace.get_current_span()):
            return
        scope = work.scope or CURRENT.get()
        scope_live = scope.live if scope is not None and isinstance(scope.live, _Live) else None
        tracer = scope_live.tracer if scope_live is not None else self._tracer()
        if tracer is None:
            return
        name, kind, known = _work_span(work)
        parent = None  # the current span: the scope's, or one inside it
        if work.scope is not None and scope_live is not None:
            parent = trace.set_span_in_context(scope_live.span, Context())
        span = tracer.start_span(name, context=parent, kind=kind, attributes=known)
        live = _Live(span, tracer, work.kind)
        live.name = work.name
        live.enter(suppress=work.kind == "llm")
        work.live = live

    def work_left(self, work: hooks.Work) -> None:
        """The caller's code runs again: the call's span is no longer current."""
        if isinstance(work.live, _Live):
            work.live.leave()

    def work_ended(self, work: hooks.Work, exc: BaseException | None) -> None:
        """End the call's span."""
        if isinstance(work.live, _Live):
            work.live.leave()
            work.live.span.end()

    # -- the sink ----------------------------------------------------------------------------

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Put what *event_dict* says on the span it belongs to."""
        name = str(event_dict.get("event"))
        work = hooks.ENDING.get()
        own = work is not None and name == (
            work.event or (_LLM_EVENT if work.kind == "llm" else work.name)
        )
        if work is not None and own:
            if isinstance(work.live, _Live):  # none: a framework's span is the call's
                self._call_ended(work.live, event_dict)
            return
        live = self._open.get(str(event_dict.get("span_id")))
        if live is None:
            return  # outside any live scope
        kind, phase = schema.SCOPE_EVENTS.get(name, ("", ""))
        if phase:
            live.span.set_attributes(attributes.scope(kind, event_dict))
            if phase == "end":
                _fail(live.span, event_dict)
        elif name == schema.METADATA_EVENT:
            live.span.set_attributes(attributes.event_attributes(event_dict, frozenset({"level"})))
        elif "model" in event_dict or "tool" in event_dict:
            self._logged_call(live, event_dict)
        else:
            self._span_event(live, name, event_dict)

    def _call_ended(self, live: _Live, event: EventDict) -> None:
        if live.kind == "llm":
            live.span.set_attributes(attributes.llm(event))
            scope = self._open.get(str(event.get("interaction_id")))
            if scope is not None and event.get("provider"):
                scope.span.set_attribute("gen_ai.provider.name", str(event["provider"]))
        else:
            live.span.set_attributes(attributes.tool(live.name, event))
        _fail(live.span, event)

    def _span_event(self, live: _Live, name: str, event: EventDict) -> None:
        current = trace.get_current_span()
        context = current.get_span_context()
        target = live.span
        if current.is_recording() and context.trace_id == live.span.get_span_context().trace_id:
            target = current  # a call's span, or the application's own, inside the scope
        target.add_event(name, attributes.event_attributes(event))

    def _logged_call(self, live: _Live, event: EventDict) -> None:
        """An LLM or tool call logged by hand: a span of its own, back-dated; none when a
        framework's span of that call is current (it is the call's span)."""
        if _framework_call_span(trace.get_current_span(), event.get("tool")):
            return
        end = time.time_ns()
        duration = event.get("duration_ms")
        start = end - int(duration * 1_000_000) if isinstance(duration, int | float) else end
        if "model" in event:
            name, kind = f"{event.get('operation', 'chat')} {event['model']}", SpanKind.CLIENT
            found = attributes.llm(event)
        else:
            name, kind = f"execute_tool {event['tool']}", SpanKind.INTERNAL
            found = attributes.tool(str(event["tool"]), event)
        found["wf.event"] = str(event.get("event"))
        context = trace.set_span_in_context(live.span, Context())
        span = live.tracer.start_span(
            name, context=context, kind=kind, attributes=found, start_time=start
        )
        _fail(span, event)
        span.end(end_time=end)

    def flush(self) -> None:
        """Export what has ended (our export only; bounded)."""
        if self._export is not None:
            self._export.flush()

    def close(self) -> None:
        """Stop being told of scopes; stop our export (bounded)."""
        hooks.remove_listener(self)
        if self._export is not None:
            self._export.close()
