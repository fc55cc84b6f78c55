"""The checks of the settings: each turns a given value into the stored one, or says why not.

A check is ``(setting, value) -> stored value`` and raises :class:`ConfigError` naming the
setting and what would work. The same check runs whether the value came from an argument,
an environment variable (after its ``from_env`` step) or a preset file; the caller adds
where the value came from.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from ..cost import ModelPrice, load_prices
from ..instrumentation import SDKS
from ..processors.redaction import TextRedactor
from ..schema import LEVEL_OF_METHOD, LEVELS
from ..typing import Processor, Sink

__all__ = [
    "OFF_WORDS",
    "ON_WORDS",
    "Check",
    "ConfigError",
    "chars",
    "file_mode",
    "flag",
    "from_env_flag",
    "from_env_switch",
    "level",
    "names",
    "one_of",
    "path",
    "patterns",
    "positive",
    "preset",
    "prices",
    "processors",
    "redact_functions",
    "sdks",
    "sinks",
]

OFF_WORDS: Final = ("false", "0", "off", "no")
ON_WORDS: Final = ("true", "1", "on", "yes")

Check = Callable[[str, Any], Any]
"""``(setting, value) -> stored value``; raises :class:`ConfigError`."""


class ConfigError(ValueError):
    """A setting has a value that cannot work; the message names it and the valid choices."""


def level(setting: str, value: object) -> str:
    """A level name or number as its canonical name (``"warn"`` -> ``"warning"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        for name, number in LEVELS.items():
            if number == value:
                return name
    elif isinstance(value, str) and value.strip().lower() in LEVEL_OF_METHOD:
        return LEVEL_OF_METHOD[value.strip().lower()]  # "warn" -> "warning", like log.warn
    raise ConfigError(f"unknown level {value!r}: choose one of {', '.join(LEVELS)}")


def preset(setting: str, value: object) -> str:
    """A preset name or path, as a string."""
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise ConfigError(f"preset must be a name or a path, got {value!r}")


def path(setting: str, value: object) -> str | None:
    """A path, or ``None`` for ``""`` (an empty argument turns the preset's path off)."""
    if value is None or value == "":
        return None
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise ConfigError(f"{setting} must be a path (str or os.PathLike), got {value!r}")


def flag(setting: str, value: object) -> bool:
    """``True`` or ``False`` itself: a string such as ``"false"`` is a mistake in Python."""
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{setting} must be True or False, got {value!r}")


def from_env_flag(variable: str, text: str) -> bool:
    """An environment variable's on/off word as a bool."""
    word = text.strip().lower()
    if word in OFF_WORDS or word in ON_WORDS:
        return word in ON_WORDS
    raise ConfigError(
        f"must be one of {', '.join(ON_WORDS)} (on) or {', '.join(OFF_WORDS)} (off), got {text!r}"
    )


def from_env_switch(variable: str, text: str) -> bool | None:
    """``WORKFLOW_LOGGING``: an off word turns logging off; an on word leaves it as it is."""
    return False if not from_env_flag(variable, text) else None


def one_of(*choices: str) -> Check:
    """A check that takes one of *choices*, in any case."""

    def choice(setting: str, value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise ConfigError(f"{setting} must be one of {', '.join(choices)}, got {value!r}")

    return choice


def positive(setting: str, value: object) -> int:
    """A whole number above zero."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ConfigError(f"{setting} must be a positive integer, got {value!r}")


def chars(setting: str, value: object) -> int:
    """A number of characters, at least one."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{setting} must be a whole number of characters >= 1, got {value!r}")


def file_mode(setting: str, value: object) -> int:
    """Permission bits that let the owner read and write."""
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= 0o777
        and value & 0o600 == 0o600
    ):
        return value
    raise ConfigError(
        f"{setting} must be permission bits that let the owner read and write, such as "
        f"0o600 or 0o640, got {value!r}"
    )


def names(setting: str, value: object) -> tuple[str, ...]:
    """A list of strings (one string is a list of one)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{setting} must be a list of strings, got {value!r}")


def patterns(setting: str, value: object) -> tuple[tuple[str, str], ...]:
    """Redaction regexes: ``{rule name: regex}``, or regexes alone (each named ``pattern``)."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, Iterable):
        pairs = [("pattern", v) for v in value]
    else:
        pairs = [("", value)]
    if not all(isinstance(n, str) and isinstance(r, str) for n, r in pairs):
        raise ConfigError(
            f"{setting} must map rule names to regexes (or list regexes), got {value!r}"
        )
    return tuple(pairs)


def _items(setting: str, value: object) -> list[Any]:
    if callable(value) or isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"{setting} must be a list, got {value!r}")
    return list(value)


def _callable(spec: Any, what: str, shape: str) -> Any:
    if isinstance(spec, str):
        module_name, _, attr = spec.partition(":")
        try:
            spec = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigError(
                f"{what} {spec!r} cannot be imported ({exc}); write it as 'package.module:name'"
            ) from None
    if not callable(spec):
        raise ConfigError(f"{what} {spec!r} is not callable; a {what} is {shape}")
    return spec


def processors(setting: str, value: object) -> tuple[Processor, ...]:
    """Processors, each a callable or a ``"package.module:name"`` string."""
    shape = "(logger, method_name, event_dict) -> event_dict"
    return tuple(_callable(p, "processor", shape) for p in _items(setting, value))


def redact_functions(setting: str, value: object) -> tuple[TextRedactor, ...]:
    """Redaction functions, each a callable or a ``"package.module:name"`` string."""
    shape = "(text: str) -> str"
    return tuple(_callable(f, "redaction function", shape) for f in _items(setting, value))


def sinks(setting: str, value: object) -> tuple[Sink, ...]:
    """Objects with ``emit``, ``flush`` and ``close`` (the :class:`~wf_structlog.typing.Sink`
    protocol)."""
    chosen = _items(setting, value)
    for sink in chosen:
        missing = [m for m in ("emit", "flush", "close") if not callable(getattr(sink, m, None))]
        if missing:
            raise ConfigError(
                f"{setting}: {sink!r} is not a sink, it has no {', '.join(missing)}; a sink "
                "has emit(method_name, event_dict), flush() and close()"
            )
    return tuple(chosen)


def sdks(setting: str, value: object) -> tuple[str, ...]:
    """SDK names (comma-separated in one string), each known and installed."""
    given = value.split(",") if isinstance(value, str) else names(setting, value)
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in given if name.strip()))
    for sdk in chosen:
        if sdk not in SDKS:
            raise ConfigError(
                f"{setting}: cannot instrument {sdk!r}; choose among {', '.join(SDKS)}"
            )
        if importlib.util.find_spec(sdk) is None:
            raise ConfigError(
                f"{setting}: the {sdk} SDK is not installed (pip install 'wf-structlog[{sdk}]')"
            )
    return chosen


def prices(setting: str, value: object) -> tuple[tuple[str, ModelPrice], ...]:
    """Model prices: a mapping, or the path of a TOML or JSON file."""
    if value is None or value == "":
        return ()
    if not isinstance(value, str | os.PathLike | Mapping):
        raise ConfigError(f"{setting} must be a mapping or a file path, got {value!r}")
    try:
        return tuple(load_prices(value).items())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
