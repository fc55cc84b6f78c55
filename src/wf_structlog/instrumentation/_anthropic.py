"""What the ``anthropic`` SDK's messages say, as ``llm_call`` fields.

Its usage is normalised by :mod:`wf_structlog.cost.usage` (Anthropic counts the input read
from or written to the prompt cache apart from ``input_tokens``; ours include them).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..cost import normalise
from ._call import ORIGINAL, Api, always_streams, guard, record_async, record_sync, request_fields
from ._patch import Target, methods
from ._stream import watch_async, watch_sync

_MODULE: Final = "anthropic.resources.messages.messages"


def _response(message: Any) -> dict[str, Any]:
    content = message.content or []
    return {
        "response_model": message.model,
        "response_id": message.id,
        "response": "".join(block.text for block in content if block.type == "text"),
        "finish_reason": message.stop_reason,
        "tool_calls": [block.name for block in content if block.type == "tool_use"] or None,
        **normalise("anthropic", message.usage),
    }


class _Fold:
    """Events of a messages stream: the start (model, input usage), text deltas, the final
    delta (stop reason, output usage)."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._parts: list[str] = []
        self._found: dict[str, Any] = {}
        self._usage: dict[str, Any] = {}

    def add(self, event: Any) -> bool:
        if event.type == "message_start":
            message = event.message
            self._found.update(response_model=message.model, response_id=message.id)
            self._usage.update(normalise("anthropic", message.usage))
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            self._parts.append(event.delta.text)
        elif event.type == "message_delta":
            self._found["finish_reason"] = event.delta.stop_reason
            self._usage.update(normalise("anthropic", event.usage))
        return True

    def fields(self) -> dict[str, Any]:
        return {**self._found, **self._usage, "response": "".join(self._parts)}


MESSAGES: Final = Api(
    provider="anthropic",
    endpoint="messages",
    request_id_header="request-id",
    request=request_fields("messages", "system"),
    response=_response,
    fold=_Fold,
)

MESSAGES_STREAM: Final = dataclasses.replace(MESSAGES, streaming=always_streams)
"""``messages.stream()``: the same API, always a stream."""


def _sync_stream(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Messages.stream``, whose manager opens the stream when entered: that request is
    logged, its events read as a ``create(stream=True)``'s are."""

    @functools.wraps(original)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        with guard(MESSAGES_STREAM):
            request = manager._MessageStreamManager__api_request
            manager._MessageStreamManager__api_request = lambda: record_sync(
                MESSAGES_STREAM, self, kwargs, lambda sent: request(), watch_sync
            )
        return manager

    setattr(stream, ORIGINAL, original)
    return stream


def _async_stream(original: Callable[..., Any]) -> Callable[..., Any]:
    """``AsyncMessages.stream`` (not itself async): its manager awaits the request when
    entered."""

    @functools.wraps(original)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        with guard(MESSAGES_STREAM):
            request = manager._AsyncMessageStreamManager__api_request
            manager._AsyncMessageStreamManager__api_request = record_async(
                MESSAGES_STREAM, self, kwargs, lambda sent: request, watch_async
            )
        return manager

    setattr(stream, ORIGINAL, original)
    return stream


TARGETS: Final = (
    *methods(_MODULE, ("Messages", "AsyncMessages"), MESSAGES, "create", "parse"),
    Target(_MODULE, "Messages", "stream", _sync_stream),
    Target(_MODULE, "AsyncMessages", "stream", _async_stream),
)
"""The methods instrumented: ``parse`` and ``stream`` post by themselves."""
