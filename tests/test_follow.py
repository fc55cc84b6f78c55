"""follow() and wf-log view --follow: tailing files that a running program is writing."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from conftest import RUNS

from wf_structlog.reading.cli import main
from wf_structlog.reading.follow import follow

TIMEOUT = 60.0
"""Generous: only reached if something is broken, never part of what a test checks."""


def line(n: int) -> bytes:
    return b'{"event": "e%d"}\n' % n


class _Writer(threading.Thread):
    """Writes to *path* in steps; each step waits until the reader has seen what came before."""

    def __init__(self, steps: list[tuple[int, Callable[[], object]]]) -> None:
        super().__init__(daemon=True)
        self.steps = steps
        self.seen = 0
        self.changed = threading.Condition()
        self.error: BaseException | None = None

    def saw(self, count: int) -> None:
        with self.changed:
            self.seen = count
            self.changed.notify_all()

    def follow(self, path: Path, count: int) -> list[bytes]:
        """Start writing, and follow *path* until *count* lines came; returns them."""
        stop = threading.Event()
        got: list[bytes] = []
        self.start()
        for got_line in follow([path], stop=stop, idle_timeout=TIMEOUT, poll=0.01):
            got.append(got_line)
            self.saw(len(got))
            if len(got) == count:
                stop.set()
        self.join(TIMEOUT)
        assert self.error is None
        return got

    def _seen(self, count: int) -> bool:
        return self.seen >= count

    def run(self) -> None:
        try:
            for wait_for, step in self.steps:
                with self.changed:
                    assert self.changed.wait_for(partial(self._seen, wait_for), TIMEOUT)
                step()
        except BaseException as exc:
            self.error = exc


def follow_changing(
    path: Path, before: int, change: Callable[[], object], count: int
) -> list[bytes]:
    """Follow *path* in a thread of its own until *count* lines came; after the first
    *before* lines, *change* runs while the follower is suspended, so the change is all done
    by its next look at the file (within one poll, however slow the machine)."""
    got: list[bytes] = []
    errors: list[BaseException] = []

    def run() -> None:
        stop = threading.Event()
        try:
            for got_line in follow([path], stop=stop, idle_timeout=TIMEOUT, poll=0.01):
                got.append(got_line)
                if len(got) == before:
                    change()
                if len(got) == count:
                    stop.set()
        except BaseException as exc:
            errors.append(exc)

    follower = threading.Thread(target=run)
    follower.start()
    follower.join(TIMEOUT)
    assert not follower.is_alive()
    assert errors == []
    return got


class TestFollow:
    def test_late_file_partial_line_and_rotation(self, tmp_path: Path) -> None:
        """Lines come whole and once each from a file created after following started, a line
        written in two parts, the old file after a rename, and the new file."""
        path = tmp_path / "run.ndjson"

        def append(data: bytes) -> Callable[[], None]:
            def write() -> None:
                with path.open("ab") as out:
                    out.write(data)

            return write

        def rotate() -> None:
            with path.open("ab") as old:
                os.rename(path, tmp_path / "run.ndjson.1")
                old.write(line(5))  # the writer still had the old file open
            path.write_bytes(line(6) + line(7))

        half = line(3)[:7]
        writer = _Writer(
            [
                (0, append(line(1) + line(2))),
                (2, append(half)),
                (2, lambda: threading.Event().wait(0.2)),  # let the reader see the half line
                (2, append(line(3)[7:] + line(4))),
                (4, rotate),
            ]
        )
        assert writer.follow(path, 7) == [line(n) for n in range(1, 8)]

    def test_truncated_in_place(self, tmp_path: Path) -> None:
        """A file truncated in place (copytruncate rotation) is read again from its start."""
        path = tmp_path / "run.ndjson"
        path.write_bytes(line(1) + line(2))
        writer = _Writer([(2, lambda: path.write_bytes(line(3)))])
        assert writer.follow(path, 3) == [line(1), line(2), line(3)]

    def test_truncated_and_refilled_within_one_poll(self, tmp_path: Path) -> None:
        """After copytruncate (the file emptied in place, the writer appending on), five lines
        written before the next look at the file are all yielded, whole, from the start."""
        path = tmp_path / "run.ndjson"
        with path.open("ab") as writer:
            writer.write(line(1) + line(2) + line(3))
            writer.flush()

            def copytruncate() -> None:
                path.open("wb").close()  # what `: > run.ndjson` does
                writer.write(b"".join(line(n) for n in range(4, 9)))
                writer.flush()

            got = follow_changing(path, 3, copytruncate, 8)
        assert got == [line(n) for n in range(1, 9)]

    def test_truncated_and_refilled_to_the_same_size(self, tmp_path: Path) -> None:
        """A truncation followed by one line of exactly the old size is seen (the file's
        first bytes changed), and the new line is yielded."""
        path = tmp_path / "run.ndjson"
        path.write_bytes(line(1))
        got = follow_changing(path, 1, lambda: path.write_bytes(line(2)), 2)
        assert len(line(1)) == len(line(2))
        assert got == [line(1), line(2)]

    def test_a_growing_file_is_not_read_twice(self, tmp_path: Path) -> None:
        """Appending past the remembered head of the file is growth, not a rewrite: each line
        comes once."""
        path = tmp_path / "run.ndjson"
        big = b'{"event": "%s"}\n' % (b"x" * 5000)
        path.write_bytes(big)

        def append() -> None:
            with path.open("ab") as out:
                out.write(line(2))

        assert follow_changing(path, 1, append, 2) == [big, line(2)]

    def test_stop_drains_what_is_written(self, tmp_path: Path) -> None:
        """Setting stop ends iteration after the lines already written, without waiting for
        the idle timeout; an unfinished line is not yielded."""
        path = tmp_path / "run.ndjson"
        path.write_bytes(line(1) + line(2) + b'{"event": ')
        stop = threading.Event()
        stop.set()
        assert list(follow([path], stop=stop, idle_timeout=TIMEOUT)) == [line(1), line(2)]

    def test_idle_timeout(self, tmp_path: Path) -> None:
        """With nothing new for idle_timeout seconds, following ends, even with no file."""
        assert list(follow([tmp_path / "never"], idle_timeout=0.05, poll=0.01)) == []


class TestViewFollow:
    def test_view_follow_a_running_program(self, tmp_path: Path) -> None:
        """wf-log view --follow, started before the program, prints its events as they are
        written, until Ctrl-C."""
        path = tmp_path / "run.ndjson"
        wf_log = Path(sys.executable).with_name("wf-log")
        with subprocess.Popen(
            [str(wf_log), "view", "--follow", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as viewer:
            try:
                subprocess.run([sys.executable, str(RUNS), str(path)], check=True, timeout=120)
                assert viewer.stdout is not None
                seen = []
                for shown in viewer.stdout:
                    seen.append(shown)
                    if "■ workflow research" in shown:
                        break
                viewer.send_signal(signal.SIGINT)
                assert viewer.wait(TIMEOUT) == 0
            finally:
                viewer.kill()
        starts = [s for s in seen if "▶" in s]
        assert len(starts) == 1 + 3 + 12
        assert "▶ workflow research" in seen[0]

    def test_view_follow_waits_for_a_file_not_yet_written(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A viewer started before the program has no file to read yet: it waits for one,
        and does not fail with "cannot read"."""
        path = tmp_path / "run.ndjson"
        created = threading.Timer(0.2, lambda: path.write_bytes(line(1)))
        monkeypatch.setattr("wf_structlog.reading.cli.follow", partial(follow, idle_timeout=1))
        created.start()
        try:
            assert main(["view", "--follow", str(path)]) == 0
        finally:
            created.join()
        captured = capsys.readouterr()
        assert "cannot read" not in captured.err
        assert "e1" in captured.out

    def test_view_follow_stdin(
        self,
        parallel_run: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """wf-log view --follow - prints standard input as it comes, to its end."""
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(parallel_run.read_bytes())))
        assert main(["view", "--follow", "-"]) == 0
        assert "■ workflow research ok" in capsys.readouterr().out
