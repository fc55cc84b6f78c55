"""Hierarchy scopes: events, stamping, statuses, concurrency, misuse, implicit scopes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
from freezegun import freeze_time

import wf_structlog as wfl
from wf_structlog import ScopeError, get_logger, testing
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
SPAN_ID = re.compile(r"^[0-9a-f]{16}$")


def names(logs: Capture) -> list[str]:
    return [e["event"] for e in logs.events]


class TestScopeEvents:
    def test_each_scope_logs_start_and_end(self, logs: Capture) -> None:
        """Entering and leaving scopes logs start and end events, innermost last."""
        with wfl.workflow("research"), wfl.iteration(), wfl.interaction("planner"):
            get_logger().info("llm_call")
        assert names(logs) == [
            "workflow.start",
            "iteration.start",
            "interaction.start",
            "llm_call",
            "interaction.end",
            "iteration.end",
            "workflow.end",
        ]

    def test_end_carries_status_duration_and_children(self, logs: Capture) -> None:
        """An end event has status ok, a duration, and counts its direct children."""
        with freeze_time("2026-01-01 00:00:00") as clock, wfl.workflow("w"):
            get_logger().info("a")
            clock.tick(1.5)
            get_logger().info("b")
        end = logs.events[-1]
        assert end["status"] == "ok"
        assert end["duration_ms"] == 1500.0
        assert end["children"] == 2

    def test_exception_escaping_sets_error_status(self, logs: Capture) -> None:
        """An exception leaving a scope ends it with status error and the exception recorded,
        and still propagates."""
        with pytest.raises(RuntimeError, match="model down"):
            with wfl.workflow("w"), wfl.interaction("planner"):
                raise RuntimeError("model down")
        interaction_end, _iteration_end, workflow_end = logs.events[-3:]
        for end in (interaction_end, workflow_end):
            assert end["status"] == "error"
            assert end["level"] == "error"
            assert end["exception"]["type"] == "RuntimeError"
            assert end["exception"]["message"] == "model down"

    def test_user_status(self, logs: Capture) -> None:
        """A status set on the handle (or passed to end) is the end status."""
        with wfl.workflow("w") as wf:
            wf.status = "partial"
        it = wfl.iteration()
        with wfl.workflow("w2"):
            it.start()
            it.end("skipped")
        statuses = [e["status"] for e in logs.events if e["event"].endswith(".end")]
        assert statuses == ["partial", "skipped", "ok"]

    def test_interaction_input_and_output(self, logs: Capture) -> None:
        """An interaction's input is on its start event, its output on its end event."""
        with wfl.workflow("w"), wfl.interaction(agent="writer", input={"topic": "bees"}) as it:
            it.output = "draft"
        start = next(e for e in logs.events if e["event"] == "interaction.start")
        end = next(e for e in logs.events if e["event"] == "interaction.end")
        assert start["input"] == {"topic": "bees"}
        assert end["output"] == "draft"

    def test_scope_events_ignore_the_level(self) -> None:
        """Structure is always written: scope events pass even when their level is filtered."""
        with testing.capture(level="error") as logs, wfl.workflow("w"):
            get_logger().info("filtered")
        assert names(logs) == ["workflow.start", "workflow.end"]


