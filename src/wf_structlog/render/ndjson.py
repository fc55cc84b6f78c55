"""Renderers: turn a finished event dict into the bytes a sink writes."""

from __future__ import annotations

from typing import Any, Final

import orjson

from ..typing import EventDict
from .safe import make_safe

# No OPT_NON_STR_KEYS: it doubles orjson's time, and the redactor already made every key a
# string; a key a later processor adds that is not one makes orjson raise, and to_json's
# fallback converts it.
_NDJSON = orjson.OPT_APPEND_NEWLINE


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


# Valid raw in JSON, but line breaks to str.splitlines() and some editors; orjson keeps them raw.
_UNICODE_BREAKS: Final = (
    (b"\xc2\x85", b"\\u0085"),
    (b"\xe2\x80\xa8", b"\\u2028"),
    (b"\xe2\x80\xa9", b"\\u2029"),
)


def escape_breaks(line: bytes) -> bytes:
    """*line*, orjson's output, with U+0085, U+2028 and U+2029 escaped (see
    :class:`NDJSONRenderer`)."""
    # isascii is one vectorised pass; searching bytes for the breaks costs ~1 ns a byte.
    if not line.isascii() and (b"\xc2\x85" in line or b"\xe2\x80" in line):
        for raw, escaped in _UNICODE_BREAKS:
            line = line.replace(raw, escaped)
    return line


def ndjson_line(event_dict: EventDict) -> bytes:
    """*event_dict* as one line of JSON, newline included (see :class:`NDJSONRenderer`)."""
    return escape_breaks(to_json(event_dict, _NDJSON))


_CONTAINERS: Final = frozenset({dict, list, tuple})


def kept_copy(event_dict: EventDict, line: bytes) -> EventDict:
    """*event_dict*, whose NDJSON line is *line*, as a sink that keeps events may keep it:
    itself when no value is a container (its top level is a dict of the logging call's own),
    else parsed back from *line*, so that nothing kept is one of the caller's containers."""
    if _CONTAINERS.isdisjoint(map(type, event_dict.values())):
        return event_dict
    copy: EventDict = orjson.loads(line)
    return copy


class NDJSONRenderer:
    """One JSON object per line, newline included, with orjson.

    Newlines and control characters inside values are escaped (so are U+0085, U+2028 and
    U+2029, which ``str.splitlines`` also breaks on), so an event is always exactly one line,
    however the file is read.
    """

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> bytes:
        return ndjson_line(event_dict)
