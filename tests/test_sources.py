"""Reading logs for the wf-log commands: several files, stdin, documents, bad lines, progress."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from rich.console import Console

import wf_structlog as wfl
from wf_structlog.reading import sources
from wf_structlog.reading.cli import main
from wf_structlog.reading.sources import Logs, read

WF_LOG = str(Path(sys.executable).with_name("wf-log"))


class TestRead:
    def test_files_are_merged(self, parallel_run: Path, tmp_path: Path) -> None:
        """A run split over two files reads as the same documents as the whole file."""
        lines = parallel_run.read_bytes().splitlines(keepends=True)
        first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
        first.write_bytes(b"".join(lines[1::2]))
        second.write_bytes(b"".join(lines[::2]))
        merged = read([str(first), str(second)])
        assert merged.all_documents() == wfl.reduce(parallel_run)
        assert merged.skipped == 0

    def test_stdin(self, parallel_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """- reads standard input."""
        stdin = io.TextIOWrapper(io.BytesIO(parallel_run.read_bytes()))
        monkeypatch.setattr(sys, "stdin", stdin)
        assert read(["-"]).all_documents() == wfl.reduce(parallel_run)

    def test_documents(self, demo_run: Path, tmp_path: Path) -> None:
        """Documents written by doc_dir, by wf-log reduce (a list), or one per line are read
        as documents."""
        (doc_file,) = demo_run.parent.glob("research-*.json")
        document = orjson.loads(doc_file.read_bytes())
        reduced = tmp_path / "reduced.json"
        assert main(["reduce", str(demo_run), "-o", str(reduced)]) == 0
        one_line = tmp_path / "docs.ndjson"
        one_line.write_bytes(orjson.dumps(document) + b"\n")
        for path in (doc_file, reduced, one_line):
            logs = read([str(path)])
            assert (logs.documents, logs.events, logs.skipped) == ([document], [], 0)

    def test_crashed_run(self, crashed_run: Path) -> None:
        """A run whose process died midway reads as one incomplete document."""
        (document,) = read([str(crashed_run)]).all_documents()
        assert document["status"] == "incomplete"
        assert [it["status"] for it in document["iterations"]] == ["ok", "incomplete"]


class TestBadInput:
    def test_bad_lines_are_counted_never_fatal(
        self,
        parallel_run: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A non-JSON line, a line from another program, JSON that is not an event, and a
        truncated last line are skipped; every command says how many, once, on stderr."""
        path = tmp_path / "run.ndjson"
        good = parallel_run.read_bytes()
        path.write_bytes(
            b"server starting on :8080\n"
            + good
            + b'{"msg": "another program", "pid": 1}\n[1, 2]\n'
            + good.splitlines()[0][:30]
        )
        assert read([str(path)]).skipped == 4
        monkeypatch.chdir(tmp_path)
        for command in (["view"], ["tree"], ["stats"], ["reduce"], ["report", "-o", "r.html"]):
            assert main([*command, str(path)]) == 0
            err = capsys.readouterr().err
            assert err == (
                "wf-log: skipped 4 line(s) that were not events (not JSON, truncated, from "
                "another program, or of the wrong shape); --verbose names them\n"
            )

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that cannot be read is a clear error with exit status 2."""
        assert main(["tree", str(tmp_path / "nope.ndjson")]) == 2
        assert "cannot read" in capsys.readouterr().err


class TestProgress:
    @pytest.fixture
    def big_file(self, parallel_run: Path, tmp_path: Path) -> Path:
        """Over PROGRESS_THRESHOLD: the same run many times (duplicates count once)."""
        path = tmp_path / "big.ndjson"
        data = parallel_run.read_bytes()
        path.write_bytes(data * (sources.PROGRESS_THRESHOLD // len(data) + 1))
        return path

    def test_progress_on_a_terminal(self, big_file: Path) -> None:
        """A large input read for a terminal shows a rich progress bar there."""
        out = io.StringIO()
        read([str(big_file)], Console(file=out, force_terminal=True, width=80))
        assert "reading big.ndjson" in out.getvalue()

    def test_no_progress_off_a_terminal(self, big_file: Path) -> None:
        """Output that is not a terminal gets no progress bar."""
        out = io.StringIO()
        read([str(big_file)], Console(file=out))
        assert out.getvalue() == ""

    def test_no_progress_for_small_inputs(self, parallel_run: Path) -> None:
        """Small inputs show nothing, even on a terminal."""
        out = io.StringIO()
        read([str(parallel_run)], Console(file=out, force_terminal=True))
        assert out.getvalue() == ""

    def test_wf_log_reduce_on_a_real_tty(self, big_file: Path, tmp_path: Path) -> None:
        """wf-log reduce with stderr on a pseudo-terminal draws the bar; on a pipe, nothing."""
        out = str(tmp_path / "out.json")
        primary, secondary = pty.openpty()
        with os.fdopen(primary, "rb", buffering=0) as terminal:
            done = subprocess.run(
                [WF_LOG, "reduce", str(big_file), "-o", out],
                stderr=secondary,
                env={**os.environ, "TERM": "xterm", "COLUMNS": "80"},
                timeout=120,
                check=True,
            )
            os.close(secondary)
            drawn = b""
            try:
                while chunk := terminal.read(65536):
                    drawn += chunk
            except OSError:  # EIO: the terminal's other end is closed and drained
                pass
        assert done.returncode == 0
        assert b"reading big.ndjson" in drawn
        piped = subprocess.run(
            [WF_LOG, "reduce", str(big_file), "-o", out], capture_output=True, timeout=120
        )
        assert (piped.returncode, piped.stderr) == (0, b"")


def test_logs_add_line() -> None:
    """Blank lines are ignored; events and documents kept; anything else skipped."""
    logs = Logs()
    (document,) = wfl.reduce([{"event": "workflow.start", "workflow_id": "r" * 32}])
    for raw in (b"\n", b'{"event": "x"}\n', orjson.dumps(document) + b"\n", b"{nope\n"):
        logs.add_line(raw)
    assert (logs.events, logs.documents, logs.skipped) == ([{"event": "x"}], [document], 1)
