"""How ``wf-log report`` keeps the page of many runs bounded: a few runs in full, an index.

A day of agent runs is hundreds of runs; each one within its own bound (``_fold.py``) still
makes a page of hundreds of megabytes that no browser opens. So the report shows in full only
the runs that rank highest, as many as fit in :data:`REPORT_NODES` nodes (each run folded to
its bound first) and at most ``max_runs`` (:data:`MAX_RUNS` by default): the runs that failed
first (an error logged, or a status other than ``ok``), then the dearest (cost, then tokens),
then the latest. Or, given ids (``wf-log report --run ID``), the runs whose id starts with one
of them, whatever their rank. Every run, shown or not, gets a row in the page's index of runs
(name, id, start, status, duration, calls, errors, tokens, cost), from the reducer's exact
roll-ups; past :data:`INDEX_ROWS` rows, the lowest-ranked runs are summed in one exact row.

It works on a stream: :meth:`Picker.add` takes each run as the reducer completes it and keeps
only the runs that may still be shown, so a report holds at most ``REPORT_NODES`` nodes of
runs, one more run, and the index, whatever the size of the file. A run that ranks below one
already dropped is dropped at once, unfolded: what is shown is the longest run of the ranking
that fits, in whatever order the runs arrive.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Mapping
from typing import Any, Final, NamedTuple

from ..cost import add_costs
from ._fold import fold, nodes

__all__ = ["INDEX_ROWS", "MAX_RUNS", "REPORT_NODES", "Picker", "rank"]

MAX_RUNS: Final = 20
"""The most runs a report shows in full unless told otherwise (``--max-runs``)."""
REPORT_NODES: Final = 100_000
"""The most nodes (scopes and entries) of the runs a report shows in full, all together."""
INDEX_ROWS: Final = 10_000
"""The most runs the index lists one by one; the rest are summed in one row."""

Rank = tuple[bool, float, float, str, str]


def rank(document: Mapping[str, Any]) -> Rank:
    """How *document* ranks for being shown in full: higher first (failed, dearer, later).

    Args:
        document: a top-level workflow document.
    """
    usage = _usage(document)
    cost = usage.get("cost")
    failed = bool(document["error_count"]) or document["status"] != "ok"
    return (
        failed,
        cost if isinstance(cost, int | float) else 0.0,
        usage["input_tokens"] + usage["output_tokens"],
        str(document["start_time"] or ""),
        str(document["id"]),
    )


class _Held(NamedTuple):
    rank: Rank
    seq: int  # ties (a document given twice) never compare the documents
    nodes: int
    folded: bool
    document: dict[str, Any]


class _Listed(NamedTuple):
    rank: Rank
    seq: int
    row: dict[str, Any]


class Picker:
    """The runs a report shows in full and its index of every run, fed a run at a time."""

    def __init__(self, max_runs: int = MAX_RUNS, chosen: Collection[str] = ()) -> None:
        """Args:
        max_runs: the most runs shown in full (ignored with *chosen*).
        chosen: starts of run ids: show exactly the runs whose id starts with one of them.
        """
        self.max_runs = max_runs
        self.chosen = tuple(chosen)
        self.matched: set[str] = set()
        """The starts of *chosen* that some run's id starts with."""
        self.runs = 0
        self._held: list[_Held] = []  # a heap, the lowest-ranked first
        self._held_nodes = 0
        self._floor: Rank | None = None  # the highest rank dropped: nothing below it is shown
        self._listed: list[_Listed] = []  # a heap too
        self._rest = _Sum()

    def add(self, document: dict[str, Any]) -> None:
        """Count *document* in the index, and keep it (folded) if it may be shown in full.

        Args:
            document: a top-level workflow document, complete with its sub-workflows.
        """
        self.runs += 1
        ranked = rank(document)
        self._list(_Listed(ranked, self.runs, _row(document)))
        if self.chosen:
            starts = {start for start in self.chosen if str(document["id"]).startswith(start)}
            self.matched |= starts
            if starts:
                self._hold(ranked, document)
            return
        # Cheap first: a run below one already dropped is never folded nor held.
        if self._floor is not None and ranked < self._floor:
            return
        self._hold(ranked, document)
        while len(self._held) > 1 and (
            len(self._held) > self.max_runs or self._held_nodes > REPORT_NODES
        ):
            dropped = heapq.heappop(self._held)
            self._held_nodes -= dropped.nodes
            self._floor = dropped.rank if self._floor is None else max(self._floor, dropped.rank)

    def _hold(self, ranked: Rank, document: dict[str, Any]) -> None:
        shown = fold(document)
        held = _Held(ranked, self.runs, nodes(shown), shown is not document, shown)
        heapq.heappush(self._held, held)
        self._held_nodes += held.nodes

    def _list(self, listed: _Listed) -> None:
        heapq.heappush(self._listed, listed)
        if len(self._listed) > INDEX_ROWS:
            self._rest.add(heapq.heappop(self._listed).row)

    def shown(self) -> list[dict[str, Any]]:
        """The runs shown in full, by start time, each folded to its bound (``_fold.py``)."""
        return [held.document for held in sorted(self._held, key=lambda held: _when(held.document))]

    def index(self) -> dict[str, Any]:
        """The page's index of runs: ``runs`` (how many), ``shown`` (in full), ``folded``
        (of those, folded to their bound), ``max_runs``, ``nodes`` (:data:`REPORT_NODES`),
        ``chosen`` (the ``--run`` ids), ``rows`` (by start time, ``shown`` true for a run in
        full) and ``rest`` (the sum of the runs past :data:`INDEX_ROWS`, or ``None``)."""
        shown = {str(held.document["id"]) for held in self._held}
        rows = sorted((listed.row for listed in self._listed), key=_when)
        for row in rows:
            row["shown"] = row["id"] in shown
        return {
            "runs": self.runs,
            "shown": len(self._held),
            "folded": sum(held.folded for held in self._held),
            "max_runs": self.max_runs,
            "nodes": REPORT_NODES,
            "chosen": list(self.chosen),
            "rows": rows,
            "rest": self._rest.row() if self._rest.runs else None,
        }


