"""Lines of a file, each at most :data:`MAX_LINE` bytes, so no input can exhaust memory.

The writer never writes a line anywhere near that long (values are cut long before), so a
longer one means the file is not a log of ours (``/dev/zero``, a binary, a dump): the line is
not read whole, and the rest of that file is not read at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Final

__all__ = ["MAX_LINE", "LineTooLongError", "lines"]

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
