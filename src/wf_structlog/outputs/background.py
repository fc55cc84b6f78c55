"""Non-blocking mode: a bounded queue and one writer thread in front of the slow sinks.

The logging call only puts the finished event on the queue; a slow disk or console then
delays the writer thread, never the agent. The queue is drained (waited for) at the end of
every workflow, on :meth:`BackgroundSink.flush` and at exit, so a finished workflow is on disk
when its ``with`` block returns. A forked child starts with an empty queue and its own writer
(the parent writes what it had queued); nothing is written twice.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable
from typing import Any, Final

from .. import schema
from .._runtime import faults as _faults
from .._runtime.forksafe import renew_after_fork
from .._runtime.lifecycle import stop_at_exit
from .._runtime.ours import start_thread
from .._runtime.pipeline import flush, write_to
from ..processors.stamping import add_log_level, add_timestamp
from ..typing import EventDict, Sink

__all__ = ["WHEN_FULL", "BackgroundSink"]

WHEN_FULL: Final = ("block", "drop")
"""What a logging call does when the queue is full: wait for room, or drop the event."""

_FLUSH_TIMEOUT: Final = 10.0
"""Seconds a flush waits for the writer (a hung disk must not hang the program)."""

_STOP: Final = "stop"
_FLUSH: Final = "flush"


class BackgroundSink:
    """Hand events to *sinks* from one background thread, through a bounded queue.

    Args:
        sinks: the sinks to write to (they are written from the writer thread only).
        maxsize: how many events the queue holds.
        when_full: ``"block"`` (the logging call waits for room: no event is lost) or
            ``"drop"`` (the event is dropped and counted; the count is written as an
            ``events_dropped`` warning as soon as there is room, and said once on stderr).

    Dropping never takes a scope's start or end: the queue keeps a tenth of its size more
    for them (and for errors, dropped only once that room is full too), and a scope event
    that finds even that full waits for room. So actions go first, and every scope that
    ends reads as ended; its end event says how many of its events were ``dropped``, and its
    ``children`` counts only those written, so a reader finds the scope complete.
    """

    def __init__(
        self, sinks: Iterable[Sink], *, maxsize: int = 10_000, when_full: str = "block"
    ) -> None:
        if when_full not in WHEN_FULL:
            raise ValueError(f"when_full must be one of {', '.join(WHEN_FULL)}, got {when_full!r}")
        if not isinstance(maxsize, int) or isinstance(maxsize, bool) or maxsize < 1:
            raise ValueError(f"maxsize must be a positive int, got {maxsize!r}")
        self.sinks = tuple(sinks)
        self._maxsize = maxsize
        self._room = maxsize + max(1, maxsize // 10)  # the tenth more kept for scope events
        self._block = when_full == "block"
        self._fresh_queue()
        self._stopped = False
        renew_after_fork(self)
        stop_at_exit(self)

    def _after_fork(self) -> None:
        self._fresh_queue()  # the parent's queue, writer and locks are the parent's

    def _fresh_queue(self) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(
            self._maxsize if self._block else self._room
        )
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._drop_lock = threading.Lock()
        self._dropped = 0
        self._told = 0
        self._lost: dict[Any, int] = {}  # span id -> its events dropped

    @property
    def dropped(self) -> int:
        """How many events were dropped because the queue was full."""
        return self._dropped

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Queue one event (or write it here and now, once :meth:`stop` was called)."""
        if self._stopped:
            write_to(self.sinks, method_name, event_dict)
            return
        if self._thread is None:
            self._start()
        if self._block:
            self._queue.put((method_name, event_dict))
        else:
            self._offer(method_name, event_dict)
        if event_dict.get("event") == "workflow.end":
            self.flush()

    def _offer(self, method_name: str, event_dict: EventDict) -> None:
        """Queue the event if there is room for its kind; else drop it (a scope's event
        waits for room instead)."""
        name = event_dict.get("event")
        if name in schema.SCOPE_EVENTS:
            if self._lost and name in schema.SCOPE_END_EVENTS:
                event_dict = self._with_lost(event_dict)
            try:
                self._queue.put((method_name, event_dict), timeout=_FLUSH_TIMEOUT)
            except queue.Full:  # the writer is stuck: nothing gets written anyway
                self._drop(event_dict)
            return
        full = self._queue.qsize() >= self._maxsize
        if full and event_dict.get("level") not in schema.ERROR_LEVELS:
            self._drop(event_dict)
            return
        try:
            self._queue.put_nowait((method_name, event_dict))
        except queue.Full:
            self._drop(event_dict)

    def _with_lost(self, end: EventDict) -> EventDict:
        """A scope's end event, saying how many of its events were dropped (a copy: the
        sinks outside the queue got them all)."""
        with self._drop_lock:
            lost = self._lost.pop(end.get("span_id"), 0)
        children = end.get("children")
        if not lost or not isinstance(children, int):
            return end
        return {**end, "children": children - lost, "dropped": lost}

    def _drop(self, event_dict: EventDict) -> None:
        with self._drop_lock:
            self._dropped += 1
            if not event_dict.get("attached"):  # an attached event is in no count
                span_id = event_dict.get("span_id")
                if isinstance(span_id, str):
                    self._lost[span_id] = self._lost.get(span_id, 0) + 1
        _faults.report("queue_full", "the log queue was full: events were dropped and counted")

    def flush(self) -> None:
        """Wait until every event queued so far is written and the sinks flushed."""
        if self._stopped or self._thread is None:
            flush(self.sinks)
            return
        done = threading.Event()
        try:
            self._queue.put((_FLUSH, done), timeout=_FLUSH_TIMEOUT)
        except queue.Full:
            _faults.report("flush", "the log writer did not keep up; a flush timed out")
            return
        if not done.wait(_FLUSH_TIMEOUT):
            _faults.report("flush", "the log writer did not keep up; a flush timed out")

    def stop(self) -> None:
        """Write what is queued and stop the writer; later events are written by the caller.

        Called at exit, so that what is logged after (by other exit handlers) is not left in a
        queue nobody reads.
        """
        if self._stopped:
            return
        self.flush()
        self._stopped = True
        thread = self._thread
        if thread is not None:
            self._queue.put((_STOP, None))
            thread.join(_FLUSH_TIMEOUT)

    def close(self) -> None:
        """Write what is queued, stop the writer, close the sinks."""
        self.stop()
        for sink in self.sinks:
            sink.close()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = start_thread(self._run, "wf_structlog-writer")

    def _run(self) -> None:
        get = self._queue.get
        while True:
            method_name, item = get()
            try:
                if method_name == _STOP:
                    return
                if method_name == _FLUSH:
                    flush(self.sinks)
                    item.set()
                    continue
                write_to(self.sinks, method_name, item)
                if self._dropped != self._told:
                    self._tell_dropped()
            except Exception as exc:  # the writer must outlive any surprise
                _faults.report("writer", f"the log writer hit {exc!r}")

    def _tell_dropped(self) -> None:
        with self._drop_lock:
            count, self._told = self._dropped - self._told, self._dropped
        event: EventDict = {"event": schema.DROPPED_EVENT, "dropped": count, "pid": os.getpid()}
        add_timestamp(None, "warning", event)
        add_log_level(None, "warning", event)
        write_to(self.sinks, "warning", event)
