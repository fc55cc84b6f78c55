"""structlog's own loggers, written by us: ``structlog.get_logger()`` is one of our loggers.

:func:`wf_structlog.configure` configures structlog itself, unless the application already
did. Then every ``structlog.get_logger()`` in the process, in your code or a library's,
obtained before or after ``configure()``, is stamped with the current scope, redacted and
written to our outputs and documents, like ``wf_structlog.get_logger()``:

* loggers made from now on are our :class:`~wf_structlog.BoundLogger` (a level below the
  configured one, or logging off, is a method that does nothing);
* loggers bound earlier (``log = structlog.get_logger().bind(...)`` at import time) hold
  structlog's processor list itself; it is changed in place to one processor that hands the
  event to our pipeline and drops it, so they print nothing of their own.

:func:`wf_structlog.reset` gives structlog back what it had.

**An application that configured structlog itself keeps its chain.** ``configure()`` does not
replace it; it says once on stderr how to compose. To have that chain's events stamped,
redacted and written by us too, wrap it with :func:`compose_structlog`::

    structlog.configure(processors=wf_structlog.compose_structlog([
        structlog.processors.add_log_level,
        structlog.dev.ConsoleRenderer(),       # the last one: your renderer
    ]))

Configure structlog before wf_structlog (or call ``wf_structlog.configure()`` again after):
until then our loggers write as they did. Each event goes through our chain once, whichever
way it came in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import structlog
from structlog import DropEvent

from ._runtime import faults as _faults
from ._runtime.logger import METHOD_NUMBERS, BoundLogger
from ._runtime.pipeline import ROUTER, dispatch, emit_counted, run_chain
from ._runtime.state import CURRENT, STATE
from .processors.stamping import stamp_event
from .typing import EventDict, Processor

__all__ = ["adopt", "compose_structlog", "restore"]


def _to_our_pipeline(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """The whole chain of a structlog logger bound before ``configure()``: our pipeline
    writes the event, then structlog is told to drop it (so it prints nothing itself)."""
    if STATE.enabled and METHOD_NUMBERS.get(method_name, 20) >= STATE.min_level:
        emit_counted(method_name, dict(event_dict), CURRENT.get())
    raise DropEvent


def _router(*args: Any) -> Any:
    return ROUTER


class _WriteThenRender:
    """The tail :func:`compose_structlog` puts before your renderer: our chain (redaction
    included) runs once, our outputs get the event, your renderer gets the redacted event."""

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        if not STATE.enabled:
            return event_dict
        processed = run_chain(method_name, event_dict)
        if processed is None:
            raise DropEvent
        if METHOD_NUMBERS.get(method_name, 20) >= STATE.min_level:
            dispatch(method_name, dict(processed))
        return processed


_TAIL: Final = _WriteThenRender()


def compose_structlog(processors: Sequence[Processor]) -> list[Processor]:
    """Your structlog chain with ours spliced in, for ``structlog.configure(processors=...)``.

    The result is ``[stamp_event, *yours[:-1], <our chain, then our outputs>, yours[-1]]``:
    your processors see the scope's ids, your renderer (the last of *processors*) gets the
    event redacted, and the event is in our file and documents as well.

    Args:
        processors: your chain, its renderer last.
    """
    *middle, renderer = list(processors) or [_identity]
    return [stamp_event, *middle, _TAIL, renderer]


def _identity(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    return event_dict


_told: list[bool] = []
"""Whether the application was told how to compose (once a process, not once a configure)."""
_saved: list[Processor] | None = None
"""structlog's processors before we configured it (we only do when nobody had)."""


def adopt() -> None:
    """Make structlog's loggers ours (see the module), unless the application configured it."""
    global _saved
    config = structlog.get_config()
    processors: list[Processor] = config["processors"]
    if _saved is not None and (
        config["wrapper_class"] is not BoundLogger or _to_our_pipeline not in processors
    ):
        _saved = None  # the application configured structlog after us: its chain is its own
    if _saved is None:
        if structlog.is_configured():
            if _TAIL not in processors and not _told:
                _told.append(True)
                _faults.report(
                    "structlog",
                    "structlog is configured by the application, so its loggers keep its "
                    "chain; to have them stamped, redacted and written by wf_structlog too, "
                    "use structlog.configure(processors=wf_structlog.compose_structlog([...]))",
                )
            return
        _saved = list(processors)
    processors[:] = [_to_our_pipeline]
    structlog.configure(
        processors=processors,
        wrapper_class=BoundLogger,
        logger_factory=_router,
        cache_logger_on_first_use=False,
    )


def restore() -> None:
    """Give structlog back what it had before :func:`adopt`: its defaults, unconfigured."""
    global _saved
    if _saved is not None:
        unconfigure(_saved)
        _saved = None


def unconfigure(processors: list[Processor]) -> None:
    """structlog's defaults with *processors* as its chain, in the list object loggers hold,
    and ``is_configured()`` false (``reset_defaults`` would make a new list, which loggers
    bound earlier would never see)."""
    live: list[Processor] = structlog.get_config()["processors"]
    live[:] = processors
    structlog.reset_defaults()
    structlog.configure(processors=live)
    # The one flag structlog offers no call for; without it, the next adopt() would take
    # structlog for configured by the application.
    structlog._config._CONFIG.is_configured = False
