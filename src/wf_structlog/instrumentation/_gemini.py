"""What the ``google-genai`` SDK's ``generate_content`` says, as ``llm_call`` fields.

The SDK's private ``_generate_content`` (and its stream, sync and async) is wrapped, not the
public method: with automatic function calling one public call makes several requests, and
returns the usage of the last alone; each request is one ``llm_call`` here, with its own.

The SDK takes its parameters (temperature, ``service_tier``...) in ``config``, a
``GenerateContentConfig`` or a dict: they are read from there, so a flex call asked for in the
request is priced as flex even when the response's usage does not say its tier.

Its usage is normalised by :mod:`wf_structlog.cost.usage` (Gemini counts the thinking tokens
apart from ``candidates_token_count``; our ``output_tokens`` include them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final

from ..cost import normalise
from ._call import PARAMS, Api, always_streams, given, params, request_fields
from ._patch import methods

_MODULE: Final = "google.genai.models"
_PROMPT: Final = request_fields("contents")


def _request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The model and prompt, and the parameters the request's ``config`` gives."""
    config = given(kwargs, "config")
    if isinstance(config, Mapping):
        said = {name: config.get(name) for name in PARAMS}
    else:
        said = {name: getattr(config, name, None) for name in PARAMS}
    return {**_PROMPT(kwargs), **params(said)}


def _text(response: Any) -> str:
    candidates = response.candidates or []
    content = candidates[0].content if candidates else None
    parts = (content.parts if content is not None else None) or []
    return "".join(part.text for part in parts if part.text)


def _finish(response: Any) -> str | None:
    candidates = response.candidates or []
    reason = candidates[0].finish_reason if candidates else None
    return getattr(reason, "value", reason)


def _response(response: Any) -> dict[str, Any]:
    return {
        "response_model": response.model_version,
        "response_id": response.response_id,
        "response": _text(response),
        "finish_reason": _finish(response),
        **normalise("gemini", response.usage_metadata),
    }


class _Fold:
    """Chunks of a stream: text to join; the last chunk's usage is the whole call's."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._parts: list[str] = []
        self._found: dict[str, Any] = {}

    def add(self, chunk: Any) -> bool:
        found = _response(chunk)
        self._parts.append(found.pop("response"))
        self._found.update({k: v for k, v in found.items() if v is not None})
        return True

    def fields(self) -> dict[str, Any]:
        return {**self._found, "response": "".join(self._parts)}


GENERATE: Final = Api(
    provider="gemini",
    endpoint="generate_content",
    request_id_header="x-request-id",
    request=_request,
    response=_response,
    fold=_Fold,
)
GENERATE_STREAM: Final = dataclasses.replace(GENERATE, streaming=always_streams)

TARGETS: Final = (
    *methods(_MODULE, ("Models", "AsyncModels"), GENERATE, "_generate_content"),
    *methods(_MODULE, ("Models", "AsyncModels"), GENERATE_STREAM, "_generate_content_stream"),
)
"""The methods instrumented: one HTTP request each."""
