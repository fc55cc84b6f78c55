"""How ``wf-log report`` keeps the page of a huge run usable: long lists folded to their ends.

A run of a million events would make a page of gigabytes that no browser opens. So, one run
at a time, every list of a scope (its events or actions, its errors, its iterations, its
interactions) longer than a limit keeps its first and last halves of the limit, and in the
middle of its scope's entries one ``report.folded`` entry says how many were left out
(``folded=N kind=events``), with the unpriced calls among them so the page's counts stay
exact. The limit is the largest of :data:`LIMITS` that leaves the run at most
:data:`RUN_NODES` nodes (scopes and entries): so a report holds at most ``RUN_NODES`` nodes per
run, whatever the run's size. Everything counted elsewhere stays exact: each scope's
``usage``, ``error_count``, ``status`` and ``duration_ms`` are the reducer's, and the stats
tables are computed from the whole runs before any folding. What is folded is not drawn or
searched; ``wf-log tree``, ``stats`` and ``reduce`` show it all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .. import schema

__all__ = ["FOLDED_EVENT", "LIMITS", "RUN_NODES", "fold", "nodes"]

RUN_NODES: Final = 20_000
"""The most nodes (scopes and entries) a run's report holds."""
LIMITS: Final = (200, 100, 50, 20, 10, 4, 2)
"""The lengths a list may keep, tried from the largest until the run fits in RUN_NODES."""
FOLDED_EVENT: Final = "report.folded"

_ENTRIES: Final = {"workflow": "events", "iteration": "events", "interaction": "actions"}
_CHILDREN: Final = {
    "workflow": ("iterations", "iteration"),
    "iteration": ("interactions", "interaction"),
}


def fold(document: dict[str, Any]) -> dict[str, Any]:
    """*document* itself if it fits in :data:`RUN_NODES` nodes, else a folded copy of it.

    Args:
        document: a workflow document (see ``document.schema.json``).
    """
    for limit in LIMITS:
        if _size(document, "workflow", limit) <= RUN_NODES:
            break
    if limit == LIMITS[0] and nodes(document) <= RUN_NODES:
        return document
    return _folded(document, "workflow", limit)


def nodes(document: Mapping[str, Any]) -> int:
    """How many nodes (scopes and entries) the page builds for *document*.

    Args:
        document: a workflow document, folded or not.
    """
    return _size(document, "workflow", None)


def _ends(items: list[Any], limit: int | None) -> list[Any]:
    """The first and last halves of *limit* of *items* (all of them if *limit* is None)."""
    if limit is None or len(items) <= limit:
        return items
    return items[: limit // 2] + items[len(items) - (limit - limit // 2) :]


def _middle(items: list[Any], limit: int) -> list[Any]:
    """What :func:`_ends` leaves out of *items*."""
    if len(items) <= limit:
        return []
    return items[limit // 2 : len(items) - (limit - limit // 2)]


def _kept_size(items: list[Any], limit: int | None) -> int:
    """How many of *items* the page shows: those kept, and the note for the rest."""
    return len(items) if limit is None or len(items) <= limit else limit + 1


def _size(scope: Mapping[str, Any], kind: str, limit: int | None) -> int:
    """The nodes *scope* would have in the page with lists kept to *limit* (None: all)."""
    size = 1 + _kept_size(scope[_ENTRIES[kind]], limit) + _kept_size(scope["errors"], limit)
    if kind in _CHILDREN:
        key, inner = _CHILDREN[kind]
        size += limit is not None and len(scope[key]) > limit  # its note
        size += sum(_size(child, inner, limit) for child in _ends(scope[key], limit))
    return size + sum(_size(run, "workflow", limit) for run in scope.get("workflows", ()))


Entries = list[tuple[Mapping[str, Any], Any]]
"""Entries with the agent of the scope they are in (``None`` outside interactions)."""


def _folded(scope: dict[str, Any], kind: str, limit: int) -> dict[str, Any]:
    """A copy of *scope* with every list kept to *limit*, the left-out counted in an entry."""
    copy = dict(scope)
    agent = scope.get("agent") if kind == "interaction" else None
    entries_key = _ENTRIES[kind]
    notes = []
    for key in (entries_key, "errors"):
        copy[key] = _ends(scope[key], limit)
        left = _middle(scope[key], limit)
        if left:
            notes.append(_note(key, len(left), [(entry, agent) for entry in left]))
    if kind in _CHILDREN:
        key, inner = _CHILDREN[kind]
        left_scopes = _middle(scope[key], limit)
        if left_scopes:
            entries = [pair for child in left_scopes for pair in _all_entries(child, inner)]
            notes.append(_note(key, len(left_scopes), entries))
        copy[key] = [_folded(child, inner, limit) for child in _ends(scope[key], limit)]
    if "workflows" in scope:
        copy["workflows"] = [_folded(run, "workflow", limit) for run in scope["workflows"]]
    if notes:
        middle = len(copy[entries_key]) // 2
        copy[entries_key] = copy[entries_key][:middle] + notes + copy[entries_key][middle:]
    return copy


def _all_entries(scope: Mapping[str, Any], kind: str) -> Entries:
    """Every entry of *scope* and of the scopes inside it, sub-workflows included."""
    agent = scope.get("agent") if kind == "interaction" else None
    found = [(entry, agent) for entry in (*scope[_ENTRIES[kind]], *scope["errors"])]
    if kind in _CHILDREN:
        key, inner = _CHILDREN[kind]
        for child in scope[key]:
            found += _all_entries(child, inner)
    for run in scope.get("workflows", ()):
        found += _all_entries(run, "workflow")
    return found


def _unpriced(entry: Mapping[str, Any]) -> bool:
    """Whether the page counts *entry* as a call without a cost (as model.js does)."""
    is_call = any(key in entry for key in (*schema.USAGE_KEYS, "cost")) or (
        entry.get(schema.USAGE_MISSING) is True
    )
    cost = entry.get("cost")
    return is_call and not (isinstance(cost, int | float) and not isinstance(cost, bool))


def _name(value: Any) -> str:
    """*value* as the page names it (JavaScript's ``String``, for the usual values)."""
    return "null" if value is None else str(value)


def _note(what: str, count: int, entries: Entries) -> dict[str, Any]:
    """The entry that stands for *count* left-out *what*, made of *entries*."""
    by_agent: dict[str, int] = {}
    by_model: dict[str, int] = {}
    unpriced = 0
    for entry, agent in entries:
        if _unpriced(entry):
            unpriced += 1
            if agent is not None:
                by_agent[_name(agent)] = by_agent.get(_name(agent), 0) + 1
            if "model" in entry:
                by_model[_name(entry["model"])] = by_model.get(_name(entry["model"]), 0) + 1
    timestamps = [e["timestamp"] for e, _ in entries if isinstance(e.get("timestamp"), str)]
    note: dict[str, Any] = {
        "event": FOLDED_EVENT,
        "timestamp": min(timestamps) if timestamps else None,
        "level": "info",
        "folded": count,
        "kind": what,
    }
    if unpriced:
        note.update(unpriced=unpriced, unpriced_by_agent=by_agent, unpriced_by_model=by_model)
    return note
