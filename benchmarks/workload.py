"""A realistic multi-agent run, logged through wf_structlog, for the reducer and memory benchmarks.

Each interaction is one agent's turn: its start (with the task as input), two LLM calls with a
prompt and a response of realistic size (every one a new string, as from a real model) and
their tokens and cost, a tool action with its input and output, and its end (with its output).
Every 25th turn the tool fails: its action is an ``error`` event with the exception and its
traceback, and the agent logs a warning and goes on.
"""

from __future__ import annotations

import itertools
from typing import Final

import wf_structlog

AGENTS: Final = ("planner", "researcher", "writer", "critic")
EVENTS_PER_TURN: Final = 6
"""Events of an ordinary turn: start, two LLM calls, the tool action, the tool's log, end."""
TURNS_PER_ITERATION: Final = len(AGENTS)
_PROMPT: Final = (
    "You are the {agent} of a research crew. Read the notes below and decide the next step. "
    "Cite every source you use and keep the answer under two hundred words. Notes: "
) + "The survey covers 1,200 households in three regions over four quarters. " * 8
_RESPONSE: Final = (
    "Step {step}: the researcher should compare the regional figures quarter by quarter, "
    "flag the outliers and fetch the two reports cited in the appendix. "
) * 3


def _search(query: str, step: int) -> list[str]:
    if step % 25 == 0:
        raise TimeoutError("the search service did not answer")
    return [f"https://example.org/{query}/{i}" for i in range(3)]


_tool = wf_structlog.action("search", tool="web")(_search)


def _turn(log: wf_structlog.BoundLogger, agent: str, step: int) -> None:
    """One interaction of *agent*; *step* makes its strings differ from every other turn's."""
    with wf_structlog.interaction(agent, input=f"task {step}: survey the regional data") as turn:
        for call in range(2):
            log.info(
                "llm_call",
                model="m-1",
                prompt=_PROMPT.format(agent=agent) + str(step),
                response=_RESPONSE.format(step=f"{step}.{call}"),
                input_tokens=310 + step % 97,
                output_tokens=95 + step % 31,
                cost=0.0004 + (step % 7) * 1e-5,
            )
        try:
            found = _tool(f"households-{step}", step)
        except TimeoutError:
            log.warning("tool_skipped", tool="web", reason="timeout")
        else:
            log.info("tool_result", tool="web", results=len(found), cached=step % 2 == 0)
        turn.output = f"notes of step {step}"


def run_workflow(log: wf_structlog.BoundLogger, name: str, events: int) -> None:
    """One workflow of about *events* events, in iterations of one turn per agent."""
    step = itertools.count(1)
    per_iteration = TURNS_PER_ITERATION * EVENTS_PER_TURN + 2
    with wf_structlog.workflow(name, user="u1"):
        for _ in range(max(1, events // per_iteration)):
            with wf_structlog.iteration():
                for agent in AGENTS:
                    _turn(log, agent, next(step))
