"""Concurrency benchmark, run by hand: ``python benchmarks/concurrency.py`` or
``make bench-concurrency`` (``--quick``: short).

Issue 3, point 8: how many events per second do several threads, or several processes, write
together into one NDJSON file, next to a single writer measured in the same run?

* Threads: 1, 4 and 8 threads log through the ``prod`` chain into one file (and 1 and 4 in the
  non-blocking mode, through its one queue). Target: 4 threads together at least 0.9 times one
  thread. The peer is structlog's recommended production setup, one ``BytesLogger`` shared by
  1 and 4 threads.
* Processes: 1, 2 and 4 spawned processes configure the same file and continue the parent's
  scope with ``attach``. Informational: they should scale with the cores. Other programs may
  be using some of them, so a reference, work that shares and writes nothing, is run in 1 and
  2 of the same processes: its ratio is how far processes could scale at the time. It also
  tells a quiet machine from a busy one for the threads, which fare differently on each.

Every measurement writes the same number of ``llm_call`` events in total, split evenly among
its threads or processes, each of which writes inside its own ``interaction`` of one open
workflow / iteration. A run is timed from the moment the first worker starts (all wait at a
barrier first, so starting threads and processes is not timed) to the moment every event is in
the file (the workflow has ended; in the non-blocking mode, its end waits for the queue). Rounds
take turns between all measurements and the table shows the median; after every run the file is
read back and every line must parse, with each worker's events all there, in its scope.

It prints a table and exits 0 whatever the results: it reports, it does not gate.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Barrier
from pathlib import Path
from time import monotonic_ns
from typing import Any, Final

import orjson
import structlog
from common import (
    PROMPT,
    RESPONSE,
    LoggerLike,
    Plan,
    Result,
    log_events,
    plan_from_command_line,
    render_table,
    rounds,
    structlog_prod_logger,
    versions,
)

import wf_structlog

WARM_UP: Final = 400

TARGET: Final = 0.9
"""4 threads together, against 1 thread."""
FREE_CORES: Final = 1.5
"""Below this ratio of the CPU-only reference (2 processes against 1), the cores were busy."""
CPU_ONLY_ROUND_TRIPS: Final = 14
"""orjson round trips of an event in :func:`cpu_only`: about the time of logging one, here."""

Opener = Callable[[int], AbstractContextManager[Any]]
"""The scope worker *i* writes in."""


@dataclass
class Measure:
    """One row of the table: a way of writing, its runs, and what it is compared with."""

    name: str
    baseline: Measure | None = None
    """The row it is compared with (``None``: a baseline itself)."""
    target: float | None = None
    """The least ratio to its baseline that passes (``None``: informational)."""
    note: str = "info"
    run: Callable[[int], int] = field(init=False, repr=False)
    """Writes that many events in total, returns the nanoseconds it took (set by a factory)."""
    problems: list[str] = field(default_factory=list)
    """What reading its files back found wrong; any makes the row INVALID."""

    @property
    def file_name(self) -> str:
        """Its NDJSON file's name, made from its own."""
        return "-".join(re.findall(r"[a-z0-9]+", self.name)) + ".ndjson"


# -- checking a file -------------------------------------------------------------------------


def check_file(path: Path, events: int, workers: int, scope_lines: int) -> list[str]:
    """What is wrong with *path* after a run of *events* ``llm_call`` events by *workers*.

    Every line must be a JSON object; there must be *events* ``llm_call`` lines, exactly
    ``events / workers`` in each worker's interaction, all in one workflow run, and
    *scope_lines* other lines (the scopes' start and end events).
    """
    lines = path.read_bytes().splitlines()
    problems = []
    if len(lines) != events + scope_lines:
        problems.append(f"{len(lines)} lines, expected {events} events + {scope_lines} scope lines")
    not_json = 0
    per_interaction: Counter[object] = Counter()
    runs: set[object] = set()
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            not_json += 1
            continue
        if isinstance(record, dict) and record.get("event") == "llm_call":
            per_interaction[record.get("interaction_id")] += 1
            runs.add(record.get("workflow_id"))
    if not_json:
        problems.append(f"{not_json} lines are not JSON")
    share = events // workers
    if None in per_interaction:
        problems.append(f"{per_interaction.pop(None)} llm_call events with no interaction_id")
    if sorted(per_interaction.values()) != [share] * workers:
        problems.append(
            f"llm_call events per interaction: {sorted(per_interaction.values())}, "
            f"expected {workers} interactions of {share}"
        )
    if None in runs or len(runs) != 1:
        problems.append(f"llm_call events in {len(runs)} workflow runs {runs}, expected 1")
    return problems


