"""The dev console's default line as a plain string, made in a few microseconds per event.

``ConsoleRenderer(default_columns()).plain(event)`` builds the line column by column, each a
formatter that looks up its keys and decides again what to leave out. Into a pipe,
``wf-log view`` makes that line for every event of a file: :class:`PlainLines` makes the same
string with the work that depends only on the event's keys (which keys the ``""`` column
shows, their ``key=`` prefixes, the depth in the tree, whether the cost column looks at token
counts) done once per set of keys, and the escaping done as one :meth:`str.isprintable` of the
few fields a value's formatting does not escape already. An event it cannot prove it makes the
same line for (an exception, a value of an unusual type, a key that needs escaping) is left to
the renderer: :meth:`PlainLines.split` returns ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from .. import schema
from ..typing import EventDict
from .console import HIDDEN_KEYS, default_columns, format_value
from .terminal import escape

__all__ = ["PlainLines"]

_MAX_PLANS: Final = 4096
"""Sets of keys remembered; past that the plans are forgotten and made again."""

_NOT_A_FIELD: Final = frozenset(column.key for column in default_columns()) | HIDDEN_KEYS
"""Keys the ``""`` column never shows: the other columns' own, and the hidden ones."""

_KIND_KEY: Final = {"workflow": "workflow", "iteration": "iteration"}
"""The key naming a scope of each kind on its boundary line (see ``_scope_name``)."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the line of an event with one set of keys takes from it."""

    fields: tuple[tuple[str, str], ...]
    """The keys the ``""`` column shows, each with its ``key=``, in the event's order."""
    depth: int
    """How many of the workflow, iteration and interaction ids it has: its depth in the tree."""
    interaction: bool
    """Whether it has an interaction id: the tree column then shows the agent."""
    cost: bool
    """Whether it has a cost."""
    usage: tuple[str, ...]
    """The token counts it has (without a cost they make the cost column ``unpriced``)."""


def _plan(keys: tuple[str, ...]) -> _Plan | None:
    """The plan for events with *keys*; ``None`` if the renderer must make their line."""
    if "exception" in keys or not all(type(key) is str and key.isprintable() for key in keys):
        return None  # a traceback is shown once per renderer; a key's escape is the renderer's
    interaction = "interaction_id" in keys
    fields = tuple(
        (key, f"{key}=")
        for key in keys
        if key not in _NOT_A_FIELD and not (key == "agent" and interaction)
    )
    return _Plan(
        fields=fields,
        depth=sum(key in keys for key in schema.SCOPE_ID_KEYS.values()),
        interaction=interaction,
        cost="cost" in keys,
        usage=tuple(key for key in schema.USAGE_KEYS if key in keys),
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class PlainLines:
    """Makes the line ``ConsoleRenderer(default_columns(limit)).plain(event)`` makes.

    Args:
        value_limit: longest value shown, in characters (as :func:`default_columns`).
    """

    def __init__(self, value_limit: int = 200) -> None:
        self._limit = value_limit
        self._plans: dict[tuple[str, ...], _Plan | None] = {}
        self._levels: dict[str, str] = {}

    def split(self, event: EventDict, clean: bool = False) -> tuple[str, int] | None:
        """The event's line, escaped, and where in it its tree column starts (a view indents a
        nested run's lines there); ``None`` for an event the renderer must make the line of.

        Args:
            event: the event.
            clean: every string in it is printable ASCII without a backslash or a double
                quote (see :func:`~wf_structlog.render.console.format_value`): nothing on
                the line needs escaping.
        """
        keys = tuple(event)
        try:
            plan = self._plans[keys]
        except KeyError:
            plan = self._learn(keys)
        if plan is None:
            return None
        tree = self._tree(event, plan)
        stamp, level, status = event.get("timestamp"), event.get("level", ""), event.get("status")
        if not tree or type(level) is not str or not (stamp is None or type(stamp) is str):
            return None  # the renderer leaves the tree column out, or decides what to show
        shown = self._levels.get(level) or self._level(level)
        head = f"{stamp[11:23]} {shown}" if stamp is not None and len(stamp) >= 23 else shown
        if type(status) is str:
            duration = event.get("duration_ms")
            if isinstance(duration, int | float):
                status = f"{status} {duration:.1f}ms"
            parts = [head, tree, status] if status else [head, tree]
        elif isinstance(status, str):
            return None
        else:
            status, parts = "", [head, tree]
        # The text to escape: the values of the "" and cost columns are escaped as they are
        # formatted, and their keys are printable (see _plan).
        raw = f"{head}{tree}{status}"
        limit = self._limit
        for key, prefix in plan.fields:  # once per shown key of every event
            parts.append(prefix + format_value(event[key], limit, clean=clean))
        if plan.cost:
            parts.append("cost=" + format_value(event["cost"], limit, clean=clean))
        elif plan.usage and any(_is_count(event[key]) for key in plan.usage):
            parts.append("unpriced")
        if clean or raw.isprintable():
            return " ".join(parts), len(head) + 1
        return escape(" ".join(parts)), len(escape(head)) + 1

    def _learn(self, keys: tuple[str, ...]) -> _Plan | None:
        plans = self._plans
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plan = plans[keys] = _plan(keys)
        return plan

    def _level(self, level: str) -> str:
        """The level column: escaped, then padded (as the renderer pads it); remembered."""
        shown = f"{escape(level):<8}"
        if len(self._levels) < 64:
            self._levels[level] = shown
        return shown

    @staticmethod
    def _tree(event: EventDict, plan: _Plan) -> str | None:
        """The tree column, not escaped; ``None`` where the renderer must make it."""
        name = event.get("event")
        if type(name) is not str:
            return None
        agent = event.get("agent")
        boundary = schema.SCOPE_EVENTS.get(name)
        if boundary is None:
            indent = "  " * plan.depth
            if isinstance(agent, str) and plan.interaction:
                return f"{indent}{agent} {name}"
            return indent + name
        kind, phase = boundary
        who = str(agent) if kind == "interaction" else f"{kind} {event.get(_KIND_KEY[kind], '')}"
        return f"{'  ' * (plan.depth - 1)}{'▶' if phase == 'start' else '■'} {who}"
