"""Make any value safe to serialise: JSON-native values pass, known types convert, others become
their ``repr``, flagged, and nothing ever raises."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import math
import pathlib
import uuid
from collections.abc import Mapping
from typing import Any, Final

from .typing import EventDict

MAX_DEPTH: Final = 32
"""Containers nested deeper than this (or cyclic ones) are kept as their ``repr``."""

FLAG_KEY: Final = "unserializable"
"""Event key listing the paths (``a.b.0``) of values that were kept only as their ``repr``."""

_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
_Path = tuple[str | int, ...]


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__qualname__}>"


def _key(key: Any) -> str:
    return key if key.__class__ is str else str(_convert(key, (), MAX_DEPTH - 1, []))


def _convert(value: Any, path: _Path, depth: int, flagged: list[str]) -> Any:
    cls = value.__class__
    if cls is str or cls is bool or value is None:
        return value
    if cls is int:
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if cls is float:
        return value if math.isfinite(value) else repr(value)
    if depth >= MAX_DEPTH:
        flagged.append(".".join(map(str, path)))
        return _repr(value)
    depth += 1
    if cls is dict or isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:
            flagged.append(".".join(map(str, path)))
            return _repr(value)
        out = {}
        for k, v in items:
            sk = _key(k)
            out[sk] = _convert(v, (*path, sk), depth, flagged)
        return out
    if cls is list or cls is tuple:
        return [_convert(v, (*path, i), depth, flagged) for i, v in enumerate(value)]
    try:
        return _convert_known(value, path, depth, flagged)
    except Exception:
        flagged.append(".".join(map(str, path)))
        return _repr(value)


def _convert_known(value: Any, path: _Path, depth: int, flagged: list[str]) -> Any:
    """Types with a faithful JSON form; anything else is a flagged ``repr``."""
    if isinstance(value, enum.Enum):
        return _convert(value.value, path, depth, flagged)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _convert(int.__int__(value), path, depth, flagged)
    if isinstance(value, float):
        return _convert(float.__float__(value), path, depth, flagged)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | pathlib.PurePath | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, list | tuple):
        return [_convert(v, (*path, i), depth, flagged) for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        try:
            members = sorted(value)
        except TypeError:
            members = sorted(value, key=_repr)
        return [_convert(v, (*path, i), depth, flagged) for i, v in enumerate(members)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return _convert(fields, path, depth, flagged)
    if callable(getattr(value, "model_dump", None)) and not isinstance(value, type):
        return _convert(value.model_dump(), path, depth, flagged)
    if isinstance(value, BaseException):
        return {"type": type(value).__qualname__, "message": _repr_message(value)}
    flagged.append(".".join(map(str, path)))
    return _repr(value)


def _repr_message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return _repr(exc)


def make_safe(value: Any) -> tuple[Any, list[str]]:
    """Return *value* as JSON-native data and the paths of parts kept only as their ``repr``.

    Args:
        value: anything.

    Returns:
        ``(safe_value, flagged_paths)``; *safe_value* holds only ``dict`` (with ``str`` keys),
        ``list``, ``str``, ``int`` (64-bit), finite ``float``, ``bool`` and ``None``.
    """
    flagged: list[str] = []
    return _convert(value, (), 0, flagged), flagged


def safe_values(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Make every value of the event JSON-native (see :func:`make_safe`), flagging reprs.

    Values that could only be kept as their ``repr`` are listed under ``unserializable``.
    """
    flagged: list[str] = []
    out: dict[str, Any] = {}
    for key, value in event_dict.items():
        sk = key if key.__class__ is str else _key(key)
        cls = value.__class__
        if (
            cls is str
            or cls is bool
            or value is None
            or (cls is int and _INT_MIN <= value <= _INT_MAX)
        ):
            out[sk] = value
        else:
            out[sk] = _convert(value, (sk,), 0, flagged)
    if flagged:
        out[FLAG_KEY] = flagged
    return out
