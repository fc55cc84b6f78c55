"""The dev console's renderer: columns, agent colours, each traceback shown once."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import hypothesis.strategies as st
import orjson
import pytest
from hypothesis import given

import wf_structlog as wfl
from wf_structlog import get_logger, testing
from wf_structlog.outputs.sinks import ConsoleSink
from wf_structlog.reading.view import view
from wf_structlog.render.console import (
    AGENT_COLOURS,
    LEVEL_STYLES,
    STATUS_STYLES,
    AgentColours,
    Column,
    ConsoleRenderer,
    KeyValueFormatter,
    default_columns,
)
from wf_structlog.typing import EventDict

EVENT: EventDict = {
    "event": "llm_call",
    "level": "info",
    "timestamp": "2026-11-25T06:41:52.123456Z",
    "model": "gpt-4o",
    "tokens": 12,
}


def printed(events: list[EventDict]) -> str:
    """What one console sink prints for *events*, in order."""
    buffer = io.StringIO()
    sink = ConsoleSink(stream=buffer, level="debug")
    for event in events:
        sink.emit(str(event.get("level", "info")), event)
    return buffer.getvalue()


class TestColumns:
    def test_a_column_of_its_own_takes_the_key_out_of_the_fields(self) -> None:
        """A column added for a key shows it where it stands; the key=value part leaves it out."""
        columns = default_columns()
        columns.insert(3, Column("model", KeyValueFormatter(show_key=False)))
        line = ConsoleRenderer(columns)(None, "info", EVENT).plain
        assert line == "06:41:52.123 info     llm_call gpt-4o tokens=12"

    def test_a_formatter_returning_nothing_omits_its_column(self) -> None:
        """A formatter returning "" leaves no trace in the line, not even a space."""
        columns = [Column("event", lambda key, event: ""), *default_columns()[3:]]
        assert ConsoleRenderer(columns)(None, "info", EVENT).plain == "model=gpt-4o tokens=12"

    def test_a_plain_string_from_a_formatter_is_escaped(self) -> None:
        """A formatter of the user's returning a str with escapes in it cannot reach the terminal
        raw."""
        columns = [Column("event", lambda key, event: f"<{event[key]}>")]
        line = ConsoleRenderer(columns)(None, "info", {"event": "a\x1b]2;x\x07b"})
        assert line.plain == "<a\\x1b]2;x\\x07b>"

    def test_the_default_column_shows_every_key_left(self) -> None:
        """The column with key "" shows what no column shows, in the event's order."""
        (rest,) = [column for column in default_columns() if column.key == ""]
        line = ConsoleRenderer([rest])(None, "info", EVENT).plain
        assert line == "model=gpt-4o tokens=12"

    def test_a_call_without_a_cost_says_unpriced(self) -> None:
        """A call that logged tokens but no cost ends its line with "unpriced", never $0; a
        priced one ends with its cost, and an event without tokens with neither."""
        columns = [c for c in default_columns() if c.key in ("", "cost")]
        render = ConsoleRenderer(columns)
        unpriced = {"event": "llm_call", "model": "house", "input_tokens": 3, "output_tokens": 1}
        assert render(None, "info", unpriced).plain.endswith("output_tokens=1 unpriced")
        priced = {**unpriced, "cost": 0.0004}
        assert render(None, "info", priced).plain.endswith("output_tokens=1 cost=0.0004")
        assert render(None, "info", {"event": "step", "n": 1}).plain == "n=1"

    def test_the_console_sink_takes_columns(self) -> None:
        """ConsoleSink(columns=...) prints with them."""
        buffer = io.StringIO()
        columns = [Column("model", KeyValueFormatter())]
        sink = ConsoleSink(stream=buffer, columns=columns, level="debug")
        sink.emit("info", EVENT)
        assert buffer.getvalue() == "model=gpt-4o\n"

    def test_columns_and_a_renderer_are_not_both_taken(self) -> None:
        """Columns are the default renderer's: giving a renderer as well is an error."""
        with pytest.raises(ValueError, match="not both"):
            ConsoleSink(ConsoleRenderer(), columns=default_columns())


