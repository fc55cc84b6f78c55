"""How the reducer keeps an event until its document is built.

Not the event itself: the copy its document shows (``event``, ``timestamp``, ``level`` first,
no hierarchy keys), made when the event arrives, so that the event can be freed at once and
the copy is made while the event is still in the CPU's cache. The hierarchy keys are set aside
(for scopes rebuilt as placeholders, which read them), shared by every event of a scope that
carries the same ones.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

from . import schema

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


class Keeper:
    """Makes the item of each event. The keys to show and to set aside are worked out once per
    shape of event (its keys, in order): events of one kind share them."""

    __slots__ = ("_shapes",)

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def keep(self, event: Event, aside_before: dict[str, Any] | None) -> Item:
        """The item of *event*; its hierarchy keys are *aside_before* itself when they are the
        same (the previous event's of its scope), so one dict serves a whole scope."""
        keys = tuple(event)
        shape = self._shapes.get(keys)
        if shape is None:
            if len(self._shapes) >= _MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[keys] = _shape(keys)
        shown_keys, aside_keys = shape
        aside = {key: event[key] for key in aside_keys}
        if aside == aside_before:
            aside = aside_before
        try:
            where: Order = _ORDER_KEYS(event)
        except KeyError:
            where = order(event)
        return where, event.get("attached"), aside, {key: event[key] for key in shown_keys}


def _shape(keys: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    first = tuple(key for key in FIRST_KEYS if key in keys)
    shown = first + tuple(k for k in keys if k not in first and k not in schema.STAMP_KEYS)
    return shown, tuple(key for key in keys if key in ASIDE_KEYS)
