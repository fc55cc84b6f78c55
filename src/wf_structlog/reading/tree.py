"""``wf-log tree``: workflow documents drawn as a ``rich`` tree.

Each node shows its status, duration, tokens (in→out), cost and errors. Failed scopes and
errors are red; a scope that never ended (``incomplete``), was ``abandoned``, or is missing
some of its events (``complete`` false) is marked in yellow. An interaction opened inside
another is drawn under it, and a workflow opened in a scope (a sub-workflow) inside that
scope, whole. Costs show three significant digits (``$0.0000194``); calls without a price
are marked ``unpriced``, never shown as ``$0``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Final

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text
from rich.tree import Tree

from .. import schema
from ..render.console import STATUS_STYLES, ConsoleRenderer, agent_style, default_columns, escape
from ..render.money import cost_label

__all__ = ["DEPTHS", "render_runs", "render_tree"]

DEPTHS: Final = {"workflow": 1, "iteration": 2, "interaction": 3, "action": 4}
"""``--depth`` of each kind of node: 1 shows workflows only, 4 (the default) everything."""

_ENTRY: Final = ConsoleRenderer(
    [c for c in default_columns(value_limit=80) if c.key in ("level", "event", "")]
)


def render_tree(
    documents: Iterable[Mapping[str, Any]],
    depth: int = DEPTHS["action"],
    agents: Collection[str] = (),
) -> Tree:
    """The tree of every document, under one root; a sub-workflow is drawn inside the scope
    that opened it.

    Args:
        documents: workflow documents (see ``document.schema.json``).
        depth: how deep to draw (see :data:`DEPTHS`).
        agents: draw only the interactions of these agents (default: all).
    """
    root = _root()
    for document in documents:
        _add_run(root, document, depth, agents)
    return root


def render_runs(
    documents: Iterable[Mapping[str, Any]],
    depth: int = DEPTHS["action"],
    agents: Collection[str] = (),
) -> Iterator[RenderableType]:
    """:func:`render_tree` a run at a time, as *documents* come (``wf-log tree`` on a stream):
    printed one after the other, the pieces draw the same tree, and only two runs are held.

    Args:
        documents: workflow documents.
        depth: how deep to draw (see :data:`DEPTHS`).
        agents: draw only the interactions of these agents (default: all).
    """
    yield _root()
    before: Mapping[str, Any] | None = None
    for document in documents:
        if before is not None:
            yield _Branch(before, depth, agents, last=False)
        before = document
    if before is not None:
        yield _Branch(before, depth, agents, last=True)


def _root() -> Tree:
    return Tree(Text("runs", style="dim"), guide_style="dim")


class _Branch:
    """One run's lines of the whole tree: the root's line left out, and for a run that is not
    the last, drawn above a placeholder sibling (left out too) so that its guides go on."""

    def __init__(
        self, document: Mapping[str, Any], depth: int, agents: Collection[str], last: bool
    ) -> None:
        self._tree = _root()
        _add_run(self._tree, document, depth, agents)
        if not last:
            self._tree.add("")
        self._last = last

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self._tree, options, pad=False, new_lines=True)
        for line in lines[1 : None if self._last else -1]:
            yield from line


def _add_run(
    parent: Tree, document: Mapping[str, Any], depth: int, agents: Collection[str]
) -> None:
    name = f"workflow {escape(str(document['name']))} {escape(str(document['id']))[:8]}"
    label = _label(name, "bold", document)
    if document.get("parent_missing"):
        label.append("  ⚠ parent run not in the input", style="yellow")
    workflow = parent.add(label)
    if depth >= DEPTHS["action"]:
        _add_entries(workflow, document, document["events"])
    _add_runs(workflow, document, depth, agents)
    if depth < DEPTHS["iteration"]:
        return
    for iteration in document["iterations"]:
        number = escape(str(iteration["number"]))
        node = workflow.add(_label(f"iteration {number}", "bold", iteration))
        if depth >= DEPTHS["action"]:
            _add_entries(node, iteration, iteration["events"])
        _add_runs(node, iteration, depth, agents)
        if depth >= DEPTHS["interaction"]:
            _add_interactions(node, iteration["interactions"], depth, agents)


def _add_runs(node: Tree, scope: Mapping[str, Any], depth: int, agents: Collection[str]) -> None:
    """The workflows opened in *scope*, each a whole run."""
    for run in scope.get("workflows", ()):
        _add_run(node, run, depth, agents)


def _add_interactions(
    parent: Tree, interactions: list[dict[str, Any]], depth: int, agents: Collection[str]
) -> None:
    ids = {interaction["id"] for interaction in interactions}
    children: dict[Any, list[dict[str, Any]]] = {}
    for interaction in interactions:
        outer = interaction.get("parent_interaction_id")
        children.setdefault(outer if outer in ids else None, []).append(interaction)
    drawn: set[Any] = set()

    def add(under: Tree, interaction: dict[str, Any]) -> None:
        drawn.add(interaction["id"])
        if not agents or interaction["agent"] in agents:
            agent = escape(str(interaction["agent"]))
            label = _label(agent, f"bold {agent_style(agent)}", interaction)
            if "cyclic_parent" in interaction:
                label.append("  ⚠ parents loop", style="yellow")
            under = under.add(label)
            if depth >= DEPTHS["action"]:
                _add_entries(under, interaction, interaction["actions"])
            _add_runs(under, interaction, depth, agents)
        for child in children.get(interaction["id"], []):
            if child["id"] not in drawn:
                add(under, child)

    for interaction in children.get(None, []):
        add(parent, interaction)
    for interaction in interactions:  # on a loop of parents no reducer cut (a foreign file)
        if interaction["id"] not in drawn:
            add(parent, interaction)


def _add_entries(node: Tree, scope: Mapping[str, Any], entries: list[dict[str, Any]]) -> None:
    """The scope's events and errors, in time order; errors marked and red."""
    errors = [(entry, True) for entry in scope["errors"]]
    for entry, failed in sorted(
        [*((entry, False) for entry in entries), *errors],
        key=lambda pair: str(pair[0].get("timestamp", "")),
    ):
        exception = entry.get("exception")
        line = _ENTRY(None, "", {k: v for k, v in entry.items() if k != "exception"})
        if failed:
            line = Text("✖ ", style="bold red").append_text(line)
            if isinstance(exception, dict):
                line.append(
                    f"  {escape(str(exception.get('type')))}: "
                    f"{escape(str(exception.get('message')))}",
                    style="red",
                )
        line.no_wrap, line.overflow = True, "ellipsis"  # one line per entry, as in a tree
        node.add(line)