class TestAgentColours:
    NAMES: ClassVar = [
        "planner",
        "researcher",
        "writer",
        "critic",
        "coder",
        "reviewer",
        "summarizer",
        "router",
        "tester",
        "translator",
        "editor",
        "judge",
    ]

    def test_twelve_agents_get_twelve_colours(self) -> None:
        """As many agents as there are colours are all coloured differently."""
        colours = AgentColours()
        assert len({colours(name) for name in self.NAMES}) == len(AGENT_COLOURS) == 12

    @given(st.lists(st.text(min_size=1), min_size=1, max_size=12, unique=True))
    def test_any_agents_are_distinct_up_to_the_palette(self, names: list[str]) -> None:
        """Whatever the names, the first twelve agents never share a colour."""
        colours = AgentColours()
        assert len({colours(name) for name in names}) == len(names)

    def test_an_agent_keeps_its_colour(self) -> None:
        """Asked again, after other agents, a name gets the colour it got first."""
        colours = AgentColours()
        first = [colours(name) for name in self.NAMES]
        assert [colours(name) for name in reversed(self.NAMES)] == first[::-1]

    def test_no_agent_colour_is_a_status_or_level_colour(self) -> None:
        """No agent is green, yellow or red: those say ok, abandoned and error."""
        taken = {*STATUS_STYLES.values(), *LEVEL_STYLES.values(), "yellow"}
        words = {word for style in taken for word in style.split()} - {"bold", "on", "white"}
        for colour in AGENT_COLOURS:
            assert not any(word in colour for word in words), colour

    def test_the_console_colours_each_agent_differently(self) -> None:
        """Eight agents' interactions on one console: eight different colours.

        The palette is shared by the whole process, so the program runs on its own: the
        agents of earlier tests would hold colours already.
        """
        program = f"""
from wf_structlog.render.console import ConsoleRenderer
renderer = ConsoleRenderer()
styles = set()
for name in {self.NAMES[:8]!r}:
    line = renderer(None, "info", {{"event": "e", "agent": name, "interaction_id": "1"}})
    (span,) = [s for s in line.spans if name in line.plain[s.start : s.end]]
    styles.add(str(span.style))
print(len(styles))
"""
        result = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, timeout=60
        )
        assert result.stdout.strip() == "8", result.stderr


@wfl.action("search")
def search(query: str) -> str:
    raise ValueError("boom")


@wfl.agent("researcher")
def research(topic: str) -> str:
    raise KeyError(topic)


@wfl.agent("streamer")
def stream(n: int):  # type: ignore[no-untyped-def]
    yield n
    raise RuntimeError("dried up")


def _ours(text: str) -> bool:
    return (
        os.path.join("_runtime", "decorate.py") in text
        or os.path.join("scopes", "agents.py") in text
    )


