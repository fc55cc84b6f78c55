"""Our event keys as span attributes: GenAI semantic conventions, mirrored for OpenInference.

Pure functions of an event dict that has been through the whole chain (redacted, long values
cut), so a span never carries what our own outputs would not. Keys with a GenAI name get it
(:data:`GEN_AI`); messages become ``gen_ai.input.messages`` / ``gen_ai.output.messages`` /
``gen_ai.system_instructions`` in the "parts" schema, as JSON strings; Arize Phoenix reads the
OpenInference names beside them (``openinference.span.kind``, ``input.value``,
``llm.token_count.*``). Every other key is ``wf.<key>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

from .. import schema

__all__ = ["GEN_AI", "event_attributes", "exception_attributes", "llm", "scope", "tool"]

GEN_AI: Final = {
    "provider": "gen_ai.provider.name",
    "operation": "gen_ai.operation.name",
    "model": "gen_ai.request.model",
    "response_model": "gen_ai.response.model",
    "response_id": "gen_ai.response.id",
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "cached_tokens": "gen_ai.usage.cache_read.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
    "stream": "gen_ai.request.stream",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "max_tokens": "gen_ai.request.max_tokens",
    "frequency_penalty": "gen_ai.request.frequency_penalty",
    "presence_penalty": "gen_ai.request.presence_penalty",
    "seed": "gen_ai.request.seed",
    "choices": "gen_ai.request.choice.count",
    "stop": "gen_ai.request.stop_sequences",
    "error_type": "error.type",
    "tool": "gen_ai.tool.name",
    "agent": "gen_ai.agent.name",
    "conversation_id": "gen_ai.conversation.id",
}
"""Event keys with a GenAI semantic-convention name (the README's table)."""

_OPENINFERENCE: Final = {
    "model": "llm.model_name",
    "provider": "llm.provider",
    "input_tokens": "llm.token_count.prompt",
    "output_tokens": "llm.token_count.completion",
    "cached_tokens": "llm.token_count.prompt_details.cache_read",
    "reasoning_tokens": "llm.token_count.completion_details.reasoning",
}
"""The same numbers under the names Phoenix reads."""

_PARAMS: Final = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "frequency_penalty", "presence_penalty"}
    | {"seed", "choices", "stop", "stream"}
)
_CONTENT: Final = frozenset({"prompt", "system", "response", "tool_calls", "finish_reason"})
_SAID_BY_THE_SPAN: Final = schema.STAMP_KEYS | {"event", "timestamp", "trace_parent_span_id"}
"""Keys the span says itself (ids, name, times): not repeated as attributes."""


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _value(value: Any) -> Any:
    """An attribute value: primitives and lists of strings as they are, the rest as JSON."""
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return _json(value)


def _text(value: Any) -> tuple[str, str]:
    """``(value, mime type)`` for ``input.value`` / ``output.value``."""
    if isinstance(value, str):
        return value, "text/plain"
    return _json(value), "application/json"


