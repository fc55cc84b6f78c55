"""The line the redactor makes (``Finisher``, ``LineSink``): what file sinks write when the
redactor's screen proved an event clean, instead of serialising the event again."""

from __future__ import annotations

import enum
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog import configure, get_logger
from wf_structlog._runtime.pipeline import add_tap, remove_tap
from wf_structlog._runtime.state import STATE
from wf_structlog.outputs.sinks import MemorySink
from wf_structlog.render.ndjson import ndjson_line
from wf_structlog.typing import EventDict

SECRET = "sk-proj-" + "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz"
TOOL_ARGUMENTS = {
    "tool": "survey_search",
    "query": {"text": "household spending", "regions": ["north", "south"]},
    "filters": {"min_households": 100, "weights": {"urban": 0.6}, "cache": False},
}


@pytest.fixture
def kept() -> Any:
    tap = MemorySink()
    add_tap(tap)
    yield tap
    remove_tap(tap)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


class TestTheLine:
    def test_the_prod_chain_hands_over_lines(self) -> None:
        """Under the presets the chain's last step is a Finisher, so emit asks it for lines."""
        configure("prod", stdout=False)
        assert STATE.finishing is not None
        assert STATE.finishing[0] == STATE.chain[:-1]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.dictionaries(
            st.sampled_from(["prompt", "note", "tool_arguments", "n", "x", "password"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["a", "token", "b"]), inner, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=4,
        )
    )
    def test_the_file_gets_the_bytes_the_sink_would_have_written(
        self, tmp_path_factory: pytest.TempPathFactory, fields: dict[str, Any]
    ) -> None:
        """Whatever is logged, each line in the file is byte for byte what serialising the
        event a sink that keeps events got would give: the line reused or not."""
        path = tmp_path_factory.mktemp("lines") / "run.ndjson"
        configure("prod", stdout=False, file=path)
        tap = MemorySink()
        add_tap(tap)
        try:
            for _ in range(2):  # the second time, every key is known: the line is reused
                get_logger().info("llm_call", **fields)
        finally:
            remove_tap(tap)
            wfl.reset()
        assert _lines(path) == [ndjson_line(event) for event in tap.events]

    def test_an_agent_event_is_written_once_as_the_screen_made_it(self, tmp_path: Path) -> None:
        """The realistic event, inside scopes, twice: the same line as the event serialised
        by the renderer (stamp included, in the order stamping gives)."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path)
        log = get_logger().bind(agent="planner")
        with wfl.workflow("bench"), wfl.interaction("planner"):
            log.info("llm_call", prompt="Plan.", tool_arguments=TOOL_ARGUMENTS)
            log.info("llm_call", prompt="Plan.", tool_arguments=TOOL_ARGUMENTS)
        lines = [line for line in _lines(path) if b'"llm_call"' in line]
        assert len(lines) == 2
        for line in lines:
            event = orjson.loads(line)
            assert ndjson_line(event) == line
            assert event["tool_arguments"] == TOOL_ARGUMENTS
            assert list(event)[:3] == ["agent", "prompt", "tool_arguments"]
            assert list(event)[-4:] == ["timestamp", "level", "seq", "pid"]

    def test_a_processor_of_yours_still_has_its_change_written(self, tmp_path: Path) -> None:
        """A processor of yours runs before the redactor, whose line then holds its change."""

        def add_team(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
            event_dict["team"] = "research"
            return event_dict

        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, processors=[add_team])
        assert STATE.finishing is not None
        for _ in range(2):
            get_logger().info("llm_call", tool_arguments=TOOL_ARGUMENTS)
        assert [orjson.loads(line)["team"] for line in _lines(path)] == ["research"] * 2

    def test_a_sink_that_keeps_events_never_sees_the_callers_containers(
        self, tmp_path: Path, kept: MemorySink
    ) -> None:
        """A kept event is a copy parsed from the line: a container changed after the call
        (given a secret, say) leaves it as it was logged, in the file and in the kept event."""
        configure("prod", stdout=False, file=tmp_path / "run.ndjson")
        arguments: dict[str, Any] = {"query": "households", "filters": {"region": "north"}}
        for _ in range(2):
            get_logger().info("tool_call", arguments=arguments)
        arguments["filters"]["api_key"] = SECRET
        assert len(kept.events) == 2
        for event in kept.events:
            assert event["arguments"] == {"query": "households", "filters": {"region": "north"}}
            assert event["arguments"] is not arguments
        assert SECRET not in (tmp_path / "run.ndjson").read_text()


class _Colour(enum.Enum):
    RED = "red"


class TestWhatTheLineNeverTakes:
    @pytest.mark.parametrize(
        "fields",
        [
            {"prompt": f"use {SECRET}"},
            {"tool_arguments": {"query": {"text": f"key {SECRET}"}}},
            {"tool_arguments": {"headers": [["authorization", "Bearer abc"]]}},
            {"tool_arguments": {"filters": {"api_key": "hunter2hunter2"}}},
            {"tool_arguments": {"clientSecret": "hunter2hunter2"}},
            {"messages": [{"role": "user", "content": f"here: {SECRET}"}]},
        ],
    )
    def test_a_secret_anywhere_is_redacted(self, tmp_path: Path, fields: dict[str, Any]) -> None:
        """A secret in a string, nested, in a header pair or under a secret key, logged after
        events that made every key known, is never in the file."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path)
        log = get_logger()
        clean = orjson.loads(orjson.dumps(fields).replace(SECRET.encode(), b"plain"))
        log.info("llm_call", **clean)
        log.info("llm_call", **fields)
        text = path.read_text()
        assert SECRET not in text
        assert "hunter2" not in text
        assert "Bearer abc" not in text

    def test_values_the_walk_converts_are_written_as_it_shows_them(self, tmp_path: Path) -> None:
        """An enum, a UUID, a non-finite float, a tuple: the line is the walk's, as before."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path)
        ident = uuid.UUID(int=7)
        values = {"colour": _Colour.RED, "id": ident, "ratio": float("nan"), "pair": (1, 2)}
        for _ in range(2):
            get_logger().info("step", **values)
        for line in _lines(path):
            event = orjson.loads(line)
            assert event["colour"] == "red"
            assert event["id"] == str(ident)
            assert event["ratio"] == "nan"
            assert event["pair"] == [1, 2]
