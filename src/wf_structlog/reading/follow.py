"""Tail NDJSON files that a running program is still writing, as ``tail -F`` does.

:func:`follow` yields complete lines only: a line written in two parts is yielded once both
parts are in. It survives rotation (the file renamed and a new one created, or truncated in
place, even when the new content has grown past the old size by the next look) and waits for
a file that does not exist yet. After a truncation it starts over from the new content's
beginning.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Final

__all__ = ["follow"]


_HEAD: Final = 4096
"""Bytes of a file's start remembered, to see it rewritten when its size does not tell."""


class _Tail:
    """One followed path: the open file, where reading got to, an unfinished line, and the
    first bytes read (the file's head, to tell a rewritten file from a grown one)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.file: IO[bytes] | None = None
        self.partial = b""
        self.head = b""

    def read(self) -> list[bytes]:
        """The complete lines written since the last call."""
        if self.file is not None and self._truncated():
            self._restart()  # before reading: the old offset means nothing in the new content
        lines = self._read_open()
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return lines  # rotated away and not yet recreated: keep the old file
        if self.file is None:
            self._open()
        elif os.fstat(self.file.fileno()).st_ino != stat.st_ino:
            lines += self._read_open()  # whatever was written before the rename
            if self.partial:  # the writer never finished it: pass it on, to be skipped
                lines.append(self.partial)
                self.partial = b""
            self.file.close()
            self._open()
        else:
            return lines
        return lines + self._read_open()

    def _truncated(self) -> bool:
        """Whether the open file was truncated in place (copytruncate) since the last read:
        it is shorter than what was read, or it starts with other bytes (refilled to the same
        size or beyond within one poll)."""
        assert self.file is not None
        fd = self.file.fileno()
        if os.fstat(fd).st_size < self.file.tell():
            return True
        return bool(self.head) and os.pread(fd, len(self.head), 0) != self.head

    def _restart(self) -> None:
        assert self.file is not None
        self.file.seek(0)
        self.partial = self.head = b""

    def _open(self) -> None:
        self.head = b""
        try:
            self.file = open(self.path, "rb")  # noqa: SIM115 (kept open across calls)
        except FileNotFoundError:
            self.file = None

    def _read_open(self) -> list[bytes]:
        if self.file is None:
            return []
        data = self.file.read()
        if not data:
            return []
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        *lines, self.partial = (self.partial + data).split(b"\n")
        return [line + b"\n" for line in lines]

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def follow(
    paths: Sequence[str | os.PathLike[str]],
    *,
    stop: threading.Event | None = None,
    idle_timeout: float | None = None,
    poll: float = 0.1,
) -> Iterator[bytes]:
    """Yield every line of *paths*, from their start, then the lines appended to them.

    Args:
        paths: the files; one that does not exist yet is waited for.
        stop: when set, the lines already written are yielded and iteration ends.
        idle_timeout: end after this many seconds with nothing new (default: never).
        poll: seconds between looks at files that had nothing new.
    """
    tails = [_Tail(path) for path in paths]
    stop = stop or threading.Event()
    idle_since = time.monotonic()
    try:
        while True:
            stopping = stop.is_set()  # read before the last pass, so that pass sees all
            got = False
            for tail in tails:
                for line in tail.read():
                    got = True
                    yield line
            if stopping:
                return
            if got:
                idle_since = time.monotonic()
            elif idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                return
            else:
                stop.wait(poll)
    finally:
        for tail in tails:
            tail.close()
