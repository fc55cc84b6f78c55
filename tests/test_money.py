"""Money as people read it: three significant digits below a dollar, cents above."""

from __future__ import annotations

import pytest

from wf_structlog.render.money import cost_label, format_cost


class TestFormatCost:
    @pytest.mark.parametrize(
        ("cost", "shown"),
        [
            (1.935e-05, "$0.0000194"),
            (0.2385, "$0.239"),
            (0.068, "$0.0680"),
            (0.1, "$0.100"),
            (0.9996, "$1.00"),
            (1234.5, "$1,234.50"),
            (0, "$0.00"),
            (-0.05, "-$0.0500"),
            (1.23e-08, "$0.0000000123"),
        ],
    )
    def test_significant_digits(self, cost: float, shown: str) -> None:
        """A cheap call keeps three significant digits, rounded half up from the decimal the
        log holds (as the HTML report rounds); a dollar or more shows cents."""
        assert format_cost(cost) == shown

    def test_unpriced_calls_are_never_free(self) -> None:
        """Calls that logged tokens but no cost are said, never shown as $0."""
        assert cost_label({"calls": 2}) == "unpriced"
        assert cost_label({"calls": 3, "cost": 0.01, "unpriced_calls": 1}) == "$0.0100 + 1 unpriced"
        assert cost_label({"calls": 0}) == ""
