"""Benchmarks, run by hand: ``python benchmarks/bench.py`` or ``make bench`` (``--quick``: short).

Two questions, each answered against a peer measured in the same run:

1. How many events per second does the full ``prod`` chain write to an NDJSON file, inside an
   open workflow / iteration / interaction, next to structlog's recommended production setup
   writing the same keys? Target: at least 0.6 times structlog.
2. What does redaction cost? The ``prod`` redactor (which makes values safe, redacts keys and
   values and bounds strings, in one walk) on the event of question 1, next to the walk that
   only makes values safe. Target: at most 3 times that walk.
3. What does a call cost when nothing is written (logging off, or below the level), next to a
   plain no-op function called with the same arguments? Target: at most 1.5 times the no-op.

It prints a table and exits 0 whatever the results: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any, BinaryIO, Final, Protocol

import orjson
import structlog

import wf_structlog
from wf_structlog.config import ENVIRONMENT_VARIABLES, build_chain, resolve
from wf_structlog.safe import safe_values
from wf_structlog.typing import EventDict, Processor

PROMPT: Final = "Summarise the attached quarterly report for the finance team. " * 3
RESPONSE: Final = "Revenue grew 12% on the quarter; costs were flat and margins improved. " * 6


@dataclass(frozen=True)
class Plan:
    """How much work each measurement does."""

    events: int
    """Events written per round of the file benchmark."""
    calls: int
    """Calls made per round of the no-op benchmarks."""
    rounds: int


FULL: Final = Plan(events=30_000, calls=1_000_000, rounds=5)
QUICK: Final = Plan(events=2_000, calls=100_000, rounds=3)


@dataclass(frozen=True)
class Result:
    """One row of the table: our number, the peer's, and the ratio we aim for."""

    name: str
    ours: float
    peer: float
    unit: str
    target: float
    higher_is_better: bool

    @property
    def ratio(self) -> float:
        """Ours divided by the peer's."""
        return self.ours / self.peer if self.peer > 0 else float("inf")

    @property
    def passed(self) -> bool:
        """Whether the ratio meets the target."""
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


class _Logger(Protocol):
    """The part of a logger the loops call; both wf_structlog's and structlog's have it."""

    def info(self, event: Any = None, *args: Any, **kw: Any) -> Any: ...

    def debug(self, event: Any = None, *args: Any, **kw: Any) -> Any: ...


def noop(event: str, **kw: Any) -> None:
    """The floor a filtered-out call is compared with: a function that does nothing."""
    return None


# -- timed loops ---------------------------------------------------------------------------
# Each loop has its call written out, as a user writes it, so the measurement includes the
# attribute lookup and argument passing a real call pays. itertools.repeat is the cheapest loop.


