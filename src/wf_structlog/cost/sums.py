"""Sums of costs that equal the sum of their calls, whatever the order they are added in.

A cost is dollars as a JSON number: a float rounded to :data:`DIGITS` decimal places (a
ten-billionth of a dollar, far below any token's price). Adding two floats leaves binary noise
(``0.1 + 0.2`` is ``0.30000000000000004``), and noise summed in a different order (calls in
the reducer, interactions in ``stats``, runs in a nested document) gives totals that differ.
:func:`add_costs` rounds every sum back to :data:`DIGITS` places: each sum is then the float
nearest the exact decimal sum of the calls, the same in any order and in every reader, for
totals up to about $100,000 (past that a float's precision nears the tenth decimal).
"""

from __future__ import annotations

from typing import Final

__all__ = ["DIGITS", "add_costs"]

DIGITS: Final = 10
"""Decimal places a cost, and every sum of costs, is rounded to."""


def add_costs(total: float, cost: float) -> float:
    """*total* plus *cost*, rounded to :data:`DIGITS` places.

    Args:
        total: a cost or a sum of costs.
        cost: the cost to add.
    """
    return round(total + cost, DIGITS)
