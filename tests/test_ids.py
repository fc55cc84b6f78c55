"""Run and scope ids."""

from __future__ import annotations

import random
import subprocess
import sys

import wf_structlog as wfl
from wf_structlog.render.console import AgentColours


def test_seeding_random_does_not_repeat_ids() -> None:
    """A program that seeds random (tests and simulations do) still gets fresh ids."""
    random.seed(42)
    first = wfl.workflow("w")
    random.seed(42)
    second = wfl.workflow("w")
    assert first.id != second.id
    assert first.span_id != second.span_id


def test_agent_colours_are_the_same_in_every_process() -> None:
    """An agent's colour does not depend on the process (hash randomisation is not used)."""
    code = "from wf_structlog.render.console import AgentColours; print(AgentColours()('planner'))"
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "123"},
        check=True,
        timeout=60,
    )
    assert other.stdout.strip() == AgentColours()("planner")
