"""Sinks: the NDJSON file, stdout, the rich console, memory, and sinks that fail."""

from __future__ import annotations

import errno
import io
import os
import re as re_module
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog import configure, get_logger, testing
from wf_structlog._runtime.state import STATE
from wf_structlog.outputs._filewrite import CAN_HOLD_GIL, write_all, write_holding_gil
from wf_structlog.outputs.sinks import ConsoleSink, FileSink
from wf_structlog.render.console import ConsoleRenderer, agent_style, default_columns
from wf_structlog.render.ndjson import NDJSONRenderer
from wf_structlog.typing import EventDict


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


class TestFileSink:
    def test_one_line_per_event_whatever_the_text(self, tmp_path: Path) -> None:
        """Newlines, carriage returns and control characters inside values never break a line."""
        path = tmp_path / "run.ndjson"
        configure("test", file=path)
        nasty = "line1\nline2\r\n\x00\x1b[31m\u2028end"
        get_logger().info("x", prompt=nasty, nested={"k": nasty})
        get_logger().info("y")
        lines = path.read_bytes().splitlines()
        assert len(lines) == 2
        assert orjson.loads(lines[0])["prompt"] == nasty

    def test_huge_payload(self, tmp_path: Path) -> None:
        """A very large value is written whole as one line when the limit allows it."""
        path = tmp_path / "run.ndjson"
        limit = 30 * 1024 * 1024
        configure("test", file=path, max_value_chars=limit, max_event_chars=limit)
        big = "x" * (20 * 1024 * 1024)
        get_logger().info("big", prompt=big)
        (event,) = read_ndjson(path)
        assert len(event["prompt"]) == len(big)

    def test_survives_sigkill(self, tmp_path: Path) -> None:
        """Every event logged before SIGKILL is on disk, and the run reduces as incomplete."""
        path = tmp_path / "run.ndjson"
        script = textwrap.dedent(
            f"""
            import os, signal, wf_structlog as wfl
            wfl.configure("prod", stdout=False, file={str(path)!r})
            log = wfl.get_logger()
            wfl.workflow("doomed").start()
            wfl.iteration().start()
            for i in range(50):
                log.info("step", i=i)
            os.kill(os.getpid(), signal.SIGKILL)
            """
        )
        done = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
        assert done.returncode == -signal.SIGKILL
        events = read_ndjson(path)
        assert [e["i"] for e in events if e["event"] == "step"] == list(range(50))
        (doc,) = wfl.reduce(path)
        assert doc["status"] == "incomplete"
        assert doc["iterations"][0]["status"] == "incomplete"
        assert len(doc["iterations"][0]["events"]) == 50


class TestStdout:
    def test_prod_lines_interleave_with_prints(self, capfd: pytest.CaptureFixture[str]) -> None:
        """NDJSON on stdout is flushed per event, in order with the program's own prints."""
        configure("prod")
        print("before", flush=False)
        get_logger().info("event")
        print("after")
        out = capfd.readouterr().out.splitlines()
        assert out[0] == "before"
        assert orjson.loads(out[1])["event"] == "event"
        assert out[2] == "after"


def render(event: EventDict) -> str:
    buffer = io.StringIO()
    sink = ConsoleSink(stream=buffer, level="debug")
    sink.emit("info", event)
    return buffer.getvalue()


