"""The dev console: one readable line per event, placed in the hierarchy, with ``rich``.

As in structlog's ``ConsoleRenderer``, the line is a list of :class:`Column` objects, each a
*key* and a *formatter*. A formatter returns the column's text (a ``str`` or a
:class:`rich.text.Text`); an empty text omits the column. The column with key ``""`` shows
every key no other column shows, as ``key=value``. Replace, drop or add a column without
subclassing anything::

    columns = [c for c in default_columns() if c.key != "timestamp"]
    columns.insert(3, Column("model", KeyValueFormatter(value_style="magenta")))
    ConsoleRenderer(columns=columns)  # "model" now has its own column, not repeated after

Unlike structlog's, a formatter is called with the key and the whole event dict, not the
key's value: a line's parts depend on several keys (the tree column indents by the scope ids).

All text taken from the event is escaped (see :mod:`wf_structlog.render.terminal`) and
appended as plain text: ``rich`` markup in a prompt is shown literally.

An exception is shown once, where it was first shown: its traceback follows that line, and
the end lines of the scopes it escaped through name it in one line (``ValueError: boom
(raised in interaction researcher)``). Exceptions are told apart by the ``id`` that
:func:`~wf_structlog._runtime.exceptions.describe_exception` gives them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from rich.text import Text

from .. import schema
from ..typing import EventDict
from .colours import AGENT_COLOURS, AgentColours, agent_style
from .terminal import escape
from .values import format_value

__all__ = [
    "AGENT_COLOURS",
    "AgentColours",
    "Column",
    "ColumnFormatter",
    "ConsoleRenderer",
    "KeyValueFormatter",
    "PlainFormatter",
    "agent_style",
    "default_columns",
    "escape",
    "format_value",
]

LEVEL_STYLES: Final = {
    "debug": "dim",
    "info": "green",
    "warning": "yellow",
    "error": "bold red",
    "critical": "bold white on red",
}

STATUS_STYLES: Final = {schema.STATUS_OK: "green", schema.STATUS_ERROR: "bold red"}
"""Colours of the statuses; any other status (abandoned, incomplete, ...) is yellow."""

HIDDEN_KEYS: Final = schema.STAMP_KEYS | {"event", "timestamp", "level", "duration_ms", "children"}
"""Keys never shown as ``key=value``: the default columns show them in their own way (or
drop them, as a line without its time column does), or only machines need them."""

_REMEMBERED: Final = 1024
"""How many shown exceptions a console remembers."""


ColumnFormatter = Callable[[str, EventDict], Text | str]
"""Turns ``(key, event_dict)`` into a column's text; an empty text omits the column."""

PlainFormatter = Callable[[str, EventDict], str]
"""A formatter's text without styles, for output that is not a terminal; not yet escaped (the
renderer escapes the whole line at once)."""


@dataclass(frozen=True)
class Column:
    """One part of a console line.

    Args:
        key: the event key the column shows, which the ``""`` column then leaves out; ``""``
            for the column of every key no other column shows.
        formatter: called with *key* and the event dict (for the ``""`` column: the keys left).
    """

    key: str
    formatter: ColumnFormatter
    plain: PlainFormatter | None = None
    """The same text as *formatter*, without styles and not yet escaped, made more cheaply
    (into a pipe or a file there are no styles to write); default: the text of *formatter*."""

    def plain_text(self, key: str, event: EventDict) -> str:
        """The column's text without styles, not yet escaped.

        Args:
            key: the column's key.
            event: the event dict (for the ``""`` column: the keys left).
        """
        if self.plain is not None:
            return self.plain(key, event)
        part = self.formatter(key, event)
        return part if isinstance(part, str) else part.plain


def _text(value: Any, style: str = "") -> Text:
    """Event data as plain text: escaped, never read as markup."""
    return Text(escape(value if isinstance(value, str) else str(value)), style=style)


@dataclass(frozen=True)
class KeyValueFormatter:
    """Shows the value of *key* as ``key=value`` (or the value alone); nothing if absent.

    Args:
        key_style: the style of ``key=``.
        value_style: the style of the value.
        show_key: write ``key=`` before the value.
        limit: longest value shown, in characters; longer ones are cut with a count.
    """

    key_style: str = "cyan"
    value_style: str = ""
    show_key: bool = True
    limit: int = 200

    def __call__(self, key: str, event: EventDict) -> Text:
        if key not in event:
            return Text()
        text = _text(f"{key}=", self.key_style) if self.show_key else Text()
        text.append(format_value(event[key], self.limit), style=self.value_style)
        return text

    def plain(self, key: str, event: EventDict) -> str:
        """What :meth:`__call__` shows, as a string without styles (see :data:`PlainFormatter`)."""
        if key not in event:
            return ""
        value = format_value(event[key], self.limit)
        return f"{key}={value}" if self.show_key else value


def _time_plain(key: str, event: EventDict) -> str:
    stamp = event.get(key)
    if not isinstance(stamp, str) or len(stamp) < 23:
        return ""
    return stamp[11:23]


