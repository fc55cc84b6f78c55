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
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from rich.text import Text

from .. import schema
from ..typing import EventDict
from .ndjson import to_json
from .terminal import escape

__all__ = [
    "AGENT_COLOURS",
    "AgentColours",
    "Column",
    "ColumnFormatter",
    "ConsoleRenderer",
    "KeyValueFormatter",
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

AGENT_COLOURS: Final = (
    "cyan",
    "magenta",
    "bright_blue",
    "orchid1",
    "dodger_blue1",
    "medium_purple1",
    "bright_cyan",
    "plum1",
    "steel_blue1",
    "bright_magenta",
    "slate_blue1",
    "light_sky_blue1",
)
"""Agents' colours: none is green, yellow or red, which say ok, abandoned and error."""

HIDDEN_KEYS: Final = schema.STAMP_KEYS | {"event", "timestamp", "level", "duration_ms", "children"}
"""Keys never shown as ``key=value``: the default columns show them in their own way (or
drop them, as a line without its time column does), or only machines need them."""

_REMEMBERED: Final = 1024
"""How many agents' colours, and shown exceptions, a console remembers."""


class AgentColours:
    """Gives agents distinct colours from *palette*, the same for a name wherever possible.

    A name gets the colour its CRC-32 picks (so the same in every process), unless an agent
    seen earlier holds it: then the next free one. Up to ``len(palette)`` agents are thus all
    coloured differently; past that, colours repeat.

    Args:
        palette: the colours to give (rich style names).
    """

    def __init__(self, palette: Sequence[str] = AGENT_COLOURS) -> None:
        self._palette = tuple(palette)
        self._given: dict[str, str] = {}

    def __call__(self, agent: str) -> str:
        """The colour of *agent*."""
        colour = self._given.get(agent)
        return colour if colour is not None else self._give(agent)

    def _give(self, agent: str) -> str:
        palette = self._palette
        first = zlib.crc32(agent.encode("utf-8", "replace")) % len(palette)
        taken = set(self._given.values())
        free = (palette[(first + n) % len(palette)] for n in range(len(palette)))
        colour = next((c for c in free if c not in taken), palette[first])
        # Two threads giving colours at once may both take one: a repeated colour, no more.
        if len(self._given) < _REMEMBERED:
            self._given[agent] = colour
        return colour


agent_style: Final = AgentColours()
"""The colours every console view of this process shares (the sink, ``view``, ``tree``)."""


def format_value(value: Any, limit: int) -> str:
    """A value as shown after ``key=``: short strings bare, others quoted, long ones cut."""
    if isinstance(value, str):
        shown = value if value.isprintable() and " " not in value and value else repr(value)
    elif isinstance(value, dict | list):
        shown = to_json(value).decode()
    else:
        shown = repr(value)
    shown = escape(shown)  # JSON keeps C1 controls and bidi overrides; repr() of objects may too
    if len(shown) > limit:
        shown = f"{shown[:limit]}…(+{len(shown) - limit} chars)"
    return shown


ColumnFormatter = Callable[[str, EventDict], Text | str]
"""Turns ``(key, event_dict)`` into a column's text; an empty text omits the column."""


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


def _time(key: str, event: EventDict) -> Text:
    stamp = event.get(key)
    if not isinstance(stamp, str) or len(stamp) < 23:
        return Text()
    return _text(stamp[11:23], "dim")


def _level(key: str, event: EventDict) -> Text:
    level = str(event.get(key, ""))
    return Text(f"{escape(level):<8}", style=LEVEL_STYLES.get(level, ""))


def _depth(event: EventDict) -> int:
    depth = sum(key in event for key in ("workflow_id", "iteration_id", "interaction_id"))
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


@dataclass(frozen=True)
class _Fields:
    """Every key it is given, as ``key=value``, in the event's order."""

    pair: KeyValueFormatter

    def __call__(self, key: str, event: EventDict) -> Text:
        return Text(" ").join(self.pair(name, event) for name in event)


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


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def default_columns(value_limit: int = 200) -> list[Column]:
    """The columns the dev preset uses: time, level, the event in its tree, status, the rest,
    then the cost (``unpriced`` for a call that logged tokens but no cost).

    Their keys: ``timestamp``, ``level``, ``event``, ``status``, ``""`` and ``cost``.

    Args:
        value_limit: longest value shown, in characters; longer ones are cut with a count.
    """
    return [
        Column("timestamp", _time),
        Column("level", _level),
        Column("event", _tree),
        Column("status", _outcome),
        Column("", _Fields(KeyValueFormatter(limit=value_limit))),
        Column("cost", _Cost(KeyValueFormatter(limit=value_limit))),
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
        self._add_exception(line, event_dict)
        return line

    def _rest(self, event: EventDict) -> EventDict:
        """The keys of *event* no column shows in its own way."""
        skipped = self._keys
        in_interaction = "interaction_id" in event  # the tree column shows the agent there
        return {
            key: value
            for key, value in event.items()
            if key not in skipped
            and key not in HIDDEN_KEYS
            and not (key == "agent" and in_interaction)
            and not (key == "exception" and _described(value))
        }

    def _add_exception(self, line: Text, event: EventDict) -> None:
        exception = event.get("exception")
        if not _described(exception):
            return
        ident = exception.get("id")
        place = self._shown.get(ident) if isinstance(ident, str) else None
        if place is not None:
            line.append("  ")
            summary = f"{exception.get('type')}: {exception.get('message')} (raised in {place})"
            line.append_text(_text(summary, "red"))
            return
        for tb_line in exception["traceback"].rstrip("\n").split("\n"):
            line.append("\n    ")
            line.append_text(_text(tb_line, "red"))
        if isinstance(ident, str):
            self._remember(ident, _place(event))

    def _remember(self, ident: str, place: str) -> None:
        shown = self._shown
        if len(shown) >= _REMEMBERED:
            # Another thread may be doing the same: forgetting one more is harmless.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del shown[next(iter(shown))]
        shown[ident] = place
