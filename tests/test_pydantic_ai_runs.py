"""PydanticAI logged by itself (``instrument=["pydantic_ai"]``): the real
``pydantic-ai-slim[openai]`` against the fake server, each run's NDJSON file reduced."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import llm_calls, priced
from fake_llm_server import FakeLLMServer, reply_to
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import wf_structlog as wfl
from wf_structlog.testing import Capture, capture

PROMPT = 'use add {"a": 1, "b": 2}'

Documents = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Capture]:
    """PydanticAI and the openai SDK both instrumented, the events also in run.ndjson."""
    with capture(file=tmp_path / "run.ndjson", instrument=["pydantic_ai", "openai"]) as cap:
        yield cap


@pytest.fixture
def run_file(tmp_path: Path, logs: Capture) -> Documents:
    """What run.ndjson reduces to."""
    return lambda: wfl.reduce(tmp_path / "run.ndjson")


def agent(server: FakeLLMServer, name: str | None = "planner", model: str = "gpt-4o-mini") -> Agent:
    """An agent of gpt-4o-mini through the fake server, with the tools add and broken."""
    provider = OpenAIProvider(base_url=server.openai_url, api_key="test-key")
    made: Agent = Agent(OpenAIChatModel(model, provider=provider), name=name, retries=0)

    @made.tool_plain
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @made.tool_plain
    def broken(a: int) -> int:
        """A tool that fails."""
        raise ValueError("no luck")

    return made


def interactions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [turn for it in document["iterations"] for turn in it["interactions"]]


def events_of(turn: dict[str, Any]) -> list[str]:
    return [a["event"] for a in turn["actions"]]


def served(server: FakeLLMServer, calls: int) -> dict[str, Any]:
    """The fake server's last *calls* answers: their tokens, and their cost by our table."""
    usage = [r["usage"] for r in server.requests[-calls:]]
    return {
        "calls": calls,
        "input_tokens": sum(u["input_tokens"] for u in usage),
        "output_tokens": sum(u["output_tokens"] for u in usage),
        "cost": pytest.approx(priced(server, ["gpt-4o-mini"] * calls)),
    }


def usage_of(document: dict[str, Any]) -> dict[str, Any]:
    return {k: document["usage"].get(k) for k in ("calls", "input_tokens", "output_tokens", "cost")}


def assert_tool_run(document: dict[str, Any], server: FakeLLMServer) -> None:
    """A run of agent() asked PROMPT: one interaction, the call that asks for add, the tool,
    the call that answers; tokens and cost the server's."""
    assert (document["name"], document["status"], document["complete"]) == ("planner", "ok", True)
    (turn,) = interactions(document)
    assert (turn["agent"], turn["input"], turn["output"]) == ("planner", PROMPT, reply_to(PROMPT))
    assert events_of(turn) == ["llm_call", "tool_call", "llm_call"]
    asked, tool, answered = turn["actions"]
    assert (asked["provider"], asked["model"], asked["response_model"]) == (
        "openai",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    )
    assert (asked["tool_calls"], asked["prompt"]) == (
        ["add"],
        [{"role": "user", "content": PROMPT}],
    )
    assert (tool["tool"], tool["input"], tool["output"], tool["status"]) == (
        "add",
        {"a": 1, "b": 2},
        3,
        "ok",
    )
    assert tool["tool_call_id"] == answered["prompt"][-1]["tool_call_id"]  # the reply sent back
    assert answered["response"] == reply_to(PROMPT)
    assert {asked["cost_source"], answered["cost_source"]} == {"table"}
    assert usage_of(document) == served(server, 2)


async def run_async(made: Agent, prompt: str) -> Any:
    return (await made.run(prompt)).output


async def run_stream(made: Agent, prompt: str) -> Any:
    async with made.run_stream(prompt) as result:
        return "".join([chunk async for chunk in result.stream_text(delta=True)])


async def run_iter(made: Agent, prompt: str) -> Any:
    async with made.iter(prompt) as run:
        async for _ in run:
            pass
    assert run.result is not None
    return run.result.output


RUNS: dict[str, Callable[[Agent, str], Any]] = {
    "run_sync": lambda made, prompt: made.run_sync(prompt).output,
    "run": lambda made, prompt: asyncio.run(run_async(made, prompt)),
    "run_stream": lambda made, prompt: asyncio.run(run_stream(made, prompt)),
    "iter": lambda made, prompt: asyncio.run(run_iter(made, prompt)),
}


