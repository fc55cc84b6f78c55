"""A multi-agent research run logged with wf_structlog, with a fake model and no network.

A planner, a researcher and a writer take turns over three iterations. The run prints on the
dev console, appends every event to ``<out>/run.ndjson`` and writes the finished workflow
document to ``<out>/research-<run id>.json``; then the NDJSON is reduced back to the document
and summarised.

With ``--openai`` the agents call a local fake OpenAI-compatible server (``fake_llm_server``)
through the real ``openai`` client instead, and nothing logs the calls by hand: the
instrumentation does (``configure(instrument=["openai"])``), with usage and cost from the
price table. The writer streams its answer.

::

    python examples/multi_agent.py [--out DIR] [--quiet] [--openai]
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any, Final, NamedTuple, Protocol

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.render.money import cost_label

# No configuration needed: the first call sets up the dev console by itself.
log = get_logger().bind(agent="planner")
researcher_log = get_logger().bind(agent="researcher")
writer_log = get_logger().bind(agent="writer")

MODEL: Final = "fake-llm-1"
ITERATIONS: Final = 3
# Made-up prices, in dollars per 1000 tokens, so that the document has a cost to sum.
INPUT_PRICE: Final = 0.5
OUTPUT_PRICE: Final = 1.5

WORDS: Final = (
    "agents", "context", "events", "scopes", "tokens", "traces", "documents", "reducers",
    "workflows", "iterations", "prompts", "replies", "errors", "resources", "metadata", "usage",
)  # fmt: skip

LIBRARY: Final = {
    "https://example.org/structured-logging": "Log events as dicts, not sentences.",
    "https://example.org/nested-traces": "Each span knows its parent, so trees rebuild.",
    "https://example.org/llm-costs": "Count tokens per call and sum them per run.",
}


class Completion(NamedTuple):
    """What the fake model returns."""

    text: str
    input_tokens: int
    output_tokens: int


def fake_llm(prompt: str) -> Completion:
    """Answer *prompt* deterministically: the same prompt always gets the same reply."""
    digest = hashlib.sha256(prompt.encode()).digest()
    words = [WORDS[byte % len(WORDS)] for byte in digest[1 : 7 + digest[0] % 8]]
    return Completion(" ".join(words).capitalize() + ".", len(prompt.split()), len(words))


class Model(Protocol):
    """What the agents call: ``ask(agent_log, prompt, stream) -> reply``."""

    def __call__(self, agent_log: wfl.BoundLogger, prompt: str, stream: bool = False) -> str: ...


def priced(model: str, input_price: float, output_price: float) -> Model:
    """The fake model under the name *model*, at these prices per 1000 tokens: each call is
    logged with its tokens and cost."""

    def ask(agent_log: wfl.BoundLogger, prompt: str, stream: bool = False) -> str:
        reply = fake_llm(prompt)
        cost = (reply.input_tokens * input_price + reply.output_tokens * output_price) / 1000
        agent_log.info(
            "llm_call",
            model=model,
            prompt=prompt,
            response=reply.text,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            cost=round(cost, 6),
        )
        return reply.text

    return ask


ask: Final = priced(MODEL, INPUT_PRICE, OUTPUT_PRICE)
"""Call the fake model and log the call with its tokens and cost."""


class SearchTool:
    """A fake search engine over :data:`LIBRARY`; its second call times out, so the run has an
    error to show."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, query: str) -> str:
        self.calls += 1
        if self.calls == 2:
            raise TimeoutError("search index did not answer within 5s")
        urls = sorted(LIBRARY)
        return urls[hashlib.sha256(query.encode()).digest()[0] % len(urls)]


class OpenAIModel:
    """The real ``openai`` client, talking to *base_url*; instrumentation logs its calls."""

    def __init__(self, base_url: str) -> None:
        import openai  # only here: the plain demo does not need the SDK

        self._client = openai.OpenAI(base_url=base_url, api_key="sk-demo", max_retries=0)

    def __call__(self, agent_log: wfl.BoundLogger, prompt: str, stream: bool = False) -> str:
        messages: Any = [{"role": "user", "content": prompt}]
        if not stream:
            reply = self._client.chat.completions.create(model=OPENAI_MODEL, messages=messages)
            return reply.choices[0].message.content or ""
        chunks = self._client.chat.completions.create(
            model=OPENAI_MODEL, messages=messages, stream=True
        )
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks)


