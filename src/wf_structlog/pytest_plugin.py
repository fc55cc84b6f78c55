"""The pytest plugin: a ``wf_capture`` fixture to assert on what your agents logged.

Installed with wf-structlog (an entry point in the ``pytest11`` group), so no import is needed::

    def test_planner(wf_capture):
        run_planner()
        assert wf_capture.documents[0]["usage"]["input_tokens"] == 12
        wf_capture.budget(cost=0.05, tool_calls={"search": 3}, errors=0)
        wf_capture.baseline(tolerance=0.1)

``wf_capture.baseline()`` compares what the test's runs used with the numbers kept for that
test in a baseline file, committed with the tests (``wf-baseline.json`` in the rootdir, or
the ``wf_baseline_file`` ini setting). ``pytest --wf-baseline update`` writes the numbers of
every test that calls it; ``--wf-baseline check`` (the default) fails a test whose cost,
tokens, calls or tool calls grew by more than the tolerance, or whose errors grew at all,
with one line per number; ``--wf-baseline off`` ignores the file. A test the file does not
know yet passes (``update`` adds it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

import pytest
from structlog.contextvars import clear_contextvars

from ._budget import BudgetExceededError, over_baseline
from .testing import Capture, capture

__all__ = ["wf_capture"]

_MODES: Final = ("check", "update", "off")
_KEY: Final = pytest.StashKey["_Baseline"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--wf-baseline check|update|off`` and the ``wf_baseline_file`` ini setting."""
    parser.addoption(
        "--wf-baseline",
        choices=_MODES,
        default="check",
        help="check tests' wf_capture.baseline() against the baseline file (default), "
        "update it, or ignore it",
    )
    parser.addini(
        "wf_baseline_file", "the baseline file, from the rootdir", default="wf-baseline.json"
    )


class _Baseline:
    """The baseline file: read once, written at the end of an ``update`` session."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path, self.mode = path, mode
        self.kept: dict[str, dict[str, float]] = (
            json.loads(path.read_text("utf-8")) if path.exists() else {}
        )
        self.changed = False

    def check(self, test: str, used: Mapping[str, float], tolerance: float) -> None:
        if self.mode == "update":
            self.kept[test] = {k: v for k, v in used.items() if k != "duration_ms"}
            self.changed = True
            return
        if self.mode == "off" or test not in self.kept:
            return
        over = over_baseline(used, self.kept[test], tolerance)
        if over:
            raise BudgetExceededError(
                f"the run went over its baseline in {self.path.name} "
                f"(tolerance {tolerance:.0%}; `pytest --wf-baseline update` accepts it):\n"
                + "\n".join(over)
            )

    def write(self) -> None:
        if self.changed:
            text = json.dumps(dict(sorted(self.kept.items())), indent=2, sort_keys=True)
            self.path.write_text(text + "\n", "utf-8")


def pytest_configure(config: pytest.Config) -> None:
    """Read the baseline file."""
    path = Path(config.rootpath) / str(config.getini("wf_baseline_file"))
    config.stash[_KEY] = _Baseline(path, config.getoption("--wf-baseline"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the baseline file, in ``update`` mode."""
    baseline = session.config.stash.get(_KEY, None)
    if baseline is not None:
        baseline.write()


@pytest.fixture
def wf_capture(request: pytest.FixtureRequest) -> Iterator[Capture]:
    """The ``test`` preset for one test: ``.events``, ``.documents``, ``.budget()``,
    ``.baseline()``.

    The test starts outside any scope with no ``bind_contextvars`` values, and afterwards the
    configuration and context the test found are restored, so tests do not leak into each
    other. Works for sync and async tests alike (the capture is process-wide).
    """
    baseline = request.config.stash[_KEY]
    test = request.node.nodeid
    clear_contextvars()
    try:
        with capture() as logs:

            def check(used: Mapping[str, float], tolerance: float) -> None:
                baseline.check(test, used, tolerance)

            logs.on_baseline = check
            yield logs
    finally:
        clear_contextvars()
