"""Prices kept current without the network: a script rebuilds the dated table from a price
file the user downloaded (LiteLLM's JSON or genai-prices' data file), and the shipped table
is what it writes from LiteLLM's file."""

from __future__ import annotations

import datetime
import functools
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_cost import missing_kinds

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.cost import DIGITS, ModelPrice, builtin_prices, dollars, load_prices
from wf_structlog.cost.refresh import to_toml

LITELLM = Path(__file__).parent / "fixtures" / "litellm_prices.json"
SHIPPED = Path(wfl.__file__).parent / "cost" / "prices.toml"


def refresh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wf_structlog.cost.refresh", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestRefresh:
    def test_the_table_is_rebuilt_from_litellm_prices(self, tmp_path: Path) -> None:
        """The script writes the shipped table's models with the file's prices per kind, tier
        and context length, the models asked for with --add, dated as told; what the file
        lacks is kept and said on stderr; the result still prices every billed kind."""
        done = refresh(str(LITELLM), "--add", "o3", "--as-of", "2026-12-01")
        assert done.returncode == 0, done.stderr
        table = load_prices(tomllib.loads(done.stdout))
        assert tomllib.loads(done.stdout)["as_of"] == "2026-12-01"
        gpt5 = table["gpt-5-2025-08-07"]
        assert (gpt5.input, gpt5.cached_input, gpt5.output) == (1.0, 0.1, 8.0)
        tiers = dict(gpt5.tiers)
        assert (tiers["flex"].input, tiers["flex"].cached_input) == (0.5, 0.05)
        assert tiers["priority"].context[0][0] == 272_000
        assert (table["o3"].reasoning, table["o3"].provider) == (8.0, "openai")
        assert table["claude-haiku-4-5"].input == 1.1  # found as anthropic/claude-haiku-4-5
        assert (
            "claude-haiku-4-5: the source has no cache_write_1h, tiers.batch; kept" in done.stderr
        )
        assert "gpt-4o: not in the source file; kept as it was" in done.stderr
        assert missing_kinds(table) == []

    def test_a_refreshed_table_prices_calls(self, tmp_path: Path) -> None:
        """The written file is a prices setting as it is."""
        path = tmp_path / "prices.toml"
        path.write_text(refresh(str(LITELLM), "--as-of", "2026-12-01").stdout)
        wfl.configure("test", prices=path)
        get_logger().info("llm_call", model="gpt-5", input_tokens=10**6, output_tokens=0)
        (event,) = wfl.testing.events()
        assert (event["cost"], event["cost_source"]) == (1.0, "user")

    def test_a_table_of_ones_own_is_refreshed(self, tmp_path: Path) -> None:
        """--table refreshes the given table instead of the shipped one: its models only."""
        mine = tmp_path / "mine.toml"
        mine.write_text('[models.o3]\nprovider = "openai"\ninput = 9.0\noutput = 9.0\n')
        done = refresh(str(LITELLM), "--table", str(mine), "--as-of", "2026-12-01")
        assert done.returncode == 0, done.stderr
        table = load_prices(tomllib.loads(done.stdout))
        assert list(table) == ["o3"]
        assert (table["o3"].input, table["o3"].cached_input) == (2.0, 0.5)

    def test_the_shipped_table_is_what_the_script_writes(self) -> None:
        """The shipped file is in the script's own form, so a refresh reviews as a diff."""
        text = SHIPPED.read_text("utf-8")
        assert to_toml(tomllib.loads(text)) == text

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["/no/such.json"], "No such file"),
            ([str(LITELLM), "--add", "no-such-model"], "'no-such-model' has no price"),
        ],
    )
    def test_bad_input_is_said_once(self, args: list[str], message: str) -> None:
        """A source that cannot be read, or a model it does not price, exits 2 with one line."""
        done = refresh(*args)
        assert (done.returncode, done.stdout) == (2, "")
        assert message in done.stderr
        assert done.stderr.count("\n") == 1


EXTRACT = Path(__file__).parent / "fixtures" / "litellm-1.110.2-prices.json"
"""The entries of the shipped table's models (and of their snapshots) in litellm 1.110.2's
``litellm/model_prices_and_context_window_backup.json``, copied as they are."""


