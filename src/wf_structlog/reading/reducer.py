"""The reducer: rebuild nested workflow documents from events, in any order, from any files.

Feed events one at a time (:class:`Reducer`) or all at once (:func:`reduce`). Events are placed
by their ids, not by their order or timestamps, so shuffled lines, or lines split over several
files, give the same documents. A scope whose end event is missing is ``"incomplete"``; a scope
whose end event counts a different number of children than arrived (some are missing, or
some were logged after it ended) has ``"complete": false``. Scopes known only
from their children's events are rebuilt as placeholders.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from .. import schema
from ._kept import Item, Keeper, first_order, in_order, kept_value, order

__all__ = ["ReduceWarning", "Reducer", "parse_line", "reduce"]

Event = Mapping[str, Any]
Source = str | os.PathLike[str] | Event | Iterable[Event] | Iterable[str] | Iterable[bytes]


class ReduceWarning(UserWarning):
    """Some input lines were not events and were skipped."""


_SCOPE_EVENT_NAMES = frozenset(schema.SCOPE_EVENTS)


class _Node:
    __slots__ = ("aside", "end", "id", "items", "kind", "start")

    def __init__(self, kind: str, node_id: str) -> None:
        self.kind = kind
        self.id = node_id
        self.start: Event | None = None
        self.end: Event | None = None
        self.items: list[Item] = []
        self.aside: dict[str, Any] | None = None
        """The hierarchy keys of the last item, for the next one to share."""

    def field(self, key: str) -> Any:
        """*key* from the start event, else the end event, else the earliest item having it."""
        start, end = self.start, self.end
        if start is not None and key in start:
            return start[key]
        if end is not None and key in end:
            return end[key]
        for item in in_order(self.items):
            found, value = kept_value(item, key)
            if found:
                return value
        return None

    @property
    def span_id(self) -> Any:
        return self.id if self.kind != "workflow" else self.field("span_id")

    def first_key(self) -> tuple[str, int, int]:
        if self.start is not None:
            return order(self.start)
        return first_order(self.items)


class _Run:
    __slots__ = ("interactions", "iterations", "seen", "workflow")

    def __init__(self, run_id: str) -> None:
        self.workflow = _Node("workflow", run_id)
        self.iterations: dict[str, _Node] = {}
        self.interactions: dict[str, _Node] = {}
        # The seqs seen, by pid: one set per process holds the events' own seq objects, where
        # a (pid, seq) tuple per event would cost memory and the collector's time.
        self.seen: collections.defaultdict[Any, set[Any]] = collections.defaultdict(set)

    def scope(self, kind: str, event: Event) -> _Node | None:
        if kind == "workflow":
            return self.workflow
        node_id = event.get(schema.SCOPE_ID_KEYS[kind])
        if not isinstance(node_id, str):
            return None
        return self.node(
            self.iterations if kind == "iteration" else self.interactions, kind, node_id
        )

    @staticmethod
    def node(nodes: dict[str, _Node], kind: str, node_id: str) -> _Node:
        node = nodes.get(node_id)
        if node is None:
            node = nodes[node_id] = _Node(kind, node_id)
        return node


class Reducer:
    """Collect events and build one document per workflow run.

    Events outside any workflow are counted in :attr:`unscoped` and otherwise ignored. An
    event seen twice (same ``pid`` and ``seq`` in the same run) counts once.
    """

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._keeper = Keeper()
        self.skipped = 0
        """Lines given to :meth:`add_line` that were not JSON objects."""
        self.unscoped = 0
        """Events that belonged to no workflow."""

    def add(self, event: Event) -> None:
        """Add one event dict."""
        # Runs once per event: the common case (an event in an interaction) calls nothing.
        run_id = event.get("workflow_id")
        if not isinstance(run_id, str):
            self.unscoped += 1
            return
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = _Run(run_id)
        seq = event.get("seq")
        if seq is not None:
            seen = run.seen[event.get("pid")]
            if seq in seen:
                return
            seen.add(seq)
        name = event.get("event")
        if isinstance(name, str) and name in _SCOPE_EVENT_NAMES:
            kind, phase = schema.SCOPE_EVENTS[name]
            node = run.scope(kind, event)
            if node is not None:
                if phase == "start":
                    node.start = node.start or event
                else:
                    node.end = node.end or event
                return
        node_id = event.get("interaction_id")
        if isinstance(node_id, str):
            node = run.interactions.get(node_id) or run.node(
                run.interactions, "interaction", node_id
            )
        else:
            node_id = event.get("iteration_id")
            node = (
                run.node(run.iterations, "iteration", node_id)
                if isinstance(node_id, str)
                else run.workflow
            )
        item = self._keeper.keep(event, node.aside)
        node.aside = item[2]
        node.items.append(item)

    def add_line(self, line: bytes | str) -> None:
        """Add one NDJSON line; blank lines are ignored, other non-objects counted in
        :attr:`skipped`."""
        try:
            event = parse_line(line)
        except ValueError:
            self.skipped += 1
            return
        if event is not None:
            self.add(event)

    def add_file(self, path: str | os.PathLike[str]) -> None:
        """Add every line of an NDJSON file."""
        add, loads = self.add, orjson.loads
        with Path(path).open("rb") as lines:
            for line in lines:  # add_line, inlined: this loop runs once per event
                try:
                    event = loads(line)
                except orjson.JSONDecodeError:
                    self.skipped += not line.isspace()
                    continue
                if isinstance(event, dict):
                    add(event)
                else:
                    self.skipped += 1

    def document(self, run_id: str) -> dict[str, Any]:
        """The document of one run, as far as its events have arrived."""
        return _build(self._runs[run_id])

    def pop(self, run_id: str) -> dict[str, Any]:
        """The document of one run, forgetting the run's events."""
        return _build(self._runs.pop(run_id), consume=True)

    def documents(self) -> list[dict[str, Any]]:
        """All documents, ordered by start time."""
        return _by_start([_build(run) for run in self._runs.values()])

    def pop_documents(self) -> list[dict[str, Any]]:
        """All documents, ordered by start time, forgetting every run's events as it goes (so
        the events and the documents are never all held at once)."""
        return _by_start([self.pop(run_id) for run_id in list(self._runs)])


