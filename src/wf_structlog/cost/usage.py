"""Token counts of every provider, normalised once into the keys an ``llm_call`` carries.

Providers count the same call differently: OpenAI's ``prompt_tokens`` include the tokens read
from the prompt cache, Anthropic's ``input_tokens`` exclude both the tokens read from and
written to its cache, Gemini's ``candidates_token_count`` excludes the thinking tokens. An
``llm_call`` always carries the counts one way, whoever logged it:

=========================  ==================================================================
``input_tokens``           every input token: cache reads and cache writes included
``cached_tokens``          the part of ``input_tokens`` read from the prompt cache
``cache_write_tokens``     the part of ``input_tokens`` written to the prompt cache (any TTL)
``cache_write_1h_tokens``  the part of ``cache_write_tokens`` written with a one-hour TTL
``output_tokens``          every output token: reasoning (thinking) included
``reasoning_tokens``       the part of ``output_tokens`` spent reasoning
``service_tier``           ``batch``, ``flex``, ``priority``, or absent for the standard tier
=========================  ==================================================================

The provider's fields each key is read from (:data:`PROVIDERS`, :func:`normalise`):

**openai** (chat completions; the responses API says ``input``/``output`` for
``prompt``/``completion``)
    ``input_tokens`` = ``prompt_tokens`` (the cached tokens are inside);
    ``cached_tokens`` = ``prompt_tokens_details.cached_tokens``;
    ``output_tokens`` = ``completion_tokens`` (the reasoning tokens are inside).
**anthropic**
    ``input_tokens`` = ``input_tokens`` + ``cache_read_input_tokens`` +
    ``cache_creation_input_tokens`` (its ``input_tokens`` exclude both);
    ``cached_tokens`` = ``cache_read_input_tokens``;
    ``output_tokens`` = ``output_tokens`` (thinking inside).
**gemini**
    ``input_tokens`` = ``prompt_token_count`` + ``tool_use_prompt_token_count`` (the cached
    tokens are inside); ``cached_tokens`` = ``cached_content_token_count``;
    ``output_tokens`` = ``candidates_token_count`` + ``thoughts_token_count`` (its
    candidates exclude the thinking).

Cache writes are Anthropic's alone: ``cache_creation_input_tokens``, of which
``cache_creation.ephemeral_1h_input_tokens`` were written for an hour (the rest for five
minutes). Reasoning is ``completion_tokens_details`` / ``output_tokens_details``
``.reasoning_tokens`` for OpenAI, ``thoughts_token_count`` for Gemini; Anthropic does not
report it apart. The service tier is OpenAI's ``service_tier`` (of the request, and of the
response, which says what was used), Anthropic's ``usage.service_tier``, and Gemini's
``config.service_tier`` of the request and ``usage_metadata.service_tier`` of the response (or
Vertex AI's ``traffic_type``: ``ON_DEMAND_FLEX`` is ``flex``, ``ON_DEMAND_PRIORITY``
``priority``, and a tier of its own, such as ``PROVISIONED_THROUGHPUT``, is priced by no
table); a provider's word for its standard tier (``default``, ``standard``, ``auto``,
``unspecified``, ``on_demand``...) means the standard tier.
A provider that reports the call's price itself (OpenRouter's ``usage.cost``) gives ``cost``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = [
    "BILLED_KINDS",
    "PROVIDERS",
    "TOKEN_KEYS",
    "normalise",
    "service_tier",
]

TOKEN_KEYS: Final = (
    "input_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)
"""The normalised token counts of an ``llm_call``, as the table above defines them."""

BILLED_KINDS: Final = {
    "openai": frozenset({"input", "cached_input", "output"}),
    "anthropic": frozenset({"input", "cached_input", "cache_write", "cache_write_1h", "output"}),
    "gemini": frozenset({"input", "cached_input", "output"}),
}
"""The price kinds (:class:`~wf_structlog.cost.ModelPrice` fields) each provider bills: a
model of the shipped table has a price for every one of them."""

_STANDARD_TIERS: Final = frozenset(
    {
        "default",
        "standard",
        "auto",
        "standard_only",
        "on_demand",
        "unspecified",
        "traffic_type_unspecified",
    }
)


def service_tier(value: object) -> str | None:
    """The tier a provider's *value* names: ``batch``, ``flex``, ``priority`` (or another
    tier's own name), ``None`` for the standard tier or no value.

    Args:
        value: a ``service_tier`` as a request or a response gives it.
    """
    if not isinstance(value, str) or value.lower() in _STANDARD_TIERS:
        return None
    return value.lower()


def _get(source: Any, key: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def _count(source: Any, *path: str) -> int | None:
    for key in path:
        source = _get(source, key)
    return source if isinstance(source, int) and not isinstance(source, bool) else None


def _plus(*counts: int | None) -> int | None:
    """The sum of the counts given, ``None`` when none is."""
    given = [n for n in counts if n is not None]
    return sum(given) if given else None


def _openai(usage: Any) -> dict[str, Any]:
    chat = _count(usage, "prompt_tokens") is not None
    input_key, output_key = ("prompt", "completion") if chat else ("input", "output")
    input_name = f"{input_key}_tokens"
    output_name = f"{output_key}_tokens"
    found: dict[str, Any] = {
        "input_tokens": _count(usage, input_name),
        "output_tokens": _count(usage, output_name),
        "cached_tokens": _count(usage, f"{input_name}_details", "cached_tokens"),
        "reasoning_tokens": _count(usage, f"{output_name}_details", "reasoning_tokens"),
    }
    cost = _get(usage, "cost")  # OpenRouter's own price of the call
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        found["cost"] = cost
    return found


def _anthropic(usage: Any) -> dict[str, Any]:
    read = _count(usage, "cache_read_input_tokens")
    written = _count(usage, "cache_creation_input_tokens")
    uncached = _count(usage, "input_tokens")
    return {
        "input_tokens": None if uncached is None else _plus(uncached, read, written),
        "output_tokens": _count(usage, "output_tokens"),
        "cached_tokens": read,
        "cache_write_tokens": written,
        "cache_write_1h_tokens": _count(usage, "cache_creation", "ephemeral_1h_input_tokens"),
        "service_tier": service_tier(_get(usage, "service_tier")),
    }


_TRAFFIC: Final = {"on_demand_flex": "flex", "on_demand_priority": "priority"}
"""Vertex AI's ``traffic_type`` of a service tier, and the tier."""


