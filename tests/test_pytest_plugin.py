"""The wf_capture fixture, found through the pytest11 entry point."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.testing import Capture

USER_TESTS = """
import asyncio

import structlog
import wf_structlog as wfl


def test_sync(wf_capture):
    structlog.contextvars.bind_contextvars(leaked="yes")
    with wfl.workflow("plan"), wfl.interaction("planner"):
        wfl.get_logger().info("llm_call", input_tokens=12, output_tokens=3)
    wfl.workflow("left-open").start()
    assert wf_capture.documents[0]["usage"]["input_tokens"] == 12


def test_async(wf_capture):
    async def agent():
        async with wfl.workflow("a"), wfl.interaction("writer"):
            await wfl.get_logger().ainfo("drafted")

    asyncio.run(agent())
    assert [e["event"] for e in wf_capture.events][-1] == "workflow.end"
    assert "leaked" not in wf_capture.events[0]


def test_nothing_leaked(wf_capture):
    assert wfl.current_scope() is None
    assert wf_capture.events == []
"""


class TestWfCapture:
    def test_a_fresh_project_gets_the_fixture(self, tmp_path: Path) -> None:
        """A test file outside this repository uses wf_capture with no import or conftest;
        contextvars, scopes and configuration do not leak from one test to the next."""
        (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "3 passed" in done.stdout

    def test_events_and_documents(self, wf_capture: Capture) -> None:
        """The fixture captures under the test preset: events and reduced documents."""
        assert wfl.current_settings().preset == "test"
        with wfl.workflow("w"), wfl.interaction("planner"):
            get_logger().info("llm_call", input_tokens=1, output_tokens=2)
        assert wf_capture.documents[0]["usage"]["output_tokens"] == 2

    def test_async_code(self, wf_capture: Capture) -> None:
        """Events logged by asyncio tasks are captured."""

        async def main() -> None:
            async with wfl.workflow("w"):
                await asyncio.gather(*(get_logger().ainfo("step", i=i) for i in range(3)))

        asyncio.run(main())
        assert sorted(e["i"] for e in wf_capture.events if e["event"] == "step") == [0, 1, 2]
