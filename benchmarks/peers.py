"""The peers of target 1, each writing the same event, with the same keys where it can, into a
file: structlog's recommended production configuration (in :mod:`common`), the standard
library with python-json-logger, and loguru with ``serialize=True``.

python-json-logger and loguru come from the ``bench`` dependency group (``make bench``
installs it), never from wf_structlog's own dependencies.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from common import PROMPT, RESPONSE, LoggerLike
from loguru import logger as loguru_logger
from pythonjsonlogger.json import JsonFormatter


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
