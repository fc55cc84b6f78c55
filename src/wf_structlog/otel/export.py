"""Our own export, for ``configure(otlp=True)`` when the application set no tracer provider.

The SDK does the work: a ``TracerProvider`` whose resource and sampler come from the standard
``OTEL_*`` variables (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER``...), a ``BatchSpanProcessor`` (``OTEL_BSP_*``) and the OTLP/HTTP
exporter (``OTEL_EXPORTER_OTLP_*``). What we add: spans that cannot be exported are counted,
and said once on stderr with the endpoint and the count; at exit the export waits at most
``flush_seconds`` (5 s), then what is left is dropped and said.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Final

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from .._runtime import faults as _faults
from .._runtime.ours import at_work, in_our_context, start_thread, working
from ..scopes.hierarchy import program_name
from .ids import OurIds

__all__ = ["FLUSH_SECONDS", "Export", "endpoint"]

FLUSH_SECONDS: Final = 5.0
"""The longest a flush (at exit) waits for spans to be exported."""

_EXPORTER_LOGGERS: Final = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
)


def endpoint() -> str:
    """Where the OTLP/HTTP exporter sends spans, as it works it out from the environment."""
    traces = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if traces:
        return traces
    base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318")
    return base.rstrip("/") + "/v1/traces"


class _Exporting(logging.Filter):
    """Keeps the exporter's own records (retries, failures) out of the logs while we
    export: the failure is said once, by us, with the count."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not working()


class _Counted(SpanExporter):
    """An exporter that counts what it could not export, and says so once."""

    def __init__(self, inner: SpanExporter, where: str) -> None:
        self.inner = inner
        self.where = where
        self.dropped = 0
        self.said = 0
        self.quiet = _Exporting()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        # Our work: the HTTP client's records are not the program's events (which would be
        # spans to export again), in whatever thread the SDK exports from.
        with at_work():
            try:
                result = self.inner.export(spans)
            except Exception:
                result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            self.dropped += len(spans)
            if not self.said:
                self.said = self.dropped
                _faults.report(
                    f"otlp:{self.where}",
                    f"OpenTelemetry export to {self.where} failed (unreachable, or refused): "
                    f"{len(spans)} spans dropped; later ones are counted and said at exit",
                )
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class Export:
    """A tracer provider of ours that exports over OTLP/HTTP.

    Args:
        exporter: where spans go; by default an ``OTLPSpanExporter`` configured by the
            ``OTEL_EXPORTER_OTLP_*`` variables.
        flush_seconds: the longest :meth:`flush` waits.
    """

    def __init__(
        self, exporter: SpanExporter | None = None, flush_seconds: float = FLUSH_SECONDS
    ) -> None:
        resource = Resource.create()
        if str(resource.attributes.get("service.name")).startswith("unknown_service"):
            # Neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES named it: the program does.
            resource = resource.merge(Resource({"service.name": program_name()}))
        self._counted = _Counted(exporter or OTLPSpanExporter(), endpoint())
        for name in _EXPORTER_LOGGERS:
            logging.getLogger(name).addFilter(self._counted.quiet)
        # Its export thread starts here: with an empty context, not the caller's scope.
        self._batches = in_our_context(BatchSpanProcessor, self._counted)
        self.provider = TracerProvider(
            resource=resource, id_generator=OurIds(RandomIdGenerator()), shutdown_on_exit=False
        )
        self.provider.add_span_processor(self._batches)
        self._flush_seconds = flush_seconds

    @property
    def dropped(self) -> int:
        """How many spans could not be exported."""
        return self._counted.dropped

    def flush(self) -> None:
        """Export the spans that ended, waiting at most ``flush_seconds``; say what was lost."""
        self._bounded(self._batches.force_flush)

    def close(self) -> None:
        """Flush and stop the export, waiting at most ``flush_seconds`` for both."""
        self._bounded(self._batches.shutdown)  # the SDK's shutdown exports what is left
        for name in _EXPORTER_LOGGERS:
            logging.getLogger(name).removeFilter(self._counted.quiet)

    def _bounded(self, work: Callable[[], object]) -> None:
        """Run *work* (it may wait on the collector) for at most ``flush_seconds``."""
        worker = start_thread(work, "wf_structlog-otlp-flush")
        worker.join(self._flush_seconds)
        if worker.is_alive():
            _faults.report(
                f"otlp-slow:{self._counted.where}",
                f"OpenTelemetry export to {self._counted.where} did not finish within "
                f"{self._flush_seconds:g} s; the spans not yet sent are dropped",
            )
        self._say_total()

    def _say_total(self) -> None:
        counted = self._counted
        if counted.said and counted.dropped > counted.said:
            _faults.report(
                f"otlp-total:{counted.where}",
                f"in all, {counted.dropped} OpenTelemetry spans could not be exported to "
                f"{counted.where}",
            )