class TestStamping:
    def test_ids_are_w3c_shaped(self, logs: Capture) -> None:
        """Run ids are 32 hex digits, scope ids 16; every event inside is stamped."""
        with wfl.workflow("research") as wf, wfl.iteration() as it:
            with wfl.interaction("planner") as inter:
                get_logger().info("llm_call")
        assert RUN_ID.match(wf.id)
        assert SPAN_ID.match(it.id)
        assert SPAN_ID.match(inter.id)
        action = next(e for e in logs.events if e["event"] == "llm_call")
        assert action["workflow"] == "research"
        assert action["workflow_id"] == wf.id
        assert action["iteration"] == 1
        assert action["iteration_id"] == it.id
        assert action["interaction_id"] == inter.id
        assert action["agent"] == "planner"
        assert action["span_id"] == inter.id

    def test_events_outside_any_workflow_are_unstamped(self, logs: Capture) -> None:
        """Outside scopes an event is still logged, with no hierarchy keys."""
        get_logger().info("lonely")
        (event,) = logs.events
        assert not {"workflow_id", "iteration_id", "interaction_id", "span_id"} & set(event)

    def test_the_scope_names_the_agent(self, logs: Capture) -> None:
        """Inside an interaction its agent wins over an agent bound on the logger; outside
        any scope the bound agent stays."""
        log = get_logger().bind(agent="planner")
        log.info("outside")
        with wfl.workflow("w"), wfl.interaction("researcher"):
            log.info("inside")
        assert logs.events[0]["agent"] == "planner"
        assert next(e for e in logs.events if e["event"] == "inside")["agent"] == "researcher"

    def test_iterations_are_numbered(self, logs: Capture) -> None:
        """Iterations count 1, 2, 3 within their workflow; an explicit number is kept."""
        with wfl.workflow("w"):
            for _ in range(2):
                with wfl.iteration():
                    pass
            with wfl.iteration(7):
                pass
            with wfl.iteration():
                pass
        numbers = [e["iteration"] for e in logs.events if e["event"] == "iteration.start"]
        assert numbers == [1, 2, 7, 8]

    def test_scope_stack_unwinds(self, logs: Capture) -> None:
        """After a scope closes, events belong to its parent again."""
        with wfl.workflow("w") as wf:
            with wfl.iteration():
                pass
            get_logger().info("after")
        after = next(e for e in logs.events if e["event"] == "after")
        assert "iteration_id" not in after
        assert after["span_id"] == wf.span_id
        assert wfl.current_scope() is None


class TestAsyncio:
    def test_concurrent_workflows_never_mix(self, logs: Capture) -> None:
        """Two workflows in concurrent tasks each stamp only their own events."""

        async def run(name: str) -> str:
            async with wfl.workflow(name) as wf:
                for i in range(5):
                    async with wfl.interaction(f"{name}-agent"):
                        get_logger().info("step", i=i, owner=name)
                        await asyncio.sleep(0)
                return wf.id

        async def main() -> tuple[str, str]:
            return await asyncio.gather(run("a"), run("b"))

        id_a, id_b = asyncio.run(main())
        steps = [e for e in logs.events if e["event"] == "step"]
        assert len(steps) == 10
        for event in steps:
            assert event["workflow_id"] == (id_a if event["owner"] == "a" else id_b)
            assert event["agent"] == f"{event['owner']}-agent"
        owners = [e["owner"] for e in steps]
        assert owners != sorted(owners), "the tasks should really have interleaved"

    def test_async_decorator(self, logs: Capture) -> None:
        """A decorated coroutine function runs each call in a fresh scope."""

        @wfl.workflow("job")
        async def job(n: int) -> int:
            get_logger().info("working", n=n)
            return n * 2

        async def main() -> tuple[int, int]:
            return await asyncio.gather(job(1), job(2))

        assert list(asyncio.run(main())) == [2, 4]
        runs = {e["workflow_id"] for e in logs.events if e["event"] == "working"}
        assert len(runs) == 2


class TestDecorators:
    def test_sync_decorator_opens_a_scope_per_call(self, logs: Capture) -> None:
        """Each call of a decorated function is its own scope; errors mark it."""

        @wfl.interaction("tool")
        def tool(x: int) -> int:
            if x < 0:
                raise ValueError("negative")
            return x

        with wfl.workflow("w"):
            assert tool(1) == 1
            with pytest.raises(ValueError, match="negative"):
                tool(-1)
        ends = [e for e in logs.events if e["event"] == "interaction.end"]
        assert [e["status"] for e in ends] == ["ok", "error"]
        assert ends[0]["interaction_id"] != ends[1]["interaction_id"]
        assert tool.__name__ == "tool"

    def test_on_handles_and_current_scope(self, logs: Capture) -> None:
        """add_metadata/add_resource on a handle target it; the module functions the current
        scope."""
        with wfl.workflow("w", user="u1") as wf, wfl.interaction("planner"):
            wf.add_metadata(phase="plan")
            wfl.add_metadata({"temperature": 0.2})
            wfl.add_resource("doc.pdf", pages=3)
        by_event: dict[str, list[EventDict]] = {}
        for event in logs.events:
            by_event.setdefault(event["event"], []).append(event)
        assert by_event["workflow.start"][0]["metadata"] == {"user": "u1"}
        wf_meta, inter_meta = by_event["metadata"]
        assert wf_meta["metadata"] == {"phase": "plan"}
        assert "interaction_id" not in wf_meta
        assert inter_meta["metadata"] == {"temperature": 0.2}
        assert inter_meta["agent"] == "planner"
        (resource,) = by_event["resource"]
        assert resource["resource"] == "doc.pdf"
        assert resource["details"] == {"pages": 3}