def _by_start(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda doc: (doc["start_time"] or "", doc["id"]))


def parse_line(line: bytes | str) -> dict[str, Any] | None:
    """The JSON object on one NDJSON line, or ``None`` for a blank line.

    Args:
        line: one line, with or without its newline.

    Raises:
        ValueError: the line is not a JSON object (a truncated line, text from another
            program, a JSON array).
    """
    if not isinstance(line, bytes | str):
        raise ValueError(f"not a line: {type(line).__name__}")
    if not line.strip():
        return None
    event = orjson.loads(line)  # orjson.JSONDecodeError is a ValueError
    if not isinstance(event, dict):
        raise ValueError("not a JSON object")
    return event


def reduce(*sources: Source) -> list[dict[str, Any]]:
    """Rebuild the nested document of every workflow run found in *sources*.

    Args:
        *sources: NDJSON file paths, event dicts, or iterables of event dicts or NDJSON lines
            (an open file, a list of strings), in any mix.

    Returns:
        One document per run (see ``document.schema.json``), ordered by start time.
    """
    reducer = Reducer()
    with _collector_paused():
        _add_sources(reducer, sources)
        documents = reducer.pop_documents()
    if reducer.skipped:
        warnings.warn(
            f"skipped {reducer.skipped} line(s) that were not JSON objects",
            ReduceWarning,
            stacklevel=2,
        )
    return documents


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector. Documents are trees, it has nothing to free in them,
    but the allocations of a million events would make it walk them all again and again (half
    the time of :func:`reduce` on a million events, measured).

    At the end, what was made while it was paused is filed as old (``freeze`` then
    ``unfreeze`` moves every object to the oldest generation and restarts the count): else the
    first allocation after it resumes walks every document at once (another second per
    million events). Not done when the program froze objects itself: ``unfreeze`` would
    release them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _add_sources(reducer: Reducer, sources: Iterable[Source]) -> None:
    for source in sources:
        if isinstance(source, str | os.PathLike):
            reducer.add_file(source)
        elif isinstance(source, Mapping):
            reducer.add(source)
        elif isinstance(source, bytes | bytearray) or not isinstance(source, Iterable):
            raise TypeError(
                f"reduce() takes NDJSON paths, event dicts, or iterables of event dicts or "
                f"lines (such as an open file); got {type(source).__name__}"
            )
        else:
            for item in source:
                if isinstance(item, Mapping):
                    reducer.add(item)
                else:
                    reducer.add_line(item)


