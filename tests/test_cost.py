"""Cost: every llm_call with a model and tokens is priced by a dated table the user can
extend, by usage kind, service tier and context length, with where the price came from; a
call without a price gets no cost, never a guess, and roll-ups equal the sum of their calls."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.cost import (
    BILLED_KINDS,
    PRICES_AS_OF,
    ModelPrice,
    add_costs,
    builtin_prices,
    cost_of,
    load_prices,
    normalise,
)
from wf_structlog.processors.pricing import AddCost
from wf_structlog.reading.stats import compute

M = 1_000_000

# (provider, model, its usage as the API sends it, extra event fields, hand-computed dollars)
PAYLOADS = [
    pytest.param(
        "openai",
        "gpt-5",
        {
            "prompt_tokens": 10_000,
            "completion_tokens": 3_000,
            "prompt_tokens_details": {"cached_tokens": 4_000},
            "completion_tokens_details": {"reasoning_tokens": 2_000},
        },
        {},
        # 6,000 uncached x $1.25 + 4,000 cached x $0.125 + 3,000 output (reasoning inside) x $10
        "0.0075+0.0005+0.03",
        id="openai-chat-cached-and-reasoning",
    ),
    pytest.param(
        "openai",
        "gpt-5-mini",
        {
            "input_tokens": 2_000,
            "output_tokens": 500,
            "input_tokens_details": {"cached_tokens": 1_000},
            "output_tokens_details": {"reasoning_tokens": 400},
        },
        {},
        # 1,000 x $0.25 + 1,000 x $0.025 + 500 x $2
        "0.00025+0.000025+0.001",
        id="openai-responses-cached-and-reasoning",
    ),
    pytest.param(
        "anthropic",
        "claude-sonnet-4-5",
        {
            "input_tokens": 1_000,
            "cache_read_input_tokens": 20_000,
            "cache_creation_input_tokens": 5_000,
            "cache_creation": {
                "ephemeral_5m_input_tokens": 3_000,
                "ephemeral_1h_input_tokens": 2_000,
            },
            "output_tokens": 800,
        },
        {},
        # 1,000 x $3 + 20,000 read x $0.30 + 3,000 5-minute x $3.75 + 2,000 1-hour x $6 + 800 x $15
        "0.003+0.006+0.01125+0.012+0.012",
        id="anthropic-cache-reads-and-both-writes",
    ),
    pytest.param(
        "openai",
        "gpt-5",
        {"prompt_tokens": 100_000, "completion_tokens": 10_000},
        {"service_tier": "batch"},
        # the batch tier: 100,000 x $0.625 + 10,000 x $5
        "0.0625+0.05",
        id="openai-batch-tier",
    ),
    pytest.param(
        "anthropic",
        "claude-haiku-4-5",
        {"input_tokens": 10_000, "output_tokens": 2_000, "service_tier": "batch"},
        {},
        # the response says the batch tier: 10,000 x $0.50 + 2,000 x $2.50
        "0.005+0.005",
        id="anthropic-batch-tier-from-the-response",
    ),
    pytest.param(
        "openai",
        "o4-mini",
        {"prompt_tokens": 1_000, "completion_tokens": 1_000},
        {"service_tier": "flex"},
        "0.00055+0.0022",
        id="openai-flex-tier",
    ),
    pytest.param(
        "openai",
        "gpt-5",
        {"prompt_tokens": 1_000, "completion_tokens": 1_000},
        {"service_tier": "priority"},
        "0.0025+0.02",
        id="openai-priority-tier",
    ),
    pytest.param(
        "openai",
        "gpt-4.1",
        {
            "prompt_tokens": 10_000,
            "completion_tokens": 1_000,
            "prompt_tokens_details": {"cached_tokens": 4_000},
        },
        {"service_tier": "batch"},
        # batch: 6,000 x $1 + 4,000 cached at the standard cache price, $0.50, as both LiteLLM
        # and genai-prices bill a tier without a cache price of its own + 1,000 x $4
        "0.006+0.002+0.004",
        id="openai-batch-tier-with-cache-reads",
    ),
    pytest.param(
        "gemini",
        "gemini-2.5-flash",
        {"prompt_token_count": 100_000, "candidates_token_count": 10_000, "service_tier": "flex"},
        {},
        # the response says flex: 100,000 x $0.15 + 10,000 x $1.25
        "0.015+0.0125",
        id="gemini-flex-tier-from-the-response",
    ),
    pytest.param(
        "gemini",
        "gemini-2.5-pro",
        {
            "prompt_token_count": 250_000,
            "cached_content_token_count": 50_000,
            "candidates_token_count": 1_000,
            "thoughts_token_count": 3_000,
            "traffic_type": "ON_DEMAND_PRIORITY",
        },
        {},
        # Vertex AI says priority, over 200k: 200,000 x $4.50 + 50,000 x $0.45 + 4,000 x $27
        "0.9+0.0225+0.108",
        id="gemini-priority-over-200k",
    ),
    pytest.param(
        "gemini",
        "gemini-2.5-pro",
        {
            "prompt_token_count": 250_000,
            "cached_content_token_count": 50_000,
            "candidates_token_count": 1_000,
            "thoughts_token_count": 3_000,
        },
        {},
        # over 200k: 200,000 x $2.50 + 50,000 x $0.25 + (1,000 + 3,000 thinking) x $15
        "0.5+0.0125+0.06",
        id="gemini-over-200k-with-thinking",
    ),
]


def _hand(sum_text: str) -> float:
    return float(sum(Decimal(part) for part in sum_text.split("+")))


class TestPayloads:
    @pytest.mark.parametrize(("provider", "model", "usage", "extra", "dollars"), PAYLOADS)
    def test_usage_payloads_cost_what_a_hand_computation_says(
        self, provider: str, model: str, usage: dict[str, Any], extra: dict[str, Any], dollars: str
    ) -> None:
        """A provider's usage, normalised and priced by the shipped table, costs exactly the
        hand-computed dollars: cached tokens at the cache price, reasoning once, cache writes
        at their TTL's price, the tier's and the long context's prices where they apply."""
        fields = {"model": model, **normalise(provider, usage), **extra}
        cost = cost_of(fields)
        assert cost is not None
        assert cost.dollars == _hand(dollars)
        assert (cost.source, cost.table_date) == ("table", PRICES_AS_OF)

    @pytest.mark.parametrize(("provider", "model", "usage", "extra", "dollars"), PAYLOADS)
    def test_the_processor_prices_the_same_payloads(
        self,
        logs: wfl.testing.Capture,
        provider: str,
        model: str,
        usage: dict[str, Any],
        extra: dict[str, Any],
        dollars: str,
    ) -> None:
        """Logged by hand with log.info, the same usage gets the same cost and its source."""
        get_logger().info("llm_call", model=model, **normalise(provider, usage), **extra)
        (event,) = logs.events
        assert event["cost"] == _hand(dollars)
        assert (event["cost_source"], event["cost_table_date"]) == ("table", PRICES_AS_OF)


