"""The reducer: rebuild nested workflow documents from events, in any order, from any files.

Feed events one at a time (:class:`Reducer`), all at once (:func:`reduce`), or as a stream
(:func:`reduce_iter`, which gives each run out as soon as it is complete and forgets it, so
memory holds the open runs only, never the file). Events are placed
by their ids, not by their order or timestamps, so shuffled lines, or lines split over several
files, give the same documents. A scope whose end event is missing is ``"incomplete"``; a scope
whose end event counts a different number of children than arrived (some are missing, or
some were logged after it ended) has ``"complete": false``. Scopes known only
from their children's events are rebuilt as placeholders.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from .. import schema
from ._collector import paused, paused_while_made
from ._document import Node, Run, build
from ._hold import Holder
from ._kept import Keeper
from ._kept import Shape as KeptShape
from ._known import Known, known
from ._lines import LineTooLongError, batches, parse_line
from ._nesting import break_cycles, nest
from ._shape import MAX_DEPTH, Checker, Skips, might_nest

__all__ = ["ReduceWarning", "Reducer", "parse_line", "reduce", "reduce_iter"]

Event = Mapping[str, Any]
Source = str | os.PathLike[str] | Event | Iterable[Event] | Iterable[str] | Iterable[bytes]


class ReduceWarning(UserWarning):
    """Some input lines were not events and were skipped, or parents formed a loop."""


_SCOPE_EVENT_NAMES = frozenset(schema.SCOPE_EVENTS)


class Reducer:
    """Collect events and build one document per workflow run.

    Events outside any workflow are counted in :attr:`unscoped` and otherwise ignored. An
    event seen twice (same ``pid`` and ``seq`` in the same run) counts once. An event whose
    contract keys have the wrong type (``"seq": [1]``, ``"agent": {}``), or that nests deeper
    than :data:`~wf_structlog.reading._shape.MAX_DEPTH`, is skipped and counted, like a line
    that is not JSON.

    :meth:`completed` gives out the runs complete so far and forgets them (the streaming
    reducer): a run is complete when its ``workflow.end`` arrived and every scope in it has
    its start and its end, each end's ``children`` met (see
    :class:`~wf_structlog.reading._document.Run`); the rules for sub-workflows are in
    :mod:`~wf_structlog.reading._hold`. An event of a run already given out is counted in
    :attr:`late` and dropped: it was logged after its run ended, or by another process
    attached to it (``attached`` events are not in the counts) and read after the run's
    other events. :func:`reduce` never gives a run out early, so it drops none.

    Args:
        trusted: the events come straight from this process's writer, so they are not checked
            (the ``doc_dir`` sink, on the hot path).
    """

    def __init__(self, trusted: bool = False) -> None:
        self._runs: dict[str, Run] = {}
        self._ready: dict[str, None] = {}
        """Runs found complete since :meth:`completed` last ran, in order."""
        self._finished: dict[str, dict[Any, tuple[int, int]]] = {}
        """Runs given out, with the lowest and highest seq of each process: an event in that
        range repeats one already given out (a file read twice), any other is late."""
        self._holder = Holder()
        self._keeper = Keeper()
        self._checker = None if trusted else Checker()
        self._shapes: dict[tuple[str, ...], Known] = {}
        self.skips = Skips()
        """What was skipped: lines that were not JSON objects, and events of the wrong shape."""
        self.unscoped = 0
        """Events that belonged to no workflow."""
        self.cycles = 0
        """Interactions and runs whose parents name each other in a loop (drawn at the top)."""
        self.late = 0
        """Events of runs :meth:`completed` had given out already, dropped."""

    @property
    def held(self) -> int:
        """How many runs the reducer holds: open ones, and complete ones not given out."""
        return len(self._runs) + self._holder.held

    @property
    def seen(self) -> bool:
        """Whether any event was added (of a run, or outside any)."""
        return bool(self._runs or self._finished or self.unscoped)

    @property
    def skipped(self) -> int:
        """How many lines or events were skipped (see :attr:`skips`)."""
        return self.skips.count

    def add(self, event: Event, checked: bool = False) -> None:
        """Add one event dict.

        Args:
            event: the event.
            checked: it was already found well formed (by a reader that checked it).
        """
        keys = tuple(event)
        if not checked and self._checker is not None:
            problem = self._checker.problem(event, keys=keys)
            if problem is not None:
                self.skips.add(problem)
                return
        self._place(event, keys)

    def _shape(self, keys: tuple[str, ...]) -> Known:
        """What :meth:`read` knows of the events with *keys* (remembered)."""
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()
        found = self._shapes[keys] = known(keys, self._checker, self._keeper)
        return found

    def _place(self, event: Event, keys: tuple[str, ...], shape: KeptShape | None = None) -> None:
        # Runs once per event: the common case (an event in an interaction already seen,
        # before its end) calls the keeper only.
        run_id = event.get("workflow_id")
        if not isinstance(run_id, str):
            self.unscoped += 1
            return
        run = self._runs.get(run_id)
        if run is None:
            if run_id in self._finished:
                self.late += not _repeated(self._finished[run_id], event)
                return
            run = self._runs[run_id] = Run(run_id)
        seq = event.get("seq")
        if seq is not None:
            seen = run.seen[event.get("pid")]
            if seq in seen:
                return
            seen.add(seq)
        name = event.get("event")
        if name in _SCOPE_EVENT_NAMES:
            kind, phase = schema.SCOPE_EVENTS[name]
            node = run.scope(kind, event)
            if node is not None:
                self._bound(run, node, phase, event)
                return
        node_id = event.get("interaction_id")
        if node_id is not None:
            node = run.interactions.get(node_id) or run.node(
                run.interactions, "interaction", node_id
            )
        else:
            node_id = event.get("iteration_id")
            node = (
                run.node(run.iterations, "iteration", node_id)
                if node_id is not None
                else run.workflow
            )
        item = self._keeper.keep(event, node, keys, shape)
        node.items.append(item)
        node.observed += not item[1]
        if node.end is not None:  # only out of order: an item after its scope's end
            run.update(node)
            if run.complete:
                self._ready[run_id] = None

    def _bound(self, run: Run, node: Node, phase: str, event: Event) -> None:
        """Place a scope's start or end event (the first of each: a repeat changes nothing)."""
        if phase == "start":
            if node.start is not None:
                return
            node.start = event
            run.started(node, event)
            parent = event.get("parent_workflow_id")
            if node is run.workflow and isinstance(parent, str):
                self._holder.opened(parent)
        else:
            if node.end is not None:
                return
            node.end = event
            run.update(node)
        if run.complete:
            self._ready[node.id if node is run.workflow else run.workflow.id] = None

    def add_line(
        self, line: bytes | str, source: str | None = None, number: int | None = None
    ) -> None:
        """Add one NDJSON line; blank lines are ignored, others that are not events skipped.

        Args:
            line: the line.
            source: the file it came from, to name in :attr:`skips`.
            number: its line number there.
        """
        try:
            event = parse_line(line)
        except ValueError as exc:
            self.skips.add(str(exc), source, number)
            return
        if event is None:
            return
        keys = tuple(event)
        if self._checker is not None:
            problem = self._checker.problem(event, might_nest(line), keys)
            if problem is not None:
                self.skips.add(problem, source, number)
                return
        self._place(event, keys)

    def add_file(self, path: str | os.PathLike[str]) -> None:
        """Add every line of an NDJSON file (see :data:`~wf_structlog.reading._lines.MAX_LINE`).

        Raises:
            OSError: the file cannot be read.
        """
        with Path(path).open("rb") as file:
            for _ in self.read(file, os.fspath(path)):
                pass

    def read(
        self, file: IO[bytes], name: str, stream: bool = False, first: bytes = b""
    ) -> Iterator[dict[str, Any]]:
        """Add every NDJSON line of *file*; with *stream*, give out each run as it completes
        (see :meth:`completed`), else nothing.

        Args:
            file: opened in binary mode.
            name: what to call it in :attr:`skips`.
            stream: give out complete runs as they come.
            first: its first line, if the caller read it already.
        """
        # The hot loop: a batch of lines per read, then per line one parse, one look-up of
        # its keys (the checker's and the keeper's shapes at once), its value types checked
        # inline (one dict look-up when they were found good before) and the placing, nothing
        # else. Only new types, or a container and enough brackets to maybe nest too deep,
        # call the checker. A line that fails is handed to add_line, which finds again what
        # is wrong, to say it.
        loads, place, ready, shapes = orjson.loads, self._place, self._ready, self._shapes
        checker, runs, keep = self._checker, self._runs, self._keeper.keep
        done = 0  # lines of the batches before
        try:
            for batch in batches(file, first, keepends=True):
                for number, line in enumerate(batch, done + 1):  # runs once per event
                    try:
                        event = loads(line)
                    except orjson.JSONDecodeError:
                        self.add_line(line.rstrip(b"\n"), name, number)
                        continue
                    if type(event) is not dict:  # orjson makes exact dicts
                        self.add_line(line.rstrip(b"\n"), name, number)
                        continue
                    keys = tuple(event)
                    checked, kept, placing = shapes.get(keys) or self._shape(keys)
                    if checked is not None and checker is not None:
                        # Known types say if a value is a container; only then are brackets
                        # counted (cheaper than a walk, but a microsecond on a long line).
                        nests = checked.good.get(tuple(map(type, event.values())))
                        if (
                            nests is None
                            or (nests and line.count(b"[") + line.count(b"{") > MAX_DEPTH)
                        ) and checker.problem(event, might_nest(line), keys, checked) is not None:
                            self.add_line(line.rstrip(b"\n"), name, number)
                            continue
                    if placing is not None:
                        # _place inlined for the common event (in an interaction seen before,
                        # not yet ended, not a scope's own), its five keys got at once.
                        run_id, pid, seq, event_name, node_id = placing(event)
                        run = runs.get(run_id)
                        if run is not None and event_name not in _SCOPE_EVENT_NAMES:
                            node = run.interactions.get(node_id)
                            if node is not None and node.end is None:
                                seen = run.seen[pid]
                                if seq not in seen:  # else a repeat, counted once
                                    seen.add(seq)
                                    item = keep(event, node, keys, kept)
                                    node.items.append(item)
                                    node.observed += not item[1]
                                continue
                    place(event, keys, kept)
                    if stream and ready:
                        yield from self.completed()
                done += len(batch)
        except LineTooLongError as exc:
            self.skips.add(f"{exc}; the rest was not read", name, exc.number)

    def completed(self) -> Iterator[dict[str, Any]]:
        """The documents of the runs complete since the last call, each forgotten as it is
        given out: a sub-workflow nested in its parent, which comes out when both are
        complete (see :mod:`~wf_structlog.reading._hold`). :meth:`pop_documents` gives the
        rest at the end.
        """
        ready = self._ready
        while ready:
            run_id = next(iter(ready))
            del ready[run_id]
            run = self._runs.get(run_id)
            if run is None or not run.complete:  # an event came after it, breaking a count
                continue
            del self._runs[run_id]
            self._finished[run_id] = _seq_ranges(run)
            opened_in = isinstance(run.workflow.field("parent_workflow_id"), str)
            document = build(run, consume=True)
            self.cycles += break_cycles(document)
            yield from self._holder.complete(document, opened_in)
        self.cycles += self._holder.cycles
        self._holder.cycles = 0

    def document(self, run_id: str) -> dict[str, Any]:
        """The document of one run, as far as its events have arrived (sub-runs not nested)."""
        return build(self._runs[run_id])

    def pop(self, run_id: str) -> dict[str, Any]:
        """The document of one run, forgetting the run's events (sub-runs not nested)."""
        return build(self._runs.pop(run_id), consume=True)

    def documents(self) -> list[dict[str, Any]]:
        """All documents, ordered by start time, each sub-workflow nested in its parent."""
        return self.nest([build(run) for run in self._runs.values()])

    def pop_documents(self) -> list[dict[str, Any]]:
        """:meth:`documents`, forgetting every run's events as it goes (so the events and the
        documents are never all held at once), with the complete runs :meth:`completed`
        still held for a sub-workflow or a parent."""
        popped = [self.pop(run_id) for run_id in list(self._runs)]
        self._ready.clear()
        return self.nest([*popped, *self._holder.rest()])

    def nest(self, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The top-level ones of *documents* (from :meth:`pop`), ordered by start time, each
        sub-workflow moved into the scope of its parent that opened it; loops of parents are
        counted in :attr:`cycles` and cut.

        Args:
            documents: documents of single runs, none nested yet.
        """
        top, cycles = nest(documents)
        self.cycles += cycles + sum(map(break_cycles, documents))
        return top


_MAX_SHAPES = 4096
"""Sets of keys :meth:`Reducer.read` remembers at most."""


def _seq_ranges(run: Run) -> dict[Any, tuple[int, int]]:
    return {pid: (min(seqs), max(seqs)) for pid, seqs in run.seen.items() if seqs}


def _repeated(ranges: dict[Any, tuple[int, int]], event: Event) -> bool:
    """Whether *event* is one of those given out already (its seq in its process's range)."""
    known, seq = ranges.get(event.get("pid")), event.get("seq")
    return known is not None and isinstance(seq, int) and known[0] <= seq <= known[1]


def reduce(*sources: Source) -> list[dict[str, Any]]:
    """Rebuild the nested document of every workflow run found in *sources*.

    Args:
        *sources: NDJSON file paths, event dicts, or iterables of event dicts or NDJSON lines
            (an open file, a list of strings), in any mix.

    Returns:
        One document per run (see ``document.schema.json``), ordered by start time.
    """
    reducer = Reducer()
    with paused():
        for _ in _feed(reducer, sources, stream=False):
            pass
        documents = reducer.pop_documents()
    _warn(reducer)
    return documents


def reduce_iter(*sources: Source) -> Iterator[dict[str, Any]]:
    """:func:`reduce` as a stream: each run's document as soon as the run is complete.

    Each run is forgotten once given out, so memory holds the runs still open (and complete
    sub-workflows waiting for their parent), never the whole input. Runs come out in the
    order they complete; those never complete at the end, ordered by start time. For input
    in which each sub-workflow's ``workflow.start`` comes before its parent's last event
    (what one process writes, in any file order), the documents are those :func:`reduce`
    gives. An event of a run given out already is dropped and counted in the warning
    (see :class:`Reducer`).

    Args:
        *sources: as for :func:`reduce`.
    """
    reducer = Reducer()
    yield from paused_while_made(_feed(reducer, sources, stream=True))
    with paused():
        rest = reducer.pop_documents()
    yield from rest
    _warn(reducer)


def _warn(reducer: Reducer) -> None:
    if reducer.skipped:
        warnings.warn(
            f"skipped {reducer.skipped} line(s) that were not events of the right shape "
            f"(first: {reducer.skips.first[0]})",
            ReduceWarning,
            stacklevel=3,
        )
    if reducer.cycles:
        warnings.warn(
            f"{reducer.cycles} scope(s) name parents that lead back to themselves; "
            "they are placed at the top of their run",
            ReduceWarning,
            stacklevel=3,
        )
    if reducer.late:
        warnings.warn(
            f"dropped {reducer.late} event(s) that came after their run was complete and "
            "given out (logged after it ended, or by another process read later): reduce() "
            "keeps them",
            ReduceWarning,
            stacklevel=3,
        )


def _feed(reducer: Reducer, sources: Iterable[Source], stream: bool) -> Iterator[dict[str, Any]]:
    """Add *sources*; with *stream*, give out each run as it completes."""
    for source in sources:
        if isinstance(source, str | os.PathLike):
            with Path(source).open("rb") as file:
                yield from reducer.read(file, os.fspath(source), stream)
            continue
        if isinstance(source, Mapping):
            reducer.add(source)
        elif isinstance(source, bytes | bytearray) or not isinstance(source, Iterable):
            raise TypeError(
                f"reduce() takes NDJSON paths, event dicts, or iterables of event dicts or "
                f"lines (such as an open file); got {type(source).__name__}"
            )
        else:
            for item in source:
                if isinstance(item, Mapping):
                    reducer.add(item)
                else:
                    reducer.add_line(item)
                if stream:
                    yield from reducer.completed()
        if stream:
            yield from reducer.completed()
