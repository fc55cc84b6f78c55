"""The end of a process: open scopes closed with the right status; durability of the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import configure, get_logger
from wf_structlog.config import ConfigError
from wf_structlog.outputs import sinks


def run_program(body: str, path: Path) -> subprocess.CompletedProcess[str]:
    code = f"import wf_structlog as wfl\nwfl.configure('prod', stdout=False, file={str(path)!r})\n"
    return subprocess.run(
        [sys.executable, "-c", code + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def ends(path: Path) -> dict[str, dict[str, Any]]:
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return {e["event"].split(".")[0]: e for e in events if e["event"].endswith(".end")}


class TestExit:
    def test_normal_exit_closes_what_was_left_open(self, tmp_path: Path) -> None:
        """Scopes started by hand and never ended are ended at exit; the run is complete."""
        path = tmp_path / "run.ndjson"
        done = run_program(
            """
            wfl.workflow("w").start()
            wfl.iteration().start()
            wfl.get_logger().info("work")
            """,
            path,
        )
        assert done.returncode == 0, done.stderr
        closed = ends(path)
        assert closed["workflow"]["status"] == "ok"
        assert closed["iteration"]["status"] == "abandoned"  # its workflow ended before it
        (document,) = wfl.reduce(path)
        assert document["status"] == "ok"

    def test_unhandled_exception_ends_scopes_with_error(self, tmp_path: Path) -> None:
        """An exception nobody catches ends every open scope "error", with the exception,
        before Python prints the traceback as usual."""
        path = tmp_path / "run.ndjson"
        done = run_program(
            """
            wfl.workflow("w").start()
            wfl.interaction("planner").start()
            raise RuntimeError("model unreachable")
            """,
            path,
        )
        assert done.returncode == 1
        assert "RuntimeError: model unreachable" in done.stderr
        closed = ends(path)
        for kind in ("workflow", "iteration", "interaction"):
            assert closed[kind]["status"] == "error", kind
        assert closed["workflow"]["exception"]["message"] == "model unreachable"

    def test_keyboard_interrupt_ends_scopes_interrupted(self, tmp_path: Path) -> None:
        """Ctrl-C (KeyboardInterrupt) unhandled: open scopes end "interrupted"."""
        path = tmp_path / "run.ndjson"
        done = run_program(
            """
            wfl.workflow("w").start()
            raise KeyboardInterrupt
            """,
            path,
        )
        assert done.returncode != 0
        assert ends(path)["workflow"]["status"] == "interrupted"

    def test_with_blocks_are_not_closed_twice(self, tmp_path: Path) -> None:
        """Scopes already closed by their with-block on the way out are left alone."""
        path = tmp_path / "run.ndjson"
        done = run_program(
            """
            with wfl.workflow("w"), wfl.interaction("a"):
                raise ValueError("x")
            """,
            path,
        )
        assert done.returncode == 1
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [e["event"] for e in events if e["event"].endswith(".end")] == [
            "interaction.end",
            "iteration.end",
            "workflow.end",
        ]
        assert "scope_misuse" not in {e["event"] for e in events}


class TestFsync:
    @pytest.fixture
    def synced(self, monkeypatch: pytest.MonkeyPatch) -> list[int]:
        """Records each sync, and still syncs for real."""
        calls: list[int] = []
        real = sinks._sync

        def spy(fd: int) -> None:
            calls.append(fd)
            real(fd)

        monkeypatch.setattr(sinks, "_sync", spy)
        return calls

    def run_workflow(self) -> None:
        with wfl.workflow("w"), wfl.iteration(), wfl.interaction("a"):
            for i in range(5):
                get_logger().info("e", i=i)

    def test_never_by_default(self, tmp_path: Path, synced: list[int]) -> None:
        """By default each line is handed to the OS but not synced (that costs a disk trip)."""
        configure("prod", stdout=False, file=tmp_path / "run.ndjson")
        self.run_workflow()
        assert synced == []

    def test_scope_syncs_at_each_scope_end(self, tmp_path: Path, synced: list[int]) -> None:
        """fsync="scope": one sync per scope end event."""
        configure("prod", stdout=False, file=tmp_path / "run.ndjson", fsync="scope")
        self.run_workflow()
        assert len(synced) == 3

    def test_event_syncs_every_event(
        self, tmp_path: Path, synced: list[int], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """fsync="event" (or WF_LOG_FSYNC=event): one sync per line written."""
        path = tmp_path / "run.ndjson"
        monkeypatch.setenv("WF_LOG_FSYNC", "event")
        configure("prod", stdout=False, file=path)
        self.run_workflow()
        assert len(synced) == len(path.read_bytes().splitlines()) == 11

    def test_unknown_mode_is_a_clear_error(self) -> None:
        """A mode that does not exist names the valid ones."""
        with pytest.raises(ConfigError, match="never, scope, event"):
            configure("prod", fsync="always")
