"""Put each sub-workflow's document inside the scope that opened it, and break parent loops.

A workflow opened inside another's interaction (or iteration, or the workflow itself), in the
same process or in another one attached to it, names that run in ``parent_workflow_id`` and
the scope in ``parent_scope_id``. Its document goes into that scope's ``workflows``; the scope
finds it there with no id to follow. The parent's ``usage`` keeps counting only its own
events, and says what the runs inside add under ``workflows`` and ``total``. A sub-workflow
whose parent run is not in the input stays at the top, with ``"parent_missing": true``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from .. import schema
from ..cost import add_costs

__all__ = ["break_cycles", "by_start", "nest", "own_usage", "runs", "scopes", "usage_total"]

Document = dict[str, Any]

_USAGE_KEYS: Final = ("calls", *schema.USAGE_KEYS)
_OPTIONAL: Final = ("cost", schema.UNPRICED_CALLS)


def nest(documents: list[Document]) -> tuple[list[Document], int]:
    """The top-level documents, each sub-workflow moved into the scope that opened it.

    Args:
        documents: one document per run, or top-level documents with runs nested already
            (documents read from files): those are left where they are.

    Returns:
        The documents left at the top (ordered by start time), and how many runs named
        parents that lead back to themselves (left at the top too).
    """
    by_id = {document["id"]: document for document in documents}
    parents: dict[str, Document] = {}
    top: list[Document] = []
    cycles = 0
    for document in documents:
        parent_id = document.get("parent_workflow_id")
        parent = by_id.get(parent_id) if parent_id is not None else None
        if parent_id is not None and parent is None:
            document["parent_missing"] = True
        elif parent is not None:
            document.pop("parent_missing", None)  # read alone before, as a document file
        if parent is not None and _leads_back(document, parent, by_id):
            cycles += 1
            document["cyclic_parent"] = True
            parent = None
        if parent is None:
            top.append(document)
        else:
            parents[document["id"]] = parent
    for document in documents:
        parent = parents.get(document["id"])
        if parent is not None:
            _scope_in(parent, document.get(schema.PARENT_SCOPE_KEY))["workflows"].append(document)
    for document in top:
        _roll_up(document)
    return by_start(top), cycles


def by_start(documents: list[Document]) -> list[Document]:
    """*documents* ordered by start time, then id."""
    return sorted(documents, key=lambda doc: (doc["start_time"] or "", doc["id"]))


def _leads_back(document: Document, parent: Document, by_id: Mapping[str, Document]) -> bool:
    """Whether following parents up from *parent* comes back to *document*."""
    seen = {document["id"]}
    current: Document | None = parent
    while current is not None:
        if current["id"] in seen:
            return bool(current["id"] == document["id"])
        seen.add(current["id"])
        current = by_id.get(current.get("parent_workflow_id"))  # type: ignore[arg-type]
    return False


def _scope_in(document: Document, scope_id: Any) -> Document:
    """The iteration or interaction of *document* with id *scope_id*, else the document."""
    iteration: Document
    for iteration in document["iterations"]:
        if iteration["id"] == scope_id:
            return iteration
        interaction: Document
        for interaction in iteration["interactions"]:
            if interaction["id"] == scope_id:
                return interaction
    return document


def runs(documents: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every run in *documents*, the ones nested in them included, parents first.

    Args:
        documents: top-level workflow documents.
    """
    for document in documents:
        yield document
        for scope in scopes(document):
            yield from runs(scope.get("workflows", ()))


def scopes(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The workflow, its iterations and its interactions (not the runs nested in them)."""
    yield document
    for iteration in document["iterations"]:
        yield iteration
        yield from iteration["interactions"]


def _roll_up(document: Document) -> dict[str, Any]:
    """Add ``workflows`` and ``total`` to the usage of every scope that has runs inside it;
    the total usage of *document*, runs inside included."""
    inside: dict[str, Any] = {}
    for iteration in document["iterations"]:
        in_iteration: dict[str, Any] = {}
        for interaction in iteration["interactions"]:
            _add(in_iteration, _runs_in(interaction))
        _add(in_iteration, _runs_in(iteration))
        _set_totals(iteration, in_iteration)
        _add(inside, in_iteration)
    _add(inside, _runs_in(document))
    _set_totals(document, inside)
    return usage_total(document)


def _runs_in(scope: Document) -> dict[str, Any]:
    """What the runs opened directly in *scope* use, and set its totals if it is an
    interaction (iterations and workflows add their children's first)."""
    used: dict[str, Any] = {}
    for run in by_start(scope["workflows"]):
        _add(used, _roll_up(run))
    scope["workflows"][:] = by_start(scope["workflows"])
    if "agent" in scope:
        _set_totals(scope, used)
    return used


def _set_totals(scope: Document, inside: dict[str, Any]) -> None:
    if not inside:
        return
    total = own_usage(scope)
    _add(total, inside)
    scope["usage"]["workflows"], scope["usage"]["total"] = inside, total


def usage_total(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The usage of *scope* with the runs nested in it: its ``total``, else its own.

    Args:
        scope: a workflow, iteration or interaction of a document.
    """
    total = scope["usage"].get("total")
    return dict(total) if total is not None else own_usage(scope)


def own_usage(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The usage of *scope* without the runs nested in it.

    Args:
        scope: a workflow, iteration or interaction of a document.
    """
    usage = scope["usage"]
    own = {key: usage[key] for key in _USAGE_KEYS}
    own.update((key, usage[key]) for key in _OPTIONAL if key in usage)
    return own


def _add(into: dict[str, Any], usage: Mapping[str, Any]) -> None:
    if not usage:
        return
    for key in _USAGE_KEYS:
        into[key] = into.get(key, 0) + usage[key]
    unpriced = schema.UNPRICED_CALLS
    if unpriced in usage:
        into[unpriced] = into.get(unpriced, 0) + usage[unpriced]
    if "cost" in usage:
        into["cost"] = add_costs(into.get("cost", 0), usage["cost"])


def break_cycles(document: Document) -> int:
    """Cut every loop of ``parent_interaction_id`` in *document*: the interactions on it keep
    the id they named in ``cyclic_parent`` and are drawn at their iteration's level.

    Returns:
        How many interactions were on a loop.
    """
    interactions = {
        interaction["id"]: interaction
        for iteration in document["iterations"]
        for interaction in iteration["interactions"]
    }
    on_loop: set[str] = set()
    for start in interactions:
        path: dict[str, None] = {}  # ordered, and O(1) to look in
        current: Any = start
        while current in interactions and current not in path and current not in on_loop:
            path[current] = None
            current = interactions[current].get("parent_interaction_id")
        if current in path:
            walked = list(path)
            on_loop.update(walked[walked.index(current) :])
    for interaction_id in on_loop:
        interaction = interactions[interaction_id]
        interaction["cyclic_parent"] = interaction.pop("parent_interaction_id")
    return len(on_loop)
