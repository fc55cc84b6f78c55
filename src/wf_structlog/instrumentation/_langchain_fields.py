"""What LangChain's runs say, as event fields: messages, model results, tool outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from langchain_core.messages import BaseMessage, convert_to_openai_messages
from langchain_core.outputs import LLMResult

_DEPTH: Final = 8
"""Containers walked at most this deep for messages (a graph's state is shallow)."""


def plain(value: Any, depth: int = 0) -> Any:
    """*value* with each LangChain message in it as the dict a prompt is logged as (OpenAI's
    ``role``, ``content``, ``tool_calls``), not the message's every attribute."""
    if isinstance(value, BaseMessage):
        try:
            return convert_to_openai_messages(value)
        except Exception:  # content LangChain cannot convert: kept whole (safe values dump it)
            return value
    if depth >= _DEPTH:
        return value
    if isinstance(value, Mapping):
        return {key: plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item, depth + 1) for item in value]
    return value


def tool_output(output: Any) -> Any:
    """What a tool returned: the content of the ``ToolMessage`` LangChain wraps it in."""
    return plain(output.content if isinstance(output, BaseMessage) else output)


def _counts(found: Mapping[str, Any]) -> dict[str, int]:
    return {key: n for key, n in found.items() if isinstance(n, int) and not isinstance(n, bool)}


def _usage(metadata: Mapping[str, Any] | None, said: Mapping[str, Any]) -> dict[str, int]:
    """Token counts: LangChain's ``usage_metadata`` (whose ``input_tokens`` include those read
    from and written to the cache, as OpenAI counts them, whatever the provider), else the
    ``token_usage`` a text-completion model reports."""
    if metadata:
        inputs = metadata.get("input_token_details") or {}
        outputs = metadata.get("output_token_details") or {}
        return _counts(
            {
                "input_tokens": metadata.get("input_tokens"),
                "output_tokens": metadata.get("output_tokens"),
                "cached_tokens": inputs.get("cache_read"),
                "cache_write_tokens": inputs.get("cache_creation"),
                "cache_write_1h_tokens": inputs.get("ephemeral_1h_input_tokens"),
                "reasoning_tokens": outputs.get("reasoning"),
            }
        )
    usage = said.get("token_usage") or {}
    return _counts(
        {
            "input_tokens": usage.get("prompt_tokens"),
            "output_tokens": usage.get("completion_tokens"),
        }
    )


def result_fields(result: LLMResult) -> dict[str, Any]:
    """What a model run's result says: the reply, the model that answered, usage."""
    generations = result.generations[0] if result.generations else []
    first = generations[0] if generations else None
    message = getattr(first, "message", None)
    said = {
        **(result.llm_output or {}),
        **((first.generation_info or {}) if first is not None else {}),
        **(getattr(message, "response_metadata", None) or {}),
    }
    tools = [call["name"] for call in getattr(message, "tool_calls", None) or ()]
    found = {
        "response": (first.text if first is not None else None) or None,
        "response_model": said.get("model_name") or said.get("model"),
        "response_id": said.get("id"),
        "finish_reason": said.get("finish_reason") or said.get("stop_reason"),
        "service_tier": said.get("service_tier"),
        "tool_calls": tools or None,
    }
    found.update(_usage(getattr(message, "usage_metadata", None), said))
    return found


class TokenFold:
    """The text of a streamed model run, token by token (what a stream stopped early said)."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._parts: list[str] = []

    def add(self, item: Any) -> bool:
        """Take one token (a string, or a list of content blocks) in."""
        if isinstance(item, str):
            self._parts.append(item)
        return True

    def fields(self) -> dict[str, Any]:
        """The text so far."""
        return {"response": "".join(self._parts)} if self._parts else {}
