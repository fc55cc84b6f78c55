"""The reducer: nested documents from events in any order, from any set of files."""

from __future__ import annotations

import gc
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wf_structlog as wfl
from wf_structlog import Reducer, ReduceWarning, get_logger, reduce, testing
from wf_structlog.testing import Capture
from wf_structlog.typing import EventDict

Plan = list[list[tuple[str, int]]]
"""Iterations of interactions: (agent, number of llm calls). A ``summarizer`` opens a
``summarize`` workflow inside its interaction."""


def run_plan(plan: Plan, name: str = "research") -> str:
    """Log a workflow shaped like *plan*; returns its run id."""
    log = get_logger()
    with wfl.workflow(name, user="u1") as wf:
        log.info("workflow_note")
        for turns in plan:
            with wfl.iteration():
                for agent, calls in turns:
                    with wfl.interaction(agent, input=f"task for {agent}") as it:
                        if agent == "summarizer":  # a sub-workflow, nested in this interaction
                            with wfl.workflow("summarize"), wfl.interaction("condenser"):
                                log.info("llm_call", model="m-2", input_tokens=3, cost=0.5)
                        for i in range(calls):
                            log.info(
                                "llm_call",
                                model="m-1",
                                input_tokens=10 + i,
                                output_tokens=5,
                                cost=0.001,
                            )
                        it.output = f"{agent} done"
        return wf.id


def validate(document: dict[str, Any]) -> None:
    jsonschema.validate(document, wfl.document_schema())


PLAN: Plan = [[("planner", 1), ("researcher", 2)], [("writer", 3)]]


class TestDocument:
    def test_nested_document(self, logs: Capture) -> None:
        """A run reduces to workflow -> iterations -> interactions -> actions, valid against
        the shipped schema."""
        run_id = run_plan(PLAN)
        (doc,) = logs.documents
        validate(doc)
        assert doc["id"] == run_id
        assert doc["name"] == "research"
        assert doc["status"] == "ok"
        assert doc["complete"] is True
        assert doc["metadata"] == {"user": "u1"}
        assert [e["event"] for e in doc["events"]] == ["workflow_note"]
        assert [it["number"] for it in doc["iterations"]] == [1, 2]
        first = doc["iterations"][0]["interactions"]
        assert [(i["agent"], i["input"], i["output"]) for i in first] == [
            ("planner", "task for planner", "planner done"),
            ("researcher", "task for researcher", "researcher done"),
        ]
        action = first[1]["actions"][1]
        assert list(action)[:3] == ["event", "timestamp", "level"]
        assert action["event"] == "llm_call"
        assert action["input_tokens"] == 11
        assert not {"workflow_id", "interaction_id", "agent", "seq", "pid"} & set(action)

    def test_usage_sums_up_the_tree(self, logs: Capture) -> None:
        """usage sums tokens, cost and calls per interaction, iteration and workflow."""
        run_plan(PLAN)
        (doc,) = logs.documents
        researcher = doc["iterations"][0]["interactions"][1]
        assert researcher["usage"] == {
            "calls": 2,
            "input_tokens": 21,
            "output_tokens": 10,
            "cost": 0.002,
        }
        assert doc["iterations"][1]["usage"]["input_tokens"] == 33
        assert doc["usage"] == {"calls": 6, "input_tokens": 64, "output_tokens": 30, "cost": 0.006}

    def test_timestamps_and_durations(self) -> None:
        """start_time, end_time and duration_ms come from the scope's events."""
        with testing.capture() as logs, freeze_time("2026-11-25 10:00:00") as clock:
            with wfl.workflow("w"):
                clock.tick(2)
        (doc,) = logs.documents
        assert doc["start_time"] == "2026-11-25T10:00:00.000000Z"
        assert doc["end_time"] == "2026-11-25T10:00:02.000000Z"
        assert doc["duration_ms"] == 2000.0

    def test_errors_land_in_their_scope_and_count_up(self, logs: Capture) -> None:
        """log.error/exception land in the scope's errors; an escaping exception too;
        error_count rolls up."""
        log = get_logger()
        with pytest.raises(ValueError, match="bad plan"):
            with wfl.workflow("w"):
                log.error("workflow_level_problem")
                with wfl.interaction("planner"):
                    try:
                        raise KeyError("tool")
                    except KeyError:
                        log.exception("tool_failed")
                    raise ValueError("bad plan")
        (doc,) = logs.documents
        validate(doc)
        interaction = doc["iterations"][0]["interactions"][0]
        assert [e["event"] for e in interaction["errors"]] == ["tool_failed", "interaction.end"]
        assert interaction["errors"][1]["exception"]["type"] == "ValueError"
        assert interaction["status"] == "error"
        assert interaction["actions"] == []
        assert [e["event"] for e in doc["errors"]] == ["workflow_level_problem", "workflow.end"]
        # The exception escaped through the implicit iteration too, so it ended in error.
        assert doc["iterations"][0]["status"] == "error"
        assert doc["iterations"][0]["error_count"] == 3
        assert doc["error_count"] == 5

    def test_metadata_and_resources_at_every_level(self, logs: Capture) -> None:
        """Metadata merges into its scope; resources list under their scope."""
        with wfl.workflow("w", a=1) as wf, wfl.iteration(phase="x"), wfl.interaction("p") as it:
            wf.add_metadata(a=2, b=3)
            it.add_resource("paper.pdf", pages=12)
            wfl.add_metadata(model="m")
        (doc,) = logs.documents
        assert doc["metadata"] == {"a": 2, "b": 3}
        assert doc["iterations"][0]["metadata"] == {"phase": "x"}
        interaction = doc["iterations"][0]["interactions"][0]
        assert interaction["metadata"] == {"model": "m"}
        assert interaction["resources"] == [{"name": "paper.pdf", "details": {"pages": 12}}]
        assert doc["complete"] is True

    def test_two_runs_two_documents(self, logs: Capture) -> None:
        """Each workflow run is its own document; events outside workflows are ignored."""
        get_logger().info("outside")
        first = run_plan(PLAN, "a")
        second = run_plan(PLAN, "b")
        assert [d["id"] for d in logs.documents] == [first, second]

    def test_nested_interaction(self, logs: Capture) -> None:
        """An interaction inside another is listed in the iteration, naming its parent."""
        with wfl.workflow("w"), wfl.interaction("planner") as outer, wfl.interaction("tool"):
            pass
        interactions = logs.documents[0]["iterations"][0]["interactions"]
        assert [i["agent"] for i in interactions] == ["planner", "tool"]
        assert interactions[1]["parent_interaction_id"] == outer.id


