"""The OpenAI Agents SDK logged by our TracingProcessor: the real ``openai-agents`` package,
its model calls answered by the fake server (Responses API, tool calls scripted), nothing
exported to the network (``use_for_tracing=False``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from agents import Agent, Runner, function_tool, set_default_openai_client
from conftest import llm_calls
from fake_llm_server import FakeLLMServer, reply_to

import wf_structlog as wfl
from wf_structlog.testing import Capture

PROMPT = 'use add {"a": 1, "b": 2} then use transfer_to_helper {}'


@function_tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@function_tool
def broken(a: int) -> int:
    """A tool that fails."""
    raise ValueError("no luck")


@pytest.fixture
def agents_on(logs: Capture) -> Iterator[Capture]:
    """The Agents SDK and the openai SDK both instrumented."""
    wfl.instrument("openai", "openai_agents")
    yield logs
    wfl.uninstrument()


def run(server: FakeLLMServer, agent: Agent[Any], prompt: str) -> Any:
    """Run *agent* in an event loop of its own, with a client of that loop, against *server*;
    its final output."""

    async def main() -> Any:
        client = openai.AsyncOpenAI(base_url=server.openai_url, api_key="k", max_retries=0)
        set_default_openai_client(client, use_for_tracing=False)
        return (await Runner.run(agent, prompt)).final_output

    return asyncio.run(main())


def main_agent(*tools: Any) -> Agent[Any]:
    helper = Agent(name="helper", instructions="help", model="gpt-4o-mini")
    return Agent(
        name="main", instructions="plan", model="gpt-4o-mini", tools=list(tools), handoffs=[helper]
    )


def served_tokens(server: FakeLLMServer, calls: int) -> tuple[int, int]:
    usage = [r["usage"] for r in server.requests[-calls:]]
    return sum(u["input_tokens"] for u in usage), sum(u["output_tokens"] for u in usage)


class TestAgentRuns:
    def test_a_run_is_a_workflow_of_agent_interactions(
        self, agents_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """A run outside any workflow opens one; each agent is an interaction (the handoff
        ends main's and opens helper's); the tool and the handoff are actions; each model
        call one llm_call, logged once though the openai SDK is instrumented too; the tokens
        are the fake server's."""
        assert run(fake_llm, main_agent(add), PROMPT) == reply_to(PROMPT)
        (document,) = agents_on.documents
        assert document["name"] == "Agent workflow"
        (iteration,) = document["iterations"]
        main, helper = iteration["interactions"]
        assert (main["agent"], helper["agent"]) == ("main", "helper")
        assert [a["event"] for a in main["actions"]] == [
            "llm_call",
            "tool_call",
            "llm_call",
            "handoff",
        ]
        tool = main["actions"][1]
        assert (tool["tool"], tool["output"], tool["status"]) == ("add", 3, "ok")
        assert main["actions"][3]["to"] == "helper"
        assert [a["event"] for a in helper["actions"]] == ["llm_call"]
        assert helper["output"] == reply_to(PROMPT)
        assert len(llm_calls(agents_on)) == 3
        usage = document["usage"]
        assert (usage["input_tokens"], usage["output_tokens"]) == served_tokens(fake_llm, 3)
        assert usage["calls"] == 3

    def test_a_run_inside_a_workflow_joins_it(
        self, agents_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """Inside the user's workflow, the agents' interactions open there: no new workflow."""
        with wfl.workflow("mine"):
            run(fake_llm, main_agent(add), "hello")
        (document,) = agents_on.documents
        assert document["name"] == "mine"
        (turn,) = document["iterations"][0]["interactions"]
        assert turn["agent"] == "main"

    def test_a_failing_tool_is_an_action_in_error(
        self, agents_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """A tool that raises is a tool_call with status error, in the interaction's errors,
        saying what the tool raised; the run goes on as the SDK lets it."""
        run(fake_llm, main_agent(broken), 'use broken {"a": 1}')
        (document,) = agents_on.documents
        main = document["iterations"][0]["interactions"][0]
        (tool,) = main["errors"]
        assert (tool["event"], tool["tool"], tool["status"]) == ("tool_call", "broken", "error")
        assert tool["error"]  # what the SDK says of it (it may redact the exception's text)
        assert [a["event"] for a in main["actions"]] == ["llm_call", "llm_call"]

    def test_uninstrumented_runs_leave_no_structure(
        self, agents_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """After uninstrument(), our processor logs nothing (the SDK's own stay as they were)."""
        wfl.uninstrument()
        run(fake_llm, main_agent(add), "hello")
        assert [e["event"] for e in agents_on.events] == []

    def test_the_environment_turns_it_on(
        self, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WF_LOG_INSTRUMENT=openai_agents turns the processor on, like an SDK."""
        monkeypatch.setenv("WF_LOG_INSTRUMENT", "openai_agents")
        wfl.configure("test")
        run(fake_llm, main_agent(add), "hello")
        assert [e["agent"] for e in wfl.testing.events() if e["event"] == "llm_call"] == ["main"]
