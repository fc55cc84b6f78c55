"""Scopes are live spans on the application's own TracerProvider: current while they run, with
our ids, the application's resource and sampler, GenAI and OpenInference attributes; a call
instrumented by us and by OpenInference is one span."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from conftest import forget_tracer_provider
from fake_llm_server import FakeLLMServer
from openinference.instrumentation.openai import OpenAIInstrumentor
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Sampler

import wf_structlog as wfl
from wf_structlog import get_logger


def set_global_provider(provider: TracerProvider | None) -> None:
    """Make *provider* the global one (the conftest forgets it after each test)."""
    forget_tracer_provider()
    if provider is not None:
        trace.set_tracer_provider(provider)


class App:
    """An application's tracing: its provider (service.name "userapp"), set globally."""

    def __init__(self, sampler: Sampler | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": "userapp"}), sampler=sampler
        )
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        set_global_provider(self.provider)

    def spans(self) -> dict[str, ReadableSpan]:
        found = {span.name: span for span in self.exporter.get_finished_spans()}
        assert len(found) == len(self.exporter.get_finished_spans())
        return found


@pytest.fixture
def app() -> Iterator[App]:
    yield App()
    wfl.reset()
    set_global_provider(None)


def hex_span(span: Any) -> str:
    """A span's id (or a parent's, a SpanContext) as 16 hex digits."""
    return f"{getattr(span, 'context', span).span_id:016x}"


class TestApplicationProvider:
    def test_a_span_opened_inside_an_interaction_is_its_child(self, app: App) -> None:
        """A span the application opens inside an interaction has the interaction as its
        parent; our spans have our ids and the application's service name."""
        wfl.configure("test")
        user_tracer = trace.get_tracer("userapp")
        with wfl.workflow("w") as wf, wfl.interaction("planner") as it:
            with user_tracer.start_as_current_span("db query"):
                pass
        spans = app.spans()
        query, agent = spans["db query"], spans["invoke_agent planner"]
        assert query.parent is not None
        assert hex_span(query.parent) == it.id == hex_span(agent)
        workflow = spans["invoke_workflow w"]
        assert f"{workflow.context.trace_id:032x}" == wf.id
        assert hex_span(workflow) == wf.span_id
        assert workflow.resource.attributes["service.name"] == "userapp"

    def test_the_application_sampler_is_honoured(self) -> None:
        """With the application's ALWAYS_OFF sampler nothing is recorded, and spans opened
        inside still carry our trace id."""
        app = App(sampler=ALWAYS_OFF)
        try:
            wfl.configure("test")
            with wfl.workflow("w") as wf, wfl.interaction("a"):
                inside = trace.get_current_span().get_span_context()
            assert app.exporter.get_finished_spans() == ()
            assert f"{inside.trace_id:032x}" == wf.id
        finally:
            wfl.reset()
            set_global_provider(None)

    def test_actions_are_tool_spans_and_exceptions_span_events(self, app: App) -> None:
        """An @action call is an execute_tool span (TOOL for Phoenix) with its arguments and
        result; an exception that ends a scope is an "exception" span event."""

        @wfl.action("add")
        def add(a: int, b: int) -> int:
            return a + b

        wfl.configure("test")
        with pytest.raises(ValueError, match="bad"), wfl.workflow("w"):
            with wfl.interaction("calc"):
                add(2, 3)
            get_logger().info("between", step=1)
            raise ValueError("bad")
        spans = app.spans()
        tool = spans["execute_tool add"]
        assert tool.attributes is not None
        assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
        assert tool.attributes["openinference.span.kind"] == "TOOL"
        assert json.loads(str(tool.attributes["gen_ai.tool.call.arguments"])) == {"a": 2, "b": 3}
        assert tool.attributes["gen_ai.tool.call.result"] == "5"
        assert tool.parent is not None
        assert hex_span(tool.parent) == hex_span(spans["invoke_agent calc"])
        workflow = spans["invoke_workflow w"]
        assert workflow.status.status_code == trace.StatusCode.ERROR
        (exception,) = [e for e in workflow.events if e.name == "exception"]
        assert exception.attributes is not None
        assert exception.attributes["exception.type"] == "ValueError"
        assert "between" in [e.name for e in workflow.events]  # logged in the workflow itself
        assert set(spans) == {
            "invoke_workflow w",
            "iteration 1",
            "invoke_agent calc",
            "execute_tool add",
        }


