"""Sinks: the only places that write. Each takes the finished event dict and does one job."""

from __future__ import annotations

import collections
import logging
import math
import os
import re
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Final

from .. import schema
from .._files import make_dirs, open_private, replace_privately
from .._runtime import faults as _faults
from .._runtime.forksafe import renew_after_fork
from .._runtime.state import STATE
from ..reading.reducer import Reducer
from ..render.console import Column, ConsoleRenderer
from ..render.ndjson import ndjson_line
from ..render.terminal import terminal_console
from ..schema import LEVELS
from ..typing import EventDict
from ._document_file import write_document
from ._filewrite import CAN_HOLD_GIL, write_all, write_holding_gil

__all__ = ["ConsoleSink", "DocumentSink", "FileSink", "MemorySink", "StreamSink"]


FSYNC_MODES: Final = ("never", "scope", "event")
"""When :class:`FileSink` asks the disk itself to keep what was written (``fsync``)."""

_sync = getattr(os, "fdatasync", os.fsync)

_LOOK_EVERY: Final = 1.0
"""Seconds between two looks (one ``stat``) at whether a file sink's file is still there."""


class FileSink:
    """Append NDJSON lines to a file.

    Each event is one ``os.write`` on an ``O_APPEND`` descriptor: it is in the operating system
    when the logging call returns (a process killed a moment later loses nothing), and lines
    from several threads or processes appending to the same file never interleave. Surviving
    a power loss as well takes ``fsync``, at a cost per call: see *fsync*.

    Once a second thread writes to a regular file, each write keeps the GIL (see
    :mod:`wf_structlog.outputs._filewrite`): handing the GIL over on every write halves the rate
    of threads logging together (the redactor's secret search still hands it over: see the
    README's *Threads sharing one file scale*). The price: a write the kernel
    holds up (a disk throttling writers) holds up every thread, not only the one writing.

    A write that fails (a full disk) may leave part of its line in the file: the next line
    then starts on a line of its own, so the fragment never glues onto a good event (readers
    skip it as one bad line). About once a second, a write first looks (one ``stat``) whether
    the file is still at *path*: deleted or moved away (rotated), a new one is made there, and
    that is said once on stderr.

    Args:
        path: the file; created (with its directory) if missing, appended to if present.
        mode: permission bits if the file is created (an existing file keeps its own).
        fsync: ``"never"`` (the operating system writes when it likes), ``"scope"`` (after
            every scope's end event, and on :meth:`flush`) or ``"event"`` (after every event).
    """

    def __init__(
        self, path: str | os.PathLike[str], mode: int = 0o600, *, fsync: str = "never"
    ) -> None:
        if fsync not in FSYNC_MODES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_MODES)}, got {fsync!r}")
        self._sync_every = fsync == "event"
        self._sync_at_ends = fsync == "scope"
        self.path = Path(path)
        self._mode = mode
        self._where = os.path.abspath(path)  # the same file after a chdir
        make_dirs(self.path.parent, mode)
        self._fd = open_private(self.path, os.O_WRONLY | os.O_APPEND, mode)
        opened = os.fstat(self._fd)
        self._ident = (opened.st_dev, opened.st_ino)
        self._write: Callable[[int, bytes], None] = write_all
        regular = stat.S_ISREG(opened.st_mode)
        # A second thread writing switches a regular file to the write that keeps the GIL.
        self._watch_threads = CAN_HOLD_GIL and regular
        self._first_thread: int | None = None
        self._sync_any = self._sync_every or self._sync_at_ends
        self._look_at = time.monotonic() + _LOOK_EVERY if regular else math.inf
        self._torn = False

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Write one line."""
        self.emit_line(method_name, event_dict, ndjson_line(event_dict))

    def emit_line(self, method_name: str, event_dict: EventDict, line: bytes) -> None:
        """Write *line*, the event's line already made (see
        :class:`~wf_structlog.typing.LineSink`)."""
        if self._watch_threads and threading.get_ident() != self._first_thread:
            self._another_thread()
        if self._torn:  # part of the last line may be in the file: never glue onto it
            line = b"\n" + line
            self._torn = False
        if time.monotonic() >= self._look_at:
            self._look_for_the_file()
        try:
            self._write(self._fd, line)
        except OSError:
            self._torn = True
            raise
        if self._sync_any and (
            self._sync_every or event_dict.get("event") in schema.SCOPE_END_EVENTS
        ):
            _sync(self._fd)

    def _look_for_the_file(self) -> None:
        """Reopen the file if it was deleted or moved away (rotated) since it was opened."""
        self._look_at = time.monotonic() + _LOOK_EVERY
        try:
            found = os.stat(self._where)
            if (found.st_dev, found.st_ino) == self._ident:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return  # cannot tell (a directory made unreadable): keep writing where we were
        if self._fd < 0:
            return
        try:
            make_dirs(self.path.parent, self._mode)
            fd = open_private(self._where, os.O_WRONLY | os.O_APPEND, self._mode)
        except OSError as exc:
            _faults.report(f"gone:{self._where}", f"{self.path} was deleted or moved away: {exc}")
            return
        # The new file takes the old descriptor's number: a thread writing meanwhile writes
        # to one file or the other, never to a closed (or reused) descriptor.
        os.dup2(fd, self._fd, inheritable=False)
        os.close(fd)
        opened = os.fstat(self._fd)
        self._ident = (opened.st_dev, opened.st_ino)
        _faults.report(
            f"gone:{self._where}", f"{self.path} was deleted or moved away; writing to a new one"
        )

    def _another_thread(self) -> None:
        if self._first_thread is None:
            self._first_thread = threading.get_ident()
        else:
            self._write = write_holding_gil
            self._watch_threads = False

    def flush(self) -> None:
        """``fsync`` the file, unless *fsync* is ``"never"`` (each line is in the OS already)."""
        if (self._sync_every or self._sync_at_ends) and self._fd >= 0:
            _sync(self._fd)

    def close(self) -> None:
        """Close the descriptor; later events are not written."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class StreamSink:
    """Write NDJSON lines to a text stream, such as ``sys.stdout``, flushed per event.

    Args:
        stream: the stream, or ``None`` for whatever ``sys.stdout`` is at write time (so tools
            that swap ``sys.stdout``, like pytest's capture, see the output).
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        renew_after_fork(self)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Write one line and flush it."""
        self.emit_line(method_name, event_dict, ndjson_line(event_dict))

    def emit_line(self, method_name: str, event_dict: EventDict, line: bytes) -> None:
        """Write *line*, the event's line already made, and flush it (see
        :class:`~wf_structlog.typing.LineSink`)."""
        stream = self._stream if self._stream is not None else sys.stdout
        binary = getattr(stream, "buffer", None)
        with self._lock:
            if binary is not None:
                stream.flush()
                binary.write(line)
                binary.flush()
            else:
                stream.write(line.decode("utf-8"))
                stream.flush()

    def flush(self) -> None:
        """Nothing to do: each line is flushed as it is written."""

    def close(self) -> None:
        """Nothing to release: the stream belongs to its owner."""


