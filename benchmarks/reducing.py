"""Target 3: ``reduce()`` against a naive loop that only parses and groups, in time and memory.

The events are a realistic run (:mod:`workload`) of several workflows, logged through the
``prod`` chain into two NDJSON files. Each side runs in a fresh process of its own, started as
``python reducing.py SIDE FILE...``, which imports the same modules, times its work, and
reports its peak resident memory (``VmHWM``): both are measured the same way, with the
result of the work still alive at the peak.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter_ns
from typing import Any, Final

import orjson
from common import Result, in_fresh_process, peak_rss, rounds
from workload import run_workflow

import wf_structlog

WORKFLOWS: Final = 8
FILES: Final = 2


def write_events(tmp: Path, events: int) -> list[Path]:
    """Log about *events* events, :data:`WORKFLOWS` workflows spread over :data:`FILES` files."""
    paths = [tmp / f"run-{i}.ndjson" for i in range(FILES)]
    log = wf_structlog.get_logger()
    try:
        for index in range(WORKFLOWS):
            wf_structlog.configure("prod", stdout=False, file=paths[index % FILES])
            run_workflow(log, f"research-{index}", events // WORKFLOWS)
    finally:
        wf_structlog.reset()
    return paths


def naive(paths: Sequence[Path]) -> dict[Any, Any]:
    """The floor: parse each line with orjson, group into workflow -> iteration ->
    interaction -> list of events."""
    runs: dict[Any, Any] = {}
    for path in paths:
        with path.open("rb") as lines:
            for line in lines:
                event = orjson.loads(line)
                iterations = runs.setdefault(event.get("workflow_id"), {})
                interactions = iterations.setdefault(event.get("iteration_id"), {})
                interactions.setdefault(event.get("interaction_id"), []).append(event)
    return runs


def ours(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """What is measured: every run's document, from every file."""
    return wf_structlog.reduce(*paths)


SIDES: Final = {"naive": naive, "reduce": ours}


def _child(side: str, paths: Sequence[str]) -> None:
    """Run *side* on *paths*; print the nanoseconds it took and the peak RSS in bytes."""
    start = perf_counter_ns()
    result = SIDES[side]([Path(p) for p in paths])
    took = perf_counter_ns() - start
    peak = peak_rss()
    print(orjson.dumps({"ns": took, "peak": peak, "size": len(result)}).decode())


def bench_reducer(events: int, repeats: int, tmp: Path) -> list[Result]:
    """Time and peak memory of ``reduce()`` on *events* events, and of :func:`naive`."""
    paths = write_events(tmp, events)
    names = [str(path) for path in paths]
    lines = 0
    for path in paths:
        with path.open("rb") as file:
            lines += sum(1 for _ in file)
    size = sum(path.stat().st_size for path in paths) / 2**20
    ours, peer = rounds(
        [
            lambda: in_fresh_process(__file__, "reduce", *names),
            lambda: in_fresh_process(__file__, "naive", *names),
        ],
        repeats,
    )
    what = f"{lines:,} events, {size:,.0f} MB"
    return [
        Result(
            f"3. reduce() time, {what} (vs naive parse+group)",
            statistics.median(r["ns"] for r in ours) / 1e9,
            statistics.median(r["ns"] for r in peer) / 1e9,
            "s",
            1.5,
            higher_is_better=False,
        ),
        Result(
            "3. reduce() peak RSS (vs naive parse+group)",
            statistics.median(r["peak"] for r in ours) / 2**20,
            statistics.median(r["peak"] for r in peer) / 2**20,
            "MB",
            1.5,
            higher_is_better=False,
        ),
    ]


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2:])
