"""OpenTelemetry export: runs arrive at a real OTLP/HTTP receiver as span trees with our ids,
parent links and GenAI attributes; a collector that cannot be reached costs the program
nothing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import openai
import orjson
import pytest
from fake_llm_server import FakeLLMServer
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from otlp_receiver import OTLPReceiver, Received

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog._runtime.state import STATE
from wf_structlog.otel import FLUSH_SECONDS, LiveSpans
from wf_structlog.otel.export import Export


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OTLPReceiver]:
    """A receiver the standard OTEL_EXPORTER_OTLP_ENDPOINT points at; the SDK's batches
    leave every 50 ms (OTEL_BSP_SCHEDULE_DELAY) instead of every 5 s."""
    with OTLPReceiver() as running:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", running.url)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
        yield running


def otel_sink() -> LiveSpans:
    (sink,) = [s for s in STATE.sinks if isinstance(s, LiveSpans)]
    return sink


def by_name(spans: list[Received]) -> dict[str, Received]:
    named = {span.name: span for span in spans}
    assert len(named) == len(spans)
    return named


def run_research() -> wfl.WorkflowScope:
    with wfl.workflow("research", user="u1") as wf:
        with wfl.iteration():
            with wfl.interaction("planner", input="bees") as it:
                get_logger().info(
                    "llm_call", model="m-1", input_tokens=12, output_tokens=4, duration_ms=30.0
                )
                get_logger().info("tool_call", tool="search", query="bees")
                it.output = "plan"
            get_logger().info("checkpoint", step=1)
        wf.add_metadata(outcome="published")
    return wf


class TestSpans:
    def test_scopes_and_actions_become_a_span_tree_with_our_ids(
        self, receiver: OTLPReceiver
    ) -> None:
        """Each scope is a span with the scope's id, in the trace named by the workflow id;
        each action is a child span of its interaction; other events are span events."""
        wfl.configure("test", otlp=True)
        wf = run_research()
        spans = by_name(receiver.wait_for(5))  # sent by the SDK's batch thread, unasked
        assert set(spans) == {
            "invoke_workflow research",
            "iteration 1",
            "invoke_agent planner",
            "chat m-1",
            "execute_tool search",
        }
        assert {span.trace_id for span in spans.values()} == {wf.id}
        events = {e["event"]: e for e in wfl.testing.events() if e["event"].endswith(".start")}
        workflow, iteration = spans["invoke_workflow research"], spans["iteration 1"]
        interaction = spans["invoke_agent planner"]
        assert workflow.span_id == events["workflow.start"]["span_id"]
        assert workflow.parent_span_id == ""
        assert iteration.span_id == events["iteration.start"]["iteration_id"]
        assert iteration.parent_span_id == workflow.span_id
        assert interaction.span_id == events["interaction.start"]["interaction_id"]
        assert interaction.parent_span_id == iteration.span_id
        for action in (spans["chat m-1"], spans["execute_tool search"]):
            assert action.parent_span_id == interaction.span_id
        assert iteration.events == [("checkpoint", {"wf.step": 1, "wf.level": "info"})]
        assert workflow.attributes["wf.metadata.user"] == "u1"
        assert workflow.attributes["wf.metadata.outcome"] == "published"
        assert workflow.start <= iteration.start <= interaction.start < interaction.end
        assert interaction.end <= iteration.end <= workflow.end
        call = spans["chat m-1"]
        assert call.end - call.start == 30_000_000

    def test_genai_attributes_name_agents_tools_and_calls(self, receiver: OTLPReceiver) -> None:
        """Interactions carry gen_ai.agent.name, tool actions gen_ai.tool.name, LLM calls the
        model and token usage under their GenAI names."""
        wfl.configure("test", otlp=True)
        run_research()
        spans = by_name(receiver.wait_for(5))
        agent = spans["invoke_agent planner"].attributes
        assert agent["gen_ai.operation.name"] == "invoke_agent"
        assert agent["gen_ai.agent.name"] == "planner"
        assert agent["input.value"] == "bees"
        assert agent["output.value"] == "plan"
        assert agent["openinference.span.kind"] == "AGENT"
        tool = spans["execute_tool search"].attributes
        assert tool["gen_ai.tool.name"] == "search"
        assert tool["gen_ai.operation.name"] == "execute_tool"
        assert tool["openinference.span.kind"] == "TOOL"
        assert tool["wf.query"] == "bees"
        call = spans["chat m-1"].attributes
        assert call["gen_ai.operation.name"] == "chat"
        assert call["gen_ai.request.model"] == "m-1"
        assert call["gen_ai.usage.input_tokens"] == 12
        assert call["gen_ai.usage.output_tokens"] == 4
        assert call["llm.token_count.total"] == 16
        workflow = spans["invoke_workflow research"].attributes
        assert workflow["gen_ai.operation.name"] == "invoke_workflow"
        assert workflow["gen_ai.workflow.name"] == "research"
        assert workflow["openinference.span.kind"] == "CHAIN"

    def test_instrumented_calls_and_errors(self, receiver: OTLPReceiver) -> None:
        """An instrumented OpenAI call is a client span with provider, request and response
        model, usage and finish reason; a failed one has status ERROR and error.type."""
        wfl.configure("test", otlp=True, instrument=["openai"])
        with FakeLLMServer() as server:
            client = openai.OpenAI(base_url=server.openai_url, api_key="k", max_retries=0)
            with wfl.workflow("w"), wfl.interaction("writer"):
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
                with pytest.raises(openai.BadRequestError):
                    client.chat.completions.create(
                        model="fail-1", messages=[{"role": "user", "content": "hi"}]
                    )
        spans = by_name(receiver.wait_for(5))
        assert len(spans) == 5
        good = spans["chat gpt-4o-mini"].attributes
        assert good["gen_ai.provider.name"] == "openai"
        assert good["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
        assert good["gen_ai.usage.input_tokens"] == 3
        assert good["gen_ai.response.finish_reasons"] == ["stop"]
        assert good["wf.cost"] > 0
        bad = spans["chat fail-1"]
        assert bad.status_code == Status.STATUS_CODE_ERROR
        assert bad.attributes["error.type"] == "BadRequestError"
        assert spans["chat gpt-4o-mini"].status_code == Status.STATUS_CODE_UNSET

    def test_an_error_scope_is_an_error_span(self, receiver: OTLPReceiver) -> None:
        """A scope an exception ended has status ERROR and the exception's type."""
        wfl.configure("prod", stdout=False, otlp=True)
        with pytest.raises(KeyError), wfl.workflow("w"), wfl.interaction("a"):
            raise KeyError("x")
        spans = by_name(receiver.wait_for(3))
        failed = spans["invoke_agent a"]
        assert failed.status_code == Status.STATUS_CODE_ERROR
        assert failed.attributes["error.type"] == "KeyError"

    def test_a_workflow_joins_the_active_opentelemetry_trace(self, receiver: OTLPReceiver) -> None:
        """A workflow started inside the program's own span takes its trace id and is its
        child; a second workflow in the same trace gets an id of its own."""
        wfl.configure("test", otlp=True)
        tracer = TracerProvider().get_tracer("web")
        with tracer.start_as_current_span("GET /research") as request:
            context = request.get_span_context()
            first = run_research()
            with wfl.workflow("second") as second:
                pass
        assert first.id == f"{context.trace_id:032x}"
        assert second.id != first.id
        spans = by_name(receiver.wait_for(6))
        workflow = spans["invoke_workflow research"]
        assert workflow.trace_id == first.id
        assert workflow.parent_span_id == f"{context.span_id:016x}"
        assert spans["invoke_workflow second"].parent_span_id == ""

    def test_standard_environment_variables_are_honoured(
        self, receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WF_LOG_OTLP turns export on; OTEL_EXPORTER_OTLP_HEADERS and OTEL_SERVICE_NAME
        are OpenTelemetry's own, and apply."""
        monkeypatch.setenv("WF_LOG_OTLP", "true")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-team=agents")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "crew")
        wfl.configure("test")
        with wfl.workflow("w"):
            pass
        (span,) = receiver.wait_for(1)
        assert span.resource["service.name"] == "crew"
        assert receiver.headers[0]["x-team"] == "agents"

    def test_without_a_service_name_the_program_names_it(
        self, receiver: OTLPReceiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With no OTEL_SERVICE_NAME, spans name the running program as the service."""
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
        wfl.configure("test", otlp=True)
        with wfl.workflow("w"):
            pass
        (span,) = receiver.wait_for(1)
        assert span.resource["service.name"] == Path(sys.argv[0]).stem

    def test_bad_otlp_setting(self) -> None:
        """A value of WF_LOG_OTLP or otlp that is not a flag is a config error."""
        with pytest.raises(wfl.ConfigError, match="otlp must be True or False"):
            wfl.configure("test", otlp="yes please")  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TestUnreachableCollector:
    def test_the_program_goes_on_and_the_drop_is_counted_and_said_once(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With nothing listening, workflows run at full speed, the spans are dropped and
        counted, and that is said once on stderr."""
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "1")
        wfl.configure("test", otlp=True)
        sink = otel_sink()
        began = time.monotonic()
        for _ in range(3):
            run_research()
        logged = time.monotonic() - began
        sink.flush()
        waited = time.monotonic() - began
        assert logged < 1.0  # the workflows never waited for the collector
        assert waited < 8.0  # nor does a flush, beyond its bound
        deadline = time.monotonic() + 10
        while sink.dropped < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sink.dropped == 15  # 5 spans a run
        err = capsys.readouterr().err
        assert err.count("OpenTelemetry export to") == 1
        assert f"{os.environ['OTEL_EXPORTER_OTLP_ENDPOINT']}/v1/traces" in err
        assert "spans dropped" in err

    def test_at_exit_the_loss_is_said_once_and_the_wait_bounded(self) -> None:
        """A short program whose collector is down exits, waiting at most the documented
        flush bound (plus its own start), and says once where its spans were going and how
        many were dropped."""
        program = textwrap.dedent(
            """
            import wf_structlog as wfl
            wfl.configure("prod", stdout=False, otlp=True)
            for _ in range(3):
                with wfl.workflow("w"), wfl.interaction("a"):
                    wfl.get_logger().info("llm_call", model="m", input_tokens=1, output_tokens=1)
            """
        )
        where = f"http://127.0.0.1:{free_port()}"
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": where,
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        }
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
        )
        took = time.monotonic() - began
        assert done.returncode == 0
        assert took < FLUSH_SECONDS + 10  # the bound, plus starting Python and the SDK
        (said,) = [line for line in done.stderr.splitlines() if "OpenTelemetry" in line]
        assert f"export to {where}/v1/traces failed" in said
        assert "12 spans dropped" in said  # 4 spans a run, all in the batch sent at exit


