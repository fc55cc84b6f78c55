"""Reading logs for the ``wf-log`` commands: NDJSON files, standard input, finished documents.

A source is a path or ``-`` (standard input). A source whose first line is a lone ``{`` or
starts with ``[`` is a finished document, or a list of them, as ``wf-log reduce`` and
``configure(doc_dir=...)`` write; any other source is NDJSON. Lines that are not events (a
truncated last line, text or JSON from another program) are counted in :attr:`Logs.skipped`,
never fatal. Reading files larger than :data:`PROGRESS_THRESHOLD` bytes shows a ``rich``
progress bar, but only on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from .reducer import Reducer, parse_line

__all__ = ["PROGRESS_THRESHOLD", "Logs", "is_document", "read", "stream", "warn_skipped"]

PROGRESS_THRESHOLD: Final = 4 * 1024 * 1024
"""Inputs larger than this many bytes (all files together) show a progress bar on a terminal."""

STDIN: Final = "-"


@dataclass
class Logs:
    """What the sources held.

    Args:
        events: NDJSON events, source after source, each in file order.
        documents: finished workflow documents given as sources.
        skipped: lines that were neither events nor documents.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0

    def add_line(self, line: bytes) -> None:
        """Add one NDJSON line: an event, a document on one line, or something to skip."""
        try:
            value = parse_line(line)
        except ValueError:
            self.skipped += 1
            return
        if value is None:
            return
        if is_document(value):
            self.documents.append(value)
        elif isinstance(value.get("event"), str):
            self.events.append(value)
        else:
            self.skipped += 1

    def all_events(self) -> list[dict[str, Any]]:
        """The events, with those of the documents given rebuilt, ordered by timestamp."""
        events = [*self.events]
        for document in self.documents:
            events.extend(_scope_events("workflow", document, {}))
        return sorted(events, key=lambda event: str(event.get("timestamp", "")))

    def all_documents(self) -> list[dict[str, Any]]:
        """The documents given, then those the reducer rebuilds from the events."""
        reducer = Reducer()
        for event in self.events:
            reducer.add(event)
        return [*self.documents, *reducer.documents()]


def is_document(value: Any) -> bool:
    """Whether *value* is a workflow document rather than an event."""
    return isinstance(value, dict) and "iterations" in value and "event" not in value


def read(sources: Sequence[str], progress: Console | None = None) -> Logs:
    """Read every source.

    Args:
        sources: file paths; ``-`` reads standard input.
        progress: where to show a progress bar, if this console is a terminal and the files
            are large (default: standard error).

    Raises:
        OSError: a file cannot be read.
    """
    logs = Logs()
    sizes = {source: os.path.getsize(source) for source in sources if source != STDIN}
    console = progress or Console(stderr=True)
    if console.is_terminal and sum(sizes.values()) > PROGRESS_THRESHOLD:
        with _progress_bar(console) as bar:
            task = bar.add_task("reading", total=sum(sizes.values()))
            for source in sources:
                bar.update(task, description=f"reading {os.path.basename(source)}")
                for chunk in _read_source(source, logs):
                    bar.advance(task, chunk)
    else:
        for source in sources:
            for _ in _read_source(source, logs):
                pass
    return logs


def stream(lines: Iterable[bytes], logs: Logs) -> Iterator[dict[str, Any]]:
    """The events on *lines* as they come (for ``--follow``); what is skipped counts in *logs*.

    Args:
        lines: NDJSON lines, for instance from :func:`wf_structlog.reading.follow.follow`.
        logs: collects the count of skipped lines (and any documents met).
    """
    for line in lines:
        logs.add_line(line)
        yield from logs.events
        logs.events.clear()


def warn_skipped(count: int, stream: IO[str] | None = None) -> None:
    """Print the one warning about skipped lines, if any were skipped.

    Args:
        count: lines skipped.
        stream: where to print (default: standard error).
    """
    if count:
        print(
            f"wf-log: skipped {count} line(s) that were not events (not JSON, truncated, "
            "or from another program)",
            file=stream or sys.stderr,
        )


_CHUNK: Final = 1 << 20


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _read_source(source: str, logs: Logs) -> Iterator[int]:
    """Add *source* to *logs*, yielding how many more bytes were read every megabyte or so."""
    if source == STDIN:
        yield from _read_lines(sys.stdin.buffer, logs)
        return
    with open(source, "rb") as lines:
        yield from _read_lines(lines, logs)


def _read_lines(lines: IO[bytes], logs: Logs) -> Iterator[int]:
    first = lines.readline()
    if first.strip() == b"{" or first.lstrip().startswith(b"["):
        data = first + lines.read()
        _add_whole(data, logs)
        yield len(data)
        return
    done = 0
    for line in _chain(first, lines):
        logs.add_line(line)
        done += len(line)
        if done >= _CHUNK:
            yield done
            done = 0
    yield done


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _add_whole(data: bytes, logs: Logs) -> None:
    """Add a source that is one JSON value: a document or a list of documents."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        logs.skipped += 1
        return
    for item in value if isinstance(value, list) else [value]:
        if is_document(item):
            logs.documents.append(item)
        else:
            logs.skipped += 1


_CHILDREN: Final = {"workflow": "iterations", "iteration": "interactions"}


def _scope_keys(kind: str, scope: dict[str, Any]) -> dict[str, Any]:
    if kind == "workflow":
        return {"workflow": scope.get("name"), "workflow_id": scope.get("id")}
    if kind == "iteration":
        return {"iteration": scope.get("number"), "iteration_id": scope.get("id")}
    return {"interaction_id": scope.get("id"), "agent": scope.get("agent")}


def _scope_events(kind: str, scope: dict[str, Any], outer: dict[str, Any]) -> Iterator[Any]:
    """The events a document's scope was built from, as far as the document keeps them."""
    keys = {**outer, **_scope_keys(kind, scope)}
    start = {"event": f"{kind}.start", "timestamp": scope.get("start_time"), "level": "info"}
    end = {"event": f"{kind}.end", "timestamp": scope.get("end_time"), "level": "info"}
    if scope.get("metadata"):
        start["metadata"] = scope["metadata"]
    if kind == "interaction":
        start["input"], end["output"] = scope.get("input"), scope.get("output")
    end.update(status=scope.get("status"), duration_ms=scope.get("duration_ms"))
    yield {**keys, **start}
    for entry in [*scope.get("events", scope.get("actions", [])), *scope.get("errors", [])]:
        if entry.get("event") == end["event"]:
            end["exception"] = entry.get("exception")
        else:
            yield {**keys, **entry}
    for child in scope.get(_CHILDREN.get(kind, ""), []):
        yield from _scope_events("interaction" if kind == "iteration" else "iteration", child, keys)
    if scope.get("end_time") is not None:
        yield {**keys, **end}
