"""Reading logs for the ``wf-log`` commands: NDJSON files, standard input, finished documents.

A source is a path or ``-`` (standard input). A source that is, as a whole, one JSON value
holding finished documents (or a list of them, as ``wf-log reduce`` and
``configure(doc_dir=...)`` write) is read as documents; any other source is NDJSON, whatever
its first character (``[INFO] boot`` is a line to skip, not a document). Each line is read on
its own: one that is not an event, or an event of the wrong shape (see
:class:`~wf_structlog.reading._shape.Checker`), or a document of the wrong shape, is counted in
:attr:`Logs.skips` with its line number, never fatal. No line longer than
:data:`~wf_structlog.reading._lines.MAX_LINE` is read. Reading files larger than
:data:`PROGRESS_THRESHOLD` bytes shows a ``rich`` progress bar, but only on a terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final

import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from ._collector import paused_while_made
from ._lines import MAX_LINE, LineTooLongError, batches
from ._replay import replayed
from ._shape import MAX_DEPTH, Checker, Skips, document_problem, might_nest
from .reducer import Reducer, parse_line

__all__ = [
    "PROGRESS_THRESHOLD",
    "Logs",
    "documents",
    "is_document",
    "read",
    "stream",
    "warn_skipped",
]

PROGRESS_THRESHOLD: Final = 4 * 1024 * 1024
"""Inputs larger than this many bytes (all files together) show a progress bar on a terminal."""

STDIN: Final = "-"


@dataclass
class Logs:
    """What the sources held.

    Args:
        events: NDJSON events, source after source, each in file order.
        documents: finished workflow documents given as sources.
        skips: lines that were neither events nor documents of the right shape.
    """

    events: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)
    cycles: int = 0
    """Scopes whose parents lead back to themselves, found by :meth:`all_documents`."""
    late: int = 0
    """Events dropped by :func:`documents`: their run had been given out already."""
    found: int = 0
    """Events and documents :func:`documents` and :func:`.ordered.events` read."""
    progress: Console | None = None
    """Where :func:`documents` and :func:`.ordered.events` show a progress bar for a large file, if
    it is a terminal."""
    _checker: Checker = field(default_factory=Checker, repr=False)

    @property
    def skipped(self) -> int:
        """How many lines were skipped."""
        return self.skips.count

    def add_line(self, line: bytes, source: str | None = None, number: int | None = None) -> None:
        """Add one NDJSON line: an event, a document on one line, or something to skip.

        Args:
            line: the line.
            source: the file it came from, to name in :attr:`skips`.
            number: its line number there.
        """
        try:
            value = parse_line(line)
        except ValueError as exc:
            self.skips.add(str(exc), source, number)
            return
        if value is not None:
            self.add_value(value, source, number, deep=might_nest(line))

    def add_lines(self, batch: list[bytes], source: str, number: int) -> None:
        """Add NDJSON lines, as :meth:`add_line` adds each.

        Args:
            batch: the lines (from :func:`~wf_structlog.reading._lines.batches`).
            source: the file they came from, to name in :attr:`skips`.
            number: the line number of the first.
        """
        # The hot loop of view: one parse and the shape check per line; a line that is not a
        # plain event goes through add_line, which finds what it is (or what is wrong).
        loads, events, check = orjson.loads, self.events, self._checker.problem
        for number_, line in enumerate(batch, number):  # once per event
            try:
                value = loads(line)
            except orjson.JSONDecodeError:
                self.add_line(line, source, number_)
                continue
            # Counting brackets is much cheaper than walking the value (might_nest), and two
            # searches (memchr) cheaper still: most lines open nothing but themselves.
            deep = (line.find(b"[") >= 0 or line.find(b"{", 1) >= 0) and (
                line.count(b"[") + line.count(b"{") > MAX_DEPTH
            )
            if type(value) is dict and "iterations" not in value and check(value, deep) is None:
                events.append(value)
            else:
                self.add_line(line, source, number_)

    def add_value(
        self, value: Any, source: str | None = None, number: int | None = None, deep: bool = True
    ) -> None:
        """Add one JSON value read: an event or a document, else count it skipped."""
        if is_document(value):
            problem = document_problem(value, self._checker)
            if problem is None:
                self.documents.append(value)
                return
        elif isinstance(value, dict):
            problem = self._checker.problem(value, deep)
            if problem is None:
                self.events.append(value)
                return
        else:
            problem = f"a {type(value).__name__}, not an event"
        self.skips.add(problem, source, number)

    def all_events(self) -> list[dict[str, Any]]:
        """The events, with those of the documents given rebuilt, ordered by timestamp."""
        events = [*self.events]
        for document in self.documents:
            events.extend(replayed(document))
        return sorted(events, key=lambda event: str(event.get("timestamp", "")))

    def all_documents(self) -> list[dict[str, Any]]:
        """The documents given and those the reducer rebuilds from the events, ordered by
        start time. A run whose parent is among them goes inside it, so the documents that
        two processes wrote in ``doc_dir`` read as one tree. Call it once: the documents given
        are nested in place."""
        reducer = Reducer()
        for event in self.events:
            reducer.add(event, checked=True)
        documents = reducer.documents()
        if self.documents:
            documents = reducer.nest([*self.documents, *documents])
        self.cycles = reducer.cycles
        return documents


def is_document(value: Any) -> bool:
    """Whether *value* claims to be a workflow document rather than an event (it may still be
    of the wrong shape)."""
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


def documents(sources: Sequence[str], logs: Logs) -> Iterator[dict[str, Any]]:
    """Every run's document in *sources*, as a stream (``wf-log reduce``, ``tree``, ``stats``,
    ``report``): runs rebuilt from events each as soon as it is complete
    (:func:`~wf_structlog.reading.reducer.reduce_iter`), those never complete at the end
    with the documents given (nested as :meth:`Logs.all_documents` nests them). One reducer
    reads every source, so a run split over several files is one run. A single source is
    streamed; several are read whole before any run is given out, so files of several
    processes give the same documents in any order (as :func:`wfl.reduce` does).

    Args:
        sources: file paths; ``-`` reads standard input.
        logs: counts what is skipped, found and dropped.

    Raises:
        OSError: a file cannot be read.
    """
    return paused_while_made(_documents(sources, logs))


def _documents(sources: Sequence[str], logs: Logs) -> Iterator[dict[str, Any]]:
    reducer = Reducer()
    streamed = len(sources) == 1
    for source in sources:
        with _opened(source, logs) as (file, name):
            first = file.readline(MAX_LINE + 1)
            if _may_be_whole(first):
                data = first + file.read()
                if _add_whole(data, logs):
                    continue
                file, first = io.BytesIO(data), b""
            yield from reducer.read(file, name, stream=streamed, first=first)
    rest, given = reducer.pop_documents(), logs.documents
    logs.found += len(given)
    # Documents given are held to the end, to nest with the runs still held (all_documents).
    yield from reducer.nest([*given, *rest]) if given else rest
    given.clear()
    logs.skips.extend(reducer.skips)
    logs.cycles += reducer.cycles
    logs.late += reducer.late
    logs.found += reducer.seen


@contextlib.contextmanager
def _opened(source: str, logs: Logs) -> Iterator[tuple[IO[bytes], str]]:
    """*source* open, and its name; read through a progress bar if :attr:`Logs.progress`
    is a terminal and the file is large."""
    if source == STDIN:
        yield sys.stdin.buffer, "<stdin>"
        return
    with open(source, "rb") as file:
        console = logs.progress
        size = os.fstat(file.fileno()).st_size
        if console is None or not console.is_terminal or size <= PROGRESS_THRESHOLD:
            yield file, source
            return
        with _progress_bar(console) as bar:
            task = bar.add_task(f"reading {os.path.basename(source)}", total=size)
            yield _Counted(file, lambda done: bar.advance(task, done)), source  # type: ignore[misc]


class _Counted:
    """A binary file whose reads advance a progress bar."""

    def __init__(self, file: IO[bytes], advance: Callable[[int], object]) -> None:
        self._file, self._advance = file, advance

    def readline(self, limit: int = -1) -> bytes:
        line = self._file.readline(limit)
        self._advance(len(line))
        return line

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._advance(len(data))
        return data


def warn_skipped(logs: Logs, verbose: bool = False, stream: IO[str] | None = None) -> None:
    """Print the one warning about skipped lines and parent loops, if there were any.

    Args:
        logs: what was read.
        verbose: also name each line skipped (the first thousand), with why.
        stream: where to print (default: standard error).
    """
    out = stream or sys.stderr
    if logs.skipped:
        print(
            f"wf-log: skipped {logs.skipped} line(s) that were not events (not JSON, truncated, "
            "from another program, or of the wrong shape)"
            + ("" if verbose else "; --verbose names them"),
            file=out,
        )
    if verbose:
        for skip in logs.skips.first:
            print(f"wf-log: skipped {skip}", file=out)
    if logs.late:
        print(
            f"wf-log: dropped {logs.late} event(s) that came after their run was complete "
            "(logged after it ended, or by another process in a file given later: give that "
            "file first)",
            file=out,
        )
    if logs.cycles:
        print(
            f"wf-log: {logs.cycles} scope(s) name parents that lead back to themselves; "
            "shown at the top of their run",
            file=out,
        )


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
        yield from _read_lines(sys.stdin.buffer, logs, "<stdin>")
        return
    with open(source, "rb") as file:
        yield from _read_lines(file, logs, source)


def _read_lines(file: IO[bytes], logs: Logs, name: str) -> Iterator[int]:
    first = file.readline(MAX_LINE + 1)
    if _may_be_whole(first):
        data = first + file.read()
        if _add_whole(data, logs):
            yield len(data)
            return
        file = io.BytesIO(data)  # not documents after all: read as NDJSON
        first = b""
    number = 1
    try:
        for batch in batches(file, first):
            logs.add_lines(batch, name, number)
            number += len(batch)
            yield sum(map(len, batch)) + len(batch)  # the newlines too
    except LineTooLongError as exc:
        logs.skips.add(f"{exc}; the rest was not read", name, exc.number)


def _may_be_whole(first: bytes) -> bool:
    """Whether a source starting with the line *first* may be one JSON value over many lines
    (a document as ``wf-log reduce`` writes it): it opens an object or array it does not
    close on that line."""
    if first.lstrip()[:1] not in (b"{", b"["):
        return False
    try:
        parse_line(first)
    except ValueError:
        return len(first) <= MAX_LINE
    return False


def _add_whole(data: bytes, logs: Logs) -> bool:
    """Add a source that is one JSON value holding documents; whether it was one."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    items = value if isinstance(value, list) else [value]
    if not items or not all(is_document(item) for item in items):
        return False
    for item in items:
        logs.add_value(item, deep=False)
    return True
