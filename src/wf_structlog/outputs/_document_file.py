"""Writing a document as indented JSON a piece at a time.

The JSON of a whole document, made in one piece, is as large as the document: for a workflow of
a million events, hundreds of megabytes on top of the document itself. Written scope by scope,
only one scope's bytes exist at a time. The file is the same, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, BinaryIO, Final

import orjson

from ..render.ndjson import to_json

__all__ = ["write_document"]

OPTION: Final = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS

_STREAMED_DEPTH: Final = 4
"""How deep containers are written piece by piece: document, its iterations, each iteration,
its interactions; an interaction (and anything deeper) is one piece."""

_BUFFER: Final = 1 << 20


def write_document(fd: int, document: Mapping[str, Any]) -> None:
    """Write *document* to the file descriptor *fd*: ``to_json(document, OPTION)``, byte for
    byte, without ever holding it all.

    Args:
        fd: an open file descriptor; left open.
        document: a workflow document (any JSON value works).
    """
    with open(fd, "wb", buffering=_BUFFER, closefd=False) as file:
        _write(file, document, 0)


def _write(file: BinaryIO, value: Any, depth: int) -> None:
    # orjson escapes line breaks inside strings: every b"\n" of a piece starts one of its lines,
    # which indenting by the piece's depth puts where the whole document would have them.
    if depth >= _STREAMED_DEPTH or not _streamable(value):
        piece = to_json(value, OPTION)
        file.write(piece.replace(b"\n", b"\n" + b"  " * depth) if depth else piece)
        return
    inner = b"\n" + b"  " * (depth + 1)
    if isinstance(value, dict):
        file.write(b"{")
        for index, (key, item) in enumerate(value.items()):
            file.write(b"," + inner if index else inner)
            file.write(to_json(key, OPTION) + b": ")
            _write(file, item, depth + 1)
        file.write(b"\n" + b"  " * depth + b"}")
    else:
        file.write(b"[")
        for index, item in enumerate(value):
            file.write(b"," + inner if index else inner)
            _write(file, item, depth + 1)
        file.write(b"\n" + b"  " * depth + b"]")


def _streamable(value: Any) -> bool:
    """Whether *value* is a non-empty list, or a non-empty dict with only string keys (other
    keys are left to orjson, which turns them into strings its own way)."""
    if isinstance(value, list):
        return bool(value)
    return isinstance(value, dict) and bool(value) and all(type(key) is str for key in value)
