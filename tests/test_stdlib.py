"""Records of the standard logging module become events, in the current scope, redacted."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections.abc import Iterator

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog.stdlib import WorkflowHandler, formatter
from wf_structlog.testing import capture

http = logging.getLogger("httpclient")
# Made-up, assembled from parts so that secret scanners do not flag this file.
KEY = "sk-proj-" + "Qx7vR2mZ9kLp4TnW8yBc3HdF6gJs1AeU5oXi0Ml"


def ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, WorkflowHandler)]


@pytest.fixture(autouse=True)
def _verbose_library() -> Iterator[None]:
    """The library's logger lets info records through (the application's choice)."""
    http.setLevel(logging.DEBUG)
    yield
    http.setLevel(logging.NOTSET)


@pytest.fixture
def bridged() -> Iterator[wfl.testing.Capture]:
    with capture(stdlib=True) as logs:
        yield logs


class TestBridge:
    def test_records_land_in_the_current_scope(self, bridged: wfl.testing.Capture) -> None:
        """A library's info record inside an interaction is an event of its iteration, not
        one of its actions, naming the interaction, with the logger's name, its extra fields
        (tokens count in usage) and redacted secrets."""
        with wfl.workflow("w"), wfl.interaction("researcher") as it:
            http.info("GET %s", "/search", extra={"api_key": "sk-1", "input_tokens": 7})
        (document,) = bridged.documents
        (iteration,) = document["iterations"]
        assert iteration["interactions"][0]["actions"] == []
        (action,) = iteration["events"]
        assert action["in_interaction"] == it.id
        assert action["event"] == "GET /search"
        assert action["logger"] == "httpclient"
        assert action["api_key"] == "[REDACTED]"
        assert document["usage"]["input_tokens"] == 7
        assert document["complete"]

    def test_errors_with_exc_info_are_errors(self, bridged: wfl.testing.Capture) -> None:
        """logger.exception lands in the scope's errors with the exception described."""
        with wfl.workflow("w"):
            try:
                raise ConnectionError("reset")
            except ConnectionError:
                http.exception("request failed")
        (error,) = bridged.documents[0]["errors"]
        assert error["exception"]["type"] == "ConnectionError"
        assert error["level"] == "error"

    def test_each_thread_logs_in_its_own_scope(self, bridged: wfl.testing.Capture) -> None:
        """The handler runs in the logging thread, so the record gets that thread's scope."""
        with wfl.workflow("w"), wfl.interaction("a"):
            worker = threading.Thread(target=http.warning, args=("slow",))
            worker.start()
            worker.join()
        (iteration,) = bridged.documents[0]["iterations"]
        assert [a["event"] for a in iteration["events"]] == ["slow"]

    def test_stdlib_actions_makes_them_actions(self) -> None:
        """With stdlib_actions=True a record inside an interaction is one of its actions."""
        with capture(stdlib=True, stdlib_actions=True) as logs:
            with wfl.workflow("w"), wfl.interaction("a"):
                http.info("GET /")
        (turn,) = logs.documents[0]["iterations"][0]["interactions"]
        assert [a["event"] for a in turn["actions"]] == ["GET /"]

    def test_a_library_marker_on_a_record_is_not_a_field(
        self, bridged: wfl.testing.Capture
    ) -> None:
        """A bare object() a library sets on its records (LiteLLM marks each record it
        redacted with one) is not logged as a field; real extra fields still are."""
        record = logging.makeLogRecord({"name": "LiteLLM", "msg": "request", "levelno": 20})
        record.litellm_redacted = object()
        record.request_model = "gpt-4o-mini"
        logging.getLogger("LiteLLM").handle(record)
        (event,) = bridged.events
        assert "litellm_redacted" not in event
        assert event["request_model"] == "gpt-4o-mini"
        assert "unserializable" not in event

    def test_own_loggers_are_skipped(self, bridged: wfl.testing.Capture) -> None:
        """Records of wf_structlog and structlog loggers never come back in as events."""
        logging.getLogger("wf_structlog.x").warning("loop?")
        logging.getLogger("structlog").warning("loop?")
        assert bridged.events == []

    def test_level_is_ours(self) -> None:
        """Records below the configured level are skipped."""
        with capture(stdlib=True, level="warning") as logs:
            http.info("quiet")
            http.warning("loud")
        assert [e["event"] for e in logs.events] == ["loud"]