def _write_events(log: _Logger, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info(
            "llm_call",
            model="m-1",
            prompt=PROMPT,
            response=RESPONSE,
            input_tokens=12,
            output_tokens=40,
        )
    return perf_counter_ns() - start


def _info_calls(log: _Logger, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _debug_calls(log: _Logger, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.debug("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _noop_calls(fn: Callable[..., None], n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        fn("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    return perf_counter_ns() - start


def _empty_loop(n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        pass
    return perf_counter_ns() - start


def _rounds(measures: Sequence[Callable[[], int]], rounds: int) -> list[list[int]]:
    """Run each measure once per round, taking turns, so drift (CPU clock, page cache, other
    processes) falls on every contender alike. Returns the samples of each measure."""
    samples: list[list[int]] = [[] for _ in measures]
    for _ in range(rounds):
        for measure, taken in zip(measures, samples, strict=True):
            taken.append(measure())
    return samples


# -- 1. events per second into a file ------------------------------------------------------


def _structlog_prod_logger(file: BinaryIO) -> _Logger:
    """structlog's recommended production configuration, writing to *file*.

    wf_structlog never reads structlog's global configuration, so setting it here leaves ours
    untouched; :func:`main` resets it at the end.
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.BytesLoggerFactory(file=file),
        cache_logger_on_first_use=True,
    )
    log: _Logger = structlog.get_logger().bind(agent="planner")
    return log


def _check_lines(path: Path, expected: int, who: str) -> None:
    """Fail loudly if a side wrote nothing or dropped events: its speed would mean nothing."""
    written = path.read_bytes().count(b"\n")
    if written != expected:
        raise RuntimeError(f"{who} wrote {written} lines to {path}, expected {expected}")


def bench_file(plan: Plan, tmp: Path) -> Result:
    """Events per second of the ``prod`` chain into a file, and of structlog's production setup.

    The structlog side binds the same hierarchy keys with ``bound_contextvars``, structlog's own
    way to carry context, so both sides write the same keys (ours adds ``seq`` and ``pid``).
    """
    ours_path = tmp / "ours.ndjson"
    peer_path = tmp / "structlog.ndjson"
    wf_structlog.configure(preset="prod", stdout=False, file=ours_path)
    ours = wf_structlog.get_logger().bind(agent="planner")
    try:
        with (
            peer_path.open("wb") as peer_file,
            wf_structlog.workflow("bench"),
            wf_structlog.iteration(),
            wf_structlog.interaction("planner") as turn,
        ):
            peer = _structlog_prod_logger(peer_file)
            stamp = dict(turn.stamp)

            def ours_round(n: int) -> int:
                os.truncate(ours_path, 0)  # O_APPEND: the next write lands at the new end
                took = _write_events(ours, n)
                _check_lines(ours_path, n, "wf_structlog")
                return took

            def peer_round(n: int) -> int:
                peer_file.seek(0)
                peer_file.truncate()
                with structlog.contextvars.bound_contextvars(**stamp):
                    took = _write_events(peer, n)
                _check_lines(peer_path, n, "structlog")
                return took

            # Warm up: caches fill, files exist, structlog caches its logger on first use.
            _rounds([lambda: ours_round(100), lambda: peer_round(100)], 1)
            ours_ns, peer_ns = _rounds(
                [lambda: ours_round(plan.events), lambda: peer_round(plan.events)], plan.rounds
            )
    finally:
        wf_structlog.reset()
    # Median, not best: writing to a file has real variance, and it is part of the cost.
    return Result(
        name="prod chain -> NDJSON file (vs structlog prod)",
        ours=plan.events * 1e9 / statistics.median(ours_ns),
        peer=plan.events * 1e9 / statistics.median(peer_ns),
        unit="ev/s",
        target=0.6,
        higher_is_better=True,
    )


# -- 2. the cost of redaction ---------------------------------------------------------------


def _process(processor: Processor, event: EventDict, n: int) -> int:
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        processor(None, "info", dict(event))
    return perf_counter_ns() - start


def bench_redaction(plan: Plan) -> Result:
    """Nanoseconds per event of the ``prod`` redactor, and of ``safe_values`` alone.

    The event is the one :func:`bench_file` writes, as it reaches the last processor: no
    secret in it, so this is what every ordinary event pays. Best of the rounds, as for calls.
    """
    redactor = build_chain(resolve("prod", {}))[-1]
    event: EventDict = {
        "agent": "planner",
        "model": "m-1",
        "prompt": PROMPT,
        "response": RESPONSE,
        "input_tokens": 12,
        "output_tokens": 40,
        "event": "llm_call",
        "workflow": "bench",
        "workflow_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "iteration": 1,
        "iteration_id": "00f067aa0ba902b7",
        "interaction_id": "b9c7c989f97918e1",
        "span_id": "b9c7c989f97918e1",
        "timestamp": "2026-11-25T06:41:52.123456Z",
        "level": "info",
        "seq": 1,
        "pid": 4242,
    }
    assert redactor(None, "info", dict(event)) == event  # nothing to redact, nothing lost
    ours, peer = _rounds(
        [
            lambda: _process(redactor, event, plan.events),
            lambda: _process(safe_values, event, plan.events),
        ],
        plan.rounds,
    )
    return Result(
        name="prod redactor per event (vs safe_values)",
        ours=min(ours) / plan.events,
        peer=min(peer) / plan.events,
        unit="ns",
        target=3.0,
        higher_is_better=False,
    )


# -- 3. the cost of a call that writes nothing ---------------------------------------------


def _per_call(name: str, call: Callable[[int], int], plan: Plan) -> Result:
    """Nanoseconds per *call* and per no-op call, net of the loop itself.

    Subtracting the empty loop makes the ratio compare the calls alone (a loop's overhead would
    flatter the ratio). Best of the rounds: with no I/O, slower rounds are interference.
    """
    calls, noops, empty = _rounds(
        [
            lambda: call(plan.calls),
            lambda: _noop_calls(noop, plan.calls),
            lambda: _empty_loop(plan.calls),
        ],
        plan.rounds,
    )
    loop = min(empty)
    return Result(
        name=name,
        ours=max(min(calls) - loop, 0) / plan.calls,
        peer=max(min(noops) - loop, 0) / plan.calls,
        unit="ns",
        target=1.5,
        higher_is_better=False,
    )


def bench_off(plan: Plan) -> Result:
    """``log.info`` with ``WORKFLOW_LOGGING=false``, against the no-op function."""
    os.environ["WORKFLOW_LOGGING"] = "false"
    try:
        wf_structlog.configure(preset="prod", stdout=False)
    finally:
        del os.environ["WORKFLOW_LOGGING"]
    log = wf_structlog.get_logger().bind(agent="planner")
    try:
        return _per_call("logging off: log.info (vs no-op)", lambda n: _info_calls(log, n), plan)
    finally:
        wf_structlog.reset()


def bench_below_level(plan: Plan) -> Result:
    """``log.debug`` under the ``prod`` preset (level info), against the no-op function."""
    wf_structlog.configure(preset="prod", stdout=False)
    log = wf_structlog.get_logger().bind(agent="planner")
    try:
        return _per_call("below level: log.debug (vs no-op)", lambda n: _debug_calls(log, n), plan)
    finally:
        wf_structlog.reset()


# -- report --------------------------------------------------------------------------------


def _number(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit == "ev/s" else f"{value:,.1f} {unit}"


def format_table(results: Sequence[Result]) -> str:
    """The results as a plain-text table."""
    header = ("benchmark", "ours", "peer", "ratio", "target", "result")
    rows = [
        (
            r.name,
            _number(r.ours, r.unit),
            _number(r.peer, r.unit),
            f"{r.ratio:.2f}x",
            f"{'>=' if r.higher_is_better else '<='} {r.target:.2f}x",
            "PASS" if r.passed else "FAIL",
        )
        for r in results
    ]
    return render_table(header, rows)


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """*rows* of cells under *header* as plain text, one column per cell."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        # Names read best left-aligned, numbers right-aligned.
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def clean_environment() -> None:
    """Unset wf_structlog's variables, so the shell's settings cannot change what is measured."""
    for name in ENVIRONMENT_VARIABLES:
        os.environ.pop(name, None)


def versions() -> str:
    """The versions of Python and of the libraries measured, for the first line of a report."""
    return (
        f"Python {platform.python_version()}, wf_structlog {wf_structlog.__version__}, "
        f"structlog {structlog.__version__}, orjson {orjson.__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark and print the table; always returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a much shorter run")
    plan = QUICK if parser.parse_args(argv).quick else FULL
    clean_environment()
    print(f"{versions()}; {plan.rounds} rounds of {plan.events:,} events / {plan.calls:,} calls")
    try:
        with tempfile.TemporaryDirectory(prefix="wf_structlog-bench-") as tmp:
            results = [
                bench_file(plan, Path(tmp)),
                bench_redaction(plan),
                bench_off(plan),
                bench_below_level(plan),
            ]
    finally:
        structlog.reset_defaults()
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
