"""Every target of issue 7 in one table: ``make bench`` (15 minutes; ``BENCH_ARGS=--quick``: 2).

Each target is measured as a ratio against its peer in the same run (rounds take turns, so a
busy machine slows both sides alike):

1. the ``prod`` chain into a file, against structlog's production setup, the standard library
   with python-json-logger, and loguru (:mod:`chain`, :mod:`peers`);
2. a call that writes nothing, against a no-op function (:mod:`chain`);
3. ``reduce()`` on a million events, against a naive parse-and-group loop (:mod:`reducing`);
4. 4 threads into one file, against 1 thread (:mod:`concurrency`);
5. the memory of a long workflow, with the document on and off (:mod:`memory`);
6. the HTML report in headless Chromium at 10,000 and 100,000 events, against its budgets,
   and (not with ``--quick``) the report of a run of a million events: its nodes against the
   bound it is folded to, its load time (:mod:`report`; skipped without ``/usr/bin/chromium``);
7. the reading side on a generated file of many runs, as a stream: ``reduce``, ``reduce_iter``
   at each size, and ``wf-log stats``, ``tree`` and ``report`` at the largest, against a plain
   orjson parse of every line; the CLI against the API, peak memory against 1 GB, ``wf-log
   view`` into a pipe (:mod:`streaming`).

Target 1 is measured twice: on the short event of issue 7 and on issue 18's realistic agent
event (prompt, response, token counts, nested tool arguments), where the OpenTelemetry SDK and
the limit (orjson and one ``os.write`` per event) are shown too.

``--only agent,threads`` runs some sections alone (names: :data:`SECTIONS`); ``threads``
holds the CPU-only reference, which says how busy the machine was.

The peers come from the ``bench`` dependency group. It prints the table and exits 0 whatever
the results: it reports, it does not gate.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from chain import bench_agent_file, bench_below_level, bench_file, bench_off, bench_redaction
from common import Plan, Result, format_table, plan_from_command_line, versions
from concurrency import FREE_CORES, bench_threads
from memory import BOUND_MB, bench_memory
from reducing import bench_reducer
from report import bench_report
from streaming import bench_streaming


def _peer_versions() -> str:
    return ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("python-json-logger", "loguru", "opentelemetry-sdk")
    )


SECTIONS: Final[dict[str, Callable[[Plan, Path], list[Result]]]] = {
    "threads": bench_threads,  # first: its CPU-only reference says how busy the machine is
    "short": bench_file,
    "agent": bench_agent_file,
    "redaction": lambda plan, tmp: [bench_redaction(plan)],
    "off": lambda plan, tmp: [bench_off(plan), bench_below_level(plan)],
    "reducer": lambda plan, tmp: bench_reducer(plan.reducer_events, plan.reducer_rounds, tmp),
    "memory": lambda plan, tmp: bench_memory(*plan.memory_events, tmp),
    "report": lambda plan, tmp: bench_report(tmp, huge=plan.report_huge),
    "streaming": lambda plan, tmp: bench_streaming(plan.stream_events, tmp),
}
"""Each section of the table, in the order it runs; ``threads`` gives two rows: 4 threads
against 1, and the CPU-only reference."""
_ORDER: Final = ("short", "agent", "redaction", "off", "reducer", "threads", "memory", "report")


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark (or those of ``--only``) and print the table; always returns 0."""
    plan = plan_from_command_line(argv, __doc__)
    unknown = sorted(plan.only - set(SECTIONS))
    if unknown:
        print(f"no such section: {', '.join(unknown)}; sections: {', '.join(SECTIONS)}")
        return 2
    print(
        f"{versions()}, {_peer_versions()}; {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; {plan.rounds} rounds of {plan.events:,} events / "
        f"{plan.calls:,} calls; reducer: {plan.reducer_rounds} round(s) of "
        f"{plan.reducer_events:,} events",
        flush=True,
    )
    measured: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory(prefix="wf_structlog-bench-") as tmp:
        for name, section in SECTIONS.items():
            if not plan.only or name in plan.only:
                measured[name] = section(plan, Path(tmp))
    order = [*_ORDER, *(name for name in SECTIONS if name not in _ORDER)]
    print(format_table([row for name in order for row in measured.get(name, [])]))
    if "threads" in measured and measured["threads"][1].ratio < FREE_CORES:
        print(
            f"note: the CPU-only reference reached {measured['threads'][1].ratio:.2f}x with 2 "
            "processes: other programs were using the cores, and threads fare better on a busy "
            "machine than on a quiet one (where the GIL moves between cores at each write): "
            "row 4 flatters."
        )
    print(
        f"ev/s: median of the rounds; ns: best round, net of the loop; reducer: median, each "
        f"side in a fresh process (peak RSS: VmHWM); threads: median of each round's ratio; "
        f"memory: stated bound {BOUND_MB:,} MB per million events with the document on; "
        f"load at the end {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