class TestNormalise:
    def test_each_provider_counts_input_and_output_the_same_way(self) -> None:
        """Whatever the provider, input_tokens include the cache reads and writes and
        output_tokens the reasoning: the same call reads the same in every provider's words."""
        openai = normalise(
            "openai",
            {
                "prompt_tokens": 30,
                "completion_tokens": 9,
                "prompt_tokens_details": {"cached_tokens": 10},
                "completion_tokens_details": {"reasoning_tokens": 4},
            },
        )
        anthropic = normalise(
            "anthropic",
            {"input_tokens": 20, "cache_read_input_tokens": 10, "output_tokens": 9},
        )
        gemini = normalise(
            "gemini",
            {
                "prompt_token_count": 30,
                "cached_content_token_count": 10,
                "candidates_token_count": 5,
                "thoughts_token_count": 4,
            },
        )
        for found in (openai, anthropic, gemini):
            assert (found["input_tokens"], found["cached_tokens"], found["output_tokens"]) == (
                30,
                10,
                9,
            )
        assert openai["reasoning_tokens"] == gemini["reasoning_tokens"] == 4

    def test_sdk_objects_read_like_their_json(self) -> None:
        """The SDK's usage object and the API's JSON give the same fields."""
        from anthropic.types import Usage

        payload = {
            "input_tokens": 5,
            "output_tokens": 2,
            "cache_read_input_tokens": 3,
            "cache_creation_input_tokens": 4,
            "cache_creation": {"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 3},
            "service_tier": "standard",
        }
        found = normalise("anthropic", Usage.model_validate(payload))
        assert found == normalise("anthropic", payload)
        assert found == {
            "input_tokens": 12,
            "output_tokens": 2,
            "cached_tokens": 3,
            "cache_write_tokens": 4,
            "cache_write_1h_tokens": 3,
        }

    def test_gemini_says_its_service_tier_in_its_usage(self) -> None:
        """The google-genai SDK's usage objects say the tier: Gemini's service_tier, Vertex
        AI's traffic_type; their words for the standard tier are the standard tier."""
        from google.genai import types

        tiers = [
            (types.UsageMetadata(service_tier=types.ServiceTier.FLEX), "flex"),
            (types.UsageMetadata(service_tier=types.ServiceTier.PRIORITY), "priority"),
            (types.UsageMetadata(service_tier=types.ServiceTier.STANDARD), None),
            (types.UsageMetadata(service_tier=types.ServiceTier.UNSPECIFIED), None),
            (
                types.GenerateContentResponseUsageMetadata(
                    traffic_type=types.TrafficType.ON_DEMAND_FLEX
                ),
                "flex",
            ),
            (
                types.GenerateContentResponseUsageMetadata(
                    traffic_type=types.TrafficType.ON_DEMAND
                ),
                None,
            ),
            (
                types.GenerateContentResponseUsageMetadata(
                    traffic_type=types.TrafficType.PROVISIONED_THROUGHPUT
                ),
                "provisioned_throughput",
            ),
        ]
        call = {"model": "gemini-2.5-flash", "input_tokens": 10, "output_tokens": 2}
        for usage, tier in tiers:
            found = normalise("gemini", usage).get("service_tier")
            assert found == tier, usage
            priced = cost_of({**call, "service_tier": found})
            assert (priced is None) == (tier == "provisioned_throughput")

    def test_a_cost_the_provider_reported_is_kept(self) -> None:
        """A usage that carries its own price (OpenRouter's usage.cost) gives that cost."""
        found = normalise("openai", {"prompt_tokens": 1, "completion_tokens": 1, "cost": 0.02})
        assert found["cost"] == 0.02


SHIPPED = sorted(builtin_prices())


class TestEachTokenOnce:
    @given(
        st.sampled_from(SHIPPED),
        st.integers(0, 150_000),
        st.integers(0, 10**5),
        st.data(),
    )
    def test_reasoning_is_never_added_to_output(
        self, model: str, inputs: int, outputs: int, data: st.DataObject
    ) -> None:
        """Reasoning tokens are inside output_tokens: saying how many of them there were
        changes nothing where the model bills them as output."""
        reasoning = data.draw(st.integers(0, outputs))
        call = {"model": model, "input_tokens": inputs, "output_tokens": outputs}
        plain, told = cost_of(call), cost_of({**call, "reasoning_tokens": reasoning})
        assert plain is not None
        assert told is not None
        assert told.dollars == plain.dollars

    @given(st.sampled_from(SHIPPED), st.integers(1, 150_000), st.data())
    def test_cached_tokens_are_priced_instead_of_input(
        self, model: str, inputs: int, data: st.DataObject
    ) -> None:
        """Cached tokens are part of input_tokens, priced at the cache price instead of the
        input price: never both, so caching never makes a call dearer."""
        cached = data.draw(st.integers(0, inputs))
        call = {"model": model, "input_tokens": inputs, "output_tokens": 0}
        plain, told = cost_of(call), cost_of({**call, "cached_tokens": cached})
        assert plain is not None
        assert told is not None
        price = builtin_prices()[model]
        assert price.cached_input is not None
        saved = Decimal(cached) * (Decimal(repr(price.input)) - Decimal(repr(price.cached_input)))
        assert plain.dollars - told.dollars == pytest.approx(float(saved / M), abs=2e-10)


class TestNoGuess:
    @pytest.mark.parametrize(
        "fields",
        [
            pytest.param({"model": "fake-llm-1"}, id="unknown-model"),
            pytest.param({"model": "gpt-5", "service_tier": "scale"}, id="tier-not-listed"),
            pytest.param({"model": "gpt-5", "cached_tokens": 20}, id="more-cached-than-input"),
            pytest.param(
                {"model": "gpt-5", "reasoning_tokens": 20}, id="more-reasoning-than-output"
            ),
            pytest.param(
                {"model": "gpt-5.4", "input_tokens": 300_000, "service_tier": "priority"},
                id="long-context-in-a-tier-without-its-price",
            ),
            pytest.param(
                {"model": "claude-sonnet-4-5", "service_tier": "priority"},
                id="anthropic-priority-tier-no-source-prices",
            ),
            pytest.param(
                {
                    "model": "claude-sonnet-4-5",
                    "cache_write_tokens": 5,
                    "cache_write_1h_tokens": 5,
                    "service_tier": "batch",
                },
                id="one-hour-cache-write-in-a-tier-without-its-price",
            ),
            pytest.param({"model": "gpt-5", "input_tokens": "10"}, id="tokens-not-a-number"),
            pytest.param({"model": ["gpt-5"]}, id="model-not-a-string"),
            pytest.param({"model": "gpt-5", "output_tokens": 10**40}, id="absurd-count"),
        ],
    )
    def test_a_call_the_table_cannot_price_gets_no_cost(self, fields: dict[str, Any]) -> None:
        """A call no table knows how to price gets no cost at all."""
        assert cost_of({"input_tokens": 10, "output_tokens": 10, **fields}) is None

    def test_a_cache_write_without_its_price_is_unpriced(self) -> None:
        """A user price without cache write prices leaves a call that wrote the cache
        unpriced; one that did not write it is priced."""
        prices = load_prices({"house": {"input": 1, "output": 2}})
        call = {"model": "house", "input_tokens": 10, "output_tokens": 0}
        assert cost_of({**call, "cache_write_tokens": 5}, prices) is None
        priced = cost_of(call, prices)
        assert priced is not None
        assert (priced.dollars, priced.source, priced.table_date) == (1e-05, "user", None)

    def test_parts_logged_as_none_are_zero(self) -> None:
        """cached_tokens=None (a provider that did not say) is no cached token."""
        fields = {"model": "gpt-5", "input_tokens": M, "output_tokens": 0, "cached_tokens": None}
        priced = cost_of(fields)
        assert priced is not None
        assert priced.dollars == 1.25

    def test_the_standard_tier_has_many_names(self) -> None:
        """default, standard and auto are the standard tier."""
        base = {"model": "gpt-5", "input_tokens": M, "output_tokens": 0}
        for tier in ("default", "standard", "auto", None):
            priced = cost_of({**base, "service_tier": tier})
            assert priced is not None
            assert priced.dollars == 1.25


def missing_kinds(table: dict[str, ModelPrice]) -> list[tuple[str, str, set[str]]]:
    """(model, part, kinds) for every billed kind a model's price, tier or context lacks."""
    missing = []
    for name, price in table.items():
        billed = BILLED_KINDS.get(price.provider or "", frozenset({"provider"}))
        parts = [("", price, billed), *((f"above {n}", p, billed) for n, p in price.context)]
        for tier, rates in price.tiers:
            paid = billed - {"cache_write", "cache_write_1h"}
            parts += [(f"tier {tier}", rates, paid)]
            parts += [(f"tier {tier} above {n}", p, paid) for n, p in rates.context]
        missing += [(name, part, set(kinds - p.given())) for part, p, kinds in parts]
    return [entry for entry in missing if entry[2]]


class TestShippedTable:
    def test_the_table_is_dated_and_covers_three_providers(self) -> None:
        """The shipped prices say when they were read, and list current models of OpenAI,
        Anthropic and Gemini with their dated snapshots."""
        assert datetime.date.fromisoformat(PRICES_AS_OF).year >= 2025
        prices = builtin_prices()
        assert prices["gpt-4o-mini-2024-07-18"] is prices["gpt-4o-mini"]
        assert (prices["gpt-4o-mini"].input, prices["gpt-4o-mini"].output) == (0.15, 0.6)
        providers = [price.provider for price in prices.values()]
        assert {"openai", "anthropic", "gemini"} <= set(providers)

    def test_every_model_has_a_price_for_each_kind_its_provider_bills(self) -> None:
        """Each model of the shipped table, and each of its long-context prices, prices every
        kind its provider bills; each of its tiers prices input, cache reads and output: no
        kind of token falls back to another's price by omission. (A cache write a tier has
        no price for leaves the call unpriced: see TestNoGuess.)"""
        assert missing_kinds(builtin_prices()) == []

    def test_a_model_behind_a_router_prefix_is_found(self) -> None:
        """openai/gpt-4o (LiteLLM) and models/gemini-2.5-flash are priced as their model."""
        for model in ("openai/gpt-4o", "models/gemini-2.5-flash"):
            assert cost_of({"model": model, "input_tokens": 1, "output_tokens": 1}) is not None


class TestUserPrices:
    def test_prices_setting_extends_and_overrides(self) -> None:
        """configure(prices={...}) prices new models and replaces shipped prices."""
        wfl.configure("test", prices={"house-model": {"input": 1, "output": 2}})
        settings = wfl.current_settings()
        assert dict(settings.prices)["house-model"] == ModelPrice(1.0, 2.0)

    @pytest.mark.parametrize("suffix", [".toml", ".json"])
    def test_prices_file_from_environment(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
    ) -> None:
        """WF_LOG_PRICES names a TOML or JSON file shaped like the shipped table."""
        entry = {"input": 3, "output": 4, "cached_input": 1, "aliases": ["gpt-4o-x"]}
        path = tmp_path / f"prices{suffix}"
        if suffix == ".json":
            path.write_bytes(orjson.dumps({"models": {"gpt-4o": entry}}))
        else:
            path.write_text(
                '[models."gpt-4o"]\ninput = 3\noutput = 4\ncached_input = 1\n'
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
            ({"m": {"input": 1, "output": 1, "tiers": 3}}, "'m' tiers must be a table"),
            ({"m": {"input": 1, "output": 1, "context": [{"input": 1}]}}, "'m' context must"),
            ("/nowhere/prices.toml", "cannot read prices file"),
            (42, "prices must be a mapping or a file path"),
        ],
    )
    def test_bad_prices_are_config_errors(self, prices: object, message: str) -> None:
        """Bad entries fail configure() with a message naming the model."""
        with pytest.raises(wfl.ConfigError, match=message):
            wfl.configure("test", prices=prices)  # type: ignore[arg-type]

    def test_load_prices_reads_what_it_is_given(self, tmp_path: Path) -> None:
        """load_prices of a broken file says the file cannot be parsed."""
        broken = tmp_path / "p.json"
        broken.write_text("{")
        with pytest.raises(ValueError, match="cannot be parsed"):
            load_prices(broken)


