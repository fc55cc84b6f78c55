"""What PydanticAI's messages, responses and usage say, as ``llm_call`` fields.

PydanticAI counts tokens one way for every provider, the way an ``llm_call`` does
(:mod:`wf_structlog.cost.usage`): its ``input_tokens`` include the cache reads and writes,
its ``output_tokens`` the reasoning. So its ``RequestUsage`` maps key for key. The ``cost``
it may carry is an estimate of its own price table (``genai-prices``), not a price the
provider reported: it is left out, and our table prices the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

_ROLES: Final = {
    "system-prompt": "system",
    "user-prompt": "user",
    "tool-return": "tool",
    "retry-prompt": "user",
}
"""The role each part of a request is sent as (a retry prompt is a user message)."""


def _request_messages(parts: Sequence[Any]) -> list[dict[str, Any]]:
    messages = []
    for part in parts:
        role = _ROLES.get(getattr(part, "part_kind", ""))
        if role is None:
            continue
        message = {"role": role, "content": getattr(part, "content", None)}
        if role == "tool":
            message["tool_call_id"] = getattr(part, "tool_call_id", None)
        messages.append(message)
    return messages


def _text(parts: Sequence[Any]) -> str | None:
    texts = [p.content for p in parts if getattr(p, "part_kind", None) == "text"]
    return "".join(texts) or None


def _tool_calls(parts: Sequence[Any]) -> list[Any]:
    return [p for p in parts if getattr(p, "part_kind", None) == "tool-call"]


def _response_message(parts: Sequence[Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": _text(parts)}
    calls = _tool_calls(parts)
    if calls:
        message["tool_calls"] = [
            {"id": c.tool_call_id, "name": c.tool_name, "arguments": c.args} for c in calls
        ]
    return message


def prompt(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """The messages a model request sends, as role/content dicts (OpenAI's shape)."""
    found: list[dict[str, Any]] = []
    for message in messages:
        parts = getattr(message, "parts", ())
        if getattr(message, "kind", None) == "response":
            found.append(_response_message(parts))
        else:
            found.extend(_request_messages(parts))
    return found


_TOTALS: Final = frozenset({"input_tokens", "output_tokens"})


def _counts(found: Mapping[str, Any]) -> dict[str, int]:
    """The counts given: the totals, and the parts of them that are not zero."""
    return {
        key: n
        for key, n in found.items()
        if isinstance(n, int) and not isinstance(n, bool) and (n or key in _TOTALS)
    }


def usage(counted: Any) -> dict[str, int]:
    """A ``RequestUsage`` as our token keys; nothing when the response omitted its usage."""
    if counted is None or getattr(counted, "unmeasured_requests", None):
        return {}
    details = getattr(counted, "details", None) or {}
    reasoning = getattr(counted, "output_reasoning_tokens", None) or details.get("reasoning_tokens")
    return _counts(
        {
            "input_tokens": counted.input_tokens,
            "output_tokens": counted.output_tokens,
            "cached_tokens": getattr(counted, "cache_read_tokens", None),
            "cache_write_tokens": getattr(counted, "cache_write_tokens", None),
            "cache_write_1h_tokens": getattr(counted, "cache_write_1h_tokens", None),
            "reasoning_tokens": reasoning,
        }
    )


def response_fields(response: Any) -> dict[str, Any]:
    """What a ``ModelResponse`` says: the reply, the model that answered, tool calls, usage."""
    parts = response.parts
    found: dict[str, Any] = {
        "response": _text(parts),
        "response_model": response.model_name,
        "response_id": response.provider_response_id,
        "finish_reason": response.finish_reason,
        "tool_calls": [c.tool_name for c in _tool_calls(parts)] or None,
    }
    found.update(usage(response.usage))
    return found