class TestIncompleteRuns:
    def test_scope_never_ended(self, logs: Capture) -> None:
        """A scope whose end event never came is incomplete."""
        wfl.workflow("w").start()
        wfl.interaction("planner").start()
        get_logger().info("last words")
        (doc,) = logs.documents
        validate(doc)
        assert doc["status"] == "incomplete"
        assert doc["end_time"] is None
        interaction = doc["iterations"][0]["interactions"][0]
        assert interaction["status"] == "incomplete"
        assert interaction["actions"][0]["event"] == "last words"

    def test_missing_child_events_are_detected_without_clocks(self, logs: Capture) -> None:
        """If an event of a scope is missing, its end's child count shows it incomplete."""
        run_plan(PLAN)
        events = [e for e in logs.events if e.get("input_tokens") != 11]
        (doc,) = reduce(events)
        researcher = doc["iterations"][0]["interactions"][1]
        assert researcher["status"] == "ok"
        assert researcher["complete"] is False
        assert doc["complete"] is True
        assert doc["iterations"][0]["interactions"][0]["complete"] is True

    def test_placeholders_for_unseen_parents(self, logs: Capture) -> None:
        """Given only an interaction's actions, its iteration and workflow are rebuilt as
        incomplete placeholders."""
        run_plan(PLAN)
        actions = [e for e in logs.events if e["event"] == "llm_call" and e["agent"] == "writer"]
        (doc,) = reduce(actions)
        validate(doc)
        assert doc["name"] == "research"
        assert doc["status"] == "incomplete"
        (iteration,) = doc["iterations"]
        assert iteration["number"] == 2
        (interaction,) = iteration["interactions"]
        assert interaction["agent"] == "writer"
        assert len(interaction["actions"]) == 3