class TestShippedTableSource:
    def test_the_shipped_table_is_litellms_file_refreshed(self) -> None:
        """Refreshed from LiteLLM's file, the shipped table comes back as it is, and nothing
        is kept from before: every price in it is the file's."""
        shipped = tomllib.loads(SHIPPED.read_text("utf-8"))
        assert shipped["source"].startswith("litellm 1.110.2:")
        done = refresh(str(EXTRACT), "--as-of", shipped["as_of"], "--label", shipped["source"])
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == SHIPPED.read_text("utf-8")

    def test_each_snapshot_bills_as_its_model_in_the_file(self, tmp_path: Path) -> None:
        """An alias of the table (a dated snapshot) has in LiteLLM's file the very prices of
        the model it names."""
        shipped = tomllib.loads(SHIPPED.read_text("utf-8"))["models"]
        snapshots = {
            alias: {"provider": entry["provider"], "input": 0.0, "output": 0.0}
            for entry in shipped.values()
            for alias in entry.get("aliases", [])
        }
        assert len(snapshots) >= 10
        mine = tmp_path / "snapshots.toml"
        mine.write_text(to_toml({"as_of": "2026-12-02", "models": snapshots}))
        done = refresh(str(EXTRACT), "--table", str(mine), "--replace")
        assert (done.returncode, done.stderr) == (0, "")
        table, theirs = load_prices(tomllib.loads(done.stdout)), builtin_prices()
        for alias in snapshots:
            assert table[alias] == theirs[alias], alias


GENAI = Path(__file__).parent / "fixtures" / "genai_prices.json"
"""Five models of genai-prices 0.2.3's data (and a DeepSeek model priced by the time of day),
in the shape of its published ``data.json``."""
GENAI_MODELS = {
    "gpt-5": "openai",
    "o4-mini": "openai",
    "claude-sonnet-4-5": "anthropic",
    "claude-opus-4-8": "anthropic",
    "gemini-2.5-pro": "google",
}
VARIANTS = {"batch": {"processing": "batch"}, "flex": {"service_tier": "flex"}}
VARIANTS |= {"priority": {"service_tier": "priority"}, "fast": {"service_tier": "fast"}}


def genai_table(*args: str, as_of: str = "2026-12-02") -> subprocess.CompletedProcess[str]:
    adds = [arg for name in GENAI_MODELS for arg in ("--add", name)]
    return refresh(str(GENAI), "--table", "/dev/null", "--as-of", as_of, *adds, *args)


@functools.cache
def _genai_prices() -> dict[str, ModelPrice]:
    done = genai_table()
    assert done.returncode == 0, done.stderr
    return load_prices(tomllib.loads(done.stdout))


@functools.cache
def _genai_snapshot() -> Any:
    """genai-prices' own calculator, on the fixture (its loader checks the file's shape)."""
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import _providers_from_raw

    return DataSnapshot(_providers_from_raw(orjson.loads(GENAI.read_bytes())), False)


