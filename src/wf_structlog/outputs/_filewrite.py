"""Whole writes to a descriptor: each line in one ``write`` call, however the kernel answers.

``os.write`` releases the GIL for the duration of the call, which is right for a pipe or a
terminal that may block. For a regular file the call takes about a microsecond, and releasing
the GIL around it costs more than the write itself once several threads log: each write hands
the GIL to another thread and the threads take turns at the speed of the scheduler (four
threads reach about half the events per second of one). :func:`write_holding_gil` calls the C
library's ``write`` through :class:`ctypes.PyDLL`, which keeps the GIL, so threads take turns
only when the interpreter switches them, as for any other Python code.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable
from typing import Any

from .._files import write_all

__all__ = ["CAN_HOLD_GIL", "write_all", "write_holding_gil"]


def _libc_write() -> Callable[..., int] | None:
    try:
        write: Any = ctypes.PyDLL(None, use_errno=True).write
    except (OSError, AttributeError, TypeError):  # no C library to load symbols from
        return None
    write.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)
    write.restype = ctypes.c_ssize_t
    return write  # type: ignore[no-any-return]


_write = _libc_write()


def write_holding_gil(fd: int, data: bytes) -> None:
    """Write *data* to *fd* without releasing the GIL (only for files, which do not block).

    Raises:
        OSError: as ``os.write`` would (a full disk, a closed descriptor).
    """
    assert _write is not None, "check CAN_HOLD_GIL first"
    written = _write(fd, data, len(data))
    if written != len(data):
        if written < 0:
            code = ctypes.get_errno()
            if code != errno.EINTR:
                raise OSError(code, os.strerror(code))
            written = 0
        write_all(fd, memoryview(data)[written:])


CAN_HOLD_GIL = _write is not None
"""Whether :func:`write_holding_gil` can be used on this platform."""
