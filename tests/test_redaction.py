"""Redaction: secret keys, secrets inside strings, your own rules, and what never changes."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_secret_rules import ORDINARY

import wf_structlog as wfl
from wf_structlog import ConfigError, configure, get_logger, testing
from wf_structlog.processors.redaction import FAILED, SECRET_KEYS, Redactor
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

# Secrets are assembled from parts so that secret scanners do not flag this file.
B62 = "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"


class TestRulesInEvents:
    def test_ordinary_events_pass_unchanged(self, logs: Capture) -> None:
        """A whole event of ordinary values comes out as it went in."""
        fields: dict[str, Any] = {f"f{i}": text for i, text in enumerate(ORDINARY)}
        get_logger().info("ordinary", input_tokens=12, output_tokens=40, cost=0.25, **fields)
        event = logs.events[0]
        assert {k: event[k] for k in fields} == fields
        assert (event["input_tokens"], event["output_tokens"], event["cost"]) == (12, 40, 0.25)

    def test_a_secret_in_the_event_name_and_keys(self, logs: Capture) -> None:
        """The event name and key names are searched too."""
        secret = "sk-" + B62
        get_logger().info(f"calling with {secret}", **{f"k {secret}": 1})
        event = logs.events[0]
        assert event["event"] == "calling with [REDACTED:openai_key]"
        assert "k [REDACTED:openai_key]" in event

    def test_repeated_short_values_are_redacted_every_time(self, logs: Capture) -> None:
        """Results are cached for short strings; the cache returns the redacted form."""
        for _ in range(3):
            get_logger().info("x", v="AKIA" + "Q3EGRWLS7NIOK2XQ")
        assert [e["v"] for e in logs.events] == ["[REDACTED:aws_access_key_id]"] * 3


@dataclasses.dataclass
class Request:
    url: str
    headers: dict[str, str]


class ModelLike:
    """Pydantic-like: has model_dump()."""

    def model_dump(self) -> dict[str, Any]:
        return {"api_key": "k1", "note": "uses sk-" + B62}


class TestStructures:
    def test_secret_keys_in_every_kind_of_container(self, logs: Capture) -> None:
        """Secret keys are found in dicts, lists, tuples, dataclasses and model_dump objects."""
        get_logger().info(
            "x",
            nested={"a": [{"Password": "p1"}, ({"x-api-key": "p2"},)]},
            request=Request("https://h", {"Proxy-Authorization": "p3", "Cookie": "p4"}),
            model=ModelLike(),
            headers=(("Set-Cookie", "p5"), ("Accept", "json")),
        )
        event = logs.events[0]
        assert event["nested"] == {"a": [{"Password": "[REDACTED]"}, [{"x-api-key": "[REDACTED]"}]]}
        assert event["request"]["headers"] == {
            "Proxy-Authorization": "[REDACTED]",
            "Cookie": "[REDACTED]",
        }
        assert event["model"] == {"api_key": "[REDACTED]", "note": "uses [REDACTED:openai_key]"}
        assert event["headers"] == [["Set-Cookie", "[REDACTED]"], ["Accept", "json"]]

    @pytest.mark.parametrize(
        "key",
        ["passwd", "secret", "apikey", "credentials", "session", "github_token", "SESSION"],
    )
    def test_issue_key_names(self, logs: Capture, key: str) -> None:
        """Each key name of the issue, in any case, is redacted."""
        get_logger().info("x", **{key: "v"})
        assert logs.events[0][key] == "[REDACTED]"

    def test_values_added_by_a_processor_are_redacted_and_made_safe(self) -> None:
        """An object a processor adds after safe_values is made safe and redacted too."""

        def add(logger: Any, method: str, event: EventDict) -> EventDict:
            event["late"] = Request("postgres://u:" + "hunter22@db", {"token": "t"})
            return event

        with testing.capture(processors=[add]) as logs:
            get_logger().info("x")
        assert logs.events[0]["late"] == {
            "url": "postgres://u:[REDACTED:url_password]@db",
            "headers": {"token": "[REDACTED]"},
        }

    def test_bound_and_contextvars_values(self, logs: Capture) -> None:
        """Values bound on a logger or in structlog's contextvars are searched."""
        import structlog

        secret = "ghp_" + B62 + "1234"
        with structlog.contextvars.bound_contextvars(cv=f"x {secret}"):
            get_logger().bind(b=[secret]).info("x")
        event = logs.events[0]
        assert (event["cv"], event["b"]) == (
            "x [REDACTED:github_token]",
            ["[REDACTED:github_token]"],
        )

    def test_scope_metadata_input_output_resources(self, logs: Capture) -> None:
        """Scope metadata, interaction input and output, and resources are redacted."""
        secret = "xoxb-" + "2134-5678-" + B62
        with wfl.workflow("w", note=secret):
            with wfl.interaction("a", input=secret) as it:
                wfl.add_resource(secret, url=secret)
                it.output = {"reply": secret}
        written = repr(logs.events) + repr(logs.documents)
        assert secret not in written
        assert written.count("[REDACTED:slack_token]") >= 8