class TestEveryCallIsPriced:
    def test_log_llm_call_and_plain_log_info_get_a_cost(self) -> None:
        """log_llm_call and log.info("llm_call", ...) are priced like instrumented calls: the
        shipped table's price with its date, the user's with source "user"."""
        wfl.configure("test", prices={"my-finetune": {"input": 0.3, "output": 1.2}})
        wfl.log_llm_call(agent="a", model="gpt-4o-mini", input_tokens=M, output_tokens=M)
        get_logger().info("llm_call", model="my-finetune", input_tokens=M, output_tokens=M)
        table, user = [e for e in wfl.testing.events() if e["event"] == "llm_call"]
        assert (table["cost"], table["cost_source"]) == (0.75, "table")
        assert table["cost_table_date"] == PRICES_AS_OF
        assert (user["cost"], user["cost_source"]) == (1.5, "user")
        assert "cost_table_date" not in user

    def test_a_cost_the_event_brings_is_kept(self, logs: wfl.testing.Capture) -> None:
        """An event with its own cost (reported by the provider) keeps it and its source."""
        get_logger().info(
            "llm_call", model="gpt-4o", input_tokens=M, output_tokens=0, cost=0.5,
            cost_source="provider",
        )  # fmt: skip
        (event,) = logs.events
        assert (event["cost"], event["cost_source"]) == (0.5, "provider")

    def test_a_model_bound_to_the_logger_prices_the_call(self, logs: wfl.testing.Capture) -> None:
        """The model and tier may come from bound context: the call is priced after merging."""
        log = get_logger().bind(model="gpt-5", service_tier="flex")
        log.info("llm_call", input_tokens=M, output_tokens=0)
        assert logs.events[0]["cost"] == 0.625

    def test_other_events_are_left_alone(self, logs: wfl.testing.Capture) -> None:
        """Only llm_call events are priced."""
        get_logger().info("summary", model="gpt-4o", input_tokens=M, output_tokens=0)
        assert "cost" not in logs.events[0]


