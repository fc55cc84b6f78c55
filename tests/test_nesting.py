"""Sub-workflows: nested in the scope that opened them, in one process and across processes."""

from __future__ import annotations

import concurrent.futures
import io
import os
import subprocess
import sys
import textwrap
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from rich.console import Console

import wf_structlog as wfl
from wf_structlog import ReduceWarning, get_logger, reduce, testing
from wf_structlog.reading import stats, tree, view
from wf_structlog.reading._nesting import runs
from wf_structlog.reading.sources import Logs, read
from wf_structlog.testing import Capture

log = get_logger()


def run_with_summaries(iterations: int = 2) -> str:
    """A writer that opens a ``summarize`` workflow in its interaction, each iteration."""
    with wfl.workflow("research") as wf:
        for _ in range(iterations):
            with wfl.iteration(), wfl.interaction("writer"):
                log.info("llm_call", model="big", input_tokens=100, output_tokens=10, cost=0.01)
                with wfl.workflow("summarize"), wfl.interaction("condenser"):
                    log.info("llm_call", model="mini", input_tokens=7, output_tokens=2, cost=2e-05)
    return wf.id


def _text(renderable: Any) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


class TestInOneProcess:
    def test_sub_workflow_is_in_its_interaction(self, logs: Capture) -> None:
        """A workflow opened inside an interaction is a whole document in that interaction's
        ``workflows``, not a run of its own at the top."""
        run_id = run_with_summaries()
        (document,) = logs.documents
        jsonschema.validate(document, wfl.document_schema())
        assert document["id"] == run_id
        for iteration in document["iterations"]:
            (writer,) = iteration["interactions"]
            (summary,) = writer["workflows"]
            assert summary["name"] == "summarize"
            assert summary["parent_workflow_id"] == run_id
            assert summary["parent_scope_id"] == writer["id"]
            assert summary["iterations"][0]["interactions"][0]["agent"] == "condenser"

    def test_usage_says_what_sub_runs_add(self, logs: Capture) -> None:
        """``usage`` keeps the scope's own calls, and says what its sub-runs add and the
        total with them, cost included."""
        run_with_summaries()
        (document,) = logs.documents
        usage = document["usage"]
        assert (usage["calls"], usage["input_tokens"], usage["cost"]) == (2, 200, 0.02)
        assert usage["workflows"] == {
            "calls": 2,
            "input_tokens": 14,
            "output_tokens": 4,
            "cost": 4e-05,
        }
        assert usage["total"] == {
            "calls": 4,
            "input_tokens": 214,
            "output_tokens": 24,
            "cost": 0.02004,
        }
        writer = document["iterations"][0]["interactions"][0]
        assert writer["usage"]["total"]["cost"] == 0.01002

    def test_scopes_without_sub_runs_say_nothing_more(self, logs: Capture) -> None:
        """A scope with no workflow inside has no ``workflows`` or ``total`` in its usage."""
        run_with_summaries()
        (document,) = logs.documents
        summary = document["iterations"][0]["interactions"][0]["workflows"][0]
        assert "total" not in summary["usage"]
        assert summary["workflows"] == []

    def test_parent_missing_stays_at_the_top_flagged(self, logs: Capture) -> None:
        """A sub-workflow whose parent run is not in the input is a top-level run, flagged."""
        run_id = run_with_summaries(iterations=1)
        alone = [e for e in logs.events if e["workflow_id"] != run_id]
        (document,) = reduce(alone)
        assert (document["name"], document["parent_missing"]) == ("summarize", True)

    def test_runs_walks_every_nested_run(self, logs: Capture) -> None:
        """``runs`` yields the top documents and every run nested in them, parents first."""
        run_with_summaries()
        names = [run["name"] for run in runs(logs.documents)]
        assert names == ["research", "summarize", "summarize"]

    def test_parents_naming_each_other_are_reported(self) -> None:
        """Two runs each naming the other as parent stay at the top, and reduce() says so."""
        a, b = "a" * 32, "b" * 32
        events = [
            {"event": "workflow.start", "workflow_id": a, "parent_workflow_id": b},
            {"event": "workflow.start", "workflow_id": b, "parent_workflow_id": a},
        ]
        with pytest.warns(ReduceWarning, match="2 scope"):
            documents = reduce(events)
        assert sorted(d["id"] for d in documents) == [a, b]
        assert all(d["cyclic_parent"] for d in documents)

    def test_interactions_naming_each_other_are_drawn(self) -> None:
        """Interactions whose parents loop are kept (marked), drawn, and reported."""
        run, first, second = "a" * 32, "1" * 16, "2" * 16
        base = {"workflow_id": run, "iteration_id": "3" * 16}
        events = [
            {**base, "event": "interaction.start", "interaction_id": first, "agent": "one",
             "parent_span_id": second},
            {**base, "event": "interaction.start", "interaction_id": second, "agent": "two",
             "parent_span_id": first},
        ]  # fmt: skip
        with pytest.warns(ReduceWarning, match="2 scope"):
            (document,) = reduce(events)
        interactions = document["iterations"][0]["interactions"]
        assert {i["cyclic_parent"] for i in interactions} == {first, second}
        drawn = _text(tree.render_tree([document]))
        assert all(word in drawn for word in ("one", "two", "parents loop"))


