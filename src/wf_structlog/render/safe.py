"""Make any value safe to serialise: JSON-native values pass, known types convert, others become
their ``repr``, flagged, and nothing ever raises.

A ``repr`` that names only a type and a memory address (``<object object at 0x7f...>``, the
default of every class without one) says nothing a reader can use, and its address differs in
every run, so two runs that did the same thing would differ: such a value is shown as its type
alone (``<object>``, ``<mypkg.Client>``), and any other fallback ``repr`` loses its
`` at 0x...`` part (``<function f>``)."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import math
import pathlib
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

from ..typing import EventDict

MAX_DEPTH: Final = 32
"""Containers nested deeper than this are kept as their ``repr``."""

MAX_NODES: Final = 10_000
"""Values visited in one event at most; the rest are kept as their ``repr``. This bounds the
work on huge or heavily shared structures (``[x, x]`` nested 30 deep is a billion paths)."""

FLAG_KEY: Final = "unserializable"
"""Event key listing the paths (``a.b.0``) of values that could not be kept as they were: a
``repr`` fallback, a cycle, a cut, or a key that collided with another once made a string."""

_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_Path = tuple[str | int, ...]


def utf8_safe(text: str) -> str:
    """*text*, with lone surrogates (which no UTF-8 writer accepts) shown as ``\\udXXX``."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+(?=>)")
"""The memory address in a default-style ``repr`` (``<function f at 0x7f...>``)."""


def _type_name(cls: type) -> str:
    module = getattr(cls, "__module__", None)
    if module in (None, "builtins", "__main__"):
        return str(cls.__qualname__)
    return f"{module}.{cls.__qualname__}"


def _repr(value: Any) -> str:
    cls = type(value)
    own: object = cls.__repr__
    if own is object.__repr__:  # the default: only a type and an address, so say the type
        return f"<{_type_name(cls)}>"
    try:
        return utf8_safe(_ADDRESS.sub("", repr(value)))
    except Exception:
        return f"<unrepresentable {cls.__qualname__}>"


def _int_text(value: int) -> str | None:
    """*value* in decimal, or ``None`` past Python's limit on digits (4,300 by default)."""
    try:
        return str(value)
    except ValueError:
        return None


