"""PydanticAI under our live spans: the real ``pydantic-ai-slim[openai]`` against the fake
server, its own OpenTelemetry spans (``Agent.instrument_all()``) in the application's
provider, its model requests logged by our openai instrumentation or by our PydanticAI one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import forget_tracer_provider, llm_calls, priced
from fake_llm_server import FakeLLMServer, reply_to
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

import wf_structlog as wfl
from wf_structlog.testing import Capture, capture

PROMPT = "plan the bee article"


@pytest.fixture
def finished() -> Iterator[InMemorySpanExporter]:
    """The application's tracer provider, global, keeping its finished spans; PydanticAI's
    agents instrumented."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    Agent.instrument_all()
    yield exporter
    Agent.instrument_all(False)
    wfl.reset()
    forget_tracer_provider()


@pytest.fixture
def logged(finished: InMemorySpanExporter) -> Iterator[Capture]:
    with capture(instrument=["openai"]) as logs:
        yield logs


def planner(server: FakeLLMServer) -> Agent[None, str]:
    provider = OpenAIProvider(base_url=server.openai_url, api_key="test-key")
    return Agent(OpenAIChatModel("gpt-4o-mini", provider=provider), name="planner")


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def tooled(server: FakeLLMServer) -> Agent[None, str]:
    made = planner(server)

    @made.tool_plain
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    return made


class TestInstrumented:
    def test_its_spans_nest_in_the_run_we_open_and_each_call_is_one_span(
        self, finished: InMemorySpanExporter, fake_llm: FakeLLMServer
    ) -> None:
        """With instrument=["pydantic_ai"], the run's workflow and interaction are ours, and
        PydanticAI's agent span a child of the interaction; each model request and the tool
        are one span each, PydanticAI's (none of ours beside them), and one event each."""
        with capture(instrument=["pydantic_ai", "openai"]) as logs:
            tooled(fake_llm).run_sync('use add {"a": 1, "b": 2}')
        spans = finished.get_finished_spans()
        names = [span.name for span in spans]
        assert sorted(names) == sorted(
            [
                "invoke_workflow planner",
                "iteration 1",
                "invoke_agent planner",  # our interaction
                "invoke_agent planner",  # PydanticAI's run, inside it
                "chat gpt-4o-mini",
                "chat gpt-4o-mini",
                "execute_tool add",
            ]
        )
        ours, theirs = (s for s in spans if s.name == "invoke_agent planner")
        if parent_of(ours) == theirs.context.span_id:
            ours, theirs = theirs, ours
        assert parent_of(theirs) == ours.context.span_id
        (turn,) = [e for e in logs.events if e["event"] == "interaction.start"]
        assert f"{ours.context.span_id:016x}" == turn["span_id"]
        calls = [s for s in spans if s.name in ("chat gpt-4o-mini", "execute_tool add")]
        assert {parent_of(s) for s in calls} == {theirs.context.span_id}
        assert [e["event"] for e in logs.events if e["event"] in ("llm_call", "tool_call")] == [
            "llm_call",
            "tool_call",
            "llm_call",
        ]

    def test_without_its_spans_the_calls_are_ours_under_the_interaction(
        self, finished: InMemorySpanExporter, fake_llm: FakeLLMServer
    ) -> None:
        """With PydanticAI's instrumentation off, each model request is one span of ours, a
        child of the interaction's span."""
        Agent.instrument_all(False)
        with capture(instrument=["pydantic_ai", "openai"]):
            tooled(fake_llm).run_sync('use add {"a": 1, "b": 2}')
        spans = finished.get_finished_spans()
        (turn,) = [s for s in spans if s.name == "invoke_agent planner"]
        requests = [s for s in spans if s.name == "chat gpt-4o-mini"]
        assert len(requests) == 2
        assert {parent_of(s) for s in requests} == {turn.context.span_id}
        served = fake_llm.requests[-1]["usage"]
        assert requests[-1].attributes is not None
        assert requests[-1].attributes["gen_ai.usage.input_tokens"] == served["input_tokens"]


class TestAgentRuns:
    def test_its_spans_nest_under_the_interaction_and_the_call_is_counted_once(
        self, logged: Capture, finished: InMemorySpanExporter, fake_llm: FakeLLMServer
    ) -> None:
        """PydanticAI's agent run is a child of our interaction's span and its model request
        a child of the run; that request is one llm_call in the interaction, with the
        server's tokens and the table's cost, and one span in the trace (its own: no second
        span of ours with the same tokens)."""
        with wfl.workflow("w"), wfl.interaction("writer") as turn:
            assert planner(fake_llm).run_sync(PROMPT).output == reply_to(PROMPT)
        spans = finished.get_finished_spans()
        by_name = {span.name: span for span in spans}
        interaction, run = by_name["invoke_agent writer"], by_name["invoke_agent planner"]
        request = by_name["chat gpt-4o-mini"]
        assert f"{interaction.context.span_id:016x}" == turn.id
        assert parent_of(run) == interaction.context.span_id
        assert parent_of(request) == run.context.span_id
        assert [s.name for s in spans].count("chat gpt-4o-mini") == 1
        (call,) = llm_calls(logged)
        served = fake_llm.requests[-1]["usage"]
        assert (call["agent"], call["input_tokens"], call["output_tokens"]) == (
            "writer",
            served["input_tokens"],
            served["output_tokens"],
        )
        assert request.attributes is not None
        assert request.attributes["gen_ai.usage.input_tokens"] == served["input_tokens"]
        (document,) = logged.documents
        assert document["complete"]
        assert document["usage"]["calls"] == 1
        assert document["usage"]["cost"] == pytest.approx(priced(fake_llm, ["gpt-4o-mini"]))

    def test_without_its_spans_our_call_span_is_there(
        self, logged: Capture, finished: InMemorySpanExporter, fake_llm: FakeLLMServer
    ) -> None:
        """With PydanticAI's instrumentation off, the model request is our span, under the
        interaction: the trace still has the call once."""
        Agent.instrument_all(False)
        with wfl.workflow("w"), wfl.interaction("writer"):
            planner(fake_llm).run_sync(PROMPT)
        names = [span.name for span in finished.get_finished_spans()]
        assert names.count("chat gpt-4o-mini") == 1
        assert "invoke_agent planner" not in names
        assert len(llm_calls(logged)) == 1
