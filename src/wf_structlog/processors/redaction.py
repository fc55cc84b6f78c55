"""Redaction: the last processor before any sink, so no output can see what it removes.

:class:`Redactor` walks every value of the event once and

* replaces the value of a secret-looking key (``password``, ``api_key``, ``*_token``, ...) by
  ``[REDACTED]``;
* replaces each secret found inside a string (an API key quoted in a prompt, a password in a
  URL, a private key block) by ``[REDACTED:<rule>]``, leaving the rest of the string;
* cuts strings longer than the payload limits (see :mod:`wf_structlog.processors.payloads`), after
  redacting them whole, so a cut can never expose part of a secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias

from .._runtime import faults as _faults
from ..render.safe import FLAG_KEY, MAX_NODES, Walk, utf8_safe
from ..typing import EventDict, Finished
from ._screen import Screen
from ._secret_keys import SECRET_KEYS, SECRET_SUFFIXES, normal_key, secret_key_name
from ._secret_rules import BUILTIN_RULES, MIN_SECRET_CHARS, Rule, Scanner
from .payloads import PayloadLimits

__all__ = [
    "BUILTIN_RULES",
    "FAILED",
    "REPLACEMENT",
    "SECRET_KEYS",
    "SECRET_SUFFIXES",
    "Redactor",
    "Rule",
    "TextRedactor",
]

REPLACEMENT: Final = "[REDACTED]"
"""What the value of a secret key becomes."""

FAILED: Final = "[REDACTED:redactor_failed]"
"""What a string becomes when one of your redaction functions raised on it."""

TextRedactor: TypeAlias = Callable[[str], str]
"""Your own redaction: takes a string, returns it with whatever you consider secret replaced."""

_CACHE_LIMIT: Final = 4096
_CACHED_CHARS: Final = 128  # strings this short repeat (ids, names): their result is cached
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1

# Keys wf_structlog writes itself just before redaction, never from user data: not scanned.
_OURS: Final = frozenset({"level", "timestamp", "seq", "pid"})
# Written by the stamping too, scanned like any key: known from the start, for the screen.
_STAMPED: Final = frozenset({"attached"})
# What Redactor._event does with the value of a key it has seen before.
_PLAIN: Final = 0
_SECRET: Final = 1
_OURS_KIND: Final = 2
_NATIVE: Final = frozenset({str, int, float, bool, type(None)})


class Redactor:
    """Remove secrets from every value of an event, and bound long strings.

    Args:
        extra_keys: more key names to treat as secret (matched like the built-in ones).
        patterns: more regexes to find secrets inside strings: a mapping of rule name to regex
            (replaced by ``[REDACTED:<name>]``), ``(name, regex)`` pairs, or regexes alone
            (``[REDACTED:pattern]``).
            A regex with a group named ``secret`` has only that group replaced.
        functions: your own redaction, each called on every string after the rules.
        disable: names of built-in rules (:data:`BUILTIN_RULES`) or built-in key names
            (:data:`SECRET_KEYS`) to turn off.
        limits: how long strings may be; ``None`` keeps them whole.

    Raises:
        ValueError: a regex that does not compile, or a name in *disable* that is no
            built-in rule or key.

    Logging never fails because of redaction: a function that raises has the string it was
    given replaced by ``[REDACTED:redactor_failed]``; if redaction itself fails the event is
    cut down to its stream keys. Either way nothing unredacted is written.
    """

    def __init__(
        self,
        extra_keys: Iterable[str] = (),
        *,
        patterns: Mapping[str, str] | Iterable[str | tuple[str, str]] = (),
        functions: Iterable[TextRedactor] = (),
        disable: Iterable[str] = (),
        limits: PayloadLimits | None = None,
    ) -> None:
        disabled = {disable} if isinstance(disable, str) else set(disable)
        _check_disabled(disabled)
        if isinstance(extra_keys, str):
            extra_keys = (extra_keys,)
        self._keys = (SECRET_KEYS - {normal_key(d) for d in disabled}) | {
            normal_key(k) for k in extra_keys
        }
        self._suffixes = tuple(s for s in SECRET_SUFFIXES if s[1:] not in disabled)
        rules = [r for r in BUILTIN_RULES if r.name not in disabled]
        self._scanner = Scanner([*rules, *_user_rules(patterns)])
        self._functions = tuple(functions)
        self._limits = limits
        self._max_event_chars = limits.max_event_chars if limits is not None else 0
        self._decided: dict[Any, bool] = {}
        # Top-level keys seen before whose shown form is themselves: what to do with their value.
        self._kinds: dict[Any, int] = dict.fromkeys(_OURS, _OURS_KIND) | dict.fromkeys(
            _STAMPED, _PLAIN
        )
        # Of those, the keys an event may hold for the screen to take it whole: plain ones, and
        # ours (whose values it checks like any other).
        self._screenable: set[Any] = set(_OURS | _STAMPED)
        self._clean: dict[str, str] = {}  # short strings seen before, as they are shown
        self._keys_shown: dict[str, str] = {}
        self._screen = self._make_screen()

    def _make_screen(self) -> Screen | None:
        """The fast path for events with nothing to redact, when it can be proven in C: not
        with functions of yours (they see every string), nor with a rule without needles."""
        rules = self._scanner.rules
        if self._functions or not all(rule.needles for rule in rules):
            return None
        limits = self._limits
        max_chars = min(limits.max_value_chars, limits.max_event_chars) if limits else None
        needles = [
            (needle, index)
            for index, rule in enumerate(rules)
            if rule.screen is None
            for needle in rule.needles
        ]
        screens = [(rule.screen, index) for index, rule in enumerate(rules) if rule.screen]
        return Screen(needles, self.is_secret, self._key, self._whole_string, max_chars, screens)

    def is_secret(self, key: Any) -> bool:
        """Whether values under *key* are replaced."""
        decided = self._decided.get(key)
        if decided is None:
            decided = secret_key_name(normal_key(key), self._keys, self._suffixes)
            if len(self._decided) >= _CACHE_LIMIT:
                self._decided.clear()
            self._decided[key] = decided
        return decided

    def redact_text(self, text: str) -> str:
        """*text* with every secret the rules and functions find replaced (never cut)."""
        text = self._scanner.redact(text)
        return self._apply_functions(text) if self._functions else text

    def _apply_functions(self, text: str) -> str:
        for function in self._functions:
            try:
                text = function(text)
            except Exception as exc:
                _report_function(function, f"raised {type(exc).__name__}")
                return FAILED
            if text.__class__ is not str:
                _report_function(function, f"returned {type(text).__name__}, not a str")
                return FAILED
        return text

    def line(self, event_dict: EventDict, logged: EventDict | None = None) -> bytes | None:
        """*event_dict*'s NDJSON line when it needs no redaction, proven in C (its keys all
        seen before; see :meth:`~wf_structlog.processors._screen.Screen.line`); else ``None``.
        The event is then its own redaction.

        Args:
            event_dict: the event.
            logged: the part of *event_dict* that came from the caller, when the rest is
                JSON-native values wf_structlog added under keys shown as they are (the stamp,
                itself the redactor's output): only *logged*'s keys and value types are looked
                at, every byte of the line is searched.
        """
        screen = self._screen
        if screen is None or not self._screenable.issuperset(
            event_dict if logged is None else logged
        ):
            return None
        try:
            return screen.line(event_dict, logged)
        except Exception:  # never seen; if it were, the walk of __call__ decides, and reports
            return None

    def finish(self, logger: Any, method_name: str, event_dict: EventDict) -> Finished:
        """The redacted event and, when it needed no redaction, its NDJSON line (the chain's
        last step: see :class:`~wf_structlog.typing.Finisher`)."""
        line = self.line(event_dict)
        if line is not None:
            return event_dict, line
        return self(logger, method_name, event_dict), None

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        try:
            screen = self._screen
            if screen is not None and self._screenable.issuperset(event_dict):
                whole = screen.event(event_dict)  # the common event, whole, in C
                if whole is not None:
                    return whole
            return self._event(event_dict, screen)
        except Exception as exc:
            _faults.report("redaction", f"redaction failed ({type(exc).__name__}); event cut down")
            kept = {k: v for k, v in event_dict.items() if k in _OURS}
            return kept | {"redaction_failed": True}

    def _event(self, event_dict: EventDict, screen: Screen | None) -> EventDict:
        """The common case, in place: every key seen before and shown as itself.

        Only values that change are written back, after the loop; an event with a key not seen
        before goes, untouched, to :meth:`_copy`. Containers go to *screen* until one needs
        the walk; if what the screen passed might have met the payload limits with the rest,
        the event is done again by the walk alone.
        """
        kinds, clean = self._kinds, self._clean
        changed: list[tuple[Any, Any]] = []
        budget = [self._max_event_chars]
        walk: _RedactingWalk | None = None
        nodes, screened = MAX_NODES, 0
        for key, value in event_dict.items():
            kind = kinds.get(key)
            if kind is None:
                return self._copy(event_dict)
            cls = type(value)  # not __class__, which an object may make raise
            if kind == _PLAIN:
                if cls is str:
                    shown = clean.get(value) if len(value) <= _CACHED_CHARS else None
                    if shown is None:
                        shown = self._string(value, budget)
                    if shown is not value:
                        changed.append((key, shown))
                    continue
                if (
                    (cls is int and _INT_MIN <= value <= _INT_MAX)
                    or cls is bool
                    or value is None
                    or (cls is float and value - value == 0.0)  # finite: inf - inf is nan
                ):
                    continue
            elif kind == _SECRET:
                changed.append((key, REPLACEMENT))
                continue
            elif cls in _NATIVE:  # one of ours
                continue
            passed = screen.container(value, nodes) if walk is None and screen else None
            if passed is not None:
                shown, size, nodes = passed
                changed.append((key, shown))
                screened += size
                continue
            if walk is None:
                walk = _RedactingWalk(self, budget)
                walk.budget = nodes
            changed.append((key, walk.convert(value, (key,), 0)))
        if screened and screened > budget[0] and self._limits is not None:
            return self._event(event_dict, None)
        for key, shown in changed:
            event_dict[key] = shown
        if walk is not None and walk.flagged:
            _add_flags(event_dict, walk.flagged)
        return event_dict

    def _copy(self, event_dict: EventDict) -> EventDict:
        """Any event: a new dict, keys made strings and searched like values."""
        budget = [self._max_event_chars]
        walk = _RedactingWalk(self, budget)
        out: dict[str, Any] = {}
        for key, value in event_dict.items():
            if key in _OURS and type(value) in _NATIVE:
                out[key] = value
                continue
            out_key = walk.key(key, ("<key>",))
            if out_key in out:
                walk.flag((out_key,), "")
            secret = self.is_secret(key)
            out[out_key] = REPLACEMENT if secret else walk.convert(value, (out_key,), 0)
            if type(key) is str and out_key == key and len(self._kinds) < _CACHE_LIMIT:
                self._kinds[key] = _SECRET if secret else _PLAIN
                if not secret:
                    self._screenable.add(key)
        if walk.flagged:
            _add_flags(out, walk.flagged)
        return out

    def _key(self, key: str) -> str:
        """A key as shown: searched by the rules, but not given to your functions (a function
        that fails would otherwise take the key's value with it)."""
        shown = self._keys_shown.get(key)
        if shown is None:
            shown = self._scanner.redact(key)
            if len(self._keys_shown) >= _CACHE_LIMIT:
                self._keys_shown.clear()
            self._keys_shown[key] = shown
        return shown

    def _redact_found(self, text: str, found: list[int] | None) -> str:
        """:meth:`redact_text`; with *found*, only those rules run, which is the same: the
        scanner runs exactly the rules whose needles a text holds (there are no functions
        of yours when the screen runs)."""
        if found is None:
            return self.redact_text(text)
        if len(text) >= MIN_SECRET_CHARS:
            rules = self._scanner.rules
            for index in found:
                text = rules[index].redact(text)
        return text

    def _whole_string(self, text: str, found: list[int]) -> str:
        """A string as :meth:`_string` shows it with an event's whole budget (the screen cuts
        nothing: it leaves an event that may need cutting to the walk)."""
        return self._string(text, [self._max_event_chars], found)

    def _string(self, text: str, budget: list[int], found: list[int] | None = None) -> str:
        """*text* redacted and bounded; *found*: the rules whose needles the screen found in it
        (so the scanner need not look again), or ``None``."""
        if len(text) <= _CACHED_CHARS:
            clean = self._clean.get(text)
            if clean is None:
                clean = self._redact_found(text, found)
                if len(self._clean) >= _CACHE_LIMIT:
                    self._clean.clear()
                self._clean[text] = clean
            return clean
        text = self._redact_found(text, found)
        limits = self._limits
        if limits is not None and len(text) > limits.short_chars:
            return limits.bound(text, budget)
        return text


class _RedactingWalk(Walk):
    """The safe walk of :mod:`wf_structlog.render.safe`, redacting and bounding as it goes."""

    __slots__ = ("event_budget", "redactor")

    def __init__(self, redactor: Redactor, event_budget: list[int]) -> None:
        super().__init__()
        self.redactor = redactor
        self.event_budget = event_budget

    def text(self, text: str) -> str:
        return self.redactor._string(text, self.event_budget)

    def key(self, key: Any, path: tuple[str | int, ...]) -> str:
        if type(key) is str:
            return self.redactor._key(utf8_safe(key))
        return super().key(key, path)

    def item(self, key: str, value: Any, path: tuple[str | int, ...], depth: int) -> Any:
        if self.redactor.is_secret(key):
            return REPLACEMENT
        return self.convert(value, path, depth)

    def container(self, value: Any, path: tuple[str | int, ...], depth: int) -> Any:
        if (
            isinstance(value, list | tuple)
            and len(value) == 2
            and type(value[0]) is str
            and self.redactor.is_secret(value[0])
        ):
            return [self.text(value[0]), REPLACEMENT]  # a (name, value) pair, as headers come
        return super().container(value, path, depth)


def _add_flags(event_dict: EventDict, flagged: list[str]) -> None:
    earlier = event_dict.get(FLAG_KEY)
    event_dict[FLAG_KEY] = [*(earlier if isinstance(earlier, list) else ()), *flagged]


def _user_rules(patterns: Mapping[str, str] | Iterable[str | tuple[str, str]]) -> list[Rule]:
    if isinstance(patterns, str):
        patterns = (patterns,)
    named = (
        patterns.items()
        if isinstance(patterns, Mapping)
        else (("pattern", p) if isinstance(p, str) else p for p in patterns)
    )
    rules = []
    for name, regex in named:
        try:
            rules.append(Rule(str(name), re.compile(regex)))
        except (re.error, TypeError) as exc:
            raise ValueError(
                f"redaction pattern {name!r} = {regex!r} is not a regex: {exc}"
            ) from None
    return rules


def _check_disabled(names: set[str]) -> None:
    rules = {rule.name for rule in BUILTIN_RULES}
    keys = SECRET_KEYS | {s[1:] for s in SECRET_SUFFIXES}
    unknown = sorted(n for n in names if n not in rules and normal_key(n) not in keys)
    if unknown:
        raise ValueError(
            f"cannot disable {', '.join(map(repr, unknown))}: no such built-in rule or key; "
            f"rules: {', '.join(sorted(rules))}; keys: {', '.join(sorted(keys))}"
        )


def _report_function(function: TextRedactor, what: str) -> None:
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    _faults.report(f"redactor:{name}", f"redaction function {name} {what}; the string was replaced")