class TestConsole:
    def test_markup_and_escapes_are_shown_literally(self) -> None:
        """rich markup is not interpreted; ANSI escapes and carriage returns are escaped."""
        text = render(
            {"event": "llm_call", "level": "info", "response": "[bold red]boom[/] \x1b[2J\rX"}
        )
        assert "[bold red]boom[/]" in text
        assert "\x1b" not in text
        assert "\r" not in text
        assert "\\x1b[2J" in text
        assert text.count("\n") == 1

    def test_event_names_and_agents_are_escaped(self) -> None:
        """Even the event name and agent, if they hold control characters, are escaped."""
        text = render(
            {"event": "a\x1b[31mb", "level": "info", "agent": "x\ny", "interaction_id": "1"}
        )
        assert "\x1b" not in text
        assert text.count("\n") == 1

    def test_hierarchy_is_indented_and_ends_show_status(self) -> None:
        """Lines are indented by depth; an end shows ■, status and duration."""
        lines = []
        with testing.capture() as logs, wfl.workflow("w"), wfl.interaction("planner"):
            get_logger().info("llm_call", model="m-1")
        for event in logs.events:
            lines.append(render(event).rstrip("\n"))
        tree = [line[13:] for line in lines]  # drop the time column
        assert tree[0].startswith("info     ▶ workflow w")
        assert tree[1].startswith("info       ▶ iteration 1")
        assert tree[2].startswith("info         ▶ planner")
        assert tree[3].startswith("info           planner llm_call model=m-1")
        assert "■ planner ok" in tree[4]
        assert tree[4].rstrip().endswith("ms")
        assert "■ workflow w ok" in tree[6]

    def test_agent_colours_are_distinct(self) -> None:
        """Common agent names get different colours."""
        styles = {agent_style(a) for a in ("planner", "researcher", "writer")}
        assert len(styles) == 3

    def test_coloured_on_a_terminal(self) -> None:
        """On a terminal the agent's colour is applied."""
        from rich.console import Console

        line = ConsoleRenderer()(
            None, "info", {"event": "e", "level": "info", "agent": "planner", "interaction_id": "1"}
        )
        console = Console(
            file=io.StringIO(), force_terminal=True, color_system="standard", no_color=False
        )
        console.print(line)
        assert "\x1b[" in console.file.getvalue()  # type: ignore[attr-defined]

    def test_columns_can_be_replaced(self) -> None:
        """Dropping a column is a list operation."""
        columns = [c for c in default_columns() if c.key not in ("timestamp", "level")]
        line = ConsoleRenderer(columns)(None, "info", {"event": "e", "level": "info", "k": 1})
        assert line.plain == "e k=1"

    def test_long_values_are_cut_on_the_console(self) -> None:
        """The console shows at most the value limit of a long prompt, with the length cut."""
        text = render({"event": "e", "level": "info", "prompt": "y" * 10_000})
        assert len(text) < 400
        assert "chars)" in text