class TestExceptions:
    def test_message_and_traceback_are_redacted(self, logs: Capture) -> None:
        """A secret in an exception message is redacted in the message and the traceback."""
        secret = "sk-ant-api03-" + B62
        try:
            raise ValueError(f"upstream rejected {secret}")
        except ValueError:
            get_logger().exception("failed")
        exception = logs.events[0]["exception"]
        assert exception["message"] == "upstream rejected [REDACTED:anthropic_key]"
        assert secret not in exception["traceback"]
        assert "ValueError: upstream rejected [REDACTED:anthropic_key]" in exception["traceback"]

    def test_escaping_exceptions_are_redacted(self, logs: Capture) -> None:
        """An exception escaping a scope is recorded redacted on its end event and document."""
        secret = "AIza" + B62 + "abc"
        with pytest.raises(RuntimeError), wfl.workflow("w"):
            raise RuntimeError(f"quota for {secret}")
        assert secret not in repr(logs.events) + repr(logs.documents)
        assert logs.events[-1]["exception"]["message"] == "quota for [REDACTED:google_api_key]"

    def test_tracebacks_have_no_local_variables(self, logs: Capture) -> None:
        """Local variables are never part of a traceback."""
        hidden = "local-value-" + "7f3a9"
        try:
            raise KeyError(len(hidden))
        except KeyError:
            get_logger().exception("failed")
        assert hidden not in repr(logs.events)

    def test_exception_objects_as_values(self, logs: Capture) -> None:
        """An exception passed as a value has its message redacted."""
        get_logger().info("x", error=ConnectionError("dial postgres://a:" + "pw123456@h"))
        assert logs.events[0]["error"] == {
            "type": "ConnectionError",
            "message": "dial postgres://a:[REDACTED:url_password]@h",
        }


def mask_ssn(text: str) -> str:
    return text.replace("123-45-6789", "[SSN]")


def broken(text: str) -> str:
    raise RuntimeError("bug in a redaction function")