# -- building documents ----------------------------------------------------------------------


_NUMBERS = (int, float)


def _number(value: Any) -> bool:
    return isinstance(value, _NUMBERS) and not isinstance(value, bool)


_USAGE_FIELDS = (*schema.USAGE_KEYS, "cost")


def _count_usage(usage: dict[str, Any], item: Event) -> None:
    """Add *item*'s tokens and cost to *usage*."""
    counted = False
    for key in schema.USAGE_KEYS:
        value = item.get(key)
        if value is not None and _number(value):
            usage[key] += value
            counted = True
    cost = item.get("cost")
    if cost is not None and _number(cost):
        usage["cost"] = round(usage.get("cost", 0) + cost, _COST_DIGITS)
        counted = True
    usage["calls"] += counted


def _add_child(total: dict[str, Any], child: Mapping[str, Any]) -> None:
    """Roll a child scope's usage and error count into its parent's."""
    total["error_count"] += child["error_count"]
    usage = total["usage"]
    for key, value in child["usage"].items():
        usage[key] = usage.get(key, 0) + value
    if "cost" in usage:
        usage["cost"] = round(usage["cost"], _COST_DIGITS)  # keep float noise out of documents


_COST_DIGITS = 10


def _shown(kept: dict[str, Any], agent: Any, consume: bool) -> dict[str, Any]:
    """The event as its document shows it: without ``agent`` where it is the interaction's.
    With *consume*, the kept copy itself, else a copy of it: a document never shares a dict
    with a reducer that goes on."""
    if "agent" in kept and kept["agent"] == agent:
        if not consume:
            return {key: value for key, value in kept.items() if key != "agent"}
        del kept["agent"]
        return kept
    return kept if consume else dict(kept)


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    # dict first: it answers at once (events from JSON), where the Mapping ABC costs more.
    return isinstance(value, (dict, Mapping))


_SPECIAL_EVENTS = (schema.METADATA_EVENT, schema.RESOURCE_EVENT)  # a tuple: names may not hash


def _special(item: Event, metadata: dict[str, Any], resources: list[dict[str, Any]]) -> bool:
    """Add a ``metadata`` or ``resource`` event to *metadata* or *resources*; whether it was
    one (a ``metadata`` event without a mapping is an ordinary event)."""
    if item["event"] == schema.RESOURCE_EVENT:
        resources.append({"name": item.get("resource"), "details": item.get("details") or {}})
        return True
    if _is_mapping(item.get("metadata")):
        metadata.update(item["metadata"])
        return True
    return False


def _scope_part(
    doc: dict[str, Any],
    events_key: str,
    node: _Node,
    started_under: Counter[Any],
    agent: Any = None,
    consume: bool = False,
) -> None:
    """Add to *doc* the keys every scope has, with its own items sorted into metadata,
    resources, errors and events (under *events_key*). With *consume*, the node lets go of its
    items, so that they are freed as the document is built."""
    start, end = node.start or {}, node.end or {}
    start_metadata = start.get("metadata")
    metadata = dict(start_metadata) if _is_mapping(start_metadata) else {}
    resources: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    usage: dict[str, Any] = {"calls": 0, "input_tokens": 0, "output_tokens": 0}
    observed = started_under.get(node.span_id, 0)  # no Counter.__missing__ call
    items = in_order(node.items)
    if consume:
        node.items = []
    for _, attached, _, kept in items:  # once per event
        observed += not attached
        if not kept.keys().isdisjoint(_USAGE_FIELDS):
            _count_usage(usage, kept)
        if kept.get("event") in _SPECIAL_EVENTS and _special(kept, metadata, resources):
            continue
        if kept.get("level") in schema.ERROR_LEVELS:
            errors.append(_shown(kept, agent, consume))
        else:
            events.append(_shown(kept, agent, consume))
    if "exception" in end:
        errors.append({k: end[k] for k in ("event", "timestamp", "level", "exception") if k in end})
    children = end.get("children")
    doc["status"] = end.get("status", schema.STATUS_INCOMPLETE) if end else schema.STATUS_INCOMPLETE
    doc["start_time"] = start.get("timestamp")
    doc["end_time"] = end.get("timestamp")
    doc["duration_ms"] = end.get("duration_ms")
    doc["complete"] = bool(start) and bool(end) and (children is None or children == observed)
    doc["metadata"] = metadata
    doc["resources"] = resources
    doc["errors"] = errors
    doc["error_count"] = len(errors)
    doc["usage"] = usage
    doc[events_key] = events


