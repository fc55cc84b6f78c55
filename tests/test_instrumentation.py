"""LLM calls logged by themselves: the real openai and anthropic clients, talking to a local
server that answers in the providers' formats, each call one ``llm_call`` action."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from conftest import table_dollars
from fake_llm_server import CACHED_TOKENS, FakeLLMServer, count, reply_to
from openai.resources.chat.completions.completions import AsyncCompletions, Completions

import wf_structlog as wfl
from wf_structlog import instrumentation
from wf_structlog.instrumentation._call import LLMCall
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

USER: Any = [{"role": "user", "content": "plan the bee article"}]  # the SDKs' TypedDicts
PROMPT = "plan the bee article"
REPLY = reply_to(PROMPT)


@pytest.fixture
def server(fake_llm: FakeLLMServer) -> FakeLLMServer:
    return fake_llm


@pytest.fixture
def sdks(logs: Capture) -> Iterator[Capture]:
    """Both SDKs instrumented, events captured."""
    wfl.instrument()
    yield logs
    wfl.uninstrument()


def calls(logs: Capture) -> list[EventDict]:
    return [e for e in logs.events if e["event"] == "llm_call"]


def the_call(logs: Capture) -> EventDict:
    (call,) = calls(logs)
    return call


def expected_usage(model: str) -> dict[str, Any]:
    """What the fake server's answer to PROMPT costs and counts."""
    input_tokens, output_tokens = count(PROMPT) + CACHED_TOKENS, count(REPLY)
    dollars = table_dollars(model, input_tokens, output_tokens, CACHED_TOKENS)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_tokens": CACHED_TOKENS,
        "cost": pytest.approx(dollars),
    }


def last_request_id(server: FakeLLMServer) -> str:
    return f"req_{len(server.requests):06d}"


class TestOpenAIChat:
    def test_a_call_is_one_action_with_model_text_usage_and_cost(
        self, sdks: Capture, oai: openai.OpenAI, server: FakeLLMServer
    ) -> None:
        """A chat completion inside an interaction logs one llm_call there, with the model
        asked for and the one that answered, prompt and reply, usage, cost, request id."""
        with wfl.workflow("w"), wfl.interaction("planner"):
            reply = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
        assert reply.choices[0].message.content == REPLY
        call = the_call(sdks)
        assert call["agent"] == "planner"
        assert call["provider"] == "openai"
        assert call["model"] == "gpt-4o-mini"
        assert call["response_model"] == "gpt-4o-mini-2024-07-18"
        assert call["prompt"] == USER
        assert call["response"] == REPLY
        assert call["finish_reason"] == "stop"
        assert call["request_id"] == last_request_id(server)
        assert call["status"] == "ok"
        assert call["reasoning_tokens"] == 0
        assert call["duration_ms"] > 0
        assert "stream" not in call
        assert {k: call[k] for k in expected_usage("gpt-4o-mini")} == expected_usage("gpt-4o-mini")

    def test_a_stream_is_logged_when_it_ends_with_the_usage_asked_for(
        self, sdks: Capture, oai: openai.OpenAI, server: FakeLLMServer
    ) -> None:
        """A stream asks the API for usage; the user never sees that extra chunk; the action,
        logged at the end, has the whole text, usage and time to first chunk."""
        with wfl.workflow("w"), wfl.interaction("planner"):
            stream = oai.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
            assert calls(sdks) == []  # nothing read yet
            chunks = list(stream)
        assert server.requests[-1]["body"]["stream_options"] == {"include_usage": True}
        assert all(chunk.choices for chunk in chunks)
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == REPLY
        call = the_call(sdks)
        assert call["stream"] is True
        assert call["status"] == "ok"
        assert call["response"] == REPLY
        assert 0 < call["time_to_first_chunk_ms"] <= call["duration_ms"]
        assert call["request_id"] == last_request_id(server)
        assert {k: call[k] for k in expected_usage("gpt-4o-mini")} == expected_usage("gpt-4o-mini")

    def test_usage_options_of_the_caller_are_kept(
        self, sdks: Capture, oai: openai.OpenAI, server: FakeLLMServer
    ) -> None:
        """A caller who asked for the usage chunk gets it, and one who said no is obeyed."""
        options: Any = {"include_usage": True}
        chunks = list(
            oai.chat.completions.create(
                model="m", messages=USER, stream=True, stream_options=options
            )
        )
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None
        list(
            oai.chat.completions.create(
                model="m", messages=USER, stream=True, stream_options={"include_usage": False}
            )
        )
        assert server.requests[-1]["body"]["stream_options"] == {"include_usage": False}
        first, second = calls(sdks)
        assert first["output_tokens"] == count(REPLY)
        assert "output_tokens" not in second

    def test_async_calls_and_streams(
        self, sdks: Capture, aoai: openai.AsyncOpenAI, server: FakeLLMServer
    ) -> None:
        """The async client logs like the sync one, calls and streams alike."""

        async def main() -> list[str]:
            with wfl.workflow("w"), wfl.interaction("planner"):
                whole = await aoai.chat.completions.create(model="gpt-4o-mini", messages=USER)
                stream = await aoai.chat.completions.create(
                    model="gpt-4o-mini", messages=USER, stream=True
                )
                parts = [c.choices[0].delta.content or "" async for c in stream]
                return [whole.choices[0].message.content or "", "".join(parts)]

        assert asyncio.run(main()) == [REPLY, REPLY]
        whole, streamed = calls(sdks)
        for call in (whole, streamed):
            assert call["agent"] == "planner"
            assert call["response"] == REPLY
            assert call["status"] == "ok"
            assert {k: call[k] for k in expected_usage("gpt-4o-mini")} == expected_usage(
                "gpt-4o-mini"
            )
        assert streamed["stream"] is True


