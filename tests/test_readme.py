"""The README's Python examples run as written, each on its own."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
NO_RUN = "<!-- no-run"
"""Put ``<!-- no-run: why -->`` on the line before a ```python block that must not run."""


def blocks() -> list[tuple[int, str]]:
    """The README's ```python blocks that should run, with the line each starts on."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if not before.startswith(NO_RUN):
            found.append((line, match[1]))
    return found


# What a block shows, checked after it runs: (a line only that block has, the check).
CHECKS = {
    'doc_dir="runs/"': """
        written = wf.document_path
        wfl.reset()  # close run.ndjson before reading it
        (document,) = wfl.reduce("run.ndjson")
        assert document["metadata"] == {"user": "u1", "outcome": "published"}
        assert written == Path("runs") / f"research-{document['id']}.json"
        assert written.exists()
    """,
    "def test_planner": "test_planner()  # the example is a test: run it",
    "(crew,) = wfl.reduce": """
        turns = {i["agent"]: i for i in crew["iterations"][0]["interactions"]}
        assert [a["query"] for a in turns["researcher"]["actions"]] == ["bees", "wasps"]
        assert turns["streamer"]["status"] == "abandoned"
        assert [a["event"] for a in turns["writer"]["actions"]] == ["drafted"]
        assert crew["complete"]
    """,
    "def run_research": """
        try:
            logs.budget(cost=0.05, tool_calls={"search": 3})
        except BudgetExceededError as exc:
            lines = str(exc).splitlines()
        assert lines == [
            "the run went over its budget:",
            "  cost: $0.0612 > $0.0500",
            "  tool_calls.search: 4 > 3",
        ]
    """,
    'research.invoke(" wasps ")': """
        bees, wasps = wfl.reduce("chains.ndjson")
        for document, asked in ((bees, " bees "), (wasps, " wasps ")):
            (turn,) = document["iterations"][0]["interactions"]
            assert (document["name"], turn["agent"]) == ("research", "research")
            assert turn["input"] == asked
            (found,) = turn["actions"]
            assert (found["event"], found["tool"], found["status"]) == ("tool_call", "search", "ok")
            assert found["output"] == [f"a note on {asked.strip()}"]
    """,
    "legacy_path = old.finalize": """
        import orjson
        legacy = orjson.loads(legacy_path.read_bytes())
        assert legacy["usage"]["input_tokens"] == 12  # the old API's document, tokens summed
        assert legacy_path.parent == Path("logs")
    """,
}

BLOCKS = blocks()


def test_every_check_has_its_block() -> None:
    """Each check above finds exactly one block, and a no-run mark is used sparingly."""
    for key in CHECKS:
        assert [line for line, code in BLOCKS if key in code] != [], key
        assert len([line for line, code in BLOCKS if key in code]) == 1, key
    lines = README.read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith(NO_RUN) for line in lines) <= 2


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_block_runs_on_its_own(tmp_path: Path, line: int, code: str) -> None:
    """The ```python block starting at this line of README.md runs alone in a fresh process
    and directory, and shows what it says."""
    checks = [textwrap.dedent(check) for key, check in CHECKS.items() if key in code]
    script = tmp_path / "block.py"
    script.write_text(code + "\nfrom pathlib import Path\n" + "\n".join(checks), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"README.md line {line}:\n{done.stderr}"
