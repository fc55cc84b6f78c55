"""``wf-log stats``: calls, errors, tokens, cost and latency per agent and per model.

:func:`compute` gives plain data, stable for machines (``wf-log stats --json``)::

    {"format": "wf-log-stats/2",
     "runs": 1,
     "total":  {"interactions", "calls", "errors", "input_tokens", "output_tokens", "cost",
                "unpriced_calls"},
     "agents": [{"agent", "interactions", "calls", "errors", "input_tokens", "output_tokens",
                 "cost", "unpriced_calls", "latency_ms": {"count", "p50", "p95", "max"}}, ...],
     "models": [{"model", "calls", "errors", "input_tokens", "output_tokens", "cost",
                 "unpriced_calls", "latency_ms": {...}}, ...]}

Rows are sorted by name; keys always appear, in this order. Every run counts, the
sub-workflows nested in others included (``runs`` counts them all). Per agent, everything comes from
the agent's interactions: their ``usage`` roll-ups, ``error_count`` and ``duration_ms``. Per
model, from the events that name a ``model``: each is one call, and an error if it was logged
at an error level; latency from their ``duration_ms`` where they logged one. ``cost`` is
``null`` where nothing logged a cost, ``unpriced_calls`` counts the calls that logged tokens
but no cost (``cost`` sums only the others: an unpriced call is never counted as $0), a
percentile ``null`` where there was no duration. Costs are summed as
:mod:`wf_structlog.cost.sums` says, so a total equals the sum of its calls. Format 2 renamed
format 1's ``unpriced``.
Percentiles are nearest-rank: always a duration that was observed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, TypeGuard

from rich import box
from rich.table import Table
from rich.text import Text

from ..cost import add_costs
from ..render.console import escape
from ..render.money import cost_label
from ..schema import UNPRICED_CALLS, USAGE_KEYS, USAGE_MISSING
from ._nesting import runs

__all__ = ["FORMAT", "compute", "percentile", "tables"]

FORMAT: Final = "wf-log-stats/2"
"""The ``format`` of :func:`compute`'s output; changes if a key changes meaning."""


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank *p*-th percentile of *values*, or ``None`` if there are none.

    Args:
        values: observations, in any order.
        p: between 0 and 100.
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def compute(documents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Statistics over every run in *documents*, the sub-workflows nested in them included.

    Args:
        documents: workflow documents (see ``document.schema.json``).

    Returns:
        The data described in this module's docstring.
    """
    agents: dict[Any, _Row] = {}
    models: dict[Any, _Row] = {}
    total = _Row()
    count = 0
    for document in runs(documents):  # one at a time: a stream of documents is never held
        count += 1
        total.add_usage(document["usage"], document["error_count"])
        for scope, entries, errors in _scopes(document):
            if "agent" in scope:
                row = agents.setdefault(scope["agent"], _Row())
                row.add_usage(scope["usage"], scope["error_count"], scope["duration_ms"])
                row.interactions += 1
                total.interactions += 1
            for listed, failed in ((entries, False), (errors, True)):
                for entry in listed:  # once per event: most name no model
                    model = entry.get("model")
                    if model is not None:
                        models.setdefault(model, _Row()).add_call(entry, failed)
    return {
        "format": FORMAT,
        "runs": count,
        "total": total.summary(),
        "agents": [{"agent": name, **row.as_agent()} for name, row in _sorted(agents)],
        "models": [{"model": name, **row.as_model()} for name, row in _sorted(models)],
    }


def tables(stats: Mapping[str, Any]) -> list[Table]:
    """The per-agent and per-model tables of :func:`compute`'s output, for ``rich``.

    Args:
        stats: what :func:`compute` returned.
    """
    result = []
    for kind, first in (("agents", "agent"), ("models", "model")):
        table = Table(title=f"per {first}", title_justify="left", box=box.SIMPLE_HEAD)
        extra = ["interactions"] if kind == "agents" else []
        for column in [first, *extra, "calls", "errors", "tok in", "tok out", "cost"]:
            table.add_column(column, justify="left" if column == first else "right")
        for column in ("p50", "p95", "max"):
            table.add_column(f"{column} ms", justify="right")
        for row in stats[kind]:
            latency = row["latency_ms"]
            cells = [
                *(str(row[key]) for key in extra),
                str(row["calls"]),
                str(row["errors"]),
                f"{row['input_tokens']:,}",
                f"{row['output_tokens']:,}",
                cost_label(row),
                *(_ms(latency[p]) for p in ("p50", "p95", "max")),
            ]
            # Text, not str: rich would read markup in an agent's name.
            table.add_row(
                Text(escape(str(row[first]))),
                *(Text(cell) for cell in cells),
                style="red" if row["errors"] else None,
            )
        result.append(table)
    return result


class _Row:
    __slots__ = (
        "calls",
        "cost",
        "errors",
        "input_tokens",
        "interactions",
        "latencies",
        "output",
        "unpriced_calls",
    )

    def __init__(self) -> None:
        self.interactions = 0
        self.calls = 0
        self.errors = 0
        self.input_tokens: float = 0
        self.output: float = 0
        self.cost: float | None = None
        self.unpriced_calls = 0
        self.latencies: list[float] = []

    def add_usage(
        self, usage: Mapping[str, Any], errors: int, duration_ms: float | None = None
    ) -> None:
        self.calls += usage["calls"]
        self.errors += errors
        self.input_tokens += usage["input_tokens"]
        self.output += usage["output_tokens"]
        self._add_cost(usage.get("cost"))
        self.unpriced_calls += usage.get(UNPRICED_CALLS, 0)
        if _is_number(duration_ms):
            self.latencies.append(duration_ms)

    def add_call(self, entry: Mapping[str, Any], failed: bool) -> None:
        self.calls += 1
        self.errors += failed
        self.input_tokens += entry["input_tokens"] if _is_number(entry.get("input_tokens")) else 0
        self.output += entry["output_tokens"] if _is_number(entry.get("output_tokens")) else 0
        self._add_cost(entry.get("cost"))
        priced = _is_number(entry.get("cost"))
        self.unpriced_calls += not priced and (
            entry.get(USAGE_MISSING) is True or any(map(_is_number, map(entry.get, USAGE_KEYS)))
        )
        if _is_number(entry.get("duration_ms")):
            self.latencies.append(entry["duration_ms"])

    def _add_cost(self, cost: Any) -> None:
        if _is_number(cost):
            self.cost = add_costs(self.cost or 0, cost)

    def summary(self) -> dict[str, Any]:
        return {
            "interactions": self.interactions,
            "calls": self.calls,
            "errors": self.errors,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output,
            "cost": self.cost,
            UNPRICED_CALLS: self.unpriced_calls,
        }

    def as_agent(self) -> dict[str, Any]:
        return {**self.summary(), "latency_ms": self._latency()}

    def as_model(self) -> dict[str, Any]:
        summary = self.summary()
        del summary["interactions"]
        return {**summary, "latency_ms": self._latency()}

    def _latency(self) -> dict[str, Any]:
        values = self.latencies
        return {
            "count": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "max": max(values, default=None),
        }


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if value < 10 else f"{value:,.0f}"


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sorted(rows: dict[Any, _Row]) -> list[tuple[Any, _Row]]:
    return sorted(rows.items(), key=lambda item: (item[0] is None, str(item[0])))


def _scopes(
    document: Mapping[str, Any],
) -> Iterator[tuple[Mapping[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Every scope of *document* with its own entries and errors."""
    yield document, document["events"], document["errors"]
    for iteration in document["iterations"]:
        yield iteration, iteration["events"], iteration["errors"]
        for interaction in iteration["interactions"]:
            yield interaction, interaction["actions"], interaction["errors"]
