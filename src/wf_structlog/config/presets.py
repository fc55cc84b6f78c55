"""Presets: the TOML files in ``configs/`` that ship in the package, and files of your own.

A file of your own starts from the ``dev`` preset, or from the built-in one its
``extends = "prod"`` names, and changes what it sets.
"""

from __future__ import annotations

import importlib.resources
import os
import tomllib
from pathlib import Path
from typing import Any, Final

from .checks import ConfigError
from .settings import TOML_TYPES

__all__ = ["PRESETS", "load_preset"]

PRESETS: Final = ("dev", "prod", "test", "off")
"""The built-in presets, one TOML file each in ``configs/``."""


def load_preset(preset: str) -> dict[str, Any]:
    """The values a built-in preset (by name) or a TOML file (by path) sets.

    Args:
        preset: a name of :data:`PRESETS`, or the path of a ``.toml`` file.

    Raises:
        ConfigError: an unknown name, a file that cannot be read, is not TOML, or holds an
            unknown setting or a value of the wrong type.
    """
    if preset in PRESETS:
        text = importlib.resources.files("wf_structlog").joinpath(f"configs/{preset}.toml")
        return _parse(text.read_text(encoding="utf-8"), f"preset {preset!r}")
    path = Path(preset)
    if path.suffix != ".toml" and os.sep not in preset and "/" not in preset:
        raise ConfigError(
            f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}, "
            "or give the path to a .toml file"
        )
    try:
        text_of_file = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read preset file {preset!r}: {exc.strerror or exc}") from None
    values = _parse(text_of_file, f"preset file {preset!r}")
    base = values.pop("extends", "dev")
    if base not in PRESETS:
        raise ConfigError(f"{preset!r}: extends = {base!r}; choose one of {', '.join(PRESETS)}")
    return {**load_preset(base), **values}


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    for key, value in values.items():
        if key == "extends":
            continue
        expected = TOML_TYPES.get(key)
        if expected is None:
            valid = ", ".join(sorted(TOML_TYPES))
            raise ConfigError(f"{where}: unknown setting {key!r}; valid settings: {valid}")
        if not isinstance(value, expected):
            raise ConfigError(f"{where}: {key} must be a {expected.__name__}, got {value!r}")
    return values
