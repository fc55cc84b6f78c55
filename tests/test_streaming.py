"""The streaming reducer (``reduce_iter``, ``Reducer.completed``): each run given out when it is
complete and forgotten, the same documents as ``reduce``."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reducer import PLAN, Plan, _capture_plan, plans, run_plan

import wf_structlog as wfl
from wf_structlog import Reducer, ReduceWarning, get_logger, reduce, reduce_iter, testing
from wf_structlog.reading._nesting import by_start
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict


def _sub_starts_first(events: list[EventDict]) -> list[EventDict]:
    """*events* with each sub-workflow's start moved to the front (before its parent ends)."""
    first = [e for e in events if e["event"] == "workflow.start" and "parent_workflow_id" in e]
    return first + [e for e in events if not any(e is f for f in first)]


def _runs(count: int, name: str = "w") -> list[EventDict]:
    with testing.capture() as logs:
        for index in range(count):
            with wfl.workflow(f"{name}-{index}"), wfl.interaction("planner"):
                get_logger().info("llm_call", input_tokens=index)
        return list(logs.events)


class TestGivenOutWhenComplete:
    def test_a_run_comes_out_at_its_end_and_is_forgotten(self) -> None:
        """A run is given out as soon as its workflow.end arrives (its counts met), and the
        reducer holds nothing of it afterwards."""
        reducer = Reducer()
        out: list[dict[str, Any]] = []
        held = []
        for event in _runs(3):
            reducer.add(event)
            out.extend(reducer.completed())
            held.append(reducer.held)
            if event["event"] == "workflow.end":
                assert [doc["name"] for doc in out][-1] == event["workflow"]
                assert reducer.held == 0
        assert [doc["name"] for doc in out] == ["w-0", "w-1", "w-2"]
        assert max(held) == 1
        assert reducer.pop_documents() == []

    def test_memory_holds_only_the_open_runs(self) -> None:
        """Two runs logged side by side, many times over: the reducer never holds more than
        the two open ones, however many have passed."""
        a, b = _runs(50, "a"), _runs(50, "b")
        interleaved = [event for pair in zip(a, b, strict=True) for event in pair]
        reducer = Reducer()
        most = given_out = 0
        for event in interleaved:
            reducer.add(event)
            given_out += len(list(reducer.completed()))
            most = max(most, reducer.held)
        assert given_out == 100
        assert most == 2

    def test_a_missing_end_comes_out_at_the_end_of_the_stream(self) -> None:
        """A run whose end never arrives is held, and comes out incomplete at the end."""
        events = [
            e for e in _runs(2) if not (e["event"] == "workflow.end" and e["workflow"] == "w-0")
        ]
        documents = list(reduce_iter(events))
        assert [(doc["name"], doc["status"]) for doc in documents] == [
            ("w-1", "ok"),
            ("w-0", "incomplete"),
        ]

    def test_an_event_after_its_run_was_given_out_is_counted(self) -> None:
        """An event of a run already given out is dropped, and the warning says so."""
        events = _runs(1)
        late = {**events[2], "seq": 999, "event": "after_the_end"}
        with pytest.warns(ReduceWarning, match="dropped 1 event"):
            (document,) = reduce_iter([*events, late])
        assert document == reduce(events)[0]


class TestSubWorkflows:
    def test_a_complete_sub_workflow_waits_for_its_parent(self, logs: Capture) -> None:
        """A sub-workflow completes first, but comes out only inside its parent, once the
        parent is complete."""
        run_plan([[("summarizer", 1)]])
        reducer = Reducer()
        given_at: list[tuple[int, dict[str, Any]]] = []
        for index, event in enumerate(logs.events):
            reducer.add(event)
            given_at.extend((index, doc) for doc in reducer.completed())
        ((index, document),) = given_at
        assert index == len(logs.events) - 1
        (sub,) = document["iterations"][0]["interactions"][0]["workflows"]
        assert sub["name"] == "summarize"
        assert [document] == logs.documents

    def test_a_parent_waits_for_its_open_sub_workflow(self, logs: Capture) -> None:
        """A parent whose sub-workflow started and is still open waits for it."""
        run_plan([[("summarizer", 1)]])
        sub_end = next(
            e for e in logs.events if e["event"] == "workflow.end" and e["workflow"] == "summarize"
        )
        events = [e for e in logs.events if e is not sub_end] + [sub_end]
        reducer = Reducer()
        for event in events[:-1]:
            reducer.add(event)
            assert list(reducer.completed()) == []
        reducer.add(sub_end)
        assert list(reducer.completed()) == logs.documents

    def test_a_sub_workflow_after_its_parent_went_out_stays_at_the_top(self, logs: Capture) -> None:
        """A sub-workflow whose events all come after its parent was given out comes out on
        its own, marked parent_missing."""
        run_plan([[("summarizer", 0)]])
        parent_id = logs.documents[0]["id"]
        own = [e for e in logs.events if e["workflow_id"] == parent_id]
        sub = [e for e in logs.events if e["workflow_id"] != parent_id]
        parent, child = reduce_iter(own + sub)
        assert parent["iterations"][0]["interactions"][0]["workflows"] == []
        assert child["parent_missing"] is True


class TestSameDocumentsAsReduce:
    @settings(max_examples=40, deadline=None)
    @given(plan=plans, seed=st.randoms(use_true_random=False))
    def test_any_order_streamed_or_not(self, plan: Plan, seed: random.Random) -> None:
        """The same events in any order (each sub-workflow's start before its parent's end)
        give the same documents streamed as reduce() gives."""
        events = _capture_plan(plan)
        expected = reduce(events)
        shuffled = list(events)
        seed.shuffle(shuffled)
        shuffled = _sub_starts_first(shuffled)
        assert reduce(shuffled) == expected
        assert by_start(list(reduce_iter(shuffled))) == expected

    def test_files_streamed(self, tmp_path: Any, logs: Capture) -> None:
        """An NDJSON file streams to the documents reduce() gives."""
        run_plan(PLAN)
        run_plan([[("summarizer", 2)]], name="second")
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in logs.events))
        assert by_start(list(reduce_iter(path))) == reduce(path) == logs.documents
