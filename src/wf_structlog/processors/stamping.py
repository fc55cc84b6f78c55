"""The built-in processors, each a plain ``(logger, method_name, event_dict)`` callable.

The order the presets use (see :func:`wf_structlog.config.build_chain`)::

    merge_contextvars -> stamp_event -> format_exceptions -> safe_values -> your processors
    -> Redactor

or, when you add no processors, the same result with less work::

    merge_contextvars -> format_exceptions -> RedactThenStamp

:func:`stamp_event` does in one call what :func:`stamp_hierarchy`, :func:`add_timestamp`,
:func:`add_log_level` and :func:`add_sequence` do one after the other.

``safe_values`` runs only with your processors; otherwise the redactor's walk makes values safe.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from structlog.contextvars import merge_contextvars

from .._runtime.exceptions import describe_exception
from .._runtime.state import CURRENT, STATE
from ..render.ndjson import kept_copy
from ..render.safe import safe_values
from ..schema import LEVEL_OF_METHOD
from ..typing import EventDict, Finished
from .redaction import Redactor

if TYPE_CHECKING:
    from .._runtime.scope import Scope

__all__ = [
    "RedactThenStamp",
    "add_log_level",
    "add_sequence",
    "add_timestamp",
    "format_exceptions",
    "format_exceptions_with_locals",
    "merge_contextvars",
    "safe_values",
    "stamp_event",
    "stamp_hierarchy",
    "utc_now",
]


def stamp_hierarchy(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the ids of the enclosing workflow, iteration and interaction (see ``schema``).

    Inside a scope its keys win over the same keys bound on a logger: a logger bound with
    ``agent="planner"`` used inside the researcher's interaction logs ``agent="researcher"``,
    because that is where the event happened. Outside any scope the event is left unstamped.
    An event logged in a scope that another process opened (continued with
    :func:`wf_structlog.attach`, or inherited by ``fork``) is marked ``attached``.
    """
    scope = CURRENT.get() or STATE.root
    if scope is not None:
        event_dict.update(scope.stamp)
        if scope.pid != STATE.pid:
            event_dict["attached"] = True
    return event_dict


_DIGITS: Final = tuple(f"{n:03d}" for n in range(1000))
_second: tuple[int, str] = (-1, "")
"""The last second formatted, as text up to its dot (``2026-11-25T06:41:52.``)."""
_millisecond: tuple[int, str] = (-1, "")
"""The last millisecond formatted, as text up to the millisecond (``...T06:41:52.123``)."""


def _format_millisecond(millisecond: int) -> str:
    global _second, _millisecond
    second, milli = divmod(millisecond, 1000)
    cached, text = _second
    if second != cached:
        text = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        _second = (second, text)  # one tuple: threads see a whole pair or the old one
    prefix = text + _DIGITS[milli]
    _millisecond = (millisecond, prefix)
    return prefix


def utc_now() -> str:
    """The current UTC time as ISO-8601 with microseconds and a ``Z``.

    Formatting is done once per millisecond; each call appends its microseconds.
    """
    # Rounding the float to whole microseconds is exact at this magnitude (< 2**53).
    millisecond, micro = divmod(round(time.time() * 1_000_000), 1000)
    cached, prefix = _millisecond
    if millisecond != cached:
        prefix = _format_millisecond(millisecond)
    return prefix + _DIGITS[micro] + "Z"


