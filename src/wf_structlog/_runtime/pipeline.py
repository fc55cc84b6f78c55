"""The one path every event takes: the processor chain, then the sinks."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from structlog import DropEvent

from ..render.ndjson import kept_copy
from ..typing import EventDict, Finished, Finisher, Processor, Sink
from . import faults as _faults
from .state import STATE

if TYPE_CHECKING:
    from .scope import Scope


class _Router:
    """The object structlog calls "the wrapped logger": it names the logger to processors."""

    name = "wf_structlog"


ROUTER: Final = _Router()


def _processor_name(proc: Any) -> str:
    return getattr(proc, "__qualname__", None) or type(proc).__qualname__


def _failed(proc: Any, event_dict: EventDict, what: str, detail: str) -> None:
    name = _processor_name(proc)
    _faults.report(f"processor:{name}", f"processor {name} {what}")
    errors = event_dict.get("processor_errors")
    event_dict["processor_errors"] = (
        [*errors, f"{name}: {detail}"] if isinstance(errors, list) else [f"{name}: {detail}"]
    )


def run_chain(method_name: str, event_dict: EventDict) -> EventDict | None:
    """Run the configured processors; ``None`` when one of them dropped the event.

    When a processor raises or returns something other than a dict, the event goes on as the
    processor left it, with the failure named under ``processor_errors``.
    """
    return _run(STATE.chain, method_name, event_dict)


def _run(chain: tuple[Processor, ...], method_name: str, event_dict: EventDict) -> EventDict | None:
    for proc in chain:
        try:
            out = proc(ROUTER, method_name, event_dict)
        except DropEvent:
            return None
        except Exception as exc:
            _failed(proc, event_dict, f"raised {type(exc).__name__}", type(exc).__name__)
            continue
        if out.__class__ is dict or isinstance(out, dict):
            event_dict = out
        else:
            _failed(proc, event_dict, f"returned {type(out).__name__}", "not a dict")
    return event_dict


def install_chain(chain: tuple[Processor, ...]) -> None:
    """Put *chain* in force (the caller holds ``STATE.lock``).

    When its last processor is a :class:`~wf_structlog.typing.Finisher`, :func:`emit` runs
    the others, then asks that one for the event and its line: the line the redactor made
    while proving the event clean is what file and stream sinks write.
    """
    last = chain[-1] if chain else None
    finishing = (chain[:-1], last) if isinstance(last, Finisher) else None
    STATE.chain = chain
    STATE.finishing = finishing  # one field: a thread logging meanwhile sees one chain or the other


def _run_finishing(
    finishing: tuple[tuple[Processor, ...], Finisher], method_name: str, event_dict: EventDict
) -> Finished | None:
    """:func:`run_chain`, with the event's line from the chain's :class:`Finisher`."""
    head, finisher = finishing
    event = _run(head, method_name, event_dict)
    if event is None:
        return None
    try:
        return finisher.finish(ROUTER, method_name, event)
    except DropEvent:
        return None
    except Exception as exc:
        _failed(finisher, event, f"raised {type(exc).__name__}", type(exc).__name__)
        return event, None


def add_tap(sink: Sink) -> None:
    """Hand every finished event to *sink* too, in the logging thread, until removed."""
    with STATE.lock:
        STATE.taps = (*STATE.taps, sink)


def remove_tap(sink: Sink) -> None:
    """Stop handing events to *sink* (a sink never added is ignored)."""
    with STATE.lock:
        STATE.taps = tuple(tap for tap in STATE.taps if tap is not sink)


def dispatch(method_name: str, event_dict: EventDict, line: bytes | None = None) -> None:
    """Hand a finished event to every configured sink, then to every tap.

    With *line* (see :class:`~wf_structlog.typing.Finisher`), each
    :class:`~wf_structlog.typing.LineSink` writes those bytes, and every other sink gets one
    copy of the event parsed from them (:func:`~wf_structlog.render.ndjson.kept_copy`), made
    when the first of them asks: nothing they keep is the caller's, so nothing changes when
    the caller's containers do.
    """
    taps = STATE.taps
    if line is None:
        write_to(STATE.sinks, method_name, event_dict)
        if taps:
            write_to(taps, method_name, event_dict)
        return
    copy: EventDict | None = None
    for sink in (*STATE.sinks, *taps) if taps else STATE.sinks:
        try:
            emit_line = getattr(sink, "emit_line", None)
            if emit_line is not None:
                emit_line(method_name, event_dict, line)
                continue
            if copy is None:
                copy = kept_copy(event_dict, line)
            sink.emit(method_name, copy)
        except Exception as exc:
            _sink_failed(sink, "failed", exc)


def write_to(sinks: Iterable[Sink], method_name: str, event_dict: EventDict) -> None:
    """Hand a finished event to each of *sinks*; a failing sink never stops the others."""
    for sink in sinks:
        try:
            sink.emit(method_name, event_dict)
        except Exception as exc:
            _sink_failed(sink, "failed", exc)


def flush(sinks: Iterable[Sink]) -> None:
    """Flush each of *sinks*; a failing sink is reported, never raised."""
    _each(sinks, "flush")


def close(sinks: Iterable[Sink]) -> None:
    """Close each of *sinks*; a failing sink is reported, never raised."""
    _each(sinks, "close")


def _each(sinks: Iterable[Sink], method: str) -> None:
    for sink in sinks:
        try:
            getattr(sink, method)()
        except Exception as exc:
            _sink_failed(sink, f"failed to {method}", exc)


def _sink_failed(sink: Sink, what: str, exc: Exception) -> None:
    name = type(sink).__name__
    _faults.report(f"sink:{name}", f"{name} {what}: {exc!r}")


_local = threading.local()


def emit_counted(method_name: str, event_dict: EventDict, scope: Scope | None) -> bool:
    """:func:`emit`, then count the event as a direct child of *scope* if it was written.

    The one place children are counted: a scope's end event says how many it had, so a
    reader knows whether its tree is complete (see ``children`` in :mod:`wf_structlog.schema`).
    """
    if not emit(method_name, event_dict):
        return False
    if scope is not None:
        scope.count_child()
    return True


def emit(method_name: str, event_dict: EventDict) -> bool:
    """Process and write one event; ``False`` when it was dropped.

    An event logged from inside a processor or sink (which would recurse) is dropped, and
    that is said once on stderr.
    """
    if getattr(_local, "emitting", False):
        _faults.report("reentrant", "an event logged from inside a processor or sink was dropped")
        return False
    _local.emitting = True
    try:
        finishing = STATE.finishing
        if finishing is None:
            processed = run_chain(method_name, event_dict)
            if processed is None:
                return False
            dispatch(method_name, processed)
            return True
        finished = _run_finishing(finishing, method_name, event_dict)
        if finished is None:
            return False
        dispatch(method_name, *finished)
        return True
    finally:
        _local.emitting = False