class Walk:
    """One conversion: the flagged paths, the containers on the current path, the budget.

    Subclasses change what strings become (:meth:`text`, which sees every string the walk
    produces: values, keys, ``repr`` fallbacks) and what a mapping's item becomes
    (:meth:`item`); redaction is one such subclass, so one walk does both jobs.
    """

    __slots__ = ("active", "budget", "flagged")

    def __init__(self) -> None:
        self.flagged: list[str] = []
        self.active: set[int] = set()
        self.budget = MAX_NODES

    def text(self, text: str) -> str:
        """What a string (valid UTF-8 already) becomes; here, itself."""
        return text

    def item(self, key: str, value: Any, path: _Path, depth: int) -> Any:
        """What the value under *key* in a mapping becomes; here, its safe form."""
        return self.convert(value, path, depth)

    def flag(self, path: _Path, shown: str) -> str:
        self.flagged.append(".".join(map(str, path)))
        return shown

    def key(self, key: Any, path: _Path) -> str:
        if type(key) is str:
            return self.text(utf8_safe(key))
        converted = self.convert(key, path, MAX_DEPTH - 1)
        return converted if converted.__class__ is str else self.text(_repr(converted))

    def convert(self, value: Any, path: _Path, depth: int) -> Any:
        try:  # free in 3.11 unless it raises
            cls = value.__class__
        except Exception:  # an object whose attribute access raises: a proxy out of context
            cls = type(value)
        if cls is str:
            return self.text(utf8_safe(value))
        if cls is bool or value is None:
            return value
        if cls is int:
            return value if _INT_MIN <= value <= _INT_MAX else self.big_int(value, path)
        if cls is float:
            return value if math.isfinite(value) else repr(value)
        self.budget -= 1
        if depth >= MAX_DEPTH or self.budget <= 0:
            return self.text(self.flag(path, f"<cut: {type(value).__qualname__}>"))
        ident = id(value)
        if ident in self.active:
            return self.text(self.flag(path, "<cycle>"))
        self.active.add(ident)
        try:
            return self.container(value, path, depth + 1)
        except Exception:
            return self.text(self.flag(path, _repr(value)))
        finally:
            self.active.discard(ident)

    def big_int(self, value: int, path: _Path) -> str:
        """An int past 64 bits, as its digits; past the interpreter's limit on digits, a
        flagged placeholder (only this value is lost, not the event)."""
        text = _int_text(value)
        if text is None:
            return self.text(self.flag(path, f"<int of {value.bit_length()} bits>"))
        return text

    def container(self, value: Any, path: _Path, depth: int) -> Any:
        if value.__class__ is dict or isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for k, v in list(value.items()):
                sk = self.key(k, (*path, "<key>"))
                if sk in out:
                    self.flag((*path, sk), "")
                out[sk] = self.item(sk, v, (*path, sk), depth)
            return out
        if isinstance(value, list | tuple):
            return [self.convert(v, (*path, i), depth) for i, v in enumerate(value)]
        return self.known(value, path, depth)

    def known(self, value: Any, path: _Path, depth: int) -> Any:
        """Types with a faithful JSON form; anything else is a flagged ``repr``."""
        if isinstance(value, enum.Enum):
            return self.convert(value.value, path, depth)
        if isinstance(value, str):
            return self.text(utf8_safe(str.__str__(value)))
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return self.convert(int.__int__(value), path, depth)
        if isinstance(value, float):
            return self.convert(float.__float__(value), path, depth)
        if isinstance(value, datetime.date | datetime.time):
            return self.text(value.isoformat())
        if isinstance(value, uuid.UUID | pathlib.PurePath | decimal.Decimal):
            return self.text(utf8_safe(str(value)))
        if isinstance(value, bytes | bytearray | memoryview):
            return self.text(bytes(value).decode("utf-8", "backslashreplace"))
        if isinstance(value, set | frozenset):
            try:
                members = sorted(value)
            except TypeError:
                members = sorted(value, key=_repr)
            return self.container(members, path, depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return self.container(fields, path, depth)
        if callable(getattr(value, "model_dump", None)) and not isinstance(value, type):
            return self.convert(value.model_dump(), path, depth)
        if isinstance(value, BaseException):
            described = {"type": type(value).__qualname__, "message": _repr_message(value)}
            return self.container(described, path, depth)
        return self.text(self.flag(path, _repr(value)))


def _repr_message(exc: BaseException) -> str:
    try:
        return utf8_safe(str(exc))
    except Exception:
        return _repr(exc)


def make_safe(value: Any) -> tuple[Any, list[str]]:
    """Return *value* as JSON-native data and the paths of parts that could not be kept as
    they were.

    Args:
        value: anything.

    Returns:
        ``(safe_value, flagged_paths)``; *safe_value* holds only ``dict`` (with ``str`` keys),
        ``list``, ``str`` (valid UTF-8), ``int`` (64-bit), finite ``float``, ``bool`` and
        ``None``. Cycles, over-deep nesting and over-large structures are cut and flagged.
    """
    walk = Walk()
    return walk.convert(value, (), 0), walk.flagged


def safe_values(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Make every value of the event JSON-native (see :func:`make_safe`).

    Paths of values that could not be kept as they were are listed under ``unserializable``.
    """
    walk: Walk | None = None
    out: dict[str, Any] = {}
    for key, value in event_dict.items():
        cls = type(value)  # not __class__, which an object may make raise
        if (
            type(key) is str
            and key.isascii()
            and (
                (cls is str and value.isascii())
                or cls is bool
                or value is None
                or (cls is int and _INT_MIN <= value <= _INT_MAX)
            )
        ):
            out[key] = value
            continue
        if walk is None:
            walk = Walk()
        sk = walk.key(key, ("<key>",))
        if sk in out:
            walk.flag((sk,), "")
        out[sk] = walk.convert(value, (sk,), 0)
    if walk is not None and walk.flagged:
        out[FLAG_KEY] = walk.flagged
    return out
