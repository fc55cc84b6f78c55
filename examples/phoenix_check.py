"""A run seen in Arize Phoenix: its LLM span shows the messages and token counts, its tool
span is a TOOL. ``make phoenix`` runs it in a venv of its own (``arize-phoenix`` there).

Phoenix is started offline on 127.0.0.1 (no telemetry, no external resources), a workflow
with one OpenAI call (against the local fake server) and one ``@action`` tool is exported to
it over OTLP/HTTP, and Phoenix's REST API is asked what it stored. Exits 1 if it is not
what is expected. The project is named by the standard resource attribute::

    OTEL_RESOURCE_ATTRIBUTES=openinference.project.name=wf-phoenix-check
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT = "wf-phoenix-check"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def start_phoenix(workdir: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": workdir,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),  # gRPC binds all interfaces: a free port
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
        "PHOENIX_ENABLE_MCP_SERVER": "false",
    }
    phoenix = Path(sys.executable).with_name("phoenix")
    log = open(Path(workdir) / "phoenix.log", "wb")  # noqa: SIM115 (open while it runs)
    return subprocess.Popen([str(phoenix), "serve"], env=env, stdout=log, stderr=log)


def wait_healthy(base: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"phoenix exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"phoenix was not healthy within {seconds:g} s")


def run_workflow(base: str) -> str:
    """One workflow exported to Phoenix; its id (the trace id)."""
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = base
    os.environ["OTEL_RESOURCE_ATTRIBUTES"] = f"openinference.project.name={PROJECT}"
    os.environ["OTEL_SERVICE_NAME"] = "phoenix-check"
    import openai
    from fake_llm_server import FakeLLMServer

    import wf_structlog as wfl

    @wfl.action("add")
    def add(a: int, b: int) -> int:
        return a + b

    wfl.configure("test", otlp=True, instrument=["openai"])
    with FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.openai_url, api_key="sk-test", max_retries=0)
        with wfl.workflow("phoenix-check") as wf, wfl.interaction("writer"):
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Say hello."},
                ],
            )
            add(2, 3)
    wfl.reset()  # closes the export: spans are sent now
    return wf.id


def flat(attributes: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Phoenix's attributes as flat dotted keys, whether it nests them or not."""
    found: dict[str, Any] = {}
    for key, value in attributes.items():
        if isinstance(value, Mapping):
            found.update(flat(value, f"{prefix}{key}."))
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for n, item in enumerate(value):
                found.update(flat(item, f"{prefix}{key}.{n}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def spans_of(base: str, trace_id: str, seconds: float) -> list[dict[str, Any]]:
    url = f"{base}/v1/projects/{PROJECT}/spans?trace_id={trace_id}&limit=100"
    deadline = time.monotonic() + seconds
    while True:
        try:
            spans: list[dict[str, Any]] = get(url)["data"]
        except urllib.error.HTTPError:
            spans = []  # the project appears with its first span
        kinds = {span.get("span_kind") for span in spans}
        if {"LLM", "TOOL"} <= kinds or time.monotonic() > deadline:
            return spans
        time.sleep(0.5)


def check(spans: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the spans Phoenix stored (nothing, if all is well)."""
    problems = []
    by_kind = {span.get("span_kind"): flat(span.get("attributes") or {}) for span in spans}
    llm, tool = by_kind.get("LLM"), by_kind.get("TOOL")
    if llm is None:
        return [f"no LLM span among {sorted(map(str, by_kind))}"]
    roles = [
        v for k, v in llm.items() if k.startswith("llm.input_messages.") and k.endswith("role")
    ]
    if roles != ["system", "user"]:
        problems.append(f"LLM input messages: roles {roles}")
    if not any(k.startswith("llm.output_messages.") and k.endswith("content") for k in llm):
        problems.append("LLM span has no output message")
    for key in ("llm.token_count.prompt", "llm.token_count.completion", "llm.token_count.total"):
        if not isinstance(llm.get(key), int):
            problems.append(f"LLM span: {key} = {llm.get(key)!r}")
    if tool is None:
        problems.append("no TOOL span")
    elif tool.get("tool.name") != "add":
        problems.append(f"TOOL span: tool.name = {tool.get('tool.name')!r}")
    if "AGENT" not in by_kind or "CHAIN" not in by_kind:
        problems.append(f"span kinds {sorted(map(str, by_kind))}: want AGENT and CHAIN too")
    return problems


def main() -> int:
    began = time.monotonic()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as workdir:
        server = start_phoenix(workdir, port)
        try:
            wait_healthy(base, server, 180)
            healthy = time.monotonic()
            trace_id = run_workflow(base)
            spans = spans_of(base, trace_id, 30)
        finally:
            server.terminate()
            server.wait(timeout=30)
        problems = check(spans)
    done = time.monotonic()
    print(f"phoenix healthy after {healthy - began:.1f} s; checked in {done - healthy:.1f} s")
    for span in spans:
        attributes = flat(span.get("attributes") or {})
        shown = {k: v for k, v in attributes.items() if k.startswith("llm.token_count.")}
        print(f"  {span.get('span_kind'):6} {span.get('name')} {shown or ''}")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