class TestRuns:
    @pytest.mark.parametrize("how", list(RUNS))
    def test_a_run_is_a_workflow_with_the_agents_interaction(
        self, how: str, run_file: Documents, logs: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """Every way to run an agent, outside any workflow, opens one named after the agent
        with the agent's interaction: each model request one llm_call (once, though the
        openai SDK is instrumented too), the tool a tool_call with its input and output."""
        assert RUNS[how](agent(fake_llm), PROMPT) == reply_to(PROMPT)
        (document,) = run_file()
        assert_tool_run(document, fake_llm)
        assert [c["api"] for c in llm_calls(logs)] == ["pydantic_ai", "pydantic_ai"]

    def test_a_streamed_request_says_so(self, logs: Capture, fake_llm: FakeLLMServer) -> None:
        """run_stream's model request is an llm_call marked stream, with its whole text."""
        asyncio.run(run_stream(agent(fake_llm), "tell me more"))
        (call,) = llm_calls(logs)
        assert (call["stream"], call["response"]) == (True, reply_to("tell me more"))

    def test_a_run_inside_a_workflow_joins_it(
        self, run_file: Documents, fake_llm: FakeLLMServer
    ) -> None:
        """Inside the program's workflow, the run's interaction opens there."""
        with wfl.workflow("mine"):
            agent(fake_llm).run_sync(PROMPT)
        (document,) = run_file()
        assert document["name"] == "mine"
        assert [t["agent"] for t in interactions(document)] == ["planner"]

    def test_a_run_inside_an_interaction_nests_in_it(
        self, run_file: Documents, fake_llm: FakeLLMServer
    ) -> None:
        """An agent run from inside an interaction (another agent's tool, say) is an
        interaction inside it."""
        with wfl.workflow("mine"), wfl.interaction("boss") as boss:
            agent(fake_llm).run_sync("hello")
        (document,) = run_file()
        outer, inner = interactions(document)
        assert (outer["agent"], inner["agent"]) == ("boss", "planner")
        assert inner["parent_interaction_id"] == boss.id

    def test_an_agent_without_a_name(self, run_file: Documents, fake_llm: FakeLLMServer) -> None:
        """An agent with no name that run_sync can infer is named 'agent'."""
        asyncio.run(agent(fake_llm, name=None).run("hello"))
        (document,) = run_file()
        assert [t["agent"] for t in interactions(document)] == ["agent"]


class TestErrors:
    def test_a_failing_tool_fails_the_run(
        self, run_file: Documents, fake_llm: FakeLLMServer
    ) -> None:
        """A tool that raises is a tool_call in error, in the interaction's errors; the
        exception reaches the caller and ends the interaction and the workflow in error."""
        with pytest.raises(ValueError, match="no luck"):
            agent(fake_llm).run_sync('use broken {"a": 1}')
        (document,) = run_file()
        assert document["status"] == "error"
        (turn,) = interactions(document)
        assert turn["status"] == "error"
        failed, end = turn["errors"]
        assert (failed["event"], failed["tool"], failed["status"], failed["input"]) == (
            "tool_call",
            "broken",
            "error",
            {"a": 1},
        )
        assert (failed["error"], failed["error_type"]) == ("no luck", "ValueError")
        assert (end["event"], end["exception"]["type"]) == ("interaction.end", "ValueError")

    def test_a_refused_request_is_an_llm_call_in_error(
        self, run_file: Documents, logs: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """A request the API refuses is one llm_call at error level with its error type (not
        a second one from the openai SDK); PydanticAI's exception reaches the caller."""
        with pytest.raises(ModelHTTPError) as raised:
            agent(fake_llm, model="fail-model").run_sync("hello")
        (call,) = llm_calls(logs)
        assert (call["level"], call["status"], call["error_type"]) == (
            "error",
            "error",
            type(raised.value).__qualname__,
        )
        (document,) = run_file()
        (turn,) = interactions(document)
        assert [e["event"] for e in turn["errors"]] == ["llm_call", "interaction.end"]


class TestConcurrency:
    def test_runs_in_tasks_and_threads_at_once_stay_apart(
        self, run_file: Documents, fake_llm: FakeLLMServer
    ) -> None:
        """Four runs at once in asyncio tasks and two in threads are six workflows, each with
        its own interaction holding its own three actions."""
        made = agent(fake_llm)

        async def four_tasks() -> None:
            await asyncio.gather(*(made.run(PROMPT) for _ in range(4)))

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            ran: list[concurrent.futures.Future[Any]] = [
                pool.submit(asyncio.run, run_async(made, PROMPT)) for _ in range(2)
            ]
            ran.append(pool.submit(asyncio.run, four_tasks()))
            for done in ran:
                done.result()
        documents = run_file()
        assert len(documents) == 6
        for document in documents:
            (turn,) = interactions(document)
            assert events_of(turn) == ["llm_call", "tool_call", "llm_call"]
            assert turn["status"] == "ok"
            assert document["usage"]["calls"] == 2
        total = sum(d["usage"]["input_tokens"] for d in documents)
        assert total == served(fake_llm, 12)["input_tokens"]


class TestSwitch:
    def test_uninstrument_puts_agent_iter_back(self, fake_llm: FakeLLMServer) -> None:
        """After uninstrument("pydantic_ai"), a run opens no scope of ours; the openai
        instrumentation logs its requests again."""
        original = Agent.__dict__["iter"]
        with capture(instrument=["pydantic_ai", "openai"]) as logs:
            assert Agent.__dict__["iter"] is not original
            wfl.uninstrument("pydantic_ai")
            assert Agent.__dict__["iter"] is original
            agent(fake_llm).run_sync("hello")
        (call,) = llm_calls(logs)
        assert (call["api"], call["agent"]) == ("chat.completions", "openai")  # automatic
