"""Creating files and directories that only their owner can read, whatever the umask.

Logs hold every prompt and response, so each file we create gets exactly the mode asked for
(``file_mode``, ``0o600`` by default) and each directory the same bits plus search (``0o700``).
``os.open`` and ``mkdir`` alone would let the umask take bits away or, with ``parents=True``,
create parent directories readable by all. A file or directory that already exists keeps its
mode.

This module imports nothing of the package, so every layer can use it: the outputs and the
old ``WorkflowLogger`` for what they write, the reading side for ``wf-log ... -o``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final

__all__ = ["PRIVATE", "dir_mode", "make_dirs", "open_private", "replace_privately", "write_all"]

PRIVATE: Final = 0o600
"""The mode of the files we create unless told otherwise."""

_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_ATTEMPTS: Final = 3


def dir_mode(file_mode: int) -> int:
    """The mode of a directory holding files of *file_mode*: search where read is allowed.

    Args:
        file_mode: permission bits of the files (``0o600`` gives ``0o700``, ``0o640`` ``0o750``).
    """
    return file_mode | (file_mode & 0o444) >> 2


def make_dirs(path: str | os.PathLike[str], file_mode: int = PRIVATE) -> None:
    """Create *path* and its missing parents, each with :func:`dir_mode` of *file_mode*.

    Args:
        path: the directory.
        file_mode: permission bits of the files it will hold.
    """
    missing: list[Path] = []
    directory = Path(path)
    while not directory.is_dir() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    mode = dir_mode(file_mode)
    for directory in reversed(missing):
        try:
            directory.mkdir(mode)
        except FileExistsError:  # made by another process meanwhile: not ours to change
            continue
        os.chmod(directory, mode)  # the umask may have taken bits away


def open_private(path: str | os.PathLike[str], flags: int, mode: int = PRIVATE) -> int:
    """``os.open`` that creates a missing *path* with exactly *mode*; a file that exists is
    opened as it is and keeps its mode.

    Args:
        path: the file.
        flags: ``os.O_*`` flags besides ``O_CREAT`` (such as ``os.O_WRONLY | os.O_APPEND``).
        mode: permission bits if the file is created.
    """
    for _ in range(_ATTEMPTS):  # another process may remove or create it between the calls
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL | _CLOEXEC, mode)
        except FileExistsError:
            try:
                return os.open(path, flags | _CLOEXEC)
            except FileNotFoundError:  # removed meanwhile, or a dangling symbolic link
                continue
        os.fchmod(fd, mode)
        return fd
    return os.open(path, flags | os.O_CREAT | _CLOEXEC, mode)  # a dangling link: follow it


def replace_privately(path: Path, write: Callable[[int], None], mode: int = PRIVATE) -> None:
    """Write *path* whole or not at all: into a ``.partial`` file beside it, then renamed.

    The new file has *mode*, or the mode of the file it replaces: as with a file written in
    place, a file that exists keeps its mode.

    Args:
        path: the file.
        write: writes the content to the descriptor it is given (and leaves it open).
        mode: permission bits if *path* does not exist yet.
    """
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(path).st_mode)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # the umask, or a partial file left by a crash, may differ
            write(fd)
        finally:
            os.close(fd)  # which may fail too (a full disk on NFS, a quota)
        os.replace(partial, path)  # so may this (a full directory, a directory in the way)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write *data* to *fd* with ``os.write``: one call unless the kernel takes less."""
    written = os.write(fd, data)
    if written < len(data):  # rare: a signal or a nearly full disk; finish the line
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]
