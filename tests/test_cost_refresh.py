"""Prices kept current without the network: a script rebuilds the dated table from a price
file the user downloaded (LiteLLM's JSON), and the shipped table is what it writes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from test_cost import missing_kinds

import wf_structlog as wfl
from wf_structlog import get_logger
from wf_structlog.cost import load_prices
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
