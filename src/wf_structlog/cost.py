"""Compatibility path: prices and costs live in :mod:`wf_structlog.processors.cost`."""

from __future__ import annotations

from .processors.cost import PRICES_AS_OF, ModelPrice, builtin_prices, cost_of, load_prices

__all__ = ["PRICES_AS_OF", "ModelPrice", "builtin_prices", "cost_of", "load_prices"]