class TestYourRules:
    def test_patterns_by_name(self) -> None:
        """A named regex replaces its matches with [REDACTED:<name>]."""
        configure("test", redact_patterns={"employee_id": r"EMP-\d{6}"})
        get_logger().info("x", note="ask EMP-123456 today")
        assert testing.events()[0]["note"] == "ask [REDACTED:employee_id] today"

    def test_pattern_with_a_secret_group(self) -> None:
        """With a group named secret, only that group is replaced."""
        configure("test", redact_patterns=[r"pin=(?P<secret>\d+)"])
        get_logger().info("x", note="pin=4321 ok")
        assert testing.events()[0]["note"] == "pin=[REDACTED:pattern] ok"

    def test_functions(self) -> None:
        """Redaction functions run on every string, after the rules."""
        configure("test", redact_functions=[mask_ssn])
        get_logger().info("x", note="ssn 123-45-6789", deep={"l": ["123-45-6789"]})
        event = testing.events()[0]
        assert (event["note"], event["deep"]) == ("ssn [SSN]", {"l": ["[SSN]"]})

    def test_a_failing_function_never_leaks_nor_stops_logging(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A function that raises: its string becomes a marker, the event is written, stderr
        says so once."""
        configure("test", redact_functions=[broken])
        get_logger().info("x", prompt="secret sauce recipe")
        get_logger().info("y", prompt="another one")
        events = testing.events()
        assert [e["prompt"] for e in events] == [FAILED, FAILED]
        assert capsys.readouterr().err.count("redaction function") == 1

    def test_a_function_returning_a_non_string(self) -> None:
        """A function returning something else than a str counts as failed."""

        def returns_none(text: str) -> Any:
            return None

        configure("test", redact_functions=[returns_none])
        get_logger().info("x", prompt="some text")
        assert testing.events()[0]["prompt"] == FAILED

    def test_disable_a_rule(self) -> None:
        """A built-in rule turned off by name lets its kind through."""
        url = "postgres://u:" + "visible1@db"
        configure("test", redact_disable=["url_password"])
        get_logger().info("x", url=url, key="sk-" + B62)
        event = testing.events()[0]
        assert (event["url"], event["key"]) == (url, "[REDACTED:openai_key]")

    def test_disable_a_key_name(self) -> None:
        """A built-in key name turned off lets that key's values through."""
        configure("test", redact_disable=["session"])
        get_logger().info("x", session="chat-42", password="p")
        event = testing.events()[0]
        assert (event["session"], event["password"]) == ("chat-42", "[REDACTED]")

    def test_from_a_toml_file(self, tmp_path: Path) -> None:
        """Patterns, functions and disabled rules can be set in a preset file."""
        preset = tmp_path / "mine.toml"
        preset.write_text(
            textwrap.dedent(
                """
                extends = "test"
                redact_disable = ["bearer_token"]
                redact_functions = ["test_redaction:mask_ssn"]
                [redact_patterns]
                ticket = "TCK-[0-9]+"
                """
            )
        )
        sys.path.insert(0, str(Path(__file__).parent))
        try:
            settings = configure(preset)
        finally:
            sys.path.remove(str(Path(__file__).parent))
        get_logger().info("x", a="TCK-991 123-45-6789", b="Bearer " + "abcdefghijklmnop")
        event = testing.events()[0]
        assert settings.redact_patterns == (("ticket", "TCK-[0-9]+"),)
        assert event["a"] == "[REDACTED:ticket] [SSN]"
        assert event["b"] == "Bearer abcdefghijklmnop"

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"redact_patterns": {"bad": "(unclosed"}}, "'bad' = '(unclosed' is not a regex"),
            ({"redact_patterns": 3}, "redact_patterns must map rule names to regexes"),
            ({"redact_disable": ["openai"]}, "cannot disable 'openai': no such built-in rule"),
            ({"redact_functions": ["no_such_module:f"]}, "redaction function 'no_such_module:f'"),
            ({"redact_functions": [42]}, "redaction function 42 is not callable"),
            ({"redact_functions": mask_ssn}, "redact_functions must be a list"),
        ],
    )
    def test_bad_settings_are_named(self, kwargs: dict[str, Any], message: str) -> None:
        """A bad regex, rule name or function is a ConfigError naming it; nothing changes."""
        before = configure("test")
        with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
            configure("test", **kwargs)
        assert wfl.current_settings() == before

    def test_unknown_rule_error_lists_the_valid_names(self) -> None:
        """The error for an unknown rule lists the rules and keys that exist."""
        with pytest.raises(ConfigError) as caught:
            configure("test", redact_disable=["nope"])
        for name in ("openai_key", "pem_private_key", "password"):
            assert name in str(caught.value)


class TestFailure:
    def test_a_failing_redactor_never_writes_the_values(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """If redaction itself fails, the event is cut to what wf_structlog wrote, and flagged."""

        def explode(*args: Any) -> None:
            raise RecursionError("deep")

        monkeypatch.setattr(Redactor, "_string", explode)
        with testing.capture() as logs:
            get_logger().info("hello sk-" + B62, brand_new_key="plain")
        (event,) = logs.events
        assert event["redaction_failed"] is True
        assert set(event) == {"level", "timestamp", "seq", "pid", "redaction_failed"}
        assert "redaction failed" in capsys.readouterr().err

    def test_disabling_every_key_name_is_allowed(self) -> None:
        """Every built-in key name can be turned off."""
        Redactor(disable=sorted(SECRET_KEYS))


class TestTracebackLocals:
    @staticmethod
    def fail(prompt: str) -> None:
        api_key = "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
        session_note = f"using {api_key} for {prompt}"
        raise RuntimeError(session_note)

    def log_failure(self) -> None:
        try:
            self.fail("summarise")
        except RuntimeError:
            wfl.get_logger().exception("call failed")

    def test_locals_are_never_included_unless_asked(self, tmp_path: Path) -> None:
        """By default (every preset) a logged exception carries no local variables."""
        path = tmp_path / "run.ndjson"
        wfl.configure("prod", stdout=False, file=path)
        self.log_failure()
        (event,) = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert "locals" not in event["exception"]
        assert "sk-proj-" not in path.read_text()

    def test_asked_for_locals_are_redacted(self, tmp_path: Path) -> None:
        """traceback_locals=True adds each frame's locals, redacted by name and by value."""
        path = tmp_path / "run.ndjson"
        wfl.configure("prod", stdout=False, file=path, traceback_locals=True)
        self.log_failure()
        text = path.read_text()
        assert "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6" not in text
        (event,) = [orjson.loads(line) for line in text.splitlines()]
        frames = event["exception"]["locals"]
        assert frames[-1]["frame"].endswith(" in fail")
        variables = frames[-1]["variables"]
        assert variables["prompt"] == "summarise"
        assert variables["api_key"].startswith("[REDACTED")
        assert "[REDACTED:openai_key]" in variables["session_note"]
