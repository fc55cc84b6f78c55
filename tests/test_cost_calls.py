"""Instrumented calls priced from what the API answered: the tier it served the call in, and
Anthropic's cache writes by TTL, each at its own price (the real SDKs, the local fake server)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from fake_llm_server import CACHE_WRITE_TOKENS, CACHED_TOKENS, FakeLLMServer
from openai.types.chat import ChatCompletion

import wf_structlog as wfl
from wf_structlog.instrumentation import _openai
from wf_structlog.instrumentation._call import LLMCall
from wf_structlog.reading.cli import main
from wf_structlog.testing import Capture


@pytest.fixture
def sdks(logs: Capture) -> Iterator[Capture]:
    wfl.instrument()
    yield logs
    wfl.uninstrument()


def dollars(**tokens_at_price: tuple[int, str]) -> float:
    """The hand computation: tokens times dollars per million, summed exactly."""
    total = sum(Decimal(n) * Decimal(price) for n, price in tokens_at_price.values())
    return float(total / 10**6)


class TestPricedFromTheAnswer:
    def test_a_flex_call_is_priced_at_the_flex_tier(
        self, sdks: Capture, oai: openai.OpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """A call asking for service_tier="flex" is answered in it, logged with it, and
        priced at o4-mini's flex prices."""
        user: Any = [{"role": "user", "content": "plan the bee article"}]
        oai.chat.completions.create(model="o4-mini", messages=user, service_tier="flex")
        (call,) = [e for e in sdks.events if e["event"] == "llm_call"]
        usage = fake_llm.requests[-1]["usage"]
        assert call["service_tier"] == "flex"
        assert call["cost"] == dollars(
            input=(usage["input_tokens"] - CACHED_TOKENS, "0.55"),
            cached=(CACHED_TOKENS, "0.138"),
            output=(usage["output_tokens"], "2.2"),
        )
        assert call["cost_source"] == "table"

    def test_anthropic_cache_writes_are_priced_by_their_ttl(
        self, sdks: Capture, claude: anthropic.Anthropic, fake_llm: FakeLLMServer
    ) -> None:
        """Blocks written to the cache for five minutes and for an hour are counted inside
        input_tokens, apart from the cache reads, and each priced at its own rate."""
        system: Any = [
            {"type": "text", "text": "style guide", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "facts", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        ]
        user: Any = [{"role": "user", "content": "plan the bee article"}]
        claude.messages.create(
            model="claude-sonnet-4-5", max_tokens=50, system=system, messages=user
        )
        (call,) = [e for e in sdks.events if e["event"] == "llm_call"]
        usage = fake_llm.requests[-1]["usage"]
        written = 2 * CACHE_WRITE_TOKENS
        assert (call["input_tokens"], call["cached_tokens"]) == (usage["input_tokens"], 2)
        assert (call["cache_write_tokens"], call["cache_write_1h_tokens"]) == (written, 3)
        assert call["cost"] == dollars(
            input=(usage["input_tokens"] - CACHED_TOKENS - written, "3"),
            cached=(CACHED_TOKENS, "0.3"),
            five_minutes=(CACHE_WRITE_TOKENS, "3.75"),
            one_hour=(CACHE_WRITE_TOKENS, "6"),
            output=(usage["output_tokens"], "15"),
        )


class TestProviderCost:
    def test_a_cost_in_the_response_is_the_providers(self, logs: Capture) -> None:
        """A chat completion whose usage carries its price (OpenRouter's usage.cost) is logged
        with that cost and cost_source "provider", not priced again from the table."""
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "cost": 0.0042}
        completion = ChatCompletion.model_validate(
            {"id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4o",
             "choices": [], "usage": usage}
        )  # fmt: skip
        call = LLMCall(_openai.CHAT, {"model": "gpt-4o", "messages": []})
        call.end("ok", _openai.CHAT.response(completion))
        (event,) = [e for e in logs.events if e["event"] == "llm_call"]
        assert (event["cost"], event["cost_source"]) == (0.0042, "provider")
        assert "cost_table_date" not in event


class TestEveryViewerSaysUnpriced:
    @pytest.mark.parametrize("command", ["view", "tree", "stats", "diff"])
    def test_an_unpriced_call_is_never_shown_as_free(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
    ) -> None:
        """A run with a call no table prices: wf-log view, tree, stats and diff each say it is
        unpriced, and none shows the run's cost as $0."""
        path = tmp_path / "run.ndjson"
        wfl.configure("prod", stdout=False, file=path)
        with wfl.workflow("w"), wfl.interaction("planner"):
            wfl.get_logger().info("llm_call", model="house", input_tokens=5, output_tokens=5)
        wfl.reset()
        args = [command, str(path)] + ([str(path)] if command == "diff" else [])
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "unpriced" in out
        assert "$0.00" not in out
