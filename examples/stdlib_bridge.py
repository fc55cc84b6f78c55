"""The little workflow where the model client logs through the standard ``logging`` module.

The client knows nothing of wf_structlog; ``configure(stdlib=True)`` brings its records into
the scopes, the outputs and the document; ``stdlib_actions=True`` makes its ``llm_call``
records the interactions' actions (by default a record is an event of the iteration).

::

    python examples/stdlib_bridge.py [--out DIR]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import fake_llm

import wf_structlog as wfl

client_log = logging.getLogger("fake_llm.client")


def call_model(prompt: str) -> str:
    """A third-party client: it logs each call with ``logging`` and ``extra=`` fields."""
    reply = fake_llm.complete(prompt)
    client_log.info("llm_call", extra=fake_llm.call_fields(prompt, reply))
    return reply.text


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workflow; the document is ``<out>/demo-<run id>.json``."""
    out = fake_llm.out_dir(argv, __doc__ or "")
    logging.getLogger("fake_llm").setLevel(logging.INFO)  # levels are the application's
    wfl.configure(doc_dir=out, stdlib=True, stdlib_actions=True)
    with wfl.workflow(fake_llm.WORKFLOW) as wf:
        for n in fake_llm.ITERATIONS:
            with wfl.iteration(n):
                for agent in fake_llm.AGENTS:
                    prompt = fake_llm.prompt_for(agent, n)
                    with wfl.interaction(agent, prompt) as turn:
                        turn.output = call_model(prompt)
    print(f"document: {wf.document_path}")


if __name__ == "__main__":
    main()
