"""What every benchmark shares: the event logged, the timed loop, rounds, and the table."""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter_ns
from typing import Any, Final, Protocol, TypeVar

import orjson
import structlog

import wf_structlog
from wf_structlog.config import ENVIRONMENT_VARIABLES

PROMPT: Final = "Summarise the attached quarterly report for the finance team. " * 3
RESPONSE: Final = "Revenue grew 12% on the quarter; costs were flat and margins improved. " * 6

# The realistic event of issue 18: what an agent logs for one LLM call that picks a tool.
# About 1.4 KB as NDJSON once stamped; no secret in it, so it is what every ordinary event pays.
AGENT_PROMPT: Final = (
    "You are the research agent of a crew preparing a quarterly briefing. Read the notes, "
    "decide which tool to call next and say why in a single sentence. Keep each figure "
    "traceable to its source. Notes: household spending rose in the north, fell slightly in "
    "the south, and the east has not reported yet."
)
AGENT_RESPONSE: Final = (
    "I will call the survey search tool with the regional filters, because the east is "
    "missing and the briefing needs all three regions before the trend can be stated. Once "
    "the figures are in, I will compare them quarter by quarter, flag any region whose change "
    "exceeds two points, and hand the table to the writer with the sources attached. If the "
    "east still has not reported, the briefing will say so plainly rather than estimate it, "
    "and the critic can decide whether to wait for the next release."
)
TOOL_ARGUMENTS: Final = {
    "tool": "survey_search",
    "query": {
        "text": "household spending by region",
        "regions": ["north", "south", "east"],
        "quarters": ["2026-Q1", "2026-Q2", "2026-Q3"],
    },
    "filters": {
        "min_households": 100,
        "exclude_incomplete": True,
        "weights": {"urban": 0.6, "rural": 0.4},
    },
    "options": {"max_results": 20, "language": "en", "timeout_s": 30.0, "cache": False},
}

AGENT_FIELDS: Final[dict[str, Any]] = {
    "model": "m-1",
    "prompt": AGENT_PROMPT,
    "response": AGENT_RESPONSE,
    "input_tokens": 412,
    "output_tokens": 138,
    "total_tokens": 550,
    "tool_arguments": TOOL_ARGUMENTS,
}
"""The keys of the agent event, as every peer logs them."""

T = TypeVar("T")


@dataclass(frozen=True)
class Plan:
    """How much work each measurement does (``--quick``: :data:`QUICK`, else :data:`FULL`)."""

    events: int
    """Events written per round of the file benchmarks (targets 1 and 4)."""
    calls: int
    """Calls made per round of the no-op benchmarks (target 2)."""
    rounds: int
    reducer_events: int
    """Events reduced (target 3), in one fresh process per side and round."""
    reducer_rounds: int
    memory_events: tuple[int, int]
    """A short and a long workflow (target 5): memory must not grow from one to the other."""
    stream_events: tuple[int, ...]
    """Sizes of the generated file of many runs (target 7): time must grow linearly."""
    report_huge: int
    """Events of the one huge run whose report must stay within its bound (target 6; 0: none)."""
    only: frozenset[str] = frozenset()
    """The sections to run (``--only agent,threads``); empty: all of them."""


FULL: Final = Plan(
    events=30_000,
    calls=1_000_000,
    rounds=5,
    reducer_events=1_000_000,
    reducer_rounds=3,
    memory_events=(100_000, 1_000_000),
    stream_events=(100_000, 1_000_000, 3_000_000),
    report_huge=1_000_000,
)
QUICK: Final = Plan(
    events=2_000,
    calls=100_000,
    rounds=3,
    reducer_events=1_000_000,  # the target's size: a smaller run flatters the naive loop
    reducer_rounds=1,
    memory_events=(20_000, 200_000),
    stream_events=(100_000, 300_000),
    report_huge=0,
)


@dataclass(frozen=True)
class Result:
    """One row of the table: our number, the peer's, and the ratio we aim for.

    A row without a *target* is information (a reference measurement), never PASS or FAIL.
    """

    name: str
    ours: float
    peer: float
    unit: str
    target: float | None
    higher_is_better: bool
    ratio_override: float | None = None
    """The ratio, when not simply ours / peer (e.g. the median of each round's ratio)."""

    @property
    def ratio(self) -> float:
        """Ours divided by the peer's."""
        if self.ratio_override is not None:
            return self.ratio_override
        return self.ours / self.peer if self.peer > 0 else float("inf")

    @property
    def verdict(self) -> str:
        """``PASS``, ``FAIL``, or ``info`` for a row without a target."""
        if self.target is None:
            return "info"
        better = self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target
        return "PASS" if better else "FAIL"


