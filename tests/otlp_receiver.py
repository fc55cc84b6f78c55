"""A real OTLP/HTTP receiver on 127.0.0.1: it decodes each ``ExportTraceServiceRequest`` with
the official protobuf definitions (``opentelemetry-proto``) and keeps the spans."""

from __future__ import annotations

import gzip
import threading
from typing import Any

from fake_llm_server import LocalServer, QuietHandler
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span


def value(any_value: AnyValue) -> Any:
    """A protobuf attribute value as Python."""
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


class Received:
    """One span as it arrived: ids in hex, attributes as a dict."""

    def __init__(self, span: Span, resource: dict[str, Any]) -> None:
        self.name = span.name
        self.trace_id = span.trace_id.hex()
        self.span_id = span.span_id.hex()
        self.parent_span_id = span.parent_span_id.hex()
        self.attributes = {a.key: value(a.value) for a in span.attributes}
        self.events = [(e.name, {a.key: value(a.value) for a in e.attributes}) for e in span.events]
        self.status_code = span.status.code
        self.start = span.start_time_unix_nano
        self.end = span.end_time_unix_nano
        self.resource = resource

    def __repr__(self) -> str:
        return f"<span {self.name!r} {self.span_id} parent={self.parent_span_id}>"


class _Handler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        data = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            data = gzip.decompress(data)
        request = ExportTraceServiceRequest()
        request.ParseFromString(data)
        owner = self.server.owner
        assert isinstance(owner, OTLPReceiver)
        with owner.lock:
            owner.bodies.append(data)
            owner.headers.append(dict(self.headers))
            for resource_spans in request.resource_spans:
                resource = {a.key: value(a.value) for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    owner.spans.extend(Received(s, resource) for s in scope_spans.spans)
            owner.arrived.notify_all()
        payload = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class OTLPReceiver(LocalServer):
    """Receives OTLP/HTTP traces at :attr:`url` until the ``with`` block ends."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.spans: list[Received] = []
        self.bodies: list[bytes] = []
        """Each request's body, decompressed: what a secret must never be found in."""
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The spans received, once there are at least *count* (or *timeout* passed)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.spans) >= count, timeout)
            return list(self.spans)
