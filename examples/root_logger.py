"""The little workflow logged in the root-logger style: a named workflow's logger.

::

    python examples/root_logger.py [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

import fake_llm

import wf_structlog as wfl

log = wfl.get_workflow_logger(fake_llm.WORKFLOW)  # the same object wherever it is asked for


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workflow; the document is ``<out>/demo-<run id>.json``."""
    out = fake_llm.out_dir(argv, __doc__ or "")
    wfl.configure(doc_dir=out)
    wfl.set_global_verbosity("info")
    wf = wfl.set_current_workflow(fake_llm.WORKFLOW)
    for n in fake_llm.ITERATIONS:
        with wfl.iteration(n):
            for agent in fake_llm.AGENTS:
                prompt = fake_llm.prompt_for(agent, n)
                with wfl.interaction(agent, prompt) as turn:
                    reply = fake_llm.complete(prompt)
                    log.info("llm_call", **fake_llm.call_fields(prompt, reply))
                    turn.output = reply.text
    wf.end()
    print(f"document: {wf.document_path}")


if __name__ == "__main__":
    main()
