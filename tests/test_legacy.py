"""The old WorkflowLogger API works as a drop-in, and writes the reducer's document."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

import wf_structlog as wfl
from wf_structlog.scopes.legacy import WorkflowLogger
from wf_structlog.testing import Capture


def load(path: Path | None) -> dict[str, Any]:
    assert path is not None
    document: dict[str, Any] = orjson.loads(path.read_bytes())
    return document


def drive(wf: WorkflowLogger) -> None:
    """Two iterations of planner and writer, one llm call each, as old code did it."""
    wf.add_metadata({"user": "u1"})
    wf.add_resource("paper.pdf", {"pages": 3})
    for n in (1, 2):
        wf.start_iteration(n)
        for agent in ("planner", "writer"):
            wf.start_interaction(agent, f"task {n}")
            meta = {"model": "m-1", "input_tokens": 10, "output_tokens": 5}
            wf.log_action("llm_call", "prompt", "reply", meta)
            wf.end_interaction(f"{agent} done")
        wf.end_iteration("ok")


def misuses(logs: Capture) -> list[str]:
    return [e["problem"] for e in logs.events if e["event"] == "scope_misuse"]


class TestWorkflowLogger:
    def test_document_is_the_reducers(self, logs: Capture, tmp_path: Path) -> None:
        """The file finalize writes equals the reducer's document of the workflow's events,
        with the tokens of each action's metadata summed in usage."""
        wf = WorkflowLogger("research", tmp_path)
        drive(wf)
        document = load(wf.finalize())
        assert document == logs.documents[0]
        assert wf.path == tmp_path / f"research_{wf.workflow_id}.json"
        assert document["usage"] == {
            "calls": 4,
            "input_tokens": 40,
            "output_tokens": 20,
            "unpriced_calls": 4,
        }
        assert document["metadata"] == {"user": "u1"}
        assert document["resources"] == [{"name": "paper.pdf", "details": {"pages": 3}}]
        turns = [i for it in document["iterations"] for i in it["interactions"]]
        assert [t["agent"] for t in turns] == ["planner", "writer"] * 2
        assert turns[0]["actions"][0]["action_type"] == "llm_call"
        assert turns[0]["output"] == "planner done"
        assert misuses(logs) == []

    def test_sub_workflows_are_in_the_document(self, logs: Capture, tmp_path: Path) -> None:
        """A workflow opened inside one of its interactions is nested there in the file, as
        in the reducer's document; a workflow of its own beside it is not."""
        wf = WorkflowLogger("research", tmp_path)
        wf.start_iteration(1)
        wf.start_interaction("writer", "draft")
        with wfl.workflow("summarize"), wfl.interaction("condenser"):
            wfl.get_logger().info("llm_call", input_tokens=7, output_tokens=2)
        wf.end_interaction("done")
        wf.end_iteration("ok")
        with wfl.workflow("unrelated"):
            pass
        document = load(wf.finalize())
        (writer,) = document["iterations"][0]["interactions"]
        (summary,) = writer["workflows"]
        assert summary["iterations"][0]["interactions"][0]["agent"] == "condenser"
        assert document["usage"]["total"]["input_tokens"] == 7
        assert document == next(d for d in logs.documents if d["id"] == wf.workflow_id)

    def test_importable_from_package_root(self) -> None:
        """wf_structlog.WorkflowLogger is the legacy class."""
        assert wfl.WorkflowLogger is WorkflowLogger

    def test_default_directory_is_logs(
        self, logs: Capture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """By default the document goes to logs/ in the current directory."""
        monkeypatch.chdir(tmp_path)
        wf = WorkflowLogger("plain")
        assert wf.finalize() == Path("logs") / f"plain_{wf.workflow_id}.json"
        assert (tmp_path / "logs" / f"plain_{wf.workflow_id}.json").exists()

    def test_end_iteration_writes_the_document_so_far(self, logs: Capture, tmp_path: Path) -> None:
        """Each end_iteration rewrites the file, so a crash later still leaves a document."""
        wf = WorkflowLogger("w", tmp_path)
        wf.start_iteration(1)
        wf.end_iteration()
        document = load(wf.path)
        assert document["status"] == "incomplete"
        assert [it["status"] for it in document["iterations"]] == ["ok"]

    def test_log_error_records_the_exception(self, logs: Capture, tmp_path: Path) -> None:
        """log_error with an exception lands in the scope's errors with its traceback."""
        wf = WorkflowLogger("w", tmp_path)
        wf.start_iteration(1)
        wf.start_interaction("researcher", "q")
        try:
            raise TimeoutError("search timed out")
        except TimeoutError as exc:
            wf.log_error(exc, {"tool": "search"})
        wf.log_error("plain message")
        wf.end_interaction()
        document = load(wf.finalize())
        (turn,) = document["iterations"][0]["interactions"]
        first, second = turn["errors"]
        assert first["exception"]["type"] == "TimeoutError"
        assert first["details"] == {"tool": "search"}
        assert second["event"] == "plain message"
        assert document["error_count"] == 2

    def test_workflow_ending_at_exit_still_writes(self, logs: Capture, tmp_path: Path) -> None:
        """A workflow never finalized is written when it ends some other way (at exit)."""
        wf = WorkflowLogger("w", tmp_path)
        wf._workflow.end()
        assert load(wf.path)["status"] == "ok"

    def test_works_under_prod_on_stdout(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Under prod (NDJSON on stdout, no documents configured) the file is still written."""
        wfl.configure("prod")
        wf = WorkflowLogger("w", tmp_path)
        drive(wf)
        assert load(wf.finalize())["usage"]["calls"] == 4
        assert '"event":"workflow.end"' in capsys.readouterr().out

    def test_logging_off_writes_nothing(self, tmp_path: Path) -> None:
        """Under the off preset every call is a no-op and no file is written."""
        wfl.configure("off")
        wf = WorkflowLogger("w", tmp_path)
        drive(wf)
        assert wf.finalize() is None
        assert list(tmp_path.iterdir()) == []

    def test_calls_from_another_thread_land_in_the_scopes(
        self, logs: Capture, tmp_path: Path
    ) -> None:
        """The logger holds its scopes, so a call from another thread logs in them too."""
        wf = WorkflowLogger("w", tmp_path)
        wf.start_iteration(1)
        wf.start_interaction("planner")
        worker = threading.Thread(target=wf.log_action, args=("llm_call", "p", "r"))
        worker.start()
        worker.join()
        wf.end_interaction()
        document = load(wf.finalize())
        (turn,) = document["iterations"][0]["interactions"]
        assert [a["event"] for a in turn["actions"]] == ["llm_call"]
        assert document["complete"]


class TestWrongOrder:
    def test_lenient_opens_and_closes_what_is_missing(self, logs: Capture, tmp_path: Path) -> None:
        """By default (even under the strict test preset) calls out of order are fixed up and
        each fix is a scope_misuse warning naming the call; the document stays complete."""
        wf = WorkflowLogger("w", tmp_path)
        wf.start_interaction("planner", "x")  # no iteration
        wf.start_interaction("writer", "y")  # planner still open
        wf.end_interaction("w")
        wf.end_iteration()
        wf.end_interaction("z")  # nothing open
        wf.end_iteration()  # nothing open
        wf.start_iteration()
        wf.log_action("llm_call")  # no interaction
        document = load(wf.finalize())  # iteration still open
        assert wf.finalize() is None  # twice
        assert [p.split("(): ")[0] for p in misuses(logs)] == [
            "WorkflowLogger('w').start_interaction",
            "WorkflowLogger('w').start_interaction",
            "WorkflowLogger('w').end_interaction",
            "WorkflowLogger('w').end_iteration",
            "WorkflowLogger('w').log_action",
            "WorkflowLogger('w').finalize",
            "WorkflowLogger('w').finalize",
        ]
        first, second = document["iterations"]
        assert [(i["agent"], i["status"]) for i in first["interactions"]] == [
            ("planner", "abandoned"),
            ("writer", "ok"),
        ]
        assert [e["event"] for e in second["events"]] == ["scope_misuse"]
        (opened,) = second["interactions"]  # log_action opened it: the finalize warning is in it
        assert [a["event"] for a in opened["actions"]] == ["llm_call", "scope_misuse"]
        assert document["complete"]

    def test_log_action_opens_the_missing_scopes(self, logs: Capture, tmp_path: Path) -> None:
        """log_action with nothing open opens an iteration and an interaction named after the
        action, with one scope_misuse warning; the next start_interaction ends that
        interaction "ok" without another warning, and the action's tokens count."""
        wf = WorkflowLogger("w", tmp_path)
        meta = {"input_tokens": 7, "output_tokens": 2}
        wf.log_action("llm_call", "prompt", "reply", meta)
        wf.log_action("search", "bees")  # the same interaction
        wf.start_interaction("writer", "draft")
        wf.end_interaction("done")
        wf.end_iteration()
        document = load(wf.finalize())
        assert [p.split(": ", 1)[1] for p in misuses(logs)] == ["no interaction is open"]
        (iteration,) = document["iterations"]
        opened, writer = iteration["interactions"]
        assert (opened["agent"], opened["status"], writer["agent"]) == ("llm_call", "ok", "writer")
        assert [a["event"] for a in opened["actions"]] == ["llm_call", "search"]
        assert opened["actions"][0]["input"] == "prompt"
        assert document["usage"]["input_tokens"] == 7
        assert document["complete"]

    @pytest.mark.parametrize(
        ("calls", "message"),
        [
            (["start_interaction"], "start_interaction(): no iteration is open"),
            (["end_interaction"], "end_interaction(): no interaction is open"),
            (["end_iteration"], "end_iteration(): no iteration is open"),
            (["finalize", "finalize"], "finalize(): the workflow was finalized"),
            (["start_iteration", "start_iteration"], "start_iteration(): iteration 1 is open"),
            (["log_action"], "log_action(): no interaction is open"),
        ],
    )
    def test_strict_raises_naming_call_and_state(
        self, logs: Capture, tmp_path: Path, calls: list[str], message: str
    ) -> None:
        """strict=True raises ScopeError naming the call and what state it found."""
        wf = WorkflowLogger("w", tmp_path, strict=True)
        *before, last = calls
        args: dict[str, tuple[Any, ...]] = {
            "start_interaction": ("planner",),
            "log_action": ("llm_call",),
        }
        for name in before:
            getattr(wf, name)(*args.get(name, ()))
        with pytest.raises(wfl.ScopeError, match=re.escape(f"WorkflowLogger('w').{message}")):
            getattr(wf, last)(*args.get(last, ()))
