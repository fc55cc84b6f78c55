"""Decorated agents are interactions and decorated tools are actions, for every function kind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest

import wf_structlog as wfl
from wf_structlog.testing import Capture


@wfl.agent("planner", team="a")
def plan(task: str, depth: int = 2) -> str:
    return f"plan for {task}"


@wfl.agent("writer")
async def write(notes: str) -> str:
    await asyncio.sleep(0)
    return notes.upper()


@wfl.agent("streamer")
def stream(n: int) -> Generator[int, None, None]:
    yield from range(n)


@wfl.agent("astreamer")
async def astream(n: int) -> AsyncGenerator[int, None]:
    for i in range(n):
        await asyncio.sleep(0)
        yield i


@wfl.action("search", tool="web")
def search(query: str, api_key: str = "sk-secret") -> list[str]:
    if query == "boom":
        raise TimeoutError("slow")
    return [f"{query} result"]


@wfl.action("fetch")
async def fetch(url: str) -> int:
    await asyncio.sleep(0)
    return len(url)


@wfl.action("pages")
def pages(n: int) -> Generator[int, None, None]:
    yield from range(n)


@wfl.action("apages")
async def apages(n: int) -> AsyncGenerator[int, None]:
    for i in range(n):
        yield i


def turns(logs: Capture) -> list[dict[str, Any]]:
    (document,) = logs.documents
    return [i for it in document["iterations"] for i in it["interactions"]]


class TestAgent:
    def test_every_kind_of_function_is_an_interaction(self, logs: Capture) -> None:
        """Sync, async, generator and async generator agents each make one interaction per
        call: input the bound arguments, output the result (a generator's: its items)."""

        async def consume() -> list[int]:
            return [i async for i in astream(2)]

        with wfl.workflow("w"), wfl.iteration():
            plan("bees")
            asyncio.run(write("notes"))
            list(stream(3))
            asyncio.run(consume())
        got = [(t["agent"], t["input"], t["output"], t["status"]) for t in turns(logs)]
        assert got == [
            ("planner", {"task": "bees", "depth": 2}, "plan for bees", "ok"),
            ("writer", {"notes": "notes"}, "NOTES", "ok"),
            ("streamer", {"n": 3}, [0, 1, 2], "ok"),
            ("astreamer", {"n": 2}, [0, 1], "ok"),
        ]
        assert turns(logs)[0]["metadata"] == {"team": "a"}

    def test_a_huge_generator_output_is_a_count(self, logs: Capture) -> None:
        """Past 100 items a generator's output is {"yielded": n}, not the items."""
        with wfl.workflow("w"):
            assert sum(stream(1000)) == sum(range(1000))
        assert turns(logs)[0]["output"] == {"yielded": 1000}

    def test_an_error_is_recorded(self, logs: Capture) -> None:
        """An exception escaping an agent ends its interaction "error" with the exception."""

        @wfl.agent("failing")
        def fail() -> None:
            raise ValueError("no")

        with wfl.workflow("w"), pytest.raises(ValueError, match="no"):
            fail()
        (turn,) = turns(logs)
        assert turn["status"] == "error"
        assert turn["errors"][0]["exception"]["type"] == "ValueError"

    def test_methods_leave_out_self(self, logs: Capture) -> None:
        """A decorated method's input does not include self."""

        class Planner:
            @wfl.agent("planner")
            def run(self, task: str) -> str:
                return task

        with wfl.workflow("w"):
            Planner().run("t")
        assert turns(logs)[0]["input"] == {"task": "t"}


class TestAction:
    def test_every_kind_of_function_logs_one_action(self, logs: Capture) -> None:
        """Each call logs one event named after the action, in the caller's interaction, with
        input, output, status and duration_ms; secret-looking arguments are redacted."""

        async def run_async() -> None:
            await fetch("https://x")
            assert [p async for p in apages(2)] == [0, 1]

        with wfl.workflow("w"), wfl.interaction("researcher"):
            search("bees")
            asyncio.run(run_async())
            list(pages(2))
        (turn,) = turns(logs)
        actions = turn["actions"]
        assert [(a["event"], a["output"], a["status"]) for a in actions] == [
            ("search", ["bees result"], "ok"),
            ("fetch", 9, "ok"),
            ("apages", [0, 1], "ok"),
            ("pages", [0, 1], "ok"),
        ]
        assert actions[0]["input"] == {"query": "bees", "api_key": "[REDACTED]"}
        assert actions[0]["tool"] == "web"
        assert all(a["duration_ms"] >= 0 for a in actions)

    def test_an_error_is_an_error_event(self, logs: Capture) -> None:
        """A call that raises logs the action at error level with the exception."""
        with wfl.workflow("w"), wfl.interaction("researcher"), pytest.raises(TimeoutError):
            search("boom")
        (error,) = turns(logs)[0]["errors"]
        assert (error["event"], error["status"]) == ("search", "error")
        assert error["exception"]["type"] == "TimeoutError"
        assert "output" not in error

    def test_an_abandoned_generator_says_so(self, logs: Capture) -> None:
        """A generator action its consumer closes early logs status "abandoned"."""
        with wfl.workflow("w"), wfl.interaction("reader"):
            gen = pages(5)
            next(gen)
            gen.close()
        assert turns(logs)[0]["actions"][0]["status"] == "abandoned"
