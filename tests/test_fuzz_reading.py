"""Every reading command takes lines of any JSON shape and any bytes: no traceback, and
every well-formed event counted (issue 17, the reading side)."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog.reading import _lines
from wf_structlog.reading.cli import NOT_FOUND, main
from wf_structlog.reading.sources import read

RUN = "a" * 32
ids = st.sampled_from(["1" * 16, "2" * 16, "3" * 16])

good_events = st.fixed_dictionaries(
    {"event": st.sampled_from(["x", "llm_call", "interaction.start", "interaction.end"])},
    optional={
        "workflow_id": st.just(RUN),
        "workflow": st.text(max_size=5),
        "iteration_id": ids,
        "iteration": st.integers(1, 3),
        "interaction_id": ids,
        "parent_span_id": ids,
        "agent": st.text(max_size=5),
        "model": st.sampled_from(["big", "mini"]),
        "timestamp": st.sampled_from(["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"]),
        "seq": st.integers(1, 50),
        "pid": st.integers(1, 3),
        "level": st.sampled_from(["info", "error", "debug"]),
        "input_tokens": st.integers(0, 100),
        "cost": st.floats(0, 1),
        "duration_ms": st.floats(0, 1000),
        "status": st.sampled_from(["ok", "error"]),
        "tool": st.text(max_size=3),
        "payload": st.recursive(
            st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
            max_leaves=10,
        ),
    },
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
wrong = st.sampled_from(
    [
        ("seq", [1]),
        ("pid", {}),
        ("level", ["error"]),
        ("iteration", "two"),
        ("timestamp", 12345),
        ("parent_span_id", [1]),
        ("duration_ms", "slow"),
        ("agent", {"a": 1}),
        ("model", ["m"]),
        ("interaction_id", 7),
        ("event", None),
    ]
)


@st.composite
def bad_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:  # an event with one contract key of the wrong type
        key, value = draw(wrong)
        return orjson.dumps({**draw(good_events), key: value})
    if kind == 1:  # JSON that is not an object
        return orjson.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict))))
    if kind == 2:  # an event nested too deep
        event = orjson.dumps(draw(good_events))  # orjson writes 254 levels at most: by hand
        return event[:-1] + b',"deep":' + b"[" * 300 + b"]" * 300 + b"}"
    if kind == 3:  # a document of the wrong shape
        return orjson.dumps({"iterations": draw(json_values)})
    text = draw(st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b))
    return text if text.strip() and not text.lstrip().startswith(b"{") else b"[INFO] " + text


lines_of = st.lists(
    st.one_of(
        good_events.map(lambda e: (True, orjson.dumps(e))), bad_lines().map(lambda b: (False, b))
    ),
    max_size=25,
)

COMMANDS = (["view"], ["tree"], ["stats"], ["stats", "--json"], ["reduce", "-o", "out.json"])


class TestAnyInput:
    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(lines=lines_of)
    def test_no_traceback_and_every_event_counted(
        self, tmp_path: Path, lines: list[tuple[bool, bytes]], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each line is read on its own: the well-formed events are all kept, every other
        line is skipped and counted, and every command ends normally."""
        path = tmp_path / "in.ndjson"
        path.write_bytes(b"".join(line + b"\n" for _, line in lines))
        logs = read([str(path)])
        wanted = sum(good for good, _ in lines)
        assert (len(logs.events), logs.skipped) == (wanted, len(lines) - wanted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wfl.reduce(path)
        for command in (*COMMANDS, ["report", "-o", str(tmp_path / "r.html")]):
            command = [c if c != "out.json" else str(tmp_path / c) for c in command]
            assert main([*command, str(path)]) == (0 if wanted else NOT_FOUND), command
        assert main(["diff", str(path), str(path)]) == (0 if wanted else NOT_FOUND)
        capsys.readouterr()


def _batched(data: bytes, first: bool, keepends: bool) -> tuple[list[bytes], int | None]:
    """The lines :func:`_lines.batches` gives of *data* (small reads, a small limit), and
    the number of the line found too long, if one was."""
    file = io.BytesIO(data)
    given = file.readline(21) if first else b""
    got: list[bytes] = []
    try:
        for batch in _lines.batches(file, given, limit=20, size=7, keepends=keepends):
            got.extend(batch)
    except _lines.LineTooLongError as exc:
        return got, exc.number
    return got, None


class TestBatches:
    @given(data=st.lists(st.sampled_from([b"\n", b"a", b"{}", b"\r"])).map(b"".join), first=...)
    def test_lines_keeping_their_newline_are_the_same_lines(self, data: bytes, first: bool) -> None:
        """Cut keeping newlines, a file gives the lines it gives cut without them, each with
        its newline but the unfinished last, and stops at the same line too long."""
        lines, long = _batched(data, first, keepends=False)
        kept, long_kept = _batched(data, first, keepends=True)
        assert long_kept == long
        assert long is not None or b"".join(kept) == data
        assert [line.rstrip(b"\n") for line in kept] == [line.rstrip(b"\n") for line in lines]
        assert all(line.endswith(b"\n") for line in kept[:-1])


class TestLongLines:
    def test_dev_zero_is_read_no_further(self, capsys: pytest.CaptureFixture[str]) -> None:
        """``/dev/zero`` (one endless line) is skipped after the line limit, without running
        out of memory, and said on stderr."""
        assert main(["tree", "--verbose", "/dev/zero"]) == NOT_FOUND
        err = capsys.readouterr().err
        assert "/dev/zero:1: line 1 is longer than 64 MiB; the rest was not read" in err

    def test_reduce_of_a_huge_line_keeps_the_rest(self, tmp_path: Path) -> None:
        """Under a smaller limit, a line over it ends the file's reading and is counted."""
        from wf_structlog.reading import _lines

        path = tmp_path / "big.ndjson"
        good = orjson.dumps({"event": "x", "workflow_id": RUN})
        path.write_bytes(good + b"\n" + b"x" * 200 + b"\n" + good + b"\n")
        with path.open("rb") as file:
            read_lines = []
            with pytest.raises(_lines.LineTooLongError, match="line 2"):
                for line in _lines.lines(file, limit=100):
                    read_lines.append(line)
        assert read_lines == [good + b"\n"]


class TestWhatADocumentIs:
    @pytest.mark.parametrize("first", [b"[INFO] boot\n", b"{\n", b"[\n"])
    def test_a_first_line_does_not_make_a_document(
        self, tmp_path: Path, first: bytes, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file starting with ``[INFO] boot``, a lone ``{`` or ``[`` is NDJSON when it does
        not hold documents as a whole: its events are all read, the first line skipped."""
        event = orjson.dumps({"event": "x", "workflow_id": RUN}) + b"\n"
        path = tmp_path / "log.ndjson"
        path.write_bytes(first + event * 3)
        logs = read([str(path)])
        assert (len(logs.events), logs.documents, logs.skipped) == (3, [], 1)
        assert main(["view", "-v", str(path)]) == 0
        assert f"{path}:1: not JSON" in capsys.readouterr().err

    def test_a_document_file_is_read_as_documents(self, tmp_path: Path) -> None:
        """An indented document (as ``wf-log reduce`` writes it) is read as a document."""
        (document,) = wfl.reduce([{"event": "workflow.start", "workflow_id": RUN}])
        path = tmp_path / "doc.json"
        path.write_bytes(orjson.dumps([document], option=orjson.OPT_INDENT_2))
        assert read([str(path)]).documents == [document]
