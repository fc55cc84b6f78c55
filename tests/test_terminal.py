"""No text from a log reaches a terminal raw: the console sink, wf-log view, tree and stats."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import orjson
from hypothesis import HealthCheck, given, settings
from rich.text import Text

from wf_structlog.outputs.sinks import ConsoleSink
from wf_structlog.reading.cli import main
from wf_structlog.render.terminal import BIDI_CONTROLS, escape, terminal_console

TITLE = "\x1b]2;PWNED\x1b\\"
"""Retitles an xterm: the attack the issue reproduced."""

UNSAFE = frozenset(
    [chr(c) for c in range(0x20) if c != 0x0A]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
    + list(BIDI_CONTROLS)
)
"""What must never be written to a terminal: C0 (but the line break), DEL, C1, bidi controls."""

NASTY = st.lists(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),  # a lone surrogate cannot be in a file
        st.sampled_from(sorted(UNSAFE)),
        st.sampled_from([TITLE, "\x1b[2J", "\x9b31m", "[bold red]", "[/]", "\r\n", "\u202e"]),
    ),
    max_size=8,
).map("".join)
"""Arbitrary text, with a good share of escapes, controls, markup and bidi overrides."""


def unsafe_in(text: str) -> set[str]:
    return {ch for ch in text if ch in UNSAFE}


def run_lines(
    workflow: Any = "w", iteration: Any = 1, agent: Any = "planner", **fields: Any
) -> list[dict[str, Any]]:
    """NDJSON lines of a run: a workflow, an iteration, an interaction, and one event in it
    carrying *fields* (which may replace any key, the timestamp included)."""
    base = {"workflow": workflow, "workflow_id": "a" * 32, "pid": 1, "level": "info"}
    in_iteration = {**base, "iteration": iteration, "iteration_id": "b" * 16}
    inside = {**in_iteration, "interaction_id": "c" * 16, "agent": agent}
    lines = [
        {**base, "event": "workflow.start", "span_id": "a" * 16},
        {**in_iteration, "event": "iteration.start", "span_id": "b" * 16},
        {**inside, "event": "interaction.start", "span_id": "c" * 16},
        {**inside, "event": "llm_call", "model": "m", "span_id": "c" * 16},
        {**inside, "event": "interaction.end", "span_id": "c" * 16, "status": "ok"},
    ]
    for n, line in enumerate(lines):
        line.update(seq=n + 1, timestamp=f"2026-01-01T00:00:00.00000{n}Z")
    lines[3].update(fields)
    return lines


def commands(lines: list[dict[str, Any]]) -> dict[str, str]:
    """What the console sink, wf-log view, tree and stats print for *lines*."""
    console = io.StringIO()
    sink = ConsoleSink(stream=console, level="debug")
    for line in lines:
        sink.emit("info", line)
    shown = {"console": console.getvalue()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        for command in ("view", "tree", "stats"):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                main([command, str(path)])
            shown[command] = out.getvalue()
    return shown


class TestEscape:
    def test_controls_and_bidi_are_shown_escaped(self) -> None:
        """C0, DEL, C1 and bidi controls become visible escapes; letters and emoji stay."""
        assert escape("a\x1b[2Jb\x7f\x9b\u202e\u2066\u200e\u061c") == (
            "a\\x1b[2Jb\\x7f\\x9b\\u202e\\u2066\\u200e\\u061c"
        )
        assert escape("Grüße, 東京, مرحبا, 🐝 [bold]") == "Grüße, 東京, مرحبا, 🐝 [bold]"
        assert escape("lone \ud800") == "lone \\ud800"  # a terminal could not even encode it

    def test_the_console_escapes_what_a_renderer_left(self) -> None:
        """A renderable still holding raw escapes is printed escaped, and a string is never
        read as markup."""
        out = io.StringIO()
        console = terminal_console(out)
        console.print(Text(f"raw {TITLE}"))
        console.print("[bold red]not markup[/]")
        assert out.getvalue() == "raw \\x1b]2;PWNED\\x1b\\\n[bold red]not markup[/]\n"


class TestInjection:
    def test_the_iteration_label_cannot_retitle_the_terminal(self) -> None:
        """An iteration label holding an OSC sequence never reaches the terminal raw: the console
        shows it escaped; the readers skip its events, whose ``iteration`` is not a number."""
        shown = commands(run_lines(iteration=TITLE))
        for command, text in shown.items():
            assert not unsafe_in(text), command
        assert "\\x1b]2;PWNED\\x1b\\" in shown["console"]
        assert "PWNED" not in shown["view"] + shown["tree"]

    def test_the_timestamp_is_escaped_in_view(self) -> None:
        """A timestamp that is an escape sequence is shown escaped by the console and view."""
        shown = commands(run_lines(timestamp=f"2026-01-01T{TITLE}00:00:00.000000Z"))
        assert "\\x1b]2;PWNED" in shown["view"]
        assert not unsafe_in(shown["view"])
        assert not unsafe_in(shown["console"])

    def test_markup_in_names_is_shown_as_written(self) -> None:
        """rich markup in an agent's or a workflow's name is printed, not applied."""
        shown = commands(run_lines(workflow="[bold]w[/]", agent="[red]a[/red]"))
        for command in ("console", "view", "tree"):
            assert "[bold]w[/]" in shown[command], command
            assert "[red]a[/red]" in shown[command], command
        assert "[red]a[/red]" in shown["stats"]

    @settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(
        workflow=NASTY,
        iteration=st.one_of(NASTY, st.integers(-(2**63), 2**63 - 1)),  # what JSON files hold
        agent=NASTY,
        event=NASTY,
        timestamp=NASTY,
        level=NASTY,
        key=NASTY,
        value=st.one_of(NASTY, st.lists(NASTY, max_size=3), st.dictionaries(NASTY, NASTY)),
    )
    def test_arbitrary_text_in_any_field_never_reaches_the_terminal(
        self,
        workflow: str,
        iteration: Any,
        agent: str,
        event: str,
        timestamp: str,
        level: str,
        key: str,
        value: Any,
    ) -> None:
        """Whatever text any field holds, key or value, the console sink, view, tree and stats
        write no ESC, C0 or C1 control and no bidi control."""
        lines = run_lines(workflow, iteration, agent, event=event, level=level, timestamp=timestamp)
        lines[3][key] = value
        lines[2]["status"] = event  # an arbitrary status, on a start line as shown by view
        for command, text in commands(lines).items():
            assert not unsafe_in(text), command
