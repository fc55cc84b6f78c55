"""Target 7 (issue 18): the reading side on files of many runs, as a stream.

A file of many runs is generated under the system's temporary directory (:mod:`generate`), at
each size of the plan (100,000, a million and three million events: time must grow linearly).
Each measurement runs in a fresh process of its own (``python streaming.py SIDE FILE``), which
times its work and reports its peak resident memory (``VmHWM``):

* ``parse``: the floor, ``orjson.loads`` of every line;
* ``reduce``: ``wfl.reduce()``; ``iter``: ``wfl.reduce_iter()``, each document dropped;
* ``cli-reduce``, ``cli-stats``: ``wf-log reduce -o FILE`` and ``wf-log stats --json``;
* ``cli-tree``, ``cli-report``: ``wf-log tree`` (into ``/dev/null``) and ``wf-log report -o``
  (each run folded to its bound, see ``reading/_fold.py``);
* ``cli-view``: ``wf-log view`` into a pipe that a thread drains.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from pathlib import Path
from time import perf_counter_ns
from typing import Any, Final

import orjson
from common import Result, in_fresh_process, peak_rss
from generate import generate

import wf_structlog
from wf_structlog.reading import cli

MEMORY_TARGET_MB: Final = 1024
VIEW_TARGET: Final = 100_000


def _parse(path: str) -> None:
    loads = orjson.loads
    with open(path, "rb") as file:
        for line in file:
            loads(line)


def _iter(path: str) -> None:
    for _ in wf_structlog.reduce_iter(path):
        pass


def _cli(*args: str) -> Callable[[str], None]:
    def run(path: str) -> None:
        with open(os.devnull, "w") as sink, redirect_stdout(sink):
            cli.main([*args, path])

    return run


def _view(path: str) -> None:
    read_end, write_end = os.pipe()
    drain = threading.Thread(target=lambda: _drain(read_end))
    drain.start()
    with os.fdopen(write_end, "w") as pipe, redirect_stdout(pipe):
        cli.main(["view", path])
    drain.join()


def _drain(fd: int) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while pipe.read(1 << 20):
            pass


SIDES: Final[dict[str, Callable[[str], Any]]] = {
    "parse": _parse,
    "reduce": wf_structlog.reduce,
    "iter": _iter,
    "cli-reduce": lambda path: cli.main(["reduce", path, "-o", path + ".json"]),
    "cli-stats": _cli("stats", "--json"),
    "cli-tree": _cli("tree"),
    "cli-report": lambda path: cli.main(["report", path, "-o", path + ".html"]),
    "cli-view": _view,
}


def _child(side: str, path: str) -> None:
    start = perf_counter_ns()
    SIDES[side](path)
    took = perf_counter_ns() - start
    print(orjson.dumps({"ns": took, "peak": peak_rss()}).decode())


def _measure(side: str, path: Path) -> dict[str, int]:
    return in_fresh_process(__file__, side, str(path))


def bench_streaming(sizes: Sequence[int], tmp: Path) -> list[Result]:
    """The rows of target 7, at each of *sizes* events (the largest for memory and the CLI)."""
    results: list[Result] = []
    for size in sizes:
        path = tmp / f"many-runs-{size}.ndjson"
        events = generate(size, path)
        mb = path.stat().st_size / 2**20
        what = f"{events:,} events, {mb:,.0f} MB"
        parse, reduced, streamed = (_measure(side, path) for side in ("parse", "reduce", "iter"))
        results += [
            _seconds(f"7. reduce() time, {what} (vs orjson parse)", reduced, parse, 1.5),
            _seconds(f"7. reduce_iter() time, {what} (vs orjson parse)", streamed, parse, 1.5),
        ]
        if size != max(sizes):
            path.unlink()
            continue
        cli_reduce, stats = _measure("cli-reduce", path), _measure("cli-stats", path)
        tree, report = _measure("cli-tree", path), _measure("cli-report", path)
        page_mb = Path(str(path) + ".html").stat().st_size / 2**20
        view = _measure("cli-view", path)
        results += [
            _seconds(f"7. wf-log stats time, {what} (vs orjson parse)", stats, parse, 1.5),
            _seconds(f"7. wf-log tree time, {what} (vs orjson parse)", tree, parse, 1.5),
            _seconds(
                f"7. wf-log report time, {what}, {page_mb:,.0f} MB page (vs orjson parse)",
                report,
                parse,
                1.5,
            ),
            _memory(f"7. wf-log report peak RSS, {what} (vs 1 GB)", report),
            _seconds("7. wf-log reduce -o time (vs wfl.reduce())", cli_reduce, reduced, 1.2),
            _memory(f"7. wf-log reduce -o peak RSS, {what} (vs 1 GB)", cli_reduce),
            _memory(f"7. wf-log stats peak RSS, {what} (vs 1 GB)", stats),
            _memory(f"7. reduce_iter() peak RSS, {what} (vs 1 GB)", streamed),
            Result(
                "7. wf-log view into a pipe (vs 100k ev/s)",
                events / (view["ns"] / 1e9),
                VIEW_TARGET,
                "ev/s",
                1.0,
                higher_is_better=True,
            ),
        ]
        path.unlink()
        for made in (".json", ".html"):
            Path(str(path) + made).unlink(missing_ok=True)
    return results


def _seconds(name: str, ours: dict[str, int], peer: dict[str, int], target: float) -> Result:
    return Result(name, ours["ns"] / 1e9, peer["ns"] / 1e9, "s", target, higher_is_better=False)


def _memory(name: str, ours: dict[str, int]) -> Result:
    return Result(name, ours["peak"] / 2**20, MEMORY_TARGET_MB, "MB", 1.0, higher_is_better=False)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in SIDES:
        _child(sys.argv[1], sys.argv[2])
    else:  # python streaming.py: this target alone, at the sizes given
        import tempfile

        from common import format_table

        with tempfile.TemporaryDirectory(prefix="wf_structlog-bench-") as tmp:
            print(format_table(bench_streaming([int(n) for n in sys.argv[1:]], Path(tmp))))
