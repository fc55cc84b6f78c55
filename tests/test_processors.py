"""The built-in processors and the chain's fault handling."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import os
import uuid
from collections.abc import MutableMapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st
from structlog import DropEvent

import wf_structlog as wfl
from wf_structlog import configure, get_logger, testing
from wf_structlog.processors import add_timestamp
from wf_structlog.processors.redaction import Redactor
from wf_structlog.render.safe import make_safe
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict


class TestTimestampLevelSequence:
    @freeze_time("2026-11-25 06:41:52.123456")
    def test_timestamp_is_utc_iso8601(self, logs: Capture) -> None:
        """timestamp is UTC ISO-8601 with microseconds and Z."""
        get_logger().info("x")
        assert logs.events[0]["timestamp"] == "2026-11-25T06:41:52.123456Z"

    def test_timestamp_follows_the_clock_across_seconds(self) -> None:
        """The cached second is refreshed when the second changes."""
        # Fractions a float holds exactly: freezegun derives time_ns from a float.
        with freeze_time("2026-01-01 23:59:59.5") as clock:
            first = add_timestamp(None, "info", {})["timestamp"]
            clock.tick(datetime.timedelta(milliseconds=750))
            second = add_timestamp(None, "info", {})["timestamp"]
        assert first == "2026-01-01T23:59:59.500000Z"
        assert second == "2026-01-02T00:00:00.250000Z"

    def test_sequence_increases_and_names_the_process(self, logs: Capture) -> None:
        """seq counts up by one per event; pid is this process."""
        log = get_logger()
        for _ in range(3):
            log.info("x")
        seqs = [e["seq"] for e in logs.events]
        assert seqs == list(range(seqs[0], seqs[0] + 3))
        assert {e["pid"] for e in logs.events} == {os.getpid()}

    def test_contextvars_are_merged(self, logs: Capture) -> None:
        """Values bound with structlog.contextvars reach the event."""
        import structlog

        structlog.contextvars.bind_contextvars(request_id="r-1")
        try:
            get_logger().info("x")
        finally:
            structlog.contextvars.clear_contextvars()
        assert logs.events[0]["request_id"] == "r-1"


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class TestSafeValues:
    def test_known_types_convert_faithfully(self, logs: Capture) -> None:
        """Datetimes, UUIDs, enums, dataclasses, sets, bytes, paths, decimals become JSON."""
        when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        ident = uuid.UUID(int=1)
        get_logger().info(
            "x",
            when=when,
            ident=ident,
            colour=Colour.RED,
            point=Point(1, 2),
            tags={"b", "a"},
            raw=b"\xffok",
            path=Path("/tmp/a"),
            price=Decimal("1.10"),
            pair=(1, 2),
            big=2**70,
            nan=float("nan"),
        )
        event = logs.events[0]
        assert event["when"] == "2026-01-02T03:04:05+00:00"
        assert event["ident"] == str(ident)
        assert event["colour"] == "red"
        assert event["point"] == {"x": 1, "y": 2}
        assert event["tags"] == ["a", "b"]
        assert event["raw"] == "\\xffok"
        assert event["path"] == "/tmp/a"
        assert event["price"] == "1.10"
        assert event["pair"] == [1, 2]
        assert event["big"] == str(2**70)
        assert event["nan"] == "nan"
        assert "unserializable" not in event

    def test_unknown_objects_become_flagged_reprs(self, logs: Capture) -> None:
        """An object with no JSON form is kept as its repr, and its path flagged."""
        get_logger().info("x", obj=Opaque(), nested={"deep": [1, BadRepr()]})
        event = logs.events[0]
        assert event["obj"] == "<Opaque>"
        assert event["nested"]["deep"] == [1, "<unrepresentable BadRepr>"]
        assert event["unserializable"] == ["obj", "nested.deep.1"]

    def test_a_repr_of_only_a_type_and_an_address_shows_the_type(self, logs: Capture) -> None:
        """A value whose repr would be its type and memory address (a sentinel object(), a
        class without __repr__) is shown as its type alone, and any other fallback repr
        without its address: the same run logged twice gives the same text."""

        class Plain:
            pass

        def helper() -> None:
            pass

        get_logger().info("x", sentinel=object(), plain=Plain(), fn=helper, box=[object()])
        event = logs.events[0]
        assert event["sentinel"] == "<object>"
        assert event["plain"] == f"<{__name__}.{Plain.__qualname__}>"
        assert event["fn"] == f"<function {helper.__qualname__}>"
        assert event["box"] == ["<object>"]
        assert event["unserializable"] == ["sentinel", "plain", "fn", "box.0"]
        assert "0x" not in orjson.dumps(event).decode()

    def test_cycles_and_depth_are_bounded(self, logs: Capture) -> None:
        """A self-containing list does not recurse forever."""
        loop: list[Any] = [1]
        loop.append(loop)
        get_logger().info("x", loop=loop)
        assert logs.events[0]["unserializable"]

    @given(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text()
            | st.binary()
            | st.datetimes()
            | st.uuids()
            | st.builds(Opaque),
            lambda children: (
                st.lists(children)
                | st.dictionaries(st.text() | st.integers(), children)
                | st.tuples(children, children)
                | st.frozensets(st.integers())
            ),
            max_leaves=20,
        )
    )
    def test_any_value_serialises(self, value: Any) -> None:
        """Whatever the value, make_safe's result serialises with orjson and round-trips."""
        safe, _ = make_safe({"v": value})
        assert orjson.loads(orjson.dumps(safe)) == safe