class TestOpenAIResponses:
    def test_sync_async_and_streamed_responses(
        self, sdks: Capture, oai: openai.OpenAI, aoai: openai.AsyncOpenAI
    ) -> None:
        """The responses API: a call, an async call and a stream, one action each."""
        with wfl.workflow("w"), wfl.interaction("writer"):
            whole = oai.responses.create(model="gpt-4o-mini", input=PROMPT, instructions="be brief")
            events = [
                e.type for e in oai.responses.create(model="gpt-4o-mini", input=PROMPT, stream=True)
            ]

            async def main() -> str:
                return (await aoai.responses.create(model="gpt-4o-mini", input=PROMPT)).output_text

            assert asyncio.run(main()) == REPLY
        assert whole.output_text == REPLY
        assert events[-1] == "response.completed"
        logged = calls(sdks)
        assert len(logged) == 3
        for call in logged:
            assert call["api"] == "responses"
            assert call["prompt"] == PROMPT
            assert call["response"] == REPLY
            assert call["finish_reason"] == "completed"
            assert {k: call[k] for k in expected_usage("gpt-4o-mini")} == expected_usage(
                "gpt-4o-mini"
            )
        assert logged[0]["system"] == "be brief"
        assert logged[1]["stream"] is True


class TestAnthropicMessages:
    def test_sync_async_and_streamed_messages(
        self,
        sdks: Capture,
        claude: anthropic.Anthropic,
        aclaude: anthropic.AsyncAnthropic,
        server: FakeLLMServer,
    ) -> None:
        """Messages: a call, a stream, an async call and an async stream, one action each;
        input tokens include those read from the cache, as OpenAI counts them."""
        args: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": USER}
        with wfl.workflow("w"), wfl.interaction("critic"):
            message = claude.messages.create(**args, system="be kind")
            streamed = [e.type for e in claude.messages.create(**args, stream=True)]

            async def main() -> str:
                await aclaude.messages.create(**args)
                stream = await aclaude.messages.create(**args, stream=True)
                return "".join(
                    [e.delta.text async for e in stream if e.type == "content_block_delta"]
                )

            assert asyncio.run(main()) == REPLY
        assert message.content[0].text == REPLY
        assert streamed[-1] == "message_stop"
        logged = calls(sdks)
        assert [c.get("stream", False) for c in logged] == [False, True, False, True]
        for call in logged:
            assert call["provider"] == "anthropic"
            assert call["response_model"] == "claude-haiku-4-5-20251001"
            assert call["response"] == REPLY
            assert call["finish_reason"] == "end_turn"
            assert call["request_id"].startswith("req_")
            usage = expected_usage("claude-haiku-4-5")
            assert {k: call[k] for k in usage} == usage
        assert logged[0]["system"] == "be kind"
        assert server.requests[-1]["path"] == "/v1/messages"


