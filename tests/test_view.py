"""wf-log view: events printed as the dev console prints them, filtered."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from wf_structlog import get_logger, interaction, workflow
from wf_structlog.reading.cli import main
from wf_structlog.reading.ordered import events
from wf_structlog.reading.sources import Logs
from wf_structlog.reading.view import EventFilter, filter_from, parse_since, view, view_sources
from wf_structlog.testing import Capture


def wf_log(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    """Run wf-log in this process; returns the lines it printed on stdout."""
    assert main(list(args)) == 0
    return capsys.readouterr().out.splitlines()


class TestView:
    def test_lines_are_the_dev_console_lines(
        self, demo_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The demo's NDJSON file is printed exactly as the demo's own dev console printed it
        (the console's first event was logged before the file was configured)."""
        console = (demo_run.parent / "console.txt").read_text(encoding="utf-8").splitlines()
        assert wf_log(capsys, "view", str(demo_run)) == console[1:]

    def test_filters(self, parallel_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--agent, --level, --grep keep only the matching events; criteria combine."""
        researcher = wf_log(capsys, "view", "--agent", "researcher", str(parallel_run))
        assert len(researcher) == 3 * 2 + 3 * 2 + 1  # start, end, tool_call, llm_call; an error
        assert all("researcher" in line for line in researcher)
        errors = wf_log(capsys, "view", "--level", "error", str(parallel_run))
        events = [line.split()[1:4] for line in errors if not line.startswith(" ")]
        assert events == [["error", "researcher", "tool_failed"], ["error", "■", "critic"]]
        assert "ValueError: the critic disagrees" in errors[-1]
        grep = wf_log(capsys, "view", "--grep", r"critic llm_call.*model-large", str(parallel_run))
        assert len(grep) == 2  # iteration 2's critic raised before its call
        both = wf_log(capsys, "view", "--agent", "writer", "--grep", "■", str(parallel_run))
        assert len(both) == 3

    def test_workflow_filter_and_merge_of_processes(
        self, multi_process_run: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file written by three processes is printed in time order; --workflow picks one
        run by name or by run id prefix."""
        events = [orjson.loads(line) for line in multi_process_run.read_bytes().splitlines()]
        assert len({event["pid"] for event in events}) == 3
        everything = wf_log(capsys, "view", str(multi_process_run))
        everything = [line for line in everything if not line.startswith(" ")]  # tracebacks
        assert len(everything) == len(events)
        assert everything == sorted(everything, key=lambda line: line[:12])
        run1 = wf_log(capsys, "view", "--workflow", "run1", str(multi_process_run))
        run1 = [line for line in run1 if not line.startswith(" ")]
        run_id = next(e["workflow_id"] for e in events if e.get("workflow") == "run1")
        by_id = wf_log(capsys, "view", "--workflow", run_id[:8], str(multi_process_run))
        assert [line for line in by_id if not line.startswith(" ")] == run1
        assert len(run1) == sum(e.get("workflow") == "run1" for e in events)

    def test_lines_written_out_of_time_order_are_printed_in_order(
        self, parallel_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Lines a few places from their time order in the file (as processes writing one
        file through their own buffers leave them) are printed in time order."""
        lines = parallel_run.read_bytes().splitlines(keepends=True)
        in_order = sorted(lines, key=lambda line: orjson.loads(line)["timestamp"])
        shuffled = tmp_path / "shuffled.ndjson"
        rng = random.Random(7)
        blocks = [in_order[start : start + 9] for start in range(0, len(in_order), 9)]
        shuffled.write_bytes(b"".join(b"".join(rng.sample(b, len(b))) for b in blocks))
        assert shuffled.read_bytes() != b"".join(in_order)
        ordered = tmp_path / "ordered.ndjson"
        ordered.write_bytes(b"".join(in_order))
        assert wf_log(capsys, "view", str(shuffled)) == wf_log(capsys, "view", str(ordered))

    def test_a_file_viewed_into_a_pipe_is_its_events_viewed(
        self, parallel_run: Path, multi_process_run: Path, tmp_path: Path
    ) -> None:
        """Each line made as soon as its event is read (no filter, not a terminal) is the line
        ``view`` prints of the events in time order, tracebacks once, for one file or several,
        its lines in order or shuffled."""
        lines = multi_process_run.read_bytes().splitlines(keepends=True)
        random.Random(3).shuffle(lines)
        shuffled = tmp_path / "shuffled.ndjson"
        shuffled.write_bytes(b"".join(lines))
        for files in ([parallel_run], [multi_process_run], [shuffled, parallel_run]):
            names = [str(path) for path in files]
            out, expected = io.StringIO(), io.StringIO()
            assert view_sources(names, Logs(), out) > 0
            view(events(names, Logs()), expected)
            assert out.getvalue() == expected.getvalue()

    def test_since(self, parallel_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--since keeps events at or after a time; a duration counts back from now."""
        events = [orjson.loads(line) for line in parallel_run.read_bytes().splitlines()]
        middle = events[len(events) // 2]["timestamp"]
        later = wf_log(capsys, "view", "--since", middle, str(parallel_run))
        later = [line for line in later if not line.startswith(" ")]  # not traceback lines
        assert len(later) == sum(e["timestamp"] >= middle for e in events)
        assert wf_log(capsys, "view", "--since", "1h", str(parallel_run)) != []

    def test_parse_since(self) -> None:
        """--since takes ISO times (UTC unless said) or durations back from now."""
        now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert parse_since("10m", now) == "2026-01-02T02:54:05.000000Z"
        assert parse_since("1.5h", now) == "2026-01-02T01:34:05.000000Z"
        assert parse_since("2026-01-02T03:00") == "2026-01-02T03:00:00.000000Z"
        assert parse_since("2026-01-02T04:00+01:00") == "2026-01-02T03:00:00.000000Z"
        with pytest.raises(ValueError, match="is not a time: give a duration back from now"):
            parse_since("yesterday")

    def test_untrusted_text_is_shown_literally(self, logs: Capture) -> None:
        """rich markup and ANSI escapes in a prompt are printed as text, never interpreted."""
        with workflow("w"), interaction("[bold]agent[/]"):
            get_logger().info("llm_call", prompt="[red]hi[/red] \x1b[31mred\x1b[0m")
        out = io.StringIO()
        assert view(logs.events, out) == 7  # an implicit iteration, too
        text = out.getvalue()
        assert "prompt='[red]hi[/red] \\x1b[31mred\\x1b[0m'" in text
        assert "[bold]agent[/] llm_call" in text
        assert "\x1b" not in text

    def test_documents_are_viewed_as_their_events(
        self, demo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A finished document prints the same scope starts and ends and the same actions, in
        the same order, as the NDJSON it was built from (its metadata and resources are
        folded into its scopes)."""
        (document,) = demo_run.parent.glob("research-*.json")

        def lines(source: Path) -> list[str]:
            shown = wf_log(capsys, "view", str(source))
            return [line[:40] for line in shown if re.match(r"\S.*(▶|■|_call|tool_failed)", line)]

        assert len(lines(document)) == 2 + 3 * 2 + 9 * 2 + 9 + 3 + 1  # ▶■ wf, it, turn; actions
        assert lines(document) == lines(demo_run)

    def test_filter_defaults_keep_everything(self) -> None:
        """An empty filter keeps every event; filter_from builds the same."""
        assert EventFilter()({"event": "x"}, "") is True
        assert filter_from() == EventFilter()