class TestTracebacks:
    def test_raised_in_an_interaction_shown_once(self) -> None:
        """An exception escaping three scopes: its traceback under the interaction's end, and
        one line naming it at the iteration's and the workflow's ends."""
        with testing.capture() as logs, pytest.raises(ValueError, match="boom"):
            with wfl.workflow("w"), wfl.iteration(), wfl.interaction("researcher"):
                raise ValueError("boom")
        out = printed(logs.events)
        assert out.count("Traceback (most recent call last)") == 1
        lines = out.splitlines()
        (interaction_end,) = [i for i, line in enumerate(lines) if "■ researcher error" in line]
        assert "Traceback" in lines[interaction_end + 1]
        for scope in ("iteration 1", "workflow w"):
            (end,) = [line for line in lines if f"■ {scope} error" in line]
            assert end.endswith("ValueError: boom (raised in interaction researcher)")

    def test_raised_in_an_action_shown_at_the_action(self) -> None:
        """A failing @action: the traceback under the action's line, the scopes' ends name it,
        and our wrapper's frame is not in it."""
        with testing.capture() as logs, pytest.raises(ValueError, match="boom"):
            with wfl.workflow("w"), wfl.interaction("researcher"):
                search("bees")
        out = printed(logs.events)
        assert out.count("Traceback (most recent call last)") == 1
        assert 'raise ValueError("boom")' in out
        assert not _ours(out)
        assert out.count("ValueError: boom (raised in search, interaction researcher)") == 3

    def test_wrapper_frames_hidden_in_the_events_too(self) -> None:
        """The NDJSON's tracebacks leave out our decorators' frames, for plain and generator
        agents, and keep the user's."""
        with testing.capture() as logs, wfl.workflow("w"):
            with pytest.raises(KeyError):
                research("bees")
            with pytest.raises(RuntimeError):
                list(stream(1))
        tracebacks = [e["exception"]["traceback"] for e in logs.events if "exception" in e]
        assert any("raise KeyError(topic)" in tb for tb in tracebacks)
        assert any('raise RuntimeError("dried up")' in tb for tb in tracebacks)
        assert not any(_ours(tb) for tb in tracebacks)

    def test_wrapper_frames_hidden_in_causes_too(self) -> None:
        """An exception raised from one that escaped an @action: neither traceback in the chain
        shows our frames."""

        @wfl.agent("writer")
        def write() -> None:
            try:
                search("bees")
            except ValueError as exc:
                raise KeyError("no source") from exc

        with testing.capture() as logs, pytest.raises(KeyError), wfl.workflow("w"):
            write()
        (end,) = [e for e in logs.events if e["event"] == "interaction.end"]
        traceback = end["exception"]["traceback"]
        assert "direct cause" in traceback
        assert 'raise ValueError("boom")' in traceback
        assert not _ours(traceback)

    def test_every_scope_keeps_the_exception_for_the_reducer(self) -> None:
        """Each scope's end event keeps the whole exception, with one id for the one exception,
        and each scope of the document lists it among its errors."""
        with testing.capture() as logs, pytest.raises(ValueError, match="boom"):
            with wfl.workflow("w"), wfl.iteration(), wfl.interaction("researcher"):
                raise ValueError("boom")
        ends = [e for e in logs.events if e["event"].endswith(".end")]
        assert {e["exception"]["id"] for e in ends} == {ends[0]["exception"]["id"]}
        assert all("Traceback" in e["exception"]["traceback"] for e in ends)
        (document,) = logs.documents
        iteration = document["iterations"][0]
        for scope in (document, iteration, iteration["interactions"][0]):
            assert scope["errors"][-1]["exception"]["type"] == "ValueError"

    def test_a_new_exception_gets_its_own_traceback(self) -> None:
        """The same error raised again (another object, the same line) is shown again."""
        with testing.capture() as logs, wfl.workflow("w"):
            for _ in range(2):
                with pytest.raises(ValueError, match="boom"), wfl.interaction("researcher"):
                    raise ValueError("boom")
        assert printed(logs.events).count("Traceback (most recent call last)") == 2

    def test_a_frozen_exception_is_still_told_apart(self) -> None:
        """An exception class that refuses attributes is described, with an id, all the same."""

        @dataclass(frozen=True)
        class FrozenError(Exception):
            code: int

        with testing.capture() as logs, pytest.raises(FrozenError):
            with wfl.workflow("w"), wfl.interaction("a"):
                raise FrozenError(3)
        out = printed(logs.events)
        assert out.count("Traceback (most recent call last)") == 1
        assert "(raised in interaction a)" in out

    def test_view_shows_a_file_traceback_once(self, tmp_path: Path) -> None:
        """wf-log view of the NDJSON file prints the traceback once, as the console did."""
        path = tmp_path / "run.ndjson"
        wfl.configure("prod", stdout=False, file=str(path))
        with pytest.raises(ValueError, match="boom"), wfl.workflow("w"):
            with wfl.interaction("researcher"):
                search("bees")
        wfl.reset()
        out = io.StringIO()
        view([orjson.loads(line) for line in path.read_bytes().splitlines()], out)
        assert out.getvalue().count("Traceback (most recent call last)") == 1
        assert "ValueError: boom (raised in search, interaction researcher)" in out.getvalue()

    def test_an_unhandled_exception_without_our_frames(self, tmp_path: Path) -> None:
        """A program dying of an exception raised in an @action: the console shows it once,
        and Python's own traceback after it has no frame of ours either."""
        program = tmp_path / "dies.py"
        program.write_text(
            textwrap.dedent(
                """
                import wf_structlog as wfl

                @wfl.action("search")
                def search(query):
                    raise ValueError("boom")

                with wfl.workflow("w"), wfl.interaction("researcher"):
                    search("bees")
                """
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WF_LOG")}
        done = subprocess.run(
            [sys.executable, str(program)], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 1
        ours, python = done.stderr.split("\nTraceback (most recent call last)")
        assert ours.count("Traceback (most recent call last)") == 1
        assert 'search("bees")' in python
        assert 'raise ValueError("boom")' in python
        assert not _ours(done.stderr)

    def test_logging_an_exception_twice_shows_it_once(self) -> None:
        """log.exception() of an exception that then escapes its scope: shown at the log line."""
        with testing.capture() as logs, pytest.raises(ValueError, match="boom"), wfl.workflow("w"):
            try:
                raise ValueError("boom")
            except ValueError:
                get_logger().exception("parse_failed")
                raise
        out = printed(logs.events)
        assert out.count("Traceback (most recent call last)") == 1
        assert "ValueError: boom (raised in parse_failed, workflow w)" in out
