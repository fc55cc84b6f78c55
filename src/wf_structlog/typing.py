"""Type aliases and protocols shared by every part of wf_structlog."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol, TypeAlias

EventDict: TypeAlias = MutableMapping[str, Any]
"""The event dictionary that flows through the processor chain (see :mod:`wf_structlog.schema`)."""

Processor: TypeAlias = Callable[[Any, str, EventDict], EventDict]
"""A structlog processor: ``(logger, method_name, event_dict) -> event_dict``."""


class Sink(Protocol):
    """Where finished events go: a console, a file, memory, a document writer.

    Sinks are the only objects that do I/O. They receive the event dict after the whole
    processor chain (redaction included) has run and must not mutate it.
    """

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Write one event."""

    def flush(self) -> None:
        """Make what was emitted so far as durable as the sink promises (at scope ends, exit)."""

    def close(self) -> None:
        """Release resources; called when the configuration is replaced."""