def _capture_plan(plan: Plan) -> list[EventDict]:
    with testing.capture() as logs:
        run_plan(plan)
        return list(logs.events)


plans = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["planner", "researcher", "writer", "summarizer"]), st.integers(0, 3)
        ),
        max_size=3,
    ),
    min_size=1,
    max_size=3,
)


class TestOrderDoesNotMatter:
    @settings(max_examples=40, deadline=None)
    @given(plan=plans, seed=st.randoms(use_true_random=False))
    def test_shuffled_lines_rebuild_the_same_document(
        self, plan: Plan, seed: random.Random
    ) -> None:
        """The same events in any order reduce to the same document."""
        events = _capture_plan(plan)
        expected = reduce(events)
        shuffled = list(events)
        seed.shuffle(shuffled)
        assert reduce(shuffled) == expected

    @settings(
        max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(plan=plans, parts=st.integers(1, 4), seed=st.randoms(use_true_random=False))
    def test_split_over_files(
        self, tmp_path: Path, plan: Plan, parts: int, seed: random.Random
    ) -> None:
        """Lines split over several files, each shuffled, rebuild the same document."""
        events = _capture_plan(plan)
        expected = reduce(events)
        files = [tmp_path / f"part-{seed.random()}-{i}.ndjson" for i in range(parts)]
        chunks: list[list[bytes]] = [[] for _ in files]
        for event in events:
            chunks[seed.randrange(parts)].append(orjson.dumps(event))
        for path, chunk in zip(files, chunks, strict=True):
            seed.shuffle(chunk)
            path.write_bytes(b"".join(line + b"\n" for line in chunk))
        assert reduce(*files) == expected

    def test_duplicated_input_counts_once(self, tmp_path: Path, logs: Capture) -> None:
        """Passing the same file twice does not duplicate events."""
        run_plan(PLAN)
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in logs.events))
        assert reduce(path, path) == reduce(path) == logs.documents


class TestDocumentsWrittenAtTheEnd:
    def test_doc_dir_document_equals_reduce_of_the_ndjson(self, tmp_path: Path) -> None:
        """The document written when a workflow ends equals reduce() of that run's NDJSON."""
        ndjson = tmp_path / "run.ndjson"
        wfl.configure("test", file=ndjson, doc_dir=tmp_path / "docs")
        with wfl.workflow("research") as wf:
            expected_path = wf.document_path
            with wfl.interaction("planner", input={"q": "bees", "n": (1, 2)}) as it:
                get_logger().info(
                    "llm_call", input_tokens=3, output_tokens=4, cost=0.1, obj=object()
                )
                it.output = {"plan": ["a", "b"]}
        written = tmp_path / "docs" / f"research-{wf.id}.json"
        assert expected_path == written
        document = orjson.loads(written.read_bytes())
        (rebuilt,) = reduce(ndjson)
        assert document == rebuilt
        validate(document)

    def test_unsafe_workflow_names_make_safe_file_names(self, tmp_path: Path) -> None:
        """A workflow name with slashes or dots cannot escape doc_dir."""
        wfl.configure("test", doc_dir=tmp_path)
        with wfl.workflow("../../etc/passwd") as wf:
            pass
        (path,) = tmp_path.iterdir()
        assert path.name == f"etc_passwd-{wf.id}.json"


