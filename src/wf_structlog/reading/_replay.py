"""The events a finished document was built from, as far as the document keeps them (for
``wf-log view`` of a document file)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from .. import schema

__all__ = ["replayed"]


def replayed(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of *document* (a workflow document) and of the runs nested in it.

    Args:
        document: a workflow document (see ``document.schema.json``).
    """
    return _scope_events("workflow", document, {})


_CHILDREN: Final = {"workflow": "iterations", "iteration": "interactions"}


def _scope_keys(kind: str, scope: dict[str, Any]) -> dict[str, Any]:
    if kind == "workflow":
        return {"workflow": scope.get("name"), "workflow_id": scope.get("id")}
    if kind == "iteration":
        return {"iteration": scope.get("number"), "iteration_id": scope.get("id")}
    return {"interaction_id": scope.get("id"), "agent": scope.get("agent")}


def _scope_events(kind: str, scope: dict[str, Any], outer: dict[str, Any]) -> Iterator[Any]:
    """The events a document's scope was built from, as far as the document keeps them."""
    keys = {**outer, **_scope_keys(kind, scope)}
    start = {"event": f"{kind}.start", "timestamp": scope.get("start_time"), "level": "info"}
    end = {"event": f"{kind}.end", "timestamp": scope.get("end_time"), "level": "info"}
    if scope.get("metadata"):
        start["metadata"] = scope["metadata"]
    if kind == "workflow":
        for key in ("parent_workflow_id", schema.PARENT_SCOPE_KEY):
            if scope.get(key) is not None:
                start[key] = scope[key]
    if kind == "interaction":
        start["input"], end["output"] = scope.get("input"), scope.get("output")
    end.update(status=scope.get("status"), duration_ms=scope.get("duration_ms"))
    yield {**keys, **start}
    for entry in [*scope.get("events", scope.get("actions", [])), *scope.get("errors", [])]:
        if entry.get("event") == end["event"]:
            end["exception"] = entry.get("exception")
        else:
            yield {**keys, **entry}
    for child in scope.get(_CHILDREN.get(kind, ""), []):
        yield from _scope_events("interaction" if kind == "iteration" else "iteration", child, keys)
    for run in scope.get("workflows", []):  # the runs nested in it are events of their own
        yield from _scope_events("workflow", run, {})
    if scope.get("end_time") is not None:
        yield {**keys, **end}
