"""What an LLM call cost, and where that number came from.

- :mod:`.usage`: every provider's token counts, normalised once into the keys an
  ``llm_call`` carries (the table of which count includes which).
- :mod:`.table`: the price table shipped in the package (``prices.toml``, dated by
  :data:`PRICES_AS_OF`) and the ``prices`` setting, in dollars per million tokens, by usage
  kind, service tier and context length.
- :mod:`.pricing`: one call's cost, with its ``cost_source``.
- :mod:`.sums`: sums of costs that equal the sum of their calls.
- :mod:`.refresh`: rebuilds ``prices.toml`` from a price file you download yourself
  (``python -m wf_structlog.cost.refresh``); nothing is fetched at run time.

A model in no table gets no cost at all: a wrong number in a cost report is worse than a
missing one, and readers show such a call as unpriced, never as free.
"""

from __future__ import annotations

from .pricing import SOURCE_PROVIDER, SOURCE_TABLE, SOURCE_USER, Cost, cost_of, dollars
from .sums import DIGITS, add_costs
from .table import KINDS, PRICES_AS_OF, ModelPrice, builtin_prices, load_prices, lookup
from .usage import BILLED_KINDS, TOKEN_KEYS, normalise, service_tier

__all__ = [
    "BILLED_KINDS",
    "DIGITS",
    "KINDS",
    "PRICES_AS_OF",
    "SOURCE_PROVIDER",
    "SOURCE_TABLE",
    "SOURCE_USER",
    "TOKEN_KEYS",
    "Cost",
    "ModelPrice",
    "add_costs",
    "builtin_prices",
    "cost_of",
    "dollars",
    "load_prices",
    "lookup",
    "normalise",
    "service_tier",
]
