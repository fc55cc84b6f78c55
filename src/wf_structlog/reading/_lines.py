"""Lines of a file, each at most :data:`MAX_LINE` bytes, so no input can exhaust memory.

The writer never writes a line anywhere near that long (values are cut long before), so a
longer one means the file is not a log of ours (``/dev/zero``, a binary, a dump): the line is
not read whole, and the rest of that file is not read at all.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any, Final

import orjson

__all__ = ["BATCH", "MAX_LINE", "LineTooLongError", "batches", "lines", "parse_line"]

MAX_LINE: Final = 64 * 1024 * 1024
"""The longest line read, in bytes (64 MiB)."""


class LineTooLongError(ValueError):
    """A line longer than :data:`MAX_LINE`: the file was read no further.

    Args:
        number: the line's number, from 1.
    """

    def __init__(self, number: int) -> None:
        super().__init__(f"line {number} is longer than {MAX_LINE // (1024 * 1024)} MiB")
        self.number = number


def lines(file: IO[bytes], first: bytes = b"", limit: int = MAX_LINE) -> Iterator[bytes]:
    """Every line of *file*, with its newline.

    Args:
        file: opened in binary mode.
        first: the first line, if the caller read it already (with ``readline(limit + 1)``).
        limit: the longest line allowed, in bytes, not counting its newline.

    Raises:
        LineTooLongError: a line (or the unfinished end of the file) is longer than *limit*.
    """
    readline = file.readline
    number = 0
    line = first or readline(limit + 1)
    while line:
        number += 1
        if len(line) > limit and line[-1:] != b"\n":
            raise LineTooLongError(number)
        yield line
        line = readline(limit + 1)


BATCH: Final = 1 << 20
"""Bytes read at a time by :func:`batches`."""


def batches(
    file: IO[bytes],
    first: bytes = b"",
    limit: int = MAX_LINE,
    size: int = BATCH,
    keepends: bool = False,
) -> Iterator[list[bytes]]:
    """Every line of *file*, without its newline, in lists of those that one read of *size*
    bytes completed: the readers' hot loop pays for one read and one ``split`` (both in C)
    per batch instead of a ``readline`` call per line.

    Args:
        file: opened in binary mode (``read1`` is used where the file has it, so a pipe
            gives its lines as they come rather than once *size* bytes arrived).
        first: the first line, if the caller read it already (with ``readline(limit + 1)``).
        limit: the longest line allowed, in bytes, not counting its newline.
        size: how many bytes to read at a time.
        keepends: each line but the unfinished last keeps its newline, for a reader that
            can take it: the batch is cut by ``BytesIO.readlines`` (``memchr``), a third of
            the time of ``bytes.split``, which looks at every byte.

    Raises:
        LineTooLongError: a line (or the unfinished end of the file) is longer than *limit*,
            raised once the lines before it were given.
    """
    read = getattr(file, "read1", None) or file.read
    pending = [first] if first else []  # the unfinished line, in pieces: joined once
    pending_size = len(first)
    number = 0
    while chunk := read(size):
        if b"\n" not in chunk:
            pending.append(chunk)
            pending_size += len(chunk)
            if pending_size > limit:
                raise LineTooLongError(number + 1)
            continue
        if pending:
            pending.append(chunk)
            chunk = b"".join(pending)
        batch = io.BytesIO(chunk).readlines() if keepends else chunk.split(b"\n")
        rest = batch.pop() if not keepends or batch[-1][-1:] != b"\n" else b""
        pending, pending_size = ([rest], len(rest)) if rest else ([], 0)
        if len(chunk) > limit:
            longest = limit + keepends
            long = next((i for i, line in enumerate(batch) if len(line) > longest), None)
            if long is not None:
                yield batch[:long]
                raise LineTooLongError(number + long + 1)
        number += len(batch)
        yield batch
        if pending_size > limit:
            raise LineTooLongError(number + 1)
    if pending:
        yield [b"".join(pending)]


def parse_line(line: bytes | str) -> dict[str, Any] | None:
    """The JSON object on one NDJSON line, or ``None`` for a blank line.

    Args:
        line: one line, with or without its newline.

    Raises:
        ValueError: the line is not a JSON object (a truncated line, text from another
            program, a JSON array).
    """
    if not isinstance(line, bytes | str):
        raise ValueError(f"not a line: {type(line).__name__}")
    if not line.strip():
        return None
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(event, dict):
        raise ValueError(f"a JSON {type(event).__name__}, not an object")
    return event
