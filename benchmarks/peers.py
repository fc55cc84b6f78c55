"""The peers of target 1, each writing the same event, with the same keys where it can, into a
file: structlog's recommended production configuration (in :mod:`common`), the standard
library with python-json-logger, and loguru with ``serialize=True``; for the agent event also
the OpenTelemetry SDK (a span per interaction, a span event per action, a BatchSpanProcessor
exporting to a file) and the limit (``orjson.dumps`` and one ``os.write`` per event).

python-json-logger and loguru come from the ``bench`` dependency group (``make bench``
installs it), never from wf_structlog's own dependencies.
"""

from __future__ import annotations

import itertools
import logging
import os
from pathlib import Path
from time import perf_counter_ns
from typing import Any

import orjson
from common import AGENT_FIELDS, PROMPT, RESPONSE, TOOL_ARGUMENTS, LoggerLike
from loguru import logger as loguru_logger
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Tracer
from pythonjsonlogger.json import JsonFormatter

ACTIONS_PER_INTERACTION = 4
"""Span events in each interaction's span (OpenTelemetry peer)."""


class _Fields(logging.Filter):
    """Adds the scope's keys to every record, as a context filter does in a stdlib program."""

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__()
        self.fields = fields

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.update(self.fields)
        return True


def stdlib_json_logger(
    path: Path, fields: dict[str, Any]
) -> tuple[logging.Logger, logging.FileHandler]:
    """A stdlib logger writing JSON lines to *path* through python-json-logger's formatter,
    with ``level``, ``event`` and an ISO ``timestamp``, and *fields* on every line; and its
    handler."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{message}",
            style="{",
            rename_fields={"levelname": "level", "message": "event"},
            timestamp=True,
        )
    )
    handler.addFilter(_Fields(fields))
    log = logging.getLogger("wf_structlog.bench.stdlib")
    log.propagate = False
    log.setLevel(logging.INFO)
    for old in log.handlers:
        log.removeHandler(old)
        old.close()
    log.addHandler(handler)
    return log, handler


def stdlib_events(log: logging.Logger, n: int) -> int:
    """:func:`common.log_events` as a stdlib user writes it: the keys go in ``extra``."""
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info(
            "llm_call",
            extra={
                "model": "m-1",
                "prompt": PROMPT,
                "response": RESPONSE,
                "input_tokens": 12,
                "output_tokens": 40,
            },
        )
    return perf_counter_ns() - start


def stdlib_agent_events(log: logging.Logger, n: int) -> int:
    """:func:`common.log_agent_events` as a stdlib user writes it: the keys go in ``extra``."""
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info("llm_call", extra=AGENT_FIELDS)
    return perf_counter_ns() - start


def _span_line(span: ReadableSpan) -> str:
    line: str = span.to_json(indent=None)
    return line + "\n"


def otel_tracer(file: Any, queue_size: int) -> tuple[Tracer, TracerProvider]:
    """A tracer of the OpenTelemetry SDK whose spans a ``BatchSpanProcessor`` writes to the
    text *file*, one JSON line per span (the SDK's own exporter and JSON form); its provider.

    The queue holds *queue_size* spans, so no span is dropped however far the export thread
    falls behind (a dropped span would flatter the SDK).
    """
    provider = TracerProvider()
    exporter = ConsoleSpanExporter(out=file, formatter=_span_line)
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=queue_size))
    return provider.get_tracer("wf_structlog.bench"), provider


def otel_agent_events(tracer: Tracer, stamp: dict[str, Any], n: int) -> int:
    """The agent event as OpenTelemetry users record it: a span per interaction (with the
    scope's keys as attributes) holding a span event per action. Attributes cannot nest, so
    the tool arguments go in as JSON."""
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n // ACTIONS_PER_INTERACTION):
        with tracer.start_as_current_span("interaction", attributes=stamp) as span:
            for _ in itertools.repeat(None, ACTIONS_PER_INTERACTION):
                arguments = orjson.dumps(TOOL_ARGUMENTS).decode()
                span.add_event("llm_call", attributes={**AGENT_FIELDS, "tool_arguments": arguments})
    return perf_counter_ns() - start


def limit_agent_events(fd: int, stamp: dict[str, Any], n: int) -> int:
    """The floor: the agent event with the scope's keys, ``orjson.dumps`` and one ``os.write``
    each, nothing else (no level, time, redaction or safety)."""
    dumps, write, newline = orjson.dumps, os.write, orjson.OPT_APPEND_NEWLINE
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        event = {**AGENT_FIELDS, "event": "llm_call"}
        event.update(stamp)
        write(fd, dumps(event, option=newline))
    return perf_counter_ns() - start


def loguru_file_logger(path: Path, fields: dict[str, Any]) -> tuple[LoggerLike, int]:
    """loguru writing to *path* with ``serialize=True``, *fields* bound; returns the logger
    and its sink's id (remove it with ``loguru_logger.remove``).

    loguru's logger is global: its default handler (stderr) is removed first, or every event
    would also be printed.
    """
    loguru_logger.remove()
    sink = loguru_logger.add(path, serialize=True, level="INFO", catch=False)
    log: LoggerLike = loguru_logger.bind(**fields)
    return log, sink


def remove_loguru_sink(sink: int) -> None:
    """Close the file sink :func:`loguru_file_logger` added."""
    loguru_logger.remove(sink)
