"""A large NDJSON file of many runs, for the reading-side benchmarks (``python generate.py EVENTS
PATH``; write it under /tmp, never in the repository).

A template run is logged once through the real ``prod`` chain (:mod:`workload`); the file is
that run copied with new ids, :data:`SIDE_BY_SIDE` runs at a time with their lines interleaved
(as runs of several agents logging into one file at once), so the reader holds several open
runs. Copying lines is what makes a 2 GB file take seconds rather than the hour the chain
would: every copy has the template's shape, counts and sizes (about 750 bytes per event).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Final

from workload import run_workflow

import wf_structlog

RUN_EVENTS: Final = 2_600
"""Events of one run (100 iterations of four turns)."""
SIDE_BY_SIDE: Final = 8
_ID: Final = re.compile(rb'"([0-9a-f]{8})([0-9a-f]{8}(?:[0-9a-f]{16})?)"')


def template() -> list[bytes]:
    """The lines of one run of about :data:`RUN_EVENTS` events, logged through ``prod``."""
    with tempfile.TemporaryDirectory(prefix="wf_structlog-gen-") as tmp:
        path = Path(tmp) / "template.ndjson"
        wf_structlog.configure("prod", stdout=False, file=path)
        try:
            run_workflow(wf_structlog.get_logger(), "research", RUN_EVENTS)
        finally:
            wf_structlog.reset()
        return path.read_bytes().splitlines(keepends=True)


def _copy(lines: list[bytes], number: int) -> list[bytes]:
    """*lines* with every id given the run's *number* as its first 8 hex digits."""
    prefix = b'"%08x' % number
    return [_ID.sub(lambda m: prefix + m[2] + b'"', line) for line in lines]


def generate(events: int, path: Path) -> int:
    """Write about *events* events to *path*; how many lines were written."""
    lines = template()
    written = 0
    with path.open("wb") as out:
        number = 0
        while written < events:
            group = [_copy(lines, number + i) for i in range(SIDE_BY_SIDE)]
            number += SIDE_BY_SIDE
            for row in zip(*group, strict=True):
                out.writelines(row)
            written += len(lines) * SIDE_BY_SIDE
    return written


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