class TestGenaiPrices:
    def test_a_table_is_read_from_genai_prices_data(self) -> None:
        """genai-prices' file is told by its shape: its tiered prices become context prices,
        its batch and service-tier variants tiers (the model's prices under the variant's),
        and a variant we cannot see in a call (Anthropic's fast mode) is left out, and said."""
        done = genai_table()
        assert done.returncode == 0, done.stderr
        assert tomllib.loads(done.stdout)["source"] == "genai_prices.json"
        assert done.stderr == ("refresh: claude-opus-4-8: prices when {'speed': 'fast'} left out\n")
        table = _genai_prices()
        sonnet = table["claude-sonnet-4-5"]
        assert (sonnet.cache_write, sonnet.cache_write_1h) == (3.75, 6.0)
        assert sonnet.context[0][0] == 200_000
        assert (sonnet.context[0][1].input, sonnet.context[0][1].output) == (6.0, 22.5)
        batch = dict(sonnet.tiers)["batch"]
        assert (batch.input, batch.cache_write_1h, batch.context[0][1].output) == (1.5, 3.0, 11.25)
        gemini = dict(table["gemini-2.5-pro"].tiers)["batch"]
        assert (gemini.input, gemini.cached_input) == (0.625, 0.125)  # caching: standard rate
        assert table["gemini-2.5-pro"].provider == "gemini"
        assert sorted(dict(table["gpt-5"].tiers)) == ["batch", "fast", "flex", "priority"]
        assert missing_kinds(table) == []

    @settings(max_examples=200, deadline=None)
    @given(
        st.sampled_from(sorted(GENAI_MODELS)),
        st.sampled_from([None, *VARIANTS]),
        st.integers(0, 400_000),
        st.data(),
    )
    def test_prices_cost_what_genai_prices_computes(
        self, model: str, tier: str | None, inputs: int, data: st.DataObject
    ) -> None:
        """Every call costs, by the table read from genai-prices' file, what genai-prices'
        own calculator says from the same file: cache reads, both cache writes, the tiers
        and the prices over 200k tokens alike."""
        from genai_prices import Usage

        price = _genai_prices()[model]
        assume(tier is None or tier in dict(price.tiers))
        cached = data.draw(st.integers(0, inputs))
        written = data.draw(st.integers(0, inputs - cached)) if price.cache_write else 0
        written_1h = data.draw(st.integers(0, written))
        outputs = data.draw(st.integers(0, 100_000))
        ours = dollars(
            price,
            {
                "input_tokens": inputs,
                "cached_tokens": cached,
                "cache_write_tokens": written,
                "cache_write_1h_tokens": written_1h,
                "output_tokens": outputs,
                "service_tier": tier,
            },
        )
        usage = Usage(
            input_tokens=inputs,
            cache_read_tokens=cached,
            cache_write_tokens=written,
            cache_write_1h_tokens=written_1h,
            output_tokens=outputs,
        )
        when = datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC)
        variant = VARIANTS.get(tier or "")
        theirs = _genai_snapshot().calc(usage, model, GENAI_MODELS[model], None, when, variant)
        assert ours == float(round(theirs.total_price, DIGITS))

    def test_dated_prices_count_from_their_start_date(self) -> None:
        """A price variant counts from its start date: read as of an earlier day, gpt-5 has
        no flex tier (from 2026-10-12) and no batch tier (from 2026-10-14)."""
        for as_of, tiers in [
            ("2026-10-01", []),
            ("2026-10-13", ["fast", "flex", "priority"]),
            ("2026-10-14", ["batch", "fast", "flex", "priority"]),
        ]:
            done = genai_table(as_of=as_of)
            table = load_prices(tomllib.loads(done.stdout))
            assert sorted(dict(table["gpt-5"].tiers)) == tiers, as_of

    def test_a_price_by_the_time_of_day_is_not_a_tables(self, tmp_path: Path) -> None:
        """DeepSeek's off-peak prices cannot be one price: asked for, the model is refused;
        in the table, it is kept as it was, and said."""
        done = refresh(str(GENAI), "--add", "deepseek/deepseek-chat")
        assert done.returncode == 2
        assert "'deepseek/deepseek-chat': its price depends on the time of day" in done.stderr
        mine = tmp_path / "mine.toml"
        mine.write_text('[models.deepseek-chat]\nprovider = "deepseek"\ninput = 1\noutput = 2\n')
        done = refresh(str(GENAI), "--table", str(mine))
        assert done.returncode == 0
        assert load_prices(tomllib.loads(done.stdout))["deepseek-chat"].input == 1.0
        assert "deepseek-chat: its price depends on the time of day" in done.stderr
        assert "deepseek-chat: not in the source file; kept as it was" in done.stderr

    def test_the_format_can_be_told(self) -> None:
        """--format names the file's format; a file of the other one is refused."""
        assert genai_table("--format", "genai-prices").returncode == 0
        done = refresh(str(GENAI), "--format", "litellm")
        assert (done.returncode, done.stderr) == (
            2,
            "refresh: the source file is not litellm's price file\n",
        )
        assert refresh(str(LITELLM), "--format", "genai-prices").returncode == 2
