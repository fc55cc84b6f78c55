"""The dev console: one readable line per event, placed in the hierarchy, with ``rich``.

The renderer is a list of :class:`Column` objects, as in structlog's ``ConsoleRenderer``: each
column turns the event into a piece of :class:`rich.text.Text`, and a column that returns an
empty text is left out. Replace or remove one column without subclassing anything::

    columns = [c for c in default_columns() if c.name != "time"]
    ConsoleRenderer(columns=columns)

All text taken from the event is appended as plain text: ``rich`` markup in a prompt is shown
literally, and control characters (ANSI escapes, carriage returns) are shown escaped.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from rich.console import Console
from rich.text import Text

from .. import schema
from ..typing import EventDict
from .ndjson import to_json

AGENT_COLOURS: Final = (
    "cyan",
    "magenta",
    "green",
    "yellow",
    "bright_blue",
    "bright_magenta",
    "bright_cyan",
    "bright_green",
    "orange3",
    "deep_pink3",
    "spring_green3",
    "steel_blue1",
)

LEVEL_STYLES: Final = {
    "debug": "dim",
    "info": "green",
    "warning": "yellow",
    "error": "bold red",
    "critical": "bold white on red",
}

STATUS_STYLES: Final = {schema.STATUS_OK: "green", schema.STATUS_ERROR: "bold red"}

HIDDEN_KEYS: Final = schema.STAMP_KEYS | {
    "event",
    "timestamp",
    "level",
    "exception",
    "status",
    "duration_ms",
    "children",
}
"""Keys the other columns show, or that only machines need; not repeated as ``key=value``."""


def agent_style(agent: str) -> str:
    """The colour of *agent*: the same name always gets the same colour, in every process."""
    return AGENT_COLOURS[zlib.crc32(agent.encode("utf-8", "replace")) % len(AGENT_COLOURS)]


def escape(text: str) -> str:
    """*text* with control and other non-printable characters shown as escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


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


@dataclass(frozen=True)
class Column:
    """One part of a console line.

    Args:
        name: how users refer to the column.
        render: turns the event dict into text; an empty text omits the column.
    """

    name: str
    render: Callable[[EventDict], Text]


def _time(event: EventDict) -> Text:
    stamp = event.get("timestamp")
    if not isinstance(stamp, str) or len(stamp) < 23:
        return Text()
    return Text(stamp[11:23], style="dim")


def _level(event: EventDict) -> Text:
    level = str(event.get("level", ""))
    return Text(f"{escape(level):<8}", style=LEVEL_STYLES.get(level, ""))


def _depth(event: EventDict) -> int:
    depth = sum(key in event for key in ("workflow_id", "iteration_id", "interaction_id"))
    return depth - 1 if event.get("event") in schema.SCOPE_EVENTS else depth


def _scope_label(event: EventDict, kind: str) -> Text:
    if kind == "workflow":
        return Text(f"workflow {escape(str(event.get('workflow', '')))}", style="bold")
    if kind == "iteration":
        return Text(f"iteration {event.get('iteration', '')}", style="bold")
    agent = str(event.get("agent", ""))
    return Text(escape(agent), style=f"bold {agent_style(agent)}")


def _tree(event: EventDict) -> Text:
    """Indent by depth; scope starts show ``▶``, ends ``■``, actions their agent."""
    text = Text("  " * _depth(event))
    name = event.get("event")
    boundary = schema.SCOPE_EVENTS.get(name) if isinstance(name, str) else None
    if boundary is not None:
        kind, phase = boundary
        text.append("▶ " if phase == "start" else "■ ")
        text.append_text(_scope_label(event, kind))
        return text
    agent = event.get("agent")
    if isinstance(agent, str) and "interaction_id" in event:
        text.append(escape(agent), style=agent_style(agent))
        text.append(" ")
    text.append(escape(str(name)), style="bold")
    return text


def _outcome(event: EventDict) -> Text:
    status = event.get("status")
    if not isinstance(status, str):
        return Text()
    text = Text(escape(status), style=STATUS_STYLES.get(status, "yellow"))
    duration = event.get("duration_ms")
    if isinstance(duration, int | float):
        text.append(f" {duration:.1f}ms", style="dim")
    return text


def _fields(limit: int) -> Callable[[EventDict], Text]:
    def render(event: EventDict) -> Text:
        text = Text()
        for key, value in event.items():
            if key in HIDDEN_KEYS or (key == "agent" and "interaction_id" in event):
                continue
            if text:
                text.append(" ")
            text.append(f"{escape(str(key))}=", style="cyan")
            text.append(format_value(value, limit))
        return text

    return render


def default_columns(value_limit: int = 200) -> list[Column]:
    """The columns the dev preset uses: time, level, tree, outcome, fields.

    Args:
        value_limit: longest value shown, in characters; longer ones are cut with a count.
    """
    return [
        Column("time", _time),
        Column("level", _level),
        Column("tree", _tree),
        Column("outcome", _outcome),
        Column("fields", _fields(value_limit)),
    ]


class ConsoleRenderer:
    """Render an event as one :class:`rich.text.Text` line (plus a traceback, if any).

    Args:
        columns: the columns, left to right (default: :func:`default_columns`).
    """

    def __init__(self, columns: Sequence[Column] | None = None) -> None:
        self.columns = list(columns) if columns is not None else default_columns()

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> Text:
        line = Text()
        for column in self.columns:
            part = column.render(event_dict)
            if part:
                if line:
                    line.append(" ")
                line.append_text(part)
        exception = event_dict.get("exception")
        if isinstance(exception, dict) and isinstance(exception.get("traceback"), str):
            for tb_line in exception["traceback"].rstrip("\n").split("\n"):
                line.append("\n    ")
                line.append(escape(tb_line), style="red")
        return line


def make_console(stream: IO[str] | None) -> Console:
    """A ``rich`` console that prints rendered lines as they are: no markup, emoji or
    highlighting of its own (the text was escaped by the renderer already).

    Args:
        stream: where to print; ``None`` means whatever ``sys.stderr`` is at write time.
    """
    return Console(
        file=stream,
        stderr=stream is None,
        soft_wrap=True,
        markup=False,
        emoji=False,
        highlight=False,
    )
