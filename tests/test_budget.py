"""Budgets in tests: a run held to its cost, tokens, tool calls and errors, or to a baseline."""

from __future__ import annotations

import json

import pytest

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.testing import BudgetExceededError, Capture, assert_within

log = get_logger()


def agents_run(searches: int = 2, tokens: int = 100) -> None:
    """A planner and a researcher; the researcher searches, then summarizes in a sub-run."""
    with wfl.workflow("research"), wfl.iteration():
        with wfl.interaction("planner"):
            log.info("llm_call", model="big", input_tokens=tokens, output_tokens=10, cost=0.01)
        with wfl.interaction("researcher"):
            for _ in range(searches):
                log.info("tool_call", tool="search")
            with wfl.workflow("summarize"), wfl.interaction("condenser"):
                log.info("llm_call", model="mini", input_tokens=7, output_tokens=2, cost=2e-05)


class TestBudget:
    def test_a_run_within_its_budget_passes(self, logs: Capture) -> None:
        """Limits the run keeps to raise nothing; sub-workflows count in the totals."""
        agents_run()
        logs.budget(
            cost=0.0101,
            tokens=119,
            tool_calls={"search": 2},
            errors=0,
            agents={"planner": {"cost": 0.01, "calls": 1}},
        )
        assert logs.measure()["agents.condenser.tokens"] == 9

    def test_every_overrun_is_listed(self, logs: Capture) -> None:
        """A failure names every limit exceeded, with what was used and what was allowed."""
        agents_run(searches=4)
        with pytest.raises(BudgetExceededError) as failed:
            logs.budget(cost=0.005, tool_calls={"search": 3}, agents={"planner": {"tokens": 50}})
        assert str(failed.value) == (
            "the run went over its budget:\n"
            "  cost: $0.0100 > $0.00500\n"
            "  tool_calls.search: 4 > 3\n"
            "  agents.planner.tokens: 110 > 50"
        )

    def test_unpriced_calls_fail_a_cost_budget(self, logs: Capture) -> None:
        """Calls without a price leave the cost unknown: a cost budget fails and says so,
        rather than taking them as $0; limits on other keys still pass."""
        with wfl.workflow("w"), wfl.interaction("planner"):
            log.info("llm_call", model="house", input_tokens=5, output_tokens=5)
        logs.budget(tokens=10)
        with pytest.raises(BudgetExceededError) as failed:
            logs.budget(cost=1.0, agents={"planner": {"cost": 1.0}})
        assert str(failed.value) == (
            "the run went over its budget:\n"
            "  cost: 1 unpriced call(s), cost unknown (limit $1.00)\n"
            "  agents.planner.cost: 1 unpriced call(s), cost unknown (limit $1.00)"
        )

    def test_a_tool_never_called_is_within_any_budget(self, logs: Capture) -> None:
        """A tool that was not called counts as 0 calls."""
        agents_run()
        assert_within(logs.documents, tool_calls={"browse": 0})

    def test_unknown_limit_is_a_type_error(self, logs: Capture) -> None:
        """A misspelt limit is an error, not a budget silently ignored."""
        agents_run()
        with pytest.raises(TypeError, match="unknown budget \\['costs'\\]"):
            logs.budget(costs=1)

    def test_baseline_needs_the_plugin(self, logs: Capture) -> None:
        """Outside the wf_capture fixture, baseline() says what it needs."""
        with pytest.raises(RuntimeError, match="wf_capture"):
            logs.baseline()


USER_TEST = """
import os
import wf_structlog as wfl


def test_agents(wf_capture):
    with wfl.workflow("research"), wfl.interaction("planner"):
        wfl.get_logger().info(
            "llm_call", input_tokens=int(os.environ["TOKENS"]), output_tokens=10, cost=0.01
        )
        wfl.get_logger().info("tool_call", tool="search")
    wf_capture.baseline(tolerance=0.1)
"""


class TestBaselineFile:
    def test_update_then_check(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``--wf-baseline update`` writes the numbers; a later run within the tolerance
        passes, one beyond it fails with a line per number that grew; ``off`` ignores it."""
        pytester.makepyfile(test_agents=USER_TEST)
        monkeypatch.setenv("TOKENS", "100")
        pytester.runpytest_subprocess("--wf-baseline", "update").assert_outcomes(passed=1)
        kept = json.loads((pytester.path / "wf-baseline.json").read_text())
        assert kept["test_agents.py::test_agents"]["tokens"] == 110
        assert kept["test_agents.py::test_agents"]["tool_calls.search"] == 1

        monkeypatch.setenv("TOKENS", "105")  # 115 tokens: within 10%
        pytester.runpytest_subprocess().assert_outcomes(passed=1)

        monkeypatch.setenv("TOKENS", "200")
        failed = pytester.runpytest_subprocess()
        failed.assert_outcomes(failed=1)
        failed.stdout.fnmatch_lines(
            [
                "*the run went over its baseline in wf-baseline.json (tolerance 10%*",
                "*agents.planner.tokens: 110 → 210 (+90.9%)",
                "*input_tokens: 100 → 200 (+100.0%)",
                "*tokens: 110 → 210 (+90.9%)",
            ]
        )
        pytester.runpytest_subprocess("--wf-baseline", "off").assert_outcomes(passed=1)

    def test_a_test_not_in_the_file_passes(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With no baseline kept for a test, check mode lets it pass and writes nothing."""
        pytester.makepyfile(test_agents=USER_TEST)
        monkeypatch.setenv("TOKENS", "100")
        pytester.runpytest_subprocess().assert_outcomes(passed=1)
        assert not (pytester.path / "wf-baseline.json").exists()

    def test_the_file_is_an_ini_setting(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``wf_baseline_file`` names where the baseline is kept."""
        pytester.makepyfile(test_agents=USER_TEST)
        pytester.makeini("[pytest]\nwf_baseline_file = budgets/agents.json\n")
        (pytester.path / "budgets").mkdir()
        monkeypatch.setenv("TOKENS", "100")
        pytester.runpytest_subprocess("--wf-baseline", "update").assert_outcomes(passed=1)
        assert (pytester.path / "budgets" / "agents.json").exists()