def event_attributes(
    event: Mapping[str, Any], skip: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Every field of *event* as an attribute: its GenAI name if it has one, else ``wf.<key>``."""
    found: dict[str, Any] = {}
    for key, value in event.items():
        if key in _SAID_BY_THE_SPAN or key in skip or value is None:
            continue
        if key == "metadata" and isinstance(value, Mapping):
            found.update({f"wf.metadata.{k}": _value(v) for k, v in value.items()})
        else:
            found[GEN_AI.get(key, f"wf.{key}")] = _value(value)
    return found


def exception_attributes(exception: Any) -> dict[str, str]:
    """The ``exception`` span event's attributes, from our ``exception`` field."""
    if not isinstance(exception, Mapping):
        return {"exception.type": "_OTHER", "exception.message": str(exception)}
    found = {
        "exception.type": str(exception.get("type", "_OTHER")),
        "exception.message": str(exception.get("message", "")),
    }
    if exception.get("traceback"):
        found["exception.stacktrace"] = _value(exception["traceback"])
    return found


def scope(kind: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """A scope's attributes from its start or end event."""
    found = event_attributes(event, frozenset({"input", "output", "exception", "agent"}))
    found["openinference.span.kind"] = "AGENT" if kind == "interaction" else "CHAIN"
    if kind == "workflow" and "workflow" in event:
        found["gen_ai.workflow.name"] = str(event["workflow"])
    for key in ("input", "output"):
        if event.get(key) is not None:
            found[f"{key}.value"], found[f"{key}.mime_type"] = _text(event[key])
    return found


def _parts(content: Any) -> list[dict[str, Any]]:
    """Message content in the GenAI "parts" schema."""
    if content is None:
        return []
    if not isinstance(content, list):
        return [
            {"type": "text", "content": content if isinstance(content, str) else _json(content)}
        ]
    parts: list[dict[str, Any]] = []
    for item in content:
        if isinstance(item, Mapping) and isinstance(item.get("text"), str):
            parts.append({"type": "text", "content": item["text"]})
        elif isinstance(item, Mapping):
            parts.append({"type": str(item.get("type", "unknown")), **item})
        else:
            parts.append({"type": "text", "content": str(item)})
    return parts


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _message(message: Any) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        return {"role": "user", "parts": _parts(message)}
    role = str(message.get("role", "user"))
    if role == "tool":
        response = {"type": "tool_call_response", "response": message.get("content")}
        if message.get("tool_call_id"):
            response["id"] = message["tool_call_id"]
        return {"role": role, "parts": [response]}
    parts = _parts(message.get("content"))
    for call in message.get("tool_calls") or ():
        function = call.get("function", {}) if isinstance(call, Mapping) else {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id") if isinstance(call, Mapping) else None,
                "name": function.get("name"),
                "arguments": _arguments(function.get("arguments")),
            }
        )
    return {"role": role, "parts": parts}


def input_messages(prompt: Any) -> list[dict[str, Any]]:
    """``gen_ai.input.messages`` of a prompt: a string, or a list of chat messages."""
    if isinstance(prompt, list):
        return [_message(m) for m in prompt]
    return [{"role": "user", "parts": _parts(prompt)}]


def _last_user_text(messages: list[dict[str, Any]]) -> str | None:
    for message in reversed(messages):
        if message["role"] == "user":
            texts = [p["content"] for p in message["parts"] if p.get("type") == "text"]
            if texts:
                return "\n".join(map(str, texts))
    return None


def llm(event: Mapping[str, Any]) -> dict[str, Any]:
    """An LLM call's attributes (GenAI and OpenInference) from its ``llm_call`` event."""
    found = event_attributes(event, _CONTENT | {"exception"})
    found.setdefault("gen_ai.operation.name", "chat")
    found["openinference.span.kind"] = "LLM"
    for key, name in _OPENINFERENCE.items():
        if event.get(key) is not None:
            found[name] = _value(event[key])
    tokens = event.get("input_tokens"), event.get("output_tokens")
    if all(isinstance(n, int) for n in tokens):
        found["llm.token_count.total"] = tokens[0] + tokens[1]  # type: ignore[operator]
    if "time_to_first_chunk_ms" in event:
        seconds = float(event["time_to_first_chunk_ms"]) / 1000
        found["gen_ai.response.time_to_first_chunk"] = seconds
        del found["wf.time_to_first_chunk_ms"]
    params = {k: event[k] for k in _PARAMS if event.get(k) is not None}
    if params:
        found["llm.invocation_parameters"] = _json(params)
    _llm_messages(event, found)
    return found


def _llm_messages(event: Mapping[str, Any], found: dict[str, Any]) -> None:
    if event.get("system") is not None:
        found["gen_ai.system_instructions"] = _json(_parts(event["system"]))
    if event.get("prompt") is not None:
        messages = input_messages(event["prompt"])
        found["gen_ai.input.messages"] = _json(messages)
        user = _last_user_text(messages)
        found["input.value"], found["input.mime_type"] = _text(
            user if user is not None else event["prompt"]
        )
    finish = event.get("finish_reason")
    if isinstance(finish, str):
        found["gen_ai.response.finish_reasons"] = (finish,)
    if event.get("response") is not None or event.get("tool_calls"):
        parts = _parts(event.get("response"))
        parts += [{"type": "tool_call", "name": name} for name in event.get("tool_calls") or ()]
        output = {"role": "assistant", "parts": parts, "finish_reason": finish or "stop"}
        found["gen_ai.output.messages"] = _json([output])
    if event.get("response") is not None:
        found["output.value"], found["output.mime_type"] = _text(event["response"])


def tool(name: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """A tool call's attributes (GenAI ``execute_tool`` and OpenInference TOOL)."""
    found = event_attributes(event, frozenset({"input", "output", "exception"}))
    found.update(
        {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.type": "function",
            "openinference.span.kind": "TOOL",
            "tool.name": name,
        }
    )
    if event.get("input") is not None:
        found["gen_ai.tool.call.arguments"] = found["tool.parameters"] = _json(event["input"])
        found["input.value"], found["input.mime_type"] = _text(event["input"])
    if event.get("output") is not None:
        found["gen_ai.tool.call.result"] = _json(event["output"])
        found["output.value"], found["output.mime_type"] = _text(event["output"])
    return found
