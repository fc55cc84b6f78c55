"""``wf-log tree``: workflow documents drawn as a ``rich`` tree.

Each node shows its status, duration, tokens (in→out), cost and errors. Failed scopes and
errors are red; a scope that never ended (``incomplete``), was ``abandoned``, or is missing
some of its events (``complete`` false) is marked in yellow. An interaction opened inside
another is drawn under it, and a workflow opened in a scope (a sub-workflow) inside that
scope, whole. Costs show three significant digits (``$0.0000194``); calls without a price
are marked ``unpriced``, never shown as ``$0``.

Into a pipe or a file there are no styles to write: :func:`plain_runs` lays the same tree out
as plain lines, without ``rich`` (its console costs far more than the reducer on a large
file), and leaves long lines whole where a terminal's tree cuts them to its width.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any, Final, Protocol

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text
from rich.tree import Tree

from .. import schema
from ..render.console import STATUS_STYLES, ConsoleRenderer, agent_style, default_columns, escape
from ..render.money import cost_label

__all__ = ["DEPTHS", "plain_runs", "render_runs", "render_tree"]

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
    draw = _Draw(_Styled(), depth, agents)
    for document in documents:
        draw.run(root, document)
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
    draw = _Draw(_Styled(), depth, agents)
    for document, last in _with_last(documents):
        yield _Branch(draw, document, last)


def plain_runs(
    documents: Iterable[Mapping[str, Any]],
    depth: int = DEPTHS["action"],
    agents: Collection[str] = (),
) -> Iterator[str]:
    """:func:`render_runs` as plain text, for a pipe or a file: the same lines without styles
    (text from the log escaped as the console escapes it), a run at a time, each piece whole
    lines ending in a line break.

    Args:
        documents: workflow documents.
        depth: how deep to draw (see :data:`DEPTHS`).
        agents: draw only the interactions of these agents (default: all).
    """
    yield "runs\n"
    draw = _Draw(_Plain(), depth, agents)
    for document, last in _with_last(documents):
        run = _PlainNode("")
        draw.run(run, document)
        lines: list[str] = []
        run.children[0].lay_out(lines, "", last)
        yield "\n".join(lines) + "\n"


def _with_last(documents: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], bool]]:
    """Each document and whether it is the last, holding one back."""
    before: Mapping[str, Any] | None = None
    for document in documents:
        if before is not None:
            yield before, False
        before = document
    if before is not None:
        yield before, True


def _root() -> Tree:
    return Tree(Text("runs", style="dim"), guide_style="dim")


_Pieces = list[tuple[str, str]]
"""A label as ``(text, style)`` pieces, the text escaped."""


class _Node(Protocol):
    """A node of a tree being drawn: a ``rich`` :class:`~rich.tree.Tree` or a
    :class:`_PlainNode`."""

    def add(self, label: Text | str) -> _Node: ...


class _Labels(Protocol):
    """How the labels of a tree are made: styled (:class:`_Styled`) or plain (:class:`_Plain`)."""

    def label(self, pieces: _Pieces) -> Text | str: ...

    def entry(self, entry: dict[str, Any], before: _Pieces, after: _Pieces) -> Text | str: ...


class _Styled:
    """Labels as ``rich`` text, for a terminal."""

    def label(self, pieces: _Pieces) -> Text:
        return Text.assemble(*pieces)

    def entry(self, entry: dict[str, Any], before: _Pieces, after: _Pieces) -> Text:
        line = Text.assemble(*before).append_text(_ENTRY(None, "", entry))
        line.append_text(Text.assemble(*after))
        line.no_wrap, line.overflow = True, "ellipsis"  # one line per entry, as in a tree
        return line


class _Plain:
    """Labels as strings, without ``rich``: for a pipe or a file."""

    def label(self, pieces: _Pieces) -> str:
        return "".join([text for text, _ in pieces])

    def entry(self, entry: dict[str, Any], before: _Pieces, after: _Pieces) -> str:
        line = _ENTRY.plain(entry)  # escaped, and one line: the traceback is not in *entry*
        if not before:
            return line
        return self.label(before) + line + self.label(after)


class _PlainNode:
    """A node of a tree laid out as plain lines, with the guides ``rich`` draws."""

    __slots__ = ("children", "label")

    def __init__(self, label: str) -> None:
        self.label = label
        self.children: list[_PlainNode] = []

    def add(self, label: Text | str) -> _PlainNode:
        child = _PlainNode(label if isinstance(label, str) else label.plain)
        self.children.append(child)
        return child

    def lay_out(self, lines: list[str], prefix: str, last: bool) -> None:
        """Append the node's lines to *lines*, under guides *prefix*."""
        lines.append(f"{prefix}{'└── ' if last else '├── '}{self.label}")
        inner = prefix + ("    " if last else "│   ")
        final = len(self.children) - 1
        for number, child in enumerate(self.children):
            child.lay_out(lines, inner, number == final)


class _Branch:
    """One run's lines of the whole tree: the root's line left out, and for a run that is not
    the last, drawn above a placeholder sibling (left out too) so that its guides go on."""

    def __init__(self, draw: _Draw, document: Mapping[str, Any], last: bool) -> None:
        self._tree = _root()
        draw.run(self._tree, document)
        if not last:
            self._tree.add("")
        self._last = last

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self._tree, options, pad=False, new_lines=True)
        for line in lines[1 : None if self._last else -1]:
            yield from line


