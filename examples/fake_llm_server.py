"""A local stand-in for the OpenAI and Anthropic HTTP APIs: the real SDK clients talk to it.

It answers ``POST /v1/chat/completions``, ``POST /v1/responses`` (OpenAI) and
``POST /v1/messages`` (Anthropic) in the providers' documented JSON and server-sent-event
formats, deterministically: the reply echoes the last prompt, and a token is a word. A model
named ``fail-...`` gets the provider's 400 error. Gemini's ``generateContent`` and its stream
are answered under ``/v1`` and ``/v1beta`` (the client's ``base_url`` is :attr:`url`).
Every request body is kept in ``requests``, with the ``usage`` answered.

Tool calls are scripted by the prompt (Responses API): ``use add {"a": 1} then use
transfer_to_helper {}`` is answered by a call of ``add``, then (once its output is sent back)
by a call of ``transfer_to_helper``, then by the echo; a step naming a tool the request does
not offer is skipped to the echo.

::

    with FakeLLMServer() as server:
        client = openai.OpenAI(base_url=server.openai_url, api_key="test")
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self

import orjson

SNAPSHOTS: Final = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
}
"""The dated model a request for an alias is answered by, as the real APIs do."""

CACHED_TOKENS: Final = 2
"""Input tokens every answer says were read from the prompt cache."""

CACHE_WRITE_TOKENS: Final = 3
"""Input tokens an Anthropic answer says were written to the cache, for each content block
marked with ``cache_control`` (five minutes, or ``"ttl": "1h"``)."""


def _tier(body: dict[str, Any]) -> str:
    """The service tier an OpenAI answer says it was served in: the one asked for (``flex``,
    ``priority``), else ``default``."""
    asked = body.get("service_tier")
    return asked if asked in ("flex", "priority") else "default"


def _cache_writes(body: dict[str, Any]) -> tuple[int, int]:
    """(five-minute, one-hour) tokens written to the cache by the blocks marked to be."""
    blocks: list[Any] = [body.get("system")]
    blocks += [message.get("content") for message in body.get("messages") or []]
    marks = [
        block["cache_control"]
        for content in blocks
        if isinstance(content, list)
        for block in content
        if isinstance(block, dict) and isinstance(block.get("cache_control"), dict)
    ]
    hour = sum(mark.get("ttl") == "1h" for mark in marks)
    return (len(marks) - hour) * CACHE_WRITE_TOKENS, hour * CACHE_WRITE_TOKENS


def _text(content: Any) -> str:
    """The text of a message's content: a string, or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(part.get("text", part.get("content", ""))) for part in content)
    return ""


def reply_to(prompt: str) -> str:
    """What the fake model answers to *prompt*."""
    return f"echo: {prompt}"


def count(text: str) -> int:
    """Tokens of *text*, as the fake model counts them: words."""
    return len(text.split())


_STEP: Final = re.compile(r"use (\w+) (\{[^{}]*\})")
"""A scripted tool call in a prompt: ``use NAME {json arguments}``."""


def _tool_step(body: dict[str, Any], prompt: str) -> tuple[str, str] | None:
    """The tool call a Responses request is answered with: the prompt's next step (one per
    function output already sent back), when the request offers that tool."""
    items = body.get("input")
    if not isinstance(items, list):
        items = []
    users = [i for i, item in enumerate(items) if item.get("role") == "user"]
    after = items[users[-1] + 1 :] if users else items
    done = sum(1 for item in after if item.get("type") == "function_call_output")
    steps: list[tuple[str, str]] = _STEP.findall(prompt)
    offered = {tool.get("name") for tool in body.get("tools") or ()}
    if done < len(steps) and steps[done][0] in offered:
        return steps[done]
    return None


class _Answer:
    """One request, read: its model, prompt, reply and token counts."""

    def __init__(self, body: dict[str, Any], prompt: str, number: int) -> None:
        self.body = body
        self.model = SNAPSHOTS.get(body.get("model", ""), body.get("model", ""))
        self.tool = _tool_step(body, prompt)
        self.text = f"{self.tool[0]} {self.tool[1]}" if self.tool else reply_to(prompt)
        self.words = [w + " " for w in self.text.split()[:-1]] + self.text.split()[-1:]
        self.input_tokens = count(prompt) + CACHED_TOKENS + sum(_cache_writes(body))
        self.output_tokens = count(self.text)
        self.id = f"{number:06d}"


