"""LiteLLM's ``completion`` and ``acompletion``, each call one ``llm_call`` action.

LiteLLM answers in OpenAI's shapes whatever the provider (``ModelResponse``, and stream chunks
like ``ChatCompletionChunk``), so the openai instrumentation's readers read its answers; its
token counts are OpenAI's too (``prompt_tokens`` include the cached ones, for Anthropic as
well). ``provider`` is the provider LiteLLM routes to (``openai``, ``anthropic``, ...) and
``model`` the provider's name for the model (``openai/gpt-4o-mini`` is ``gpt-4o-mini``).

The public functions are wrapped, not a ``CustomLogger`` added to ``litellm.callbacks``:
LiteLLM runs its callbacks after the call has returned (a thread pool for ``completion``, a
queue on the event loop for ``acompletion``), so the call would be logged after the caller's
code had gone on, often after its interaction had ended. Wrapped, the call is logged before
it returns (a stream: when it ends), in the caller's scope, with its span current while it
runs.

The openai SDK that LiteLLM uses for some providers (Azure) is not logged a second time:
inside a LiteLLM call the SDK instrumentations stand aside (:data:`_call.QUIET`).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _call, _openai
from ._patch import Target
from ._stream import watch_async, watch_sync

_INSIDE: Final = contextvars.ContextVar("wf_structlog_inside_litellm", default=False)
"""Whether this context is inside a LiteLLM call (the SDKs it calls stand aside)."""

_REQUEST_ID_HEADERS: Final = ("llm_provider-x-request-id", "llm_provider-request-id")
"""The provider's request id, as LiteLLM keeps the response headers (``llm_provider-...``)."""


def _provider(kwargs: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The provider's name for the model asked for, and the provider LiteLLM routes it to."""
    model = _call.given(kwargs, "model")
    from litellm import get_llm_provider  # the optional package, imported once installed

    try:
        name, provider, _, _ = get_llm_provider(
            model, custom_llm_provider=kwargs.get("custom_llm_provider")
        )
    except Exception:  # a model LiteLLM cannot route raises; the call will say so itself
        return model, None
    return name, provider


def _request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    model, provider = _provider(kwargs)
    return {"model": model, "provider": provider, "prompt": _call.given(kwargs, "messages")}


def _not_priced(found: dict[str, Any]) -> dict[str, Any]:
    """*found* without the ``cost`` LiteLLM adds to its usage: LiteLLM's estimate from its own
    model map, not a price the provider reported, so our table prices the call."""
    found.pop("cost", None)
    found.pop("cost_source", None)
    return found


def _response(response: Any) -> dict[str, Any]:
    found = _not_priced(_openai.CHAT.response(response))
    hidden = getattr(response, "_hidden_params", None) or {}
    headers = hidden.get("additional_headers") or {}
    found["request_id"] = next((headers[h] for h in _REQUEST_ID_HEADERS if h in headers), None)
    return found


class _Fold:
    """A stream's chunks, read as the openai SDK's (see :func:`_not_priced`)."""

    def __init__(self, kwargs: Mapping[str, Any]) -> None:
        self._chat = _openai.CHAT.fold(kwargs)

    def add(self, chunk: Any) -> bool:
        return self._chat.add(chunk)

    def fields(self) -> dict[str, Any]:
        return _not_priced(self._chat.fields())


COMPLETION: Final = dataclasses.replace(
    _openai.CHAT,
    provider="litellm",
    endpoint="litellm.completion",
    request=_request,
    response=_response,
    fold=_Fold,
)
"""``litellm.completion`` and ``acompletion``; ``provider`` comes from the model asked for."""


def _keywords(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The names of *fn*'s parameters that a caller may pass by position."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)
    return tuple(p.name for p in inspect.signature(fn).parameters.values() if p.kind in kinds)


def _wrap_sync(original: Callable[..., Any]) -> Callable[..., Any]:
    names = _keywords(original)

    def send(sent: dict[str, Any]) -> Any:
        token = _INSIDE.set(True)
        try:
            return original(**sent)
        finally:
            _INSIDE.reset(token)

    @functools.wraps(original)
    def completion(*args: Any, **kwargs: Any) -> Any:
        if len(args) > len(names):
            return original(*args, **kwargs)
        named = {**dict(zip(names, args, strict=False)), **kwargs}
        return _call.record_sync(COMPLETION, None, named, send, watch_sync)

    setattr(completion, _call.ORIGINAL, original)
    return completion


def _wrap_async(original: Callable[..., Any]) -> Callable[..., Any]:
    names = _keywords(original)

    async def send(sent: dict[str, Any]) -> Any:
        token = _INSIDE.set(True)
        try:
            return await original(**sent)
        finally:
            _INSIDE.reset(token)

    @functools.wraps(original)
    async def acompletion(*args: Any, **kwargs: Any) -> Any:
        if len(args) > len(names):
            return await original(*args, **kwargs)
        named = {**dict(zip(names, args, strict=False)), **kwargs}
        return await _call.record_async(COMPLETION, None, named, send, watch_async)

    setattr(acompletion, _call.ORIGINAL, original)
    return acompletion


TARGETS: Final = (
    Target("litellm", "", "completion", _wrap_sync),
    Target("litellm", "", "acompletion", _wrap_async),
)
"""``litellm.completion`` and ``litellm.acompletion``, functions of the module itself."""


def inside() -> bool:
    """Whether this context is inside a call logged here (then the SDKs' calls are not)."""
    return _INSIDE.get()
