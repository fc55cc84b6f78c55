"""A forked child never inherits a lock held by another thread of its parent."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import orjson

import wf_structlog as wfl
from wf_structlog import configure, get_logger
from wf_structlog._runtime import faults as _faults
from wf_structlog._runtime.state import STATE
from wf_structlog.outputs.sinks import DocumentSink, StreamSink


def _child_logs() -> None:
    with wfl.workflow("in-child"), wfl.interaction("a"):
        get_logger().info("child")
    _faults.report("child-fault", "a fault reported in the child")


def test_fork_while_another_thread_holds_every_lock(tmp_path: Path) -> None:
    """Forked while another thread holds the scope, configuration, fault, stdout and document
    locks: the child opens scopes, logs and reports without hanging."""
    path = tmp_path / "run.ndjson"
    configure("prod", file=path, doc_dir=tmp_path / "docs")
    stdout = next(s for s in STATE.sinks if isinstance(s, StreamSink))
    documents = next(s for s in STATE.sinks if isinstance(s, DocumentSink))
    locks: list[Any] = [
        STATE.structure,
        STATE.lock,
        STATE.reported_lock,
        stdout._lock,
        documents._lock,
    ]
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        for lock in locks:
            lock.acquire()
        holding.set()
        release.wait(60)
        for lock in reversed(locks):
            lock.release()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        child = multiprocessing.get_context("fork").Process(target=_child_logs)
        child.start()
        child.join(30)
        if child.exitcode is None:
            child.kill()
        assert child.exitcode == 0
    finally:
        release.set()
        holder.join()
    events = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [e["event"] for e in events if e["pid"] == child.pid][-1] == "workflow.end"
    assert len(list((tmp_path / "docs").glob("in-child-*.json"))) == 1