def _usage(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The usage of *document* with its sub-workflows'."""
    usage: Mapping[str, Any] = document["usage"]
    total: Mapping[str, Any] = usage.get("total", usage)
    return total


def _when(run: Mapping[str, Any]) -> tuple[str, str]:
    """Start time, then id: the order of the index and of the runs shown."""
    return str(run["start_time"] or ""), str(run["id"])


def _row(document: Mapping[str, Any]) -> dict[str, Any]:
    """The row of *document* in the index: the reducer's roll-ups, nothing recounted."""
    usage = _usage(document)
    return {
        "id": str(document["id"]),
        "name": document["name"],
        "start_time": document["start_time"],
        "status": document["status"],
        "duration_ms": document["duration_ms"],
        "calls": usage["calls"],
        "errors": document["error_count"],
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "cost": usage.get("cost"),
        "unpriced_calls": usage.get("unpriced_calls", 0),
    }


class _Sum:
    """The runs past the index's rows, summed exactly (costs as ``cost.sums`` adds them)."""

    _COUNTS: Final = ("calls", "errors", "input_tokens", "output_tokens", "unpriced_calls")

    def __init__(self) -> None:
        self.runs = 0
        self.counts = dict.fromkeys(self._COUNTS, 0)
        self.cost: float | None = None

    def add(self, row: Mapping[str, Any]) -> None:
        self.runs += 1
        for key in self._COUNTS:
            self.counts[key] += row[key]
        if row["cost"] is not None:
            self.cost = add_costs(self.cost or 0.0, row["cost"])

    def row(self) -> dict[str, Any]:
        return {"runs": self.runs, **self.counts, "cost": self.cost}
