"""The fast forms of the chain give the events the plain forms give.

The presets use :func:`stamp_event` (four processors in one) and, without processors of your
own, :class:`RedactThenStamp` (stamping after redaction, with each scope's ids redacted once).
These tests hold them to the plain chain, event for event.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog import configure, get_logger, testing
from wf_structlog.config import build_chain, resolve
from wf_structlog.processors import (
    RedactThenStamp,
    add_log_level,
    add_sequence,
    add_timestamp,
    stamp_event,
    stamp_hierarchy,
    utc_now,
)
from wf_structlog.typing import EventDict

SECRET = "sk-proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
METHODS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "msg", "x")


def _identity(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    return event_dict


def _run(chain: tuple[Any, ...], method_name: str, event: EventDict) -> EventDict:
    for processor in chain:
        event = processor(None, method_name, event)
    return event


@pytest.fixture
def in_scopes() -> Iterator[testing.Capture]:
    """Captured events, in a workflow, iteration and interaction with secrets in their names."""
    with (
        testing.capture() as logs,
        wfl.workflow(f"deploy {SECRET}"),
        wfl.iteration(),
        wfl.interaction(f"agent {SECRET}"),
    ):
        yield logs


class TestStampEvent:
    @settings(deadline=None)
    @given(method_name=st.sampled_from(METHODS), inside=st.booleans())
    def test_is_the_four_processors_in_one(self, method_name: str, inside: bool) -> None:
        """stamp_event adds what stamp_hierarchy, add_timestamp, add_log_level and add_sequence
        add, in or out of a scope (seq counts on: each call takes the next number)."""
        with testing.capture(), freeze_time("2026-11-25 06:41:52.123456"):
            scope = wfl.workflow("w") if inside else None
            if scope is not None:
                scope.__enter__()
            try:
                fused = stamp_event(None, method_name, {"k": 1})
                plain: EventDict = {"k": 1}
                for processor in (stamp_hierarchy, add_timestamp, add_log_level, add_sequence):
                    plain = processor(None, method_name, plain)
            finally:
                if scope is not None:
                    scope.__exit__(None, None, None)
        assert plain.pop("seq") == fused.pop("seq") + 1
        assert fused == plain

    def test_timestamp_crosses_milliseconds_and_seconds(self) -> None:
        """The cached millisecond and second are redone when the clock moves past them."""
        with freeze_time("2026-12-31 23:59:59.998") as clock:
            seen = [utc_now()]
            for step in (1, 1, 250):
                clock.tick(datetime.timedelta(milliseconds=step))
                seen.append(utc_now())
        assert seen == [
            "2026-12-31T23:59:59.998000Z",
            "2026-12-31T23:59:59.999000Z",
            "2027-01-01T00:00:00.000000Z",
            "2027-01-01T00:00:00.250000Z",
        ]


_KEYS = st.sampled_from(
    [
        "workflow",
        "workflow_id",
        "agent",
        "span_id",
        "level",
        "timestamp",
        "seq",
        "pid",
        "password",
        "api_key",
        "prompt",
        "model",
        "input_tokens",
    ]
) | st.text(max_size=6)
_VALUES = (
    st.text(max_size=40)
    | st.sampled_from([SECRET, f"key={SECRET}", "x" * 300 + " " + SECRET])
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.none()
    | st.lists(st.text(max_size=5) | st.just(SECRET), max_size=3)
    | st.dictionaries(st.sampled_from(["token", "note"]), st.just(SECRET) | st.text(max_size=5))
)


class TestRedactThenStamp:
    def test_presets_use_it_only_without_processors_of_yours(self) -> None:
        """With processors of yours, they see stamped events; without, stamping is fused."""
        assert isinstance(build_chain(resolve("prod", {}))[-1], RedactThenStamp)
        general = build_chain(resolve("prod", {}, processors=[_identity]))
        assert stamp_event in general
        assert general.index(stamp_event) < general.index(_identity)

    @settings(max_examples=150, deadline=None)
    @given(
        event=st.dictionaries(_KEYS, _VALUES, max_size=8),
        method_name=st.sampled_from(METHODS),
        inside=st.booleans(),
    )
    def test_writes_what_the_plain_chain_writes(
        self, event: EventDict, method_name: str, inside: bool
    ) -> None:
        """Any event, in or out of scopes named with secrets: the same keys and values as
        stamp_event followed by the redactor (seq apart), and no secret left."""
        fused = build_chain(resolve("prod", {}))
        plain = build_chain(resolve("prod", {}, processors=[_identity]))
        with testing.capture(), freeze_time("2026-11-25 06:41:52.123456"):
            opened = [wfl.workflow(f"deploy {SECRET}"), wfl.interaction(f"a {SECRET}")]
            for scope in opened if inside else ():
                scope.__enter__()
            try:
                got = _run(fused, method_name, dict(event))
                want = _run(plain, method_name, dict(event))
            finally:
                for scope in reversed(opened) if inside else ():
                    scope.__exit__(None, None, None)
        assert want.pop("seq") == got.pop("seq") + 1
        assert got == want
        assert SECRET not in repr(got)

    def test_scope_names_are_redacted_on_every_event(self, in_scopes: testing.Capture) -> None:
        """The scope's stamp, redacted once, is what every event of the scope carries."""
        log = get_logger()
        log.info("one")
        log.info("two")
        events = [e for e in in_scopes.events if e["event"] in ("one", "two")]
        assert len(events) == 2
        for event in events:
            assert SECRET not in repr(event)
            assert event["workflow"] == "deploy [REDACTED:openai_key]"
            assert event["agent"] == "agent [REDACTED:openai_key]"

    def test_a_new_configuration_redacts_the_stamp_again(self, tmp_path: Path) -> None:
        """A scope opened before configure() is redacted by the new configuration's rules."""
        path = tmp_path / "run.ndjson"
        configure("test", file=path)
        with wfl.workflow("deploy to moon-base"):
            get_logger().info("before")
            configure("test", file=path, redact_patterns={"place": "moon-base"})
            get_logger().info("after")
        shown = {
            e["event"]: e["workflow"] for e in map(orjson.loads, path.read_bytes().splitlines())
        }
        assert shown["before"] == "deploy to moon-base"
        assert shown["after"] == "deploy to [REDACTED:place]"