def _time(key: str, event: EventDict) -> Text:
    return Text(_time_plain(key, event), style="dim")


def _level_plain(key: str, event: EventDict) -> str:
    return f"{escape(str(event.get(key, ''))):<8}"  # escaped before it is padded


def _level(key: str, event: EventDict) -> Text:
    return Text(_level_plain(key, event), style=LEVEL_STYLES.get(str(event.get(key, "")), ""))


def _depth(event: EventDict) -> int:
    depth = ("workflow_id" in event) + ("iteration_id" in event) + ("interaction_id" in event)
    return depth - 1 if event.get("event") in schema.SCOPE_EVENTS else depth


def _boundary(event: EventDict) -> tuple[str, str] | None:
    """``(kind, phase)`` of a scope's start or end event, else ``None``."""
    name = event.get("event")
    return schema.SCOPE_EVENTS.get(name) if isinstance(name, str) else None


def _scope_name(kind: str, event: EventDict) -> str:
    """How a scope of *kind* is named on the console: ``workflow w``, ``iteration 2``,
    ``interaction planner`` (from the stamps of *event*, unescaped)."""
    key = {"workflow": "workflow", "iteration": "iteration"}.get(kind, "agent")
    return f"{kind} {event.get(key, '')}"


def _outcome(key: str, event: EventDict) -> Text:
    status = event.get(key)
    if not isinstance(status, str):
        return Text()
    text = _text(status, STATUS_STYLES.get(status, "yellow"))
    duration = event.get("duration_ms")
    if isinstance(duration, int | float):
        text.append(f" {duration:.1f}ms", style="dim")
    return text


def _outcome_plain(key: str, event: EventDict) -> str:
    status = event.get(key)
    if not isinstance(status, str):
        return ""
    duration = event.get("duration_ms")
    if isinstance(duration, int | float):
        return f"{status} {duration:.1f}ms"
    return status


def _tree(key: str, event: EventDict) -> Text:
    """Indent by depth; scope starts show ``▶``, ends ``■``, actions their agent."""
    text = Text("  " * _depth(event))
    agent = event.get("agent")
    boundary = _boundary(event)
    if boundary is not None:
        kind, phase = boundary
        text.append("▶ " if phase == "start" else "■ ")
        if kind != "interaction":
            return text.append_text(_text(_scope_name(kind, event), "bold"))
        agent = str(agent)
        return text.append_text(_text(agent, f"bold {agent_style(agent)}"))
    if isinstance(agent, str) and "interaction_id" in event:
        text.append_text(_text(agent, agent_style(agent)))
        text.append(" ")
    return text.append_text(_text(event.get(key), "bold"))


def _tree_plain(key: str, event: EventDict) -> str:
    """What :func:`_tree` shows, without styles."""
    indent = "  " * _depth(event)
    agent = event.get("agent")
    boundary = _boundary(event)
    if boundary is not None:
        kind, phase = boundary
        name = _scope_name(kind, event) if kind != "interaction" else str(agent)
        return f"{indent}{'▶' if phase == 'start' else '■'} {name}"
    if isinstance(agent, str) and "interaction_id" in event:
        indent = f"{indent}{agent} "
    value = event.get(key)
    return indent + (value if isinstance(value, str) else str(value))


@dataclass(frozen=True)
class _Fields:
    """Every key it is given, as ``key=value``, in the event's order."""

    pair: KeyValueFormatter

    def __call__(self, key: str, event: EventDict) -> Text:
        return Text(" ").join(self.pair(name, event) for name in event)

    def plain(self, key: str, event: EventDict) -> str:
        pair = self.pair
        if not pair.show_key:
            return " ".join([format_value(value, pair.limit) for value in event.values()])
        limit = pair.limit
        return " ".join([f"{k}={format_value(v, limit)}" for k, v in event.items()])


@dataclass(frozen=True)
class _Cost:
    """``cost=...``; ``unpriced`` for a call that logged tokens but no cost (never $0)."""

    pair: KeyValueFormatter

    def __call__(self, key: str, event: EventDict) -> Text:
        if key in event:
            return self.pair(key, event)
        if any(_is_count(event.get(name)) for name in schema.USAGE_KEYS):
            return Text("unpriced", style="yellow")
        return Text()

    def plain(self, key: str, event: EventDict) -> str:
        if key in event:
            return self.pair.plain(key, event)
        return "unpriced" if any(_is_count(event.get(n)) for n in schema.USAGE_KEYS) else ""


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def default_columns(value_limit: int = 200) -> list[Column]:
    """The columns the dev preset uses: time, level, the event in its tree, status, the rest,
    then the cost (``unpriced`` for a call that logged tokens but no cost).

    Their keys: ``timestamp``, ``level``, ``event``, ``status``, ``""`` and ``cost``.

    Args:
        value_limit: longest value shown, in characters; longer ones are cut with a count.
    """
    fields = _Fields(KeyValueFormatter(limit=value_limit))
    cost = _Cost(KeyValueFormatter(limit=value_limit))
    return [
        Column("timestamp", _time, _time_plain),
        Column("level", _level, _level_plain),
        Column("event", _tree, _tree_plain),
        Column("status", _outcome, _outcome_plain),
        Column("", fields, fields.plain),
        Column("cost", cost, cost.plain),
    ]


