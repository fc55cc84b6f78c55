"""LangChain's legacy AgentExecutor, calls that report no usage, and runs as live spans: the
real ``langchain-core``, ``langchain-classic``, ``langchain-openai`` and ``langgraph`` against
the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import forget_tracer_provider
from fake_llm_server import FakeLLMServer, reply_to
from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_core.messages import HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr
from test_langchain import served, usage_of

import wf_structlog as wfl
from wf_structlog.reading.stats import compute
from wf_structlog.testing import Capture, capture

PROMPT = 'use add {"a": 1, "b": 2}'


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    with trace.get_tracer("app").start_as_current_span("inside add"):
        return a + b


def chat(server: FakeLLMServer, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        base_url=server.openai_url,
        api_key=SecretStr("test-key"),
        max_retries=0,
        **options,
    )


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Capture]:
    """LangChain and the openai SDK instrumented, the events also in run.ndjson."""
    with capture(file=tmp_path / "run.ndjson", instrument=["langchain", "openai"]) as cap:
        yield cap


def executor(model: ChatOpenAI) -> AgentExecutor:
    prompt = ChatPromptTemplate.from_messages(
        [("user", "{input}"), ("placeholder", "{agent_scratchpad}")]
    )
    return AgentExecutor(agent=create_tool_calling_agent(model, [add], prompt), tools=[add])


class TestAgentExecutor:
    def test_its_run_is_an_interaction_with_its_steps(
        self, logs: Capture, tmp_path: Path, fake_llm: FakeLLMServer
    ) -> None:
        """An AgentExecutor run is an interaction named after it: the call, the agent's
        choice of tool (agent_action), the tool call, the call that answers and the agent's
        final answer (agent_finish), in order; tokens and cost the server's."""
        ran = executor(chat(fake_llm, stream_usage=True)).invoke({"input": PROMPT})
        assert ran["output"] == reply_to(PROMPT)
        (document,) = wfl.reduce(tmp_path / "run.ndjson")
        (turn,) = [t for it in document["iterations"] for t in it["interactions"]]
        assert turn["agent"] == "AgentExecutor"
        events = [a["event"] for a in turn["actions"]]
        assert events == ["llm_call", "agent_action", "tool_call", "llm_call", "agent_finish"]
        chose, finished = turn["actions"][1], turn["actions"][4]
        assert (chose["action"], chose["input"]) == ("add", {"a": 1, "b": 2})
        assert "add" in chose["thought"]
        assert finished["output"] == {"output": reply_to(PROMPT)}
        assert turn["output"]["output"] == reply_to(PROMPT)
        assert usage_of(document) == served(fake_llm, 2)


class TestUsageMissing:
    def test_a_stream_without_usage_says_so(self, logs: Capture, fake_llm: FakeLLMServer) -> None:
        """Against another base_url, ChatOpenAI streams without asking for usage: the call
        has no tokens and no cost (unpriced, never $0), and says usage_missing."""
        "".join(str(c.content) for c in chat(fake_llm).stream("hello"))
        (call,) = [e for e in logs.events if e["event"] == "llm_call"]
        assert call["usage_missing"] is True
        assert "input_tokens" not in call
        assert "cost" not in call
        (document,) = logs.documents
        assert document["usage"] == {
            "calls": 1,
            "input_tokens": 0,
            "output_tokens": 0,
            "unpriced_calls": 1,
        }
        (row,) = compute([document])["models"]
        assert (row["calls"], row["unpriced_calls"], row["cost"]) == (1, 1, None)

    def test_with_stream_usage_it_has_its_tokens(
        self, logs: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """With stream_usage=True the same stream has its tokens and no usage_missing."""
        "".join(str(c.content) for c in chat(fake_llm, stream_usage=True).stream("hello"))
        (call,) = [e for e in logs.events if e["event"] == "llm_call"]
        assert "usage_missing" not in call
        assert call["input_tokens"] == fake_llm.requests[-1]["usage"]["input_tokens"]


@pytest.fixture
def finished() -> Iterator[InMemorySpanExporter]:
    """The application's global tracer provider, keeping its finished spans."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    wfl.reset()
    forget_tracer_provider()


def parent_name(span: ReadableSpan, spans: list[ReadableSpan]) -> str | None:
    by_id = {s.context.span_id: s.name for s in spans}
    return by_id.get(span.parent.span_id) if span.parent is not None else None


class TestLiveSpans:
    def test_nodes_calls_and_tools_are_live_spans(
        self, finished: InMemorySpanExporter, fake_llm: FakeLLMServer
    ) -> None:
        """In a LangGraph run, a span the node's own code opens is a child of the node's
        interaction span; each model call is one span under its node, the tool one span under
        the tools node, and a span the tool opens is the tool span's child."""
        bound = chat(fake_llm, stream_usage=True).bind_tools([add])

        def agent(state: MessagesState) -> dict[str, Any]:
            with trace.get_tracer("app").start_as_current_span("inside agent"):
                return {"messages": [bound.invoke(state["messages"])]}

        graph = StateGraph(MessagesState)
        graph.add_node("agent", RunnableLambda(agent))
        graph.add_node("tools", ToolNode([add]))
        graph.add_edge(START, "agent")
        graph.add_conditional_edges("agent", tools_condition)
        graph.add_edge("tools", "agent")
        with capture(instrument=["langchain", "openai"]):
            graph.compile().invoke({"messages": [HumanMessage(PROMPT)]})
        spans = list(finished.get_finished_spans())
        names = sorted(s.name for s in spans)
        assert names.count("chat gpt-4o-mini") == 2
        assert names.count("execute_tool add") == 1
        placed = {(s.name, parent_name(s, spans)) for s in spans}
        assert ("inside agent", "invoke_agent agent") in placed
        assert ("chat gpt-4o-mini", "invoke_agent agent") in placed
        assert ("execute_tool add", "invoke_agent tools") in placed
        assert ("inside add", "execute_tool add") in placed
        assert ("invoke_agent agent", "iteration 1") in placed
        assert trace.get_current_span() is trace.INVALID_SPAN  # nothing left current here
