"""The examples run, and produce what the README says they do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

import wf_structlog as wfl

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_multi_agent_demo(tmp_path: Path) -> None:
    """The demo prints the run on the console, and writes an NDJSON file and a document that
    equals what the reducer rebuilds from it."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "multi_agent.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "▶ workflow research" in done.stderr
    assert "■ workflow research ok" in done.stderr
    assert "tool_failed" in done.stderr
    (doc_path,) = tmp_path.glob("research-*.json")
    assert f"document: {doc_path}" in done.stdout
    document = orjson.loads(doc_path.read_bytes())
    jsonschema.validate(document, wfl.document_schema())
    (rebuilt,) = wfl.reduce(tmp_path / "run.ndjson")
    assert rebuilt == document
    assert document["status"] == "ok"
    assert document["complete"] is True
    assert [it["number"] for it in document["iterations"]] == [1, 2, 3]
    agents = [i["agent"] for it in document["iterations"] for i in it["interactions"]]
    assert agents == ["planner", "researcher", "writer"] * 3
    assert document["error_count"] == 1
    assert document["usage"]["calls"] == 9
    researcher = document["iterations"][0]["interactions"][1]
    assert researcher["resources"]
    assert any(a["event"] == "tool_call" for a in researcher["actions"])


def test_multi_agent_demo_through_the_openai_sdk(tmp_path: Path) -> None:
    """With --openai the same run goes through the real openai client to a local fake server,
    and instrumentation alone logs the nine calls, with usage, cost, and the writer's streams."""
    subprocess.run(
        [sys.executable, str(EXAMPLES / "multi_agent.py"), "--out", str(tmp_path), "--openai"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (doc_path,) = tmp_path.glob("research-*.json")
    document = orjson.loads(doc_path.read_bytes())
    jsonschema.validate(document, wfl.document_schema())
    turns = [turn for it in document["iterations"] for turn in it["interactions"]]
    calls = [a for turn in turns for a in turn["actions"] if a["event"] == "llm_call"]
    assert len(calls) == 9
    assert {(c["provider"], c["model"], c["status"]) for c in calls} == {
        ("openai", "gpt-4o-mini", "ok")
    }
    assert [c.get("stream", False) for c in calls] == [False, False, True] * 3
    assert document["usage"]["calls"] == 9
    assert document["usage"]["input_tokens"] == sum(c["input_tokens"] for c in calls)
    assert document["usage"]["cost"] == pytest.approx(sum(c["cost"] for c in calls))


STYLES = ("legacy_api", "auto_scopes", "decorators", "root_logger", "stdlib_bridge")


def shape(document: dict[str, Any]) -> dict[str, Any]:
    """What every style must agree on: the tree, its statuses, agents, calls and usage."""
    return {
        "name": document["name"],
        "status": document["status"],
        "complete": document["complete"],
        "usage": document["usage"],
        "iterations": [
            (
                it["number"],
                it["status"],
                [
                    (
                        turn["agent"],
                        turn["status"],
                        turn["input"] is not None,
                        turn["output"] is not None,
                        [a["event"] for a in turn["actions"] if a["event"] == "llm_call"],
                    )
                    for turn in it["interactions"]
                ],
            )
            for it in document["iterations"]
        ],
    }


@pytest.mark.parametrize("style", STYLES)
def test_every_style_gives_the_same_document(style: str, tmp_path: Path) -> None:
    """Each style's example, run as a program, writes a valid document of the same shape:
    two iterations of planner then writer, one llm_call each, the same usage."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{style}.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    (path,) = tmp_path.glob("demo*.json")
    assert f"document: {path}" in done.stdout
    document = orjson.loads(path.read_bytes())
    jsonschema.validate(document, wfl.document_schema())
    turn = ("planner", "ok", True, True, ["llm_call"]), ("writer", "ok", True, True, ["llm_call"])
    assert shape(document) == {
        "name": "demo",
        "status": "ok",
        "complete": True,
        "usage": {"calls": 4, "input_tokens": 20, "output_tokens": 28, "unpriced_calls": 4},
        "iterations": [(1, "ok", list(turn)), (2, "ok", list(turn))],
    }


def _without_durations(text: str) -> list[str]:
    """*text*'s lines with durations, rules and runs of spaces made alike (they vary)."""
    text = re.sub(r"[-+]?[\d.,]+ ms( \([-+][\d.]+%\))?", "<ms>", text)
    text = re.sub("─+", "─", text)
    return [re.sub(" +", " ", line).strip() for line in text.splitlines()]


def test_compare_runs_gives_the_readmes_diff(tmp_path: Path) -> None:
    """examples/compare_runs.py writes two runs; wf-log diff on them prints what the README
    shows (durations aside), and the tokens rule fails it."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "compare_runs.py"), "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rules = ["--fail-on", "cost+10%", "--fail-on", "tokens+10%"]
    wf_log = [sys.executable, "-m", "wf_structlog.reading.cli"]
    diff = subprocess.run(
        [*wf_log, "diff", "out/before.ndjson", "out/after.ndjson", *rules],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert diff.returncode == 1
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    command = "$ wf-log diff out/before.ndjson out/after.ndjson " + " ".join(rules)
    shown = readme.split(command + "\n", 1)[1].split("```", 1)[0]
    assert _without_durations(done.stdout + diff.stdout + diff.stderr) == _without_durations(
        "before: out/before.ndjson\nafter: out/after.ndjson\n" + shown
    )