class TestInstrumentedCalls:
    def call(self, server: FakeLLMServer, **extra: Any) -> None:
        client = openai.OpenAI(base_url=server.openai_url, api_key="sk-test", max_retries=0)
        with wfl.workflow("w"), wfl.interaction("writer"):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "hi, my key is sk-ABCDEFGH0123456789wxyz"},
                ],
                temperature=0.2,
                max_tokens=50,
                **extra,
            )

    def test_an_llm_call_span_has_messages_usage_and_parameters(self, app: App) -> None:
        """An instrumented call is a CLIENT span under its interaction, with the GenAI
        messages (redacted), usage, request parameters and server, and the OpenInference
        mirror; the parameters are on the event too."""
        wfl.configure("test", instrument=["openai"])
        with FakeLLMServer() as server:
            self.call(server)
        spans = app.spans()
        (name,) = [n for n in spans if n.startswith("chat ")]
        span = spans[name]
        assert span.kind == trace.SpanKind.CLIENT
        assert span.parent is not None
        assert hex_span(span.parent) == hex_span(spans["invoke_agent writer"])
        attrs: dict[str, Any] = dict(span.attributes or {})
        messages = json.loads(attrs["gen_ai.input.messages"])
        assert messages[0] == {
            "role": "system",
            "parts": [{"type": "text", "content": "Be brief."}],
        }
        assert "sk-ABC" not in attrs["gen_ai.input.messages"]
        output = json.loads(attrs["gen_ai.output.messages"])
        assert output[0]["role"] == "assistant"
        assert output[0]["parts"][0]["type"] == "text"
        assert attrs["gen_ai.request.temperature"] == 0.2
        assert attrs["gen_ai.request.max_tokens"] == 50
        assert attrs["server.address"] == "127.0.0.1"
        assert isinstance(attrs["server.port"], int)
        assert attrs["openinference.span.kind"] == "LLM"
        assert attrs["llm.token_count.total"] == (
            attrs["gen_ai.usage.input_tokens"] + attrs["gen_ai.usage.output_tokens"]
        )
        assert attrs["input.value"].startswith("hi, my key is")
        assert spans["invoke_agent writer"].attributes["gen_ai.provider.name"] == "openai"  # type: ignore[index]
        (event,) = [e for e in wfl.testing.events() if e["event"] == "llm_call"]
        assert (event["temperature"], event["max_tokens"]) == (0.2, 50)

    def test_with_openinference_instrumenting_too_a_call_is_one_span(
        self, openinference: App
    ) -> None:
        """With openinference-instrumentation-openai active as well, a call is counted once:
        our span, none of OpenInference's."""
        wfl.configure("test", instrument=["openai"])
        with FakeLLMServer() as server:
            self.call(server)
        assert [scope_of(span) for span in openinference.exporter.get_finished_spans()] == [
            "wf_structlog"
        ] * 4

    def test_without_our_instrumentation_openinference_still_traces(
        self, openinference: App
    ) -> None:
        """The suppression is ours only while we instrument: without it, OpenInference's
        span is made, inside our interaction."""
        wfl.configure("test")
        with FakeLLMServer() as server:
            self.call(server)
        finished = openinference.exporter.get_finished_spans()
        (theirs,) = [span for span in finished if scope_of(span) != "wf_structlog"]
        assert theirs.parent is not None
        assert hex_span(theirs.parent) == hex_span(openinference.spans()["invoke_agent writer"])


def scope_of(span: ReadableSpan) -> str:
    """The name of the instrumentation that made *span*."""
    assert span.instrumentation_scope is not None
    return span.instrumentation_scope.name


@pytest.fixture
def openinference(app: App) -> Iterator[App]:
    """The application's tracing, with openinference-instrumentation-openai on."""
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=app.provider)
    yield app
    instrumentor.uninstrument()