class TestBadInput:
    def test_bad_lines_are_skipped_with_one_warning(self, tmp_path: Path, logs: Capture) -> None:
        """A truncated last line, a non-JSON line, and a foreign JSON value are skipped."""
        run_plan(PLAN)
        path = tmp_path / "run.ndjson"
        lines = [orjson.dumps(e) for e in logs.events]
        path.write_bytes(
            b"\n".join([b"plain text from another program", *lines, b"[1, 2]", lines[0][:20]])
        )
        with pytest.warns(ReduceWarning, match="skipped 3 line"):
            (doc,) = reduce(path)
        assert doc == logs.documents[0]

    def test_a_deep_value_is_skipped_after_shallow_events_of_its_keys(self, tmp_path: Path) -> None:
        """An event nested too deep is skipped after events with the same keys whose values
        held no container, or a shallow one of the same types, or more sets of types than
        the reducer remembers."""

        def event(seq: int, **values: Any) -> dict[str, Any]:
            return {"event": "e", "workflow_id": "w", "seq": seq, **values}

        deep = b"[" * 200 + b"]" * 200
        lines = [
            *(event(n, data=n) for n in range(300)),
            event(300, data="deep"),  # no container in any value: not counted
            event(301, data=[1]),
            event(302, data="deep"),  # a list, as before: its brackets counted
            *(event(n, **{f"k{i}": n >> i & 1 or "" for i in range(9)}) for n in range(400, 912)),
            event(999, **{f"k{i}": "deep" if i == 0 else "" for i in range(9)}),
        ]
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"\n".join(map(orjson.dumps, lines)).replace(b'"deep"', deep))
        reducer = Reducer()
        with path.open("rb") as file:
            list(reducer.read(file, "run.ndjson"))
        assert [skip.line for skip in reducer.skips.first] == [301, 303, len(lines)]
        assert {skip.reason for skip in reducer.skips.first} == {"nested deeper than 128 levels"}
        (doc,) = reducer.documents()
        assert len(doc["events"]) == len(lines) - 3

    def test_a_bad_line_is_named_as_it_stands_without_its_newline(self, tmp_path: Path) -> None:
        """A line that is not an event is skipped with what is wrong with the line itself,
        its newline aside, wherever it stands in the file."""
        bad = [b'{"event": "e", "workflow_id":', b"tru", b'"abc', b"[1,"]
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"\n".join(bad))
        reducer = Reducer()
        with path.open("rb") as file:
            list(reducer.read(file, "run.ndjson"))
        wanted = Reducer()
        for number, line in enumerate(bad, 1):
            wanted.add_line(line, "run.ndjson", number)
        assert reducer.skips.first == wanted.skips.first

    def test_reducer_counts(self) -> None:
        """The streaming Reducer counts skipped lines and events outside workflows."""
        reducer = Reducer()
        reducer.add_line(b"{not json")
        reducer.add_line(b"\n")
        reducer.add({"event": "outside"})
        assert (reducer.skipped, reducer.unscoped, reducer.documents()) == (1, 1, [])


class TestCommandLine:
    def test_wf_log_reduce(self, tmp_path: Path) -> None:
        """wf-log reduce FILE... -o out.json writes the documents."""
        events = _capture_plan(PLAN)
        first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
        first.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events[::2]))
        second.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events[1::2]))
        out = tmp_path / "out.json"
        wf_log = Path(sys.executable).with_name("wf-log")
        subprocess.run(
            [str(wf_log), "reduce", str(first), str(second), "-o", str(out)], check=True, timeout=60
        )
        assert orjson.loads(out.read_bytes()) == reduce(events)

    def test_wf_log_reduce_stdin_and_missing_file(self, tmp_path: Path) -> None:
        """- reads standard input; a missing file is a clear error with exit status 2."""
        events = _capture_plan(PLAN)
        data = b"".join(orjson.dumps(e) + b"\n" for e in events)
        wf_log = str(Path(sys.executable).with_name("wf-log"))
        done = subprocess.run(
            [wf_log, "reduce", "-"], input=data, capture_output=True, check=True, timeout=60
        )
        assert orjson.loads(done.stdout) == reduce(events)
        missing = subprocess.run(
            [wf_log, "reduce", str(tmp_path / "nope")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert missing.returncode == 2
        assert "cannot read" in missing.stderr


class TestSources:
    def test_open_files_and_lines(self, tmp_path: Path, logs: Capture) -> None:
        """reduce() takes an open file, or a list of NDJSON lines, as well as paths."""
        run_plan(PLAN)
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in logs.events))
        with path.open("rb") as lines:
            from_file = reduce(lines)
        from_strings = reduce(path.read_text().splitlines())
        assert from_file == from_strings == reduce(path) == logs.documents

    def test_bytes_are_refused_clearly(self) -> None:
        """A bytes object is neither a path nor events: a TypeError says what reduce() takes."""
        with pytest.raises(TypeError, match="NDJSON paths, event dicts"):
            reduce(b'{"event": "x"}')  # type: ignore[arg-type]

    def test_interaction_without_an_iteration_is_kept(self) -> None:
        """An event naming an interaction but no iteration lands under a placeholder."""
        run_id = "1" * 32
        (doc,) = reduce([{"event": "chat", "workflow_id": run_id, "interaction_id": "msg-7"}])
        validate(doc)
        (iteration,) = doc["iterations"]
        assert iteration["interactions"][0]["actions"][0]["event"] == "chat"

    def test_streaming_document(self, logs: Capture) -> None:
        """Reducer.document gives a run's document so far, before it ends."""
        reducer = Reducer()
        wf = wfl.workflow("w").start()
        for event in logs.events:
            reducer.add(event)
        assert reducer.document(wf.id)["status"] == "incomplete"
        wf.end()


