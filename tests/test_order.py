"""Events put back in time order within a window: exactly the order of a heap of that size."""

from __future__ import annotations

import heapq
from collections.abc import Iterator

import hypothesis.strategies as st
from hypothesis import given

from wf_structlog.reading._order import in_time_order


def heap_order(stamps: list[str], window: int) -> list[int]:
    """The places of *stamps* in the order a heap of *window* entries gives them out, taking
    each in turn and giving out the earliest once it holds more (what the window promises)."""
    held: list[tuple[str, int]] = []
    out = []
    for number, stamp in enumerate(stamps):
        if len(held) < window:
            heapq.heappush(held, (stamp, number))
        else:
            out.append(heapq.heappushpop(held, (stamp, number))[1])
    return out + [number for _, number in sorted(held)]


def batched(stamps: list[str], sizes: list[int]) -> Iterator[tuple[list[str], list[int]]]:
    """*stamps* in batches of *sizes* (some empty), then of 7, each with its places."""
    start, index, places = 0, 0, list(range(len(stamps)))
    while start < len(stamps):
        size = sizes[index] if index < len(sizes) else 7
        yield stamps[start : start + size], places[start : start + size]
        start, index = start + size, index + 1


def ordered(stamps: list[str], sizes: list[int], window: int) -> list[int]:
    return [
        place for entries in in_time_order(batched(stamps, sizes), window) for *_, place in entries
    ]


_STAMP = st.integers(0, 40).map(lambda second: f"2026-12-03T06:00:{second:02d}.000000Z")
_SIZES = st.lists(st.integers(0, 60), min_size=1, max_size=8)
_WINDOW = st.integers(1, 30)


class TestInTimeOrder:
    @given(st.lists(_STAMP, max_size=300), _SIZES, _WINDOW)
    def test_any_order_comes_out_as_the_heap_gives_it(
        self, stamps: list[str], sizes: list[int], window: int
    ) -> None:
        """Whatever the order of the timestamps and however they come in batches, the events
        come out in the order of the heap of the window's size: equal timestamps in file
        order, an event too late for the window after those given out before it came."""
        assert ordered(stamps, sizes, window) == heap_order(stamps, window)

    @given(st.lists(_STAMP, max_size=300), _SIZES, _WINDOW, st.data())
    def test_nearly_sorted_runs_come_out_as_the_heap_gives_them(
        self, stamps: list[str], sizes: list[int], window: int, data: st.DataObject
    ) -> None:
        """A file in order with some events late, or a run copied after another (its times
        starting again), takes the sorted-window path and gives the heap's order."""
        stamps.sort()
        for _ in range(data.draw(st.integers(0, 4))):
            place = data.draw(st.integers(0, max(0, len(stamps) - 1)))
            stamps.insert(place, data.draw(_STAMP))  # a late (or early) event
        stamps = stamps * data.draw(st.integers(1, 3))
        assert ordered(stamps, sizes, window) == heap_order(stamps, window)

    def test_a_batch_far_out_of_order_and_the_next_in_order(self) -> None:
        """A batch cut into many runs goes through the heap; the next in order sorts it back."""
        chaos = [f"{(7 * number) % 50:03d}" for number in range(50)]
        calm = [f"{number:03d}" for number in range(20, 90)]
        stamps = chaos + calm + chaos
        assert ordered(stamps, [50, 70, 50], 25) == heap_order(stamps, 25)
