"""Price tables: the one shipped in the package (``prices.toml``) and the ``prices`` setting.

A table maps a model name to a :class:`ModelPrice`, in dollars per million tokens, with a
price per usage kind, per service tier and per context length. Its file shape::

    as_of = "2025-10-20"                      # the shipped table's date
    [models."claude-sonnet-4-5"]
    provider = "anthropic"
    input = 3.0                               # tokens neither read from nor written to a cache
    cached_input = 0.3                        # read from the prompt cache
    cache_write = 3.75                        # written to the cache for five minutes
    cache_write_1h = 6.0                      # written for an hour
    output = 15.0                             # reasoning included, unless `reasoning` says
    aliases = ["claude-sonnet-4-5-20250929"]  # dated snapshots billed the same
    [models."claude-sonnet-4-5".tiers.batch]  # a service tier: a whole price of its own
    input = 1.5
    ...
    [[models."claude-sonnet-4-5".context]]    # the price of a call whose input_tokens are
    above = 200000                            # over `above`: all of its tokens
    input = 6.0
    ...

The ``models`` level may be left out of a ``prices`` setting.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import orjson

__all__ = ["KINDS", "PRICES_AS_OF", "ModelPrice", "builtin_prices", "load_prices", "lookup"]

KINDS: Final = ("input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning")
"""The usage kinds a price may give, in dollars per million tokens."""


@dataclasses.dataclass(frozen=True)
class ModelPrice:
    """Dollars per million tokens of one model (or of one of its tiers).

    Args:
        input: input tokens neither read from nor written to the prompt cache.
        output: output tokens, reasoning tokens included (unless *reasoning* is given).
        cached_input: input tokens read from the prompt cache (*input* when not given).
        cache_write: input tokens written to the cache with the five-minute TTL; a call that
            wrote some is unpriced without it.
        cache_write_1h: input tokens written with the one-hour TTL; likewise.
        reasoning: reasoning tokens, where they are billed apart from output (*output* when
            not given); they are inside ``output_tokens`` and priced once.
        provider: ``openai``, ``anthropic``, ``gemini``... (the kinds it bills, see
            :data:`~wf_structlog.cost.usage.BILLED_KINDS`).
        tiers: the price of each service tier (``batch``, ``flex``, ``priority``); a call in a
            tier not listed is unpriced.
        context: ``(above, price)`` pairs, ascending: a call whose ``input_tokens`` are over
            *above* is priced, all of it, at *price*.
    """

    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None
    cache_write_1h: float | None = None
    reasoning: float | None = None
    provider: str | None = None
    tiers: tuple[tuple[str, ModelPrice], ...] = ()
    context: tuple[tuple[int, ModelPrice], ...] = ()

    def given(self) -> frozenset[str]:
        """The kinds this price states itself (not by falling back to another)."""
        return frozenset(kind for kind in KINDS if getattr(self, kind) is not None)

    def rates(self, tier: str | None, input_tokens: int) -> ModelPrice | None:
        """The price a call in *tier* with *input_tokens* pays; ``None`` when the table does
        not say (a tier it does not list, or a long context the tier has no price for)."""
        price = self
        if tier is not None:
            tiered = dict(self.tiers).get(tier)
            if tiered is None:
                return None
            price = tiered
        over = [rates for above, rates in price.context if input_tokens > above]
        if over:
            return over[-1]
        if price is not self and any(input_tokens > above for above, _ in self.context):
            return None  # a long call in a tier whose long-context price is not listed
        return price


def load_prices(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, ModelPrice]:
    """Read a price table: a mapping, or the path of a TOML or JSON file shaped like
    ``prices.toml`` (see the module's docstring).

    Args:
        source: the table, or the path of its file.

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
        aliases = entry.get("aliases", ())
        if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
            raise ValueError(f"prices: {name!r} aliases must be a list of model names")
        for alias in (name, *aliases):
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


def _dollars(name: str, key: str, value: object, required: bool) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError(f"prices: {name!r} needs {key} in dollars per million tokens")


def _price(name: str, entry: object) -> ModelPrice:
    if not isinstance(entry, Mapping):
        raise ValueError(f"prices: {name!r} must be a table of prices, got {entry!r}")
    rates = {
        kind: _dollars(name, kind, entry.get(kind), kind in ("input", "output")) for kind in KINDS
    }
    tiers = entry.get("tiers", {})
    context = entry.get("context", [])
    if not isinstance(tiers, Mapping):
        raise ValueError(f"prices: {name!r} tiers must be a table of prices by tier")
    if not isinstance(context, list) or not all(_is_above(part) for part in context):
        raise ValueError(f"prices: {name!r} context must be a list of prices with `above`")
    provider = entry.get("provider")
    return ModelPrice(
        **rates,  # type: ignore[arg-type]
        provider=provider if isinstance(provider, str) else None,
        tiers=tuple((str(t), _price(f"{name} {t}", p)) for t, p in sorted(tiers.items())),
        context=tuple(
            sorted(
                (part["above"], _price(f"{name} above {part['above']}", part)) for part in context
            )
        ),
    )


def _is_above(part: object) -> bool:
    above = isinstance(part, Mapping) and part.get("above")
    return isinstance(above, int) and not isinstance(above, bool) and above > 0


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


def _names(model: str) -> tuple[str, ...]:
    """*model*, then its name without a router's prefix (``openai/gpt-4o``, ``models/...``)."""
    if "/" in model:
        return model, model.rsplit("/", 1)[1]
    return (model,)


def lookup(
    models: tuple[object, ...], user: Mapping[str, ModelPrice] | None = None
) -> tuple[ModelPrice, bool] | None:
    """The price of the first of *models* a table knows, and whether it is the user's
    (*user*, searched first) rather than the shipped table's; ``None`` if none knows it.

    Args:
        models: the model the provider says answered, then the one requested (non-strings
            are skipped).
        user: the ``prices`` setting, by model name.
    """
    user, shipped = user or {}, _builtin()[1]
    for model in models:
        if not isinstance(model, str):
            continue
        for name in _names(model):
            if name in user:
                return user[name], True
            if name in shipped:
                return shipped[name], False
    return None
