"""Threads log into the scope of the code that started them: explicitly, or automatically."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import Counter
from typing import Any

import pytest
from structlog.contextvars import bind_contextvars, unbind_contextvars

import wf_structlog as wfl
from wf_structlog import configure, get_logger, testing
from wf_structlog.scopes import threads
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

AGENTS = ("planner", "researcher", "writer", "critic")


def work(item: int) -> int:
    get_logger().info("tool_call", item=item)
    return item


def by_agent(events: list[EventDict]) -> Counter[Any]:
    return Counter(e.get("agent") for e in events if e.get("event") == "tool_call")


def fan_out(submit: Any, per_agent: int = 50) -> list[EventDict]:
    """Each agent's interaction submits *per_agent* tool calls and waits for them."""
    with wfl.workflow("fan-out"), wfl.iteration():
        for agent in AGENTS:
            with wfl.interaction(agent):
                futures = [submit(work, i) for i in range(per_agent)]
                for future in futures:
                    future.result()
    return testing.events()


def assert_every_call_in_its_interaction(events: list[EventDict], per_agent: int) -> None:
    starts = {e["interaction_id"]: e["agent"] for e in events if e["event"] == "interaction.start"}
    calls = [e for e in events if e["event"] == "tool_call"]
    assert len(calls) == per_agent * len(AGENTS)
    assert len({e["seq"] for e in calls}) == len(calls)
    for call in calls:
        assert starts[call["interaction_id"]] == call["agent"]
    assert by_agent(events) == dict.fromkeys(AGENTS, per_agent)
    ends = [e for e in events if e["event"] == "interaction.end"]
    assert [e["children"] for e in ends] == [per_agent] * len(AGENTS)
    (document,) = wfl.reduce(events)
    assert all(i["complete"] for i in document["iterations"][0]["interactions"])


class TestExplicit:
    @pytest.fixture(autouse=True)
    def _explicit(self) -> None:
        configure("test", threads="explicit")

    def test_plain_pool_loses_the_scope_when_not_asked(self) -> None:
        """In explicit mode a standard pool does not carry the scope: its events are unstamped."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            events = fan_out(pool.submit, per_agent=3)
        assert by_agent(events) == {None: 12}

    def test_context_executor_carries_the_scope(self) -> None:
        """ContextThreadPoolExecutor runs each task in the scope it was submitted from."""
        with wfl.ContextThreadPoolExecutor(4) as pool:
            events = fan_out(pool.submit)
        assert_every_call_in_its_interaction(events, 50)

    def test_context_executor_map(self) -> None:
        """map() goes through submit, so it carries the scope too."""
        with wfl.ContextThreadPoolExecutor(3) as pool, wfl.interaction("mapper"):
            assert list(pool.map(work, range(20))) == list(range(20))
        assert by_agent(testing.events()) == {"mapper": 20}

    def test_wrap_carries_the_scope_into_a_thread(self) -> None:
        """wrap(fn) binds the scope and bound context vars of the caller, for any thread."""
        with wfl.interaction("planner"):
            bind_contextvars(request="r-1")
            try:
                thread = threading.Thread(target=wfl.wrap(work), args=(7,))
            finally:
                unbind_contextvars("request")
            thread.start()
            thread.join()
        (call,) = [e for e in testing.events() if e["event"] == "tool_call"]
        assert call["agent"] == "planner"
        assert call["request"] == "r-1"

    def test_a_wrapped_function_runs_in_many_threads_at_once(self) -> None:
        """One wrapped function may run in several threads at the same time."""
        barrier = threading.Barrier(4)

        def meet(item: int) -> None:
            barrier.wait(timeout=10)
            work(item)

        with wfl.interaction("planner"):
            wrapped = wfl.wrap(meet)
            pool = [threading.Thread(target=wrapped, args=(i,)) for i in range(4)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
        assert by_agent(testing.events()) == {"planner": 4}

    def test_scope_opened_in_a_thread_is_a_child_of_the_submitter(self) -> None:
        """An interaction opened in a pool task nests under the submitting iteration."""

        def agent_turn(name: str) -> None:
            with wfl.interaction(name):
                work(1)

        with wfl.ContextThreadPoolExecutor(2) as pool:
            with wfl.workflow("w"), wfl.iteration() as it:
                list(pool.map(agent_turn, ["a", "b", "c"]))
        starts = [e for e in testing.events() if e["event"] == "interaction.start"]
        assert {e["parent_span_id"] for e in starts} == {it.span_id}
        (document,) = wfl.reduce(testing.events())
        (iteration,) = document["iterations"]
        assert iteration["complete"]
        assert sorted(i["agent"] for i in iteration["interactions"]) == ["a", "b", "c"]


class TestAuto:
    def test_presets_install_auto_mode(self) -> None:
        """dev, prod and test carry the scope into threads; off and explicit do not."""
        for preset in ("dev", "prod", "test"):
            configure(preset, stdout=False, console=False)
            assert threads.installed(), preset
        configure("off")
        assert not threads.installed()
        configure("test", threads="explicit")
        assert not threads.installed()

    def test_uninstall_restores_the_standard_methods(self) -> None:
        """reset() puts the original submit and start back."""
        original_submit = concurrent.futures.ThreadPoolExecutor.submit
        original_start = threading.Thread.start
        configure("test")
        assert threading.Thread.start is not original_start
        wfl.reset()
        assert concurrent.futures.ThreadPoolExecutor.submit is original_submit
        assert threading.Thread.start is original_start

    def test_standard_pool_carries_the_scope(self, logs: Capture) -> None:
        """With threads="auto" a plain ThreadPoolExecutor needs no help."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            events = fan_out(pool.submit)
        assert_every_call_in_its_interaction(events, 50)

    def test_thread_and_subclass_carry_the_scope(self, logs: Capture) -> None:
        """threading.Thread(target=...) and a subclass overriding run() both carry it."""

        class Worker(threading.Thread):
            def run(self) -> None:
                work(2)

        with wfl.interaction("planner"):
            started = [threading.Thread(target=work, args=(1,)), Worker()]
            for thread in started:
                thread.start()
        for thread in started:
            thread.join()
        assert by_agent(logs.events) == {"planner": 2}

    def test_run_in_executor_carries_the_scope(self, logs: Capture) -> None:
        """loop.run_in_executor with the default executor logs into the awaiting task's scope."""

        async def agent(name: str) -> None:
            with wfl.interaction(name):
                loop = asyncio.get_running_loop()
                await asyncio.gather(*(loop.run_in_executor(None, work, i) for i in range(10)))

        async def main() -> None:
            with wfl.workflow("w"), wfl.iteration():
                await asyncio.gather(*(agent(name) for name in AGENTS))

        asyncio.run(main())
        assert by_agent(logs.events) == dict.fromkeys(AGENTS, 10)
        (document,) = logs.documents
        assert all(i["complete"] for i in document["iterations"][0]["interactions"])

    def test_threads_started_outside_scopes_stay_unstamped(self, logs: Capture) -> None:
        """A thread started outside any scope logs outside any scope, even if the pool's
        worker was first started inside one."""
        pool = concurrent.futures.ThreadPoolExecutor(1)
        try:
            with wfl.interaction("first"):
                pool.submit(work, 1).result()
            pool.submit(work, 2).result()
        finally:
            pool.shutdown()
        assert [e.get("agent") for e in logs.events if e["event"] == "tool_call"] == [
            "first",
            None,
        ]