class TestMisuse:
    def test_closed_twice_raises_under_strict_presets(self, logs: Capture) -> None:
        """Under dev/test, closing a scope twice raises ScopeError naming the scope."""
        wf = wfl.workflow("w").start()
        wf.end()
        with pytest.raises(ScopeError, match=r"workflow 'w'.*already closed"):
            wf.end()

    def test_closed_twice_warns_under_prod(self, capfd: pytest.CaptureFixture[str]) -> None:
        """Under prod, the same misuse is a warning event and the program goes on."""
        wfl.configure("prod")
        wf = wfl.workflow("w").start()
        wf.end()
        wf.end()
        out, _ = capfd.readouterr()
        assert '"event":"scope_misuse"' in out
        assert "already closed" in out

    def test_parent_closed_before_child(self, logs: Capture) -> None:
        """Closing a parent first closes its open child as abandoned, then raises (strict)."""
        wf = wfl.workflow("w").start()
        it = wfl.iteration().start()
        with pytest.raises(ScopeError, match="closed before its child"):
            wf.end()
        assert not it.is_open
        ends = [(e["event"], e["status"]) for e in logs.events if e["event"].endswith(".end")]
        assert ends == [("iteration.end", "abandoned"), ("workflow.end", "ok")]
        assert wfl.current_scope() is None

    def test_misuse_while_an_exception_propagates_does_not_mask_it(self, logs: Capture) -> None:
        """A scope problem found while the user's exception propagates never replaces it."""
        wf = wfl.workflow("w")
        with pytest.raises(KeyError):
            with wf:
                wf.end()
                raise KeyError("user's own")
        assert any(e["event"] == "scope_misuse" for e in logs.events)

    def test_open_grandchildren_never_mask_the_users_exception(self, logs: Capture) -> None:
        """An exception escaping a workflow with scopes left open below it reaches the caller
        as itself, and every scope still logs its end."""
        with pytest.raises(ValueError, match="mine"):
            with wfl.workflow("w"):
                wfl.interaction("a").start()
                raise ValueError("mine")
        ends = [(e["event"], e["status"]) for e in logs.events if e["event"].endswith(".end")]
        assert ends == [
            ("interaction.end", "error"),
            ("iteration.end", "error"),
            ("workflow.end", "error"),
        ]
        assert logs.documents[0]["complete"] is True

    def test_open_grandchildren_raise_after_everything_closed(self, logs: Capture) -> None:
        """Without an exception in flight (strict), the ScopeError comes after every end."""
        wf = wfl.workflow("w").start()
        wfl.iteration().start()
        wfl.interaction("a").start()
        with pytest.raises(ScopeError, match="closed before its child"):
            wf.end()
        assert logs.events[-1]["event"] == "workflow.end"
        assert wfl.current_scope() is None

    def test_lenient_misuse_warnings_are_in_the_document(self) -> None:
        """Under prod, the warnings about scopes left open land inside the closing scope, so
        the document shows them and stays complete."""
        with testing.capture(strict=False) as logs:
            wf = wfl.workflow("w").start()
            wfl.iteration().start()
            wfl.interaction("a").start()
            wf.end()
        (doc,) = logs.documents
        assert doc["complete"] is True
        problems = [e["problem"] for e in doc["events"] if e["event"] == "scope_misuse"]
        problems += [
            e["problem"] for e in doc["iterations"][0]["events"] if e["event"] == "scope_misuse"
        ]
        assert len(problems) == 2
        assert doc["iterations"][0]["interactions"][0]["status"] == "abandoned"

    def test_start_twice(self, logs: Capture) -> None:
        """Reopening a scope is a misuse."""
        with wfl.workflow("w") as wf, pytest.raises(ScopeError, match="started again"):
            wf.start()

    def test_metadata_outside_any_scope(self) -> None:
        """add_metadata with no scope: ScopeError in strict, a warning keeping the data in prod."""
        with testing.capture(), pytest.raises(ScopeError, match="outside any scope"):
            wfl.add_metadata(x=1)
        with testing.capture(strict=False) as logs:
            wfl.add_metadata(x=1)
        assert logs.events[0]["event"] == "scope_misuse"
        assert logs.events[0]["metadata"] == {"x": 1}

    def test_nested_iteration(self, logs: Capture) -> None:
        """Iterations do not nest."""
        with (
            wfl.workflow("w"),
            wfl.iteration(),
            pytest.raises(ScopeError, match="iterations do not nest"),
        ):
            wfl.iteration().start()


