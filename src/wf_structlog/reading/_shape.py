"""Whether an event read from a log has the shape the contract gives its keys.

A reader trusts nothing it reads: a line another program wrote, or one edited by hand, may give
``seq`` as a list or ``agent`` as a dict. Such an event is skipped (and counted) rather than
let through to break sorting, hashing or printing further on. The check is one look-up per
event for the usual case: the value types of every key seen together are remembered, per set
of keys, once they passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .. import schema

__all__ = [
    "MAX_DEPTH",
    "Checker",
    "Shape",
    "Skip",
    "Skips",
    "document_problem",
    "might_nest",
    "too_deep",
]

MAX_DEPTH: Final = 128
"""Containers nested deeper than this in one event make it the wrong shape. The writer nests
32 deep at most; the JSON of a document holding a deeper value could not be written."""

_NONE = type(None)
_NUMBER = (int, float)
_ID = (str,)
_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "event": (str,),
    "level": (str,),
    "timestamp": (str,),
    "seq": (int,),
    "pid": (int,),
    "workflow": (str, _NONE),
    "workflow_id": _ID,
    "iteration": (int, _NONE),
    "iteration_id": _ID,
    "interaction_id": _ID,
    "span_id": _ID,
    "parent_span_id": _ID,
    "parent_workflow_id": _ID,
    schema.PARENT_SCOPE_KEY: _ID,
    "agent": (str, _NONE),
    "model": (str, _NONE),
    "status": (str, _NONE),
    "duration_ms": (*_NUMBER, _NONE),
    "children": (int,),
    "attached": (bool,),
    "exception": (dict,),
}
"""The types each contract key may have (exactly: ``True`` is not a ``seq``)."""

_CONTAINERS = (dict, list)


class Shape:
    """The value types already found good among the events with one set of keys (in the
    order of the keys): an event with these keys is well formed, but for its depth, when
    ``tuple(map(type, event.values()))`` is in :attr:`good`; its value there says whether any
    of them is a container (else the event cannot nest, and needs no depth check)."""

    __slots__ = ("good",)

    _MAX_TYPES: Final = 64
    """Type tuples remembered at most: values whose types all differ must not fill memory."""

    def __init__(self) -> None:
        self.good: dict[tuple[type, ...], bool] = {}

    def learn(self, types: tuple[type, ...]) -> None:
        """*types* are those of a well-formed event."""
        if len(self.good) >= self._MAX_TYPES:
            self.good.clear()
        self.good[types] = any(issubclass(kind, _CONTAINERS) for kind in types)


class Checker:
    """Tells an event of the wrong shape from a well-formed one."""

    __slots__ = ("_shapes",)

    _MAX_SHAPES: Final = 4096

    def __init__(self) -> None:
        self._shapes: dict[tuple[str, ...], Shape] = {}

    def problem(
        self,
        event: Mapping[str, Any],
        deep: bool = True,
        keys: tuple[str, ...] | None = None,
        shape: Shape | None = None,
    ) -> str | None:
        """What is wrong with *event*, or ``None`` if it is well formed.

        Args:
            event: an event read from a log.
            deep: whether its values may nest too deep (the caller may know they cannot).
            keys: ``tuple(event)``, if the caller made it already.
            shape: the shape of its keys (:meth:`shape`), if the caller holds it.
        """
        # Runs once per event read: one look-up of the keys, one of the value types.
        if shape is None:
            if keys is None:
                keys = tuple(event)
            shape = self._shapes.get(keys) or self.shape(keys)
        types = tuple(map(type, event.values()))
        if types not in shape.good:
            found = _mistyped(event)
            if found is not None:
                return found
            shape.learn(types)
        if deep and too_deep(event):
            return f"nested deeper than {MAX_DEPTH} levels"
        return None

    def shape(self, keys: tuple[str, ...]) -> Shape:
        """The shape of the events with *keys*, remembered (a reader's hot loop may hold it
        and check the common event itself; :meth:`problem` adds the types it finds good)."""
        shape = self._shapes.get(keys)
        if shape is None:
            if len(self._shapes) >= self._MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[keys] = Shape()
        return shape


def _mistyped(event: Mapping[str, Any]) -> str | None:
    if not isinstance(event.get("event"), str):
        return "no event name" if "event" not in event else "event name is not a string"
    for key, allowed in _TYPES.items():
        if key in event and type(event[key]) not in allowed:
            return f"{key} is a {type(event[key]).__name__}"
    return None


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether *value* has containers nested more than *limit* deep.

    Args:
        value: a value read from JSON (dicts, lists and scalars).
        limit: the depth allowed.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, Mapping) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))
    return False


@dataclass(frozen=True)
class Skip:
    """One line (or event) a reader skipped.

    Args:
        reason: what was wrong with it.
        source: the file it came from, if it came from one.
        line: its line number in *source*, from 1.
    """

    reason: str
    source: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source or 'input'}:{self.line}: " if self.line is not None else ""
        return f"{where}{self.reason}"


class Skips:
    """The lines a reader skipped: how many, and the first :data:`KEPT` of them."""

    KEPT: Final = 1000

    __slots__ = ("count", "first")

    def __init__(self) -> None:
        self.count = 0
        self.first: list[Skip] = []

    def add(self, reason: str, source: str | None = None, line: int | None = None) -> None:
        """Count one skipped line.

        Args:
            reason: what was wrong with it.
            source: the file it came from.
            line: its line number there.
        """
        self.count += 1
        if len(self.first) < self.KEPT:
            self.first.append(Skip(reason, source, line))

    def extend(self, other: Skips) -> None:
        """Count the lines *other* skipped too."""
        self.count += other.count
        self.first.extend(other.first[: self.KEPT - len(self.first)])


def might_nest(line: bytes | str) -> bool:
    """Whether *line* has enough brackets to nest deeper than :data:`MAX_DEPTH` (counting is
    much cheaper than walking the parsed value, and almost every line has few; a line that
    opens nothing but itself is told by two searches, cheaper still)."""
    if isinstance(line, bytes):
        return (line.find(b"[") >= 0 or line.find(b"{", 1) >= 0) and (
            line.count(b"[") + line.count(b"{") > MAX_DEPTH
        )
    return ("[" in line or line.find("{", 1) >= 0) and line.count("[") + line.count("{") > MAX_DEPTH


_SCOPE_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "id": (str,),
    "status": (str,),
    "start_time": (str, _NONE),
    "end_time": (str, _NONE),
    "duration_ms": (*_NUMBER, _NONE),
    "complete": (bool,),
    "metadata": (dict,),
    "resources": (list,),
    "errors": (list,),
    "error_count": (int,),
    "usage": (dict,),
    "workflows": (list,),
}
_KIND_TYPES: Final[dict[str, dict[str, tuple[type, ...]]]] = {
    "workflow": {"events": (list,), "iterations": (list,), "parent_workflow_id": (str,)},
    "iteration": {"number": (int, _NONE), "events": (list,), "interactions": (list,)},
    "interaction": {"agent": (str, _NONE), "actions": (list,), "parent_interaction_id": (str,)},
}
_REQUIRED: Final = {
    "workflow": ("iterations", "events"),
    "iteration": ("interactions", "events"),
    "interaction": ("actions",),
}
_INNER: Final = {
    "workflow": ("iterations", "iteration"),
    "iteration": ("interactions", "interaction"),
}


def document_problem(
    value: Any, checker: Checker, kind: str = "workflow", depth: int = 0
) -> str | None:
    """What is wrong with *value* as a workflow document (or one of its scopes), or ``None``.

    Args:
        value: read from a document file.
        checker: checks the document's entries as events.
        kind: the scope *value* should be.
        depth: how many runs *value* is nested in.
    """
    if not isinstance(value, dict):
        return f"a {kind} is a {type(value).__name__}, not an object"
    if depth > MAX_DEPTH:
        return f"runs nested deeper than {MAX_DEPTH} levels"
    for types in (_SCOPE_TYPES, _KIND_TYPES[kind]):
        for key, allowed in types.items():
            if key in value and type(value[key]) not in allowed:
                return f"{kind} {key} is a {type(value[key]).__name__}"
    for key in ("id", "status", "usage", "errors", "error_count", *_REQUIRED[kind]):
        if key not in value:
            return f"{kind} has no {key}"
    usage = value["usage"]
    for key in ("calls", "input_tokens", "output_tokens", "cost"):
        if (key in usage or key != "cost") and type(usage.get(key)) not in _NUMBER:
            return f"{kind} usage {key} is not a number"
    entries_key = "actions" if kind == "interaction" else "events"
    for entry in (*value[entries_key], *value["errors"]):
        found = checker.problem(entry) if isinstance(entry, dict) else "an entry is not an object"
        if found is not None:
            return f"{kind} entry: {found}"
    inner = _INNER.get(kind)
    for child in value[inner[0]] if inner else ():
        found = document_problem(child, checker, inner[1], depth)  # type: ignore[index]
        if found is not None:
            return found
    for run in value.get("workflows", ()):
        found = document_problem(run, checker, "workflow", depth + 1)
        if found is not None:
            return found
    return None
