"""``wf-log tree``: workflow documents drawn as a ``rich`` tree.

Each node shows its status, duration, tokens (in→out), cost and errors. Failed scopes and
errors are red; a scope that never ended (``incomplete``), was ``abandoned``, or is missing
some of its events (``complete`` false) is marked in yellow. An interaction opened inside
another is drawn under it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

from rich.text import Text
from rich.tree import Tree

from .. import schema
from ..render.console import STATUS_STYLES, ConsoleRenderer, agent_style, default_columns, escape

__all__ = ["DEPTHS", "render_tree"]

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
    """The tree of every document, under one root.

    Args:
        documents: workflow documents (see ``document.schema.json``).
        depth: how deep to draw (see :data:`DEPTHS`).
        agents: draw only the interactions of these agents (default: all).
    """
    root = Tree(Text("runs", style="dim"), guide_style="dim")
    for document in documents:
        name = f"workflow {escape(str(document['name']))} {escape(str(document['id']))[:8]}"
        workflow = root.add(_label(name, "bold", document))
        if depth >= DEPTHS["action"]:
            _add_entries(workflow, document, document["events"])
        if depth < DEPTHS["iteration"]:
            continue
        for iteration in document["iterations"]:
            number = escape(str(iteration["number"]))
            node = workflow.add(_label(f"iteration {number}", "bold", iteration))
            if depth >= DEPTHS["action"]:
                _add_entries(node, iteration, iteration["events"])
            if depth >= DEPTHS["interaction"]:
                _add_interactions(node, iteration["interactions"], depth, agents)
    return root


def _add_interactions(
    parent: Tree, interactions: list[dict[str, Any]], depth: int, agents: Collection[str]
) -> None:
    ids = {interaction["id"] for interaction in interactions}
    children: dict[Any, list[dict[str, Any]]] = {}
    for interaction in interactions:
        outer = interaction.get("parent_interaction_id")
        children.setdefault(outer if outer in ids else None, []).append(interaction)

    def add(under: Tree, interaction: dict[str, Any]) -> None:
        if not agents or interaction["agent"] in agents:
            agent = escape(str(interaction["agent"]))
            under = under.add(_label(agent, f"bold {agent_style(agent)}", interaction))
            if depth >= DEPTHS["action"]:
                _add_entries(under, interaction, interaction["actions"])
        for child in children.get(interaction["id"], []):
            add(under, child)

    for interaction in children.get(None, []):
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
    if scope["duration_ms"] is not None:
        text.append(f" {_duration(scope['duration_ms'])}", style="dim")
    if not scope["complete"] and status != schema.STATUS_INCOMPLETE:
        text.append(" ⚠ events missing", style="yellow")
    usage = scope["usage"]
    if usage["calls"]:
        text.append(f"  {usage['input_tokens']}→{usage['output_tokens']} tok", style="cyan")
    if "cost" in usage:
        text.append(f"  ${usage['cost']:.4f}", style="cyan")
    if scope["error_count"]:
        text.append(f"  ✖ {scope['error_count']} error(s)", style="bold red")
    return text


def _duration(ms: float) -> str:
    return f"{ms:.1f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"
