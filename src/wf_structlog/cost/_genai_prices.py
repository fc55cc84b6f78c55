"""pydantic's ``genai-prices`` data file (``prices/data.json``) read as ``prices.toml`` entries.

The file is a list of providers (``id``: ``openai``, ``anthropic``, ``google``...), each with
its ``models``: an ``id``, a ``match`` (clauses ``equals``, ``starts_with``, ``ends_with``,
``contains``, ``regex``, ``or``, ``and``, tried on the lower-cased model name) and ``prices``
in dollars per million tokens::

    input_mtok           -> input
    cache_read_mtok      -> cached_input
    cache_write_mtok     -> cache_write
    cache_write_1h_mtok  -> cache_write_1h
    output_mtok          -> output
    output_reasoning_mtok -> reasoning

A price is a number, or ``{"base": .., "tiers": [{"start": N, "price": ..}]}``: all of a
call's tokens at a tier's price once its input is over ``start`` (our ``context``).
``prices`` may be a list of ``{"constraint": {"start_date": ..}, "prices": ..}``: the last one
started on the table's date is the model's (none started: the first). ``price_variants``
(``{"when": .., "prices": .., "constraint": ..}``) override some of the prices for some
requests; those of ``{"processing": "batch"}`` and ``{"service_tier": T}`` are our service
tiers, each the model's prices with the variant's over them (the first variant to give a
price wins). Other variants (``speed``, ``route``...) say nothing we can see in a call and
are left out, and said; a price that depends on the time of day cannot be a table's.
"""

from __future__ import annotations

import datetime
import re
import sys
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from .usage import service_tier

__all__ = ["GenaiPrices"]

_KINDS: Final = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
    "output_reasoning_mtok": "reasoning",
}
_PROVIDERS: Final = {"openai": "openai", "anthropic": "anthropic", "gemini": "google"}
"""Our provider names, and genai-prices' for each; another provider has the same name in
both (``deepseek``)."""


class UnpriceableError(ValueError):
    """A model whose price a table cannot hold (it depends on the time of day)."""


def _matches(clause: Any, name: str) -> bool:
    """Whether the lower-cased model *name* meets a model's ``match`` *clause*."""
    if not isinstance(clause, Mapping):
        return False
    if "or" in clause:
        return any(_matches(part, name) for part in clause["or"])
    if "and" in clause:
        return all(_matches(part, name) for part in clause["and"])
    (test, text), *_ = clause.items() or [("", "")]
    if not isinstance(text, str):
        return False
    if test == "regex":
        return re.search(text, name) is not None
    text = text.lower()
    return {
        "equals": name == text,
        "starts_with": name.startswith(text),
        "ends_with": name.endswith(text),
        "contains": text in name,
    }.get(test, False)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        found = Decimal(value if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return None
    return float(found.normalize()) if found.is_finite() and found >= 0 else None


def _at(value: Any, above: int) -> float | None:
    """The price *value* sets for a call whose input is just over *above* tokens."""
    if not isinstance(value, Mapping):
        return _number(value)
    price = value.get("base")
    for tier in sorted(value.get("tiers", []), key=lambda tier: tier["start"]):
        if tier["start"] <= above:
            price = tier["price"]
    return _number(price)


def _rates(prices: Mapping[str, Any], above: int) -> dict[str, float]:
    found = {ours: _at(prices.get(key), above) for key, ours in _KINDS.items()}
    return {kind: value for kind, value in found.items() if value is not None}


def _entry(prices: Mapping[str, Any]) -> dict[str, Any]:
    """A ``prices.toml`` entry (kinds and ``context``) of one genai-prices price set."""
    starts = {
        tier["start"]
        for key in _KINDS
        if isinstance(prices.get(key), Mapping)
        for tier in prices[key].get("tiers", [])
    }
    entry: dict[str, Any] = _rates(prices, -1)
    context = [{"above": start, **_rates(prices, start)} for start in sorted(starts)]
    if context:
        entry["context"] = context
    return entry


def _started(constraint: Any, day: datetime.date) -> bool:
    if constraint is None:
        return True
    if "start_date" not in constraint:
        raise UnpriceableError("its price depends on the time of day")
    return datetime.date.fromisoformat(str(constraint["start_date"])) <= day


def _standard(prices: Any, day: datetime.date) -> Mapping[str, Any]:
    if isinstance(prices, Mapping):
        return prices
    chosen = prices[0]["prices"]
    for conditional in prices:  # the last one started wins
        if _started(conditional.get("constraint"), day):
            chosen = conditional["prices"]
    return chosen  # type: ignore[no-any-return]


def _tier(when: Mapping[str, Any]) -> str | None:
    """Our service tier of a variant's ``when``; ``""`` for the standard tier; ``None`` if
    it is not a service tier."""
    if len(when) != 1:
        return None
    ((key, value),) = when.items()
    if key == "processing" or key == "service_tier":
        return service_tier(value) or ""
    return None


def _tiers(name: str, model: Mapping[str, Any], day: datetime.date) -> dict[str, dict[str, Any]]:
    """Each tier's own price keys, from the model's variants started on *day*."""
    overrides: dict[str, dict[str, Any]] = {}
    for variant in model.get("price_variants") or []:
        tier = _tier(variant["when"])
        if tier is None:
            print(f"refresh: {name}: prices when {variant['when']} left out", file=sys.stderr)
        if not tier or not _started(variant.get("constraint"), day):
            continue
        found = overrides.setdefault(tier, {})
        for key, price in variant["prices"].items():
            if price is not None:
                found.setdefault(key, price)
    return overrides


class GenaiPrices:
    """genai-prices' data file, as a source of :mod:`.refresh`.

    Args:
        data: the file's JSON, a list of providers.
        day: the table's date: the prices started on it are the ones read.
    """

    def __init__(self, data: Sequence[Any], day: datetime.date) -> None:
        self._providers = {p["id"]: p for p in data if isinstance(p, Mapping) and "id" in p}
        self._day = day

    def _model(self, name: str, provider: str | None) -> Mapping[str, Any] | None:
        theirs = self._providers.get(_PROVIDERS.get(provider or "", provider), {})
        models = [model for model in theirs.get("models", []) if isinstance(model, Mapping)]
        for model in models:
            if model.get("id") == name:
                return model
        lowered = name.lower()
        return next((model for model in models if _matches(model.get("match"), lowered)), None)

    def price(self, name: str, provider: str | None) -> dict[str, Any] | None:
        """The price of the model *name* of *provider*; ``None`` if the file has none.

        Raises:
            UnpriceableError: the file's price of it depends on the time of day.
        """
        model = self._model(name, provider)
        if model is None:
            return None
        standard = _standard(model.get("prices", {}), self._day)
        entry = _entry(standard)
        if "input" not in entry or "output" not in entry:
            return None
        tiers = {
            tier: _entry({**standard, **own})
            for tier, own in sorted(_tiers(name, model, self._day).items())
        }
        return {**entry, **({"tiers": tiers} if tiers else {})}

    def added(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """The table's name and entry (with its ``provider``) of the model *name*: searched
        among OpenAI's, Anthropic's and Google's models, or, as ``deepseek/deepseek-chat``,
        a provider's; ``None`` if the file has no price for it.

        Raises:
            UnpriceableError: the file's price of it depends on the time of day.
        """
        ours = {theirs: ours for ours, theirs in _PROVIDERS.items()}
        given, _, bare = name.rpartition("/")
        for provider in [ours.get(given, given)] if given else list(_PROVIDERS):
            found = self.price(bare, provider)
            if found is not None:
                return bare, {"provider": provider, **found}
        return None
