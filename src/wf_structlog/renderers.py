"""Renderers: turn a finished event dict into the bytes a sink writes."""

from __future__ import annotations

from typing import Any

import orjson

from .safe import make_safe
from .typing import EventDict

_NDJSON = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def _safe_default(value: Any) -> Any:
    safe, _ = make_safe(value)
    return safe


def to_json(value: Any, option: int = 0) -> bytes:
    """Serialise *value* with orjson; whatever orjson refuses is made safe rather than failing.

    Args:
        value: usually already JSON-native (``safe_values`` ran), but a processor after it may
            have added anything.
        option: orjson options.
    """
    try:
        return orjson.dumps(value, default=_safe_default, option=option)
    except TypeError:  # an int over 64 bits or a lone surrogate: refused before any default
        return orjson.dumps(make_safe(value)[0], option=option)


class NDJSONRenderer:
    """One JSON object per line, newline included, with orjson.

    Newlines and control characters inside values are escaped, so an event is always exactly
    one line.
    """

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> bytes:
        return to_json(event_dict, _NDJSON)
