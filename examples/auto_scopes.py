"""The little workflow logged with automatic scopes: no ``with``, no start or end calls.

::

    python examples/auto_scopes.py [--out DIR]
"""

from __future__ import annotations

from collections.abc import Sequence

import fake_llm

import wf_structlog as wfl


def main(argv: Sequence[str] | None = None) -> None:
    """Run the workflow; the document is ``<out>/demo-<run id>.json``."""
    out = fake_llm.out_dir(argv, __doc__ or "")
    wfl.configure(doc_dir=out)
    wf = wfl.SimpleWorkflowLogger(fake_llm.WORKFLOW)
    for n in fake_llm.ITERATIONS:
        if n > 1:
            wf.next_iteration()
        for agent in fake_llm.AGENTS:
            prompt = fake_llm.prompt_for(agent, n)
            reply = fake_llm.complete(prompt)
            # Opens the agent's interaction, ending the previous agent's.
            wf.log_llm_call(agent=agent, **fake_llm.call_fields(prompt, reply))
    wf.finalize()
    print(f"document: {wf.workflow.document_path}")


if __name__ == "__main__":
    main()
