"""Type aliases and protocols shared by every part of wf_structlog."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any, Protocol, TypeAlias, runtime_checkable

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


class LineSink(Sink, Protocol):
    """A sink that writes each event as its NDJSON line at once and keeps nothing of it (a file,
    a stream).

    When the redactor has proven an event needs no redaction, it has already serialised it:
    the pipeline then calls :meth:`emit_line` with those bytes instead of :meth:`Sink.emit`,
    and the event is serialised once, not once per sink.
    """

    def emit_line(self, method_name: str, event_dict: EventDict, line: bytes) -> None:
        """Write *line*, the event's NDJSON line (newline included), byte for byte what
        ``ndjson_line(event_dict)`` gives. *event_dict* is for reading now (its ``event``,
        say); its containers may be the caller's, so nothing of it is kept."""


Finished: TypeAlias = tuple[EventDict, bytes | None]
"""An event at the end of the chain, and its NDJSON line when the redactor already made it."""


@runtime_checkable
class Finisher(Protocol):
    """The last processor of a chain that can also hand over each event's NDJSON line (the
    redactor, and the presets' ``RedactThenStamp``): the pipeline calls :meth:`finish`
    instead of calling it as a processor."""

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict: ...

    def finish(self, logger: Any, method_name: str, event_dict: EventDict) -> Finished:
        """The event as the processor returns it, and its line when nothing in it needed
        redaction (else ``None``). With a line, the event is the caller's dict, stamped: its
        own redaction, but with the caller's containers, so only a :class:`LineSink` may see
        it; every other sink gets a copy parsed from the line."""
        ...