def assert_sub_run_indented(printed: str) -> None:
    """The sub-run's call (model mini) is printed indented under the writer's (model big)."""
    lines = printed.splitlines()
    writer_call = next(line for line in lines if "model=big" in line)
    mini_call = next(line for line in lines if "model=mini" in line)
    assert mini_call.index("llm_call") > writer_call.index("llm_call") + 4


class _Discard(io.StringIO):
    """An output that keeps nothing: what a view holds is then all that memory shows."""

    def write(self, text: str) -> int:
        return len(text)


class TestViewers:
    def test_tree_draws_sub_runs_in_place(self, logs: Capture) -> None:
        """``wf-log tree`` draws each sub-workflow under the interaction that opened it, and
        the parent's total with the sub-runs."""
        run_with_summaries(iterations=1)
        lines = _text(tree.render_tree(logs.documents, depth=3)).splitlines()
        writer = next(i for i, line in enumerate(lines) if "writer" in line)
        summary = next(i for i, line in enumerate(lines) if "summarize" in line)
        assert summary == writer + 1
        indent = len(lines[summary]) - len(lines[summary].lstrip("│ └├─"))
        assert indent > len(lines[writer]) - len(lines[writer].lstrip("│ └├─"))
        assert "$0.0000200" in lines[summary]
        assert "with sub-runs: 107→12 tok, $0.0100" in lines[writer]

    def test_stats_count_sub_runs(self, logs: Capture) -> None:
        """``wf-log stats`` counts the agents and models of sub-workflows too."""
        run_with_summaries()
        data = stats.compute(logs.documents)
        assert data["runs"] == 3
        assert [row["agent"] for row in data["agents"]] == ["condenser", "writer"]
        assert data["total"]["cost"] == 0.02004

    def test_view_indents_sub_run_events(self, logs: Capture) -> None:
        """``wf-log view`` indents a sub-workflow's lines under the interaction that opened
        it."""
        run_with_summaries(iterations=1)
        out = io.StringIO()
        view.view(list(logs.events), out)
        assert_sub_run_indented(out.getvalue())

    def test_view_of_a_file_indents_sub_runs_as_view_of_its_events(
        self, logs: Capture, tmp_path: Path
    ) -> None:
        """``wf-log view FILE`` into a pipe (each line made as its event is read, indented as
        it is printed) prints what ``view`` of the same events prints."""
        run_with_summaries(iterations=3)
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in logs.events))
        out, expected = io.StringIO(), io.StringIO()
        view.view_sources([str(path)], Logs(), out)
        view.view(list(logs.events), expected)
        assert out.getvalue() == expected.getvalue()
        assert_sub_run_indented(out.getvalue())

    def test_view_ends_a_sub_run_at_its_start_s_indent(self, logs: Capture, tmp_path: Path) -> None:
        """The line of a sub-workflow's end is indented as its start's, from events and from
        a file (what the view knows of a run is forgotten only after its end is drawn)."""
        run_with_summaries(iterations=2)
        path = tmp_path / "run.ndjson"
        path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in logs.events))
        from_events, from_file = io.StringIO(), io.StringIO()
        view.view(list(logs.events), from_events)
        view.view_sources([str(path)], Logs(), from_file)
        for printed in (from_events.getvalue(), from_file.getvalue()):
            lines = printed.splitlines()
            starts = [line.index("▶") for line in lines if "▶ workflow summarize" in line]
            ends = [line.index("■") for line in lines if "■ workflow summarize" in line]
            outer = next(line.index("▶") for line in lines if "▶ workflow research" in line)
            assert len(starts) == 2
            assert starts == ends
            assert min(starts) > outer

    def test_view_memory_does_not_grow_with_the_runs(self) -> None:
        """``wf-log view`` forgets each run at its end: its memory for ten times the runs
        (each with an iteration, interactions and a sub-workflow) stays where it was. (From
        events: a file's view also holds its time-order window of 10,000 events.)"""

        def peak(runs: int) -> int:
            with testing.capture() as logs:
                for _ in range(runs):
                    run_with_summaries(iterations=1)
            events = list(logs.events)
            tracemalloc.start()
            try:
                view.view(iter(events), _Discard())
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        few, many = peak(40), peak(400)
        assert many < few * 1.5, (few, many)

    def test_view_of_a_document_file_shows_sub_runs(self, logs: Capture, tmp_path: Path) -> None:
        """``wf-log view`` of a document file (from ``doc_dir`` or ``wf-log reduce``) shows
        the events of the runs nested in it, indented as from the NDJSON."""
        run_with_summaries(iterations=1)
        path = tmp_path / "research.json"
        path.write_bytes(orjson.dumps(logs.documents[0]))
        out = io.StringIO()
        view.view(read([str(path)]).all_events(), out)
        assert_sub_run_indented(out.getvalue())


