"""PydanticAI under our live spans: the real ``pydantic-ai-slim[openai]`` against the fake
server, its own OpenTelemetry spans (``Agent.instrument_all()``) in the application's
provider, and its model requests logged by our openai instrumentation."""

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
