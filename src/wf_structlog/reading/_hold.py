"""When a streaming reducer may give out a complete run: sub-workflows wait for their parents.

A run is given out (at the top) once it is complete, with the runs opened inside it nested in
place, as :func:`~wf_structlog.reading._nesting.nest` nests them. So that the document is the
one a batch reduce gives:

* a complete sub-workflow is held while its parent run is not given out (open, or not seen
  yet), and goes into the parent's document when the parent is given out;
* a complete run is held while a sub-workflow known to be opened in it (its
  ``workflow.start`` arrived) is still open;
* a complete sub-workflow whose parent was given out already (the parent's events all came
  before the child's start) is given out on its own, at the top, marked
  ``"parent_missing": true`` as when the parent is not in the input.

What is held is the documents of complete runs waiting for a parent, never their events. At
the end of the stream, :meth:`Holder.rest` gives back every document still held.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ._nesting import nest

__all__ = ["Holder"]

Document = dict[str, Any]


class Holder:
    """Documents of complete runs, given out as soon as their sub-workflows allow."""

    __slots__ = ("_given", "_open_children", "_settling", "_waiting", "cycles")

    def __init__(self) -> None:
        self._given: set[str] = set()
        """Ids of the runs given out, so that a late sub-workflow is not held for ever."""
        self._open_children: Counter[str] = Counter()
        self._waiting: dict[str, list[Document]] = {}
        """Complete sub-workflows, finalized, by the id of the parent run they wait for."""
        self._settling: dict[str, Document] = {}
        """Complete runs waiting for a sub-workflow of theirs that is still open."""
        self.cycles = 0

    def opened(self, parent_id: str) -> None:
        """A sub-workflow of *parent_id* started (and is not complete yet)."""
        self._open_children[parent_id] += 1

    def complete(self, document: Document, opened_in: bool) -> list[Document]:
        """Take the document of a run that just completed; the documents to give out now.

        Args:
            document: the run's document, sub-workflows not nested.
            opened_in: the run's start named a parent run (it was counted by :meth:`opened`).
        """
        parent = document.get("parent_workflow_id")
        if opened_in and isinstance(parent, str):
            self._open_children[parent] -= 1
            if self._open_children[parent] <= 0:
                del self._open_children[parent]
        if self._open_children.get(document["id"]):
            self._settling[document["id"]] = document
            return []
        return self._settle(document)

    def _settle(self, document: Document) -> list[Document]:
        """Nest what waits for *document* in it; hold it for its parent, or give it out."""
        top, cycles = nest([document, *self._waiting.pop(document["id"], [])])
        parent = document.get("parent_workflow_id")
        if cycles or not isinstance(parent, str) or parent in self._given:
            self.cycles += cycles
            self._given.update(doc["id"] for doc in top)
            return top
        document.pop("parent_missing", None)  # not missing: not seen yet, or still open
        self._waiting.setdefault(parent, []).append(document)
        settling = self._settling.get(parent)
        if settling is not None and not self._open_children.get(parent):
            del self._settling[parent]
            return self._settle(settling)
        return []

    @property
    def held(self) -> int:
        """How many documents are held."""
        return len(self._settling) + sum(map(len, self._waiting.values()))

    def given(self, run_id: str) -> bool:
        """Whether the run *run_id* was given out already."""
        return run_id in self._given

    def rest(self) -> list[Document]:
        """Every document still held (sub-workflows not nested yet), emptying the holder."""
        held = [*self._settling.values(), *(doc for docs in self._waiting.values() for doc in docs)]
        self._settling.clear()
        self._waiting.clear()
        return held
