"""``wf-log view``: events printed as the dev console prints them, filtered.

The lines come from :class:`~wf_structlog.render.console.ConsoleRenderer` and are printed
through :func:`~wf_structlog.render.terminal.terminal_console`, so prompts are shown as the
console shows them: ``rich`` markup literally, control characters escaped, in every field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Final

from rich.text import Text

from .. import schema
from ..render.console import Column, ConsoleRenderer, default_columns
from ..render.plain import PlainLines
from ..render.terminal import terminal_console
from ..schema import LEVELS
from ..typing import EventDict
from . import ordered
from ._collector import paused
from .sources import Logs

__all__ = ["EventFilter", "filter_from", "parse_since", "view", "view_sources"]

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RELATIVE: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_since(text: str, now: datetime | None = None) -> str:
    """The timestamp, as events write it, that ``--since`` *text* means.

    Args:
        text: an ISO-8601 time (UTC unless it says otherwise), or a duration back from now
            such as ``90s``, ``10m``, ``2h``, ``1d``.
        now: the current time (default: now).

    Raises:
        ValueError: *text* is neither.
    """
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        seconds = float(relative[1]) * _UNITS[relative[2]]
        when = (now or datetime.now(UTC)) - timedelta(seconds=seconds)
    else:
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{text!r} is not a time: give a duration back from now (90s, 10m, 2h, "
                "1d) or an ISO-8601 date or time (2025-06-01, 2025-06-01T14:30, "
                "2025-06-01T14:30:00+02:00)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class EventFilter:
    """Which events to show; every criterion given must hold.

    Args:
        agents: show only events of these agents.
        level: show only events at this level or above.
        workflow: show only events of workflows with this name, or whose run id starts so.
        since: show only events at or after this timestamp (see :func:`parse_since`).
        grep: show only events whose printed line matches this regular expression.
    """

    agents: frozenset[str] = frozenset()
    level: str | None = None
    workflow: str | None = None
    since: str | None = None
    grep: re.Pattern[str] | None = None

    def __call__(self, event: Mapping[str, Any], line: str) -> bool:
        if self.agents and event.get("agent") not in self.agents:
            return False
        if self.level is not None and LEVELS.get(event.get("level", ""), 0) < LEVELS[self.level]:
            return False
        if self.workflow is not None and not (
            event.get("workflow") == self.workflow
            or str(event.get("workflow_id", "")).startswith(self.workflow)
        ):
            return False
        if self.since is not None and str(event.get("timestamp", "")) < self.since:
            return False
        return self.grep is None or self.grep.search(line) is not None


def view(
    events: Iterable[EventDict],
    out: IO[str],
    keep: EventFilter | None = None,
    renderer: ConsoleRenderer | None = None,
) -> int:
    """Print the events that *keep* lets through; returns how many were printed.

    Args:
        events: event dicts, in the order to print them.
        out: where to print; colours only if it is a terminal.
        keep: which events to print (default: all).
        renderer: how to print an event (default: the dev console's).
    """
    keep = keep or EventFilter()
    nesting = _Nesting()
    renderer = renderer or ConsoleRenderer(nesting.columns(default_columns()))
    console = terminal_console(out, soft_wrap=True)
    if not console.is_terminal:
        return _view_plain(events, out, keep, renderer, nesting)
    shown = 0
    for event in events:
        nesting.learn(event)
        if keep.grep is None and not keep(event, ""):
            continue  # not rendered: a renderer remembers the tracebacks it has shown
        line = renderer(None, "", event)
        if keep.grep is not None and not keep(event, line.plain):
            continue
        console.print(line)
        shown += 1
    return shown


def _view_plain(
    events: Iterable[EventDict],
    out: IO[str],
    keep: EventFilter,
    renderer: ConsoleRenderer,
    nesting: _Nesting,
) -> int:
    """:func:`view` into a pipe or a file: no styles to write, so each line is made as a plain
    string (:meth:`ConsoleRenderer.plain`, without ``rich``), which escapes it as the console
    escapes it. Written one at a time, so that ``--follow`` shows each as it comes."""
    learn, plain, grep, write, shown = nesting.learn, renderer.plain, keep.grep, out.write, 0
    everything = keep == EventFilter()
    for event in events:  # once per event
        learn(event)
        if not everything and grep is None and not keep(event, ""):
            continue  # not rendered: a renderer remembers the tracebacks it has shown
        line = plain(event)
        if grep is not None and not keep(event, line):
            continue
        write(line + "\n")  # plain() has escaped it
        shown += 1
    return shown


def view_sources(
    files: Sequence[str], logs: Logs, out: IO[str], keep: EventFilter | None = None
) -> int:
    """:func:`view` of the events of *files*, read as :func:`.ordered.events` reads them;
    returns how many were printed.

    Into a pipe or a file with no filter, each event's line is made as soon as the event is
    read (:func:`.ordered.made_events`, :class:`~wf_structlog.render.plain.PlainLines`),
    then held for the time order, and the lines are written a batch at a time.

    Args:
        files: file paths; ``-`` reads standard input.
        logs: counts what is skipped and found.
        out: where to print; colours only if it is a terminal.
        keep: which events to print (default: all).

    Raises:
        OSError: a file cannot be read.
    """
    keep = keep or EventFilter()
    if keep != EventFilter() or terminal_console(out).is_terminal:
        return view(ordered.events(files, logs), out, keep)
    nesting = _Nesting()
    plain, placed = ConsoleRenderer(nesting.columns(default_columns())).plain, nesting.placed
    shown = 0
    with paused():  # what it holds has no cycles: the collector would only walk it again
        for batch in ordered.made_events(files, logs, _made_ahead(PlainLines())):
            lines = []
            for made in batch:  # once per event
                if isinstance(made, tuple):
                    line, cut, run, interaction, iteration = made
                    offset = placed(run, interaction, iteration)
                    lines.append(f"{line[:cut]}{'  ' * offset}{line[cut:]}" if offset else line)
                else:  # an event whose line depends on those before it
                    nesting.learn(made)
                    lines.append(plain(made))
            shown += len(lines)
            lines.append("")
            out.write("\n".join(lines))
    return shown


_Ahead = tuple[str, int, str | None, str | None, str | None]
"""An event's line made ahead: the line, where its tree column starts, and the ids of its
run, interaction and iteration (see :meth:`_Nesting.placed`)."""


def _made_ahead(lines: PlainLines) -> Callable[[EventDict, bool], _Ahead | EventDict]:
    """What :func:`view_sources` makes of an event as soon as it is read: its line, if that
    does not depend on the events before it, else the event itself."""
    split = lines.split

    def made(event: EventDict, clean: bool) -> _Ahead | EventDict:
        name = event.get("event")
        if name == "workflow.end" or (name == "workflow.start" and "parent_workflow_id" in event):
            return event  # it places its run in the tree, or ends what is known of it
        line = split(event, clean)
        run = event.get("workflow_id")
        interaction, iteration = event.get("interaction_id"), event.get("iteration_id")
        if line is None or not (run is None or type(run) is str):
            return event
        return (
            *line,
            run,
            interaction if isinstance(interaction, str) else None,
            iteration if isinstance(iteration, str) else None,
        )

    return made


class _Nesting:
    """How deep each run is nested in others, learnt from the events as they come, so that a
    sub-workflow's lines are indented under the interaction that opened it.

    What it knows of a run is forgotten once its ``workflow.end`` is learnt and drawn (at the
    next event learnt): memory is bounded by the runs open at once, not by the file. A
    sub-workflow's depth is learnt at its start, so one that outlives its parent stays
    indented; a line of a run that comes after its own end (out of time order) is indented as
    a run at the top.
    """

    def __init__(self) -> None:
        self._offsets: dict[Any, int] = {}
        """The depth of each nested run that has not ended, in runs around it."""
        self._scopes: dict[Any, int] = {}
        """The depth, runs around it included, of each iteration and interaction seen."""
        self._of_run: dict[Any, list[str]] = {}
        """The iterations and interactions in :attr:`_scopes` of each run, to forget at its
        end."""
        self._ended: Any = None
        """The run whose end was learnt last: forgotten at the next event learnt, once the
        end's own line, indented as its run, is made."""

    def learn(self, event: Mapping[str, Any]) -> None:
        if self._ended is not None:
            self._forget(self._ended)
            self._ended = None
        run, name = event.get("workflow_id"), event.get("event")
        if name == "workflow.start" and "parent_workflow_id" in event:
            opened_in = event.get(schema.PARENT_SCOPE_KEY)
            parent = self._offsets.get(event["parent_workflow_id"], 0) + 1
            self._offsets[run] = self._scopes.get(opened_in, parent)
        elif name == "workflow.end":
            self._ended = run
            return
        interaction, iteration = event.get("interaction_id"), event.get("iteration_id")
        self.placed(
            run,
            interaction if isinstance(interaction, str) else None,
            iteration if isinstance(iteration, str) else None,
        )

    def placed(self, run: Any, interaction: str | None, iteration: str | None) -> int:
        """Learn the scopes of an event that neither starts a nested run nor ends one; its
        run's offset."""
        offset = self._offsets.get(run, 0)
        scopes = self._scopes
        if interaction is not None and interaction not in scopes:
            scopes[interaction] = offset + 3
            self._of_run.setdefault(run, []).append(interaction)
        if iteration is not None and iteration not in scopes:
            scopes[iteration] = offset + 2
            self._of_run.setdefault(run, []).append(iteration)
        return offset

    def _forget(self, run: Any) -> None:
        scopes = self._scopes
        for scope in self._of_run.pop(run, ()):
            scopes.pop(scope, None)
        self._offsets.pop(run, None)

    def offset(self, event: Mapping[str, Any]) -> int:
        return self._offsets.get(event.get("workflow_id"), 0)

    def columns(self, columns: list[Column]) -> list[Column]:
        """*columns*, the event's tree column indented by the run's nesting."""

        def nested(column: Column) -> Column:
            def render(key: str, event: EventDict) -> Text | str:
                shown = column.formatter(key, event)
                indent = "  " * self.offset(event)
                if not shown or not indent:
                    return shown
                text = shown if isinstance(shown, Text) else Text(shown)
                return Text(indent).append_text(text)

            def plain(key: str, event: EventDict) -> str:
                shown = column.plain_text(key, event)
                return "  " * self.offset(event) + shown if shown else shown

            return Column(column.key, render, plain)

        return [nested(column) if column.key == "event" else column for column in columns]


def filter_from(
    agents: Sequence[str] = (),
    level: str | None = None,
    workflow: str | None = None,
    since: str | None = None,
    grep: str | None = None,
) -> EventFilter:
    """An :class:`EventFilter` from command-line text.

    Raises:
        ValueError: *since*, *level* or *grep* is malformed.
    """
    if level is not None and level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose from {', '.join(LEVELS)}")
    try:
        pattern = re.compile(grep) if grep is not None else None
    except re.error as exc:
        raise ValueError(f"bad --grep pattern: {exc}") from None
    return EventFilter(
        agents=frozenset(agents),
        level=level,
        workflow=workflow,
        since=parse_since(since) if since is not None else None,
        grep=pattern,
    )
