"""The merge order: each setting comes from the first of an argument, its environment
variable, the preset file, its default; then its check runs, naming where a bad value came
from (``WF_LOG_LEVEL: unknown level 'loud': ...``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from .apply import redactor
from .checks import ConfigError
from .presets import load_preset
from .settings import SETTINGS, Setting, Settings

__all__ = ["resolve"]

_ROWS: Final = {row.name: row for row in SETTINGS}


def resolve(
    preset: str | os.PathLike[str] | None, environ: Mapping[str, str], **overrides: Any
) -> Settings:
    """The settings :func:`~wf_structlog.configure` would apply, from *overrides*, *environ*
    and the preset.

    Args:
        preset: as for :func:`~wf_structlog.configure`; ``None`` reads ``WF_LOG_PRESET``
            from *environ*.
        environ: the environment to read (``os.environ``, or ``{}`` to ignore it).
        **overrides: :func:`~wf_structlog.configure`'s keyword arguments (``None`` for
            "not given").

    Raises:
        ConfigError: as for :func:`~wf_structlog.configure`; a bad environment variable is
            named first.
    """
    unknown = sorted(set(overrides) - set(_ROWS))
    if unknown:
        valid = ", ".join(name for name in _ROWS if name != "preset")
        raise ConfigError(f"unknown setting {unknown[0]!r}; valid settings: {valid}")
    given = {**overrides, "preset": preset or None}
    name: str = _value(_ROWS["preset"], given, environ, {}, "")
    if _value(_ROWS["enabled"], {}, environ, {}, "") is False:
        return Settings(preset=name, enabled=False)  # off wins; nothing else needs to be valid
    where = f"preset {name!r}"
    from_file = _checked(None if given["preset"] else "WF_LOG_PRESET", load_preset, name)
    values = {
        row.name: _value(row, given, environ, from_file, where)
        for row in SETTINGS
        if row.name != "preset"
    }
    settings = Settings(preset=name, **values)
    if settings.payload_files and settings.file is None:
        raise ConfigError("payload_files needs file: cut values are written next to that file")
    redactor(settings)  # a bad regex or rule name fails here, before anything changes
    return settings


def _value(
    row: Setting,
    given: Mapping[str, Any],
    environ: Mapping[str, str],
    from_file: Mapping[str, Any],
    where_file: str,
) -> Any:
    """*row*'s value from the first source that gives one, checked; else its default."""
    value = given.get(row.name)
    if value is not None:
        return _checked(None, row.check, row.name, value)
    text = environ.get(row.env) if row.env is not None else None
    if text:  # an empty variable counts as unset, as in most programs
        value = text if row.from_env is None else _checked(row.env, row.from_env, row.env, text)
        if value is not None:
            return _checked(row.env, row.check, row.name, value)
    if row.name in from_file:
        return _checked(where_file, row.check, row.name, from_file[row.name])
    return row.default


def _checked(where: str | None, check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``, with *where* the value came from put before the error's message."""
    try:
        return check(*args)
    except ConfigError as exc:
        if where is None:
            raise
        raise ConfigError(f"{where}: {exc}") from None
