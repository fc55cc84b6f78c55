"""wf-log tree: the nested tree of each run, with status, duration, tokens, cost and errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from wf_structlog import get_logger, interaction, reduce, workflow
from wf_structlog.reading.cli import main
from wf_structlog.reading.tree import plain_runs, render_runs, render_tree
from wf_structlog.render.terminal import terminal_console
from wf_structlog.testing import Capture


def wf_log_tree(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["tree", *args]) == 0
    return capsys.readouterr().out


class TestTree:
    def test_nodes_show_status_duration_usage(
        self, parallel_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every scope is a node with its status, duration, tokens and cost; actions are
        leaves; a failed interaction and a logged error are marked."""
        out = wf_log_tree(capsys, str(parallel_run))
        lines = out.splitlines()
        assert lines[1].startswith("└── workflow research ")
        assert " ok " in lines[1]
        assert "✖ 2 errors" in lines[1]
        assert sum("iteration " in line for line in lines) == 3
        assert "planner ok" in out
        assert "critic error" in out
        assert "ValueError: the critic disagrees" in out
        assert "✖ error    tool_failed" in out
        assert "17→6 tok  $0.0290" in out  # iteration 1's planner: 17 in, 6 out
        assert sum("llm_call" in line for line in lines) == 11

    def test_errors_are_red(self, parallel_run: Path) -> None:
        """On a terminal, failed scopes and errors are drawn in red."""
        (document,) = reduce(parallel_run)
        out = io.StringIO()
        Console(file=out, force_terminal=True, width=200).print(render_tree([document]))
        assert "\x1b[1;31merror\x1b[0m" in out.getvalue()
        assert "\x1b[1;31m✖ \x1b[0m" in out.getvalue()

    def test_depth_and_agent(self, parallel_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--depth stops at workflows, iterations or interactions; --agent keeps one agent's
        interactions."""
        assert len(wf_log_tree(capsys, "--depth", "1", str(parallel_run)).splitlines()) == 2
        assert len(wf_log_tree(capsys, "--depth", "2", str(parallel_run)).splitlines()) == 5
        three = wf_log_tree(capsys, "--depth", "3", str(parallel_run))
        assert len(three.splitlines()) == 5 + 12
        assert "llm_call" not in three
        critic = wf_log_tree(capsys, "--depth", "3", "--agent", "critic", str(parallel_run))
        assert len(critic.splitlines()) == 5 + 3
        assert "planner" not in critic

    def test_crashed_run_is_marked_incomplete(
        self, crashed_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A run that died midway: the scopes that never ended are incomplete, the rest ok."""
        out = wf_log_tree(capsys, "--depth", "3", str(crashed_run))
        assert "workflow research" in out.splitlines()[1]
        assert " incomplete " in out.splitlines()[1] + " "
        assert "iteration 2 incomplete" in out
        assert "researcher incomplete" in out or "critic incomplete" in out
        assert out.count(" ok ") == 1 + 4 + 1  # iteration 1, its turns, iteration 2's planner

    def test_several_processes(
        self, multi_process_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file written by three processes gives three complete workflows."""
        out = wf_log_tree(capsys, "--depth", "1", str(multi_process_run))
        assert sorted(line.split()[2] for line in out.splitlines()[1:]) == ["run0", "run1", "run2"]
        assert "events missing" not in out

    def test_nested_interactions_and_literal_names(self, logs: Capture) -> None:
        """An interaction opened inside another is drawn under it; markup in names is text."""
        with workflow("[b]w[/b]"), interaction("outer"), interaction("[red]inner[/red]"):
            get_logger().info("llm_call", input_tokens=1, output_tokens=2)
        out = io.StringIO()
        Console(file=out, width=100).print(render_tree(logs.documents))
        lines = out.getvalue().splitlines()
        assert lines[1].startswith(f"└── workflow [b]w[/b] {logs.documents[0]['id'][:8]} ok ")
        assert lines[3].startswith("        └── outer ok ")
        assert lines[4].startswith("            └── [red]inner[/red] ok ")
        assert lines[5] == "                └── info     llm_call input_tokens=1 output_tokens=2"


class TestPlainTree:
    def test_a_pipe_gets_the_terminal_tree_without_styles(self, parallel_run: Path) -> None:
        """Into a pipe, the tree is laid out without rich: the same lines, nesting, names,
        tokens, cost and errors as the terminal's tree, a run at a time."""
        documents = reduce(parallel_run)
        out = io.StringIO()
        console = terminal_console(out)
        console.width = 1000
        for piece in render_runs(documents):
            console.print(piece)
        plain = "".join(plain_runs(documents))
        assert plain == out.getvalue()
        assert "✖ error    tool_failed" in plain
        assert "17→6 tok  $0.0290" in plain

    def test_text_from_the_log_is_escaped(self, logs: Capture) -> None:
        """Controls and escape sequences in names and fields are shown escaped, never raw,
        and an error's exception stays on its line."""
        with workflow("w\x1b]2;PWNED\x07"), interaction("a\u202eb"):
            get_logger().error("failed\r", note="x\x1b[2J", exc_info=ValueError("no\x1b[31m"))
        plain = "".join(plain_runs(logs.documents))
        assert "\x1b" not in plain
        assert "\r" not in plain
        assert "\u202e" not in plain
        assert "workflow w\\x1b]2;PWNED\\x07 " in plain
        assert "└── a\\u202eb ok " in plain
        (error,) = [line for line in plain.splitlines() if "✖ error" in line]
        assert "failed\\r" in error
        assert "note='x\\x1b[2J'" in error
        assert error.endswith("ValueError: no\\x1b[31m")
