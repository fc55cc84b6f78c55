"""One instrumented LLM call, logged as one ``llm_call`` action when it ends.

The SDK method is wrapped so that logging can never change what the user gets: when
recording fails, the original method runs untouched (or its result is returned as it came)
and the failure is said once on stderr; the SDK's own exceptions reach the user unchanged,
after the call is logged with its ``error_type``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final, Protocol

from .. import schema
from .._runtime import faults as _faults
from .._runtime import scope as _scope
from .._runtime.hooks import Work, ending, tell
from .._runtime.logger import get_logger
from .._runtime.scope import Scope, started_enabled
from .._runtime.state import STATE
from ..cost import service_tier
from ..scopes.auto import enter_interaction

EVENT: Final = "llm_call"
"""The name of the event an instrumented call logs."""

ORIGINAL: Final = "__wf_structlog_original__"
"""The attribute of a wrapper naming the SDK method it wraps."""


class Fold(Protocol):
    """Gathers what a stream's items say, item by item."""

    def add(self, item: Any) -> bool:
        """Take one item in; ``False`` when the user did not ask for it (hide it)."""

    def fields(self) -> dict[str, Any]:
        """What the items so far say, as event fields."""


def _unchanged(kwargs: dict[str, Any]) -> dict[str, Any]:
    return kwargs


def _asks_to_stream(kwargs: Mapping[str, Any]) -> bool:
    return bool(given(kwargs, "stream"))


def always_streams(kwargs: Mapping[str, Any]) -> bool:
    """:attr:`Api.streaming` of a method that always answers with a stream."""
    return True


@dataclasses.dataclass(frozen=True)
class Api:
    """One SDK method: how to read its request, its response and its stream."""

    provider: str
    """``gen_ai.provider.name``: ``openai``, ``anthropic``."""
    endpoint: str
    """The method's resource (``chat.completions``, ``responses``, ``messages``)."""
    request_id_header: str
    request: Callable[[Mapping[str, Any]], dict[str, Any]]
    """Fields known before the call (``model``, ``prompt``, ...), from its arguments."""
    response: Callable[[Any], dict[str, Any]]
    """Fields of a whole response."""
    fold: Callable[[Mapping[str, Any]], Fold]
    """A fold for the stream of a call made with these arguments."""
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = _unchanged
    """The arguments to send (asking for usage in a stream where the API can)."""
    operation: str = "chat"
    """``gen_ai.operation.name``."""
    streaming: Callable[[Mapping[str, Any]], bool] = _asks_to_stream
    """Whether a call made with these arguments answers with a stream."""

    @property
    def name(self) -> str:
        """``provider endpoint``, as said in fault reports."""
        return f"{self.provider} {self.endpoint}"


def given(kwargs: Mapping[str, Any], key: str) -> Any:
    """The argument *key* if the caller passed it (the SDKs' ``omit`` sentinels mean not)."""
    value = kwargs.get(key)
    return None if type(value).__name__ in {"Omit", "NotGiven"} else value


def request_fields(
    prompt: str, system: str | None = None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """:attr:`Api.request` for a method whose model is ``model``, whose prompt is the argument
    *prompt*, and whose system text (if it has one) the argument *system*."""

    def request(kwargs: Mapping[str, Any]) -> dict[str, Any]:
        fields = {"model": given(kwargs, "model"), "prompt": given(kwargs, prompt)}
        if system is not None:
            fields["system"] = given(kwargs, system)
        return fields

    return request


@contextlib.contextmanager
def guard(api: Api) -> Iterator[None]:
    """Swallow a failure of recording (never of the call), saying it once on stderr."""
    try:
        yield
    except Exception as exc:
        _faults.report(
            f"instrument:{api.name}",
            f"recording a call of {api.name} failed ({exc!r}); the call itself went on",
        )


def status_of(exc: BaseException) -> str:
    """The status of a call *exc* ended: ``error``, ``cancelled``, ``interrupted``."""
    return _scope.status_of(exc) or schema.STATUS_ERROR


PARAMS: Final = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "seed": "seed",
    "n": "choices",
    "stop": "stop",
    "stop_sequences": "stop",
    "service_tier": "service_tier",
}
"""Request parameters kept on the event: the SDKs' argument names, and our key for each."""


