"""Rebuild the price table from a price file you downloaded yourself; nothing is fetched.

LiteLLM publishes the prices it knows as one JSON file (``model_prices_and_context_window.json``
in the ``BerriAI/litellm`` repository): a model name to its dollars per token. Download it,
then::

    python -m wf_structlog.cost.refresh model_prices_and_context_window.json > prices.toml

writes the models of the current table (the shipped one, or ``--table FILE``), plus those
named with ``--add``, with the file's prices, dated ``--as-of`` (today by default). Use the
result with the ``prices`` setting, or, in this repository, as
``src/wf_structlog/cost/prices.toml``. Read from the file, per model (and, with the suffix
``_batches``, ``_flex`` or ``_priority``, per service tier; with ``_above_<N>k_tokens``, per
context length)::

    input_cost_per_token                        -> input
    cache_read_input_token_cost                 -> cached_input
    cache_creation_input_token_cost             -> cache_write
    cache_creation_input_token_cost_above_1hr   -> cache_write_1h
    output_cost_per_token                       -> output
    output_cost_per_reasoning_token             -> reasoning

A kind, tier or context price the file lacks keeps the current table's; a model the file
lacks is kept as it was. Both are said on stderr, so that a stale price is never silent.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import orjson

from .table import KINDS, load_prices

__all__ = ["HEADER", "from_litellm", "main", "to_toml"]

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

_SOURCE_KEYS: Final = {
    "input": "input_cost_per_token",
    "cached_input": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "output": "output_cost_per_token",
    "reasoning": "output_cost_per_reasoning_token",
}
_TIERS: Final = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
_ABOVE: Final = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def _per_million(value: object) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return None
    return float(Decimal(repr(value)).scaleb(6).normalize())  # 2.5e-06 -> 2.5, no float noise


def _kinds(source: Mapping[str, Any], suffix: str) -> dict[str, float]:
    found = {kind: _per_million(source.get(key + suffix)) for kind, key in _SOURCE_KEYS.items()}
    return {kind: value for kind, value in found.items() if value is not None}


def _context(source: Mapping[str, Any], tier_suffix: str) -> list[dict[str, Any]]:
    """The context prices of a tier (``""``: of the standard tier)."""
    parts = []
    for key in source:
        if not key.endswith(tier_suffix):
            continue
        match = _ABOVE.match(key[: len(key) - len(tier_suffix)])
        if match is None:
            continue
        rates = _kinds(source, f"_above_{match.group(1)}k_tokens{tier_suffix}")
        if "input" in rates and "output" in rates:
            parts.append({"above": int(match.group(1)) * 1000, **rates})
    return sorted(parts, key=lambda part: part["above"])


def from_litellm(source: Mapping[str, Any]) -> dict[str, Any]:
    """One model's price (as a ``prices.toml`` entry) from its LiteLLM entry: the kinds,
    tiers and context prices it gives, nothing else.

    Args:
        source: the model's entry in LiteLLM's JSON file.
    """
    entry: dict[str, Any] = _kinds(source, "")
    tiers = {}
    for tier, suffix in _TIERS.items():
        rates = _kinds(source, suffix)
        if "input" in rates and "output" in rates:
            context = _context(source, suffix)
            tiers[tier] = {**rates, **({"context": context} if context else {})}
    if tiers:
        entry["tiers"] = tiers
    context = _context(source, "")
    if context:
        entry["context"] = context
    return entry


def _merged(where: str, old: Mapping[str, Any], new: Mapping[str, Any], kept: list[str]) -> Any:
    """*new* over *old*, kind by kind, tier by tier, context price by context price; what
    only *old* has is kept, and named in *kept*."""
    merged = {**old, **new}
    kept += [f"{where}{kind}" for kind in KINDS if kind in old and kind not in new]
    old_tiers, new_tiers = old.get("tiers", {}), new.get("tiers", {})
    if old_tiers or new_tiers:
        merged["tiers"] = {
            tier: _merged(f"{where}tiers.{tier}.", old_tiers.get(tier, {}), price, kept)
            for tier, price in {**old_tiers, **new_tiers}.items()
        }
    old_parts = {part["above"]: part for part in old.get("context", [])}
    new_parts = {part["above"]: part for part in new.get("context", [])}
    if old_parts or new_parts:
        merged["context"] = [
            _merged(f"{where}above {above}: ", old_parts.get(above, {}), part, kept)
            for above, part in sorted({**old_parts, **new_parts}.items())
        ]
    return merged


def _refreshed(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """*old* with what *new* gives; what it lacks is kept, and said."""
    kept: list[str] = []
    merged: dict[str, Any] = _merged("", old, new, kept)
    if kept:
        print(f"refresh: {name}: the source has no {', '.join(kept)}; kept", file=sys.stderr)
    return merged


def _find(source: Mapping[str, Any], name: str, provider: str | None) -> Mapping[str, Any] | None:
    for key in (name, f"{provider}/{name}"):
        found = source.get(key)
        if isinstance(found, Mapping):
            return found
    return None


def refresh(
    table: Mapping[str, Any], source: Mapping[str, Any], add: Sequence[str], as_of: str
) -> dict[str, Any]:
    """The table *table* (as read from TOML) with the prices of *source* (LiteLLM's JSON),
    and the models *add* taken from it, dated *as_of*.

    Raises:
        ValueError: a model to add that the source does not price.
    """
    models: dict[str, Any] = {}
    for name in add:
        found = source.get(name)
        if not isinstance(found, Mapping) or "input_cost_per_token" not in found:
            raise ValueError(f"refresh: {name!r} has no price in the source file")
        provider = str(found.get("litellm_provider", "")).split("-")[0] or None
        models[name] = {"provider": provider, **from_litellm(found)}
    for name, old in table.get("models", {}).items():
        found = _find(source, name, old.get("provider"))
        if found is None:
            print(f"refresh: {name}: not in the source file; kept as it was", file=sys.stderr)
            models[name] = old
        else:
            models[name] = _refreshed(name, old, from_litellm(found))
    refreshed = {"as_of": as_of, "currency": "USD", "models": dict(sorted(models.items()))}
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


def to_toml(table: Mapping[str, Any]) -> str:
    """*table* (``as_of``, ``currency``, ``models``) as ``prices.toml`` text, after
    :data:`HEADER`.

    Args:
        table: a price table as :func:`refresh` gives it.
    """
    lines = [HEADER.rstrip("\n"), f"as_of = {_value(table['as_of'])}", 'currency = "USD"']
    for name, entry in table["models"].items():
        lines += ["", f"[models.{_value(name)}]"]
        for key in ("provider", *KINDS, "aliases"):
            if entry.get(key) is not None:
                lines.append(f"{key} = {_value(entry[key])}")
        for tier, price in entry.get("tiers", {}).items():
            lines.append(f"tiers.{tier} = {_value(price)}")
        if entry.get("context"):
            lines.append("context = [")
            lines += [f"  {_value(part)}," for part in entry["context"]]
            lines.append("]")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wf_structlog.cost.refresh SOURCE [--table FILE] [--add MODEL] [--as-of
    DATE]``: the refreshed table on stdout; 2 when a file cannot be read.

    Args:
        argv: the arguments (``sys.argv[1:]`` when ``None``).
    """
    parser = argparse.ArgumentParser(prog="python -m wf_structlog.cost.refresh")
    parser.add_argument("source", type=Path, help="LiteLLM's model_prices_and_context_window.json")
    parser.add_argument(
        "--table", type=Path, help="the table to refresh (default: the shipped one)"
    )
    parser.add_argument("--add", action="append", default=[], metavar="MODEL")
    parser.add_argument("--as-of", default=datetime.date.today().isoformat())
    args = parser.parse_args(argv)
    table_path = args.table or Path(__file__).with_name("prices.toml")
    try:
        source = orjson.loads(args.source.read_bytes())
        table = tomllib.loads(table_path.read_text("utf-8"))
        refreshed = refresh(table, source, args.add, args.as_of)
    except (OSError, ValueError) as exc:  # JSON and TOML errors are ValueErrors
        print(f"refresh: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(to_toml(refreshed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
