"""What a run used, flat (``cost``, ``tokens``, ``tool_calls.search``, ``agents.planner.cost``),
and the budgets tests hold it to: given by hand or kept in a baseline file.

Everything counts the sub-workflows nested in the runs. A measure is one flat dict so that a
budget, a baseline and a failure message all name the same keys.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

from .cost import add_costs
from .reading._nesting import runs, scopes
from .render.money import format_cost
from .schema import UNPRICED_CALLS

__all__ = ["BudgetExceededError", "measure", "over_baseline", "over_budget"]


class BudgetExceededError(AssertionError):
    """A run used more than its budget; the message lists every overrun."""


def measure(documents: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """What the runs in *documents* used, flat: ``cost``, ``unpriced_calls`` (calls whose cost
    is unknown), ``tokens``, ``input_tokens``, ``output_tokens``, ``calls``, ``errors``,
    ``duration_ms``, ``tool_calls.<tool>``, and
    ``agents.<agent>.<cost|unpriced_calls|tokens|calls|errors>``.

    Args:
        documents: workflow documents (sub-workflows nested in them are counted).
    """
    top = list(documents)
    used: defaultdict[str, float] = defaultdict(float)
    used["duration_ms"] = sum(_number(d.get("duration_ms")) for d in top)
    for run in runs(top):
        for scope in scopes(run):
            entries = scope.get("actions", scope.get("events", ()))
            for entry in (*entries, *scope["errors"]):
                if isinstance(entry.get("tool"), str) and entry.get("level") not in _ERRORS:
                    used[f"tool_calls.{entry['tool']}"] += 1
            if "agent" not in scope:
                continue
            prefix = f"agents.{scope['agent']}."
            own = scope["usage"]
            used[prefix + "cost"] = add_costs(used[prefix + "cost"], own.get("cost", 0))
            used[prefix + UNPRICED_CALLS] += own.get(UNPRICED_CALLS, 0)
            used[prefix + "tokens"] += own["input_tokens"] + own["output_tokens"]
            used[prefix + "calls"] += own["calls"]
            used[prefix + "errors"] += scope["error_count"]
        usage = run["usage"]
        used["cost"] = add_costs(used["cost"], usage.get("cost", 0))
        used[UNPRICED_CALLS] += usage.get(UNPRICED_CALLS, 0)
        used["input_tokens"] += usage["input_tokens"]
        used["output_tokens"] += usage["output_tokens"]
        used["calls"] += usage["calls"]
        used["errors"] += run["error_count"]
    used["tokens"] = used["input_tokens"] + used["output_tokens"]
    return {key: round(value, 10) for key, value in sorted(used.items())}


_ERRORS: Final = frozenset({"error", "critical"})


def _number(value: Any) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def over_budget(used: Mapping[str, float], limits: Mapping[str, float]) -> list[str]:
    """One line per key of *limits* that *used* went over; a cost limit is not met either
    when some calls had no price (their cost is unknown, never taken as $0).

    Args:
        used: from :func:`measure`.
        limits: the most each key may be (a key not used counts as 0).
    """
    lines = []
    for key, limit in limits.items():
        unknown = key.endswith("cost") and used.get(key[:-4] + UNPRICED_CALLS, 0)
        if unknown:
            limited = f"limit {_show(key, limit)}"
            lines.append(f"  {key}: {unknown:,.0f} unpriced call(s), cost unknown ({limited})")
        elif used.get(key, 0) > limit:
            lines.append(f"  {key}: {_show(key, used.get(key, 0))} > {_show(key, limit)}")
    return lines


def over_baseline(
    used: Mapping[str, float], baseline: Mapping[str, float], tolerance: float
) -> list[str]:
    """One line per key that grew past its baseline by more than *tolerance* (a fraction:
    0.1 is 10%); ``errors``, ``unpriced_calls`` and their per-agent keys may not grow at all
    (a baseline written before ``unpriced_calls`` was measured does not hold them).

    Args:
        used: from :func:`measure`, now.
        baseline: from :func:`measure`, when the baseline was written.
        tolerance: how much more is allowed.
    """
    lines = []
    for key in sorted({*used, *baseline} - {"duration_ms"}):
        if key.endswith(UNPRICED_CALLS) and key not in baseline:
            continue
        was, now = baseline.get(key, 0), used.get(key, 0)
        exact = key.endswith(("errors", UNPRICED_CALLS))
        allowed = was if exact else was * (1 + tolerance)
        if now > allowed + 1e-12:
            growth = f"+{100 * (now - was) / was:.1f}%" if was else "new"
            lines.append(f"  {key}: {_show(key, was)} → {_show(key, now)} ({growth})")
    return lines


def _show(key: str, value: float) -> str:
    if key.endswith("cost"):
        return format_cost(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