_CHILD = textwrap.dedent(
    """
    import sys
    import wf_structlog as wfl
    wfl.configure("prod", file=sys.argv[1], stdout=False)
    with wfl.workflow("summarize"), wfl.interaction("condenser"):
        wfl.get_logger().info("llm_call", model="mini", input_tokens=7, cost=2e-05)
    """
)


class TestDocumentFiles:
    def test_a_parents_file_holds_its_sub_runs(self, tmp_path: Path) -> None:
        """With ``doc_dir``, the parent's file, written when it ends, holds the sub-runs that
        ended inside it, nested as reduce() nests them; they get no file of their own, and
        their ``document_path`` is the parent's file."""
        ndjson, docs = tmp_path / "run.ndjson", tmp_path / "docs"
        wfl.configure("prod", file=ndjson, doc_dir=docs, stdout=False)
        try:
            with wfl.workflow("research") as wf, wfl.iteration(), wfl.interaction("writer"):
                with wfl.workflow("summarize") as sub, wfl.interaction("condenser"):
                    with wfl.workflow("shorten") as inner:
                        log.info("llm_call", model="mini", input_tokens=7, cost=2e-05)
                    assert not list(docs.iterdir())  # nothing written before the parent ends
            paths = sub.document_path, inner.document_path
        finally:
            wfl.reset()
        (written,) = docs.iterdir()
        assert paths == (written, written) == (wf.document_path, wf.document_path)
        document = orjson.loads(written.read_bytes())
        assert [document] == reduce(ndjson)
        (summary,) = document["iterations"][0]["interactions"][0]["workflows"]
        (condenser,) = summary["iterations"][0]["interactions"]
        assert condenser["workflows"][0]["name"] == "shorten"
        assert document["usage"]["total"]["cost"] == 2e-05
        jsonschema.validate(document, wfl.document_schema())

    def test_a_sub_run_that_outlives_its_parent_gets_its_own_file(self, tmp_path: Path) -> None:
        """A sub-workflow a thread still runs when its parent ends is not in the parent's
        file (written already) but in one of its own, naming its parent."""
        docs = tmp_path / "docs"
        opened, parent_ended = threading.Event(), threading.Event()

        def late_summary() -> str:
            with wfl.workflow("summarize") as sub, wfl.interaction("condenser"):
                opened.set()
                assert parent_ended.wait(timeout=30)
            return sub.id

        wfl.configure("prod", doc_dir=docs, stdout=False)
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                with wfl.workflow("research") as wf, wfl.interaction("writer"):
                    later = pool.submit(wfl.wrap(late_summary))
                    assert opened.wait(timeout=30)
                parent_ended.set()
                sub_id = later.result(timeout=30)
            parent_path = wf.document_path
        finally:
            wfl.reset()
        assert parent_path is not None
        parent = orjson.loads(parent_path.read_bytes())
        assert parent["iterations"][0]["interactions"][0]["workflows"] == []
        (alone,) = docs.glob("summarize-*.json")
        assert alone.name == f"summarize-{sub_id}.json"
        assert orjson.loads(alone.read_bytes())["parent_workflow_id"] == wf.id

    def test_a_sub_run_whose_parent_never_ends_is_written_at_close(self, tmp_path: Path) -> None:
        """A sub-run that ended inside a run still open when logging is reset is written in
        a file of its own then, flagged ``parent_missing``: no finished run is lost."""
        docs = tmp_path / "docs"
        wfl.configure("prod", doc_dir=docs, stdout=False)
        parent = wfl.workflow("research").start()
        try:
            with wfl.interaction("writer"), wfl.workflow("summarize") as sub:
                log.info("llm_call", model="mini", input_tokens=7)
        finally:
            wfl.reset()
        (written,) = docs.iterdir()
        document = orjson.loads(written.read_bytes())
        assert (document["id"], document["parent_workflow_id"]) == (sub.id, parent.id)
        assert document["parent_missing"] is True

    def test_a_sub_run_in_another_process_gets_its_own_file(self, tmp_path: Path) -> None:
        """A sub-workflow run by a child process attached to an interaction is written by
        that process in a file of its own; wf-log reads the two files as one tree."""
        docs = tmp_path / "docs"
        wfl.configure("prod", doc_dir=docs, stdout=False)
        try:
            with wfl.workflow("research") as wf, wfl.iteration(), wfl.interaction("writer"):
                env = {**os.environ, **wfl.carrier_env()}
                subprocess.run(
                    [sys.executable, "-c", _CHILD_DOC, str(docs)], env=env, check=True, timeout=60
                )
        finally:
            wfl.reset()
        files = sorted(path.name.split("-")[0] for path in docs.iterdir())
        assert files == ["research", "summarize"]
        (parent,) = [orjson.loads(p.read_bytes()) for p in docs.glob("research-*.json")]
        assert parent["iterations"][0]["interactions"][0]["workflows"] == []
        (document,) = read([str(path) for path in sorted(docs.iterdir())]).all_documents()
        assert document["id"] == wf.id
        (summary,) = document["iterations"][0]["interactions"][0]["workflows"]
        assert summary["name"] == "summarize"
        assert "parent_missing" not in summary
        assert document["usage"]["total"]["cost"] == 2e-05


