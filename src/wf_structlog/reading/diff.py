"""``wf-log diff A B``: what moved between two runs (a prompt or a model changed).

:func:`compare` gives plain data, stable for machines (``wf-log diff --json``)::

    {"format": "wf-log-diff/2",
     "total":  {metric: {"a", "b", "delta", "pct"}, ...},
     "agents": [{"agent", metric: {...}, ...}, ...],
     "models": [{"model", metric: {...}, ...}, ...],
     "status": [{"path", "a", "b", "b_id"}, ...],
     "diverged": {"path", "a", "b", "b_id"} or null}

The metrics are ``cost``, ``unpriced_calls``, ``tokens`` (in and out), ``input_tokens``,
``output_tokens``, ``calls``, ``errors`` and ``duration_ms`` (per agent and model: the median
latency); ``pct`` is ``null`` where A is 0. ``cost`` sums the priced calls only, and
``unpriced_calls`` counts the others (format 2 added it): a run whose calls have no price is
shown as unpriced, never as $0, and a ``cost`` rule fails when B has more unpriced calls than A,
since its cost can then not be compared. Everything counts the sub-workflows nested in the runs.
The two trees are aligned by position and name: the runs in order, their iterations, then each
iteration's interactions, sub-workflows and actions in time order. ``status`` lists the scopes
found on both sides whose status changed; ``diverged`` is the first place where the two differ
(a different action, tool, model or agent, or one side going on where the other stopped).
``b_id`` is the id of the scope in B that a line is about (where B diverges: the step B took
there, or the scope holding it when it is an action or nothing), so a report of B can open it.

:func:`exceeded` checks ``--fail-on`` rules (``cost+10%``, ``tokens+500``, ``errors``) so that
CI can fail a change that made runs dearer or broke them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..render.console import escape
from ..render.money import cost_label, format_cost
from ..schema import UNPRICED_CALLS
from . import stats

__all__ = ["FORMAT", "Rule", "compare", "exceeded", "parse_rule", "render"]

FORMAT: Final = "wf-log-diff/2"
"""The ``format`` of :func:`compare`'s output; changes if a key changes meaning."""

METRICS: Final = (
    "cost",
    UNPRICED_CALLS,
    "tokens",
    "input_tokens",
    "output_tokens",
    "calls",
    "errors",
    "duration_ms",
)

Document = Mapping[str, Any]


def compare(a: Sequence[Document], b: Sequence[Document]) -> dict[str, Any]:
    """What changed from the runs *a* to the runs *b*.

    Args:
        a: workflow documents (see ``document.schema.json``), the baseline.
        b: workflow documents, the change.

    Returns:
        The data described in this module's docstring.
    """
    stats_a, stats_b = stats.compute(a), stats.compute(b)
    totals_a, totals_b = _totals(a, stats_a), _totals(b, stats_b)
    changes: list[dict[str, Any]] = []
    diverged = _walk(_Node.top(a), _Node.top(b), (), changes)
    return {
        "format": FORMAT,
        "total": {metric: _delta(totals_a[metric], totals_b[metric]) for metric in METRICS},
        "agents": _rows("agent", stats_a["agents"], stats_b["agents"]),
        "models": _rows("model", stats_a["models"], stats_b["models"]),
        "status": changes,
        "diverged": diverged,
    }


def _totals(documents: Sequence[Document], computed: Mapping[str, Any]) -> dict[str, Any]:
    total = computed["total"]
    return {
        **_metrics(total),
        "duration_ms": sum(_number(d.get("duration_ms")) for d in documents),
    }


def _metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "cost": row["cost"] or 0,
        UNPRICED_CALLS: row[UNPRICED_CALLS],
        "tokens": row["input_tokens"] + row["output_tokens"],
        "input_tokens": row["input_tokens"],
        "output_tokens": row["output_tokens"],
        "calls": row["calls"],
        "errors": row["errors"],
        "duration_ms": row.get("latency_ms", {}).get("p50") or 0,
    }


def _number(value: Any) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _delta(a: float, b: float) -> dict[str, Any]:
    delta = round(b - a, 10)
    return {"a": a, "b": b, "delta": delta, "pct": round(100 * delta / a, 2) if a else None}


