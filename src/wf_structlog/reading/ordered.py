"""Every event of some sources in time order, as a stream (``wf-log view``).

Each source is read as :mod:`.sources` reads it (NDJSON, or documents, every line checked)
and put in order within a window of events (:data:`._order.REORDER_WINDOW`); several are
merged by timestamp as they are read.
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter
from typing import Any, Final, TypeVar

from ._lines import MAX_LINE, LineTooLongError, batches
from ._order import in_time_order, timestamp
from .sources import Logs, _add_whole, _may_be_whole, _opened

__all__ = ["events", "made_events"]

T = TypeVar("T")


def events(sources: Sequence[str], logs: Logs) -> Iterator[dict[str, Any]]:
    """Every event in *sources*, as a stream (``wf-log view``), in time order: each source
    put in order within a window of events (:data:`._order.REORDER_WINDOW`), several merged
    by timestamp as they are read; the events a document keeps, in time order.

    Args:
        sources: file paths; ``-`` reads standard input.
        logs: counts what is skipped and found.

    Raises:
        OSError: a file cannot be read.
    """
    for batch in made_events(sources, logs, _same):
        yield from batch


def _same(event: dict[str, Any], clean: bool) -> dict[str, Any]:
    return event


def made_events(
    sources: Sequence[str], logs: Logs, made: Callable[[dict[str, Any], bool], T]
) -> Iterator[list[T]]:
    """What *made* makes of every event in *sources*, in the order :func:`events` gives the
    events, in lists.

    *made* is called on each event as soon as it is read, while the event is still in the
    processor's cache: reading again an event held back for the time order (10,000 events
    later, some 30 MB of dicts away) costs about as much as parsing it.

    Args:
        sources: file paths; ``-`` reads standard input.
        logs: counts what is skipped and found.
        made: what to make of each event; also given whether its line was *clean*: printable
            ASCII without a backslash (a JSON string cannot hold a control character
            unescaped), so that every string in the event is printable ASCII without a
            backslash or a double quote.

    Raises:
        OSError: a file cannot be read.
    """
    streams = [in_time_order(_events_of(source, logs, made)) for source in sources]
    if len(streams) == 1:
        for entries in streams[0]:
            logs.found += len(entries)
            yield list(map(_ITEM, entries))
        return
    merged = heapq.merge(*map(chain.from_iterable, streams), key=itemgetter(0))
    while batch := list(map(_ITEM, islice(merged, _MERGED_BATCH))):
        logs.found += len(batch)
        yield batch


_ITEM: Final = itemgetter(2)
"""What was made of the event, in an :data:`._order.Entry`."""

_MERGED_BATCH: Final = 1024
"""Events of several sources given at a time, once merged."""

_VIEW_BATCH: Final = 1 << 17
"""Bytes read at a time for :func:`made_events`: the events of one read stay in the
processor's cache until *made* has seen them."""


def _events_of(
    source: str, logs: Logs, made: Callable[[dict[str, Any], bool], T]
) -> Iterator[tuple[list[str], list[T]]]:
    """The events of *source*, in file order, a batch at a time: their timestamps (every
    event has passed the shape check, so a timestamp is a string if present) and what *made*
    made of each."""
    own = Logs(progress=logs.progress)  # its own: the streams of several sources take turns
    try:
        with _opened(source, own) as (file, name):
            first = file.readline(MAX_LINE + 1)
            if _may_be_whole(first):
                data = first + file.read()
                if _add_whole(data, own):
                    replayed_ = own.all_events()
                    yield [timestamp(e) for e in replayed_], [made(e, False) for e in replayed_]
                    return
                file, first = io.BytesIO(data), b""
            pending, done = own.events, 0
            try:
                for batch in batches(file, first, size=_VIEW_BATCH):
                    own.add_lines(batch, name, done + 1)
                    done += len(batch)
                    yield (
                        [e.get("timestamp", "") for e in pending],
                        list(map(made, pending, _clean(batch, len(pending)))),
                    )
                    pending.clear()
            except LineTooLongError as exc:
                own.skips.add(f"{exc}; the rest was not read", name, exc.number)
    finally:
        logs.skips.extend(own.skips)


def _clean(lines: list[bytes], events: int) -> list[bool]:
    """Whether each of *lines* is clean (see :func:`made_events`), if each made one of the
    *events*; else none is said to be (a skipped line breaks the match: rare)."""
    if len(lines) != events:
        return [False] * events
    # find, not in: bytes.__contains__ first tries its operand as an int, and raises inside.
    return [line.isascii() and line.find(b"\\") == line.find(b"\x7f") == -1 for line in lines]