class TestInstall:
    def test_installed_once_and_removed(self) -> None:
        """configure(stdlib=True) installs one handler however often it is called, and
        changes no level nor any other handler; a configuration without it, or reset(),
        removes it."""
        root = logging.getLogger()
        level, handlers = root.level, list(root.handlers)
        wfl.configure("prod", stdlib=True, level="debug")
        wfl.configure("test", stdlib=True)
        assert len(ours()) == 1
        assert root.level == level
        assert [h for h in root.handlers if h not in ours()] == handlers
        wfl.configure("test")
        assert ours() == []
        wfl.configure("test", stdlib=True)
        wfl.reset()
        assert ours() == []
        assert logging.getLogger().level == level

    def test_prod_turns_it_on(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Under prod a library's record is an NDJSON line on stdout."""
        wfl.configure("prod")
        http.warning("from a library")
        line = orjson.loads(capsys.readouterr().out)
        assert (line["event"], line["logger"]) == ("from a library", "httpclient")


@pytest.fixture
def own_stream() -> Iterator[io.StringIO]:
    """A logger of the application's with its own handler using formatter()."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter())
    own = logging.getLogger("own")
    own.addHandler(handler)
    own.propagate = False
    yield stream
    own.removeHandler(handler)
    own.propagate = True


class TestFormatter:
    def test_renders_ndjson_as_str_in_your_handler(
        self, bridged: wfl.testing.Capture, own_stream: io.StringIO
    ) -> None:
        """formatter() runs our chain and renders one JSON line as str for a stdlib handler,
        stamped with the scope and redacted; it does not add the record to our outputs."""
        with wfl.workflow("w"):
            logging.getLogger("own").warning("hello", extra={"password": "p"})
        line = orjson.loads(own_stream.getvalue())
        assert (line["event"], line["logger"], line["workflow"]) == ("hello", "own", "w")
        assert line["level"] == "warning"
        assert "password" not in line or line["password"] == "[REDACTED]"
        assert [e["event"] for e in bridged.events] == ["workflow.start", "workflow.end"]


@contextlib.contextmanager
def without_pytest_capture(*names: str) -> Iterator[None]:
    """pytest's own log capture (on the root logger, and on others, while a test runs)
    raises on a bad format string, to fail careless tests: take it off, so that only our
    handling is seen (logging.raiseExceptions stays on, so logging's usual stderr report
    would show)."""
    taken = []
    for logger in (logging.getLogger(), *map(logging.getLogger, names)):
        for handler in list(logger.handlers):
            if type(handler).__module__.startswith("_pytest"):
                logger.removeHandler(handler)
                taken.append((logger, handler))
    try:
        yield
    finally:
        for logger, handler in taken:
            logger.addHandler(handler)


class TestBadFormatStrings:
    def test_the_bridge_logs_the_record_redacted(
        self, bridged: wfl.testing.Capture, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """A record whose format string does not fit its arguments is an event of its
        unformatted message, with the redacted arguments and the error; nothing is said on
        stderr (logging would print the raw arguments there)."""
        with without_pytest_capture():
            http.warning("token %s %s", KEY)
            http.warning("%(user)s", {"name": KEY})
        first, second = bridged.events
        assert first["event"] == "token %s %s"
        assert first["args"] == ["[REDACTED:openai_key]"]
        assert first["format_error"] == "TypeError: not enough arguments for format string"
        assert (second["args"], second["format_error"]) == (
            {"name": "[REDACTED:openai_key]"},
            "KeyError: 'user'",
        )
        out, err = capfd.readouterr()
        assert KEY[8:] not in out + err
        assert err == ""

    def test_the_formatter_renders_the_record_redacted(
        self, own_stream: io.StringIO, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """formatter() renders such a record as one line with the redacted arguments and the
        error, and formats good records as logging does."""
        own = logging.getLogger("own")
        with without_pytest_capture("own"):
            own.warning("token %s %s", KEY)
            own.warning("%d calls, %s", 3, "ok")
        first, second = [orjson.loads(line) for line in own_stream.getvalue().splitlines()]
        assert (first["event"], first["args"]) == ("token %s %s", ["[REDACTED:openai_key]"])
        assert first["format_error"].startswith("TypeError")
        assert second["event"] == "3 calls, ok"
        assert "args" not in second
        out, err = capfd.readouterr()
        assert KEY[8:] not in out + err + own_stream.getvalue()
        assert err == ""
