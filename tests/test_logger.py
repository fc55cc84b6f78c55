"""The logger users hold: zero configuration, structlog's API, levels."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from structlog.typing import FilteringBoundLogger

import wf_structlog
from wf_structlog import BoundLogger, get_logger, testing
from wf_structlog.testing import Capture


class TestZeroConfiguration:
    def test_first_call_prints_a_readable_line_on_stderr(self) -> None:
        """With no configure() call, a log call prints one readable dev-console line."""
        code = (
            "from wf_structlog import get_logger\n"
            "log = get_logger().bind(agent='planner')\n"
            "log.info('llm_call', model='m-1', prompt='p', response='r', "
            "input_tokens=12, output_tokens=40)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert done.stdout == ""
        lines = done.stderr.splitlines()
        assert len(lines) == 1
        assert "llm_call" in lines[0]
        assert "model=m-1" in lines[0]
        assert "input_tokens=12" in lines[0]
        assert "info" in lines[0]

    def test_default_preset_is_dev(self) -> None:
        """The first use configures the dev preset when the environment names none."""
        get_logger().debug("hello")
        settings = wf_structlog.current_settings()
        assert settings.preset == "dev"
        assert settings.console is True
        assert settings.level == "debug"

    def test_logger_made_before_configure_follows_it(self) -> None:
        """A logger bound at import time writes where a later configure() says."""
        log = get_logger().bind(agent="planner")
        with testing.capture() as logs:
            log.info("after")
        assert [e["event"] for e in logs.events] == ["after"]


class TestBoundLoggerApi:
    def test_is_a_structlog_filtering_bound_logger(self) -> None:
        """get_logger() satisfies structlog's FilteringBoundLogger protocol (checked by mypy)."""
        log: FilteringBoundLogger = get_logger(a=1)
        bound = log.bind(b=2)
        assert structlog.get_context(bound) == {"a": 1, "b": 2}
        assert structlog.get_context(log) == {"a": 1}

    def test_bind_unbind_new(self, logs: Capture) -> None:
        """bind adds keys, unbind removes them, new starts over."""
        log = get_logger(base=0).bind(a=1, b=2)
        log.info("one")
        log.unbind("a").info("two")
        log.new(c=3).info("three")
        log.try_unbind("zzz").info("four")
        one, two, three, four = logs.events
        assert (one["base"], one["a"], one["b"]) == (0, 1, 2)
        assert "a" not in two
        assert two["b"] == 2
        assert three["c"] == 3
        assert "b" not in three
        assert four["a"] == 1
        with pytest.raises(KeyError):
            log.unbind("missing")

    def test_every_level_method(self, logs: Capture) -> None:
        """Each level method writes its level; aliases map to the standard names."""
        log = get_logger()
        for method in (
            "debug",
            "info",
            "msg",
            "warning",
            "warn",
            "error",
            "err",
            "critical",
            "fatal",
        ):
            getattr(log, method)(method)
        log.log(logging.WARNING, "by-number")
        log.log("error", "by-name")
        levels = {e["event"]: e["level"] for e in logs.events}
        assert levels == {
            "debug": "debug",
            "info": "info",
            "msg": "info",
            "warning": "warning",
            "warn": "warning",
            "error": "error",
            "err": "error",
            "critical": "critical",
            "fatal": "critical",
            "by-number": "warning",
            "by-name": "error",
        }

    def test_positional_arguments_format_the_event(self, logs: Capture) -> None:
        """Like structlog, extra positional arguments %-format the event."""
        get_logger().info("hello %s, %d", "world", 3)
        assert logs.events[0]["event"] == "hello world, 3"

    def test_exception_records_the_traceback(self, logs: Capture) -> None:
        """exception() records the exception being handled, at level error."""
        log = get_logger()
        try:
            raise ValueError("bad value")
        except ValueError:
            log.exception("failed", step=2)
        (event,) = logs.events
        assert event["level"] == "error"
        assert event["exception"]["type"] == "ValueError"
        assert event["exception"]["message"] == "bad value"
        assert "raise ValueError" in event["exception"]["traceback"]
        assert event["step"] == 2

    def test_error_with_exc_info_instance(self, logs: Capture) -> None:
        """exc_info may be the exception itself, caught earlier."""
        error = KeyError("k")
        get_logger().error("lookup", exc_info=error)
        assert logs.events[0]["exception"]["type"] == "KeyError"

    async def _log_async(self) -> None:
        log = get_logger()
        await log.ainfo("a-info")
        await log.aerror("a-error")
        await log.alog(logging.WARNING, "a-log")

    def test_async_methods(self, logs: Capture) -> None:
        """The a-prefixed methods log like their sync twins."""
        import asyncio

        asyncio.run(self._log_async())
        assert [(e["event"], e["level"]) for e in logs.events] == [
            ("a-info", "info"),
            ("a-error", "error"),
            ("a-log", "warning"),
        ]


class TestLevels:
    def test_calls_below_the_level_are_dropped(self) -> None:
        """With level=warning, debug and info write nothing and report disabled."""
        with testing.capture(level="warning") as logs:
            log = get_logger()
            log.debug("d")
            log.info("i")
            log.log(logging.INFO, "i2")
            log.warning("w")
            assert not log.is_enabled_for(logging.INFO)
            assert log.is_enabled_for(logging.ERROR)
            assert log.get_effective_level() == logging.WARNING
        assert [e["event"] for e in logs.events] == ["w"]

    def test_off_switch_environment(
        self, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """WORKFLOW_LOGGING=false (or 0, off, no) wins over the preset and every output."""
        for word in ("false", "0", " OFF ", "no"):
            monkeypatch.setenv("WORKFLOW_LOGGING", word)
            path = tmp_path / f"{word.strip()}.ndjson"
            settings = wf_structlog.configure("prod", console=True, file=path)
            assert settings.enabled is False
            log = get_logger()
            log.error("nothing")
            log.log(logging.CRITICAL, "nothing")
            log.exception("nothing")
            with wf_structlog.workflow("w"):
                log.info("nothing")
            assert not path.exists()
            assert capfd.readouterr() == ("", "")
            assert log.get_effective_level() > logging.CRITICAL

    def test_switching_back_on_restores_every_method(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Loggers made while logging was off log again once it is back on, log() included."""
        monkeypatch.setenv("WORKFLOW_LOGGING", "off")
        wf_structlog.configure("test")
        log = get_logger(agent="a")
        assert log.log(logging.ERROR, "off") is None
        monkeypatch.delenv("WORKFLOW_LOGGING")
        with testing.capture() as logs:
            log.log(logging.ERROR, "on")
            log.info("on too")
        assert [(e["event"], e["level"]) for e in logs.events] == [
            ("on", "error"),
            ("on too", "info"),
        ]
        assert BoundLogger.log.__doc__ == (
            'Log at *level*, a number (``logging.INFO``) or a name (``"info"``).'
        )


class TestNeverRaises:
    def test_bad_format_arguments(self, logs: Capture) -> None:
        """A %-format mistake in a log call is kept, not raised."""
        get_logger().info("needs %d", "not a number")
        assert logs.events[0]["event"] == "needs %d"
        assert logs.events[0]["positional_args"] == ["not a number"]

    def test_exception_whose_str_raises(self, logs: Capture) -> None:
        """An exception that cannot be printed is still recorded by its type."""

        class UnprintableError(Exception):
            def __str__(self) -> str:
                raise RuntimeError("nope")

        try:
            raise UnprintableError
        except UnprintableError:
            get_logger().exception("failed")
        assert logs.events[0]["exception"]["type"].endswith("UnprintableError")
