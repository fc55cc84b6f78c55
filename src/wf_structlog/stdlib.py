"""The bridge from the standard library's ``logging``: its records become our events.

``configure(stdlib=True)`` (on under the ``prod`` preset) puts a :class:`WorkflowHandler` on
the root logger, so a record from ``logging.getLogger(...)`` anywhere in the process (an HTTP
client, say) goes through the processor chain like any event: stamped with the current scope
(the handler runs in the thread that logged, so it sees that thread's scopes), redacted, and
written to the same outputs and documents. A record logged inside an interaction is an
event of the interaction's iteration, naming the interaction in ``in_interaction``: an HTTP
client's lines are not actions beside the interaction's LLM calls. ``stdlib_actions=True``
makes them the interaction's actions.

Your loggers are left as they are: ``configure()`` adds one handler to the root logger and
changes no level. The handler takes records at our level and above; records below the
level of the logger they are logged on never reach any handler (``logging.basicConfig(level=
logging.INFO)`` lets libraries' ``info`` records through).

Nothing of ours is written through ``logging``, so our output cannot come back: records of the
``wf_structlog`` and ``structlog`` loggers, and any logged from inside our own chain, from our
own threads (the non-blocking writer) or while we work (the OTLP exporter's HTTP client, see
:mod:`wf_structlog._runtime.ours`), are left alone.

To keep your own ``logging`` handlers and have them print our NDJSON, give them
:func:`formatter` instead.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from structlog import DropEvent
from structlog.stdlib import ProcessorFormatter

from ._runtime import faults as _faults
from ._runtime.logger import log_event
from ._runtime.ours import working
from ._runtime.pipeline import run_chain
from ._runtime.state import CURRENT, STATE
from .render.ndjson import to_json
from .schema import LEVELS
from .typing import EventDict

__all__ = ["WorkflowHandler", "formatter", "install", "render_ndjson_str", "uninstall"]

_OWN_LOGGERS: Final = ("wf_structlog", "structlog")
_RECORD_KEYS: Final = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
"""The attributes every ``LogRecord`` has; any other came from ``extra=`` and is a field."""


def _method_of(levelno: int) -> str:
    """The name of our level at or just below *levelno* (``25`` -> ``info``)."""
    name = "debug"
    for candidate, number in LEVELS.items():
        if levelno >= number:
            name = candidate
    return name


def _message(msg: object, args: Any) -> tuple[str, dict[str, Any]]:
    """The message ``logging`` would make of *msg* and *args*, and, when that fails (a bad
    format string: ``logging.warning("token %s %s", key)``), the message unformatted with
    fields ``args`` and ``format_error``. Never raises: ``logging``'s own handling of the
    failure prints the raw arguments on stderr, secrets and all."""
    try:
        text = str(msg)
        return (text % args if args else text), {}
    except Exception as exc:
        try:
            text = str(msg)
        except Exception:
            text = object.__repr__(msg)
        return text, {"args": args, "format_error": f"{type(exc).__name__}: {exc}"}


def _is_ours(record: logging.LogRecord) -> bool:
    if isinstance(record.msg, dict) and hasattr(record, "_logger"):
        return True  # structlog's stdlib bridge: the structlog side writes it (compose_structlog)
    return record.name.partition(".")[0] in _OWN_LOGGERS or working()


class WorkflowHandler(logging.Handler):
    """A ``logging`` handler that logs each record as an event through our chain.

    The event is the record's message, with ``logger`` (the record's logger name), the
    record's ``extra=`` fields (but for bare ``object()`` markers a library put on the
    record), and ``exception`` when it has ``exc_info``. Records below the
    configured level are skipped, like our own calls.

    Args:
        actions: whether a record inside an interaction is one of its actions (else an
            event of the enclosing iteration, with ``in_interaction``).
    """

    def __init__(self, actions: bool = False) -> None:
        super().__init__()
        self.actions = actions

    def emit(self, record: logging.LogRecord) -> None:
        """Log *record* as an event (a failure is said once on stderr, never raised)."""
        if _is_ours(record) or not STATE.enabled or record.levelno < STATE.min_level:
            return
        try:
            fields = {
                k: v
                for k, v in record.__dict__.items()
                # A bare object() is a library's private marker on the record, never data
                # (LiteLLM stamps each record it redacted with one, ``litellm_redacted``).
                if k not in _RECORD_KEYS and type(v) is not object
            }
            fields["logger"] = record.name
            if record.exc_info:
                fields["exc_info"] = record.exc_info
            method = _method_of(record.levelno)
            message, problem = _message(record.msg, record.args)
            fields.update(problem)
            scope = CURRENT.get()
            if self.actions or scope is None or scope.kind != "interaction":
                log_event({}, method, message, (), fields)
                return
            fields["in_interaction"] = scope.id
            while scope.parent is not None and scope.kind == "interaction":
                scope = scope.parent
            scope.emit_inside(method, {**fields, "event": message}, counted_in=scope)
        except Exception as exc:
            # Not handleError(): it prints the record's raw arguments, secrets and all.
            _faults.report("stdlib", f"a logging record could not be logged ({type(exc).__name__})")


_handler: WorkflowHandler | None = None


def install(actions: bool = False) -> None:
    """Put a :class:`WorkflowHandler` on the root logger (once); no logger's level changes.

    Args:
        actions: as for :class:`WorkflowHandler`.
    """
    global _handler
    if _handler is None:
        _handler = WorkflowHandler(actions)
        logging.getLogger().addHandler(_handler)
    _handler.actions = actions


def uninstall() -> None:
    """Take the handler off the root logger, if it is there."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler = None


def _logger_name(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    event_dict["logger"] = event_dict["_record"].name
    return event_dict


def _format_message(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """A foreign record's message, formatted here: a bad format string becomes fields."""
    args = event_dict.pop("positional_args", ())
    event_dict["event"], problem = _message(event_dict["event"], args)
    event_dict.update(problem)
    return event_dict


def _our_chain(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    processed = run_chain(method_name, event_dict)
    if processed is None:
        raise DropEvent
    return processed


def render_ndjson_str(logger: Any, method_name: str, event_dict: EventDict) -> str:
    """Render *event_dict* as one line of JSON, as a ``str`` (what ``logging`` formatters
    return; the handler adds the newline)."""
    return to_json(event_dict).decode()


def formatter() -> ProcessorFormatter:
    """A structlog ``ProcessorFormatter`` that runs our chain and renders NDJSON lines.

    For your own ``logging`` handlers: ``handler.setFormatter(wf_structlog.stdlib.formatter())``.
    It renders only; records formatted this way are not in our outputs or documents (use
    ``configure(stdlib=True)`` for that).
    """
    return ProcessorFormatter(
        # The message is formatted by _format_message, not by getMessage() (which would
        # raise on a bad format string, and logging would print the raw arguments).
        use_get_message=False,
        pass_foreign_args=True,
        foreign_pre_chain=[_format_message],
        processors=[
            _logger_name,
            ProcessorFormatter.remove_processors_meta,
            _our_chain,
            render_ndjson_str,
        ],
    )
