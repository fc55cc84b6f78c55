"""The little workflow logged through the old hand-driven ``WorkflowLogger`` API, unchanged.

::

    python examples/legacy_api.py [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

import fake_llm

from wf_structlog import WorkflowLogger


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workflow; the document is ``<out>/demo_<run id>.json``."""
    out = fake_llm.out_dir(argv, __doc__ or "")
    wf = WorkflowLogger(fake_llm.WORKFLOW, log_dir=out)
    for n in fake_llm.ITERATIONS:
        wf.start_iteration(n)
        for agent in fake_llm.AGENTS:
            prompt = fake_llm.prompt_for(agent, n)
            wf.start_interaction(agent, prompt)
            reply = fake_llm.complete(prompt)
            metadata = {
                "model": fake_llm.MODEL,
                "input_tokens": reply.input_tokens,
                "output_tokens": reply.output_tokens,
            }
            wf.log_action("llm_call", prompt, reply.text, metadata)
            wf.end_interaction(reply.text)
        wf.end_iteration("ok")
    print(f"document: {wf.finalize()}")


if __name__ == "__main__":
    main()