class TestImplicitScopes:
    def test_interaction_directly_in_a_workflow(self, logs: Capture) -> None:
        """Interactions outside an iteration share one implicit iteration, closed with the
        workflow."""
        with wfl.workflow("w"):
            with wfl.interaction("a"):
                pass
            with wfl.interaction("b"):
                pass
        assert names(logs) == [
            "workflow.start",
            "iteration.start",
            "interaction.start",
            "interaction.end",
            "interaction.start",
            "interaction.end",
            "iteration.end",
            "workflow.end",
        ]
        assert len({e.get("iteration_id") for e in logs.events[1:-1]}) == 1

    def test_interaction_with_no_workflow(self, logs: Capture) -> None:
        """An interaction outside any workflow goes into an implicit workflow, named after the
        program, that stays open for the next one."""
        with wfl.interaction("a"):
            get_logger().info("x")
        with wfl.interaction("b"):
            pass
        runs = {e["workflow_id"] for e in logs.events}
        assert len(runs) == 1
        assert logs.events[0]["event"] == "workflow.start"
        assert wfl.current_scope() is None


class TestOffSwitch:
    def test_scopes_do_nothing_when_off(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """With logging off, scopes still work as context managers and record nothing; the
        off switch wins over every other setting, valid or not."""
        monkeypatch.setenv("WORKFLOW_LOGGING", "off")
        monkeypatch.setenv("WF_LOG_LEVEL", "not-a-level")
        path = tmp_path / "run.ndjson"
        wfl.configure("test", file=path, doc_dir=tmp_path / "docs")
        with wfl.workflow("w") as wf, wfl.interaction("a") as it:
            it.output = "x"
            wf.add_metadata(a=1)
            wfl.add_metadata(b=2)
        wf.end()
        assert testing.events() == []
        assert not path.exists()
        assert list(tmp_path.iterdir()) == []


def test_implicit_workflow_closes_at_exit(tmp_path: Path) -> None:
    """An implicit workflow is closed when the program exits, and its document written."""
    script = textwrap.dedent(
        f"""
        import wf_structlog as wfl
        wfl.configure("prod", stdout=False, doc_dir={str(tmp_path)!r})
        with wfl.interaction("solo"):
            wfl.get_logger().info("work", input_tokens=1)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    (path,) = tmp_path.glob("*.json")
    document = orjson.loads(path.read_bytes())
    assert document["name"] == "main"
    assert document["status"] == "ok"
    assert document["complete"] is True
    assert document["iterations"][0]["interactions"][0]["agent"] == "solo"


class TestConcurrentStructure:
    def test_explicit_iteration_beside_a_running_implicit_one(self, logs: Capture) -> None:
        """A task opening an explicit iteration never closes the implicit iteration in which a
        sibling task's interaction is still running."""

        async def chatter(started: asyncio.Event, release: asyncio.Event) -> None:
            async with wfl.interaction("chatter"):
                started.set()
                await release.wait()
                get_logger().info("chat_done")

        async def iterate(started: asyncio.Event, release: asyncio.Event) -> None:
            await started.wait()
            async with wfl.iteration():
                get_logger().info("iter_work")
            release.set()

        async def main() -> None:
            started, release = asyncio.Event(), asyncio.Event()
            async with wfl.workflow("w"):
                await asyncio.gather(chatter(started, release), iterate(started, release))

        asyncio.run(main())
        (doc,) = logs.documents
        assert doc["complete"] is True
        first, second = doc["iterations"]
        assert [i["status"] for i in first["interactions"]] == ["ok"]
        assert [a["event"] for a in first["interactions"][0]["actions"]] == ["chat_done"]
        assert [e["event"] for e in second["events"]] == ["iter_work"]

    def test_opening_under_a_scope_closed_elsewhere(self) -> None:
        """A scope opened under a workflow another thread closed: ScopeError when strict; under
        prod, a warning and the scope goes where it can."""
        import threading

        for strict in (True, False):
            with testing.capture(strict=strict) as logs:
                wf = wfl.workflow("w").start()
                closer = threading.Thread(target=wf.end)
                closer.start()
                closer.join()
                if strict:
                    with pytest.raises(ScopeError, match="which is closed"):
                        wfl.interaction("late").start()
                else:
                    with wfl.interaction("late"):
                        pass
                    assert any(e["event"] == "scope_misuse" for e in logs.events)


class TestLateEvents:
    def test_events_after_the_workflow_ended(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Events a task logs after its workflow ended stay in the NDJSON; the document written
        at the end is not rewritten, and stderr says so once."""
        wfl.configure("test", file=tmp_path / "run.ndjson", doc_dir=tmp_path / "docs")

        async def main() -> None:
            async def telemetry() -> None:
                await asyncio.sleep(0.01)
                get_logger().info("late")
                get_logger().info("later")

            async with wfl.workflow("w"):
                task = asyncio.create_task(telemetry())
            await task

        asyncio.run(main())
        (doc_path,) = (tmp_path / "docs").iterdir()
        written = orjson.loads(doc_path.read_bytes())
        assert written["complete"] is True
        (rebuilt,) = wfl.reduce(tmp_path / "run.ndjson")
        assert [e["event"] for e in rebuilt["events"]] == ["late", "later"]
        assert rebuilt["complete"] is False
        assert capsys.readouterr().err.count("after their workflow") == 1


class TestArguments:
    def test_iteration_number_must_be_an_int(self) -> None:
        """iteration("2") is a TypeError at the call."""
        with pytest.raises(TypeError, match="iteration number must be an int"):
            wfl.iteration("2")  # type: ignore[arg-type]

    def test_non_string_status_and_names(self, logs: Capture) -> None:
        """A status or name that is not a string is written as one, so documents stay valid."""
        with wfl.workflow(("a", "b")) as wf:  # type: ignore[arg-type]
            wf.status = 404  # type: ignore[assignment]
        assert logs.events[-1]["status"] == "404"
        assert logs.documents[0]["name"] == "('a', 'b')"


class TestMoreStatuses:
    def test_cancelled_task(self, logs: Capture) -> None:
        """A scope left by asyncio cancellation ends as cancelled."""

        async def main() -> None:
            async def agent() -> None:
                async with wfl.interaction("slow"):
                    await asyncio.sleep(10)

            async with wfl.workflow("w"):
                task = asyncio.create_task(agent())
                await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

        asyncio.run(main())
        end = next(e for e in logs.events if e["event"] == "interaction.end")
        assert end["status"] == "cancelled"

    def test_nested_workflow_is_its_own_run(self, logs: Capture) -> None:
        """A workflow inside another is a separate run naming its parent, and its document
        is nested in the parent's."""
        with wfl.workflow("outer") as outer, wfl.workflow("inner") as inner:
            get_logger().info("in_inner")
        (document,) = logs.documents
        (nested,) = document["workflows"]
        assert (document["id"], nested["parent_workflow_id"]) == (outer.id, outer.id)
        assert nested["id"] == inner.id != outer.id
        assert [e["event"] for e in nested["events"]] == ["in_inner"]
        assert document["events"] == []
