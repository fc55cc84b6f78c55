"""Log the calls of LLM SDKs by themselves: each call is one ``llm_call`` action.

::

    wf_structlog.instrument("openai", "anthropic")   # or configure(instrument=[...])

Instrumented: ``create`` and ``parse`` of the ``openai`` SDK's chat completions and responses
(their ``stream()`` helpers and ``with_raw_response`` too), and ``create``, ``parse`` and
``stream`` of the ``anthropic`` SDK's messages, sync and async, streaming or not, and the
frameworks (``openai_agents``, ``google_genai``, ``litellm``, ``pydantic_ai``: see their
modules). Each call
logs one event, in the current interaction (else in an automatic interaction named after the
provider), with the model requested and returned, the prompt and the response text, token usage
(``input_tokens``, ``output_tokens``, ``cached_tokens``, ``cache_write_tokens``,
``cache_write_1h_tokens``, ``reasoning_tokens``, normalised by :mod:`wf_structlog.cost.usage`),
``service_tier``, ``duration_ms``,
``time_to_first_chunk_ms`` for a stream, ``finish_reason``, ``request_id``, ``status`` and, for
a failed call, ``error_type``. Its ``cost`` is added by the chain's ``AddCost`` processor, as
for every ``llm_call`` (or is the provider's, where the API reports one).

Frameworks are instrumented by name too, each keeping its structure in our scopes:
``openai_agents`` (a tracing processor of ours), ``langchain`` (our callback handler in
every run, :class:`wf_structlog.instrumentation.langchain.WfCallbackHandler`) and
``pydantic_ai`` (``Agent.iter`` wrapped, and a run capability of ours).

Instrumenting twice changes nothing; :func:`uninstrument` puts the SDK's methods back as
they were.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Callable
from typing import Final

from . import _agents, _anthropic, _gemini, _litellm, _openai, _patch

__all__ = ["SDKS", "installed", "instrument", "instrumented", "uninstrument"]


def _install_langchain() -> Callable[[], None]:
    from . import langchain  # the optional framework (langchain-core): ImportError when absent

    return langchain.install()


def _install_pydantic_ai() -> Callable[[], None]:
    from . import _pydantic_ai  # the optional framework: ImportError when absent

    return _patch.patch_quieting(_pydantic_ai.TARGETS, _pydantic_ai.inside)


_INTEGRATIONS: Final[dict[str, Callable[[], Callable[[], None]]]] = {
    "openai": functools.partial(_patch.patch, _openai.TARGETS),
    "anthropic": functools.partial(_patch.patch, _anthropic.TARGETS),
    "openai_agents": _agents.install,
    "google_genai": functools.partial(_patch.patch, _gemini.TARGETS),
    "langchain": _install_langchain,
    "litellm": functools.partial(_patch.patch_quieting, _litellm.TARGETS, _litellm.inside),
    "pydantic_ai": _install_pydantic_ai,
}
"""Each integration: what turns it on, returning what turns it off again."""

SDKS: Final = tuple(_INTEGRATIONS)
"""The SDKs and frameworks that can be instrumented."""

_MODULES: Final = {
    "openai_agents": "agents",
    "google_genai": "google.genai",
    "langchain": "langchain_core",
}
"""The module an SDK is imported as, where it is not its name."""


def installed(sdk: str) -> bool:
    """Whether the SDK *sdk* (one of :data:`SDKS`) is installed (``pip install
    'wf-structlog[<sdk>]'`` installs it)."""
    try:
        return importlib.util.find_spec(_MODULES.get(sdk, sdk)) is not None
    except ModuleNotFoundError:  # the parent package of a dotted name is missing
        return False


_lock = threading.Lock()
_done: dict[str, Callable[[], None]] = {}
"""Instrumented SDKs, each with what undoes it."""


def _check(sdks: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [sdk for sdk in sdks if sdk not in _INTEGRATIONS]
    if unknown:
        raise ValueError(f"cannot instrument {unknown}: choose among {', '.join(SDKS)}")
    return sdks or SDKS


def instrument(*sdks: str) -> None:
    """Log every call of these SDKs (all of :data:`SDKS` installed when none is named).

    Args:
        *sdks: names from :data:`SDKS` (``"openai"``, ``"anthropic"``, ...).

    Raises:
        ValueError: an SDK wf_structlog cannot instrument.
        ImportError: the SDK is not installed (``pip install 'wf-structlog[openai]'``).
    """
    for sdk in _check(sdks):
        with _lock:
            if sdk in _done:
                continue
            try:
                _done[sdk] = _INTEGRATIONS[sdk]()
            except ImportError:
                if sdks:  # asked for by name; when all are, those not installed are left out
                    raise


def uninstrument(*sdks: str) -> None:
    """Put back the methods of these SDKs (all when none is named) exactly as they were."""
    for sdk in _check(sdks):
        with _lock:
            undo = _done.pop(sdk, None)
            if undo is not None:
                undo()


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