_ORPHANS = "0" * 16
"""Iteration id for interactions that name none (an all-zero span id is never issued)."""


def _iteration_of(node: _Node) -> str:
    iteration_id = node.field("iteration_id")
    return iteration_id if isinstance(iteration_id, str) else _ORPHANS


def _hint(nodes: Iterable[_Node], key: str, scope_key: str, scope_id: str) -> Any:
    """*key* from any event of the scope *scope_id*, for placeholders never seen directly."""
    for node in nodes:
        for event in (node.start, node.end):
            if event is not None and event.get(scope_key) == scope_id and key in event:
                return event[key]
        for item in node.items:
            if kept_value(item, scope_key) == (True, scope_id):
                found, value = kept_value(item, key)
                if found:
                    return value
    return None


def _build(run: _Run, consume: bool = False) -> dict[str, Any]:
    """The document of *run*. With *consume*, the run's events are let go of as they are
    copied into it (for a run popped from its reducer), so both are not held at once."""
    nodes = [run.workflow, *run.iterations.values(), *run.interactions.values()]
    started_under = Counter(
        node.start.get("parent_span_id")
        for node in nodes
        if node.start is not None and not node.start.get("attached")
    )
    iteration_of = {node.id: _iteration_of(node) for node in run.interactions.values()}
    for iteration_id in iteration_of.values():  # placeholders for iterations never seen
        run.node(run.iterations, "iteration", iteration_id)
    # Every field looked up among the events, before any event is let go of.
    numbers = {
        node.id: node.field("iteration") or _hint(nodes, "iteration", "iteration_id", node.id)
        for node in run.iterations.values()
    }
    wf = run.workflow
    document: dict[str, Any] = {
        "id": wf.id,
        "name": wf.field("workflow") or _hint(nodes, "workflow", "workflow_id", wf.id),
    }
    parent_run = wf.field("parent_workflow_id")
    iterations_order = sorted(
        run.iterations.values(), key=lambda n: (numbers[n.id] or 0, n.first_key())
    )

    by_iteration: dict[Any, list[dict[str, Any]]] = {}
    for node in sorted(run.interactions.values(), key=_Node.first_key):
        agent = node.field("agent")
        doc: dict[str, Any] = {"id": node.id, "agent": agent, "input": node.field("input")}
        doc["output"] = (node.end or {}).get("output")
        parent = node.field("parent_span_id")
        iteration_id = iteration_of[node.id]
        _scope_part(doc, "actions", node, started_under, agent, consume)
        if parent is not None and parent != iteration_id:
            doc["parent_interaction_id"] = parent
        by_iteration.setdefault(iteration_id, []).append(doc)

    iterations = []
    for node in iterations_order:
        doc = {"id": node.id, "number": numbers[node.id]}
        _scope_part(doc, "events", node, started_under, consume=consume)
        doc["interactions"] = by_iteration.get(node.id, [])
        for child in doc["interactions"]:
            _add_child(doc, child)
        iterations.append(doc)

    _scope_part(document, "events", wf, started_under, consume=consume)
    if parent_run is not None:
        document["parent_workflow_id"] = parent_run
    document["iterations"] = iterations
    for child in iterations:
        _add_child(document, child)
    return document
