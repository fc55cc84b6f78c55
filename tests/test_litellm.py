"""LiteLLM calls logged by themselves: the real ``litellm`` package against the fake server,
through its OpenAI path, its Anthropic path (its own HTTP client) and its Azure path (the
openai SDK), sync, async and streamed, one ``llm_call`` each. LiteLLM reads its model cost map
from the package (``LITELLM_LOCAL_MODEL_COST_MAP``, set in conftest), never the network."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from typing import Any

import litellm
import orjson
import pytest
from conftest import llm_calls, priced
from fake_llm_server import CACHED_TOKENS, FakeLLMServer, reply_to
from litellm.exceptions import BadRequestError

import wf_structlog as wfl
from wf_structlog.testing import Capture, capture

# LiteLLM leaves an event loop of its own unclosed when a process calls it from asyncio.run()
# and then synchronously (its loop and the loop's two sockets): its leak, not ours. Each test
# collects it before it ends, so the leak surfaces here, under this filter, and nowhere else.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <(function BaseEventLoop.__del__|socket.socket fd=\d+, family=1)"
    ":pytest.PytestUnraisableExceptionWarning"
)

PROMPT = "plan the bee article"
MESSAGES = [{"role": "user", "content": PROMPT}]


@pytest.fixture(autouse=True)
def _collect_litellm_leaks() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def litellm_on(logs: Capture) -> Iterator[Capture]:
    wfl.instrument("litellm")
    yield logs
    wfl.uninstrument()


def routes(server: FakeLLMServer) -> list[dict[str, Any]]:
    """The arguments of a call to the fake OpenAI and the fake Anthropic, through LiteLLM."""
    return [
        {"model": "openai/gpt-4o-mini", "api_base": server.openai_url, "api_key": "k"},
        {"model": "anthropic/claude-haiku-4-5", "api_base": server.url, "api_key": "k"},
    ]


class TestCompletion:
    def test_sync_async_and_streamed_calls_are_one_action_each(
        self, litellm_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """completion and acompletion, whole and streamed, to OpenAI and to Anthropic: each
        request one llm_call in the current interaction, logged before the call returns (the
        document is complete), with the provider, the model asked and the model that
        answered, the text, the server's usage (streams ask for it) and our table's cost."""
        openai_route, anthropic_route = routes(fake_llm)

        async def in_async() -> list[str]:
            texts = []
            for route in (openai_route, anthropic_route):
                whole = await litellm.acompletion(messages=MESSAGES, **route)
                stream = await litellm.acompletion(messages=MESSAGES, stream=True, **route)
                parts = [chunk.choices[0].delta.content or "" async for chunk in stream]
                texts += [whole.choices[0].message.content, "".join(parts)]
            return texts

        with wfl.workflow("w"), wfl.interaction("writer"):
            for route in (openai_route, anthropic_route):
                whole = litellm.completion(messages=MESSAGES, **route)
                stream = litellm.completion(messages=MESSAGES, stream=True, **route)
                text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
                assert whole.choices[0].message.content == text == reply_to(PROMPT)
            assert asyncio.run(in_async()) == [reply_to(PROMPT)] * 4
        calls = llm_calls(litellm_on)
        providers = ["openai", "openai", "anthropic", "anthropic"]
        assert [c["provider"] for c in calls] == providers * 2
        assert [c.get("stream", False) for c in calls] == [False, True] * 4
        for call in calls:
            assert (call["agent"], call["status"], call["api"]) == (
                "writer",
                "ok",
                "litellm.completion",
            )
            assert call["model"] in {"gpt-4o-mini", "claude-haiku-4-5"}
            assert call["response_model"].startswith(call["model"])
            assert call["response"] == reply_to(PROMPT)
            assert call["cached_tokens"] == CACHED_TOKENS
            assert call["cost_source"] == "table"  # not LiteLLM's own estimate in its usage
        served = [r["usage"] for r in fake_llm.requests[-8:]]
        assert [{k: c[k] for k in ("input_tokens", "output_tokens")} for c in calls] == served
        (document,) = litellm_on.documents
        assert document["complete"]
        (turn,) = document["iterations"][0]["interactions"]
        assert [a["event"] for a in turn["actions"]] == ["llm_call"] * 8
        models = ["gpt-4o-mini"] * 2 + ["claude-haiku-4-5"] * 2
        models *= 2
        assert document["usage"]["cost"] == pytest.approx(priced(fake_llm, models))
        assert document["usage"]["input_tokens"] == sum(u["input_tokens"] for u in served)

    def test_a_refused_call_is_a_failed_action_and_raises(
        self, litellm_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """A request the provider refuses reaches the caller as LiteLLM's exception, after it
        is logged at error level with its error_type, in the interaction's errors."""
        openai_route, anthropic_route = routes(fake_llm)
        with wfl.workflow("w"), wfl.interaction("writer"):
            for route in (openai_route, anthropic_route):
                provider = route["model"].partition("/")[0]
                with pytest.raises(BadRequestError):
                    litellm.completion(
                        **{**route, "model": f"{provider}/fail-1"}, messages=MESSAGES
                    )
        (turn,) = litellm_on.documents[0]["iterations"][0]["interactions"]
        assert [(e["provider"], e["status"]) for e in turn["errors"]] == [
            ("openai", "error"),
            ("anthropic", "error"),
        ]
        assert all(e["error_type"] == "BadRequestError" for e in turn["errors"])

    def test_a_stream_closed_early_is_abandoned(
        self, litellm_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """A stream closed before its end is logged once, "abandoned", with what arrived."""
        stream = litellm.completion(messages=MESSAGES, stream=True, **routes(fake_llm)[0])
        first = next(iter(stream))
        stream.close()
        (call,) = llm_calls(litellm_on)
        assert (call["status"], call["chunks"]) == ("abandoned", 1)
        assert first.choices[0].delta is not None


class TestTogetherWithTheSDKs:
    def test_a_call_through_the_openai_sdk_is_logged_once(
        self, logs: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """LiteLLM's Azure path posts through the openai SDK: with openai and litellm both
        instrumented the request is one llm_call, LiteLLM's (provider azure); with openai
        alone, the SDK's."""
        azure = {
            "model": "azure/gpt-4o-mini",
            "api_base": fake_llm.url,
            "api_key": "k",
            "api_version": "2024-10-21",
        }
        wfl.instrument("openai", "litellm")
        try:
            litellm.completion(messages=MESSAGES, **azure)
            wfl.uninstrument("litellm")
            litellm.completion(messages=MESSAGES, **azure)
        finally:
            wfl.uninstrument()
        assert fake_llm.requests[-1]["path"] == "/openai/deployments/gpt-4o-mini/chat/completions"
        assert [(c["provider"], c["api"]) for c in llm_calls(logs)] == [
            ("azure", "litellm.completion"),
            ("openai", "chat.completions"),
        ]


class TestSwitches:
    def test_the_environment_turns_it_on(
        self, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WF_LOG_INSTRUMENT=litellm logs LiteLLM's calls, like an SDK's."""
        monkeypatch.setenv("WF_LOG_INSTRUMENT", "litellm")
        wfl.configure("test")
        litellm.completion(messages=MESSAGES, **routes(fake_llm)[1])
        (call,) = [e for e in wfl.testing.events() if e["event"] == "llm_call"]
        assert (call["provider"], call["agent"]) == ("anthropic", "litellm")

    def test_uninstrument_puts_litellm_back(
        self, litellm_on: Capture, fake_llm: FakeLLMServer
    ) -> None:
        """uninstrument() puts back LiteLLM's own functions; its calls are not logged."""
        wfl.uninstrument("litellm")
        assert not hasattr(litellm.completion, "__wf_structlog_original__")
        litellm.completion(messages=MESSAGES, **routes(fake_llm)[0])
        assert llm_calls(litellm_on) == []


class TestItsOwnLogs:
    def test_its_log_records_carry_no_object_addresses(self, fake_llm: FakeLLMServer) -> None:
        """LiteLLM's debug records, bridged from logging, carry their text and none of the
        markers LiteLLM puts on them (it showed as "<object object at 0x...>")."""
        lite = logging.getLogger("LiteLLM")
        level = lite.level
        lite.setLevel(logging.DEBUG)
        try:
            with capture(stdlib=True, level="debug") as logs, wfl.workflow("w"):
                litellm.completion(messages=MESSAGES, **routes(fake_llm)[0])
        finally:
            lite.setLevel(level)
        theirs = [e for e in logs.events if e.get("logger") == "LiteLLM"]
        assert theirs
        assert all("litellm_redacted" not in e and "unserializable" not in e for e in theirs)
        assert "object at 0x" not in orjson.dumps(logs.events).decode()
