"""The cyclic garbage collector paused while a reader builds documents.

Documents are trees: the collector has nothing to free in them, but the allocations of a
million events would make it walk them all again and again (half the time of
:func:`~wf_structlog.reading.reducer.reduce` on a million events, measured). A stream of
documents pauses it only while it makes the next one, so the caller's own code between two
documents runs with the collector as it found it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["paused", "paused_while_made"]

T = TypeVar("T")


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for the block.

    At the end, what was made while it was paused is filed as old (``freeze`` then
    ``unfreeze`` moves every object to the oldest generation and restarts the count, two list
    splices): else the first allocation after it resumes walks every document at once
    (another second per million events). Not done when the program froze objects itself:
    ``unfreeze`` would release them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def paused_while_made(items: Iterator[T]) -> Iterator[T]:
    """*items*, each made with the collector paused (see :func:`paused`), given with it as
    the caller had it."""
    while True:
        with paused():
            try:
                item = next(items)
            except StopIteration:
                return
        yield item
