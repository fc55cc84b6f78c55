"""Instrumented calls priced from what the API answered: the tier it served the call in, and
Anthropic's cache writes by TTL, each at its own price (the real SDKs, the local fake server)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest
from fake_llm_server import CACHE_WRITE_TOKENS, CACHED_TOKENS, FakeLLMServer

import wf_structlog as wfl
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
            cached=(CACHED_TOKENS, "0.1375"),
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
