"""Agent steps of every shape keep their scope: tasks, generators, async generators."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

log = get_logger()


def named(events: list[EventDict], name: str) -> list[EventDict]:
    return [e for e in events if e["event"] == name]


def ends(events: list[EventDict]) -> dict[Any, str]:
    return {e["agent"]: e["status"] for e in named(events, "interaction.end")}


@wfl.interaction("streamer")
def stream(n: int) -> Generator[int, None, None]:
    for i in range(n):
        log.info("chunk", i=i)
        yield i


@wfl.interaction("astreamer")
async def astream(n: int) -> AsyncGenerator[int, None]:
    for i in range(n):
        await asyncio.sleep(0)
        log.info("chunk", i=i)
        yield i


class TestTasks:
    def test_gather_taskgroup_and_create_task_keep_each_agents_scope(self, logs: Capture) -> None:
        """Concurrent agents started with gather, a TaskGroup or create_task each log into
        their own interaction, interleaved at every await."""

        async def agent(name: str, steps: int = 20) -> None:
            with wfl.interaction(name):
                for i in range(steps):
                    await asyncio.sleep(0)
                    log.info("step", i=i)

        async def main() -> None:
            with wfl.workflow("w"):
                with wfl.iteration():
                    await asyncio.gather(agent("g1"), agent("g2"))
                with wfl.iteration():
                    async with asyncio.TaskGroup() as group:
                        group.create_task(agent("t1"))
                        group.create_task(agent("t2"))
                with wfl.iteration():
                    tasks = [asyncio.create_task(agent(name)) for name in ("c1", "c2")]
                    await asyncio.wait(tasks)

        asyncio.run(main())
        starts = {e["interaction_id"]: e["agent"] for e in named(logs.events, "interaction.start")}
        steps = named(logs.events, "step")
        assert len(steps) == 6 * 20
        assert all(starts[e["interaction_id"]] == e["agent"] for e in steps)
        (document,) = logs.documents
        assert [len(it["interactions"]) for it in document["iterations"]] == [2, 2, 2]
        assert all(
            i["complete"] and len(i["actions"]) == 20
            for it in document["iterations"]
            for i in it["interactions"]
        )


class TestGenerators:
    def test_generator_runs_in_its_scope_and_ends_ok(self, logs: Capture) -> None:
        """A decorated generator consumed to the end: its events in its interaction, "ok"."""
        with wfl.workflow("w"), wfl.iteration():
            assert list(stream(3)) == [0, 1, 2]
        chunks = named(logs.events, "chunk")
        assert [e["agent"] for e in chunks] == ["streamer"] * 3
        assert ends(logs.events) == {"streamer": "ok"}

    def test_the_consumer_does_not_see_the_generators_scope(self, logs: Capture) -> None:
        """Between two items the consumer logs in its own scope, not the generator's."""
        with wfl.interaction("consumer"):
            for _ in stream(2):
                log.info("consumed")
        assert [e["agent"] for e in named(logs.events, "consumed")] == ["consumer"] * 2
        assert [e["agent"] for e in named(logs.events, "chunk")] == ["streamer"] * 2

    def test_closed_early_ends_abandoned(self, logs: Capture) -> None:
        """A consumer that stops early (close()) ends the generator's scope "abandoned"."""
        with wfl.workflow("w"):
            steps = stream(10)
            next(steps)
            steps.close()
        assert ends(logs.events) == {"streamer": "abandoned"}
        (end,) = named(logs.events, "interaction.end")
        assert "exception" not in end
        (document,) = logs.documents
        assert document["status"] == "ok"

    def test_garbage_collected_ends_abandoned(self, logs: Capture) -> None:
        """A generator dropped half-way ends "abandoned" when it is collected."""
        with wfl.workflow("w"):
            steps = stream(10)
            next(steps)
            del steps
            gc.collect()
            log.info("after")
        assert ends(logs.events) == {"streamer": "abandoned"}
        (after,) = named(logs.events, "after")
        assert "interaction_id" not in after

    def test_exception_inside_ends_error_and_propagates(self, logs: Capture) -> None:
        """An exception raised by the generator ends its scope "error" and reaches the consumer."""

        @wfl.interaction("broken")
        def broken() -> Generator[int, None, None]:
            yield 1
            raise ValueError("bad chunk")

        with pytest.raises(ValueError, match="bad chunk"):
            list(broken())
        (end,) = named(logs.events, "interaction.end")
        assert end["status"] == "error"
        assert end["exception"]["type"] == "ValueError"

    def test_send_throw_and_return_value_pass_through(self, logs: Capture) -> None:
        """send(), throw() and the return value work as on the undecorated generator."""

        @wfl.interaction("echo")
        def echo() -> Generator[Any, Any, str]:
            received = yield "ready"
            try:
                yield f"got {received}"
            except KeyError:
                log.warning("thrown in")
                yield "recovered"
            return "done"

        steps = echo()
        assert next(steps) == "ready"
        assert steps.send("x") == "got x"
        assert steps.throw(KeyError("k")) == "recovered"
        with pytest.raises(StopIteration) as stop:
            next(steps)
        assert stop.value.value == "done"
        assert named(logs.events, "thrown in")[0]["agent"] == "echo"
        assert ends(logs.events) == {"echo": "ok"}

    def test_each_call_is_its_own_scope(self, logs: Capture) -> None:
        """Two generators from one decorated function, interleaved, are two interactions."""
        first, second = stream(2), stream(2)
        for pair in zip(first, second, strict=True):
            assert pair[0] == pair[1]
        ids = {e["interaction_id"] for e in named(logs.events, "chunk")}
        assert len(ids) == 2


class TestAsyncGenerators:
    def test_async_generator_runs_in_its_scope(self, logs: Capture) -> None:
        """A decorated async generator consumed to the end logs in its interaction, "ok"."""

        async def main() -> list[int]:
            with wfl.interaction("consumer"):
                items = []
                async for item in astream(3):
                    log.info("consumed")
                    items.append(item)
                return items

        assert asyncio.run(main()) == [0, 1, 2]
        assert [e["agent"] for e in named(logs.events, "chunk")] == ["astreamer"] * 3
        assert [e["agent"] for e in named(logs.events, "consumed")] == ["consumer"] * 3
        assert ends(logs.events) == {"astreamer": "ok", "consumer": "ok"}

    def test_break_and_aclose_end_abandoned(self, logs: Capture) -> None:
        """A consumer that breaks out (then the generator is collected) or calls aclose()
        ends the scope "abandoned"."""

        async def main() -> None:
            steps = astream(10)
            await steps.__anext__()
            await steps.aclose()
            async for item in astream(10):
                if item == 1:
                    break
            gc.collect()
            await asyncio.sleep(0.01)  # the loop runs the collected generator's aclose()

        asyncio.run(main())
        statuses = [e["status"] for e in named(logs.events, "interaction.end")]
        assert statuses == ["abandoned", "abandoned"]

    def test_concurrent_async_generators_keep_apart(self, logs: Capture) -> None:
        """Two async generators consumed by two tasks at once never mix their scopes."""

        async def consume() -> int:
            return len([item async for item in astream(25)])

        async def main() -> tuple[int, int]:
            return await asyncio.gather(consume(), consume())

        assert list(asyncio.run(main())) == [25, 25]
        chunks = named(logs.events, "chunk")
        per_scope: dict[str, list[int]] = {}
        for chunk in chunks:
            per_scope.setdefault(chunk["interaction_id"], []).append(chunk["i"])
        assert sorted(per_scope.values()) == [list(range(25))] * 2
