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

import sys
from pathlib import Path
from typing import Final

import orjson
from common import Result, in_fresh_process, peak_rss
from workload import run_workflow

import wf_structlog

BOUND_MB: Final = 1600
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


def bench_memory(short: int, long: int, tmp: Path) -> list[Result]:
    """The document on: growth per million events against :data:`BOUND_MB`; off: the peak of
    a workflow of *long* events against one of *short*."""
    on = in_fresh_process(__file__, "on", str(long), str(tmp))
    per_million = (on["after"] - on["before"]) / 2**20 * 1_000_000 / long
    off_short, off_long = (
        in_fresh_process(__file__, "off", str(events), str(tmp)) for events in (short, long)
    )
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