class TestRedactionByKey:
    @pytest.mark.parametrize(
        "key",
        [
            "password",
            "API_KEY",
            "apikey",
            "x-api-key",
            "Authorization",
            "access_token",
            "client_secret",
            "token",
            "private_key",
            "set-cookie",
            "session",
            "db_password",
        ],
    )
    def test_secret_keys_are_replaced_at_any_depth(self, logs: Capture, key: str) -> None:
        """Values of secret-looking keys are replaced, top-level and nested."""
        get_logger().info("x", **{key: "s3cr3t"}, headers={key: "s3cr3t"}, items=[{key: "s"}])
        event = logs.events[0]
        assert event[key] == "[REDACTED]"
        assert event["headers"][key] == "[REDACTED]"
        assert event["items"][0][key] == "[REDACTED]"

    @pytest.mark.parametrize(
        "key",
        ["input_tokens", "output_tokens", "max_tokens", "tokenizer", "author", "secretary_name"],
    )
    def test_ordinary_keys_pass(self, logs: Capture, key: str) -> None:
        """Token counts and words that merely contain a secret word are kept."""
        get_logger().info("x", **{key: 12})
        assert logs.events[0][key] == 12

    def test_bound_context_is_redacted(self, logs: Capture) -> None:
        """Secrets bound on a logger are redacted too."""
        get_logger().bind(api_key="sk-bound").info("x")
        assert logs.events[0]["api_key"] == "[REDACTED]"

    def test_extra_keys(self) -> None:
        """redact_keys adds names."""
        redactor = Redactor(["SSN"])
        assert redactor(None, "info", {"ssn": "1", "name": "n"}) == {
            "ssn": "[REDACTED]",
            "name": "n",
        }


