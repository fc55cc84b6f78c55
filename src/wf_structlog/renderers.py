"""Renderers: turn a finished event dict into the bytes a sink writes."""

from __future__ import annotations

from typing import Any

import orjson

from .safe import make_safe
from .typing import EventDict

_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def _repr_default(value: Any) -> Any:
    safe, _ = make_safe(value)
    return safe


class NDJSONRenderer:
    """One JSON object per line, newline included, with orjson.

    Newlines and control characters inside values are escaped, so an event is always exactly
    one line. A value orjson cannot write (left there by a processor after ``safe_values``) is
    made safe rather than failing the event.
    """

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> bytes:
        try:
            return orjson.dumps(event_dict, default=_repr_default, option=_OPTIONS)
        except TypeError:  # e.g. an int over 64 bits, which orjson refuses before any default
            return orjson.dumps(make_safe(event_dict)[0], option=_OPTIONS)
