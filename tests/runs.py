"""A program that logs a real multi-agent run into an NDJSON file, for the wf-log command tests.

Each iteration has a planner, then a researcher and a critic working at the same time (two
asyncio tasks), then a writer. In iteration 2 the researcher's tool fails (logged as an
error) and the critic raises (its interaction ends with status ``error``). ``--crash-after``
kills the process inside an interaction, as a crash would: its scopes never end.

::

    python tests/runs.py OUT.ndjson [--name N] [--iterations K] [--delay S]
                         [--prompt TEXT] [--crash-after N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from pathlib import Path

import wf_structlog as wfl
from wf_structlog import get_logger

log = get_logger()

MODELS = ("model-large", "model-small")


class _Turns:
    """Counts interactions, to crash after the N-th one starts."""

    def __init__(self, crash_after: int | None) -> None:
        self.started = 0
        self.crash_after = crash_after

    def started_one(self) -> None:
        self.started += 1
        if self.started == self.crash_after:
            os._exit(3)  # no scope ends, no flush beyond what is already written


async def _turn(agent: str, prompt: str, number: int, turns: _Turns, delay: float) -> str:
    with wfl.interaction(agent, input=prompt) as it:
        turns.started_one()
        await asyncio.sleep(delay)
        if agent == "researcher":
            if number == 2:
                log.error("tool_failed", tool="search", query=prompt[:20])
            log.info("tool_call", tool="search", query=prompt[:20], duration_ms=1.5)
        if agent == "critic" and number == 2:
            raise ValueError("the critic disagrees")
        model = MODELS[len(agent) % 2]
        tokens_in, tokens_out = 10 * number + len(agent), 5 + number
        log.info(
            "llm_call",
            model=model,
            prompt=prompt,
            response=f"{agent} answer {number}",
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost=round(tokens_in * 0.001 + tokens_out * 0.002, 6),
            duration_ms=10.0 * number + len(agent),
        )
        answer = f"{agent} answer {number}"
        it.output = answer
        return answer


async def _critic(prompt: str, number: int, turns: _Turns, delay: float) -> None:
    with contextlib.suppress(ValueError):  # the failure stays in the interaction's errors
        await _turn("critic", prompt, number, turns, delay)


async def run(name: str, iterations: int, prompt: str, turns: _Turns, delay: float) -> None:
    """One workflow: planner, researcher and critic in parallel, writer; per iteration."""
    with wfl.workflow(name, user="tests"):
        for number in range(1, iterations + 1):
            with wfl.iteration():
                plan = await _turn("planner", prompt, number, turns, delay)
                await asyncio.gather(
                    _turn("researcher", plan, number, turns, delay),
                    _critic(plan, number, turns, delay),
                )
                await _turn("writer", plan, number, turns, delay)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--name", default="research")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.002)
    parser.add_argument("--prompt", default="Plan the research")
    parser.add_argument("--crash-after", type=int)
    args = parser.parse_args()
    wfl.configure(preset="prod", file=args.out, stdout=False)
    turns = _Turns(args.crash_after)
    asyncio.run(run(args.name, args.iterations, args.prompt, turns, args.delay))


if __name__ == "__main__":
    main()
