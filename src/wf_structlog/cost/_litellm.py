"""LiteLLM's price file (``model_prices_and_context_window.json``) read as ``prices.toml``
entries.

The file maps a model name (bare, or behind a provider's prefix: ``gemini/gemini-2.5-pro``) to
its dollars per token, with ``litellm_provider`` saying whose API it is. Read per model (and,
with the suffix ``_batches``, ``_flex`` or ``_priority``, per service tier; with
``_above_<N>k_tokens``, per context length)::

    input_cost_per_token                        -> input
    cache_read_input_token_cost                 -> cached_input
    cache_creation_input_token_cost             -> cache_write
    cache_creation_input_token_cost_above_1hr   -> cache_write_1h
    output_cost_per_token                       -> output
    output_cost_per_reasoning_token             -> reasoning

A tier without its own cache-read price reads from the cache at the standard tier's, as
LiteLLM's own cost calculator does (the table says so explicitly); a tier without its own
cache-write prices has none. An entry of another provider under the same bare name (Vertex
AI's ``gemini-2.5-pro`` beside Google AI's ``gemini/gemini-2.5-pro``) is not the model's
price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

__all__ = ["LiteLLM", "from_litellm"]

_SOURCE_KEYS: Final = {
    "input": "input_cost_per_token",
    "cached_input": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "output": "output_cost_per_token",
    "reasoning": "output_cost_per_reasoning_token",
}
_TIERS: Final = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
_ABOVE: Final = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def _per_million(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return None
    return float(Decimal(repr(value)).scaleb(6).normalize())  # 2.5e-06 -> 2.5, no float noise


def _kinds(source: Mapping[str, Any], suffix: str) -> dict[str, float]:
    found = {kind: _per_million(source.get(key + suffix)) for kind, key in _SOURCE_KEYS.items()}
    return {kind: value for kind, value in found.items() if value is not None}


def _context(source: Mapping[str, Any], tier_suffix: str) -> list[dict[str, Any]]:
    """The context prices of a tier (``""``: of the standard tier)."""
    parts = []
    for key in source:
        if not key.endswith(tier_suffix):
            continue
        match = _ABOVE.match(key[: len(key) - len(tier_suffix)])
        if match is None:
            continue
        rates = _kinds(source, f"_above_{match.group(1)}k_tokens{tier_suffix}")
        if "input" in rates and "output" in rates:
            parts.append({"above": int(match.group(1)) * 1000, **rates})
    return sorted(parts, key=lambda part: part["above"])


def from_litellm(source: Mapping[str, Any]) -> dict[str, Any]:
    """One model's price (as a ``prices.toml`` entry) from its LiteLLM entry: the kinds,
    tiers and context prices it gives, nothing else.

    Args:
        source: the model's entry in LiteLLM's JSON file.
    """
    entry: dict[str, Any] = _kinds(source, "")
    context = _context(source, "")
    standard = {part["above"]: part for part in context}
    tiers = {}
    for tier, suffix in _TIERS.items():
        rates = _cached_as_standard(_kinds(source, suffix), entry)
        if "input" in rates and "output" in rates:
            parts = [
                _cached_as_standard(part, standard.get(part["above"], {}))
                for part in _context(source, suffix)
            ]
            tiers[tier] = {**rates, **({"context": parts} if parts else {})}
    if tiers:
        entry["tiers"] = tiers
    if context:
        entry["context"] = context
    return entry


def _cached_as_standard(rates: dict[str, Any], standard: Mapping[str, Any]) -> dict[str, Any]:
    """*rates* of a tier, whose cache reads LiteLLM prices at the standard tier's rate when
    the tier gives none (its ``get_cost_per_unit`` and ``_batch_prompt_cost`` do so)."""
    if "cached_input" not in rates and "cached_input" in standard:
        return {**rates, "cached_input": standard["cached_input"]}
    return rates


def _provider(entry: Mapping[str, Any]) -> str | None:
    """Ours of an entry's ``litellm_provider`` (``vertex_ai-language-models``: ``vertex_ai``)."""
    return str(entry.get("litellm_provider", "")).split("-")[0] or None


class LiteLLM:
    """LiteLLM's price file, as a source of :mod:`.refresh`.

    Args:
        data: the file's JSON.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def _entry(self, key: str, provider: str | None) -> Mapping[str, Any] | None:
        found = self._data.get(key)
        if not isinstance(found, Mapping) or "input_cost_per_token" not in found:
            return None
        return found if provider is None or _provider(found) == provider else None

    def price(self, name: str, provider: str | None) -> dict[str, Any] | None:
        """The price of the model *name* of *provider*; ``None`` if the file has none."""
        found = self._entry(f"{provider}/{name}", provider) or self._entry(name, provider)
        return None if found is None else from_litellm(found)

    def added(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """The table's name and entry (with its ``provider``) of the model *name*, which may
        carry its provider's prefix; ``None`` if the file has no price for it."""
        found = self._entry(name, None)
        if found is None:
            return None
        provider = _provider(found)
        bare = name.removeprefix(f"{provider}/")
        return bare, {"provider": provider, **from_litellm(found)}