OPENAI_MODEL: Final = "gpt-4o-mini"


def plan(ask: Model, topic: str, draft: str, number: int, rounds: int) -> str:
    """The planner's turn: decide what to look up next."""
    with wfl.interaction(agent="planner", input={"topic": topic, "iteration": number}) as it:
        step = ask(log, f"Plan round {number} of {rounds} on {topic}. Draft: {draft}")
        it.output = step
        return step


def research(ask: Model, step: str, search: SearchTool) -> str:
    """The researcher's turn: search, fetch a page, summarise it."""
    with wfl.interaction(agent="researcher", input=step) as it:
        query = " ".join(step.split()[:3])
        try:
            url = search(query)
        except TimeoutError:
            # Handled, so the turn still ends "ok"; the failure stays in the turn's errors.
            researcher_log.exception("tool_failed", tool="search", query=query)
            url = search(query)
        researcher_log.info("tool_call", tool="search", query=query, result=url)
        page = LIBRARY[url]
        wfl.add_resource(url, kind="web_page", chars=len(page))
        notes = ask(researcher_log, f"Summarise for '{step}': {page}")
        it.output = notes
        return notes


def write(ask: Model, topic: str, notes: str, draft: str) -> str:
    """The writer's turn: fold the notes into the draft (streamed)."""
    with wfl.interaction(agent="writer", input=notes) as it:
        prompt = f"Improve this draft on {topic} with '{notes}': {draft}"
        new_draft = ask(writer_log, prompt, stream=True)
        it.output = new_draft
        return new_draft


def run(topic: str, ask: Model = ask, rounds: int = ITERATIONS) -> wfl.WorkflowScope:
    """Run the workflow with *ask* as the model for *rounds* iterations; returns its
    (finished) scope."""
    search = SearchTool()
    with wfl.workflow("research", user="u1") as wf:
        wfl.add_metadata(topic=topic)
        draft = ""
        for number in range(1, rounds + 1):
            with wfl.iteration():
                step = plan(ask, topic, draft, number, rounds)
                notes = research(ask, step, search)
                draft = write(ask, topic, notes, draft)
        return wf


def summary(document: dict[str, Any]) -> list[str]:
    """A few lines about a workflow document: status, iterations, turns, errors, usage."""
    turns = [turn for it in document["iterations"] for turn in it["interactions"]]
    per_agent = Counter(turn["agent"] for turn in turns)
    usage = document["usage"]
    return [
        f"workflow {document['name']} ({document['id']}): {document['status']}",
        f"  iterations:   {len(document['iterations'])}",
        "  interactions: " + ", ".join(f"{agent} {n}" for agent, n in per_agent.items()),
        f"  errors:       {document['error_count']}",
        f"  usage:        {usage['calls']} calls, {usage['input_tokens']} input tokens, "
        f"{usage['output_tokens']} output tokens, {cost_label(usage)}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(description="A multi-agent run logged with wf_structlog.")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), metavar="DIR", help="where to write (default: out)"
    )
    parser.add_argument("--quiet", action="store_true", help="no console output once configured")
    parser.add_argument(
        "--openai", action="store_true", help="call a local fake OpenAI server with the real SDK"
    )
    args = parser.parse_args(argv)

    log.info("hello", note="logged before any configuration")

    ndjson = args.out / "run.ndjson"
    instrument = ["openai"] if args.openai else []
    wfl.configure(
        preset="dev", file=ndjson, doc_dir=args.out, console=not args.quiet, instrument=instrument
    )
    try:
        if args.openai:
            from fake_llm_server import FakeLLMServer

            with FakeLLMServer() as server:
                wf = run("structured logs for LLM agents", OpenAIModel(server.openai_url))
        else:
            wf = run("structured logs for LLM agents")
        document_path = wf.document_path
    finally:
        # Close the NDJSON file, so that calling main() again (as tests do) starts afresh.
        wfl.reset()

    # run.ndjson is appended to, so earlier runs may be in it: pick this one by its id.
    document = next(doc for doc in wfl.reduce(ndjson) if doc["id"] == wf.id)
    print("\n".join(summary(document)))
    print(f"events:   {ndjson}")
    print(f"document: {document_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