class TestKeptEvents:
    def test_documents_share_nothing_with_the_reducer(self, logs: Capture) -> None:
        """A document from Reducer.document can be changed freely: the next one is as before."""
        run_id = run_plan(PLAN)
        reducer = Reducer()
        for event in logs.events:
            reducer.add(event)
        first = reducer.document(run_id)
        first["iterations"][0]["interactions"][0]["actions"][0]["model"] = "changed"
        first["iterations"][0]["interactions"][0]["actions"].clear()
        assert reducer.document(run_id) == reducer.pop(run_id) == logs.documents[0]

    def test_repeated_names_are_kept_once(self, tmp_path: Path) -> None:
        """The name, level and model events repeat are one string in the documents, also
        after more distinct names than are remembered; the other values are their own."""
        lines = [
            {"event": name, "level": "info", "model": "m-1", "text": "t" * 9, "seq": n}
            for n, name in enumerate([*map(str, range(9000)), *(f"e{n % 50}" for n in range(9000))])
        ]
        path = tmp_path / "run.ndjson"
        path.write_bytes(
            b"\n".join(orjson.dumps({**line, "workflow_id": "w" * 32}) for line in lines)
        )
        (doc,) = reduce(path)
        events = doc["events"]
        assert [event["event"] for event in events] == [line["event"] for line in lines]
        assert len({id(event["level"]) for event in events}) < 5
        assert len({id(event["model"]) for event in events}) < 5
        assert events[-1]["event"] is events[-51]["event"]
        assert events[0]["text"] is not events[1]["text"]

    def test_events_changed_after_adding_do_not_change_the_document(self) -> None:
        """The reducer keeps what the document needs when an event arrives, not the event."""
        event: dict[str, Any] = {"event": "chat", "workflow_id": "w" * 32, "text": "before"}
        reducer = Reducer()
        reducer.add(event)
        event["text"] = "after"
        (doc,) = reducer.documents()
        assert doc["events"][0]["text"] == "before"

    def test_events_without_a_timestamp_come_first(self) -> None:
        """Events with no timestamp, pid or seq come first, in the order they arrived; the
        others by timestamp. One whose timestamp or seq is not of its type is skipped."""
        run = "r" * 32
        events: list[dict[str, Any]] = [
            {"event": "late", "workflow_id": run, "timestamp": "2026-01-01T00:00:02Z"},
            {"event": "no_time", "workflow_id": run, "timestamp": None, "seq": "x"},
            {"event": "early", "workflow_id": run, "timestamp": "2026-01-01T00:00:01Z"},
            {"event": "no_key", "workflow_id": run},
        ]
        with pytest.warns(ReduceWarning, match="skipped 1 line.*timestamp is a NoneType"):
            (doc,) = reduce(events)
        assert [e["event"] for e in doc["events"]] == ["no_key", "early", "late"]

    @pytest.mark.parametrize("enabled", [True, False])
    def test_reduce_leaves_the_garbage_collector_as_it_was(
        self, enabled: bool, logs: Capture
    ) -> None:
        """reduce() pauses the cyclic garbage collector while it works, and restores it."""
        run_plan(PLAN)
        was = gc.isenabled()
        try:
            (gc.enable if enabled else gc.disable)()
            assert logs.documents
            assert gc.isenabled() is enabled
            assert gc.get_freeze_count() == 0
        finally:
            (gc.enable if was else gc.disable)()