def add_timestamp(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``timestamp``: the current UTC time as ISO-8601 with microseconds and a ``Z``."""
    event_dict["timestamp"] = utc_now()
    return event_dict


def add_log_level(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``level`` from the name of the method called (``warn`` -> ``warning`` and so on)."""
    event_dict["level"] = LEVEL_OF_METHOD.get(method_name, method_name)
    return event_dict


def add_sequence(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``seq`` (1, 2, ... in this process) and ``pid``: together they name an event uniquely."""
    event_dict["seq"] = STATE.next_seq()
    event_dict["pid"] = STATE.pid
    return event_dict


def stamp_event(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """:func:`stamp_hierarchy`, :func:`add_timestamp`, :func:`add_log_level` and
    :func:`add_sequence` in one call, with the same result.

    A processor call is a good part of what one of these four costs, so one call for the four
    is measurably faster on every event. Use the four separately to put processors between them.
    """
    scope = CURRENT.get() or STATE.root
    return _stamp(event_dict, method_name, scope, scope.stamp if scope is not None else _NONE)


_NONE: Final[Mapping[str, Any]] = MappingProxyType({})


def _stamp(
    event_dict: EventDict, method_name: str, scope: Scope | None, stamp: Mapping[str, Any]
) -> EventDict:
    event_dict.update(stamp)
    event_dict.update(_ours(method_name, scope))
    return event_dict


def _ours(method_name: str, scope: Scope | None) -> dict[str, Any]:
    """What stamping adds after the scope's stamp: ``attached`` (in a scope of another
    process), the time, the level, the sequence number and the pid."""
    pid = STATE.pid
    ours: dict[str, Any] = {} if scope is None or scope.pid == pid else {"attached": True}
    ours["timestamp"] = utc_now()
    ours["level"] = LEVEL_OF_METHOD.get(method_name, method_name)
    ours["seq"] = STATE.next_seq()
    ours["pid"] = pid
    return ours


class RedactThenStamp:
    """*redactor*, then :func:`stamp_event`, as one processor: the chain of the presets when you
    add no processors of your own.

    The output is what ``stamp_event`` followed by *redactor* gives, but the redactor only walks
    what you logged: the scope's ids and names are redacted once per scope (they are the same on
    every event of the scope), and the time, level, sequence and pid are ours. That is most of
    an event's keys, so this saves a good part of the redactor's time on every event.

    As the chain's last step (:meth:`finish`), the event is stamped first and the redactor's
    screen proves the whole stamped event clean in C: the bytes it serialised for that are the
    line the file sink writes, so the common event is serialised once.

    Args:
        redactor: the redactor of the configuration.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event, line = self.finish(logger, method_name, event_dict)
        # A processor's result may be kept: never the caller's containers.
        return kept_copy(event, line) if line is not None else event

    def finish(self, logger: Any, method_name: str, event_dict: EventDict) -> Finished:
        """The stamped, redacted event, and its NDJSON line when nothing in it needed
        redaction (see :class:`~wf_structlog.typing.Finisher`)."""
        scope = CURRENT.get() or STATE.root
        shown = _NONE if scope is None else self._shown_stamp(logger, method_name, scope)
        ours = _ours(method_name, scope)
        stamped = {**event_dict, **shown, **ours}  # the keys in the order _stamp gives
        line = self.redactor.line(stamped, event_dict)
        if line is not None:
            return stamped, line
        event_dict = self.redactor(logger, method_name, event_dict)
        event_dict.update(shown)
        event_dict.update(ours)
        return event_dict, None

    def _shown_stamp(self, logger: Any, method_name: str, scope: Scope) -> Mapping[str, Any]:
        shown = scope.shown_stamp(self)  # no closure, no call of the redactor: the common case
        if shown is None:
            redacted = self.redactor(logger, method_name, dict(scope.stamp))
            shown = scope.keep_shown_stamp(self, redacted)
        return shown


def format_exceptions(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Turn ``exc_info`` (``True``, an exception or a ``sys.exc_info()`` tuple) into ``exception``.

    ``log.exception(...)`` passes ``exc_info=True``. Without an exception in flight nothing is
    added. Local variables are never included: see :func:`format_exceptions_with_locals`.
    """
    return _format(event_dict, with_locals=False)


def format_exceptions_with_locals(
    logger: Any, method_name: str, event_dict: EventDict
) -> EventDict:
    """:func:`format_exceptions`, with each frame's local variables under ``locals`` (what
    ``configure(traceback_locals=True)`` asks for; redacted like every other value)."""
    return _format(event_dict, with_locals=True)


def _format(event_dict: EventDict, *, with_locals: bool) -> EventDict:
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if isinstance(exc_info, BaseException):
        event_dict["exception"] = describe_exception(exc_info, with_locals=with_locals)
        return event_dict
    if not isinstance(exc_info, tuple):
        exc_info = sys.exc_info()
    if exc_info[1] is not None:
        event_dict["exception"] = describe_exception(
            exc_info[1], exc_info[2], with_locals=with_locals
        )
    return event_dict