def crash(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    raise ZeroDivisionError("custom processor bug")


def not_a_dict(logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
    return "oops"


def drop_debug(logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
    if event["level"] == "debug":
        raise DropEvent
    return event


class TestFaultyProcessors:
    def test_crashing_processor_keeps_the_event(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A processor that raises is skipped for the event, named on it, and reported once."""
        configure("test", processors=[crash])
        log = get_logger()
        log.info("first", password="p")
        log.info("second")
        events = testing.events()
        assert [e["event"] for e in events] == ["first", "second"]
        assert events[0]["processor_errors"] == ["crash: ZeroDivisionError"]
        assert events[0]["password"] == "[REDACTED]"
        err = capsys.readouterr().err
        assert err.count("processor crash raised ZeroDivisionError") == 1

    def test_processor_returning_a_non_dict(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A processor that returns something else is ignored for the event."""
        configure("test", processors=[not_a_dict])
        get_logger().info("x")
        assert testing.events()[0]["processor_errors"] == ["not_a_dict: not a dict"]
        assert "returned str" in capsys.readouterr().err

    def test_drop_event(self) -> None:
        """A processor raising DropEvent drops the event on purpose, silently."""
        configure("test", processors=[drop_debug])
        get_logger().debug("gone")
        get_logger().info("kept")
        assert [e["event"] for e in testing.events()] == ["kept"]


class Unreachable:
    """A proxy outside its context: every attribute access raises."""

    def __getattribute__(self, name: str) -> Any:
        raise RuntimeError("working outside of the request context")


class NoClass:
    """An object whose ``__class__`` raises."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("no class here")


class TestHostileValues:
    def test_lone_surrogates_keep_the_event_everywhere(self, tmp_path: Path) -> None:
        """A string no UTF-8 writer accepts (a lone surrogate, as json.loads can give) is
        escaped; the NDJSON line and the document are still written."""
        configure("test", file=tmp_path / "run.ndjson", doc_dir=tmp_path / "docs")
        prompt = json.loads('"bad \\ud800 text"')
        with wfl.workflow("w"):
            get_logger().info("x", prompt=prompt, nested={prompt: [prompt]})
        (line,) = [
            e
            for e in map(orjson.loads, (tmp_path / "run.ndjson").read_bytes().splitlines())
            if e["event"] == "x"
        ]
        assert line["prompt"] == "bad \\ud800 text"
        assert line["nested"] == {"bad \\ud800 text": ["bad \\ud800 text"]}
        assert len(list((tmp_path / "docs").iterdir())) == 1

    @pytest.mark.parametrize("processors", [[], [lambda _, __, event: event]])
    def test_a_bad_value_costs_only_itself(self, tmp_path: Path, processors: list[Any]) -> None:
        """An int past Python's 4,300 digits, or an object whose attribute access raises (even
        ``__class__``, as a proxy outside its context does), is replaced where it stands: the
        event's name and every other field reach the file (first and later events alike, with
        or without processors of yours)."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, processors=processors)
        huge = 7**6000
        for _ in range(2):  # the second time, the keys are known: the redactor's fast path
            get_logger().info("huge", n=huge, inside=[1, huge], other="kept")
            get_logger().info("proxy", obj=Unreachable(), other="kept")
            get_logger().info("class", obj=NoClass(), mapping={NoClass(): 1}, other="kept")
        events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
        assert [e["event"] for e in events] == ["huge", "proxy", "class"] * 2
        assert all(e["other"] == "kept" and "redaction_failed" not in e for e in events)
        huge_event, proxy, no_class = events[3:]
        assert huge_event["n"] == huge_event["inside"][1] == f"<int of {huge.bit_length()} bits>"
        assert huge_event["inside"][0] == 1
        assert huge_event["unserializable"] == ["n", "inside.1"]
        assert proxy["obj"].startswith("<")
        assert proxy["unserializable"] == ["obj"]
        assert list(no_class["mapping"].values()) == [1]
        assert sorted(no_class["unserializable"]) == ["mapping.<key>", "obj"]

    def test_an_int_past_64_bits_keeps_its_digits(self, logs: Capture) -> None:
        """Below the interpreter's limit on digits, a big int is written as its digits."""
        get_logger().info("x", n=10**4000)
        assert logs.events[0]["n"] == str(10**4000)
        assert "unserializable" not in logs.events[0]

    def test_shared_structures_are_cut_not_explored_forever(self, logs: Capture) -> None:
        """A structure sharing its parts ([x, x] nested deeply: 2**40 paths) is cut at a
        budget and flagged; the call returns at once."""
        shared: list[Any] = []
        for _ in range(40):
            shared = [shared, shared]
        get_logger().info("x", value=shared)
        assert logs.events[0]["unserializable"]

    def test_cycles_through_several_references(self, logs: Capture) -> None:
        """A dict referring to itself twice is flagged at each cycle, not expanded."""
        loop: dict[str, Any] = {}
        loop["a"] = loop
        loop["b"] = loop
        get_logger().info("x", loop=loop)
        event = logs.events[0]
        assert event["loop"] == {"a": "<cycle>", "b": "<cycle>"}
        assert event["unserializable"] == ["loop.a", "loop.b"]

    def test_keys_colliding_as_strings_are_flagged(self, logs: Capture) -> None:
        """{1: ..., "1": ...} cannot keep both keys; the loss is flagged, not silent."""
        get_logger().info("x", mapping={1: "int", "1": "str"})
        assert logs.events[0]["unserializable"] == ["mapping.1"]

    @given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
    def test_any_code_point_serialises(self, text: str) -> None:
        """Every code point, surrogates included, comes out as valid UTF-8 JSON."""
        safe, _ = make_safe({text: [text]})
        orjson.loads(orjson.dumps(safe))


class TestReentrancy:
    def test_a_processor_that_logs_does_not_recurse(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An event logged from inside a processor is dropped (and said once), not looped."""

        def chatty(logger: Any, method: str, event: EventDict) -> EventDict:
            get_logger().info("from_inside")
            return event

        configure("test", processors=[chatty])
        get_logger().info("outer")
        get_logger().info("outer")
        assert [e["event"] for e in testing.events()] == ["outer", "outer"]
        assert capsys.readouterr().err.count("from inside a processor") == 1


class TestMoreRedaction:
    @pytest.mark.parametrize(
        "key",
        [
            "secret_key",
            "aws_secret_access_key",
            "access_key",
            "jwt",
            "credential",
            "cookies",
            "passphrase",
            "pwd",
            "auth",
            "bearer",
            "OPENAI_API_KEY",
        ],
    )
    def test_common_secret_names(self, logs: Capture, key: str) -> None:
        """Common names for secrets beyond the basic list are redacted."""
        get_logger().info("x", **{key: "v"})
        assert logs.events[0][key] == "[REDACTED]"

    def test_header_pairs(self, logs: Capture) -> None:
        """Headers as (name, value) pairs have the value of secret names redacted."""
        get_logger().info("x", headers=[("Authorization", "Bearer abc"), ("Accept", "json")])
        assert logs.events[0]["headers"] == [["Authorization", "[REDACTED]"], ["Accept", "json"]]

    def test_event_given_as_a_dict(self, logs: Capture) -> None:
        """A dict passed as the event itself is redacted too."""
        get_logger().info({"api_key": "sk-live", "q": 1})
        assert logs.events[0]["event"] == {"api_key": "[REDACTED]", "q": 1}

    def test_redact_keys_as_one_string(self) -> None:
        """redact_keys="ssn" means the key ssn, not the letters s and n."""
        configure("test", redact_keys="ssn")
        get_logger().info("x", ssn="1", s="kept")
        event = testing.events()[0]
        assert (event["ssn"], event["s"]) == ("[REDACTED]", "kept")
