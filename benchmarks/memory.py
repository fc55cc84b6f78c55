"""Target 5: the memory of one long workflow, logged through the real ``prod`` chain into a file.

* With the in-process document on (``doc_dir`` set), every event is kept until the workflow
  ends and its document is written: memory grows with the events, and must stay under
  :data:`BOUND_MB` per million events (the peak, document writing included).
* With it off, nothing is kept: the peak of a workflow ten times longer must be the same.

Each run is a fresh process (``python memory.py on|off EVENTS DIR``) that logs a short
workflow first (imports, caches), then the measured one, and reports its peak resident memory
(``VmHWM``) before and after.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Final

import orjson
from common import Result, peak_rss
from workload import run_workflow

import wf_structlog

BOUND_MB: Final = 2500
"""The stated bound: peak memory added by a workflow with its document on, per million events
of :mod:`workload` (about 800 bytes of JSON each: two of every six carry a prompt and a
response)."""
GROWTH_TARGET: Final = 1.05
"""With the document off: peak at the long workflow, at most this times the short one's."""


def _child(document: str, events: int, tmp: Path) -> None:
    """Log one workflow of *events* events; print the peak RSS before and after, in bytes."""
    wf_structlog.configure(
        "prod",
        stdout=False,
        file=tmp / f"memory-{document}-{events}.ndjson",
        doc_dir=tmp / "documents" if document == "on" else None,
    )
    log = wf_structlog.get_logger()
    run_workflow(log, "warm-up", 1_000)
    before = peak_rss()
    run_workflow(log, "memory", events)
    print(orjson.dumps({"before": before, "after": peak_rss()}).decode())


def _measure(document: str, events: int, tmp: Path) -> dict[str, int]:
    """Run :func:`_child` in a fresh interpreter; its report."""
    out = subprocess.run(
        [sys.executable, __file__, document, str(events), str(tmp)],
        check=True,
        capture_output=True,
    ).stdout
    report: dict[str, int] = orjson.loads(out)
    return report


def bench_memory(short: int, long: int, tmp: Path) -> list[Result]:
    """The document on: growth per million events against :data:`BOUND_MB`; off: the peak of
    a workflow of *long* events against one of *short*."""
    on = _measure("on", long, tmp)
    per_million = (on["after"] - on["before"]) / 2**20 * 1_000_000 / long
    off_short, off_long = (_measure("off", events, tmp) for events in (short, long))
    return [
        Result(
            f"5. doc on: peak growth per 1M events ({per_million * 2**20 / 1e6:,.0f} B/event)",
            per_million,
            BOUND_MB,
            "MB",
            1.0,
            higher_is_better=False,
        ),
        Result(
            f"5. doc off: peak RSS, {long:,} events (vs {short:,})",
            off_long["after"] / 2**20,
            off_short["after"] / 2**20,
            "MB",
            GROWTH_TARGET,
            higher_is_better=False,
        ),
    ]


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
