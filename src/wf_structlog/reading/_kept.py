"""How the reducer keeps an event until its document is built.

Not the event itself: the copy its document shows (``event``, ``timestamp``, ``level`` first,
no hierarchy keys), made when the event arrives, so that the event can be freed at once and
the copy is made while the event is still in the CPU's cache. The hierarchy keys are set aside
(for scopes rebuilt as placeholders, which read them), shared by every event of a scope that
carries the same ones.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

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
_MAX_SHAPES = 4096
"""Shapes remembered at most: a program whose events all differ must not fill memory."""


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
        return sorted(items, key=operator.itemgetter(0))
    except TypeError:  # a key of the wrong type somewhere: sort by the checked ones
        return sorted(items, key=_order_of)


def first_order(items: Iterable[Item]) -> tuple[str, int, int]:
    """The order of the earliest of *items*."""
    return min(map(_order_of, items), default=("", -1, -1))


def kept_value(item: Item, key: str) -> tuple[bool, Any]:
    """Whether the event of *item* had *key*, and its value."""
    kept = item[2] if key in ASIDE_KEYS else item[3]
    return (True, kept[key]) if key in kept else (False, None)


class _Shape:
    """What is worked out once for every event with the same keys in the same order."""

    __slots__ = ("aside_keys", "aside_values", "shown_keys")

    def __init__(self, keys: tuple[str, ...]) -> None:
        first = tuple(key for key in FIRST_KEYS if key in keys)
        self.shown_keys = first + tuple(
            key for key in keys if key not in first and key not in schema.STAMP_KEYS
        )
        aside = self.aside_keys = tuple(key for key in keys if key in ASIDE_KEYS)
        # The values of the keys set aside, as a tuple, got and compared in C.
        self.aside_values: Callable[[Event], tuple[Any, ...]] = (
            operator.itemgetter(*aside)
            if len(aside) > 1
            else lambda event: tuple(map(event.__getitem__, aside))
        )


class Keeper:
    """Makes the item of each event."""

    __slots__ = ("_shapes",)

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], _Shape] = {}

    def keep(self, event: Event, aside_before: dict[str, Any] | None) -> Item:
        """The item of *event*. Its hierarchy keys are *aside_before* itself (those of the
        previous event of its scope) when they are the same, so one dict serves a scope."""
        keys = tuple(event)
        shape = self._shapes.get(keys)
        if shape is None:
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[keys] = _Shape(keys)
        values = shape.aside_values(event)
        aside = (
            aside_before
            if aside_before is not None and _same(shape, values, aside_before)
            else dict(zip(shape.aside_keys, values, strict=True))
        )
        try:
            where: Order = _ORDER_KEYS(event)
        except KeyError:
            where = order(event)
        shown = {key: event[key] for key in shape.shown_keys}
        return where, event.get("attached"), aside, shown


def _same(shape: _Shape, values: tuple[Any, ...], aside: dict[str, Any]) -> bool:
    """Whether *aside* holds exactly the keys of *shape* set aside, with *values*."""
    if len(aside) != len(values):
        return False
    try:
        return shape.aside_values(aside) == values
    except KeyError:
        return False