class TestRollUps:
    def test_unpriced_calls_are_counted_not_zeroed(self, logs: wfl.testing.Capture) -> None:
        """A workflow's cost is the sum of its priced calls; the unpriced ones are counted in
        usage.unpriced_calls, in the document and in stats, never added as $0."""
        with wfl.workflow("w"), wfl.interaction("a"):
            log = get_logger()
            log.info("llm_call", model="gpt-4o-mini", input_tokens=1000, output_tokens=1000)
            log.info("llm_call", model="house-model", input_tokens=5, output_tokens=5)
        (document,) = logs.documents
        usage = document["usage"]
        assert (usage["calls"], usage["cost"], usage["unpriced_calls"]) == (2, 0.00075, 1)
        total = compute([document])["total"]
        assert (total["calls"], total["cost"], total["unpriced_calls"]) == (2, 0.00075, 1)

    def test_the_document_sink_writes_the_same_exact_sum(self, tmp_path: Path) -> None:
        """The document written to doc_dir sums 0.1 + 0.2 + 0.3 dollars (float noise in a
        naive sum) to exactly 0.6, per interaction and for the workflow."""
        wfl.configure("prod", stdout=False, doc_dir=tmp_path)
        with wfl.workflow("w"), wfl.iteration():
            for agent in ("a", "b"):
                with wfl.interaction(agent):
                    for cost in (0.1, 0.2, 0.3):
                        get_logger().info("llm_call", input_tokens=1, output_tokens=1, cost=cost)
        wfl.reset()
        (path,) = tmp_path.glob("*.json")
        document = orjson.loads(path.read_bytes())
        interactions = document["iterations"][0]["interactions"]
        assert [turn["usage"]["cost"] for turn in interactions] == [0.6, 0.6]
        assert document["usage"]["cost"] == 1.2
        assert 0.1 + 0.2 + 0.3 != 0.6  # what a naive sum would have written

    @given(st.lists(st.integers(1, 10**9), min_size=1, max_size=60), st.randoms())
    def test_a_workflow_costs_the_sum_of_its_calls_to_the_cent(
        self, units: list[int], shuffle: random.Random
    ) -> None:
        """However the calls are spread over iterations and interactions, and in whatever
        order, the workflow's usage.cost (in the document and in stats) is the exact decimal
        sum of its calls' costs."""
        costs = [unit / 10**10 for unit in units]  # up to 0.1 dollar, ten decimals each
        with wfl.testing.capture() as logs, wfl.workflow("w"):
            for start in range(0, len(costs), 7):
                with wfl.iteration(), wfl.interaction(f"agent{start % 3}"):
                    for cost in costs[start : start + 7]:
                        get_logger().info("llm_call", input_tokens=1, output_tokens=1, cost=cost)
        (document,) = logs.documents
        exact = float(sum(Decimal(unit) for unit in units) / 10**10)
        assert document["usage"]["cost"] == exact
        assert compute([document])["total"]["cost"] == exact
        shuffle.shuffle(costs)
        total = 0.0
        for cost in costs:
            total = add_costs(total, cost)
        assert total == exact


class TestAddCostRemembersUnpricedModels:
    def test_an_unpriced_model_stays_unpriced_and_others_are_still_priced(self) -> None:
        """The processor remembers a model no table knows, so later calls skip the lookup;
        a known model's calls, a model that is no name and an unpriceable call of a known
        model are priced (or not) exactly as before."""
        add_cost = AddCost()
        call = {"event": "llm_call", "input_tokens": 10, "output_tokens": 10}
        for _ in range(2):
            assert "cost" not in add_cost(None, "info", {**call, "model": "llama-local"})
            assert "cost" not in add_cost(None, "info", {**call, "model": {"name": "x"}})
            assert "cost" in add_cost(None, "info", {**call, "model": "gpt-5"})
            unpriced = {**call, "model": "gpt-5", "service_tier": "scale"}
            assert "cost" not in add_cost(None, "info", unpriced)
        assert "cost" in add_cost(None, "info", {**call, "model": "gpt-5"})
