"""The runs a reducer holds (a node per scope, with the events kept for it) and the documents
built from them.

A document is built from its run's nodes alone: placement follows the ids the events carry,
never their order or timestamps. Scopes known only from their children's events are
rebuilt as placeholders.
"""

from __future__ import annotations

import collections
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from .. import schema
from ..cost import add_costs
from ._kept import Item, first_order, in_order, kept_value, order

Event = Mapping[str, Any]


class Node:
    __slots__ = (
        "aside",
        "aside_keys",
        "aside_values",
        "end",
        "id",
        "items",
        "kind",
        "observed",
        "start",
    )

    def __init__(self, kind: str, node_id: str) -> None:
        self.kind = kind
        self.id = node_id
        self.start: Event | None = None
        self.end: Event | None = None
        self.items: list[Item] = []
        self.aside: dict[str, Any] | None = None
        """The hierarchy keys of the last item, for the next one to share."""
        self.aside_keys: tuple[str, ...] = ()
        self.aside_values: tuple[Any, ...] = ()
        """The keys and values of :attr:`aside`, to compare in C."""
        self.observed = 0
        """Its items its end's ``children`` counts (those not ``attached``)."""

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


class Run:
    """The nodes of one run, and what it still lacks to be complete.

    A run is complete (:attr:`complete`) when every scope it holds has its start and its end,
    and each end's ``children`` equals the events and child scopes that arrived directly in
    it. Kept up to date as events arrive, one node looked at per scope event, none per
    ordinary event that arrives before its scope's end.
    """

    __slots__ = ("interactions", "iterations", "seen", "started_under", "unmet", "workflow")

    def __init__(self, run_id: str) -> None:
        self.workflow = Node("workflow", run_id)
        self.iterations: dict[str, Node] = {}
        self.interactions: dict[str, Node] = {}
        # The seqs seen, by pid: one set per process holds the events' own seq objects, where
        # a (pid, seq) tuple per event would cost memory and the collector's time.
        self.seen: collections.defaultdict[Any, set[Any]] = collections.defaultdict(set)
        self.started_under: Counter[Any] = Counter()
        """Scope starts (not ``attached``) by the span id they name as their parent."""
        self.unmet: set[Node] = {self.workflow}
        """The nodes not yet complete."""

    @property
    def complete(self) -> bool:
        """Whether every event of the run has arrived, as far as its counts tell."""
        return self.workflow.end is not None and not self.unmet

    def started(self, node: Node, event: Event) -> None:
        """*event* is the start of *node*: count it in the scope it names as its parent."""
        parent = event.get("parent_span_id")
        if parent is not None and not event.get("attached"):
            self.started_under[parent] += 1
            parent_node = self._by_span(parent)
            if parent_node is not None:
                self.update(parent_node)
        self.update(node)

    def update(self, node: Node) -> None:
        """Look again at whether *node* is complete."""
        start, end = node.start, node.end
        met = start is not None and end is not None
        if met:
            children = end.get("children")  # type: ignore[union-attr]
            if isinstance(children, int):
                span = node.id if node.kind != "workflow" else start.get("span_id")  # type: ignore[union-attr]
                met = node.observed + self.started_under.get(span, 0) == children
        if met:
            self.unmet.discard(node)
        else:
            self.unmet.add(node)

    def _by_span(self, span: Any) -> Node | None:
        node = self.interactions.get(span) or self.iterations.get(span)
        start = self.workflow.start
        if node is None and start is not None and start.get("span_id") == span:
            return self.workflow
        return node

    def scope(self, kind: str, event: Event) -> Node | None:
        if kind == "workflow":
            return self.workflow
        node_id = event.get(schema.SCOPE_ID_KEYS[kind])
        if not isinstance(node_id, str):
            return None
        return self.node(
            self.iterations if kind == "iteration" else self.interactions, kind, node_id
        )

    def node(self, nodes: dict[str, Node], kind: str, node_id: str) -> Node:
        node = nodes.get(node_id)
        if node is None:
            node = nodes[node_id] = Node(kind, node_id)
            self.unmet.add(node)
        return node


