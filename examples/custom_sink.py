"""An output of your own: a sink that counts the tokens of each agent's LLM calls.

::

    python examples/custom_sink.py

A sink is any object with ``emit(method_name, event_dict)``, ``flush()`` and ``close()``
(:class:`wf_structlog.typing.Sink`). Handed to ``configure(sinks=[...])``, it gets every
finished event, stamped and redacted, after the built-in outputs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import fake_llm

import wf_structlog as wfl
from wf_structlog.typing import EventDict


class TokensPerAgent:
    """Adds up ``input_tokens + output_tokens`` of every ``llm_call`` event, by agent."""

    def __init__(self) -> None:
        self.tokens: Counter[str] = Counter()
        self.closed = False

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        """Count one event (called in the logging thread: keep it quick)."""
        if event_dict.get("event") == "llm_call":
            used = _number(event_dict.get("input_tokens")) + _number(
                event_dict.get("output_tokens")
            )
            self.tokens[str(event_dict.get("agent", "?"))] += used

    def flush(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        """Called when the configuration no longer has this sink (or at ``wfl.reset()``)."""
        self.closed = True


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def main() -> None:
    """Run the little workflow with the console off and print the tokens per agent."""
    counter = TokensPerAgent()
    wfl.configure("prod", stdout=False, sinks=[counter])
    with wfl.workflow(fake_llm.WORKFLOW):
        for n in fake_llm.ITERATIONS:
            for agent in fake_llm.AGENTS:  # each call is logged in an interaction of its agent
                prompt = fake_llm.prompt_for(agent, n)
                reply = fake_llm.complete(prompt)
                wfl.log_llm_call(agent=agent, **fake_llm.call_fields(prompt, reply))
    wfl.reset()  # closes every sink, yours too
    for agent, tokens in sorted(counter.tokens.items()):
        print(f"{agent}: {tokens} tokens")
    print(f"closed: {counter.closed}")


if __name__ == "__main__":
    main()
