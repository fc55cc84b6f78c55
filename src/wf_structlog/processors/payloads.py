"""Bounded payloads: long strings are cut, with a marker giving the original length and hash.

A cut string keeps its first characters and ends with a marker::

    <first max_value_chars characters>…[truncated: 52428800 chars, sha256:<64 hex digits>]

With side files on, the whole value is also written next to the NDJSON file, and the marker
names it, relative to the NDJSON file's directory::

    …[truncated: 52428800 chars, sha256:<hex>, file:run.payloads/<hex>.txt]

The hash is of the whole value as written to the side file (UTF-8), after redaction: neither it
nor the side file holds a secret the event would not.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Final

from .._files import make_dirs, replace_privately, write_all
from .._runtime import faults as _faults
from ..render.safe import utf8_safe

__all__ = [
    "DEFAULT_MAX_EVENT_CHARS",
    "DEFAULT_MAX_VALUE_CHARS",
    "PayloadLimits",
    "SideFiles",
    "cut",
]

DEFAULT_MAX_VALUE_CHARS: Final = 64 * 1024
"""Longest string value kept whole, in characters."""

DEFAULT_MAX_EVENT_CHARS: Final = 1024 * 1024
"""Characters of long strings one event keeps in all, before later ones are cut harder."""

SHORT_CHARS: Final = 256
"""Strings this short are never cut by the per-event budget, and a cut string keeps at least
this many characters (fewer only when ``max_value_chars`` is lower)."""


class SideFiles:
    """Keep cut values whole in files next to an NDJSON file, one file per distinct value.

    ``run.ndjson`` gets a directory ``run.payloads/`` (mode 0700 for *mode* 0600) holding
    ``<sha256>.txt`` files. A value already written is not written again.

    Args:
        ndjson_path: the NDJSON file the values belong to.
        mode: permission bits of the files created.
    """

    def __init__(self, ndjson_path: str | os.PathLike[str], mode: int = 0o600) -> None:
        path = Path(ndjson_path)
        self.directory = path.parent / f"{path.stem}.payloads"
        self.mode = mode

    def store(self, digest: str, data: bytes) -> str | None:
        """Write *data* as ``<digest>.txt``; its path relative to the NDJSON file's directory,
        or ``None`` if it could not be written (reported once on stderr)."""
        target = self.directory / f"{digest}.txt"
        try:
            if not target.exists():
                make_dirs(self.directory, self.mode)
                replace_privately(target, lambda fd: write_all(fd, data), self.mode)
        except OSError as exc:
            _faults.report("payload_files", f"cannot write payload file {target}: {exc!r}")
            return None
        return f"{self.directory.name}/{target.name}"


class PayloadLimits:
    """How long strings may be, and where cut values go.

    Args:
        max_value_chars: longest string kept whole.
        max_event_chars: characters of long strings (over :data:`SHORT_CHARS`) an event keeps
            in all; once spent, each later long string keeps only :data:`SHORT_CHARS`.
        side_files: where to keep cut values whole, or ``None`` to keep only the marker.
    """

    def __init__(
        self,
        max_value_chars: int = DEFAULT_MAX_VALUE_CHARS,
        max_event_chars: int = DEFAULT_MAX_EVENT_CHARS,
        side_files: SideFiles | None = None,
    ) -> None:
        for name, value in (
            ("max_value_chars", max_value_chars),
            ("max_event_chars", max_event_chars),
        ):
            if value.__class__ is not int or value < 1:
                raise ValueError(f"{name} must be a whole number of characters >= 1, got {value!r}")
        self.max_value_chars = max_value_chars
        self.max_event_chars = max_event_chars
        self.short_chars = min(SHORT_CHARS, max_value_chars)
        self.side_files = side_files

    def bound(self, text: str, budget: list[int]) -> str:
        """*text* cut to what the value limit and the event's remaining *budget* allow.

        Args:
            text: a string longer than ``short_chars``.
            budget: ``[characters left]`` for this event; what *text* keeps is taken from it.
        """
        size = len(text)
        if size <= budget[0] and size <= self.max_value_chars:  # the usual: it fits whole
            budget[0] -= size
            return text
        keep = min(self.max_value_chars, max(budget[0], self.short_chars))
        if size > keep:
            text = cut(text, keep, self.side_files)
            budget[0] -= keep
        else:
            budget[0] -= size
        return text


def cut(text: str, keep: int, side_files: SideFiles | None = None) -> str:
    """The first *keep* characters of *text* and the truncation marker.

    Args:
        text: the whole value (already redacted).
        keep: how many characters to keep.
        side_files: where to write the whole value, if anywhere.
    """
    data = utf8_safe(text).encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    reference = side_files.store(digest, data) if side_files is not None else None
    where = f", file:{reference}" if reference else ""
    return f"{text[:keep]}…[truncated: {len(text)} chars, sha256:{digest}{where}]"
