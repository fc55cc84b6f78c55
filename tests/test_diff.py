"""wf-log diff: what moved between two runs, and an exit status CI can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import write_run

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.reading import diff
from wf_structlog.reading.cli import main

log = get_logger()


def _run(path: Path, model: str, tool: str, cost: float, fail: bool = False) -> Path:
    """One workflow: a planner calls *model*, a researcher uses *tool*."""
    wfl.configure("prod", file=path, stdout=False)
    try:
        with wfl.workflow("research"), wfl.iteration():
            with wfl.interaction("planner"):
                log.info("llm_call", model=model, input_tokens=100, output_tokens=20, cost=cost)
            with wfl.interaction("researcher") as it:
                log.info("tool_call", tool=tool)
                if fail:
                    log.error("tool_failed", tool=tool)
                    it.status = "error"
    finally:
        wfl.reset()
    return path


def _researcher(documents: list[dict[str, Any]]) -> dict[str, Any]:
    interactions: list[dict[str, Any]] = documents[0]["iterations"][0]["interactions"]
    (interaction,) = [i for i in interactions if i["agent"] == "researcher"]
    return interaction


class TestCompare:
    def test_deltas_per_agent_and_model(self, tmp_path: Path) -> None:
        """Cost, tokens and calls are compared in total, per agent and per model."""
        a = wfl.reduce(_run(tmp_path / "a.ndjson", "big", "search", 0.01))
        b = wfl.reduce(_run(tmp_path / "b.ndjson", "small", "search", 2e-05))
        data = diff.compare(a, b)
        assert data["format"] == diff.FORMAT
        assert data["total"]["cost"] == {"a": 0.01, "b": 2e-05, "delta": -0.00998, "pct": -99.8}
        planner = next(row for row in data["agents"] if row["agent"] == "planner")
        assert planner["tokens"]["delta"] == 0
        models = {row["model"]: row["calls"] for row in data["models"]}
        assert models == {
            "big": {"a": 1, "b": 0, "delta": -1, "pct": -100.0},
            "small": {"a": 0, "b": 1, "delta": 1, "pct": None},
        }

    def test_first_divergence_names_the_step(self, tmp_path: Path) -> None:
        """The first point where the runs take a different step is named, with both steps
        and the id of B's scope where it happens."""
        a = wfl.reduce(_run(tmp_path / "a.ndjson", "big", "search", 0.01))
        b = wfl.reduce(_run(tmp_path / "b.ndjson", "big", "browse", 0.01))
        assert diff.compare(a, b)["diverged"] == {
            "path": "workflow research > iteration 1 > agent researcher",
            "a": "tool_call tool=search",
            "b": "tool_call tool=browse",
            "b_id": _researcher(b)["id"],
        }
        assert diff.compare(a, a)["diverged"] is None

    def test_a_step_only_b_takes_is_named_by_its_id(self, tmp_path: Path) -> None:
        """Where B goes on and A stopped, ``b_id`` is the scope B went on with."""
        a = wfl.reduce(_run(tmp_path / "a.ndjson", "big", "search", 0.01))
        b = [
            {
                **a[0],
                "iterations": [
                    *a[0]["iterations"],
                    {**a[0]["iterations"][0], "id": "x", "number": 2},
                ],
            }
        ]
        diverged = diff.compare(a, b)["diverged"]
        assert (diverged["a"], diverged["b"], diverged["b_id"]) == (None, "iteration 2", "x")

    def test_status_changes_are_listed(self, tmp_path: Path) -> None:
        """A scope whose status changed is listed with both statuses."""
        a = wfl.reduce(_run(tmp_path / "a.ndjson", "big", "search", 0.01))
        b = wfl.reduce(_run(tmp_path / "b.ndjson", "big", "search", 0.01, fail=True))
        data = diff.compare(a, b)
        assert {
            "path": "workflow research > iteration 1 > agent researcher",
            "a": "ok",
            "b": "error",
            "b_id": _researcher(b)["id"],
        } in data["status"]
        assert data["total"]["errors"]["delta"] == 1


class TestCommand:
    def test_more_iterations_fail_a_cost_budget(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``--fail-on cost+10%`` exits 1 and says why when B costs over 10% more; the table
        names the agents; the divergence is the extra iteration."""
        a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
        write_run(a)
        write_run(b, "--iterations", "4")
        assert main(["diff", str(a), str(b), "--fail-on", "cost+10%"]) == 1
        captured = capsys.readouterr()
        assert "researcher" in captured.out
        assert "first divergence at workflow research: (nothing) → iteration 4" in captured.out
        assert "wf-log: --fail-on: cost grew by $0.261 (allowed: +10%)" in captured.err
        assert main(["diff", str(a), str(b), "--fail-on", "cost+60%", "--fail-on", "errors"]) == 0

    def test_json_and_documents(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """``--json`` gives the machine form; a side may be a document file."""
        a = _run(tmp_path / "a.ndjson", "big", "search", 0.01)
        document = tmp_path / "a.json"
        assert main(["reduce", str(a), "-o", str(document)]) == 0
        assert main(["diff", "--json", str(document), str(a)]) == 0
        data = orjson.loads(capsys.readouterr().out)
        assert (data["diverged"], data["total"]["cost"]["delta"]) == (None, 0)

    def test_bad_rule_is_a_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown ``--fail-on`` rule exits 2 with the rules one may give."""
        a = _run(tmp_path / "a.ndjson", "big", "search", 0.01)
        assert main(["diff", str(a), str(a), "--fail-on", "money+1"]) == 2
        assert "bad --fail-on 'money+1'" in capsys.readouterr().err

    def test_names_are_escaped(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """rich markup in an agent's name is printed as it is."""
        path = tmp_path / "a.ndjson"
        wfl.configure("prod", file=path, stdout=False)
        try:
            with wfl.workflow("w"), wfl.interaction("[red]x[/red]"):
                log.info("llm_call", model="m", input_tokens=1, cost=0.1)
        finally:
            wfl.reset()
        assert main(["diff", str(path), str(path)]) == 0
        assert "[red]x[/red]" in capsys.readouterr().out