def _checked(measure: Measure, path: Path, events: int, workers: int, scope_lines: int) -> None:
    """Check *path*; say loudly what is wrong, and keep it for the table."""
    for problem in check_file(path, events, workers, scope_lines):
        message = f"{measure.name}: {path.name}: {problem}"
        print(f"!!! EVENTS MISSING OR BROKEN: {message}", file=sys.stderr, flush=True)
        measure.problems.append(message)


def _scope_lines(workers: int) -> int:
    """Start and end lines of the workflow, the iteration and one interaction per worker."""
    return 2 * (2 + workers)


# -- threads ---------------------------------------------------------------------------------


def in_threads(log: LoggerLike, workers: int, events: int, scope: Opener) -> int:
    """Write *events* from *workers* threads, each inside ``scope(i)``; returns when the first
    began writing (``monotonic_ns``), once every thread is done."""
    barrier = threading.Barrier(workers)
    starts = [0] * workers

    def work(index: int) -> None:
        with scope(index):
            barrier.wait()
            starts[index] = monotonic_ns()
            log_events(log, events // workers)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return min(starts)


def _interaction(index: int) -> AbstractContextManager[Any]:
    return wf_structlog.interaction(f"agent-{index}")


def ours_threads(row: Measure, tmp: Path, workers: int, *, non_blocking: bool = False) -> Measure:
    """*row*, run as: the ``prod`` chain into a file from *workers* threads (started inside the
    iteration, so with ``threads="auto"`` each carries it into its own interaction)."""
    path = tmp / row.file_name

    def run(events: int) -> int:
        wf_structlog.configure("prod", stdout=False, file=path, non_blocking=non_blocking)
        os.truncate(path, 0)  # O_APPEND: the next write lands at the new end
        log = wf_structlog.get_logger().bind(agent="planner")
        with wf_structlog.workflow("concurrency"), wf_structlog.iteration():
            start = in_threads(log, workers, events, _interaction)
        took = monotonic_ns() - start  # non-blocking: the workflow's end drained the queue
        _checked(row, path, events, workers, _scope_lines(workers))
        return took

    row.run = run
    return row


def peer_threads(row: Measure, tmp: Path, workers: int, stack: ExitStack) -> Measure:
    """*row*, run as: structlog's production setup from *workers* threads sharing one
    ``BytesLogger`` on a file.

    Each thread binds, with ``bound_contextvars``, the keys our interaction stamps (made-up
    ids), so both sides write the same keys.
    """
    path = tmp / row.file_name
    file = stack.enter_context(path.open("wb"))
    stamp = {"workflow": "concurrency", "iteration": 1, "iteration_id": secrets.token_hex(8)}

    def scope(index: int) -> AbstractContextManager[Any]:
        ids = {"interaction_id": secrets.token_hex(8), "agent": f"agent-{index}"}
        return structlog.contextvars.bound_contextvars(**stamp, **ids)

    def run(events: int) -> int:
        file.seek(0)
        file.truncate()
        stamp["workflow_id"] = secrets.token_hex(16)
        log = structlog_prod_logger(file)  # one logger, hence one BytesLogger, for all threads
        start = in_threads(log, workers, events, scope)
        took = monotonic_ns() - start
        _checked(row, path, events, workers, 0)
        return took

    row.run = run
    return row


# -- processes -------------------------------------------------------------------------------


def cpu_only(events: int) -> None:
    """Work that shares nothing and writes nothing, about as long per event as logging one is:
    how far processes scale on the cores free now, if logging took nothing from each other."""
    record = {"event": "llm_call", "model": "m-1", "prompt": PROMPT, "response": RESPONSE}
    for _ in itertools.repeat(None, events * CPU_ONLY_ROUND_TRIPS):
        orjson.loads(orjson.dumps(record))


def process_main(index: int, path: str, conn: Connection, barrier: Barrier) -> None:
    """A spawned worker: configure the shared file once, then run each job the parent sends.

    A job is ``(carrier, events)``: continue the parent's scope, write *events* inside an
    interaction of its own, and send back when writing began (``monotonic_ns``, one clock for
    every process); with no carrier, run :func:`cpu_only` instead. ``None`` ends the worker.
    """
    wf_structlog.configure("prod", stdout=False, file=path)
    log = wf_structlog.get_logger().bind(agent="planner")
    while (job := conn.recv()) is not None:
        found, events = job
        if found is None:
            barrier.wait()
            start = monotonic_ns()
            cpu_only(events)
        else:
            with wf_structlog.attach(found), _interaction(index):
                barrier.wait()
                start = monotonic_ns()
                log_events(log, events)
        conn.send(start)  # after the interaction's end: all this worker's lines are written


@dataclass(frozen=True)
class Pool:
    """Spawned :func:`process_main` workers, configured to write *path*, serving every round."""

    path: Path
    conns: list[Connection]

    def run(self, found: dict[str, str] | None, events: int) -> int:
        """Give each worker its share of *events*; returns when the first began, once all are
        done."""
        for conn in self.conns:
            conn.send((found, events // len(self.conns)))
        return min(int(conn.recv()) for conn in self.conns)


def spawn(path: Path, workers: int, context: SpawnContext, stack: ExitStack) -> Pool:
    """Start *workers* processes now; the first job (a warm-up) waits for them at the barrier."""
    barrier = context.Barrier(workers)
    conns = []
    for index in range(workers):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=process_main, args=(index, str(path), theirs, barrier), daemon=True
        )
        process.start()
        theirs.close()
        conns.append(ours)
        stack.callback(process.join, 10)
    # At the end (callbacks run last first): stop each worker, release any still waiting at the
    # barrier (a sibling died), then join. This also keeps the barrier alive while they start.
    stack.callback(barrier.abort)
    for conn in conns:
        stack.callback(conn.send, None)
    return Pool(path, conns)


def ours_processes(row: Measure, pool: Pool) -> Measure:
    """*row*, run as: the ``prod`` chain into the pool's file from each of its processes,
    attached to the parent's iteration."""
    workers = len(pool.conns)

    def run(events: int) -> int:
        wf_structlog.configure("prod", stdout=False, file=pool.path)
        os.truncate(pool.path, 0)
        with wf_structlog.workflow("concurrency"), wf_structlog.iteration():
            start = pool.run(wf_structlog.carrier(), events)
        took = monotonic_ns() - start
        _checked(row, pool.path, events, workers, _scope_lines(workers))
        return took

    row.run = run
    return row


def cpu_only_processes(row: Measure, pool: Pool) -> Measure:
    """*row*, run as: :func:`cpu_only` in each of the pool's processes (nothing written)."""

    def run(events: int) -> int:
        start = pool.run(None, events)
        return monotonic_ns() - start

    row.run = run
    return row


# -- report ----------------------------------------------------------------------------------


def measures(tmp: Path, context: SpawnContext, stack: ExitStack) -> list[Measure]:
    """Every row of the table, in order, each writing its own file in *tmp*."""
    one_thread = ours_threads(Measure("ours, 1 thread"), tmp, 1)
    queued = Measure("ours non-blocking, 1 thread", one_thread)  # against: the queue's cost
    peer = peer_threads(Measure("structlog, 1 thread"), tmp, 1, stack)
    pools = {n: spawn(tmp / f"processes-{n}.ndjson", n, context, stack) for n in (1, 2, 4)}
    one_process = Measure("ours, 1 process", one_thread)  # against: a process of its own
    cpu_one = Measure("reference: CPU only, 1 process")
    cpu_two = Measure("reference: CPU only, 2 processes", cpu_one, note="free cores now")
    cores = f"info ({os.cpu_count()} cores)"
    return [
        one_thread,
        ours_threads(Measure("ours, 4 threads", one_thread, TARGET), tmp, 4),
        ours_threads(Measure("ours, 8 threads", one_thread), tmp, 8),
        ours_threads(queued, tmp, 1, non_blocking=True),
        ours_threads(Measure("ours non-blocking, 4 threads", queued), tmp, 4, non_blocking=True),
        peer,
        peer_threads(Measure("structlog, 4 threads", peer), tmp, 4, stack),
        ours_processes(one_process, pools[1]),
        ours_processes(Measure("ours, 2 processes", one_process, note=cores), pools[2]),
        ours_processes(Measure("ours, 4 processes", one_process, note=cores), pools[4]),
        cpu_only_processes(cpu_one, pools[1]),
        cpu_only_processes(cpu_two, pools[2]),
    ]


Rates = dict[str, list[float]]
"""Events per second of each round, by row name."""


def ratios(rates: Rates, row: Measure) -> list[float]:
    """Each round's rate of *row* over its baseline's in the same round (the machine's load can
    change between rounds, much less within one)."""
    if row.baseline is None:
        return [1.0]
    return [a / b for a, b in zip(rates[row.name], rates[row.baseline.name], strict=True)]


def format_table(rows: Sequence[Measure], rates: Rates) -> str:
    """The rows as a plain-text table: median rate and its spread over the rounds; median
    ratio to the baseline, with the lowest and highest; target; result."""
    cells = []
    for row in rows:
        own, base, paired = rates[row.name], row.baseline, ratios(rates, row)
        rate, ratio = statistics.median(own), statistics.median(paired)
        if row.problems:
            result = "INVALID"
        elif row.target is not None:
            result = "PASS" if ratio >= row.target else "FAIL"
        else:
            result = "-"
        target = f">= {row.target:.2f}x" if row.target is not None else row.note
        cells.append(
            (
                row.name,
                f"{rate:,.0f} ev/s",
                f"{(max(own) - min(own)) / rate:.0%}",
                base.name if base else "(baseline)",
                f"{ratio:.2f}x" + (f" ({min(paired):.2f}-{max(paired):.2f})" if base else ""),
                target if base else "",
                result,
            )
        )
    header = ("measure", "events/s", "spread", "compared with", "ratio (range)", "target", "result")
    return render_table(header, cells)


def run_rows(rows: Sequence[Measure], plan: Plan) -> Rates:
    """Warm every row up, then run them in turns for the plan's rounds; their rates."""
    rounds([functools.partial(row.run, WARM_UP) for row in rows], 1)
    samples = rounds([functools.partial(row.run, plan.events) for row in rows], plan.rounds)
    return {
        row.name: [plan.events * 1e9 / ns for ns in taken]
        for row, taken in zip(rows, samples, strict=True)
    }


def _result(name: str, row: Measure, rates: Rates) -> Result:
    """*row* as a row of the main table, against its baseline."""
    assert row.baseline is not None
    if row.problems:
        name += " -- INVALID, events missing (see stderr)"
    return Result(
        name,
        statistics.median(rates[row.name]),
        statistics.median(rates[row.baseline.name]),
        "ev/s",
        row.target,
        higher_is_better=True,
        ratio_override=statistics.median(ratios(rates, row)),
    )


def bench_threads(plan: Plan, tmp: Path) -> list[Result]:
    """Target 4 for the main table: 4 threads into one file against 1 thread, and the CPU-only
    reference (2 processes against 1) that tells whether the cores were free to scale at all."""
    context = multiprocessing.get_context("spawn")
    try:
        with ExitStack() as stack:
            one = ours_threads(Measure("ours, 1 thread"), tmp, 1)
            four = ours_threads(Measure("ours, 4 threads", one, TARGET), tmp, 4)
            pools = {n: spawn(tmp / f"processes-{n}.ndjson", n, context, stack) for n in (1, 2)}
            cpu_one = cpu_only_processes(Measure("reference: CPU only, 1 process"), pools[1])
            cpu_two = cpu_only_processes(Measure("CPU only, 2 processes", cpu_one), pools[2])
            rates = run_rows([one, four, cpu_one, cpu_two], plan)
    finally:
        wf_structlog.reset()
    return [
        _result("4. 4 threads -> one file (vs 1 thread)", four, rates),
        _result("4. reference: CPU-only work, 2 processes (vs 1)", cpu_two, rates),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement and print the table; always returns 0."""
    plan = plan_from_command_line(argv, __doc__)
    print(
        f"{versions()}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        f"{plan.rounds} rounds of {plan.events:,} events per measurement, split among its "
        f"threads or processes (spawned); median"
    )
    context = multiprocessing.get_context("spawn")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wf_structlog-concurrency-") as tmp,
            ExitStack() as stack,
        ):
            rows = measures(Path(tmp), context, stack)
            rates = run_rows(rows, plan)
    finally:
        wf_structlog.reset()
        structlog.reset_defaults()
    print(format_table(rows, rates))
    free = statistics.median(ratios(rates, rows[-1]))  # the CPU-only reference, 2 processes
    if free < FREE_CORES:
        print(
            f"note: the CPU-only reference reached {free:.2f}x with 2 processes: other programs "
            "were using the cores. Threads fare better on a busy machine than on a quiet one "
            "(where the GIL moves between cores at each write), so their ratios flatter here."
        )
    broken = sum(len(row.problems) for row in rows)
    runs = len(rows) * (plan.rounds + 1)
    print(
        f"spread: (fastest - slowest round) / median; ratio: median of the rounds' (lowest-"
        f"highest); load at the end {os.getloadavg()[0]:.2f}; "
        f"files read back after {runs} runs: {broken or 'no'} problems"
        + (" -- SEE ABOVE: THESE NUMBERS ARE NOT VALID" if broken else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
