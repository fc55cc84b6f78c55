"""The little workflow logged with decorators: agents are interactions, tools are actions.

::

    python examples/decorators.py [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

import fake_llm

import wf_structlog as wfl
from wf_structlog import get_logger

log = get_logger()


@wfl.action("lookup")  # every call is one "lookup" event: input, output, duration_ms
def lookup(topic: str) -> str:
    return f"notes on {topic}"


def ask(agent: str, n: int) -> str:
    prompt = fake_llm.prompt_for(agent, n)
    reply = fake_llm.complete(prompt)
    log.info("llm_call", **fake_llm.call_fields(prompt, reply))
    return reply.text


@wfl.agent("planner")  # every call is one interaction: input the arguments, output the result
def plan(n: int) -> str:
    lookup("the task")
    return ask("planner", n)


@wfl.agent("writer")
def write(n: int, plan: str) -> str:
    return ask("writer", n)


@wfl.iteration()
def round_of(n: int) -> None:
    write(n, plan(n))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workflow; the document is ``<out>/demo-<run id>.json``."""
    out = fake_llm.out_dir(argv, __doc__ or "")
    wfl.configure(doc_dir=out)
    with wfl.workflow(fake_llm.WORKFLOW) as wf:
        for n in fake_llm.ITERATIONS:
            round_of(n)
    print(f"document: {wf.document_path}")


if __name__ == "__main__":
    main()