class ConsoleSink:
    """Print events on a terminal with ``rich`` (the dev preset's output, on stderr).

    Scope start and end lines follow the level too: under ``level="error"`` the console shows
    only the errors, the ends of failed scopes among them, while the NDJSON keeps every scope
    event (the reducer needs them). A scope's start and ``ok`` end are ``info``; an end with
    status ``error`` is ``error``.

    Args:
        renderer: turns an event into a line (default: ``ConsoleRenderer(columns)``).
        stream: where to print; ``None`` means whatever ``sys.stderr`` is at write time.
        columns: the columns of the default renderer (see
            :func:`~wf_structlog.render.console.default_columns`); not with *renderer*.
        level: the lowest level printed, a name (``"warning"``) or a number; ``None`` (the
            default) follows the configured level.

    Raises:
        ValueError: both *renderer* and *columns* are given, or *level* is not a level.
    """

    def __init__(
        self,
        renderer: ConsoleRenderer | None = None,
        stream: IO[str] | None = None,
        *,
        columns: Sequence[Column] | None = None,
        level: str | int | None = None,
    ) -> None:
        if renderer is not None and columns is not None:
            raise ValueError("ConsoleSink takes a renderer or columns, not both")
        self._renderer = renderer or ConsoleRenderer(columns)
        self._stream = stream
        self._level = _level_number(level)
        self._after_fork()
        renew_after_fork(self)

    def _after_fork(self) -> None:
        # A new Console too: its own lock may have been held by another thread at the fork.
        self._console = terminal_console(self._stream, stderr=self._stream is None, soft_wrap=True)
        self._lock = threading.Lock()

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Print one event, if it is at or above the level."""
        level = event_dict.get("level")
        number = LEVELS.get(level, logging.INFO) if isinstance(level, str) else logging.INFO
        if number < (STATE.min_level if self._level is None else self._level):
            return
        with self._lock:  # rendered in order too: the renderer remembers what it has shown
            self._console.print(self._renderer(None, method_name, event_dict))

    def flush(self) -> None:
        """Nothing to do: each event is printed as it comes."""

    def close(self) -> None:
        """Nothing to release."""


def _level_number(level: str | int | None) -> int | None:
    if level is None or (isinstance(level, int) and not isinstance(level, bool)):
        return level
    if isinstance(level, str) and level.lower() in LEVELS:
        return LEVELS[level.lower()]
    raise ValueError(f"level must be one of {', '.join(LEVELS)} or a number, got {level!r}")


class MemorySink:
    """Keep events in a list, for tests (the test preset's output)."""

    def __init__(self) -> None:
        self.events: list[EventDict] = []

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Keep the event."""
        self.events.append(event_dict)

    def flush(self) -> None:
        """Nothing to do: events are kept as they come."""

    def close(self) -> None:
        """Nothing to release; the events stay readable."""


_REMEMBERED_RUNS = 10_000
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def document_path(doc_dir: Path, name: str, run_id: str) -> Path:
    """Where the document of run *run_id* of workflow *name* is written."""
    safe = _UNSAFE_NAME.sub("_", name).strip("._")[:100] or "workflow"
    return doc_dir / f"{safe}-{run_id}.json"


class DocumentSink:
    """Build each workflow's document as its events pass, and write it when the workflow ends.

    The document is written to ``<doc_dir>/<name>-<run id>.json`` by the same reducer that
    :func:`wf_structlog.reduce` uses, so it equals what ``reduce`` builds from the run's NDJSON.

    A sub-workflow (one opened inside another run that this process started) gets no file of
    its own: its document waits, and goes inside its parent's, in the scope that opened it,
    when the parent ends, as ``reduce`` nests it. So a parent's file holds every sub-run that
    ended inside it, and a directory of documents lists each run once. A sub-workflow that
    outlives its parent, or whose parent runs in another process, is written alone when it
    ends (naming its parent in ``parent_workflow_id``); one whose parent never ends is written
    alone when the sink closes, so no finished run is lost.

    Args:
        doc_dir: the directory (created if missing).
        mode: permission bits of each document written.
    """

    def __init__(self, doc_dir: str | os.PathLike[str], mode: int = 0o600) -> None:
        self.doc_dir = Path(doc_dir)
        self.mode = mode
        make_dirs(self.doc_dir, mode)
        with tempfile.TemporaryFile(dir=self.doc_dir):
            pass  # fail now, at configure(), if documents could not be written here
        self._after_fork()
        renew_after_fork(self)

    def _after_fork(self) -> None:
        # A forked child writes the documents of the workflows it runs, not its parent's.
        self._reducer = Reducer(trusted=True)
        self._written: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._started: set[str] = set()  # runs started here and not ended yet
        self._held: dict[str, list[dict[str, Any]]] = {}  # run id -> sub-runs ended in it
        self._lock = threading.Lock()

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Feed the event; write the document when it is its workflow's end."""
        run_id = event_dict.get("workflow_id")
        if not isinstance(run_id, str):
            return
        name = event_dict.get("event")
        with self._lock:
            if run_id in self._written:
                # Logged after its workflow ended (a task that outlived it): in the NDJSON,
                # not in the document already written.
                _faults.report("late", "events arrived after their workflow's document was written")
                return
            self._reducer.add(event_dict)
            if name == "workflow.start":
                self._started.add(run_id)
            if name != "workflow.end":
                return
            runs = self._ended(run_id)
        for document in runs:
            self._write(document)

    def _ended(self, run_id: str) -> list[dict[str, Any]]:
        """The documents to write now that run *run_id* ended: none if it waits inside its
        parent, else it with the sub-runs that ended inside it nested in place."""
        self._started.discard(run_id)
        self._written[run_id] = None
        if len(self._written) > _REMEMBERED_RUNS:
            self._written.popitem(last=False)
        runs = [self._reducer.pop(run_id), *self._held.pop(run_id, ())]
        parent = runs[0].get("parent_workflow_id")
        if parent in self._started:
            self._held.setdefault(parent, []).extend(runs)
            return []
        return self._reducer.nest(runs)

    def _write(self, document: dict[str, Any]) -> None:
        path = document_path(self.doc_dir, str(document["name"]), str(document["id"]))
        # In pieces: never the whole document's bytes at once.
        replace_privately(path, lambda fd: write_document(fd, document), self.mode)

    def flush(self) -> None:
        """Nothing to do: a document is written whole when its workflow ends."""

    def close(self) -> None:
        """Write the sub-runs still waiting for a parent that never ended; forget unfinished
        runs."""
        with self._lock:
            waiting = [run for runs in self._held.values() for run in runs]
            self._reducer = Reducer(trusted=True)
            self._started.clear()
            self._held.clear()
        for document in Reducer().nest(waiting):
            self._write(document)
