"""The dev console's default line made fast: the renderer's line, exactly, and as escaped."""

from __future__ import annotations

import hypothesis.strategies as st
import orjson
from hypothesis import given

from wf_structlog.reading.ordered import _clean
from wf_structlog.render.console import ConsoleRenderer, format_value
from wf_structlog.render.plain import PlainLines
from wf_structlog.render.terminal import escape
from wf_structlog.typing import EventDict

_NASTY = st.sampled_from(
    ["\x1b]2;x\x07", "\x1b[2J", "\u202eevil", "[red]r[/]", "a\rb", "\x7f", "'", '"', "\\", " ", ""]
)
_TEXT = st.one_of(
    _NASTY, st.text(st.characters(codec="utf-8"), max_size=12), st.text("ab '", max_size=300)
)
_VALUE = st.one_of(
    _TEXT, st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.lists(_TEXT, max_size=3), st.dictionaries(_TEXT, _TEXT, max_size=2),
)  # fmt: skip
_KEYS = [
    "workflow_id", "iteration_id", "interaction_id", "workflow", "iteration", "agent",
    "status", "duration_ms", "cost", "input_tokens", "output_tokens", "timestamp", "level",
]  # fmt: skip
_NAME = st.one_of(
    st.sampled_from(["workflow.start", "iteration.end", "interaction.start", "x"]), _TEXT
)


@st.composite
def events(draw: st.DrawFn) -> EventDict:
    """An event as a file gives it (JSON-decoded), its keys in any order."""
    event: EventDict = {"event": draw(_NAME)}
    for key in draw(st.lists(st.sampled_from(_KEYS), unique=True)):
        event[key] = draw(_VALUE)
    if draw(st.booleans()):
        event["timestamp"] = "2026-11-25T06:41:52.123456Z"
    event.update(draw(st.dictionaries(_TEXT, _VALUE, max_size=3)))
    keys = draw(st.permutations(list(event)))
    decoded: EventDict = orjson.loads(orjson.dumps({key: event[key] for key in keys}))
    return decoded


class TestPlainLines:
    @given(events())
    def test_the_line_is_the_renderers(self, event: EventDict) -> None:
        """Where it makes a line, it is the default renderer's plain line, escaped as strictly;
        where the event's NDJSON line is clean, the line made without any escaping is too."""
        expected = ConsoleRenderer().plain(event)
        clean = _clean([orjson.dumps(event)], 1)[0]
        for made in (PlainLines().split(event), PlainLines().split(event, clean)):
            if made is not None:
                line, cut = made
                assert line == expected
                tree = ConsoleRenderer().columns[2].plain_text("event", event)
                assert line[cut:].startswith(escape(tree))  # where a view indents a sub-run

    def test_untrusted_text_is_escaped(self) -> None:
        """Terminal escapes and bidi overrides in any field are shown as escapes, markup as
        text."""
        event: EventDict = {
            "event": "x\x1b]2;pwned\x07",
            "agent": "\u202eevil",
            "interaction_id": "i",
            "status": "ok\r",
            "level": "info\x1b[2J",
            "timestamp": "2026-11-25T06:41:\x1b2.123456Z",
            "prompt": "[red]alert[/red] \x1b[2J",
        }
        made = PlainLines().split(event)
        assert made is not None
        line, _ = made
        assert line.isprintable()
        assert "\\x1b]2;pwned\\x07" in line
        assert "\\u202eevil" in line
        assert "[red]alert[/red]" in line
        assert line == ConsoleRenderer().plain(event)

    def test_an_exception_is_left_to_the_renderer(self) -> None:
        """A traceback is shown once per renderer: an event that has one gets no line here."""
        event: EventDict = {"event": "x", "exception": {"traceback": "T", "id": "e"}}
        assert PlainLines().split(event) is None


class TestFormatValue:
    @given(st.text(st.sampled_from(" 'a\"\\\x1b\x7fé\u202e…"), max_size=400), st.integers(1, 300))
    def test_a_long_string_is_cut_as_its_repr(self, text: str, limit: int) -> None:
        """A string is shown bare, or as its repr, cut to the limit with the count of the rest,
        however it is made (clean, or not)."""
        shown = text if text.isprintable() and " " not in text and text else repr(text)
        if len(shown) > limit:
            shown = f"{shown[:limit]}…(+{len(shown) - limit} chars)"
        assert format_value(text, limit) == shown
        if _clean([orjson.dumps(text)], 1)[0]:
            assert format_value(text, limit, clean=True) == shown
