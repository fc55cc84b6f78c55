"""Scopes continue in other processes: carriers, attach, the environment, multiprocessing."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog import configure, get_logger
from wf_structlog.testing import Capture

TRACEPARENT = r"00-[0-9a-f]{32}-[0-9a-f]{16}-01"


def read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def to_file(path: Path) -> None:
    configure("prod", stdout=False, file=path)


def child_agent(found: dict[str, str], path: str, name: str, calls: int) -> None:
    """Runs in another process: continue the carried scope, open an interaction there."""
    to_file(Path(path))
    with wfl.attach(found), wfl.interaction(name):
        for i in range(calls):
            get_logger().info("tool_call", item=i)


def inherited_agent(name: str, calls: int) -> None:
    """Runs in a forked child: the scope comes with the fork, no carrier needed."""
    with wfl.interaction(name):
        for i in range(calls):
            get_logger().info("tool_call", item=i)


def pooled_call(item: int) -> int:
    get_logger().info("tool_call", item=item)
    return os.getpid()


def run_all(workers: list[Any]) -> None:
    """Start every process, wait for each, and check it succeeded."""
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0


def assert_one_complete_tree(path: Path, agents: dict[str, int]) -> dict[str, Any]:
    """The file reduces to one run whose iteration holds every agent's calls, complete."""
    events = read(path)
    assert len({(e["pid"], e["seq"]) for e in events}) == len(events)  # none twice
    (document,) = wfl.reduce(path)
    (iteration,) = document["iterations"]
    found = {i["agent"]: len(i["actions"]) for i in iteration["interactions"]}
    assert found == agents
    assert document["complete"]
    assert iteration["complete"]
    assert all(i["complete"] and i["status"] == "ok" for i in iteration["interactions"])
    return document


