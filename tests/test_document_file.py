"""Documents written a piece at a time are the same, byte for byte, as written whole."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from wf_structlog.outputs._document_file import OPTION, write_document
from wf_structlog.render.ndjson import to_json

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(0, 9), children, max_size=4)
    ),
    max_leaves=40,
)


def written(tmp_path: Path, value: Any) -> bytes:
    path = tmp_path / "document.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        write_document(fd, value)
    finally:
        os.close(fd)
    return path.read_bytes()


class TestWriteDocument:
    @given(value=json_values)
    def test_same_bytes_as_whole(self, tmp_path_factory: Any, value: Any) -> None:
        """Any JSON value, nested at any depth, with any keys and line breaks in its strings,
        is written exactly as to_json writes it whole."""
        assert written(tmp_path_factory.mktemp("doc"), value) == to_json(value, OPTION)

    def test_a_workflow_document(self, tmp_path: Path) -> None:
        """A document of iterations, interactions and actions is written as a whole one."""
        action = {"event": "llm_call", "prompt": "line one\nline two", "tokens": 3}
        interaction = {"id": "a", "actions": [action, action], "metadata": {}, "errors": []}
        document = {"id": "w", "iterations": [{"id": "i", "interactions": [interaction] * 3}]}
        assert written(tmp_path, document) == to_json(document, OPTION)
