"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def test_readme_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ```python block of the README runs, in order, in one namespace."""
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    namespace["test_planner"]()  # the testing example is a test: run it
    crew = namespace["crew"]  # the threads and processes example
    turns = {i["agent"]: i for i in crew["iterations"][0]["interactions"]}
    assert [a["query"] for a in turns["researcher"]["actions"]] == ["bees", "wasps"]
    assert turns["streamer"]["status"] == "abandoned"
    assert [a["event"] for a in turns["writer"]["actions"]] == ["drafted"]
    assert crew["complete"]
    legacy = orjson.loads(namespace["legacy_path"].read_bytes())
    assert legacy["usage"]["input_tokens"] == 12  # the old API's document, tokens summed
    wfl.reset()  # close the file the quickstart opened before checking what it wrote
    (document,) = wfl.reduce(tmp_path / "run.ndjson")
    assert document["metadata"] == {"user": "u1", "outcome": "published"}
    assert (tmp_path / "runs" / f"research-{document['id']}.json").exists()
