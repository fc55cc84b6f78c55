"""What the ``openai`` SDK's chat completions and responses say, as ``llm_call`` fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..cost import SOURCE_PROVIDER, normalise, service_tier
from ._call import Api, given, request_fields
from ._patch import methods

_CHAT_MODULE: Final = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE: Final = "openai.resources.responses.responses"


def _usage(answer: Any) -> dict[str, Any]:
    """The usage of a completion, a chunk or a response (see :mod:`wf_structlog.cost.usage`),
    with the service tier it was served in."""
    found = normalise("openai", answer.usage)
    tier = service_tier(getattr(answer, "service_tier", None))
    if tier is not None:
        found["service_tier"] = tier
    if "cost" in found:
        found["cost_source"] = SOURCE_PROVIDER
    return found


def _ask_for_usage(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Ask for the usage chunk at the end of a stream, unless the caller chose."""
    if given(kwargs, "stream") and given(kwargs, "stream_options") is None:
        return {**kwargs, "stream_options": {"include_usage": True}}
    return kwargs


def _chat_response(completion: Any) -> dict[str, Any]:
    choices = completion.choices or []
    first = choices[0] if choices else None
    tools = [
        call.function.name
        for choice in choices
        for call in (choice.message.tool_calls or ())
        if getattr(call, "function", None) is not None
    ]
    return {
        "response_model": completion.model,
        "response_id": completion.id,
        "response": first.message.content if first is not None else None,
        "finish_reason": first.finish_reason if first is not None else None,
        "tool_calls": tools or None,
        **_usage(completion),
    }


class _ChatFold:
    """Chunks of a chat completion stream; the usage chunk we asked for is not the user's."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._ours = given(kwargs, "stream_options") is None  # see _ask_for_usage
        self._parts: list[str] = []
        self._found: dict[str, Any] = {}

    def add(self, chunk: Any) -> bool:
        self._found.update(response_model=chunk.model, response_id=chunk.id)
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            if choice.delta is not None and choice.delta.content:
                self._parts.append(choice.delta.content)
            if choice.finish_reason:
                self._found["finish_reason"] = choice.finish_reason
        if chunk.usage is not None:
            self._found.update(_usage(chunk))
            return bool(chunk.choices) or not self._ours
        return True

    def fields(self) -> dict[str, Any]:
        return {**self._found, "response": "".join(self._parts)}


def responses_fields(response: Any) -> dict[str, Any]:
    """What a whole ``Response`` says, as ``llm_call`` fields."""
    incomplete = getattr(response.incomplete_details, "reason", None)
    return {
        "response_model": response.model,
        "response_id": response.id,
        "response": response.output_text,
        "finish_reason": incomplete or response.status,
        **_usage(response),
    }


_FINAL_EVENTS: Final = frozenset({"response.completed", "response.incomplete", "response.failed"})


class _ResponsesFold:
    """Events of a responses stream: text deltas, then the final response with its usage."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._parts: list[str] = []
        self._found: dict[str, Any] = {}

    def add(self, event: Any) -> bool:
        if event.type == "response.output_text.delta":
            self._parts.append(event.delta)
        elif event.type == "response.created":
            self._found.update(response_model=event.response.model, response_id=event.response.id)
        elif event.type in _FINAL_EVENTS:
            self._found.update(responses_fields(event.response))
        return True

    def fields(self) -> dict[str, Any]:
        return {"response": "".join(self._parts), **self._found}


def _api(endpoint: str, **parts: Any) -> Api:
    return Api(provider="openai", endpoint=endpoint, request_id_header="x-request-id", **parts)


CHAT: Final = _api(
    "chat.completions",
    request=request_fields("messages"),
    response=_chat_response,
    fold=_ChatFold,
    prepare=_ask_for_usage,
)
RESPONSES: Final = _api(
    "responses",
    request=request_fields("input", "instructions"),
    response=responses_fields,
    fold=_ResponsesFold,
)

TARGETS: Final = (
    *methods(_CHAT_MODULE, ("Completions", "AsyncCompletions"), CHAT, "create", "parse"),
    *methods(_RESPONSES_MODULE, ("Responses", "AsyncResponses"), RESPONSES, "create", "parse"),
)
"""The methods instrumented. ``stream()`` helpers call ``create`` (so they are logged, with
usage asked for); ``parse()`` posts by itself."""
