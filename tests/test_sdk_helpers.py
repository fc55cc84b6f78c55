"""The SDKs' helpers around ``create``, logged like it: ``with_raw_response``, the ``stream()``
helpers and ``parse()`` of the real openai and anthropic clients, against the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import anthropic
import openai
import pytest
from conftest import llm_calls
from fake_llm_server import FakeLLMServer, reply_to
from openai.resources.chat.completions.completions import Completions
from openai.resources.responses.responses import Responses

import wf_structlog as wfl
from wf_structlog.testing import Capture

USER: Any = [{"role": "user", "content": "plan the bee article"}]  # the SDKs' TypedDicts
REPLY = reply_to("plan the bee article")


@pytest.fixture
def sdks(logs: Capture) -> Iterator[Capture]:
    wfl.instrument("openai", "anthropic")
    yield logs
    wfl.uninstrument()


def served(server: FakeLLMServer, calls: int) -> list[dict[str, Any]]:
    """The usage the fake server answered its last *calls* requests with."""
    return [request["usage"] for request in server.requests[-calls:]]


def logged_usage(cap: Capture) -> list[dict[str, Any]]:
    return [
        {"input_tokens": c.get("input_tokens"), "output_tokens": c.get("output_tokens")}
        for c in llm_calls(cap)
    ]


class TestRawResponses:
    def test_a_raw_response_is_logged_with_what_its_body_says(
        self, sdks: Capture, oai: openai.OpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """with_raw_response (how LangChain calls the SDK) logs the usage, model and text of
        the body, and the caller's parse() gets the very object the log was read from."""
        raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=USER)
        completion = raw.parse()
        assert completion.choices[0].message.content == REPLY
        assert raw.parse() is completion
        (call,) = llm_calls(sdks)
        assert call["response"] == REPLY
        assert call["response_model"] == "gpt-4o-mini-2024-07-18"
        assert call["request_id"] == raw.headers["x-request-id"]
        assert logged_usage(sdks) == served(fake_llm, 1)

    def test_async_raw_responses_and_raw_parse(
        self, sdks: Capture, aoai: openai.AsyncOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """The async client's raw responses, and with_raw_response.parse, are logged alike."""

        async def main() -> None:
            await aoai.chat.completions.with_raw_response.create(model="m", messages=USER)
            await aoai.chat.completions.with_raw_response.parse(model="m", messages=USER)

        asyncio.run(main())
        assert logged_usage(sdks) == served(fake_llm, 2)

    def test_an_unread_body_stays_the_callers(
        self, sdks: Capture, oai: openai.OpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """with_streaming_response leaves the body unread for the caller: the call is logged
        with its request id only, and the caller reads the whole body."""
        with oai.chat.completions.with_streaming_response.create(
            model="m", messages=USER
        ) as response:
            body: Any = response.json()
        assert body["choices"][0]["message"]["content"] == REPLY
        (call,) = llm_calls(sdks)
        assert call["request_id"] == response.headers["x-request-id"]
        assert "output_tokens" not in call


class TestOpenAIHelpers:
    def test_the_chat_stream_helper_is_logged_with_usage(
        self, sdks: Capture, oai: openai.OpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """chat.completions.stream() asks for usage; its events and final completion are the
        caller's as usual, and one action logs the text and the tokens."""
        with wfl.workflow("w"), wfl.interaction("planner"):
            with oai.chat.completions.stream(model="gpt-4o-mini", messages=USER) as stream:
                kinds = {event.type for event in stream}
                final = stream.get_final_completion()
        assert "content.done" in kinds
        assert final.choices[0].message.content == REPLY
        (call,) = llm_calls(sdks)
        assert (call["agent"], call["stream"], call["response"]) == ("planner", True, REPLY)
        assert logged_usage(sdks) == served(fake_llm, 1)

    def test_the_responses_stream_helper_is_logged_with_usage(
        self, sdks: Capture, oai: openai.OpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """responses.stream() gives the caller its final response and logs one action."""
        with oai.responses.stream(model="gpt-4o-mini", input="plan the bee article") as stream:
            final = stream.get_final_response()
        assert final.output_text == REPLY
        (call,) = llm_calls(sdks)
        assert (call["api"], call["response"], call["stream"]) == ("responses", REPLY, True)
        assert logged_usage(sdks) == served(fake_llm, 1)

    def test_parse_is_logged_sync_and_async(
        self, sdks: Capture, oai: openai.OpenAI, aoai: openai.AsyncOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """parse() of chat completions and of responses, sync and async: one action each."""
        oai.chat.completions.parse(model="gpt-4o-mini", messages=USER)
        oai.responses.parse(model="gpt-4o-mini", input="plan the bee article")

        async def main() -> None:
            await aoai.chat.completions.parse(model="gpt-4o-mini", messages=USER)
            await aoai.responses.parse(model="gpt-4o-mini", input="plan the bee article")

        asyncio.run(main())
        logged = llm_calls(sdks)
        assert [c["api"] for c in logged] == ["chat.completions", "responses"] * 2
        assert all(c["response"] == REPLY for c in logged)
        assert logged_usage(sdks) == served(fake_llm, 4)

    def test_uninstrument_puts_parse_back(self, logs: Capture) -> None:
        """uninstrument() restores parse as well as create."""
        originals = Completions.__dict__["parse"], Responses.__dict__["parse"]
        wfl.instrument("openai")
        assert Completions.__dict__["parse"] is not originals[0]
        wfl.uninstrument("openai")
        assert (Completions.__dict__["parse"], Responses.__dict__["parse"]) == originals


class TestAnthropicHelpers:
    ARGS: ClassVar[Any] = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": USER}

    def test_the_messages_stream_helper_is_logged_with_usage(
        self, sdks: Capture, claude: anthropic.Anthropic, fake_llm: FakeLLMServer
    ) -> None:
        """messages.stream() is one action when its stream ends, whichever way the caller
        reads it (events, text_stream, get_final_message)."""
        with wfl.workflow("w"), wfl.interaction("critic"):
            with claude.messages.stream(**self.ARGS) as stream:
                text = "".join(stream.text_stream)
            with claude.messages.stream(**self.ARGS) as stream:
                final = stream.get_final_message()
        assert text == REPLY
        assert final.content[0].type == "text"
        assert final.content[0].text == REPLY
        first, second = llm_calls(sdks)
        assert first["agent"] == second["agent"] == "critic"
        assert first["response"] == second["response"] == REPLY
        assert first["finish_reason"] == "end_turn"
        assert first["stream"] is True
        assert second["request_id"] == stream.request_id
        assert logged_usage(sdks) == served(fake_llm, 2)

    def test_the_async_stream_helper_and_parse(
        self, sdks: Capture, aclaude: anthropic.AsyncAnthropic, fake_llm: FakeLLMServer
    ) -> None:
        """AsyncAnthropic's messages.stream() and parse() are logged too."""

        async def main() -> str:
            async with aclaude.messages.stream(**self.ARGS) as stream:
                text = await stream.get_final_text()
            await aclaude.messages.parse(**self.ARGS)
            return text

        assert asyncio.run(main()) == REPLY
        assert [c.get("stream", False) for c in llm_calls(sdks)] == [True, False]
        assert logged_usage(sdks) == served(fake_llm, 2)

    def test_a_failed_stream_is_logged_and_raised(
        self, sdks: Capture, claude: anthropic.Anthropic
    ) -> None:
        """A stream the API refuses raises to the caller, after being logged as an error."""
        with pytest.raises(anthropic.BadRequestError):
            with claude.messages.stream(**{**self.ARGS, "model": "fail-1"}):
                pass
        (call,) = llm_calls(sdks)
        assert call["status"] == "error"
        assert call["error_type"] == "BadRequestError"