def test_spans_are_sent_at_exit(receiver: OTLPReceiver, tmp_path: Path) -> None:
    """A program that never flushes still gets its spans to the collector: at exit."""
    program = textwrap.dedent(
        """
        import wf_structlog as wfl
        wfl.configure("prod", stdout=False)
        wf = wfl.workflow("left-open").start()
        with wfl.interaction("a"):
            wfl.get_logger().info("llm_call", model="m", input_tokens=1, output_tokens=1)
        """
    )
    env = {**os.environ, "WF_LOG_OTLP": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    subprocess.run([sys.executable, "-c", program], env=env, check=True, timeout=60)
    spans = by_name(receiver.wait_for(4, timeout=2))
    assert set(spans) == {"invoke_workflow left-open", "iteration 1", "invoke_agent a", "chat m"}


class RecordingExporter(SpanExporter):
    """A real SDK exporter that notes, at each export, the scope current in the export thread."""

    def __init__(self) -> None:
        self.scopes: list[object] = []
        self.exported = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.scopes.append(wfl.current_scope())
        self.exported.set()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


class TestOurOwnWork:
    def test_the_export_thread_starts_with_an_empty_context(self, receiver: OTLPReceiver) -> None:
        """The SDK's export thread, made while a scope is open and threads carry scopes
        (threads="auto"), exports in no scope at all."""
        wfl.configure("test")
        exporter = RecordingExporter()
        with wfl.workflow("w"), wfl.interaction("a"):
            export = Export(exporter)
        with export.provider.get_tracer("t").start_as_current_span("s"):
            pass
        assert exporter.exported.wait(10)
        export.close()
        assert exporter.scopes
        assert set(exporter.scopes) == {None}

    def test_after_the_run_the_program_goes_idle(
        self, receiver: OTLPReceiver, tmp_path: Path
    ) -> None:
        """With the standard library bridged at debug level (urllib3's records flow), the
        real OTLP exporter's own HTTP records are never events: none in the NDJSON, no span
        made of them, and once the run is exported the program sends nothing more (it used
        to export its own exporting again, every schedule delay, forever)."""
        path = tmp_path / "run.ndjson"
        program = textwrap.dedent(
            f"""
            import logging, os, time
            import wf_structlog as wfl
            logging.basicConfig(level=logging.DEBUG, handlers=[logging.NullHandler()])
            wfl.configure("prod", level="debug", otlp=True, stdout=False, file={str(path)!r},
                          non_blocking=True)
            with wfl.workflow("w"), wfl.iteration(), wfl.interaction("a"):
                wfl.get_logger().info("x")
                pid = os.fork()  # the SDK restarts its export thread in the child, in here
                if pid == 0:
                    with wfl.interaction("child"):
                        wfl.get_logger().info("in_child")
                    time.sleep(0.5)
                    wfl.reset()  # exports what the child ended; the parent ends the rest
                    os._exit(0)
                os.waitpid(pid, 0)
            time.sleep(0.5)
            print("idle", flush=True)
            time.sleep(1.0)  # twenty schedule delays
            """
        )
        with subprocess.Popen(
            [sys.executable, "-c", program], stdout=subprocess.PIPE, text=True
        ) as idle:
            assert idle.stdout is not None
            assert idle.stdout.readline() == "idle\n"
            requests = len(receiver.bodies)
            assert idle.wait(60) == 0
        assert len(receiver.bodies) == requests
        names = sorted(span.name for span in receiver.spans)
        assert names == ["invoke_agent a", "invoke_agent child", "invoke_workflow w", "iteration 1"]
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [e["event"] for e in events if e.get("logger", "").startswith("urllib3")] == []
        assert {e["event"] for e in events} >= {"x", "in_child"}
