"""Every test starts unconfigured, outside any scope, with no wf_structlog environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
import structlog
from fake_llm_server import FakeLLMServer

import wf_structlog
import wf_structlog.cost
from wf_structlog._runtime.state import CURRENT
from wf_structlog.config import ENVIRONMENT_VARIABLES
from wf_structlog.structlog_chain import unconfigure
from wf_structlog.testing import Capture, capture
from wf_structlog.typing import EventDict

pytest_plugins = ("pytester",)  # the wf_capture plugin's options are tested in a pytest run


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    token = CURRENT.set(None)
    wf_structlog.reset()
    live = structlog.get_config()["processors"]  # the list loggers bound at import hold
    defaults = list(live)
    yield
    wf_structlog.reset()
    CURRENT.reset(token)
    if structlog.get_config()["processors"] is not live:  # a test configured structlog itself
        structlog.configure(processors=live)
    unconfigure(defaults)
    forget_tracer_provider()


def forget_tracer_provider() -> None:
    """No global OpenTelemetry tracer provider, as at start (it may be set once a process:
    this is what OpenTelemetry's own tests do between tests)."""
    if "opentelemetry.trace" in sys.modules:
        from opentelemetry import trace
        from opentelemetry.util._once import Once

        trace._TRACER_PROVIDER_SET_ONCE = Once()
        trace._TRACER_PROVIDER = None


@pytest.fixture
def logs() -> Iterator[Capture]:
    """The test preset: events kept in memory."""
    with capture() as cap:
        yield cap


# -- real runs, written by real processes, for the wf-log command tests ----------------------

ROOT = Path(__file__).resolve().parent.parent
RUNS = ROOT / "tests" / "runs.py"


def write_run(out: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run tests/runs.py: a multi-agent run logged into the NDJSON file *out*."""
    return subprocess.run(
        [sys.executable, str(RUNS), str(out), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's demo (examples/multi_agent.py): its NDJSON file; its stderr console output
    is next to it in console.txt."""
    out = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "multi_agent.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (out / "console.txt").write_text(done.stderr, encoding="utf-8")
    return out / "run.ndjson"


@pytest.fixture(scope="session")
def parallel_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three iterations of planner, researcher and critic at once, writer; one tool error and
    one failed interaction."""
    path = tmp_path_factory.mktemp("parallel") / "run.ndjson"
    write_run(path)
    return path


@pytest.fixture(scope="session")
def multi_process_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One NDJSON file written by three processes at once, one workflow each."""
    path = tmp_path_factory.mktemp("multi") / "run.ndjson"
    writers = [
        subprocess.Popen([sys.executable, str(RUNS), str(path), "--name", f"run{n}"])
        for n in range(3)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    return path


@pytest.fixture(scope="session")
def crashed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose process died in its sixth interaction (iteration 2): nothing ended there."""
    path = tmp_path_factory.mktemp("crashed") / "run.ndjson"
    assert write_run(path, "--crash-after", "6", check=False).returncode == 3
    return path


# -- the fake LLM server the real SDKs and frameworks talk to --------------------------------


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[FakeLLMServer]:
    """examples/fake_llm_server.py, serving on 127.0.0.1 for the whole session."""
    with FakeLLMServer() as running:
        yield running


@pytest.fixture
def oai(fake_llm: FakeLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake_llm.openai_url, api_key="test-key", max_retries=0)


@pytest.fixture
def aoai(fake_llm: FakeLLMServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake_llm.openai_url, api_key="test-key", max_retries=0)


@pytest.fixture
def claude(fake_llm: FakeLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake_llm.url, api_key="test-key", max_retries=0)


@pytest.fixture
def aclaude(fake_llm: FakeLLMServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=fake_llm.url, api_key="test-key", max_retries=0)


def llm_calls(cap: Capture) -> list[EventDict]:
    """The ``llm_call`` events captured."""
    return [e for e in cap.events if e["event"] == "llm_call"]


def table_dollars(model: str, input_tokens: int, output_tokens: int, cached: int) -> float:
    """What the shipped price table says a call of *model* costs: *input_tokens*, *cached* of
    them read from the cache, and *output_tokens*."""
    price = wf_structlog.cost.builtin_prices()[model]
    assert price.cached_input is not None
    uncached = (input_tokens - cached) * price.input + cached * price.cached_input
    return (uncached + output_tokens * price.output) / 1e6
