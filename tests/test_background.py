"""Non-blocking mode: a slow output never stalls the agent, and nothing is lost or doubled."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import configure, get_logger
from wf_structlog._runtime.state import STATE
from wf_structlog.config import ConfigError
from wf_structlog.outputs.background import BackgroundSink
from wf_structlog.outputs.sinks import FileSink
from wf_structlog.typing import EventDict


def read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


class GateSink:
    """A sink as slow as we like: it holds every write until the gate opens (in this process)."""

    def __init__(self) -> None:
        self.events: list[EventDict] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.owner = os.getpid()

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        self.entered.set()
        if os.getpid() == self.owner:
            assert self.gate.wait(30)
        self.events.append(event_dict)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def event(i: int) -> EventDict:
    return {"event": "e", "i": i}


class TestBackgroundSink:
    def test_a_stuck_sink_does_not_stall_the_caller(self) -> None:
        """Logging calls return while the sink is stuck; once it moves, it gets every event
        in order."""
        slow = GateSink()
        sink = BackgroundSink([slow], maxsize=1000)
        for i in range(100):
            sink.emit("info", event(i))
        assert slow.entered.wait(10)
        assert slow.events == []  # all 100 calls returned while the first write was stuck
        slow.gate.set()
        sink.flush()
        assert [e["i"] for e in slow.events] == list(range(100))
        sink.close()

    def test_drop_counts_and_logs_what_it_dropped(self, capsys: pytest.CaptureFixture[str]) -> None:
        """when_full="drop": overflow is dropped, counted, written as one events_dropped
        warning, and said once on stderr."""
        slow = GateSink()
        sink = BackgroundSink([slow], maxsize=5, when_full="drop")
        sink.emit("info", event(0))
        assert slow.entered.wait(10)  # the writer holds event 0; the queue is empty
        for i in range(1, 50):
            sink.emit("info", event(i))
        assert sink.dropped == 44
        slow.gate.set()
        sink.flush()
        written = slow.events
        assert [e["i"] for e in written if e["event"] == "e"] == list(range(6))
        (dropped,) = [e for e in written if e["event"] == "events_dropped"]
        assert dropped["dropped"] == 44
        assert dropped["level"] == "warning"
        assert capsys.readouterr().err.count("events were dropped") == 1
        sink.close()

    def test_block_waits_for_room_and_loses_nothing(self) -> None:
        """when_full="block": a caller waits while the queue is full, then goes on."""
        slow = GateSink()
        sink = BackgroundSink([slow], maxsize=2, when_full="block")

        def log_ten() -> None:
            for i in range(10):
                sink.emit("info", event(i))

        caller = threading.Thread(target=log_ten)
        caller.start()
        assert slow.entered.wait(10)
        caller.join(0.2)
        assert caller.is_alive()  # held up by the full queue
        slow.gate.set()
        caller.join(10)
        sink.flush()
        assert [e["i"] for e in slow.events] == list(range(10))
        assert sink.dropped == 0
        sink.close()

    def test_events_after_stop_are_written_directly(self, tmp_path: Path) -> None:
        """After stop() (at exit), an event is written at once by the caller, not queued."""
        sink = BackgroundSink([FileSink(tmp_path / "late.ndjson")])
        sink.emit("info", event(1))
        sink.stop()
        sink.emit("info", event(2))
        assert [e["i"] for e in read(tmp_path / "late.ndjson")] == [1, 2]
        sink.close()

    def test_bad_settings_are_clear_errors(self) -> None:
        """Unknown when_full, a queue size that is not a positive int: ConfigError."""
        with pytest.raises(ConfigError, match="when_full"):
            configure("test", non_blocking=True, when_full="sometimes")
        with pytest.raises(ConfigError, match="queue_size"):
            configure("test", non_blocking=True, queue_size=0)


class TestNonBlockingConfiguration:
    def test_workflow_end_waits_for_the_queue(self, tmp_path: Path) -> None:
        """When a workflow's with-block returns, its lines and its document are on disk."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, doc_dir=tmp_path, non_blocking=True)
        assert isinstance(STATE.sinks[0], BackgroundSink)
        with wfl.workflow("w") as wf, wfl.iteration(), wfl.interaction("a"):
            for i in range(2000):
                get_logger().info("e", i=i)
        assert len(read(path)) == 2000 + 6
        assert wf.document_path is not None
        assert wf.document_path.exists()

    def test_exit_writes_out_the_queue(self, tmp_path: Path) -> None:
        """A program that logs and exits, with nothing closed, loses nothing."""
        path = tmp_path / "run.ndjson"
        code = textwrap.dedent(
            f"""
            import wf_structlog as wfl
            wfl.configure("prod", stdout=False, file={str(path)!r}, non_blocking=True)
            log = wfl.get_logger()
            wfl.interaction("a").start()
            for i in range(5000):
                log.info("e", i=i)
            """
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        events = read(path)
        assert [e["i"] for e in events if e["event"] == "e"] == list(range(5000))
        assert events[-1]["event"] == "workflow.end"  # the implicit workflow, closed at exit

    def test_fork_neither_doubles_nor_loses(self, tmp_path: Path) -> None:
        """Forked while the parent's queue is full of unwritten events: the child writes only
        its own, the parent all of its own, each exactly once."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, non_blocking=True)
        background = STATE.sinks[0]
        assert isinstance(background, BackgroundSink)
        slow = GateSink()
        background.sinks = (slow, *background.sinks)
        log = get_logger()
        for i in range(100):
            log.info("parent", i=i)
        assert slow.entered.wait(10)
        child = multiprocessing.get_context("fork").Process(target=_log_in_child)
        child.start()
        child.join(60)
        assert child.exitcode == 0
        slow.gate.set()
        background.flush()
        events = read(path)
        assert [e["i"] for e in events if e["event"] == "parent"] == list(range(100))
        assert [e["i"] for e in events if e["event"] == "child"] == list(range(10))
        assert {e["pid"] for e in events if e["event"] == "child"} == {child.pid}

    def test_a_flooded_queue_drops_actions_never_scopes(self, tmp_path: Path) -> None:
        """when_full="drop" with a writer far slower than four agents logging at once: actions
        are dropped, never a scope's start or end, so every interaction that ended reduces
        complete (from the NDJSON and in the document), its end saying how many it lost."""
        path = tmp_path / "run.ndjson"
        configure(
            "prod",
            stdout=False,
            file=path,
            doc_dir=tmp_path / "docs",
            non_blocking=True,
            when_full="drop",
            queue_size=20,
        )
        background = STATE.sinks[0]
        assert isinstance(background, BackgroundSink)
        background.sinks = (SlowSink(), *background.sinks)

        def agent(name: str) -> None:
            for _ in range(3):
                with wfl.interaction(name):
                    for i in range(100):
                        get_logger().info("tool_call", i=i)

        with wfl.workflow("w"), wfl.iteration():
            workers = [threading.Thread(target=agent, args=(f"a{n}",)) for n in range(4)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        assert background.dropped > 100
        events = read(path)
        ends = [e for e in events if e["event"] == "interaction.end"]
        assert len(ends) == 12
        assert sum(e.get("dropped", 0) for e in ends) == background.dropped
        (document,) = wfl.reduce(path)
        (from_sink,) = (tmp_path / "docs").iterdir()
        for built in (document, orjson.loads(from_sink.read_bytes())):
            assert built["complete"]
            (iteration,) = built["iterations"]
            assert iteration["complete"]
            turns = iteration["interactions"]
            assert len(turns) == 12
            assert all(t["complete"] and t["status"] == "ok" for t in turns)
        lost = {e["interaction_id"]: e.get("dropped", 0) for e in ends}
        assert all(len(t["actions"]) + lost[t["id"]] == 100 for t in turns)

    def test_the_writer_thread_starts_with_an_empty_context(self, tmp_path: Path) -> None:
        """The writer thread, started by the first event of an interaction while threads
        carry their starter's scope, writes in no scope at all."""
        configure("prod", stdout=False, file=tmp_path / "run.ndjson", non_blocking=True)
        background = STATE.sinks[0]
        assert isinstance(background, BackgroundSink)
        seen = ScopeSink()
        background.sinks = (seen, *background.sinks)
        with wfl.workflow("w"), wfl.interaction("a"):
            get_logger().info("first")
        assert len(seen.scopes) == 7  # the workflow, its iteration, the interaction: ends too
        assert set(seen.scopes) == {None}


class ScopeSink:
    """Notes the scope current where it is written from."""

    def __init__(self) -> None:
        self.scopes: list[object] = []

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        self.scopes.append(wfl.current_scope())

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class SlowSink:
    """A writer slower than the agents: a fifth of a millisecond per event."""

    def emit(self, method_name: str, event_dict: EventDict) -> None:
        time.sleep(0.0002)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _log_in_child() -> None:
    log = get_logger()
    for i in range(10):
        log.info("child", i=i)
