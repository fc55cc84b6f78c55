"""The little workflow every style example logs: two iterations of a planner and a writer,
one call each to a fake model (deterministic, no network)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

WORKFLOW: Final = "demo"
ITERATIONS: Final = (1, 2)
AGENTS: Final = ("planner", "writer")
MODEL: Final = "fake-llm-1"


class Reply(NamedTuple):
    """What the fake model returns."""

    text: str
    input_tokens: int
    output_tokens: int


def complete(prompt: str) -> Reply:
    """Answer *prompt*: the same prompt always gets the same reply."""
    text = f"answer to {prompt}"
    return Reply(text, len(prompt.split()), len(text.split()))


def call_fields(prompt: str, reply: Reply) -> dict[str, Any]:
    """The fields an ``llm_call`` event carries for *reply* to *prompt*."""
    return {
        "model": MODEL,
        "prompt": prompt,
        "response": reply.text,
        "input_tokens": reply.input_tokens,
        "output_tokens": reply.output_tokens,
    }


def prompt_for(agent: str, iteration: int) -> str:
    """What *agent* asks the model in *iteration*."""
    return f"{agent} task for round {iteration}"


def out_dir(argv: Sequence[str] | None, description: str) -> Path:
    """Parse ``--out DIR`` (default ``out``) and create it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path("out"), help="where the document goes")
    out: Path = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    return out
