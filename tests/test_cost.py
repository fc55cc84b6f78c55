"""Cost: token counts priced by a dated table of models, which the user can extend; a model
without a price gets no cost, never a guess."""

from __future__ import annotations

import datetime
from pathlib import Path

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.cost import (
    PRICES_AS_OF,
    ModelPrice,
    builtin_prices,
    cost_of,
    load_prices,
)
from wf_structlog.instrumentation import _openai
from wf_structlog.instrumentation._call import LLMCall


class TestShippedTable:
    def test_the_table_is_dated_and_covers_both_providers(self) -> None:
        """The shipped prices say when they were read, and list current models of OpenAI and
        Anthropic with their dated snapshots."""
        assert datetime.date.fromisoformat(PRICES_AS_OF).year >= 2025
        prices = builtin_prices()
        assert prices["gpt-4o-mini"] == ModelPrice(0.15, 0.6, 0.075)
        assert prices["gpt-4o-mini-2024-07-18"] == prices["gpt-4o-mini"]
        assert prices["claude-sonnet-4-5-20250929"] == ModelPrice(3.0, 15.0, 0.3)
        assert sum(name.startswith("gpt-") for name in prices) >= 5
        assert sum(name.startswith("claude-") for name in prices) >= 5


class TestCostOf:
    def test_cached_input_is_priced_apart(self) -> None:
        """Cached input tokens cost the cached price; the rest of the input and the output
        their own."""
        dollars = cost_of(["gpt-4o"], 1_000_000, 1_000_000, cached_tokens=400_000)
        assert dollars == pytest.approx(600_000 * 2.5e-6 + 400_000 * 1.25e-6 + 10.0)

    def test_the_answering_model_is_priced_first(self) -> None:
        """The snapshot that answered is looked up before the alias asked for; an unknown
        answering model falls back to the model asked for."""
        table = (("snap-1", ModelPrice(1.0, 1.0)), ("alias", ModelPrice(9.0, 9.0)))
        assert cost_of(["snap-1", "alias"], 10**6, 0, overrides=table) == 1.0
        assert cost_of(["snap-2", "alias"], 10**6, 0, overrides=table) == 9.0

    def test_an_unknown_model_has_no_cost(self) -> None:
        """No entry for any of the models: no cost at all."""
        assert cost_of(["fake-llm-1", None], 100, 100) is None


class TestUserPrices:
    def test_a_mapping_adds_and_replaces_models(self) -> None:
        """configure(prices={...}) prices new models and replaces shipped prices."""
        wfl.configure("test", prices={"house-model": {"input": 1, "output": 2}})
        settings = wfl.current_settings()
        assert dict(settings.prices)["house-model"] == ModelPrice(1.0, 2.0)

    @pytest.mark.parametrize("suffix", [".toml", ".json"])
    def test_a_file_in_the_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
    ) -> None:
        """WF_LOG_PRICES names a TOML or JSON file shaped like the shipped table."""
        entry = {"input": 3.0, "output": 4.0, "cached_input": 1.0, "aliases": ["gpt-4o-x"]}
        path = tmp_path / f"prices{suffix}"
        if suffix == ".json":
            path.write_bytes(orjson.dumps({"models": {"gpt-4o": entry}}))
        else:
            path.write_text(
                '[models."gpt-4o"]\ninput = 3.0\noutput = 4.0\ncached_input = 1.0\n'
                'aliases = ["gpt-4o-x"]\n'
            )
        monkeypatch.setenv("WF_LOG_PRICES", str(path))
        prices = dict(wfl.configure("test").prices)
        assert prices["gpt-4o"] == prices["gpt-4o-x"] == ModelPrice(3.0, 4.0, 1.0)

    @pytest.mark.parametrize(
        ("prices", "message"),
        [
            ({"m": {"input": 1}}, "'m' needs output"),
            ({"m": {"input": -1, "output": 1}}, "'m' needs input"),
            ({"m": 3}, "'m' must be a table of prices"),
            ("/nowhere/prices.toml", "cannot read prices file"),
            (42, "prices must be a mapping or a file path"),
        ],
    )
    def test_bad_prices_are_config_errors(self, prices: object, message: str) -> None:
        """Prices that cannot work are refused, naming what is wrong."""
        with pytest.raises(wfl.ConfigError, match=message):
            wfl.configure("test", prices=prices)  # type: ignore[arg-type]

    def test_load_prices_reads_what_it_is_given(self, tmp_path: Path) -> None:
        """load_prices of a broken file says the file cannot be parsed."""
        broken = tmp_path / "p.json"
        broken.write_text("{")
        with pytest.raises(ValueError, match="cannot be parsed"):
            load_prices(broken)


def test_cost_rolls_up_through_the_document(logs: wfl.testing.Capture) -> None:
    """Costs of actions sum into usage.cost of their interaction, iteration and workflow."""
    with wfl.workflow("w"):
        for costs in ((0.25, 0.5), (1.0,)):
            with wfl.iteration(), wfl.interaction("a"):
                for cost in costs:
                    get_logger().info("llm_call", input_tokens=1, output_tokens=1, cost=cost)
    (document,) = logs.documents
    assert document["usage"]["cost"] == 1.75
    first, second = document["iterations"]
    assert first["usage"]["cost"] == first["interactions"][0]["usage"]["cost"] == 0.75
    assert second["usage"]["cost"] == 1.0


def test_user_prices_price_instrumented_calls() -> None:
    """A call to a model only the user's prices know gets its cost from them."""
    wfl.configure("test", prices={"house-model": {"input": 1_000_000, "output": 0}})
    call = LLMCall(_openai.CHAT, {"model": "house-model", "messages": []})
    call.end("ok", {"input_tokens": 3, "output_tokens": 5})
    (event,) = [e for e in wfl.testing.events() if e["event"] == "llm_call"]
    assert event["cost"] == 3.0