_CHILD_DOC = _CHILD.replace("file=sys.argv[1]", "doc_dir=sys.argv[1]")


class TestAcrossProcesses:
    def test_sub_workflow_in_another_process_is_nested(self, tmp_path: Path) -> None:
        """A workflow opened by a child process attached to an interaction lands in that
        interaction, once both files are reduced together (in either order)."""
        parent_file, child_file = tmp_path / "parent.ndjson", tmp_path / "child.ndjson"
        wfl.configure("prod", file=parent_file, stdout=False)
        try:
            with wfl.workflow("research"), wfl.iteration(), wfl.interaction("writer") as it:
                env = {**os.environ, **wfl.carrier_env()}
                subprocess.run(
                    [sys.executable, "-c", _CHILD, str(child_file)],
                    env=env,
                    check=True,
                    timeout=60,
                )
        finally:
            wfl.reset()
        for order in ((parent_file, child_file), (child_file, parent_file)):
            (document,) = reduce(*order)
            (writer,) = document["iterations"][0]["interactions"]
            assert writer["id"] == it.id
            (summary,) = writer["workflows"]
            assert summary["name"] == "summarize"
            assert document["usage"]["total"]["cost"] == 2e-05
        documents = orjson.loads(orjson.dumps(reduce(parent_file, child_file)))
        jsonschema.validate(documents[0], wfl.document_schema())
