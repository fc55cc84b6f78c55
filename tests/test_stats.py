"""wf-log stats: calls, errors, tokens, cost and latency per agent and per model."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from wf_structlog import reduce
from wf_structlog.reading.cli import main
from wf_structlog.reading.stats import FORMAT, compute, percentile, tables

AGENT_KEYS = [
    "agent",
    "interactions",
    "calls",
    "errors",
    "input_tokens",
    "output_tokens",
    "cost",
    "unpriced_calls",
    "latency_ms",
]


class TestCompute:
    def test_per_agent(self, parallel_run: Path) -> None:
        """Per agent: interactions, calls, errors, tokens and cost from the usage roll-ups,
        latency from the interactions' durations."""
        stats = compute(reduce(parallel_run))
        rows = {row["agent"]: row for row in stats["agents"]}
        assert list(rows) == ["critic", "planner", "researcher", "writer"]
        assert list(rows["planner"]) == AGENT_KEYS
        # runs.py: tokens in 10 * iteration + len(agent), out 5 + iteration, per call
        planner = rows["planner"]
        assert (planner["interactions"], planner["calls"], planner["errors"]) == (3, 3, 0)
        assert (planner["input_tokens"], planner["output_tokens"]) == (60 + 3 * 7, 21)
        assert planner["cost"] == pytest.approx(0.081 + 0.042)
        assert (rows["critic"]["calls"], rows["critic"]["errors"]) == (2, 1)
        assert rows["researcher"]["errors"] == 1
        latency = planner["latency_ms"]
        assert latency["count"] == 3
        assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]

    def test_per_model_and_total(self, parallel_run: Path) -> None:
        """Per model: one call per event naming it, latency from their duration_ms; the
        total sums the runs."""
        stats = compute(reduce(parallel_run))
        models = {row["model"]: row for row in stats["models"]}
        # runs.py: model-large for even-length agent names, duration 10 * iteration + len
        assert models["model-large"]["calls"] == 2 + 3 + 3  # critic, researcher, writer
        assert models["model-small"]["calls"] == 3  # planner
        assert models["model-small"]["latency_ms"] == {
            "count": 3,
            "p50": 27.0,
            "p95": 37.0,
            "max": 37.0,
        }
        assert stats["total"]["calls"] == 11
        assert stats["total"]["errors"] == 2
        assert stats["total"]["interactions"] == 12
        assert stats["runs"] == 1
        assert stats["format"] == FORMAT

    def test_percentile_is_nearest_rank(self) -> None:
        """Percentiles are nearest-rank: always an observed value; None without values."""
        values = [float(v) for v in range(1, 101)]
        assert (percentile(values, 50), percentile(values, 95)) == (50.0, 95.0)
        assert percentile([3.0, 1.0, 2.0], 50) == 2.0
        assert percentile([7.0], 95) == 7.0
        assert percentile([], 50) is None

    def test_no_cost_is_null(self) -> None:
        """Where nothing logged a cost, cost is null rather than 0."""
        (document,) = reduce(
            [
                {"event": "workflow.start", "workflow_id": "1" * 32, "workflow": "w"},
                {"event": "x", "workflow_id": "1" * 32, "interaction_id": "a", "agent": "a"},
            ]
        )
        stats = compute([document])
        assert stats["agents"][0]["cost"] is None
        assert stats["agents"][0]["latency_ms"]["p50"] is None


class TestCommand:
    def test_json_is_stable(
        self, multi_process_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json prints compute()'s data, keys in a fixed order, sorted rows, three runs."""
        assert main(["stats", "--json", str(multi_process_run)]) == 0
        data = orjson.loads(capsys.readouterr().out)
        assert data == compute(reduce(multi_process_run))
        assert list(data) == ["format", "runs", "total", "agents", "models"]
        assert data["runs"] == 3
        assert data["total"]["interactions"] == 36

    def test_tables(self, parallel_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json, one table per agent and one per model."""
        assert main(["stats", str(parallel_run)]) == 0
        out = capsys.readouterr().out
        assert "per agent" in out
        assert "per model" in out
        assert "researcher" in out
        assert "model-large" in out

    def test_names_are_text(self) -> None:
        """rich markup in an agent's name is shown as it is."""
        stats = compute([])
        stats["agents"] = [
            {
                "agent": "[red]x[/red]",
                "interactions": 1,
                "calls": 0,
                "errors": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cost": None,
                "latency_ms": {"count": 0, "p50": None, "p95": None, "max": None},
            }
        ]
        out = io.StringIO()
        Console(file=out, width=200).print(tables(stats)[0])
        assert "[red]x[/red]" in out.getvalue()
