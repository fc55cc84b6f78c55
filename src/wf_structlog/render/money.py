"""Money as people read it: to three significant digits, never a cheap call shown as ``$0``.

A gpt-4o-mini call costs about $0.00002; shown to four decimals it reads ``$0.0000``, as if it
were free. :func:`format_cost` keeps three significant digits below a dollar and cents above
it; :func:`cost_label` also says when some calls had no price.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, TypeGuard

from ..schema import UNPRICED_CALLS

__all__ = ["SIGNIFICANT", "cost_label", "format_cost"]

SIGNIFICANT: Final = 3
"""Significant digits shown below a dollar."""


def format_cost(cost: float) -> str:
    """*cost* in dollars: ``$0.0000194``, ``$0.123``, ``$1.23``, ``$1,234.50``, ``-$0.0500``.

    Args:
        cost: dollars (negative for a decrease, as a diff shows it).
    """
    sign = "-" if cost < 0 else ""
    cost = abs(cost)
    if cost == 0 or not math.isfinite(cost):
        return f"{sign}${cost:.2f}"
    if cost >= 1:
        return f"{sign}${cost:,.2f}"
    decimals = SIGNIFICANT - 1 - math.floor(math.log10(cost))
    # Rounded half up from the shortest decimal form, as the HTML report rounds: 0.2385 reads
    # $0.239, not the $0.238 of the binary value just below it.
    step = Decimal(1).scaleb(-decimals)
    text = format(Decimal(repr(cost)).quantize(step, rounding=ROUND_HALF_UP), "f")
    if text.startswith("1.") or text == "1":  # rounded up to a dollar
        return f"{sign}${cost:,.2f}"
    return f"{sign}${text}"


def cost_label(usage: Mapping[str, Any]) -> str:
    """What a scope's (or a row's) calls cost: ``$0.0123``, ``unpriced``, or
    ``$0.0123 + 2 unpriced``; ``""`` when it made no calls.

    Args:
        usage: with ``calls``, and ``cost`` and ``unpriced_calls`` (calls logged without a
            cost) where there were some, as in a document's ``usage``.
    """
    cost = usage.get("cost")
    unpriced = usage.get(UNPRICED_CALLS) or 0
    if not _number(cost):
        return "unpriced" if usage.get("calls") else ""
    label = format_cost(cost)
    return f"{label} + {unpriced} unpriced" if unpriced else label


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