def _gemini_tier(usage: Any) -> str | None:
    tier = service_tier(_get(usage, "service_tier"))
    traffic = service_tier(_get(usage, "traffic_type"))
    return tier or _TRAFFIC.get(traffic or "", traffic)


def _gemini(usage: Any) -> dict[str, Any]:
    prompt = _count(usage, "prompt_token_count")
    thoughts = _count(usage, "thoughts_token_count")
    tools = _count(usage, "tool_use_prompt_token_count")
    return {
        "input_tokens": None if prompt is None else _plus(prompt, tools),
        "output_tokens": _plus(_count(usage, "candidates_token_count"), thoughts),
        "cached_tokens": _count(usage, "cached_content_token_count"),
        "reasoning_tokens": thoughts,
        "service_tier": _gemini_tier(usage),
    }


PROVIDERS: Final[Mapping[str, Callable[[Any], dict[str, Any]]]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "gemini": _gemini,
}
"""The normaliser of each provider's usage, as in the table above."""


def normalise(provider: str, usage: Any) -> dict[str, Any]:
    """The ``llm_call`` fields a provider's usage says, as the table above reads them; the
    counts it does not give are left out.

    Args:
        provider: ``openai`` (chat completions or responses), ``anthropic``, ``gemini``.
        usage: the response's usage, as the SDK's object or as the JSON of the API.

    Raises:
        KeyError: a provider the table does not know.
    """
    if usage is None:
        return {}
    found = PROVIDERS[provider](usage)
    return {key: value for key, value in found.items() if value is not None}