def _chat_usage(answer: _Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.input_tokens,
        "completion_tokens": answer.output_tokens,
        "total_tokens": answer.input_tokens + answer.output_tokens,
        "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _chat(answer: _Answer) -> dict[str, Any]:
    message = {"role": "assistant", "content": answer.text, "refusal": None}
    return {
        "id": f"chatcmpl-{answer.id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": answer.model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": _chat_usage(answer),
        "service_tier": _tier(answer.body),
    }


def _chat_events(answer: _Answer) -> Iterator[tuple[str | None, Any]]:
    usage_wanted = (answer.body.get("stream_options") or {}).get("include_usage", False)
    base = {
        "id": f"chatcmpl-{answer.id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": answer.model,
        "system_fingerprint": "fp_fake",
    }
    deltas = [{"role": "assistant", "content": ""}] + [{"content": w} for w in answer.words]
    for delta in deltas:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        yield None, {**base, "choices": [choice], **({"usage": None} if usage_wanted else {})}
    last = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    yield None, {**base, "choices": [last], **({"usage": None} if usage_wanted else {})}
    if usage_wanted:
        yield None, {**base, "choices": [], "usage": _chat_usage(answer)}
    yield None, "[DONE]"


def _response(answer: _Answer, status: str) -> dict[str, Any]:
    done = status == "completed"
    content = [{"type": "output_text", "text": answer.text, "annotations": []}]
    message = {
        "type": "message",
        "id": f"msg_{answer.id}",
        "status": "completed",
        "role": "assistant",
        "content": content,
    }
    if answer.tool is not None:
        name, arguments = answer.tool
        call_id = f"call_{answer.id}"
        item = {"type": "function_call", "id": f"fc_{answer.id}", "call_id": call_id}
        message = {**item, "name": name, "arguments": arguments, "status": "completed"}
    usage = {
        "input_tokens": answer.input_tokens,
        "input_tokens_details": {"cached_tokens": CACHED_TOKENS},
        "output_tokens": answer.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": answer.input_tokens + answer.output_tokens,
    }
    return {
        "id": f"resp_{answer.id}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": answer.model,
        "output": [message] if done else [],
        "usage": usage if done else None,
        "service_tier": _tier(answer.body),
        "error": None,
        "incomplete_details": None,
        "instructions": answer.body.get("instructions"),
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
    }


def _response_events(answer: _Answer) -> Iterator[tuple[str | None, Any]]:
    sequence = itertools.count()
    done = _response(answer, "completed")

    def event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return kind, {"type": kind, "sequence_number": next(sequence), **fields}

    yield event("response.created", response=_response(answer, "in_progress"))
    for index, item in enumerate(done["output"]):
        at = {"output_index": index, "item_id": item["id"]}
        if item["type"] != "message":
            yield event("response.output_item.added", output_index=index, item=item)
            yield event("response.output_item.done", output_index=index, item=item)
            continue
        empty = {"type": "output_text", "text": "", "annotations": []}
        started = {**item, "status": "in_progress", "content": []}
        yield event("response.output_item.added", output_index=index, item=started)
        yield event("response.content_part.added", **at, content_index=0, part=empty)
        for word in answer.words:
            yield event(
                "response.output_text.delta", **at, content_index=0, delta=word, logprobs=[]
            )
        text = {**empty, "text": answer.text}
        yield event(
            "response.output_text.done", **at, content_index=0, text=answer.text, logprobs=[]
        )
        yield event("response.content_part.done", **at, content_index=0, part=text)
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=done)


def _anthropic_usage(answer: _Answer) -> dict[str, Any]:
    minutes, hour = _cache_writes(answer.body)
    return {
        "input_tokens": answer.input_tokens - CACHED_TOKENS - minutes - hour,
        "cache_read_input_tokens": CACHED_TOKENS,
        "cache_creation_input_tokens": minutes + hour,
        "cache_creation": {"ephemeral_5m_input_tokens": minutes, "ephemeral_1h_input_tokens": hour},
        "output_tokens": answer.output_tokens,
        "service_tier": "standard",
    }


def _message(answer: _Answer) -> dict[str, Any]:
    return {
        "id": f"msg_{answer.id}",
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": [{"type": "text", "text": answer.text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": _anthropic_usage(answer),
    }


def _message_events(answer: _Answer) -> Iterator[tuple[str | None, Any]]:
    start = {**_message(answer), "content": [], "stop_reason": None}
    start["usage"] = {**_anthropic_usage(answer), "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    block = {"type": "text", "text": ""}
    yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
    yield "ping", {"type": "ping"}
    for word in answer.words:
        delta = {"type": "text_delta", "text": word}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": _anthropic_usage(answer),  # cumulative, as the API sends it
        },
    )
    yield "message_stop", {"type": "message_stop"}


_GEMINI: Final = re.compile(r"/v1(?:beta)?/models/([^:/]+):(generateContent|streamGenerateContent)")
"""Gemini's paths: ``/v1/models/{model}:generateContent`` (and ``v1beta``, and the stream)."""


