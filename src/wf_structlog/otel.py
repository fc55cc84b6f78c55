"""OpenTelemetry export: each run becomes a trace, sent over OTLP/HTTP to a collector.

``configure(otlp=True)`` (or ``WF_LOG_OTLP=true``) adds an :class:`OTelSink`. Like every sink it
sees events after redaction. It turns them into spans with the ids wf_structlog already stamps:
the workflow's id is the trace id, and each scope's id its span id.

* Workflow, iteration and interaction scopes become spans, each the child of its parent scope.
  A workflow started inside the program's own OpenTelemetry span is that span's child.
* Each action (an event inside an interaction) becomes a child span of its interaction, lasting
  its ``duration_ms``. Other events become span events of their scope's span.
* GenAI semantic conventions name what they cover: ``gen_ai.operation.name``,
  ``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.response.model``,
  ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``, ``gen_ai.agent.name``,
  ``gen_ai.tool.name``, ``error.type``. Every other field is an attribute ``wf.<key>``.

Where spans go is OpenTelemetry's to say: the standard ``OTEL_EXPORTER_OTLP_*`` variables
(endpoint, headers, timeout, ...), ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``;
without a service name, the program's name is used. Spans are exported by a thread of
the sink's own, at the end of every workflow and every few seconds; at exit the sink waits a
bounded time for them. A collector that cannot be reached costs the program nothing: the
exporter's retries are bounded by its timeout, then the spans are dropped and counted
(:attr:`OTelSink.dropped`), and that is said once on stderr.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

import orjson
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from . import schema
from ._runtime import faults as _faults
from ._runtime import forksafe as _forksafe
from ._runtime.ids import new_span_id
from .scopes.hierarchy import program_name
from .typing import EventDict

__all__ = ["OTelSink"]

_BATCH: Final = 512
"""Spans that make the export thread send without waiting for the end of a workflow."""
_EVERY_SECONDS: Final = 5.0
"""How often the export thread sends what a long workflow has finished so far."""
_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_SCOPE: Final = InstrumentationScope("wf_structlog", "0.1.0")

_GEN_AI: Final = {
    "operation": "gen_ai.operation.name",
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.request.model",
    "response_model": "gen_ai.response.model",
    "response_id": "gen_ai.response.id",
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "tool": "gen_ai.tool.name",
    "error_type": "error.type",
}
"""Event keys with a GenAI semantic-convention name."""

_LEFT_OUT: Final = schema.STAMP_KEYS | {"event", "timestamp", "agent", "trace_parent_span_id"}
"""Keys the span itself says (ids, name, times): not repeated as attributes."""


def _nanoseconds(timestamp: object) -> int | None:
    if not isinstance(timestamp, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _value(value: Any) -> Any:
    """An attribute value: primitives as they are, anything else as JSON text."""
    if isinstance(value, str | bool | int | float):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _attributes(event: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes an event's own fields make (GenAI names where they exist)."""
    found: dict[str, Any] = {}
    for key, value in event.items():
        if key in _LEFT_OUT or value is None:
            continue
        found[_GEN_AI.get(key, f"wf.{key}")] = _value(value)
    if "model" in event and "operation" not in event:
        found["gen_ai.operation.name"] = "chat"  # an LLM call logged by hand
    finish = event.get("finish_reason")
    if isinstance(finish, str):
        found["gen_ai.response.finish_reasons"] = (finish,)
    return found


def _status(event: Mapping[str, Any], attributes: dict[str, Any]) -> Status:
    failed = event.get("status") == schema.STATUS_ERROR or event.get("level") in {
        "error",
        "critical",
    }
    if not failed:
        return Status(StatusCode.UNSET)
    exception = event.get("exception")
    kind = exception.get("type") if isinstance(exception, Mapping) else None
    attributes.setdefault("error.type", kind or "_OTHER")
    message = exception.get("message") if isinstance(exception, Mapping) else event.get("error")
    return Status(StatusCode.ERROR, str(message) if message else None)


def _context(trace_id: str, span_id: str, remote: bool = False) -> SpanContext:
    return SpanContext(int(trace_id, 16), int(span_id, 16), remote, _SAMPLED)


@dataclasses.dataclass
class _Open:
    """A scope whose start was seen and whose end was not yet."""

    name: str
    trace_id: str
    parent: SpanContext | None
    start: int | None
    attributes: dict[str, Any]
    events: list[Event] = dataclasses.field(default_factory=list)