class TestCarrier:
    def test_carrier_names_the_current_scope(self, logs: Capture) -> None:
        """carrier() holds a W3C traceparent (run id, scope id) and our names; {} outside."""
        assert wfl.carrier() == {}
        with wfl.workflow("w") as wf, wfl.iteration(), wfl.interaction("planner") as turn:
            found = wfl.carrier()
        assert found["traceparent"] == f"00-{wf.run_id}-{turn.span_id}-01"
        assert orjson.loads(found["wf_scope"])["agent"] == "planner"

    def test_attach_continues_the_scope(self, logs: Capture) -> None:
        """Inside attach(), events carry the remote scope's ids, marked as attached, and new
        scopes are its children; the merged document is complete."""
        with wfl.workflow("w"), wfl.iteration(), wfl.interaction("planner"):
            get_logger().info("local")
            found = wfl.carrier()
        wfl.testing.events()  # the parent's side is done; now play the other process
        with wfl.attach(found) as remote:
            assert remote is not None
            assert remote.span_id in found["traceparent"]
            get_logger().info("remote")
        (local, remote_event) = [e for e in logs.events if e["event"] in ("local", "remote")]
        for key in ("workflow_id", "iteration_id", "interaction_id", "agent", "span_id"):
            assert local[key] == remote_event[key]
        assert remote_event["attached"] is True
        (document,) = logs.documents
        (turn,) = document["iterations"][0]["interactions"]
        assert [a["event"] for a in turn["actions"]] == ["local", "remote"]
        assert turn["complete"]

    @pytest.mark.parametrize(
        "found",
        [
            {"traceparent": "not a traceparent"},
            {"traceparent": "00-" + "0" * 32 + "-" + "1" * 16 + "-01"},
            {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "wf_scope": "{bad json"},
            {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "wf_scope": "[1]"},
            {"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01", "wf_scope": '{"agent":1}'},
            {"traceparent": 42},
        ],
    )
    def test_unreadable_carrier_is_ignored_and_said_once(
        self, logs: Capture, found: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A carrier from outside that cannot be read: the block runs unattached, stderr says so."""
        for _ in range(3):
            with wfl.attach(found) as remote:
                assert remote is None
                get_logger().info("e")
        assert all("workflow_id" not in e for e in logs.events)
        assert capsys.readouterr().err.count("ignored a carrier") == 1

    def test_traceparent_alone_is_enough(self, logs: Capture) -> None:
        """Only a traceparent (from another tracer): events join that trace as its workflow."""
        run_id, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        with wfl.attach({"traceparent": f"00-{run_id}-{span}-01"}), wfl.interaction("x"):
            get_logger().info("e")
        (event,) = [e for e in logs.events if e["event"] == "e"]
        assert event["workflow_id"] == run_id

    def test_wrap_pickles_as_a_carrier(self, logs: Capture) -> None:
        """A wrapped function sent to another process carries the scope it was wrapped in."""
        with wfl.interaction("planner") as turn:
            wrapped = wfl.wrap(pooled_call)
        clone = pickle.loads(pickle.dumps(wrapped))
        clone(5)
        (call,) = [e for e in logs.events if e["event"] == "tool_call"]
        assert call["interaction_id"] == turn.span_id
        assert call["attached"] is True


class TestProcesses:
    def test_subprocess_attaches_from_its_environment(self, tmp_path: Path) -> None:
        """A child started with carrier_env() continues the scope without any code."""
        path = tmp_path / "run.ndjson"
        to_file(path)
        code = textwrap.dedent(
            """
            import wf_structlog as wfl
            from wf_structlog import get_logger
            get_logger().info("tool_call", item=0)
            with wfl.interaction("child"):
                get_logger().info("tool_call", item=1)
            """
        )
        with wfl.workflow("w"), wfl.iteration(), wfl.interaction("parent"):
            env = {**os.environ, **wfl.carrier_env(), "WF_LOG_FILE": str(path)}
            env["WF_LOG_PRESET"] = "prod"
            subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
        (document,) = wfl.reduce(path)
        parent, child = document["iterations"][0]["interactions"]
        assert (parent["agent"], child["agent"]) == ("parent", "child")
        assert [a["item"] for a in parent["actions"]] == [0]  # logged outside any scope there
        assert [a["item"] for a in child["actions"]] == [1]
        assert child["parent_interaction_id"] == parent["id"]
        assert parent["complete"]
        assert child["complete"]

    def test_outside_any_scope_the_environment_carries_nothing(self, tmp_path: Path) -> None:
        """carrier_env() outside a scope blanks the variables: the child starts afresh."""
        to_file(tmp_path / "x.ndjson")
        assert wfl.carrier_env() == {"TRACEPARENT": "", "WF_LOG_SCOPE": ""}

    @pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
    def test_multiprocessing_with_a_carrier(self, tmp_path: Path, method: str) -> None:
        """Processes started by any method, handed carrier(), log into one tree."""
        path = tmp_path / "run.ndjson"
        to_file(path)
        context = multiprocessing.get_context(method)
        with wfl.workflow("w"), wfl.iteration():
            found = wfl.carrier()
            workers = [
                context.Process(  # type: ignore[attr-defined]
                    target=child_agent, args=(found, str(path), f"agent{n}", 30)
                )
                for n in range(3)
            ]
            run_all(workers)
        assert_one_complete_tree(path, {f"agent{n}": 30 for n in range(3)})

    def test_fork_inherits_the_scope(self, tmp_path: Path) -> None:
        """A forked child needs no carrier: it continues the scope it was forked in."""
        path = tmp_path / "run.ndjson"
        to_file(path)
        context = multiprocessing.get_context("fork")
        with wfl.workflow("w"), wfl.iteration():
            workers = [
                context.Process(target=inherited_agent, args=(f"agent{n}", 40)) for n in range(3)
            ]
            run_all(workers)
        assert_one_complete_tree(path, {f"agent{n}": 40 for n in range(3)})

    def test_process_pool_with_wrap(self, tmp_path: Path) -> None:
        """ProcessPoolExecutor tasks wrapped with wrap() log into the submitting interaction."""
        path = tmp_path / "run.ndjson"
        to_file(path)
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(
            2, mp_context=context, initializer=to_file, initargs=(path,)
        ) as pool:
            with wfl.workflow("w"), wfl.iteration(), wfl.interaction("planner"):
                pids = list(pool.map(wfl.wrap(pooled_call), range(40)))
        assert os.getpid() not in pids
        assert_one_complete_tree(path, {"planner": 40})
        calls = [e for e in read(path) if e["event"] == "tool_call"]
        assert Counter(e["pid"] for e in calls) == Counter(pids)


def crew(found: dict[str, str], path: str, process: int, non_blocking: bool) -> None:
    """Runs in another process: 4 threads, each its own agent's interaction, 100 calls each."""
    configure("prod", stdout=False, file=path, non_blocking=non_blocking)
    four_agents_in_threads(found, process, calls=100, payload="x" * 2000)


def four_agents_in_threads(
    found: dict[str, str], process: int, calls: int, **fields: object
) -> None:
    """Inside attach(found), 4 threads, each its own agent's interaction logging `calls` tool
    calls."""

    def agent(name: str) -> None:
        with wfl.interaction(name):
            for i in range(calls):
                get_logger().info("tool_call", item=i, **fields)

    with wfl.attach(found):
        workers = [threading.Thread(target=agent, args=(f"p{process}-t{t}",)) for t in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def test_many_processes_and_threads_one_file_every_event_in_its_scope(tmp_path: Path) -> None:
    """4 processes (half non-blocking) x 4 threads, each thread an agent, into one file: every
    line whole, every event once, each in its own agent's interaction of the one iteration."""
    path = tmp_path / "run.ndjson"
    to_file(path)
    context = multiprocessing.get_context("spawn")
    with wfl.workflow("w"), wfl.iteration():
        found = wfl.carrier()
        workers = [
            context.Process(target=crew, args=(found, str(path), p, p % 2 == 1)) for p in range(4)
        ]
        run_all(workers)
    events = read(path)  # raises if any line were torn
    starts = {e["interaction_id"]: e["agent"] for e in events if e["event"] == "interaction.start"}
    calls = [e for e in events if e["event"] == "tool_call"]
    assert all(starts[e["interaction_id"]] == e["agent"] for e in calls)
    assert_one_complete_tree(path, {f"p{p}-t{t}": 100 for p in range(4) for t in range(4)})


def unconfigured_crew(found: dict[str, str], process: int) -> None:
    """Runs in a spawned child that never calls configure(): 4 threads started inside attach(),
    each its own agent's interaction, 200 calls each."""
    four_agents_in_threads(found, process, calls=200)


def parent_settings_in_child() -> None:
    """Runs in a spawned child, through wrap(): it logs without configuring anything."""
    log = get_logger()
    log.info("below_the_level")
    log.warning("kept", codename="falcon", note="the codename is falcon")
    with wfl.interaction("child"):
        log.error("failed", item=1)


class TestChildrenFollowTheParent:
    @pytest.mark.parametrize("method", ["spawn", "forkserver"])
    def test_threads_of_a_child_keep_the_carried_scope(self, tmp_path: Path, method: str) -> None:
        """Children that never configure, starting threads inside attach(): every one of their
        events is in its own agent's interaction of the parent's iteration, in the parent's
        file, and the tree is complete."""
        path = tmp_path / "run.ndjson"
        to_file(path)
        context = multiprocessing.get_context(method)
        with wfl.workflow("w"), wfl.iteration():
            found = wfl.carrier()
            run_all(
                [
                    context.Process(target=unconfigured_crew, args=(found, p))  # type: ignore[attr-defined]
                    for p in range(3)
                ]
            )
        events = read(path)
        starts = {
            e["interaction_id"]: e["agent"] for e in events if e["event"] == "interaction.start"
        }
        calls = [e for e in events if e["event"] == "tool_call"]
        assert len(calls) == 3 * 4 * 200
        wrong = [e for e in calls if starts.get(e.get("interaction_id")) != e.get("agent")]
        assert wrong == []
        assert_one_complete_tree(path, {f"p{p}-t{t}": 200 for p in range(3) for t in range(4)})

    def test_a_spawned_child_logs_as_its_parent_configured(
        self, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """The parent's file, level, console (off) and redaction apply in a spawned child that
        never calls configure() (it used to fall back to the dev console)."""
        path = tmp_path / "run.ndjson"
        configure("prod", stdout=False, file=path, level="warning", redact_keys=["codename"])
        context = multiprocessing.get_context("spawn")
        with wfl.workflow("w"), wfl.iteration():
            run_all([context.Process(target=wfl.wrap(parent_settings_in_child))])
        child = [e for e in read(path) if e["pid"] != os.getpid()]
        assert [e["event"] for e in child] == [
            "kept",
            "interaction.start",
            "failed",
            "interaction.end",
        ]
        assert child[0]["codename"] == "[REDACTED]"
        assert child[0]["note"] == "the codename is falcon"
        assert capfd.readouterr().err == ""  # no dev console in the child

    def test_settings_that_cannot_be_pickled_are_said_once(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A processor pickle cannot name: carriers go without the settings, and stderr says
        so once (the child then configures from its environment)."""
        configure("test", processors=[lambda _, __, event: event])
        with wfl.workflow("w"):
            for _ in range(3):
                clone = pickle.loads(pickle.dumps(wfl.carrier()))
            assert clone == wfl.carrier()
        assert capsys.readouterr().err.count("without this one's settings") == 1


class TestEnvironment:
    def test_configure_attaches_to_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """configure() reads TRACEPARENT / WF_LOG_SCOPE; the test capture ignores them."""
        run_id, span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        monkeypatch.setenv("TRACEPARENT", f"00-{run_id}-{span}-01")
        monkeypatch.setenv("WF_LOG_SCOPE", '{"workflow": "parent-run"}')
        configure("test")
        scope = wfl.current_scope()
        assert scope is not None
        assert scope.stamp["workflow"] == "parent-run"
        get_logger().info("attached")
        assert wfl.testing.events()[-1]["workflow_id"] == run_id
        with wfl.testing.capture() as logs:
            assert wfl.current_scope() is None
            get_logger().info("isolated")
        assert "workflow_id" not in logs.events[-1]
        assert wfl.current_scope() is scope