class LoggerLike(Protocol):
    """The part of a logger the loops call: wf_structlog's, structlog's and the peers' have it."""

    def info(self, event: str, /, *args: Any, **kw: Any) -> Any: ...

    def debug(self, event: str, /, *args: Any, **kw: Any) -> Any: ...


def log_events(log: LoggerLike, n: int) -> int:
    """Log *n* ``llm_call`` events with a prompt and a response; the nanoseconds it took.

    The call is written out, as a user writes it, so the measurement includes the attribute
    lookup and argument passing a real call pays. itertools.repeat is the cheapest loop.
    """
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


def log_agent_events(log: LoggerLike, n: int) -> int:
    """Log *n* realistic ``llm_call`` events (:data:`AGENT_FIELDS`: a prompt, a response, token
    counts, nested tool arguments), as a program passes fields it holds in a dict; the
    nanoseconds it took."""
    start = perf_counter_ns()
    for _ in itertools.repeat(None, n):
        log.info("llm_call", **AGENT_FIELDS)
    return perf_counter_ns() - start


def rounds(measures: Sequence[Callable[[], T]], count: int) -> list[list[T]]:
    """Run each measure once per round, taking turns, so drift (CPU clock, page cache, other
    processes) falls on every contender alike. Returns the samples of each measure."""
    samples: list[list[T]] = [[] for _ in measures]
    for _ in range(count):
        for measure, taken in zip(measures, samples, strict=True):
            taken.append(measure())
    return samples


def structlog_prod_logger(file: Any) -> LoggerLike:
    """structlog's recommended production configuration, writing to the binary *file*.

    wf_structlog never reads structlog's global configuration, so setting it here leaves ours
    untouched; the caller resets it at the end (``structlog.reset_defaults()``).
    """
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(20),  # logging.INFO
        logger_factory=structlog.BytesLoggerFactory(file=file),
        cache_logger_on_first_use=True,
    )
    log: LoggerLike = structlog.get_logger().bind(agent="planner")
    return log


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes.

    From ``VmHWM``, which starts afresh at ``exec``, where ``ru_maxrss`` carries the parent's
    peak over into a child started with fork and exec (Linux).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # in kB
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory needs Linux")


def in_fresh_process(script: str, *args: str) -> dict[str, int]:
    """Run *script* with *args* in a fresh interpreter; the JSON object it printed."""
    out = subprocess.run([sys.executable, script, *args], check=True, capture_output=True).stdout
    report: dict[str, int] = orjson.loads(out)
    return report


def check_lines(path: Path, expected: int, who: str) -> None:
    """Fail loudly if a side wrote nothing or dropped events: its speed would mean nothing."""
    written = path.read_bytes().count(b"\n")
    if written != expected:
        raise RuntimeError(f"{who} wrote {written} lines to {path}, expected {expected}")


def _number(value: float, unit: str) -> str:
    digits = {"ev/s": 0, "s": 2, "nodes": 0}.get(unit, 1)
    return f"{value:,.{digits}f} {unit}"


def format_table(results: Sequence[Result]) -> str:
    """The results as a plain-text table."""
    header = ("target / benchmark", "ours", "peer", "ratio", "target", "result")
    rows = [
        (
            r.name,
            _number(r.ours, r.unit),
            _number(r.peer, r.unit),
            f"{r.ratio:.2f}x",
            "" if r.target is None else f"{'>=' if r.higher_is_better else '<='} {r.target:.2f}x",
            r.verdict,
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


def plan_from_command_line(argv: Sequence[str] | None, doc: str | None) -> Plan:
    """The plan the command line asks for (``--quick``: :data:`QUICK`), the environment cleaned
    first (:func:`clean_environment`: processes started later inherit it)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="a much shorter run")
    parser.add_argument(
        "--only", default="", help="comma-separated sections to run (bench.py: see SECTIONS)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    only = frozenset(name.strip() for name in args.only.split(",") if name.strip())
    clean_environment()
    return dataclasses.replace(plan, only=only)


def versions() -> str:
    """The versions of Python and of the libraries measured, for the first line of a report."""
    return (
        f"Python {platform.python_version()}, wf_structlog {wf_structlog.__version__}, "
        f"structlog {structlog.__version__}, orjson {orjson.__version__}"
    )