class TestConsoleLevel:
    PROGRAM = textwrap.dedent(
        """
        import wf_structlog as wfl
        log = wfl.get_logger()
        with wfl.workflow("w"):
            with wfl.interaction("planner"):
                log.info("planned")
            try:
                with wfl.interaction("writer"):
                    raise ValueError("no ink")
            except ValueError:
                pass
        """
    )

    def test_the_level_quiets_scope_lines(self, tmp_path: Path) -> None:
        """Under WF_LOG_LEVEL=error the console prints the failed scope's end and nothing at
        info (no scope start, no ok end); the NDJSON file keeps every scope event."""
        path = tmp_path / "run.ndjson"
        env = {**os.environ, "WF_LOG_LEVEL": "error", "WF_LOG_FILE": str(path)}
        env.pop("WF_LOG_PRESET", None)
        done = subprocess.run(
            [sys.executable, "-c", self.PROGRAM],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        lines = [line for line in done.stderr.splitlines() if not line.startswith("    ")]
        assert len(lines) == 1
        assert "■ writer error" in lines[0]
        assert "ValueError: no ink" in done.stderr
        events = [e["event"] for e in read_ndjson(path)]
        assert events.count("interaction.start") == 2
        assert "workflow.start" in events
        assert "workflow.end" in events

    def test_the_configured_level_is_followed(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The dev console at level=warning: warnings and errors, no info lines, no scope lines."""
        configure("dev", level="warning")
        with wfl.workflow("w"), wfl.interaction("planner"):
            get_logger().info("planned")
            get_logger().warning("slow")
        err = capsys.readouterr().err
        assert "slow" in err
        assert "planned" not in err
        assert "▶" not in err
        assert "■" not in err

    def test_a_level_of_its_own(self) -> None:
        """ConsoleSink(level=...) prints from that level whatever the configuration says."""
        buffer = io.StringIO()
        sink = ConsoleSink(stream=buffer, level="warning")
        for level in ("debug", "info", "warning", "error"):
            sink.emit(level, {"event": f"at_{level}", "level": level})
        assert re_module.findall(r"at_\w+", buffer.getvalue()) == ["at_warning", "at_error"]

    def test_an_unknown_level_is_refused(self) -> None:
        """A level that is not one is a clear error when the sink is made."""
        with pytest.raises(ValueError, match="level must be one of"):
            ConsoleSink(level="verbose")


class ExplodingSink:
    def __init__(self) -> None:
        self.calls = 0

    def emit(self, method_name: str, event_dict: Any) -> None:
        self.calls += 1
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        pass


class TestFailingSinks:
    def test_disk_full_never_reaches_the_program(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A sink raising ENOSPC: the program goes on, other sinks still get every event,
        and stderr says so once."""
        configure("test")
        exploding = ExplodingSink()
        STATE.sinks = (exploding, *STATE.sinks)
        log = get_logger()
        for i in range(5):
            log.info("e", i=i)
        assert exploding.calls == 5
        assert [e["i"] for e in testing.events()] == list(range(5))
        err = capsys.readouterr().err
        assert err.count("No space left on device") == 1

    def test_real_full_device(self, tmp_path: Path) -> None:
        """Writing to a real full device (/dev/full) is reported once, never raised."""
        script = textwrap.dedent(
            """
            import wf_structlog as wfl
            wfl.configure("prod", stdout=False, file="/dev/full")
            log = wfl.get_logger()
            for i in range(3):
                log.info("e", i=i)
            print("still running")
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout == "still running\n"
        assert done.stderr.count("No space left on device") == 1


FULL_DISK = Path(__file__).with_name("full_disk.py")
FULL = {
    "tmpfs": (errno.ENOSPC, "No space left on device"),
    "fsize": (errno.EFBIG, "File too large"),
}


def run_full_disk(way: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """tests/full_disk.py, running out of space the *way* asked (a tmpfs of 64 KiB in a mount
    namespace of its own, or the process's file size limit)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    command = [sys.executable, str(FULL_DISK), way, str(disk)]
    if way == "tmpfs":
        if shutil.which("unshare") is None:
            pytest.skip("no unshare(1) to mount a tmpfs with")
        mount = 'mount -t tmpfs -o size=64k tmpfs "$1" || exit 77; shift; exec "$@"'
        command = ["unshare", "-rm", "sh", "-c", mount, "sh", str(disk), *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if way == "tmpfs" and done.returncode in (1, 77) and not (tmp_path / "docs.txt").exists():
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    return done


class TestFullDisk:
    @pytest.mark.parametrize("way", ["tmpfs", "fsize"])
    def test_the_next_line_after_a_full_disk_starts_afresh(self, tmp_path: Path, way: str) -> None:
        """A disk that fills mid-line and then frees up: the torn fragment stays a line of its
        own, every event after it is whole, the next workflow reduces complete, no .partial
        document is left behind, and stderr says it once per sink."""
        done = run_full_disk(way, tmp_path)
        code, reason = FULL[way]
        assert done.stderr.count(f"FileSink failed: OSError({code}, '{reason}')") == 1
        path = tmp_path / "run.ndjson"
        bad = []
        for line in path.read_bytes().splitlines():
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError:
                bad.append(line)
        assert len(bad) == 1  # the start of the line the disk cut, on a line of its own
        assert bad[0].startswith(b'{"item":')
        with pytest.warns(wfl.ReduceWarning, match="skipped 1 line"):
            documents = {d["name"]: d for d in wfl.reduce(path)}
        after = documents["after"]
        (turn,) = after["iterations"][0]["interactions"]
        assert [a["item"] for a in turn["actions"]] == list(range(5))
        assert after["complete"]
        assert turn["complete"]
        names = (tmp_path / "docs.txt").read_text(encoding="utf-8").split()
        assert not [name for name in names if name.endswith(".partial")]
        assert [name.split("-")[0] for name in names] == ["after"]


class TestFileGone:
    @pytest.mark.parametrize("how", ["deleted", "rotated"])
    def test_a_file_deleted_or_moved_away_is_made_again(
        self, tmp_path: Path, how: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The file deleted (or renamed away, as log rotation does) mid-run: within a second
        the events go to a new file at the path, and stderr says it once."""
        path = tmp_path / "logs" / "run.ndjson"
        with freeze_time("2026-01-01") as clock:
            configure("prod", stdout=False, file=path)
            log = get_logger()
            log.info("before")
            if how == "deleted":
                path.unlink()
            else:
                path.rename(tmp_path / "logs" / "run.ndjson.1")
            clock.tick(2)
            for item in range(3):
                log.info("after", item=item)
                clock.tick(2)
        assert [e.get("item") for e in read_ndjson(path)] == [0, 1, 2]
        if how == "rotated":
            assert [e["event"] for e in read_ndjson(tmp_path / "logs" / "run.ndjson.1")] == [
                "before"
            ]
        assert capsys.readouterr().err.count("was deleted or moved away") == 1

    def test_a_deleted_directory_is_made_again(self, tmp_path: Path) -> None:
        """The log's whole directory removed (rm -rf logs/): both come back."""
        path = tmp_path / "logs" / "run.ndjson"
        with freeze_time("2026-01-01") as clock:
            configure("prod", stdout=False, file=path)
            get_logger().info("before")
            shutil.rmtree(tmp_path / "logs")
            clock.tick(2)
            get_logger().info("after")
        assert [e["event"] for e in read_ndjson(path)] == ["after"]

    def test_threads_logging_through_a_rotation_lose_nothing(self, tmp_path: Path) -> None:
        """Four threads log while the file is rotated under them, in real time: every event is
        whole and in one of the two files, and those logged a second after are in the new."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path)
        rotated, stop = threading.Event(), threading.Event()
        after: list[int] = []

        def work(n: int) -> None:
            i = 0
            while not stop.is_set():
                get_logger().info("e", n=n, i=i, late=rotated.is_set())
                i += 1
            after.append(i)

        workers = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(0.2)
        path.rename(tmp_path / "run.ndjson.1")
        time.sleep(1.5)  # past the sink's next look
        rotated.set()
        time.sleep(0.2)
        stop.set()
        for worker in workers:
            worker.join()
        old, new = read_ndjson(tmp_path / "run.ndjson.1"), read_ndjson(path)
        assert len(old) + len(new) == sum(after)
        assert new
        assert not any(e["late"] for e in old)


def test_file_is_created_with_its_directory(tmp_path: Path) -> None:
    """The NDJSON file is created if missing, with its directory."""
    path = tmp_path / "deep" / "dir" / "run.ndjson"
    configure("test", file=path)
    get_logger().info("x")
    assert path.exists()
    assert os.path.getsize(path) > 0


class TestUntrustedText:
    @given(st.text())
    def test_any_text_is_one_console_line_without_escapes(self, text: str) -> None:
        """Whatever a prompt holds, the console line is one line with no raw escape."""
        rendered = render({"event": "llm_call", "level": "info", "prompt": text, text: 1})
        assert rendered.count("\n") == 1
        assert "\x1b" not in rendered
        assert "\r" not in rendered

    @given(st.text())
    def test_any_text_is_one_ndjson_line(self, text: str) -> None:
        """Whatever a prompt holds, the NDJSON line is one line that parses back to it."""
        line = NDJSONRenderer()(None, "info", {"event": text, "prompt": text})
        assert line.count(b"\n") == 1
        assert line.endswith(b"\n")
        assert orjson.loads(line)["prompt"] == text


class TestConsoleFields:
    def test_nested_values_are_escaped(self) -> None:
        """C1 controls, bidi overrides and line separators inside dicts and lists are escaped."""
        text = render(
            {"event": "e", "level": "info", "d": {"k": "\x9b2J\u202eevil"}, "l": ["\x7f\u2028"]}
        )
        for raw in ("\x9b", "\u202e", "\u2028", "\x7f"):
            assert raw not in text

    def test_bound_agent_is_shown_outside_interactions(self) -> None:
        """An agent bound on the logger shows as agent= when no interaction names it."""
        assert "agent=planner" in render({"event": "e", "level": "info", "agent": "planner"})


_WRITER = textwrap.dedent(
    """
    import sys, threading, wf_structlog as wfl
    wfl.configure("prod", stdout=False, file=sys.argv[1], max_value_chars=100_000)
    log = wfl.get_logger()
    payload = "x" * 70_000
    def write(thread):
        for i in range(100):
            log.info("line", proc=sys.argv[2], thread=thread, i=i, payload=payload)
    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    """
)


def test_processes_and_threads_share_one_file_without_tearing(tmp_path: Path) -> None:
    """4 processes x 4 threads appending 70 KB lines to one file: every line whole, none lost."""
    path = tmp_path / "shared.ndjson"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(p)]) for p in range(4)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    events = read_ndjson(path)
    assert len(events) == 4 * 4 * 100
    seen = {(e["proc"], e["thread"], e["i"]) for e in events}
    assert len(seen) == 1600
    assert all(len(e["payload"]) == 70_000 for e in events)


_HOSTILE = (
    "[bold red]x[/] [link=file:///etc]y[/link] \x1b[2J\x1b]0;title\x07 \r\b\x00 \x9b31m "
    "\u202eevil \u200b \u2028"
)
_SGR = re_module.compile(rb"\x1b\[[0-9;]*m")


class TestHostileTextInARealTerminal:
    def test_only_our_own_colours_reach_the_terminal(self) -> None:
        """On a colour terminal, the only escape sequences written are rich's own colours:
        markup, ANSI, OSC, C0, C1, bidi and line separators in any field are shown escaped."""
        script = textwrap.dedent(
            f"""
            import wf_structlog as wfl
            text = {_HOSTILE!r}
            wfl.configure("dev")
            with wfl.workflow(text), wfl.interaction(text, input=text) as turn:
                wfl.get_logger().info(text, prompt=text, **{{text: [text]}})
                try:
                    raise ValueError(text)
                except ValueError:
                    wfl.get_logger().exception("failed")
                turn.output = text
            """
        )
        env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "200"}
        env.pop("NO_COLOR", None)
        child = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, timeout=60, env=env
        )
        assert child.returncode == 0
        err = child.stderr
        assert _SGR.search(err)  # coloured: rich did style the line
        plain = _SGR.sub(b"", err)
        for raw in (
            b"\x1b",
            b"\x07",
            b"\r",
            b"\x08",
            b"\x00",
            "\x9b",
            "\u202e",
            "\u2028",
            "\u200b",
        ):
            assert (raw if isinstance(raw, bytes) else raw.encode()) not in plain
        assert b"[bold red]x[/]" in plain
        assert b"\\x1b[2J" in plain
        lines = plain.decode().splitlines()
        events = [line for line in lines if re_module.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)]
        assert len(events) == 8  # 6 scope boundaries, 2 events: none broke into two
        assert all(line in events or line.startswith("    ") for line in lines)

    @given(st.text())
    def test_any_text_is_one_line_however_it_is_read(self, text: str) -> None:
        """Whatever a value holds, an NDJSON line is one line even to str.splitlines(), which
        also breaks on U+0085, U+2028 and U+2029."""
        line = NDJSONRenderer()(None, "info", {"event": text, text: [text]})
        assert len(line.decode().splitlines()) == 1
        assert orjson.loads(line)[text] == [text]


class TestFileSharedByThreads:
    def test_a_second_thread_switches_to_the_write_that_keeps_the_gil(self, tmp_path: Path) -> None:
        """One thread writes with os.write; once another writes too, writes keep the GIL, and
        every line of both is whole."""
        sink = FileSink(tmp_path / "run.ndjson")
        sink.emit("info", {"event": "main", "i": 0})
        assert sink._write is write_all

        def work() -> None:
            for i in range(50):
                sink.emit("info", {"event": "t", "i": i})

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        sink.emit("info", {"event": "main", "i": 1})
        assert sink._write is (write_holding_gil if CAN_HOLD_GIL else write_all)
        events = read_ndjson(tmp_path / "run.ndjson")
        assert [(e["event"], e["i"]) for e in events] == [
            ("main", 0),
            *[("t", i) for i in range(50)],
            ("main", 1),
        ]

    def test_pipes_keep_releasing_the_gil(self, tmp_path: Path) -> None:
        """A FIFO can block: it is never written while holding the GIL."""
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            sink = FileSink(fifo)
            for name in ("a", "b"):
                thread = threading.Thread(target=sink.emit, args=("info", {"event": name}))
                thread.start()
                thread.join()
            assert sink._write is write_all
            assert os.read(reader, 1000).count(b"\n") == 2
        finally:
            os.close(reader)

    @pytest.mark.skipif(not CAN_HOLD_GIL, reason="no C library write on this platform")
    def test_errors_of_the_gil_holding_write_are_oserrors(self, tmp_path: Path) -> None:
        """A closed descriptor raises what os.write raises."""
        fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
        os.close(fd)
        with pytest.raises(OSError, match="Bad file descriptor") as caught:
            write_holding_gil(fd, b"x\n")
        assert caught.value.errno == errno.EBADF

    def test_file_size_limit_reached_by_threads(self, tmp_path: Path) -> None:
        """Threads logging into a file that hits the size limit (a short write, then EFBIG):
        the program goes on, stderr says it once, and the file holds only whole lines."""
        path = tmp_path / "run.ndjson"
        script = textwrap.dedent(
            f"""
            import resource, signal, threading
            import wf_structlog as wfl
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
            wfl.configure("prod", stdout=False, file={str(path)!r})
            log = wfl.get_logger()

            def work(n):
                for i in range(200):
                    log.info("e", n=n, i=i, text="x" * 300)

            threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print("still running")
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout == "still running\n"
        assert done.stderr.count("File too large") == 1
        data = path.read_bytes()
        assert len(data) == 20_000
        whole = data[: data.rindex(b"\n") + 1]
        assert all(orjson.loads(line)["event"] == "e" for line in whole.splitlines())