def _scope_name(kind: str, event: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if kind == "workflow":
        return f"workflow {event.get('workflow')}", {"wf.workflow": str(event.get("workflow"))}
    if kind == "iteration":
        return f"iteration {event.get('iteration')}", {"wf.iteration": event.get("iteration", 0)}
    agent = str(event.get("agent"))
    return f"invoke_agent {agent}", {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
    }


def _action_name(event: Mapping[str, Any]) -> str:
    if "model" in event:
        return f"{event.get('operation', 'chat')} {event['model']}"
    if "tool" in event:
        return f"execute_tool {event['tool']}"
    return str(event.get("event"))


class OTelSink:
    """A sink that exports runs as OpenTelemetry spans.

    Args:
        exporter: where spans go; by default an ``OTLPSpanExporter`` configured by the
            ``OTEL_EXPORTER_OTLP_*`` environment variables.
        max_queue: spans waiting for export; past that, new ones are dropped and counted.
        flush_seconds: the longest :meth:`flush` waits (at exit) for the export to finish.
    """

    def __init__(
        self,
        exporter: SpanExporter | None = None,
        *,
        max_queue: int = 4096,
        flush_seconds: float = 5.0,
    ) -> None:
        self._exporter = exporter if exporter is not None else OTLPSpanExporter()
        self._resource = Resource.create()
        if str(self._resource.attributes.get("service.name")).startswith("unknown_service"):
            # Neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES named it: the program does.
            self._resource = self._resource.merge(Resource({"service.name": program_name()}))
        self._open: dict[str, _Open] = {}
        self._lock = threading.Lock()
        self._queue = _ExportQueue(self._exporter, max_queue, flush_seconds)
        _forksafe.renew_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    @property
    def dropped(self) -> int:
        """How many spans could not be exported (collector unreachable, queue full)."""
        return self._queue.dropped

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Turn one event into a span, a span's start, or a span event."""
        trace_id = event_dict.get("workflow_id")
        span_id = event_dict.get("span_id")
        if not isinstance(trace_id, str) or not isinstance(span_id, str):
            return  # outside any workflow: not part of a trace
        name = event_dict.get("event")
        kind, phase = schema.SCOPE_EVENTS.get(str(name), ("", ""))
        with self._lock:
            if phase == "start":
                self._open[span_id] = self._opened(kind, trace_id, event_dict)
            elif phase == "end":
                self._queue.put(self._closed(kind, trace_id, span_id, event_dict))
                if kind == "workflow":
                    self._queue.wake()
            elif name == schema.METADATA_EVENT and span_id in self._open:
                self._open[span_id].attributes.update(_metadata(event_dict.get("metadata")))
            elif "interaction_id" in event_dict or span_id not in self._open:
                self._queue.put(self._action(trace_id, span_id, event_dict))
            else:
                self._open[span_id].events.append(self._event(event_dict))

    def _opened(self, kind: str, trace_id: str, event: Mapping[str, Any]) -> _Open:
        name, attributes = _scope_name(kind, event)
        attributes.update(_attributes(event))
        attributes.update(_metadata(event.get("metadata")))
        attributes.pop("wf.metadata", None)
        parent_id = event.get("parent_span_id") or event.get("trace_parent_span_id")
        parent = None
        if isinstance(parent_id, str):
            parent = _context(trace_id, parent_id, remote="parent_span_id" not in event)
        return _Open(name, trace_id, parent, _nanoseconds(event.get("timestamp")), attributes)

    def _closed(
        self, kind: str, trace_id: str, span_id: str, event: Mapping[str, Any]
    ) -> ReadableSpan:
        opened = self._open.pop(span_id, None) or self._opened(kind, trace_id, event)
        end = _nanoseconds(event.get("timestamp"))
        start = opened.start
        if start is None and end is not None:
            start = end - int(float(event.get("duration_ms", 0)) * 1_000_000)
        attributes = {**opened.attributes, **_attributes(event)}
        return ReadableSpan(
            name=opened.name,
            context=_context(trace_id, span_id),
            parent=opened.parent,
            resource=self._resource,
            attributes=attributes,
            events=opened.events,
            kind=SpanKind.INTERNAL,
            status=_status(event, attributes),
            start_time=start,
            end_time=end,
            instrumentation_scope=_SCOPE,
        )

    def _action(self, trace_id: str, parent_id: str, event: Mapping[str, Any]) -> ReadableSpan:
        end = _nanoseconds(event.get("timestamp"))
        duration = event.get("duration_ms")
        start = end
        if end is not None and isinstance(duration, int | float):
            start = end - int(duration * 1_000_000)
        attributes = _attributes(event)
        attributes["wf.event"] = str(event.get("event"))
        return ReadableSpan(
            name=_action_name(event),
            context=_context(trace_id, new_span_id()),
            parent=_context(trace_id, parent_id),
            resource=self._resource,
            attributes=attributes,
            kind=SpanKind.CLIENT if "model" in event else SpanKind.INTERNAL,
            status=_status(event, attributes),
            start_time=start,
            end_time=end,
            instrumentation_scope=_SCOPE,
        )

    def _event(self, event: Mapping[str, Any]) -> Event:
        return Event(
            str(event.get("event")), _attributes(event), _nanoseconds(event.get("timestamp"))
        )

    def flush(self) -> None:
        """Export what has ended, waiting a bounded time (``flush_seconds``)."""
        self._queue.flush()

    def close(self) -> None:
        """Export what has ended (bounded), then stop the exporter."""
        self._queue.close()


def _metadata(metadata: object) -> dict[str, Any]:
    if not isinstance(metadata, Mapping):
        return {}
    return {f"wf.metadata.{key}": _value(value) for key, value in metadata.items()}


class _QuietThread(logging.Filter):
    """Keeps the exporter's own log records of one thread (the sink's) out of the logs:
    a failing collector is said once, by the sink."""

    def __init__(self) -> None:
        super().__init__()
        self.ident: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.ident


class _ExportQueue:
    """Finished spans, exported in batches by one thread, so no logging call ever waits."""

    def __init__(self, exporter: SpanExporter, max_queue: int, flush_seconds: float) -> None:
        self._exporter = exporter
        self._max = max_queue
        self._flush_seconds = flush_seconds
        self._quiet = _QuietThread()
        self._logger = logging.getLogger(type(exporter).__module__)
        self._logger.addFilter(self._quiet)
        self.dropped = 0
        self._closed = False
        self._start()
        _forksafe.renew_after_fork(self)

    def _start(self) -> None:
        self._spans: list[ReadableSpan] = []
        self._busy = 0
        self._wanted = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def _after_fork(self) -> None:
        self._start()  # the parent's spans are the parent's to export

    def put(self, span: ReadableSpan) -> None:
        """Queue *span* for export (dropped and counted when the queue is full)."""
        with self._cond:
            if self._closed:
                return
            if len(self._spans) >= self._max:
                self.dropped += 1
                full = True
            else:
                full = False
                self._spans.append(span)
                if len(self._spans) >= _BATCH:
                    self._cond.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wf_structlog-otlp", daemon=True
                )
                self._thread.start()
        if full:
            _say_dropped("the span queue is full")

    def wake(self) -> None:
        """Export now what is queued."""
        with self._cond:
            self._wanted = True
            self._cond.notify_all()

    def flush(self) -> None:
        """Wait until what is queued now is exported, or ``flush_seconds`` have passed."""
        with self._cond:
            self._wanted = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._spans and not self._busy, self._flush_seconds)

    def close(self) -> None:
        """Flush, stop the thread, shut the exporter down; what is left is dropped."""
        self.flush()
        with self._cond:
            self._closed = True
            left = len(self._spans)
            self.dropped += left
            self._spans.clear()
            self._cond.notify_all()
        if left:
            _say_dropped("they were not exported in time")
        self._logger.removeFilter(self._quiet)
        try:
            self._exporter.shutdown()
        except Exception as exc:
            _faults.report("otlp-shutdown", f"the OTLP exporter failed to shut down: {exc!r}")

    def _run(self) -> None:
        self._quiet.ident = threading.get_ident()
        while True:
            with self._cond:
                self._cond.wait_for(self._due, timeout=_EVERY_SECONDS)
                if self._closed:
                    return
                batch, self._spans = self._spans, []
                self._busy, self._wanted = len(batch), False
            failure = self._export(batch) if batch else None
            with self._cond:
                if failure is not None:
                    self.dropped += len(batch)
                self._busy = 0
                self._cond.notify_all()
            if failure is not None:
                _say_dropped(failure)

    def _due(self) -> bool:
        return self._closed or len(self._spans) >= _BATCH or (self._wanted and bool(self._spans))

    def _export(self, batch: Sequence[ReadableSpan]) -> str | None:
        """Send *batch*; why it failed, or ``None``."""
        try:
            result = self._exporter.export(batch)
        except Exception as exc:
            return f"the exporter raised {exc!r}"
        if result is not SpanExportResult.SUCCESS:
            return "the collector could not be reached, or refused them"
        return None


def _say_dropped(why: str) -> None:
    _faults.report("otlp", f"OpenTelemetry spans are dropped ({why}); OTelSink.dropped counts them")
