"""Events read from files put back in time order, holding a bounded number of them."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from itertools import compress, count, islice
from operator import gt
from typing import Any, Final, TypeVar

__all__ = ["REORDER_WINDOW", "Entry", "in_time_order", "timestamp"]

T = TypeVar("T")

REORDER_WINDOW: Final = 10_000
"""Events ``wf-log view`` holds back to print a file in time order. Processes writing one file
each through their own buffer, or a background writer, put lines in the file some way from
their time order (milliseconds; a few hundred lines under load): a window far larger than
that sorts them while holding a bounded number of events."""

Entry = tuple[str, int, T]
"""``(timestamp, number, item)``: an item read, its event's timestamp and its place in the
file (which keeps equal timestamps in file order)."""

_MAX_RUNS: Final = 8
"""Runs in time order a batch may be cut into and still be merged run by run; a batch further
out of order goes through the heap one entry at a time."""


def timestamp(event: dict[str, Any]) -> str:
    """The event's timestamp as text (``""`` when it has none): ISO 8601 sorts as text."""
    return str(event.get("timestamp", ""))


def in_time_order(
    batches: Iterable[tuple[list[str], list[T]]], window: int = REORDER_WINDOW
) -> Iterator[list[Entry[T]]]:
    """The items of *batches* (each the timestamps of some events and what was made of each)
    with those up to *window* places out of time order put back in order (stable for equal
    timestamps), holding at most *window* of them, in lists.

    The order is exactly that of a heap of *window* entries that takes each in turn and gives
    out the earliest once it holds more. A file is nearly in order, so the entries held are
    kept as a sorted list instead: a batch in time order is then added whole (merged with the
    entries held between its first and last, in C) and the earliest given out as one slice.
    That gives what the heap gives: an entry of such a batch is never due out before it came
    in, as every entry before it in the batch is earlier. A batch out of order is cut into its
    runs in order; one cut into more than :data:`_MAX_RUNS` goes through the heap entry by
    entry (a sorted list is a heap), and the next batch in order sorts the heap back.
    """
    held: list[Entry[T]] = []
    is_sorted, number = True, 0
    for stamps, items in batches:
        if not stamps:
            continue
        entries = list(zip(stamps, range(number, number + len(stamps)), items, strict=True))
        number += len(entries)
        cuts = list(compress(count(1), map(gt, stamps, islice(stamps, 1, None))))
        if len(cuts) >= _MAX_RUNS:
            is_sorted = False
            yield _through_heap(held, entries, window)
            continue
        if not is_sorted:
            held.sort()
            is_sorted = True
        out: list[Entry[T]] = []
        for start, end in zip([0, *cuts], [*cuts, len(entries)], strict=True):
            out += _add_run(held, entries[start:end], window)
        yield out
    if not is_sorted:
        held.sort()
    yield held


def _add_run(held: list[Entry[T]], run: list[Entry[T]], window: int) -> list[Entry[T]]:
    """Add *run*, entries in time order, to *held*, sorted; give out those past *window*."""
    # Only the held entries between the run's first and last are merged with it: one sort
    # of two sorted runs, in C (sorting all of *held* would compare it whole to find its run).
    low = bisect_left(held, run[0])
    high = bisect_right(held, run[-1], low)
    held[low:high] = sorted(held[low:high] + run) if low < high else run
    excess = len(held) - window
    if excess <= 0:
        return []
    out = held[:excess]
    del held[:excess]
    return out


def _through_heap(held: list[Entry[T]], entries: list[Entry[T]], window: int) -> list[Entry[T]]:
    """Add *entries* to the heap *held* one at a time, as it gives them out."""
    out = []
    for entry in entries:  # once per event of a batch far out of order
        if len(held) < window:
            heapq.heappush(held, entry)
        else:
            out.append(heapq.heappushpop(held, entry))
    return out
