"""How the reducer keeps an event until its document is built.

Not the event itself: the copy its document shows (``event``, ``timestamp``, ``level`` first,
no hierarchy keys), made when the event arrives, so that the event can be freed at once and
the copy is made while the event is still in the CPU's cache. The hierarchy keys are set aside
(for scopes rebuilt as placeholders, which read them), shared by every event of a scope that
carries the same ones; so are the names events repeat (:data:`REPEATED`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from .. import schema

Event = Mapping[str, Any]

Order = tuple[Any, Any, Any]
"""``(timestamp, pid, seq)``: where an event stands in the stream."""

Item = tuple[Order, Any, dict[str, Any], dict[str, Any]]
"""An event as kept: ``(order, attached, aside, shown)``, *aside* being its hierarchy keys
and *shown* what its document shows (with ``agent``, dropped when the document is built if it
is the interaction's)."""

FIRST_KEYS = ("event", "timestamp", "level")
ASIDE_KEYS = schema.STAMP_KEYS - {"pid", "seq", "attached"}
"""Hierarchy keys placeholders read; ``pid``, ``seq`` and ``attached`` are in the item."""

_ORDER_KEYS = operator.itemgetter("timestamp", "pid", "seq")
_ORDER = operator.itemgetter(0)
"""The order of an item."""
_MAX_SHAPES = 4096
"""Shapes remembered at most: a program whose events all differ must not fill memory."""
REPEATED = ("event", "level", "agent", "model")
"""Keys whose string values are kept once for all the events that share them."""
_MAX_SAME = 4096
"""Such strings remembered at most (names that all differ must not fill memory)."""


def order(event: Event) -> tuple[str, int, int]:
    """Where *event* stands in the stream, with a default for each key missing or mistyped."""
    return _checked(event.get("timestamp"), event.get("pid"), event.get("seq"))


def _checked(timestamp: Any, pid: Any, seq: Any) -> tuple[str, int, int]:
    return (
        timestamp if isinstance(timestamp, str) else "",
        pid if isinstance(pid, int) else -1,
        seq if isinstance(seq, int) else -1,
    )


def _order_of(item: Item) -> tuple[str, int, int]:
    return _checked(*item[0])


def in_order(items: Iterable[Item]) -> list[Item]:
    """*items* in the order they were logged: by timestamp, then pid and seq."""
    try:
        return sorted(items, key=_ORDER)
    except TypeError:  # a key of the wrong type somewhere: sort by the checked ones
        return sorted(items, key=_order_of)


def first_order(items: Iterable[Item]) -> tuple[str, int, int]:
    """The order of the earliest of *items*."""
    return min(map(_order_of, items), default=("", -1, -1))


def kept_value(item: Item, key: str) -> tuple[bool, Any]:
    """Whether the event of *item* had *key*, and its value."""
    kept = item[2] if key in ASIDE_KEYS else item[3]
    return (True, kept[key]) if key in kept else (False, None)


class Shape:
    """What is worked out once for every event with the same keys in the same order."""

    __slots__ = ("aside_keys", "aside_values", "repeated", "shown_keys", "shown_values")

    def __init__(self, keys: tuple[str, ...]) -> None:
        first = tuple(key for key in FIRST_KEYS if key in keys)
        self.shown_keys = first + tuple(
            key for key in keys if key not in first and key not in schema.STAMP_KEYS
        )
        self.aside_keys = tuple(key for key in keys if key in ASIDE_KEYS)
        self.repeated = tuple(key for key in REPEATED if key in self.shown_keys)
        # The values of the keys kept and set aside, as tuples, got and compared in C.
        self.shown_values = _values_of(self.shown_keys)
        self.aside_values = _values_of(self.aside_keys)


def _values_of(keys: tuple[str, ...]) -> Callable[[Event], tuple[Any, ...]]:
    """A function giving the values of *keys* in an event, always as a tuple."""
    if len(keys) > 1:
        return operator.itemgetter(*keys)
    return lambda event: tuple(map(event.__getitem__, keys))


class Aside(Protocol):
    """Where the hierarchy keys of a scope's last event are kept (a reducer's node)."""

    aside: dict[str, Any] | None
    aside_keys: tuple[str, ...]
    aside_values: tuple[Any, ...]


class Keeper:
    """Makes the item of each event."""

    __slots__ = ("_same", "_shapes")

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], Shape] = {}
        self._same: dict[str, str] = {}

    def shape(self, keys: tuple[str, ...]) -> Shape:
        """The shape of the events with *keys*, remembered (a reader's hot loop may hold it
        and give it to :meth:`keep`)."""
        shape = self._shapes.get(keys)
        if shape is None:
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[keys] = Shape(keys)
        return shape

    def keep(
        self,
        event: Event,
        scope: Aside,
        keys: tuple[str, ...] | None = None,
        shape: Shape | None = None,
    ) -> Item:
        """The item of *event*, placed in *scope*. Its hierarchy keys are the dict of the
        previous event of *scope* when they are the same, so one dict serves a scope.

        Args:
            event: the event.
            scope: where the previous event's hierarchy keys are (updated).
            keys: ``tuple(event)``, if the caller made it already.
            shape: the shape of *keys* (:meth:`shape`), if the caller holds it.
        """
        # Runs once per event: C calls only (itemgetter, tuple ==, dict(zip)), but for the
        # loop over the few repeated names.
        if shape is None:
            shape = self.shape(tuple(event) if keys is None else keys)
        values = shape.aside_values(event)
        aside = scope.aside
        if aside is None or values != scope.aside_values or shape.aside_keys != scope.aside_keys:
            aside = scope.aside = dict(zip(shape.aside_keys, values, strict=True))
            scope.aside_keys, scope.aside_values = shape.aside_keys, values
        try:
            where: Order = _ORDER_KEYS(event)
        except KeyError:
            where = order(event)
        # Not strict: the values are got by the keys, and the keyword costs a sixth.
        shown = dict(zip(shape.shown_keys, shape.shown_values(event)))  # noqa: B905
        # The names an event repeats from others (its name, level, agent, model) kept once:
        # a million events hold a few strings, not a million copies of each.
        same = self._same
        if len(same) >= _MAX_SAME:
            same.clear()
        for key in shape.repeated:
            value = shown[key]
            if type(value) is str:
                shown[key] = same.setdefault(value, value)
        return where, event.get("attached"), aside, shown