def _label(name: str, style: str, scope: Mapping[str, Any]) -> Text:
    status = str(scope["status"])
    text = Text(name, style=style)
    text.append(" ")
    text.append(escape(status), style=STATUS_STYLES.get(status, "bold yellow"))
    if _number(scope["duration_ms"]):
        text.append(f" {_duration(scope['duration_ms'])}", style="dim")
    if not scope["complete"] and status != schema.STATUS_INCOMPLETE:
        text.append(" ⚠ events missing", style="yellow")
    usage = scope["usage"]
    if usage["calls"]:
        text.append(f"  {usage['input_tokens']:,}→{usage['output_tokens']:,} tok", style="cyan")
    cost = cost_label(usage)
    if cost:
        text.append(f"  {cost}", style="cyan")
    total = usage.get("total")
    if total is not None:
        text.append(
            f"  (with sub-runs: {total['input_tokens']:,}→{total['output_tokens']:,} tok"
            + (f", {cost_label(total)})" if cost_label(total) else ")"),
            style="dim cyan",
        )
    if scope["error_count"]:
        errors = scope["error_count"]
        text.append(f"  ✖ {errors:,} error{'' if errors == 1 else 's'}", style="bold red")
    return text


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _duration(ms: float) -> str:
    return f"{ms:.1f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"