def _rows(key: str, a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_a = {row[key]: _metrics(row) for row in a}
    by_b = {row[key]: _metrics(row) for row in b}
    zero = dict.fromkeys(METRICS, 0)
    names = sorted({*by_a, *by_b}, key=lambda name: (name is None, str(name)))
    return [
        {
            key: name,
            **{
                metric: _delta(by_a.get(name, zero)[metric], by_b.get(name, zero)[metric])
                for metric in METRICS
            },
        }
        for name in names
    ]


# -- aligning the trees ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A step of a run as the diff aligns it: its label, status, and the steps inside."""

    label: str
    status: str | None
    children: tuple[_Node, ...]
    id: str | None = None  # a scope's; an action has none

    @classmethod
    def top(cls, documents: Sequence[Document]) -> tuple[_Node, ...]:
        return tuple(cls.run(document) for document in documents)

    @classmethod
    def run(cls, document: Document) -> _Node:
        inside = [cls.iteration(iteration) for iteration in document["iterations"]]
        return cls(
            f"workflow {document['name']}",
            document["status"],
            (*inside, *map(cls.run, document.get("workflows", ()))),
            document["id"],
        )

    @classmethod
    def iteration(cls, iteration: Document) -> _Node:
        timed = [(i.get("start_time") or "", cls.interaction(i)) for i in iteration["interactions"]]
        timed += [(w.get("start_time") or "", cls.run(w)) for w in iteration.get("workflows", ())]
        label = f"iteration {iteration['number']}"
        return cls(label, iteration["status"], _in_time(timed), iteration["id"])

    @classmethod
    def interaction(cls, interaction: Document) -> _Node:
        timed = [
            (str(entry.get("timestamp") or ""), cls(_action_label(entry), None, ()))
            for entry in interaction["actions"]
        ]
        timed += [(w.get("start_time") or "", cls.run(w)) for w in interaction.get("workflows", ())]
        label = f"agent {interaction['agent']}"
        return cls(label, interaction["status"], _in_time(timed), interaction["id"])


def _in_time(timed: list[tuple[str, _Node]]) -> tuple[_Node, ...]:
    return tuple(node for _, node in sorted(timed, key=lambda pair: pair[0]))


def _action_label(entry: Mapping[str, Any]) -> str:
    """An action as compared: its name, with the tool or model it used."""
    label = str(entry.get("event"))
    for key in ("tool", "model"):
        if entry.get(key) is not None:
            label += f" {key}={entry[key]}"
    return label


def _walk(
    a: tuple[_Node, ...],
    b: tuple[_Node, ...],
    path: tuple[str, ...],
    changes: list[dict[str, Any]],
    b_parent: str | None = None,
) -> dict[str, Any] | None:
    """Pair *a* and *b* (the steps inside B's scope *b_parent*) by position; note status
    changes; the first divergence."""
    first: dict[str, Any] | None = None
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        if left is None or right is None or left.label != right.label:
            here = {
                "path": " > ".join(path) or "(top)",
                "a": left.label if left else None,
                "b": right.label if right else None,
                "b_id": (right.id if right else None) or b_parent,
            }
            return first or here  # nothing after a divergence is aligned any more
        inner = (*path, left.label)
        if left.status != right.status:
            changes.append(
                {"path": " > ".join(inner), "a": left.status, "b": right.status, "b_id": right.id}
            )
        found = _walk(left.children, right.children, inner, changes, right.id)
        first = first or found
    return first


# -- failing CI ------------------------------------------------------------------------------

_RULE: Final = re.compile(r"(?P<metric>[a-z_]+)(?:\+(?P<amount>\d+(?:\.\d+)?)(?P<pct>%)?)?")


@dataclass(frozen=True)
class Rule:
    """A ``--fail-on`` rule: *metric* may grow by *amount* (a percentage if *percent*).

    Args:
        metric: one of :data:`METRICS`, or ``diverged``.
        amount: how much it may grow.
        percent: whether *amount* is a percentage of A.
    """

    metric: str
    amount: float = 0
    percent: bool = False

    def broken_by(self, diff: Mapping[str, Any]) -> str | None:
        """Why *diff* breaks this rule, or ``None``."""
        if self.metric == "diverged":
            where = diff["diverged"]
            return None if where is None else f"runs diverge at {where['path']}"
        change = diff["total"][self.metric]
        unpriced = diff["total"][UNPRICED_CALLS]
        if self.metric == "cost" and unpriced["delta"] > 0:
            return f"cost cannot be compared: B has {unpriced['delta']:g} more unpriced call(s)"
        allowed = change["a"] * self.amount / 100 if self.percent else self.amount
        if change["delta"] <= allowed:
            return None
        limit = f"{self.amount:g}%" if self.percent else f"{self.amount:g}"
        return f"{self.metric} grew by {_show(self.metric, change['delta'])} (allowed: +{limit})"


def parse_rule(text: str) -> Rule:
    """The :class:`Rule` that ``--fail-on`` *text* means: ``cost+10%``, ``tokens+500``,
    ``errors`` (any increase), ``diverged``.

    Raises:
        ValueError: *text* is not a rule.
    """
    match = _RULE.fullmatch(text.strip())
    metric = match["metric"] if match else None
    if match is None or metric not in (*METRICS, "diverged"):
        raise ValueError(
            f"bad --fail-on {text!r}: give METRIC, METRIC+N or METRIC+N%, METRIC one of "
            f"{', '.join(METRICS)}, or diverged"
        )
    return Rule(match["metric"], float(match["amount"] or 0), bool(match["pct"]))


def exceeded(diff: Mapping[str, Any], rules: Sequence[Rule]) -> list[str]:
    """Why *diff* breaks each of *rules* it breaks (empty when it passes).

    Args:
        diff: what :func:`compare` returned.
        rules: from :func:`parse_rule`.
    """
    return [reason for rule in rules if (reason := rule.broken_by(diff)) is not None]


# -- the terminal view -----------------------------------------------------------------------


def _show(metric: str, value: float | None) -> str:
    if value is None:
        return ""
    if metric == "cost":
        return format_cost(value)
    if metric == "duration_ms":  # two significant digits below a millisecond, as the report
        return f"{value:.2g} ms" if abs(value) < 1 else f"{value:,.1f} ms"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _cell(metric: str, change: Mapping[str, Any], unpriced: Mapping[str, Any]) -> Text:
    """``A → B``, and under it the change, red when it grew, green when it shrank; a cost
    says the calls of each side that had no price (*unpriced*)."""
    delta = change["delta"]
    a, b = _show(metric, change["a"]), _show(metric, change["b"])
    if metric == "cost":
        a = _priced(change["a"], unpriced["a"])
        b = _priced(change["b"], unpriced["b"])
    text = f"{a} → {b}"
    if delta:
        sign = "+" if delta > 0 else ""
        pct = f" ({change['pct']:+.1f}%)" if change["pct"] is not None else ""
        text += f"\n{sign}{_show(metric, delta)}{pct}"
    return Text(text, style="red" if delta > 0 else "green" if delta < 0 else "")


def _priced(cost: float, unpriced: float) -> str:
    """A side's cost: never ``$0.00`` for calls that had no price."""
    return cost_label({"calls": unpriced, "cost": cost or None, UNPRICED_CALLS: unpriced}) or (
        format_cost(cost)
    )


_SHOWN: Final = ("cost", "tokens", "calls", "errors", "duration_ms")


def render(diff: Mapping[str, Any]) -> Group:
    """The terminal view of :func:`compare`'s output: totals, per agent and per model, status
    changes and the first divergence; every name escaped.

    Args:
        diff: what :func:`compare` returned.
    """
    parts: list[Any] = []
    for title, key, rows in (
        ("total", None, [{"": "all runs", **diff["total"]}]),
        ("per agent", "agent", diff["agents"]),
        ("per model", "model", diff["models"]),
    ):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column(key or "")
        for metric in _SHOWN:
            table.add_column("p50 ms" if metric == "duration_ms" and key else metric)
        for row in rows:
            name = Text(escape(str(row[key or ""])))
            unpriced = row[UNPRICED_CALLS]
            table.add_row(name, *(_cell(metric, row[metric], unpriced) for metric in _SHOWN))
        parts.append(table)
    for change in diff["status"]:
        line = f"status {change['path']}: {change['a']} → {change['b']}"
        parts.append(Text(escape(line), style="yellow"))
    where = diff["diverged"]
    if where is None:
        parts.append(Text("the runs take the same steps", style="green"))
    else:
        parts.append(
            Text(
                escape(
                    f"first divergence at {where['path']}: {where['a'] or '(nothing)'} → "
                    f"{where['b'] or '(nothing)'}"
                ),
                style="bold yellow",
            )
        )
    return Group(*parts)
