"""Events read from files put back in time order, holding a bounded number of them."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any, Final

__all__ = ["REORDER_WINDOW", "in_time_order", "timestamp"]

REORDER_WINDOW: Final = 10_000
"""Events ``wf-log view`` holds back to print a file in time order. Processes writing one file
each through their own buffer, or a background writer, put lines in the file some way from
their time order (milliseconds; a few hundred lines under load): a window far larger than
that sorts them while holding a bounded number of events."""


def timestamp(event: dict[str, Any]) -> str:
    """The event's timestamp as text (``""`` when it has none): ISO 8601 sorts as text."""
    return str(event.get("timestamp", ""))


def in_time_order(
    events: Iterator[dict[str, Any]], window: int = REORDER_WINDOW
) -> Iterator[dict[str, Any]]:
    """*events* with those up to *window* places out of time order put back in order (stable
    for equal timestamps), holding at most *window* of them."""
    held: list[tuple[str, int, dict[str, Any]]] = []
    for number, event in enumerate(events):
        entry = (timestamp(event), number, event)  # number: equal timestamps keep file order
        if len(held) < window:
            heapq.heappush(held, entry)
        else:
            yield heapq.heappushpop(held, entry)[2]
    while held:
        yield heapq.heappop(held)[2]
