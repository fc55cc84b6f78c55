"""Gemini calls logged by themselves: the real ``google-genai`` client against the fake
server's ``generateContent`` and its stream, sync and async, one ``llm_call`` each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from conftest import llm_calls
from fake_llm_server import CACHED_TOKENS, FakeLLMServer, reply_to
from google import genai
from google.genai import types

import wf_structlog as wfl
from wf_structlog.testing import Capture

PROMPT = "plan the bee article"


@pytest.fixture
def gemini(logs: Capture) -> Iterator[Capture]:
    wfl.instrument("google_genai")
    yield logs
    wfl.uninstrument()


def client(server: FakeLLMServer, version: str | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=server.url, api_version=version)
    return genai.Client(api_key="test-key", http_options=options)


def served(server: FakeLLMServer, calls: int) -> list[dict[str, int]]:
    return [r["usage"] for r in server.requests[-calls:]]


class TestGenerateContent:
    def test_calls_and_streams_are_one_action_each_with_usage(
        self, gemini: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """generate_content and generate_content_stream, sync and async, in v1 and v1beta:
        one llm_call each in the current interaction, with text, model and the usage the
        server answered (cached tokens inside the input, as OpenAI counts them)."""
        gem = client(fake_llm)
        with wfl.workflow("w"), wfl.interaction("writer"):
            whole = gem.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
            parts = [
                c.text
                for c in gem.models.generate_content_stream(
                    model="gemini-2.5-flash", contents=PROMPT
                )
            ]
            beta_client = client(fake_llm, "v1beta")  # kept: a dropped Client closes
            beta = beta_client.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)

            async def main() -> str:
                await gem.aio.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
                stream = await gem.aio.models.generate_content_stream(
                    model="gemini-2.5-flash", contents=PROMPT
                )
                return "".join([c.text or "" async for c in stream])

            assert asyncio.run(main()) == reply_to(PROMPT)
        assert whole.text == beta.text == "".join(p or "" for p in parts) == reply_to(PROMPT)
        assert fake_llm.requests[-3]["path"].startswith("/v1beta/")
        logged = llm_calls(gemini)
        assert [c.get("stream", False) for c in logged] == [False, True, False, False, True]
        for call in logged:
            assert (call["agent"], call["provider"]) == ("writer", "gemini")
            assert call["model"] == call["response_model"] == "gemini-2.5-flash"
            assert call["response"] == reply_to(PROMPT)
            assert call["finish_reason"] == "STOP"
            assert call["cached_tokens"] == 2
        tokens = [
            {"input_tokens": c["input_tokens"], "output_tokens": c["output_tokens"]} for c in logged
        ]
        assert tokens == served(fake_llm, 5)

    @pytest.mark.parametrize(
        ("config", "tier", "prices"),
        [
            (
                types.GenerateContentConfig(service_tier=types.ServiceTier.FLEX, temperature=0.2),
                "flex",
                "0.15 0.03 1.25",
            ),
            ({"service_tier": "PRIORITY", "temperature": 0.2}, "priority", "0.54 0.054 4.5"),
        ],
        ids=["flex-config-object", "priority-config-dict"],
    )
    def test_the_tier_asked_for_in_config_is_the_tier_priced(
        self, gemini: Capture, fake_llm: FakeLLMServer, config: Any, tier: str, prices: str
    ) -> None:
        """A request's config, as a GenerateContentConfig or a dict, gives the call its
        parameters and its service tier: the call is priced at that tier's prices of the
        table (input, cached input, output per million), not the standard ones."""
        gem = client(fake_llm)  # kept: a dropped Client closes
        gem.models.generate_content(model="gemini-2.5-flash", contents=PROMPT, config=config)
        (call,) = llm_calls(gemini)
        (usage,) = served(fake_llm, 1)
        input_price, cached_price, output_price = map(Decimal, prices.split())
        cost = (
            (usage["input_tokens"] - CACHED_TOKENS) * input_price
            + CACHED_TOKENS * cached_price
            + usage["output_tokens"] * output_price
        ) / 10**6
        assert call["service_tier"] == tier
        assert call["temperature"] == 0.2
        assert call["cost"] == float(cost)

    def test_a_refused_call_is_logged_and_raised(
        self, gemini: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """An error from the API reaches the caller, after the call is logged as an error."""
        gem = client(fake_llm)
        with pytest.raises(genai.errors.APIError):
            gem.models.generate_content(model="fail-1", contents=PROMPT)
        (call,) = llm_calls(gemini)
        assert call["status"] == "error"
