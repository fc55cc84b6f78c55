"""What an LLM call cost: token counts times a price table per model.

The table shipped in the package (``prices.toml``, dated by :data:`PRICES_AS_OF`) lists a few
current models of each provider, in dollars per million tokens. The ``prices`` setting adds
models or replaces their prices. A model in neither gets no cost at all: a wrong number in a
cost report is worse than a missing one.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import orjson

__all__ = ["PRICES_AS_OF", "ModelPrice", "builtin_prices", "cost_of", "load_prices"]

_PER_TOKENS: Final = 1_000_000
_DIGITS: Final = 10


@dataclasses.dataclass(frozen=True)
class ModelPrice:
    """Dollars per million tokens of one model.

    Args:
        input: input (prompt) tokens.
        output: output tokens, reasoning tokens included.
        cached_input: input tokens read from the prompt cache (``input`` when not given).
    """

    input: float
    output: float
    cached_input: float | None = None


def load_prices(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, ModelPrice]:
    """Read a price table: a mapping, or the path of a TOML or JSON file shaped like
    ``prices.toml`` (``{"models": {name: {"input": .., "output": .., "cached_input": ..,
    "aliases": [..]}}}``; the ``models`` level may be left out).

    Raises:
        ValueError: the file cannot be read, or an entry is not a price.
    """
    if isinstance(source, str | os.PathLike):
        source = _read(Path(source))
    if not isinstance(source, Mapping):
        raise ValueError(f"prices must be a mapping or a file path, got {source!r}")
    models = source.get("models", source)
    if not isinstance(models, Mapping):
        raise ValueError(f"prices: models must be a table, got {models!r}")
    table: dict[str, ModelPrice] = {}
    for name, entry in models.items():
        price = _price(str(name), entry)
        for alias in (name, *entry.get("aliases", ())):
            table[str(alias)] = price
    return table


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read prices file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".json":
            return orjson.loads(data)
        return tomllib.loads(data.decode("utf-8"))
    except (orjson.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"prices file {str(path)!r} cannot be parsed: {exc}") from None


def _price(name: str, entry: object) -> ModelPrice:
    if not isinstance(entry, Mapping):
        raise ValueError(f"prices: {name!r} must be a table of prices, got {entry!r}")
    values: dict[str, float | None] = {}
    for key in ("input", "output", "cached_input"):
        value = entry.get(key)
        if value is None and key == "cached_input":
            values[key] = None
        elif isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            values[key] = float(value)
        else:
            raise ValueError(f"prices: {name!r} needs {key} in dollars per million tokens")
    aliases = entry.get("aliases", ())
    if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
        raise ValueError(f"prices: {name!r} aliases must be a list of model names")
    return ModelPrice(**values)  # type: ignore[arg-type]


@functools.cache
def _builtin() -> tuple[str, dict[str, ModelPrice]]:
    text = importlib.resources.files(__package__).joinpath("prices.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return str(data["as_of"]), load_prices(data)


def builtin_prices() -> dict[str, ModelPrice]:
    """The table shipped in the package, by model name and dated snapshot."""
    return dict(_builtin()[1])


PRICES_AS_OF: Final = _builtin()[0]
"""The date the shipped prices were read from the providers' price pages."""


@functools.lru_cache(maxsize=8)
def _merged(overrides: tuple[tuple[str, ModelPrice], ...]) -> dict[str, ModelPrice]:
    return {**_builtin()[1], **dict(overrides)}


def cost_of(
    models: Iterable[str | None],
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int = 0,
    overrides: tuple[tuple[str, ModelPrice], ...] = (),
) -> float | None:
    """The dollars a call cost, priced as the first of *models* the table knows, else ``None``.

    Args:
        models: the model the provider says answered, then the one requested.
        input_tokens: input tokens, *cached_tokens* included.
        output_tokens: output tokens, reasoning tokens included.
        cached_tokens: input tokens read from the prompt cache.
        overrides: the ``prices`` setting, ahead of the shipped table.
    """
    table = _merged(overrides)
    price = next((table[m] for m in models if m is not None and m in table), None)
    if price is None:
        return None
    cached_price = price.input if price.cached_input is None else price.cached_input
    dollars = (
        (input_tokens - cached_tokens) * price.input
        + cached_tokens * cached_price
        + output_tokens * price.output
    ) / _PER_TOKENS
    return round(dollars, _DIGITS)
