"""A run that fills its disk, then gets the space back: ``full_disk.py WAY DIR``.

Logs into ``DIR/run.ndjson`` and ``DIR/docs``, runs out of space in the middle of workflow
``full`` (WAY ``tmpfs``: DIR is a small tmpfs, filled by another file; ``fsize``: the process's
RLIMIT_FSIZE is lowered to just past the log's size), gets it back, then runs workflow
``after``. It copies the log to ``DIR/../run.ndjson`` and lists the documents' directory in
``DIR/../docs.txt`` (a tmpfs is gone once the process ends).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
from pathlib import Path

import wf_structlog as wfl

_PAD = "p" * 300


def run_out(way: str, directory: Path) -> object:
    """Leave (almost) no room for the log; return what gives the room back."""
    if way == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails: EFBIG
        limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        size = (directory / "run.ndjson").stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, limits[1]))
        return limits
    filler = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(filler, b"x" * 512)
    except OSError:  # ENOSPC: the disk is full
        os.close(filler)
    return None


def give_back(way: str, directory: Path, limits: object) -> None:
    if way == "fsize":
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)  # type: ignore[arg-type]
    else:
        os.unlink(directory / "filler")


def main(way: str, directory: Path) -> None:
    wfl.configure("prod", stdout=False, file=directory / "run.ndjson", doc_dir=directory / "docs")
    log = wfl.get_logger()
    log.info("before", pad=_PAD)
    limits = run_out(way, directory)
    with wfl.workflow("full"), wfl.iteration(), wfl.interaction("writer"):
        for item in range(40):
            log.info("while_full", item=item, pad=_PAD)
    give_back(way, directory, limits)
    with wfl.workflow("after"), wfl.iteration(), wfl.interaction("writer"):
        for item in range(5):
            log.info("tool_call", item=item)
    shutil.copy(directory / "run.ndjson", directory.parent / "run.ndjson")
    names = sorted(path.name for path in (directory / "docs").iterdir())
    (directory.parent / "docs.txt").write_text("\n".join(names), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