_NUMBERS = (int, float)
_EXACT_NUMBERS = frozenset(_NUMBERS)


def _number(value: Any) -> bool:
    # What JSON gives answers with one set look-up; subclasses (not bool) the long way.
    kind = type(value)
    return kind in _EXACT_NUMBERS or (isinstance(value, _NUMBERS) and kind is not bool)


_TOKEN_KEYS = schema.USAGE_KEYS
_USAGE_FIELDS = (*_TOKEN_KEYS, "cost", schema.USAGE_MISSING)
_ERROR_LEVELS = schema.ERROR_LEVELS


def _count_usage(usage: dict[str, Any], item: Event) -> None:
    """Add *item*'s tokens and cost to *usage*."""
    # Once per call logged: the exact types JSON gives are tried first, inline.
    counted = False
    for key in _TOKEN_KEYS:
        value = item.get(key)
        if value is not None and (type(value) in _EXACT_NUMBERS or _number(value)):
            usage[key] += value
            counted = True
    cost = item.get("cost")
    if cost is not None and (type(cost) in _EXACT_NUMBERS or _number(cost)):
        usage["cost"] = add_costs(usage.get("cost", 0), cost)
        usage["calls"] += 1
    elif counted or item.get(schema.USAGE_MISSING) is True:
        # tokens without a price, or a call that said no tokens: said, so that no reader
        # shows it as free
        usage["calls"] += 1
        usage[_UNPRICED] = usage.get(_UNPRICED, 0) + 1


def _add_child(total: dict[str, Any], child: Mapping[str, Any]) -> None:
    """Roll a child scope's usage and error count into its parent's."""
    total["error_count"] += child["error_count"]
    usage = total["usage"]
    for key, value in child["usage"].items():
        # Costs summed as the contract says (cost.sums): equal to the sum of the calls.
        usage[key] = (
            add_costs(usage.get(key, 0), value) if key == "cost" else usage.get(key, 0) + value
        )


_UNPRICED = schema.UNPRICED_CALLS


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
    node: Node,
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
        if consume:  # _shown inlined: the kept copy itself, without the interaction's agent
            if "agent" in kept and kept["agent"] == agent:
                del kept["agent"]
            shown = kept
        else:
            shown = _shown(kept, agent, consume)
        (errors if kept.get("level") in _ERROR_LEVELS else events).append(shown)
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
    doc["workflows"] = []


_ORPHANS = "0" * 16
"""Iteration id for interactions that name none (an all-zero span id is never issued)."""


def _iteration_of(node: Node) -> str:
    iteration_id = node.field("iteration_id")
    return iteration_id if isinstance(iteration_id, str) else _ORPHANS


def _hint(nodes: Iterable[Node], key: str, scope_key: str, scope_id: str) -> Any:
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


def build(run: Run, consume: bool = False) -> dict[str, Any]:
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

    by_iteration = _interactions_by_iteration(run, iteration_of, started_under, consume)
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
        opened_in = wf.field(schema.PARENT_SCOPE_KEY)
        if opened_in is not None:
            document[schema.PARENT_SCOPE_KEY] = opened_in
    document["iterations"] = iterations
    for child in iterations:
        _add_child(document, child)
    return document


def _interactions_by_iteration(
    run: Run, iteration_of: dict[str, str], started_under: Counter[Any], consume: bool
) -> dict[Any, list[dict[str, Any]]]:
    """The documents of the run's interactions, in order, under the id of their iteration."""
    by_iteration: dict[Any, list[dict[str, Any]]] = {}
    for node in sorted(run.interactions.values(), key=Node.first_key):
        agent = node.field("agent")
        doc: dict[str, Any] = {"id": node.id, "agent": agent, "input": node.field("input")}
        doc["output"] = (node.end or {}).get("output")
        parent = node.field("parent_span_id")
        iteration_id = iteration_of[node.id]
        _scope_part(doc, "actions", node, started_under, agent, consume)
        if parent is not None and parent != iteration_id:
            doc["parent_interaction_id"] = parent
        by_iteration.setdefault(iteration_id, []).append(doc)
    return by_iteration
