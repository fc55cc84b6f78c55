"""structlog's own loggers are ours after configure(): stamped, redacted, written to our file;
reset() gives structlog back; an application's own structlog chain is kept and composes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import structlog

import wf_structlog as wfl
from wf_structlog.typing import EventDict

BOUND_AT_IMPORT = structlog.get_logger().bind(module="early")
"""A concrete logger made before any configure(), as a library does at import time."""


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class TestOwnedStructlog:
    def test_a_plain_structlog_logger_is_stamped_redacted_and_in_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """structlog.get_logger().info(...) inside an interaction lands in the NDJSON file with
        the interaction's ids, its secret redacted, and nothing on structlog's console."""
        out = tmp_path / "run.ndjson"
        wfl.configure("prod", file=out, stdout=False)
        with wfl.workflow("w"), wfl.interaction("planner") as it:
            structlog.get_logger().info("x", api_key="sk-ABCDEFGH0123456789wxyz")
        (event,) = [e for e in lines(out) if e["event"] == "x"]
        assert event["interaction_id"] == it.id
        assert event["agent"] == "planner"
        assert "sk-ABC" not in json.dumps(event)
        assert "[REDACTED" in str(event["api_key"])
        captured = capsys.readouterr()
        assert "sk-ABC" not in captured.out + captured.err

    def test_loggers_bound_before_configure_are_ours_too(self, tmp_path: Path) -> None:
        """A structlog logger bound at import time, before configure(), writes through our
        pipeline: its bound values kept, the scope stamped, its secret redacted."""
        out = tmp_path / "run.ndjson"
        wfl.configure("prod", file=out, stdout=False)
        with wfl.workflow("w") as wf:
            BOUND_AT_IMPORT.warning("early", password="hunter2-hunter2")
        (event,) = [e for e in lines(out) if e["event"] == "early"]
        assert event["module"] == "early"
        assert event["workflow_id"] == wf.id
        assert event["level"] == "warning"
        assert "hunter2" not in json.dumps(event)

    def test_our_level_filters_structlog_loggers(self, tmp_path: Path) -> None:
        """Below the configured level, structlog's loggers write nothing."""
        out = tmp_path / "run.ndjson"
        wfl.configure("prod", file=out, stdout=False, level="warning")
        structlog.get_logger().info("quiet")
        BOUND_AT_IMPORT.debug("quiet too")
        structlog.get_logger().error("loud")
        assert [e["event"] for e in lines(out)] == ["loud"]

    def test_off_makes_structlog_loggers_no_ops(self, capsys: pytest.CaptureFixture[str]) -> None:
        """With logging off, structlog's loggers print nothing either."""
        wfl.configure("off")
        structlog.get_logger().info("nothing")
        BOUND_AT_IMPORT.info("nothing either")
        assert capsys.readouterr().out == ""

    def test_reset_gives_structlog_back(self, capsys: pytest.CaptureFixture[str]) -> None:
        """After reset(), structlog is unconfigured again and prints on its own console,
        loggers bound earlier included."""
        wfl.configure("test")
        assert structlog.is_configured()
        wfl.reset()
        assert not structlog.is_configured()
        BOUND_AT_IMPORT.info("printed by structlog")
        assert "printed by structlog" in capsys.readouterr().out

    def test_each_event_is_written_once(self, logs: wfl.testing.Capture) -> None:
        """One structlog call is one event: it never runs through our chain twice."""
        structlog.get_logger().info("once")
        assert [e["event"] for e in logs.events].count("once") == 1


def keep(into: list[EventDict]) -> Any:
    def renderer(logger: Any, method_name: str, event_dict: EventDict) -> str:
        into.append(dict(event_dict))
        return json.dumps(event_dict)

    return renderer


class TestApplicationChain:
    def test_a_configured_application_keeps_its_chain_and_is_told_how_to_compose(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """configure() does not replace a chain the application set; it says once on stderr
        how to compose."""
        rendered: list[EventDict] = []
        structlog.configure(
            processors=[keep(rendered)], logger_factory=structlog.PrintLoggerFactory(io.StringIO())
        )
        wfl.configure("test")
        wfl.configure("test")
        structlog.get_logger().info("theirs")
        assert [e["event"] for e in rendered] == ["theirs"]
        assert wfl.testing.events() == []
        assert capsys.readouterr().err.count("compose_structlog") == 1
        wfl.reset()
        assert structlog.is_configured()  # still the application's

    def test_a_composed_chain_is_stamped_redacted_and_written_by_us_too(self) -> None:
        """With compose_structlog, the application's processors see the scope's ids, its
        renderer gets the event redacted, and our outputs have it once."""
        seen: list[EventDict] = []
        rendered: list[EventDict] = []

        def theirs(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
            seen.append(dict(event_dict))
            event_dict["app"] = "web"
            return event_dict

        structlog.configure(
            processors=wfl.compose_structlog([theirs, keep(rendered)]),
            logger_factory=structlog.PrintLoggerFactory(io.StringIO()),
        )
        with wfl.testing.capture() as cap, wfl.workflow("w") as wf:
            structlog.get_logger().info("composed", token="sk-ABCDEFGH0123456789wxyz")
        assert seen[0]["workflow_id"] == wf.id
        (mine,) = [e for e in cap.events if e["event"] == "composed"]
        assert rendered[0]["app"] == mine["app"] == "web"
        for event in (rendered[0], mine):
            assert "sk-ABC" not in json.dumps(event)
            assert event["workflow_id"] == wf.id

    def test_a_chain_configured_after_us_is_kept_at_the_next_configure(self) -> None:
        """An application that configures structlog after configure() keeps its chain when
        configure() is called again: ours does not overwrite it."""
        rendered: list[EventDict] = []
        wfl.configure("test")
        structlog.configure(
            processors=[keep(rendered)],
            wrapper_class=structlog.make_filtering_bound_logger(0),
            logger_factory=structlog.PrintLoggerFactory(io.StringIO()),
        )
        wfl.configure("test")
        structlog.get_logger().info("theirs")
        assert [e["event"] for e in rendered] == ["theirs"]
