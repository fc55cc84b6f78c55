"""Rebuild the price table from a price file you downloaded yourself; nothing is fetched.

Two files are read, told apart by their shape (or by ``--format``):

- LiteLLM's ``model_prices_and_context_window.json`` (in the ``BerriAI/litellm`` repository;
  the ``litellm`` package ships a copy, ``litellm/model_prices_and_context_window_backup.json``):
  a JSON object, a model name to its dollars per token (:mod:`._litellm`);
- pydantic's ``genai-prices`` data file (``prices/data.json`` in ``pydantic/genai-prices``): a
  JSON list of providers and their models' dollars per million tokens, with tiered and dated
  prices and price variants (:mod:`._genai_prices`).

Download one, then::

    python -m wf_structlog.cost.refresh model_prices_and_context_window.json > prices.toml

writes the models of the current table (the shipped one, or ``--table FILE``), plus those
named with ``--add``, with the file's prices, dated ``--as-of`` (today by default; a dated
genai-prices price counts from its start date on) and naming the file (``--label``, its name
by default). Use the result with the ``prices`` setting, or, in this repository, as
``src/wf_structlog/cost/prices.toml``.

A kind, tier or context price the file lacks keeps the current table's; a model the file
lacks is kept as it was; with ``--replace``, both are dropped instead. Either is said on
stderr, so that a stale price is never silent.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

import orjson

from ._genai_prices import GenaiPrices, UnpriceableError
from ._litellm import LiteLLM
from .table import KINDS, load_prices

__all__ = ["FORMATS", "HEADER", "Source", "main", "read_source", "refresh", "to_toml"]

HEADER: Final = """\
# Prices of LLM calls, in US dollars per million tokens, as published by each provider on the
# date below. Kinds: `input` (not read from nor written to a cache), `cached_input` (read from
# the prompt cache), `cache_write` / `cache_write_1h` (written to it for five minutes / an
# hour), `output` (reasoning included). `tiers` are the service tiers' prices (a tier without
# `cached_input` gives no cache discount), `context` the prices of a call whose input is over
# `above` tokens. `aliases` are the dated snapshots that bill the same. A model not listed
# here gets no cost: wf_structlog never guesses. Override or extend this table with the
# `prices` setting; rebuild it with `python -m wf_structlog.cost.refresh` (see its docstring).
"""
"""The comment at the top of a written table."""

FORMATS: Final = ("litellm", "genai-prices")
"""The price files :func:`read_source` reads."""


class Source(Protocol):
    """A price file, read: the price of a model of the table, and of one to add."""

    def price(self, name: str, provider: str | None) -> dict[str, Any] | None:
        """The ``prices.toml`` entry of *name* (of *provider*); ``None`` if not priced."""

    def added(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """The table's name and entry, with its ``provider``, of *name*; ``None`` if not
        priced."""


def read_source(data: object, as_of: str, format: str | None = None) -> Source:
    """The price file whose JSON is *data*, in *format* (one of :data:`FORMATS`; by default
    told by its shape: LiteLLM's is an object, genai-prices' a list).

    Raises:
        ValueError: the file is not of the format, or *as_of* is not a date.
    """
    format = format or ("genai-prices" if isinstance(data, list) else "litellm")
    if format == "litellm" and isinstance(data, Mapping):
        return LiteLLM(data)
    if format == "genai-prices" and isinstance(data, list):
        return GenaiPrices(data, datetime.date.fromisoformat(as_of))
    raise ValueError(f"the source file is not {format}'s price file")


def _merged(where: str, old: Mapping[str, Any], new: Mapping[str, Any], kept: list[str]) -> Any:
    """*new* over *old*, kind by kind, tier by tier, context price by context price; what
    only *old* has is kept, and named in *kept*."""
    merged = {**old, **new}
    kept += [f"{where}{kind}" for kind in KINDS if kind in old and kind not in new]
    tiers = _parts(where, "tiers.", old.get("tiers", {}), new.get("tiers", {}), kept)
    if tiers:
        merged["tiers"] = tiers
    context = _parts(
        where,
        "above ",
        {part["above"]: part for part in old.get("context", [])},
        {part["above"]: part for part in new.get("context", [])},
        kept,
    )
    if context:
        merged["context"] = [context[above] for above in sorted(context)]
    return merged


def _parts(
    where: str, kind: str, old: Mapping[Any, Any], new: Mapping[Any, Any], kept: list[str]
) -> dict[Any, Any]:
    """The tiers (or context prices) of *new* over those of *old*, each merged; one only
    *old* has is kept whole."""
    kept += [f"{where}{kind}{key}" for key in old if key not in new]
    return {
        key: _merged(f"{where}{kind}{key}: ", old[key], part, kept) if key in old else part
        for key, part in {**old, **new}.items()
    } | {key: old[key] for key in old if key not in new}


_NAMING: Final = ("provider", "aliases")
"""What a table says of a model besides its prices: never read from a source."""


def _refreshed(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], replace: bool
) -> dict[str, Any]:
    """*old* with what *new* gives; what it lacks is kept (dropped, with *replace*), and
    said."""
    lacking: list[str] = []
    merged: dict[str, Any] = _merged("", old, new, lacking)
    if replace:
        merged = {**{key: old[key] for key in _NAMING if key in old}, **new}
    if lacking:
        done = "dropped" if replace else "kept"
        print(f"refresh: {name}: the source has no {', '.join(lacking)}; {done}", file=sys.stderr)
    return merged


def _found(source: Source, name: str, provider: str | None) -> dict[str, Any] | None:
    try:
        return source.price(name, provider)
    except UnpriceableError as exc:
        print(f"refresh: {name}: {exc}, which a table cannot say", file=sys.stderr)
        return None


def refresh(
    table: Mapping[str, Any],
    source: Source,
    add: Sequence[str],
    as_of: str,
    *,
    label: str | None = None,
    replace: bool = False,
) -> dict[str, Any]:
    """The table *table* (as read from TOML) with the prices of *source* (see
    :func:`read_source`), and the models *add* taken from it, dated *as_of*.

    Args:
        table: the table to refresh.
        source: the price file.
        add: models to add to the table.
        as_of: the refreshed table's date.
        label: the refreshed table's ``source``: which file it was read from.
        replace: what the source lacks is dropped, not kept from *table*.

    Raises:
        ValueError: a model to add that the source does not price.
    """
    models: dict[str, Any] = {}
    for name in add:
        try:
            added = source.added(name)
        except UnpriceableError as exc:
            raise ValueError(f"{name!r}: {exc}") from None
        if added is None:
            raise ValueError(f"{name!r} has no price in the source file")
        models[added[0]] = added[1]
    for name, old in table.get("models", {}).items():
        found = _found(source, name, old.get("provider"))
        if found is not None:
            models[name] = _refreshed(name, old, found, replace)
        elif replace:
            print(f"refresh: {name}: not in the source file; dropped", file=sys.stderr)
        else:
            print(f"refresh: {name}: not in the source file; kept as it was", file=sys.stderr)
            models[name] = old
    refreshed = {
        "as_of": as_of,
        **({"source": label} if label else {}),
        "currency": "USD",
        "models": dict(sorted(models.items())),
    }
    load_prices(refreshed)  # the same checks as the shipped table's
    return refreshed


def _value(value: Any) -> str:
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return "[" + ", ".join(map(_value, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    return repr(float(value)) if isinstance(value, float) else str(value)


def _ordered(price: Mapping[str, Any]) -> dict[str, Any]:
    """*price* (a tier's or a context's) in the table's order of keys."""
    found = {key: price[key] for key in ("above", *KINDS) if key in price}
    if price.get("context"):
        found["context"] = [_ordered(part) for part in price["context"]]
    return found