class TestAbandonedStreams:
    def test_a_stream_closed_early_is_abandoned_with_what_came(
        self, sdks: Capture, oai: openai.OpenAI
    ) -> None:
        """Closing a stream before its end logs it "abandoned", with the text so far."""
        with oai.chat.completions.create(model="m", messages=USER, stream=True) as stream:
            first, second = next(stream), next(stream)
        call = the_call(sdks)
        assert call["status"] == "abandoned"
        assert call["response"] == (first.choices[0].delta.content or "") + (
            second.choices[0].delta.content or ""
        )
        assert call["chunks"] == 2
        assert "output_tokens" not in call

    def test_a_stream_dropped_unfinished_is_abandoned_in_its_scope(
        self, sdks: Capture, claude: anthropic.Anthropic
    ) -> None:
        """A stream the consumer stops reading and drops is logged "abandoned" when it is
        collected, in the interaction the call was made in."""
        with wfl.workflow("w"):
            with wfl.interaction("critic"):
                stream = claude.messages.create(model="m", max_tokens=5, messages=USER, stream=True)
                for event in stream:
                    if event.type == "content_block_delta":
                        break
            with wfl.interaction("other"):
                del stream, event
                gc.collect()
        call = the_call(sdks)
        assert call["status"] == "abandoned"
        assert call["agent"] == "critic"
        assert call["response"] == "echo: "

    def test_an_async_stream_closed_early(self, sdks: Capture, aoai: openai.AsyncOpenAI) -> None:
        """An async stream left by ``break`` and closed is abandoned too."""

        async def main() -> None:
            stream = await aoai.chat.completions.create(model="m", messages=USER, stream=True)
            async for _ in stream:
                break
            await stream.close()

        asyncio.run(main())
        assert the_call(sdks)["status"] == "abandoned"