class _Draw:
    """Adds runs to a tree, to *depth*, with the interactions of *agents* (default: all)."""

    def __init__(self, labels: _Labels, depth: int, agents: Collection[str]) -> None:
        self._labels, self._depth, self._agents = labels, depth, agents

    def run(self, parent: _Node, document: Mapping[str, Any]) -> None:
        """Add the workflow *document*, whole, under *parent*."""
        depth = self._depth
        name = f"workflow {escape(str(document['name']))} {escape(str(document['id']))[:8]}"
        pieces = _label(name, "bold", document)
        if document.get("parent_missing"):
            pieces.append(("  ⚠ parent run not in the input", "yellow"))
        workflow = parent.add(self._labels.label(pieces))
        if depth >= DEPTHS["action"]:
            self._entries(workflow, document, document["events"])
        self._runs(workflow, document)
        if depth < DEPTHS["iteration"]:
            return
        for iteration in document["iterations"]:
            number = escape(str(iteration["number"]))
            node = workflow.add(
                self._labels.label(_label(f"iteration {number}", "bold", iteration))
            )
            if depth >= DEPTHS["action"]:
                self._entries(node, iteration, iteration["events"])
            self._runs(node, iteration)
            if depth >= DEPTHS["interaction"]:
                self._interactions(node, iteration["interactions"])

    def _runs(self, node: _Node, scope: Mapping[str, Any]) -> None:
        """The workflows opened in *scope*, each a whole run."""
        for run in scope.get("workflows", ()):
            self.run(node, run)

    def _interactions(self, parent: _Node, interactions: list[dict[str, Any]]) -> None:
        ids = {interaction["id"] for interaction in interactions}
        children: dict[Any, list[dict[str, Any]]] = {}
        for interaction in interactions:
            outer = interaction.get("parent_interaction_id")
            children.setdefault(outer if outer in ids else None, []).append(interaction)
        drawn: set[Any] = set()
        agents = self._agents

        def add(under: _Node, interaction: dict[str, Any]) -> None:
            drawn.add(interaction["id"])
            if not agents or interaction["agent"] in agents:
                agent = escape(str(interaction["agent"]))
                pieces = _label(agent, f"bold {agent_style(agent)}", interaction)
                if "cyclic_parent" in interaction:
                    pieces.append(("  ⚠ parents loop", "yellow"))
                under = under.add(self._labels.label(pieces))
                if self._depth >= DEPTHS["action"]:
                    self._entries(under, interaction, interaction["actions"])
                self._runs(under, interaction)
            for child in children.get(interaction["id"], []):
                if child["id"] not in drawn:
                    add(under, child)

        for interaction in children.get(None, []):
            add(parent, interaction)
        for interaction in interactions:  # on a loop of parents no reducer cut (a foreign file)
            if interaction["id"] not in drawn:
                add(parent, interaction)

    def _entries(
        self, node: _Node, scope: Mapping[str, Any], entries: list[dict[str, Any]]
    ) -> None:
        """The scope's events and errors, in time order; errors marked and red."""
        errors = [(entry, True) for entry in scope["errors"]]
        entry_of = self._labels.entry
        for entry, failed in sorted(
            [*((entry, False) for entry in entries), *errors],
            key=lambda pair: str(pair[0].get("timestamp", "")),
        ):  # once per event of the run
            shown = {k: v for k, v in entry.items() if k != "exception"}
            if not failed:
                node.add(entry_of(shown, [], []))
                continue
            exception = entry.get("exception")
            after: _Pieces = []
            if isinstance(exception, dict):
                kind, message = (
                    escape(str(exception.get("type"))),
                    escape(str(exception.get("message"))),
                )
                after.append((f"  {kind}: {message}", "red"))
            node.add(entry_of(shown, [("✖ ", "bold red")], after))


def _label(name: str, style: str, scope: Mapping[str, Any]) -> _Pieces:
    status = str(scope["status"])
    pieces = [(name, style), (" ", ""), (escape(status), STATUS_STYLES.get(status, "bold yellow"))]
    if _number(scope["duration_ms"]):
        pieces.append((f" {_duration(scope['duration_ms'])}", "dim"))
    if not scope["complete"] and status != schema.STATUS_INCOMPLETE:
        pieces.append((" ⚠ events missing", "yellow"))
    usage = scope["usage"]
    if usage["calls"]:
        pieces.append((f"  {usage['input_tokens']:,}→{usage['output_tokens']:,} tok", "cyan"))
    cost = cost_label(usage)
    if cost:
        pieces.append((f"  {cost}", "cyan"))
    total = usage.get("total")
    if total is not None:
        pieces.append(
            (
                f"  (with sub-runs: {total['input_tokens']:,}→{total['output_tokens']:,} tok"
                + (f", {cost_label(total)})" if cost_label(total) else ")"),
                "dim cyan",
            )
        )
    if scope["error_count"]:
        errors = scope["error_count"]
        pieces.append((f"  ✖ {errors:,} error{'' if errors == 1 else 's'}", "bold red"))
    return pieces


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _duration(ms: float) -> str:
    return f"{ms:.1f}ms" if ms < 1000 else f"{ms / 1000:.2f}s"