def to_toml(table: Mapping[str, Any]) -> str:
    """*table* (``as_of``, ``source``, ``currency``, ``models``) as ``prices.toml`` text,
    after :data:`HEADER`.

    Args:
        table: a price table as :func:`refresh` gives it.
    """
    lines = [HEADER.rstrip("\n"), f"as_of = {_value(table['as_of'])}"]
    if table.get("source"):
        lines.append(f"source = {_value(table['source'])}")
    lines.append('currency = "USD"')
    for name, entry in table["models"].items():
        lines += ["", f"[models.{_value(name)}]"]
        for key in ("provider", *KINDS, "aliases"):
            if entry.get(key) is not None:
                lines.append(f"{key} = {_value(entry[key])}")
        for tier, price in entry.get("tiers", {}).items():
            lines.append(f"tiers.{tier} = {_value(_ordered(price))}")
        if entry.get("context"):
            lines.append("context = [")
            lines += [f"  {_value(_ordered(part))}," for part in entry["context"]]
            lines.append("]")
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wf_structlog.cost.refresh")
    parser.add_argument("source", type=Path, help="LiteLLM's or genai-prices' JSON price file")
    parser.add_argument("--format", choices=FORMATS, help="the file's (default: by its shape)")
    parser.add_argument(
        "--table", type=Path, help="the table to refresh (default: the shipped one)"
    )
    parser.add_argument("--add", action="append", default=[], metavar="MODEL")
    parser.add_argument("--as-of", default=datetime.date.today().isoformat())
    parser.add_argument("--label", help="which file the table is read from (default: its name)")
    parser.add_argument(
        "--replace", action="store_true", help="drop what the file lacks instead of keeping it"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wf_structlog.cost.refresh SOURCE [--format F] [--table FILE] [--add MODEL]
    [--as-of DATE] [--label TEXT] [--replace]``: the refreshed table on stdout; 2 when a file
    cannot be read.

    Args:
        argv: the arguments (``sys.argv[1:]`` when ``None``).
    """
    args = _parser().parse_args(argv)
    table_path = args.table or Path(__file__).with_name("prices.toml")
    try:
        source = read_source(orjson.loads(args.source.read_bytes()), args.as_of, args.format)
        table = tomllib.loads(table_path.read_text("utf-8"))
        refreshed = refresh(
            table,
            source,
            args.add,
            args.as_of,
            label=args.label or args.source.name,
            replace=args.replace,
        )
    except (OSError, ValueError) as exc:  # JSON and TOML errors are ValueErrors
        print(f"refresh: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(to_toml(refreshed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