def _described(exception: Any) -> TypeGuard[dict[str, Any]]:
    """Whether *exception* is an ``exception`` as the processors describe it, with a traceback."""
    return isinstance(exception, dict) and isinstance(exception.get("traceback"), str)


def _place(event: EventDict) -> str:
    """Where *event* happened, as the one-line mention of an exception names it."""
    boundary = _boundary(event)
    if boundary is not None:
        return _scope_name(boundary[0], event)
    for kind in reversed(schema.SCOPE_KINDS):  # the innermost scope the event is in
        if schema.SCOPE_ID_KEYS[kind] in event:
            return f"{event.get('event')}, {_scope_name(kind, event)}"
    return str(event.get("event"))


def _plain_of(column: Column) -> PlainFormatter:
    """The cheapest way to the plain text of *column*: its own, its formatter's, or the text."""
    if column.plain is not None:
        return column.plain
    if isinstance(column.formatter, KeyValueFormatter):
        return column.formatter.plain
    return column.plain_text


class ConsoleRenderer:
    """Render an event as one :class:`rich.text.Text` line (plus a traceback, if any).

    A renderer remembers the exceptions it has shown (the last 1024), to show each traceback
    once: render the events of one console, in order, with one renderer.

    Args:
        columns: the columns, left to right (default: :func:`default_columns`).
    """

    def __init__(self, columns: Sequence[Column] | None = None) -> None:
        self.columns: Final = tuple(columns) if columns is not None else tuple(default_columns())
        self._keys = frozenset(column.key for column in self.columns)
        self._hidden = self._keys | HIDDEN_KEYS
        self._plain = tuple((column.key, _plain_of(column)) for column in self.columns)
        self._shown: dict[str, str] = {}

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> Text:
        line = Text()
        rest: EventDict | None = None
        for column in self.columns:
            if column.key:
                part = column.formatter(column.key, event_dict)
            else:
                rest = self._rest(event_dict) if rest is None else rest
                part = column.formatter("", rest)
            if part:
                if line:
                    line.append(" ")
                line.append_text(_text(part) if isinstance(part, str) else part)
        for separator, text, style in self._exception(event_dict):
            line.append(separator)
            line.append_text(_text(text, style))
        return line

    def plain(self, event_dict: EventDict) -> str:
        """The line :meth:`__call__` renders, as a string without styles, made without
        ``rich`` where the columns have plain formatters (see :attr:`Column.plain`), for
        output that is not a terminal. Escaped as the styled line is, but the whole line at
        once (one ``isprintable`` for the usual line), the traceback's lines each on its own.

        Args:
            event_dict: the event.
        """
        parts = []
        rest: EventDict | None = None
        for key, plain in self._plain:  # once per column of every event
            if key:
                part = plain(key, event_dict)
            else:
                rest = self._rest(event_dict) if rest is None else rest
                part = plain("", rest)
            if part:
                parts.append(part)
        # escape() works character by character: escaping the joined parts is escaping each.
        line = escape(" ".join(parts))
        if "exception" in event_dict:
            for separator, text, _ in self._exception(event_dict):
                line = f"{line}{separator}{escape(text)}"
        return line

    def _rest(self, event: EventDict) -> EventDict:
        """The keys of *event* no column shows in its own way."""
        hidden = self._hidden
        in_interaction = "interaction_id" in event  # the tree column shows the agent there
        return {
            key: value
            for key, value in event.items()
            if key not in hidden
            and not (key == "agent" and in_interaction)
            and not (key == "exception" and _described(value))
        }

    def _exception(self, event: EventDict) -> list[tuple[str, str, str]]:
        """What the line shows of *event*'s exception, as ``(separator, text, style)``: the
        traceback the first time, a mention of where it was shown after that."""
        exception = event.get("exception")
        if not _described(exception):
            return []
        ident = exception.get("id")
        place = self._shown.get(ident) if isinstance(ident, str) else None
        if place is not None:
            summary = f"{exception.get('type')}: {exception.get('message')} (raised in {place})"
            return [("  ", summary, "red")]
        if isinstance(ident, str):
            self._remember(ident, _place(event))
        tb_lines = exception["traceback"].rstrip("\n").split("\n")
        return [("\n    ", tb_line, "red") for tb_line in tb_lines]

    def _remember(self, ident: str, place: str) -> None:
        shown = self._shown
        if len(shown) >= _REMEMBERED:
            # Another thread may be doing the same: forgetting one more is harmless.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del shown[next(iter(shown))]
        shown[ident] = place
