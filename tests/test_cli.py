"""wf-log follows the conventions of command-line tools, as a shell user sees them."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 60.0
"""Generous: only reached if something is broken, never part of what a test checks."""

WF_LOG = Path(sys.executable).with_name("wf-log")
COMMANDS = ("reduce", "view", "follow", "tree", "stats", "report")


def wf_log(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WF_LOG), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=cwd,
    )


class TestConventions:
    def test_version(self) -> None:
        """--version prints the installed version and exits 0."""
        done = wf_log("--version")
        assert (done.returncode, done.stdout) == (
            0,
            f"wf-log {importlib.metadata.version('wf-structlog')}\n",
        )

    def test_help_is_plain_text(self) -> None:
        """--help, of wf-log and of every command, has no reStructuredText markup, and names
        every command."""
        main_help = wf_log("--help")
        assert main_help.returncode == 0
        assert all(command in main_help.stdout for command in COMMANDS)
        for args in [(), *((command,) for command in COMMANDS)]:
            done = wf_log(*args, "--help")
            assert done.returncode == 0
            assert "`" not in done.stdout, args

    def test_levels_are_case_insensitive(self, parallel_run: Path) -> None:
        """--level ERROR shows what --level error shows."""
        upper, lower = (
            wf_log("view", "--level", "ERROR", parallel_run),
            wf_log("view", "--level", "error", parallel_run),
        )
        assert upper.returncode == 0
        assert upper.stdout == lower.stdout
        assert " error " in upper.stdout

    @pytest.mark.parametrize(
        ("option", "value", "says"),
        [
            ("--since", "yesterday", ["'yesterday' is not a time", "10m", "2h", "ISO-8601"]),
            ("--level", "loud", ["unknown level 'loud'", "debug, info, warning, error"]),
            ("--grep", "(", ["bad --grep pattern"]),
        ],
    )
    def test_bad_options_are_usage_errors(
        self, tmp_path: Path, option: str, value: str, says: list[str]
    ) -> None:
        """A bad filter value exits 2 with a message saying what works, before any file is
        read (the file need not exist)."""
        done = wf_log("view", option, value, tmp_path / "missing.ndjson")
        assert done.returncode == 2
        assert all(text in done.stderr for text in says), done.stderr
        assert "Traceback" not in done.stderr

    def test_unreadable_output_is_a_clear_error(self, parallel_run: Path, tmp_path: Path) -> None:
        """An -o file that cannot be created exits 2 naming it, without a traceback."""
        done = wf_log("report", parallel_run, "-o", tmp_path / "no" / "such" / "r.html")
        assert done.returncode == 2
        assert done.stderr.startswith(f"wf-log: cannot write {tmp_path}/no/such/r.html")


class TestNothingToShow:
    @pytest.mark.parametrize(
        ("name", "content", "skipped"),
        [
            ("empty.ndjson", b"", False),
            ("binary.bin", bytes(range(256)) * 8, True),
            ("config.json", b'{"name": "not a log", "count": 3}\n', True),
        ],
    )
    def test_no_events_found(
        self, tmp_path: Path, name: str, content: bytes, skipped: bool
    ) -> None:
        """An empty file, a binary file or JSON without events: every command says "no events
        found" on stderr and exits 1; report writes no page."""
        source = tmp_path / name
        source.write_bytes(content)
        for args in [("reduce",), ("view",), ("tree",), ("stats",), ("report", "-o", "r.html")]:
            done = wf_log(*args, source, cwd=tmp_path)
            assert done.returncode == 1, args
            assert f"wf-log: no events found in {source}" in done.stderr
            assert ("skipped" in done.stderr) == skipped
            assert done.stdout == ""
        assert not (tmp_path / "r.html").exists()

    def test_filters_that_match_nothing_say_so(self, parallel_run: Path) -> None:
        """view filters that keep no event, and tree --agent with no such agent, say so on
        stderr and exit 1."""
        done = wf_log("view", "--agent", "nobody", "--level", "critical", parallel_run)
        assert (done.returncode, done.stdout) == (1, "")
        assert "wf-log: no events match the filters (of " in done.stderr
        done = wf_log("tree", "--agent", "nobody", parallel_run)
        assert (done.returncode, done.stdout) == (1, "")
        assert "no interactions of agent 'nobody'" in done.stderr


class TestFollowCommand:
    def test_follow_survives_copytruncate(self, tmp_path: Path) -> None:
        """wf-log follow FILE (view -f) prints the lines written, then, after the file is
        emptied in place and refilled by a writer appending on, every new line."""
        path = tmp_path / "run.ndjson"

        def event(n: int) -> bytes:
            return (
                b'{"event": "step_%d", "level": "info", "timestamp": "2026-01-01T00:00:00Z"}\n' % n
            )

        with (
            path.open("ab") as writer,
            subprocess.Popen(
                [str(WF_LOG), "follow", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as viewer,
        ):
            try:
                assert viewer.stdout is not None
                writer.write(event(1) + event(2))
                writer.flush()
                seen = [viewer.stdout.readline() for _ in range(2)]
                path.open("wb").close()  # `: > run.ndjson`, as logrotate's copytruncate does
                writer.write(b"".join(event(n) for n in range(3, 8)))
                writer.flush()
                seen += [viewer.stdout.readline() for _ in range(5)]
                viewer.send_signal(signal.SIGINT)
                assert viewer.wait(TIMEOUT) == 0
                assert viewer.stderr is not None
                assert viewer.stderr.read() == ""  # nothing skipped: no fragment was read
            finally:
                viewer.kill()
        assert [f"step_{n}" in line for n, line in enumerate(seen, 1)] == [True] * 7


class TestCompletion:
    def test_argcomplete_completes_commands_and_options(self, tmp_path: Path) -> None:
        """With argcomplete installed, the shell's completion request for "wf-log fo" gets
        "follow", and "wf-log view --le" gets "--level"."""
        answers = []
        for line in ("wf-log fo", "wf-log view --le"):
            out = tmp_path / "completions"
            env = {
                **os.environ,
                "_ARGCOMPLETE": "1",
                "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
                "COMP_LINE": line,
                "COMP_POINT": str(len(line)),
            }
            done = subprocess.run(
                [str(WF_LOG)], env=env, capture_output=True, timeout=TIMEOUT, check=False
            )
            assert done.returncode == 0, done.stderr
            answers.append(out.read_text().split("\013"))
        assert answers[0] == ["follow "]
        assert answers[1] == ["--level "]
