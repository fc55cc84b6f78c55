"""An exception as event data: its type, message and traceback, never raising itself."""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Any


def describe_exception(
    exc: BaseException, tb: TracebackType | None = None, *, with_locals: bool = False
) -> dict[str, Any]:
    """``{type, message, traceback}`` of *exc*; with *with_locals*, also ``locals``: for each
    frame, ``{"frame": "file:line in function", "variables": {name: value}}``.

    An exception whose ``__str__`` raises is still described, by its type. Local variables
    are only values in the event: the redactor and the payload limits treat them like any.
    """
    name = type(exc).__qualname__
    try:
        message = str(exc)
        lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
    except Exception:
        message = f"<{name}: message could not be formatted>"
        lines = [*traceback.format_tb(tb or exc.__traceback__), f"{name}: {message}\n"]
    described: dict[str, Any] = {"type": name, "message": message, "traceback": "".join(lines)}
    if with_locals:
        described["locals"] = [
            {
                "frame": f"{frame.f_code.co_filename}:{line} in {frame.f_code.co_name}",
                "variables": dict(frame.f_locals),
            }
            for frame, line in traceback.walk_tb(tb or exc.__traceback__)
        ]
    return described
