"""Settings put in force; your own outputs beside the built-in ones (configure(sinks=...))."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import ConfigError, configure
from wf_structlog.typing import EventDict

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Kept:
    """A sink of the user's: keeps what it gets, and whether it was closed."""

    def __init__(self) -> None:
        self.events: list[EventDict] = []
        self.flushes = 0
        self.closes = 0

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        self.events.append(event_dict)

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.closes += 1


class Broken(Kept):
    """A sink whose every method raises."""

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        raise RuntimeError("the queue is gone")

    def close(self) -> None:
        raise RuntimeError("cannot close")


class TestYourSinks:
    def test_a_sink_gets_every_event_stamped_and_redacted(self, tmp_path: Path) -> None:
        """A user sink gets the same finished events as the file: scope ids, timestamp,
        level, and secrets already redacted."""
        mine = Kept()
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, sinks=[mine])
        with wfl.workflow("research"), wfl.interaction("planner"):
            wfl.get_logger().info("llm_call", api_key="sk-proj-" + "a" * 40, output_tokens=3)
        wfl.reset()
        written = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert orjson.loads(orjson.dumps(mine.events)) == written
        (call,) = [e for e in mine.events if e["event"] == "llm_call"]
        assert call["api_key"] == "[REDACTED]"
        assert (call["workflow"], call["agent"], call["level"]) == ("research", "planner", "info")
        assert {"timestamp", "workflow_id", "seq"} <= call.keys()

    def test_a_crashing_sink_is_said_once_and_stops_nothing(self, tmp_path: Path) -> None:
        """In a real program: a sink that raises on every event is reported once on stderr;
        the file after it, the sink after it and the program go on, and its failing close()
        does not stop reset() from closing the next sink."""
        code = (
            "import sys\n"
            "sys.path.insert(0, sys.argv[2])\n"
            "import wf_structlog as wfl\n"
            "from test_apply import Broken, Kept\n"
            "after = Kept()\n"
            "wfl.configure('prod', stdout=False, file=sys.argv[1], sinks=[Broken(), after])\n"
            "for n in range(5):\n"
            "    wfl.get_logger().info('step', n=n)\n"
            "wfl.reset()\n"
            "print(len(after.events), after.closes)\n"
        )
        path = tmp_path / "run.ndjson"
        done = subprocess.run(
            [sys.executable, "-c", code, str(path), str(Path(__file__).parent)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert done.stdout.split() == ["5", "1"]
        assert len(path.read_bytes().splitlines()) == 5
        reports = done.stderr.splitlines()
        assert [line for line in reports if "Broken failed:" in line] == [
            "wf_structlog: Broken failed: RuntimeError('the queue is gone') "
            "(reported once; logging goes on)"
        ]

    def test_reset_closes_it(self) -> None:
        """reset() closes the user's sinks, once."""
        mine = Kept()
        configure("test", sinks=[mine])
        wfl.reset()
        wfl.reset()
        assert mine.closes == 1

    def test_a_later_configure_closes_only_the_sinks_it_leaves_out(self) -> None:
        """Reconfiguring with the same sink keeps it open; leaving it out closes it."""
        kept, left = Kept(), Kept()
        configure("test", sinks=[kept, left])
        configure("test", level="info", sinks=[kept])
        assert (kept.closes, left.closes) == (0, 1)
        wfl.get_logger().info("after")
        assert kept.events[-1]["event"] == "after"
        assert left.events == []

    def test_capture_lends_the_process_without_closing_it(self) -> None:
        """A test's capture() block does not feed or close the program's sinks; they get
        events again after it."""
        mine = Kept()
        configure("test", sinks=[mine])
        with wfl.testing.capture() as logs:
            wfl.get_logger().info("inside")
        wfl.get_logger().info("outside")
        assert [e["event"] for e in logs.events] == ["inside"]
        assert [e["event"] for e in mine.events] == ["outside"]
        assert mine.closes == 0

    def test_sinks_given_to_capture_are_closed_at_its_end(self) -> None:
        """capture(sinks=[...]) closes those sinks when the block ends."""
        configure("test")
        mine = Kept()
        with wfl.testing.capture(sinks=[mine]):
            wfl.get_logger().info("inside")
        assert ([e["event"] for e in mine.events], mine.closes) == (["inside"], 1)

    def test_flushed_at_exit(self) -> None:
        """The exit work flushes the user's sinks with the others."""
        mine = Kept()
        configure("test", sinks=[mine])
        wfl._runtime.lifecycle.at_exit()
        assert mine.flushes == 1

    @pytest.mark.parametrize(
        ("sinks", "message"),
        [
            ([print], "is not a sink, it has no emit, flush, close"),
            (Kept(), "sinks must be a list"),
        ],
    )
    def test_something_else_is_named(self, sinks: object, message: str) -> None:
        """An object without the Sink methods, or one sink instead of a list, is refused."""
        with pytest.raises(ConfigError, match=message):
            configure("test", sinks=sinks)  # type: ignore[arg-type]

    def test_the_example_counts_tokens_per_agent(self) -> None:
        """examples/custom_sink.py counts each agent's tokens and its sink is closed."""
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / "custom_sink.py")],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert done.stdout.splitlines() == [
            "planner: 24 tokens",
            "writer: 24 tokens",
            "closed: True",
        ]