def params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The request parameters of :data:`PARAMS` that *kwargs* gives, under our keys."""
    found = {}
    for argument, key in PARAMS.items():
        value = given(kwargs, argument)
        if key == "service_tier":  # what the call is billed as; the response may say better
            value = service_tier(value)
        if value is not None:
            found[key] = [value] if key == "stop" and isinstance(value, str) else value
    return found


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class LLMCall:
    """One call: timed from its creation, logged once by :meth:`end`."""

    def __init__(self, api: Api, kwargs: dict[str, Any]) -> None:
        self.api = api
        self.asked = kwargs
        """The arguments the caller passed."""
        self.sent = api.prepare(kwargs)
        """The arguments sent to the SDK."""
        self.streaming = api.streaming(kwargs)
        self._fields = {
            "provider": api.provider,
            "operation": api.operation,
            "api": api.endpoint,
            **{k: v for k, v in api.request(kwargs).items() if v is not None},
            **params(kwargs),
        }
        self._t0 = time.perf_counter()
        self._first: float | None = None
        self._ended = False
        self.work: Work | None = None

    def begin(self, client: Any, scope: Scope | None = None) -> None:
        """Tell the listeners (tracing) that the call starts, made by the SDK *client*, in
        *scope* (``None``: the current one)."""
        if not STATE.listeners:
            return
        known = {k: v for k, v in self._fields.items() if k in _KNOWN_AT_START}
        url = getattr(client, "base_url", None)
        if url is not None and getattr(url, "host", None):
            known["server_address"] = url.host
            known["server_port"] = url.port or (443 if url.scheme == "https" else 80)
        self.work = Work("llm", str(self._fields.get("model")), known, scope)
        tell("work_started", self.work)

    def left(self) -> None:
        """The SDK method returned: the caller's code runs again (the call may go on as a
        stream)."""
        if self.work is not None:
            tell("work_left", self.work)

    def first_chunk(self) -> None:
        """Note when the first item of the stream arrived."""
        if self._first is None:
            self._first = time.perf_counter()

    def end(self, status: str, found: Mapping[str, Any], exc: BaseException | None = None) -> None:
        """Log the call once, with *found* (what the response said) and its *status*."""
        if self._ended:
            return
        self._ended = True
        fields = {**self._fields, **{k: v for k, v in found.items() if v is not None}}
        fields["status"] = status
        fields["duration_ms"] = _ms(time.perf_counter() - self._t0)
        if self.streaming:
            fields["stream"] = True
            if self._first is not None:
                fields["time_to_first_chunk_ms"] = _ms(self._first - self._t0)
        if exc is not None:
            fields["error_type"] = type(exc).__qualname__
            fields["error"] = str(exc)
            fields.setdefault("request_id", getattr(exc, "request_id", None))
        enter_interaction(self.api.provider, fields.get("prompt"), fields.get("response"))
        log = get_logger()
        with ending(self.work):
            (log.error if status == schema.STATUS_ERROR else log.info)(EVENT, **fields)
        if self.work is not None:
            tell("work_ended", self.work, exc)

    def failed(self, exc: BaseException) -> None:
        """Log a call the SDK raised for."""
        with guard(self.api):
            self.end(status_of(exc), {}, exc)

    def _raw(self, result: Any, raw: Any) -> dict[str, Any]:
        """What a ``with_raw_response`` call says. Its body, already read, is parsed here (the
        SDK keeps what it parsed, so the caller's ``parse()`` gets that very object); a body
        still unread (a stream, ``with_streaming_response``) or an async ``parse`` stays the
        caller's to read, and only the request id is logged."""
        found: dict[str, Any] = {}
        if not self.streaming and raw.is_closed and not inspect.iscoroutinefunction(result.parse):
            found = self.api.response(result.parse())
        found["request_id"] = raw.headers.get(self.api.request_id_header)
        return found

    def returned(self, result: Any, wrap_stream: Callable[[Any, LLMCall], Any]) -> Any:
        """Log a whole response and return it, or return the stream wrapped by *wrap_stream*
        (which logs when it ends); *result* itself if recording fails."""
        with guard(self.api):
            raw = getattr(result, "http_response", None)
            if raw is not None:
                self.end(schema.STATUS_OK, self._raw(result, raw))
                return result
            if self.streaming:
                return wrap_stream(result, self)
            found = self.api.response(result)
            found.setdefault("request_id", getattr(result, "_request_id", None))
            self.end(schema.STATUS_OK, found)
        return result


QUIET: Final[list[Callable[[], bool]]] = []
"""Tests of moments when a framework logs the SDK's calls itself: then the SDK's are not."""

_KNOWN_AT_START: Final = frozenset({"provider", "operation", "model"})
"""Fields that name a call, given to tracing when it starts (samplers may read them)."""


def begin_call(api: Api, resource: Any, kwargs: dict[str, Any]) -> LLMCall | None:
    """The call of *api* made with *kwargs* by the SDK's *resource*, begun (timed from now,
    its span started); ``None`` when logging is off or a framework logs this call itself."""
    with guard(api):
        if started_enabled() and not any(quiet() for quiet in QUIET):
            call = LLMCall(api, kwargs)
            call.begin(getattr(resource, "_client", None))
            return call
    return None


WrapStream = Callable[[Any, LLMCall], Any]
"""Wraps the stream a call answered with, to log the call when the stream ends."""


def record_sync(
    api: Api,
    resource: Any,
    kwargs: dict[str, Any],
    send: Callable[[dict[str, Any]], Any],
    wrap_stream: WrapStream,
) -> Any:
    """``send(arguments)``, logged as one call of *api* made with *kwargs* by the SDK's
    *resource* (``client.chat.completions``, ...)."""
    recording = begin_call(api, resource, kwargs)
    if recording is None:
        return send(kwargs)
    try:
        result = send(recording.sent)
    except BaseException as exc:
        recording.failed(exc)
        raise
    recording.left()
    return recording.returned(result, wrap_stream)


async def record_async(
    api: Api,
    resource: Any,
    kwargs: dict[str, Any],
    send: Callable[[dict[str, Any]], Awaitable[Any]],
    wrap_stream: WrapStream,
) -> Any:
    """``await send(arguments)``, logged as :func:`record_sync` logs."""
    recording = begin_call(api, resource, kwargs)
    if recording is None:
        return await send(kwargs)
    try:
        result = await send(recording.sent)
    except BaseException as exc:
        recording.failed(exc)
        raise
    recording.left()
    return recording.returned(result, wrap_stream)


def wrap_sync(
    api: Api, original: Callable[..., Any], wrap_stream: WrapStream
) -> Callable[..., Any]:
    """*original* (an SDK method), logging each call as an action."""

    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return record_sync(
            api, self, kwargs, lambda sent: original(self, *args, **sent), wrap_stream
        )

    setattr(call, ORIGINAL, original)
    return call


def wrap_async(
    api: Api, original: Callable[..., Awaitable[Any]], wrap_stream: WrapStream
) -> Callable[..., Awaitable[Any]]:
    """*original* (an async SDK method), logging each call as an action."""

    @functools.wraps(original)
    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await record_async(
            api, self, kwargs, lambda sent: original(self, *args, **sent), wrap_stream
        )

    setattr(call, ORIGINAL, original)
    return call
