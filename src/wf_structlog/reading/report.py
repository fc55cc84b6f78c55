"""``wf-log report``: one self-contained HTML file to look at a run, with no server.

The page holds a search box over every node (with filters and a list of errors), a waterfall
per run (a lane per agent, sub-workflows below, zoom and pan), the collapsible tree, a pane
with the selected node's prompts and replies as a conversation, and the stats tables. Given
a baseline, a section first says what moved from it (:func:`wf_structlog.reading.diff.compare`).
A file of many runs shows only some in full (:mod:`._pick`), and an index of every run.
Everything is inline: no network, no CDN. The script is the parts in :data:`_SCRIPTS`, joined
in one function scope, in that order. The documents are embedded as JSON in a
``<script type="application/json">`` with ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and
the page builds its DOM with ``textContent`` only (bidi overrides and control characters shown
as ``\\uXXXX`` escapes), so text from the log (prompts are untrusted) can never become markup
or read in another order. A Content-Security-Policy lets only the page's own script run and
forbids any network access.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.resources
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import orjson

from ..render.terminal import BIDI_CONTROLS
from . import diff, stats
from ._pick import MAX_RUNS, Picker

__all__ = ["embed_json", "render"]

_SCRIPTS: Final = (
    "base.js",
    "model.js",
    "conversation.js",
    "tree.js",
    "waterfall.js",
    "search.js",
    "diff.js",
    "runs.js",
    "report.js",
)
_PLACEHOLDER: Final = re.compile(r"\{\{(title|style|script|data|csp)\}\}")
_BIDI_SHOWN: Final = {ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS}
"""Bidi controls in the page's <title>, as visible text: the script's visible() does the rest."""
_JSON_ESCAPES: Final = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def embed_json(value: Any) -> str:
    """*value* as JSON that is safe inside an HTML ``<script>`` element.

    Args:
        value: anything orjson serialises.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode().translate(_JSON_ESCAPES)


def render(
    documents: Iterable[Mapping[str, Any]],
    title: str | None = None,
    baseline: Iterable[Mapping[str, Any]] | None = None,
    max_runs: int = MAX_RUNS,
    runs: Sequence[str] = (),
) -> str:
    """The HTML report of *documents*: the highest-ranked runs in full, an index of all.

    Args:
        documents: top-level workflow documents (see ``document.schema.json``), a stream
            is read once and never held whole (see :mod:`._pick` for the bound).
        title: the page title (default: the names of the runs shown in full).
        baseline: the documents of earlier runs: the report then says what moved from them
            to *documents* (as ``wf-log diff BASELINE DOCUMENTS``).
        max_runs: the most runs shown in full.
        runs: starts of run ids: show exactly those runs in full instead.

    Raises:
        LookupError: one of *runs* is the start of no run's id.
    """
    compared = None
    if baseline is not None:  # the diff reads whole runs
        documents = list(documents)
        compared = diff.compare(list(baseline), documents)
    picker = Picker(max_runs, runs)
    # One pass: each run counted in the stats whole, then offered to the picker.
    counted = stats.compute(_picking(documents, picker))
    missing = [start for start in runs if start not in picker.matched]
    if missing:
        raise LookupError(f"no run's id starts with {', '.join(map(repr, missing))}")
    shown = picker.shown()
    if title is None:
        names = dict.fromkeys(str(document["name"]) for document in shown)
        title = "wf-log report: " + (", ".join(names) or "no runs")
    template, style = _asset("report.html"), _asset("report.css")
    parts_of_script = "\n".join(_asset(name) for name in _SCRIPTS)
    script = f'(function () {{\n"use strict";\n{parts_of_script}\n}})();\n'
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    parts = {
        "title": html.escape(title).translate(_BIDI_SHOWN),
        "style": style,
        "script": script,
        "data": embed_json(
            {
                "title": title,
                "documents": shown,
                "index": picker.index(),
                "stats": counted,
                "diff": compared,
            }
        ),
        "csp": (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "base-uri 'none'; form-action 'none'"
        ),
    }
    return _PLACEHOLDER.sub(lambda match: parts[match[1]], template)


def _picking(documents: Iterable[Mapping[str, Any]], picker: Picker) -> Iterator[Mapping[str, Any]]:
    """*documents*, each offered to *picker* once it has been counted, so that a stream of
    runs is never held whole."""
    for document in documents:
        yield document
        picker.add(dict(document))


def _asset(name: str) -> str:
    return importlib.resources.files(__package__).joinpath(f"_report/{name}").read_text("utf-8")