class TestFailures:
    def test_the_sdk_error_reaches_the_caller_after_being_logged(
        self, sdks: Capture, oai: openai.OpenAI, claude: anthropic.Anthropic
    ) -> None:
        """An API error propagates unchanged; the call is logged at error level with its
        error_type and request id."""
        with pytest.raises(openai.BadRequestError) as raised:
            oai.chat.completions.create(model="fail-now", messages=USER)
        assert raised.value.status_code == 400
        with pytest.raises(anthropic.BadRequestError):
            claude.messages.create(model="fail-now", max_tokens=5, messages=USER)
        first, second = calls(sdks)
        for call in (first, second):
            assert call["level"] == "error"
            assert call["status"] == "error"
            assert call["error_type"] == "BadRequestError"
            assert call["request_id"].startswith("req_")
            assert "cost" not in call
        assert first["request_id"] == raised.value.request_id

    def test_a_recording_bug_leaves_the_result_untouched(
        self,
        sdks: Capture,
        oai: openai.OpenAI,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """When logging the call fails, the caller still gets the SDK's result, and the
        failure is said once on stderr."""

        def broken(self: LLMCall, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("bug in recording")

        monkeypatch.setattr(LLMCall, "end", broken)
        for _ in range(2):
            reply = oai.chat.completions.create(model="m", messages=USER)
            assert reply.choices[0].message.content == REPLY
            assert (
                "".join(
                    c.choices[0].delta.content or ""
                    for c in oai.chat.completions.create(model="m", messages=USER, stream=True)
                )
                == REPLY
            )
        assert calls(sdks) == []
        assert capsys.readouterr().err.count("bug in recording") == 1

    def test_a_bug_before_the_call_runs_the_original_untouched(
        self,
        sdks: Capture,
        oai: openai.OpenAI,
        server: FakeLLMServer,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """When the call cannot even be prepared, the SDK method runs with the caller's
        arguments as they were (no usage option added)."""

        def broken(self: LLMCall, *args: Any) -> None:
            raise KeyError("bug")

        monkeypatch.setattr(LLMCall, "__init__", broken)
        chunks = list(oai.chat.completions.create(model="m", messages=USER, stream=True))
        assert "stream_options" not in server.requests[-1]["body"]
        assert chunks
        assert calls(sdks) == []


class TestScopes:
    def test_a_call_outside_any_interaction_opens_an_automatic_one(
        self, sdks: Capture, oai: openai.OpenAI
    ) -> None:
        """Outside any scope, calls go into an automatic interaction named after the
        provider, in the implicit workflow, and the document counts them."""
        oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
        oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
        first, second = calls(sdks)
        assert first["agent"] == second["agent"] == "openai"
        assert first["interaction_id"] == second["interaction_id"]
        wfl.reset()  # ends the implicit workflow
        (document,) = sdks.documents
        (turn,) = document["iterations"][0]["interactions"]
        assert turn["agent"] == "openai"
        assert turn["output"] == REPLY
        assert document["usage"]["calls"] == 2

    def test_cost_rolls_up_through_the_document(
        self, sdks: Capture, oai: openai.OpenAI, claude: anthropic.Anthropic
    ) -> None:
        """Costs of calls sum into usage.cost of each interaction, iteration and workflow;
        a call to a model without a price adds tokens but no cost."""
        with wfl.workflow("w"):
            for _ in (1, 2):
                with wfl.iteration():
                    with wfl.interaction("planner"):
                        oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
                    with wfl.interaction("critic"):
                        claude.messages.create(
                            model="claude-haiku-4-5", max_tokens=9, messages=USER
                        )
                        claude.messages.create(model="unpriced-1", max_tokens=9, messages=USER)
        logged = calls(sdks)
        assert "cost" not in logged[2]
        priced = [c["cost"] for c in logged if "cost" in c]
        assert len(priced) == 4
        (document,) = sdks.documents
        assert document["usage"]["cost"] == pytest.approx(sum(priced))
        assert document["usage"]["calls"] == 6
        for iteration in document["iterations"]:
            planner, critic = iteration["interactions"]
            assert iteration["usage"]["cost"] == pytest.approx(
                planner["usage"]["cost"] + critic["usage"]["cost"]
            )
            assert critic["usage"]["input_tokens"] == 2 * (count(PROMPT) + CACHED_TOKENS)


class TestSwitching:
    def test_instrumenting_twice_logs_once_and_uninstrument_restores(
        self, logs: Capture, oai: openai.OpenAI
    ) -> None:
        """instrument() twice still gives one action per call; uninstrument() puts back the
        very methods the SDK had, and calls are no longer logged."""
        originals = Completions.__dict__["create"], AsyncCompletions.__dict__["create"]
        wfl.instrument("openai")
        wfl.instrument("openai", "anthropic")
        assert Completions.__dict__["create"] is not originals[0]
        oai.chat.completions.create(model="m", messages=USER)
        assert len(calls(logs)) == 1
        wfl.uninstrument()
        assert (Completions.__dict__["create"], AsyncCompletions.__dict__["create"]) == originals
        oai.chat.completions.create(model="m", messages=USER)
        assert len(calls(logs)) == 1
        assert instrumentation.instrumented() == ()

    def test_configuration_instruments_and_reset_undoes_it(
        self, oai: openai.OpenAI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """configure(instrument=...) and WF_LOG_INSTRUMENT switch instrumentation on;
        reconfiguring without it, or reset(), switch it off; SDKs instrumented by the program
        itself stay so."""
        original = Completions.__dict__["create"]
        wfl.configure("test", instrument=["openai"])
        assert instrumentation.instrumented() == ("openai",)
        wfl.configure("test")
        assert Completions.__dict__["create"] is original
        monkeypatch.setenv("WF_LOG_INSTRUMENT", "openai, anthropic")
        wfl.configure("test")
        oai.chat.completions.create(model="m", messages=USER)
        assert [e["event"] for e in wfl.testing.events()].count("llm_call") == 1
        assert instrumentation.instrumented() == ("openai", "anthropic")
        wfl.reset()
        assert instrumentation.instrumented() == ()
        wfl.instrument("anthropic")
        wfl.configure("test", instrument=["openai"])
        wfl.reset()
        assert instrumentation.instrumented() == ("anthropic",)
        wfl.uninstrument()

    def test_bad_instrument_settings_are_config_errors(self) -> None:
        """An SDK wf_structlog cannot instrument is refused with a clear message."""
        with pytest.raises(wfl.ConfigError, match="cannot instrument 'cohere'"):
            wfl.configure("test", instrument=["cohere"])
        with pytest.raises(ValueError, match="choose among openai, anthropic"):
            wfl.instrument("cohere")

    def test_a_bad_environment_value_is_ignored_at_first_use(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without configure(), a WF_LOG_INSTRUMENT naming an unknown SDK is left out and
        said on stderr; logging goes on."""
        monkeypatch.setenv("WF_LOG_INSTRUMENT", "cohere")
        wfl.get_logger().info("hello")
        assert "ignoring WF_LOG_INSTRUMENT" in capsys.readouterr().err
        assert instrumentation.instrumented() == ()

    def test_logging_off_leaves_calls_alone(
        self, oai: openai.OpenAI, server: FakeLLMServer
    ) -> None:
        """With logging off, an instrumented SDK sends exactly what the caller asked."""
        wfl.configure("off")
        wfl.instrument("openai")
        try:
            list(oai.chat.completions.create(model="m", messages=USER, stream=True))
        finally:
            wfl.uninstrument()
        assert "stream_options" not in server.requests[-1]["body"]
