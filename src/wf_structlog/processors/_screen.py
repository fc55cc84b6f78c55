"""The redactor's fast path: the common event is checked in C and serialised once, never walked.

:meth:`Screen.line` takes a whole event whose top-level keys are known: one ``orjson.dumps``
of it, one search of the bytes, and when nothing is found the event is its own redaction and
those bytes are its NDJSON line, which the file sink writes as they are (the hand-off:
:class:`~wf_structlog.typing.Finisher`); no string is scanned in Python, no container walked.
:meth:`Screen.event` is the same for a caller that keeps the event, its containers copied by one
``orjson.loads`` of the line. An event with anything found goes to the redactor's loop, and its
containers here:

An ordinary event's containers (tool arguments, messages) hold no secret, no secret-looking key,
no value the safe walk would change and no string past the payload limits; for them the walk of
:class:`~.redaction.Redactor` (a Python call per value) only proves that and copies.
:meth:`Screen.container` does the same for each top-level container with

1. one ``orjson.dumps`` of it;
2. one search of those bytes for every needle of every rule at once (Aho-Corasick, in Rust:
   the cost does not grow with the number of rules, where ``needle in text`` costs a pass per
   needle);
3. before both, a look at each container's keys and types (one set operation per dict),
   learning each key once, within the walk's bounds on depth and number of containers;
4. one ``orjson.loads``, the copy that sinks get (nothing they keep can change afterwards),
   when the event holds containers.

A string holding a needle is found in the bytes, redacted as the walk redacts a string and
written back. Anything else (a new key that is secret or that a rule changes, a value of
another type, a non-finite float, a string that may be cut, nesting near the limits) returns
``None``, and the walk does the container exactly as before.

Why a search of the bytes finds every needle the text holds: the values are checked to be
plain ``str``/``int``/``float``/``bool``/``None``/``dict``/``list``/``tuple`` (no
``orjson.Fragment``, whose raw bytes could spell a character another way), and orjson writes
each character of a string one fixed way (``"`` as ``\\"``, a newline as ``\\n``, U+001B as
``\\u001b``, others as their UTF-8 bytes). A string's bytes are then its characters' forms one
after the other, so a needle in the text is in the bytes as the needle's own form, which is
what is searched for.

A rule whose needle is common in prose (Discord's tokens hold no literal but a ".") has a
``screen`` instead: a regex of the bytes that matches wherever a match of the rule stands, as
the rule's characters are written as themselves in JSON. A "." needle would make nearly every
event a hit, and send it the slow way.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import ahocorasick_rs
import orjson

from ..render.ndjson import escape_breaks, kept_copy
from ..render.safe import MAX_DEPTH, MAX_NODES
from ..typing import EventDict

# Dataclasses, datetimes and subclasses make orjson raise instead of converting them: the walk
# decides what they become. Types orjson converts by itself (enums, UUIDs) fail the type check.
_DUMPS: Final = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_LINE: Final = _DUMPS | orjson.OPT_APPEND_NEWLINE
_LEARNED_LIMIT: Final = 4096
_SCALARS: Final = frozenset({str, int, bool, type(None)})  # what JSON keeps as it is
_START: Final = operator.itemgetter(1)  # of a match: (needle, start, end)


class Screen:
    """Redaction of an event that needs none, proven in C (see the module's docstring).

    Args:
        needles: each literal one of which every match of a rule contains, with the index of
            that rule.
        is_secret: whether values under a key (or a ``(name, value)`` pair's name) are
            replaced.
        key_shown: a key as the redactor shows it (after the rules).
        redact_text: a string value as the redactor shows it, uncut, given the indexes of
            the rules whose needles it holds (in order, each once).
        max_chars: the longest event, in bytes of JSON, whose strings the payload limits can
            never cut; ``None`` without limits.
    """

    def __init__(
        self,
        needles: Iterable[tuple[str, int]],
        is_secret: Callable[[str], bool],
        key_shown: Callable[[str], str],
        redact_text: Callable[[str, list[int]], str],
        max_chars: int | None,
        screens: Iterable[tuple[re.Pattern[bytes], int]] = (),
    ) -> None:
        rules_of: dict[bytes, set[int]] = {}
        for needle, rule in needles:
            rules_of.setdefault(orjson.dumps(needle)[1:-1], set()).add(rule)
        forms = sorted(rules_of)
        self._rules_of = [rules_of[form] for form in forms]  # by the matcher's pattern index
        self._matcher = ahocorasick_rs.BytesAhoCorasick(
            forms, implementation=ahocorasick_rs.Implementation.DFA
        )
        self._any = _any_matchers(forms)
        # Each regex searched for instead of needles reports its matches as one more pattern.
        self._screens: list[tuple[re.Pattern[bytes], int]] = []
        for pattern, rule in screens:
            self._screens.append((pattern, len(self._rules_of)))
            self._rules_of.append({rule})
        self._is_secret = is_secret
        self._key_shown = key_shown
        self._redact_text = redact_text
        self._max_chars = max_chars
        self._keys: set[str] = set()  # keys seen before: not secret, shown as themselves
        self._names: set[str] = set()  # first strings of 2-item lists: not secret names

    def line(self, event_dict: EventDict, logged: EventDict | None = None) -> bytes | None:
        """A whole event's NDJSON line (newline included), when nothing in it needs redaction;
        else ``None``. The caller has checked that each top-level key is known, not secret and
        shown as itself. *logged*: the part of the event whose value types are checked, when
        the caller made the rest itself (the stamp: ids, time, level), so they need no look.

        One ``orjson.dumps`` of the event and one search of its bytes stand for the scan of
        every string and the walk of every container: the common event, with nothing to
        redact, never reaches Python's loop over its values. The line is byte for byte what
        :func:`~wf_structlog.render.ndjson.ndjson_line` makes of the event (the types checked
        first are those orjson writes the same with or without its options and fallback), so
        a sink can write it instead of serialising the event again.
        """
        checked = event_dict if logged is None else logged
        if self._plain_items(checked.values(), 0, MAX_NODES - 1) < 0:
            return None
        try:
            data = orjson.dumps(event_dict, option=_LINE)
        except TypeError:  # an int past 64 bits, a lone surrogate
            return None
        if self._max_chars is not None and len(data) > self._max_chars + 1:
            return None  # a string may be cut (the 1: the newline)
        for matcher in self._any:
            if matcher.find_matches_as_indexes(data):
                return None
        for pattern, _ in self._screens:
            if pattern.search(data) is not None:
                return None
        return escape_breaks(data)

    def event(self, event_dict: EventDict) -> EventDict | None:
        """A whole event as the redactor shows it, when nothing in it needs redaction (see
        :meth:`line`); else ``None``. Its containers are copies parsed from the line, so
        nothing a sink keeps changes when the caller's containers do."""
        data = self.line(event_dict)
        return None if data is None else kept_copy(event_dict, data)

    def container(self, value: Any, nodes: int) -> tuple[Any, int, int] | None:
        """A top-level container of an event as the walk would show it, or ``None`` when the
        walk must decide.

        Args:
            value: the container.
            nodes: how many containers the walk may still visit in this event.

        Returns:
            ``(shown, size, nodes)``: the copy, the length of its JSON (an upper bound of the
            characters of its strings, for the event's payload budget), the containers left.
        """
        # Types first, with the walk's bounds on depth and containers: a list holding itself
        # twice, 30 deep, is a billion values to orjson, and a few dozen to this look.
        left = self._plain_items((value,), 0, nodes - 1)
        if left < 0:
            return None
        try:
            data = orjson.dumps(value, option=_DUMPS)
        except TypeError:  # an int past 64 bits, a lone surrogate
            return None
        found = self._matcher.find_matches_as_indexes(data, overlapping=True)
        for pattern, index in self._screens:
            found += ((index, match.start(), match.end()) for match in pattern.finditer(data))
        if found:
            found.sort(key=_START)
            data = self._redact_strings(data, found)
        if self._max_chars is not None and len(data) > self._max_chars:
            return None  # a string may be cut: every character is at least one byte
        return orjson.loads(data), len(data), left + 1

    def _redact_strings(self, data: bytes, found: list[tuple[int, int, int]]) -> bytes:
        """*data* with each string value that holds a needle (*found*: which, where, in order)
        redacted as the walk redacts a string (*data* itself if none changes). Keys were learned
        clean, and a needle outside every string (the "." of a number) is in no string."""
        # With each escaped backslash made two plain bytes, a quote is escaped exactly when a
        # backslash stands before it, and the quotes that are not delimit the strings.
        flat = data.replace(b"\\\\", b"__")
        pieces: list[bytes] = []
        kept = 0  # data[:kept] is in pieces
        outside = 0  # a place outside every string, at or before the next needle
        at, count = 0, len(found)
        while at < count:
            start = found[at][1]
            quotes = flat.count(b'"', outside, start) - flat.count(b'\\"', outside, start)
            if quotes % 2 == 0:
                outside = start
                at += 1
                continue  # outside every string
            opening, closing = _quote(flat, start, -1), _quote(flat, start, 1)
            outside = closing + 1
            rules: set[int] = set()
            while at < count and found[at][1] < closing:  # every needle in this string
                rules |= self._rules_of[found[at][0]]
                at += 1
            if data[closing + 1 : closing + 2] == b":":
                continue  # a key
            text = orjson.loads(data[opening : closing + 1])
            shown = self._redact_text(text, sorted(rules))
            if shown != text:
                pieces += (data[kept:opening], orjson.dumps(shown))
                kept = closing + 1
        if not pieces:
            return data
        pieces.append(data[kept:])
        return b"".join(pieces)

    def _plain_dict(self, value: Mapping[Any, Any], depth: int, left: int) -> int:
        """How many more containers the walk may visit after *value*'s; ``-1`` if the walk
        must see *value*."""
        if not self._keys.issuperset(value) and not self._learn_keys(value):
            return -1
        return self._plain_items(value.values(), depth, left)

    def _plain_items(self, values: Iterable[Any], depth: int, left: int) -> int:
        for item in values:
            cls = type(item)  # not __class__, which an object may make raise
            if cls in _SCALARS:
                continue
            if cls is float:
                if item - item != 0.0:  # inf - inf and nan - nan are nan: JSON has no such
                    return -1
                continue
            left -= 1
            if depth + 1 >= MAX_DEPTH or left < 0:
                return -1
            if cls is dict:
                left = self._plain_dict(item, depth + 1, left)
            elif cls is list or cls is tuple:
                left = self._plain_list(item, depth + 1, left)
            else:
                return -1  # enums, UUIDs, Fragments...: the walk converts and flags them
            if left < 0:
                return -1
        return left

    def _plain_list(self, value: list[Any] | tuple[Any, ...], depth: int, left: int) -> int:
        if len(value) == 2 and type(value[0]) is str and value[0] not in self._names:
            if self._is_secret(value[0]):  # a (name, value) pair such as a header
                return -1
            _remember(self._names, value[0])
        return self._plain_items(value, depth, left)

    def _learn_keys(self, value: Mapping[Any, Any]) -> bool:
        """Remember the keys of *value* the walk would keep as they are; ``False`` if one of
        them is secret, changed by a rule, or not a string."""
        for key in value:
            if key in self._keys:
                continue
            if type(key) is not str or self._is_secret(key) or self._key_shown(key) != key:
                return False
            _remember(self._keys, key)
        return True


_SHORT_NEEDLE: Final = 4


def _any_matchers(forms: list[bytes]) -> tuple[ahocorasick_rs.BytesAhoCorasick, ...]:
    """Matchers that tell whether bytes hold any of *forms*, fast: split in short needles and
    long ones, each set is found by Rust's SIMD prefilter (Teddy), where the whole set at once
    falls back to stepping the automaton a byte at a time (measured: 1.3 µs instead of 2.2 µs
    for an agent event of 1.3 KB)."""
    groups = (
        [form for form in forms if len(form) < _SHORT_NEEDLE],
        [form for form in forms if len(form) >= _SHORT_NEEDLE],
    )
    return tuple(
        ahocorasick_rs.BytesAhoCorasick(group, matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
        for group in groups
        if group
    )


def _quote(flat: bytes, start: int, step: int) -> int:
    """The position of the first quote that is not escaped before *start* (*step* -1) or from
    it on (*step* 1), in *flat* (see :meth:`Screen._redact_strings`)."""
    at = start
    while True:
        at = flat.rfind(b'"', 0, at) if step < 0 else flat.find(b'"', at)
        if flat[at - 1] != 0x5C:  # a backslash
            return at
        at += 0 if step < 0 else 1


def _remember(learned: set[str], text: str) -> None:
    if len(learned) >= _LEARNED_LIMIT:
        learned.clear()
    learned.add(text)
