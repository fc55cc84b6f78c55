"""log_llm_call and SimpleWorkflowLogger open, switch and close interactions by themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

import wf_structlog as wfl
from wf_structlog.testing import Capture


def shape(document: dict[str, Any]) -> list[tuple[int, str, list[tuple[str, str, int]]]]:
    return [
        (
            it["number"],
            it["status"],
            [(i["agent"], i["status"], len(i["actions"])) for i in it["interactions"]],
        )
        for it in document["iterations"]
    ]


def misuses(logs: Capture) -> list[Any]:
    return [e["problem"] for e in logs.events if e["event"] == "scope_misuse"]


class TestLogLlmCall:
    def test_switches_interaction_when_the_agent_changes(self, logs: Capture) -> None:
        """Calls of one agent share an interaction (input: first prompt, output: last
        response); another agent's call ends it and opens the next; tokens sum in usage."""
        with wfl.workflow("w"):
            wfl.log_llm_call(agent="a", prompt="p1", response="r1", input_tokens=1)
            wfl.log_llm_call(agent="a", prompt="p2", response="r2", output_tokens=2)
            wfl.log_llm_call(agent="b", prompt="p3", model="m-1")
        (document,) = logs.documents
        assert shape(document) == [(1, "ok", [("a", "ok", 2), ("b", "ok", 1)])]
        first = document["iterations"][0]["interactions"][0]
        assert (first["input"], first["output"]) == ("p1", "r2")
        assert document["usage"] == {
            "calls": 2,
            "input_tokens": 1,
            "output_tokens": 2,
            "unpriced_calls": 2,
        }
        assert document["complete"]
        assert misuses(logs) == []

    def test_yields_to_the_next_scope_opened(self, logs: Capture) -> None:
        """An automatic interaction ends when an iteration or interaction opens beside it."""
        with wfl.workflow("w"):
            with wfl.iteration():
                wfl.log_llm_call(agent="a")
                with wfl.interaction("b"):
                    wfl.log_llm_call(agent="ignored")  # yours wins
            wfl.log_llm_call(agent="c")
            with wfl.iteration():
                wfl.log_llm_call(agent="d")
        assert shape(logs.documents[0]) == [
            (1, "ok", [("a", "ok", 1), ("b", "ok", 1)]),
            (2, "ok", [("c", "ok", 1)]),
            (3, "ok", [("d", "ok", 1)]),
        ]
        assert misuses(logs) == []

    def test_without_any_scope_a_program_gets_a_document(self, tmp_path: Path) -> None:
        """A script with no with at all gets one workflow named after it, closed at exit."""
        script = tmp_path / "agents.py"
        script.write_text(
            "import wf_structlog as wfl\n"
            f"wfl.configure('prod', stdout=False, doc_dir={str(tmp_path)!r})\n"
            "wfl.log_llm_call(agent='planner', prompt='p', input_tokens=3)\n"
            "wfl.log_llm_call(agent='writer', prompt='q', output_tokens=4)\n",
            encoding="utf-8",
        )
        subprocess.run([sys.executable, str(script)], check=True, timeout=60)
        (path,) = tmp_path.glob("agents-*.json")
        document = orjson.loads(path.read_bytes())
        assert document["name"] == "agents"
        assert shape(document) == [(1, "ok", [("planner", "ok", 1), ("writer", "ok", 1)])]
        assert document["complete"]


class TestSimpleWorkflowLogger:
    def test_iterations_and_agents_without_with(self, logs: Capture) -> None:
        """next_iteration starts the next round; finalize closes everything, once."""
        wf = wfl.SimpleWorkflowLogger("research", user="u1")
        for n in range(2):
            if n:
                wf.next_iteration()
            wf.log_llm_call(agent="planner", prompt="p", response="r", input_tokens=1)
            wf.log_llm_call(agent="writer", prompt="p", response="r", output_tokens=2)
        wf.finalize()
        wf.finalize()
        (document,) = logs.documents
        assert shape(document) == [
            (1, "ok", [("planner", "ok", 1), ("writer", "ok", 1)]),
            (2, "ok", [("planner", "ok", 1), ("writer", "ok", 1)]),
        ]
        assert document["metadata"] == {"user": "u1"}
        assert document["complete"]
        assert misuses(logs) == []

    def test_as_a_context_manager_records_an_error(self, logs: Capture) -> None:
        """An exception escaping the with block ends the workflow "error"."""
        try:
            with wfl.SimpleWorkflowLogger("w") as wf:
                wf.log_llm_call(agent="a")
                raise RuntimeError("model down")
        except RuntimeError:
            pass
        assert logs.documents[0]["status"] == "error"
