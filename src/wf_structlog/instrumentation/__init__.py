"""Log the calls of LLM SDKs by themselves: each call is one ``llm_call`` action.

::

    wf_structlog.instrument("openai", "anthropic")   # or configure(instrument=[...])

Instrumented: ``create`` of the ``openai`` SDK's chat completions and responses, and of the
``anthropic`` SDK's messages, sync and async, streaming or not. Each call logs one event, in
the current interaction (else in an automatic interaction named after the provider), with the
model requested and returned, the prompt and the response text, token usage (``input_tokens``,
``output_tokens``, ``cached_tokens``, ``reasoning_tokens``), ``cost`` when the model's price is
known (see
:mod:`wf_structlog.cost`), ``duration_ms``, ``time_to_first_chunk_ms`` for a stream,
``finish_reason``, ``request_id``, ``status`` and, for a failed call, ``error_type``.

Instrumenting twice changes nothing; :func:`uninstrument` puts the SDK's methods back as
they were.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, Final

from . import _anthropic, _openai
from ._call import ORIGINAL, Api, wrap_async, wrap_sync
from ._stream import watch_async, watch_sync

__all__ = ["SDKS", "instrument", "instrumented", "uninstrument"]

_TARGETS: Final[dict[str, tuple[tuple[str, str, Api, bool], ...]]] = {
    "openai": _openai.TARGETS,
    "anthropic": _anthropic.TARGETS,
}

SDKS: Final = tuple(_TARGETS)
"""The SDKs that can be instrumented."""

_METHOD: Final = "create"
_lock = threading.Lock()
_done: dict[str, list[tuple[type, Callable[..., Any]]]] = {}
"""Instrumented SDKs: each patched class, with the method it had before."""


def _check(sdks: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [sdk for sdk in sdks if sdk not in _TARGETS]
    if unknown:
        raise ValueError(f"cannot instrument {unknown}: choose among {', '.join(SDKS)}")
    return sdks or SDKS


def _wrapped(api: Api, original: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    if is_async:
        return wrap_async(api, original, watch_async)
    return wrap_sync(api, original, watch_sync)


def instrument(*sdks: str) -> None:
    """Log every call of these SDKs (all of :data:`SDKS` when none is named).

    Args:
        *sdks: ``"openai"``, ``"anthropic"``.

    Raises:
        ValueError: an SDK wf_structlog cannot instrument.
        ImportError: the SDK is not installed (``pip install 'wf-structlog[openai]'``).
    """
    for sdk in _check(sdks):
        with _lock:
            if sdk in _done:
                continue
            classes = [
                (getattr(importlib.import_module(module), name), api, is_async)
                for module, name, api, is_async in _TARGETS[sdk]
            ]
            patched = []
            for owner, api, is_async in classes:
                original = owner.__dict__[_METHOD]
                if getattr(original, ORIGINAL, None) is None:
                    setattr(owner, _METHOD, _wrapped(api, original, is_async))
                    patched.append((owner, original))
            _done[sdk] = patched


def uninstrument(*sdks: str) -> None:
    """Put back the methods of these SDKs (all when none is named) exactly as they were."""
    for sdk in _check(sdks):
        with _lock:
            for owner, original in _done.pop(sdk, ()):
                setattr(owner, _METHOD, original)


def instrumented() -> tuple[str, ...]:
    """The SDKs instrumented now."""
    return tuple(_done)


_by_configuration: set[str] = set()


def follow_configuration(sdks: tuple[str, ...]) -> None:
    """Instrument exactly *sdks* on behalf of the configuration, leaving alone the SDKs the
    program instrumented itself with :func:`instrument`."""
    for sdk in _by_configuration - set(sdks):
        uninstrument(sdk)
        _by_configuration.discard(sdk)
    for sdk in sdks:
        if sdk not in _done:
            instrument(sdk)
            _by_configuration.add(sdk)
