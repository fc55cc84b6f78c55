"""What one call cost: its normalised usage (:mod:`.usage`) times its model's price.

Every token is priced once, by the one kind it is: ``input_tokens`` split into cache reads,
cache writes (five minutes, one hour) and the rest; ``output_tokens`` into reasoning and the
rest. The price is the one of the call's service tier and context length. The sum is done in
decimal, so a call costs exactly what a hand computation says, rounded to
:data:`~wf_structlog.cost.sums.DIGITS` places.

Counts that contradict each other (more cache reads than input, say), a tier or a long
context the table has no price for, or a kind the call used that its price lacks: no cost.
A wrong number in a cost report is worse than a missing one.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from .sums import DIGITS
from .table import PRICES_AS_OF, ModelPrice, lookup
from .usage import TOKEN_KEYS, service_tier

__all__ = [
    "SOURCE_PROVIDER",
    "SOURCE_TABLE",
    "SOURCE_USER",
    "Cost",
    "cost_of",
    "dollars",
]

SOURCE_PROVIDER: Final = "provider"
"""``cost_source`` of a cost the API reported itself."""
SOURCE_TABLE: Final = "table"
"""``cost_source`` of a cost priced by the shipped table (``cost_table_date`` says its date)."""
SOURCE_USER: Final = "user"
"""``cost_source`` of a cost priced by the ``prices`` setting."""

_MILLION: Final = Decimal(1_000_000)
_STEP: Final = Decimal(1).scaleb(-DIGITS)


@dataclasses.dataclass(frozen=True)
class Cost:
    """A call's price and where it came from.

    Args:
        dollars: the cost, rounded to :data:`~wf_structlog.cost.sums.DIGITS` places.
        source: :data:`SOURCE_TABLE` or :data:`SOURCE_USER`.
        table_date: the shipped table's date, for a cost it priced.
    """

    dollars: float
    source: str
    table_date: str | None = None

    def fields(self) -> dict[str, Any]:
        """The event keys: ``cost``, ``cost_source`` and, from the table, ``cost_table_date``."""
        found: dict[str, Any] = {"cost": self.dollars, "cost_source": self.source}
        if self.table_date is not None:
            found["cost_table_date"] = self.table_date
        return found


_REQUIRED: Final = frozenset({"input_tokens", "output_tokens"})
"""The counts a call must give; the parts of them (cache reads...) are 0 when absent."""


def _counts(usage: Mapping[str, Any]) -> list[int] | None:
    """The counts of :data:`~.usage.TOKEN_KEYS`, in order; ``None`` unless each is a count
    (or an absent part)."""
    counts = []
    for key in TOKEN_KEYS:
        value = usage.get(key)
        if value is None and key not in _REQUIRED:
            value = 0
        if value.__class__ is not int or value < 0:
            return None
        counts.append(value)
    return counts


@functools.lru_cache(maxsize=1024)
def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))  # the price as written (0.15), not its binary neighbour


def _rate(rates: ModelPrice, kind: str, fallback: float | None) -> Decimal | None:
    value = getattr(rates, kind)
    if value is None:
        value = fallback
    return None if value is None else _decimal(value)


def _split(usage: Mapping[str, Any]) -> dict[str, int] | None:
    """Tokens by the kind of price each pays; ``None`` if the counts contradict."""
    counts = _counts(usage)
    if counts is None:
        return None
    inputs, cached, written, written_1h, outputs, reasoning = counts
    if cached + written > inputs or written_1h > written or reasoning > outputs:
        return None
    return {
        "input": inputs - cached - written,
        "cached_input": cached,
        "cache_write": written - written_1h,
        "cache_write_1h": written_1h,
        "output": outputs - reasoning,
        "reasoning": reasoning,
    }


def dollars(price: ModelPrice, usage: Mapping[str, Any]) -> float | None:
    """What a call with *usage* (normalised ``llm_call`` keys, :mod:`.usage`) costs at
    *price*; ``None`` when it cannot be priced without a guess.

    Args:
        price: the model's price.
        usage: ``input_tokens``, ``output_tokens`` and where known the other counts and
            ``service_tier``.
    """
    split = _split(usage)
    if split is None:
        return None
    rates = price.rates(service_tier(usage.get("service_tier")), usage["input_tokens"])
    if rates is None:
        return None
    fallbacks = {"cached_input": rates.input, "reasoning": rates.output}
    total = Decimal(0)
    for kind, tokens in split.items():
        if not tokens:
            continue
        rate = _rate(rates, kind, fallbacks.get(kind))
        if rate is None:
            return None
        total += rate * tokens
    try:
        return float((total / _MILLION).quantize(_STEP))
    except InvalidOperation:  # more digits than a Decimal holds: no count is that large
        return None


def cost_of(fields: Mapping[str, Any], user: Mapping[str, ModelPrice] | None = None) -> Cost | None:
    """The cost of the call an ``llm_call`` event's *fields* describe, priced as the first of
    its ``response_model`` and ``model`` a table knows; ``None`` if none does, or the usage
    cannot be priced.

    Args:
        fields: the event's keys (models, normalised token counts, ``service_tier``).
        user: the ``prices`` setting by model name, searched before the shipped table.
    """
    found = lookup((fields.get("response_model"), fields.get("model")), user)
    if found is None:
        return None
    price, theirs = found
    amount = dollars(price, fields)
    if amount is None:
        return None
    if theirs:
        return Cost(amount, SOURCE_USER)
    return Cost(amount, SOURCE_TABLE, PRICES_AS_OF)