def _gemini(answer: _Answer, text: str, last: bool) -> dict[str, Any]:
    """One Gemini response (or stream chunk) carrying *text*; the last says the usage."""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
    found: dict[str, Any] = {"candidates": [candidate], "modelVersion": answer.model}
    found["responseId"] = f"gem_{answer.id}"
    if last:
        candidate.update(finishReason="STOP", index=0)
        found["usageMetadata"] = {
            "promptTokenCount": answer.input_tokens,
            "candidatesTokenCount": answer.output_tokens,
            "cachedContentTokenCount": CACHED_TOKENS,
            "totalTokenCount": answer.input_tokens + answer.output_tokens,
        }
    return found


def _gemini_events(answer: _Answer) -> Iterator[tuple[str | None, Any]]:
    for n, word in enumerate(answer.words, 1):
        yield None, _gemini(answer, word, n == len(answer.words))


def _prompt(path: str, body: dict[str, Any]) -> str:
    if _GEMINI.search(path):
        parts = ((body.get("contents") or [{}])[-1]).get("parts") or []
        return " ".join(part.get("text", "") for part in parts)
    if path.endswith("/responses"):
        given = body.get("input", "")
        if isinstance(given, str):
            return given
        users = [item for item in given if item.get("role") == "user"]
        return _text((users[-1:] or [{}])[0].get("content"))
    messages = body.get("messages") or [{}]
    return _text(messages[-1].get("content", ""))


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log each request on stderr."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the demo print what they want."""


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        record = {"path": self.path, "headers": dict(self.headers), "body": body}
        owner = self.server.owner
        assert isinstance(owner, FakeLLMServer)
        owner.requests.append(record)
        anthropic = self.path.endswith("/messages")
        gemini = _GEMINI.search(self.path)
        if gemini:  # the model and the stream are said by the path
            body.update(model=gemini[1], stream=gemini[2] == "streamGenerateContent")
        answer = _Answer(body, _prompt(self.path, body), next(owner.numbers))
        record["usage"] = {
            "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens,
        }
        if answer.model.startswith("fail"):
            self._error(anthropic, answer)
        elif self.path.endswith("/chat/completions"):
            self._answer(answer, _chat(answer), _chat_events(answer), "x-request-id")
        elif self.path.endswith("/responses"):
            whole = _response(answer, "completed")
            self._answer(answer, whole, _response_events(answer), "x-request-id")
        elif anthropic:
            self._answer(answer, _message(answer), _message_events(answer), "request-id")
        elif gemini:
            whole = _gemini(answer, answer.text, last=True)
            self._answer(answer, whole, _gemini_events(answer), "x-request-id")
        else:
            self.send_error(404)

    def _answer(
        self,
        answer: _Answer,
        whole: dict[str, Any],
        events: Iterator[tuple[str | None, Any]],
        request_id_header: str,
    ) -> None:
        self.send_response(200)
        self.send_header(request_id_header, f"req_{answer.id}")
        if not answer.body.get("stream"):
            self._json(whole)
            return
        self.send_header("content-type", "text/event-stream")
        self.end_headers()
        for name, data in events:
            head = f"event: {name}\n" if name else ""
            text = data if isinstance(data, str) else orjson.dumps(data).decode()
            self.wfile.write(f"{head}data: {text}\n\n".encode())
            self.wfile.flush()

    def _error(self, anthropic: bool, answer: _Answer) -> None:
        message = f"The model {answer.body.get('model')!r} does not exist"
        self.send_response(400)
        if anthropic:
            self.send_header("request-id", f"req_{answer.id}")
            error = {"type": "invalid_request_error", "message": message}
            self._json({"type": "error", "error": error})
        else:
            self.send_header("x-request-id", f"req_{answer.id}")
            error = {"message": message, "type": "invalid_request_error", "param": "model"}
            self._json({"error": {**error, "code": "model_not_found"}})

    def _json(self, data: dict[str, Any]) -> None:
        payload = orjson.dumps(data)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: LocalServer, handler: type[QuietHandler], port: int) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.owner = owner

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet when a client hangs up on a stream it stopped reading, as clients may."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LocalServer:
    """An HTTP server on ``127.0.0.1`` (a free port unless *port* is given), serving in a
    thread while the ``with`` block runs.

    Args:
        handler: the request handler; it finds this object as ``self.server.owner``.
        port: the port to listen on; 0 picks a free one.
    """

    def __init__(self, handler: type[QuietHandler], port: int = 0) -> None:
        self._server = _Server(self, handler, port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeLLMServer(LocalServer):
    """The fake APIs on ``127.0.0.1``; :attr:`url` is the Anthropic client's ``base_url``.

    Args:
        port: the port to listen on; 0 picks a free one.
    """

    def __init__(self, port: int = 0) -> None:
        super().__init__(_Handler, port)
        self.requests: list[dict[str, Any]] = []
        """Each request received: ``path``, ``headers`` and JSON ``body``."""
        self.numbers = itertools.count(1)

    @property
    def openai_url(self) -> str:
        """The OpenAI client's ``base_url``."""
        return f"{self.url}/v1"
