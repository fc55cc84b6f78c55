"""The bound logger users hold: structlog's API, with each level a writer or a no-op."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, Self

from structlog import BoundLoggerBase

from ..schema import LEVEL_OF_METHOD, LEVELS, NAME_OF_LEVEL
from .pipeline import ROUTER, emit_counted
from .state import CURRENT, STATE, ensure_configured

METHOD_NUMBERS: Final = {method: LEVELS[name] for method, name in LEVEL_OF_METHOD.items()}


def log_event(
    context: Mapping[str, Any],
    method_name: str,
    event: Any,
    args: tuple[Any, ...],
    kw: dict[str, Any],
) -> None:
    if args:
        try:
            event = event % args
        except Exception:  # a format mistake in the caller's log line must not raise
            kw["positional_args"] = args
    event_dict = {**context, **kw}
    if event is not None:
        event_dict["event"] = event
    emit_counted(method_name, event_dict, CURRENT.get())


def _enabled_method(name: str) -> Callable[..., None]:
    if name == "exception":

        def method(self: BoundLogger, event: Any = None, *args: Any, **kw: Any) -> None:
            kw.setdefault("exc_info", True)
            log_event(self._context, name, event, args, kw)
    else:

        def method(self: BoundLogger, event: Any = None, *args: Any, **kw: Any) -> None:
            log_event(self._context, name, event, args, kw)

    method.__name__ = name
    return method


def _disabled_method(name: str) -> staticmethod[..., None]:
    # A static method taking only *args and **kw is the cheapest call Python has: no self to
    # bind, no parameter with a default to fill. It costs what calling a no-op function does.
    def method(*args: Any, **kw: Any) -> None:
        return None

    method.__name__ = name
    return staticmethod(method)


def _first_use_method(name: str) -> Callable[..., Any]:
    def method(self: BoundLogger, event: Any = None, *args: Any, **kw: Any) -> Any:
        ensure_configured()
        return getattr(self, name)(event, *args, **kw)

    method.__name__ = name
    return method


_ENABLED: Final = {name: _enabled_method(name) for name in METHOD_NUMBERS}
_DISABLED: Final = {name: _disabled_method(name) for name in METHOD_NUMBERS}


class BoundLogger(BoundLoggerBase):
    """A structlog bound logger whose output follows :func:`wf_structlog.configure`.

    It satisfies :class:`structlog.typing.FilteringBoundLogger`: ``bind``, ``unbind``,
    ``try_unbind``, ``new``, one method per level, ``exception``, ``log`` and the ``a``-prefixed
    async variants. Loggers never cache configuration: one obtained before ``configure`` (even
    at import time) writes where the latest configuration says. A call below the configured
    level is a method that does nothing.
    """

    def new(self, **new_values: Any) -> Self:
        """A logger with only *new_values* bound; unlike structlog's, this one is untouched."""
        return self.__class__(self._logger, self._processors, dict(new_values))

    def debug(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at DEBUG."""

    def info(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at INFO."""

    def msg(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at INFO (structlog's name)."""

    def warning(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at WARNING."""

    def warn(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at WARNING (alias)."""

    def error(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at ERROR; inside a scope the event lands in that scope's ``errors``."""

    def err(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at ERROR (alias)."""

    def exception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at ERROR with the exception being handled (``exc_info=True``)."""

    def critical(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at CRITICAL."""

    def fatal(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at CRITICAL (alias)."""

    def log(self, level: int | str, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at *level*, a number (``logging.INFO``) or a name (``"info"``)."""
        ensure_configured()
        if isinstance(level, str):
            name = level.lower()
            number = METHOD_NUMBERS.get(name, logging.INFO)
        else:
            number = level
            name = NAME_OF_LEVEL.get(level, "info")
        if STATE.enabled and number >= STATE.min_level:
            log_event(self._context, name, event, args, kw)

    def is_enabled_for(self, level: int) -> bool:
        """Whether a call at *level* would be written."""
        ensure_configured()
        return STATE.enabled and level >= STATE.min_level

    def get_effective_level(self) -> int:
        """The configured minimum level (``logging.CRITICAL + 1`` when logging is off)."""
        ensure_configured()
        return STATE.min_level if STATE.enabled else logging.CRITICAL + 1

    # structlog's async variants hand the work to a thread; ours writes in microseconds,
    # so they log synchronously and keep the caller's scope without copying the context.
    async def adebug(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`debug`."""
        self.debug(event, *args, **kw)

    async def ainfo(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`info`."""
        self.info(event, *args, **kw)

    async def amsg(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`msg`."""
        self.msg(event, *args, **kw)

    async def awarning(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`warning`."""
        self.warning(event, *args, **kw)

    async def awarn(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`warn`."""
        self.warning(event, *args, **kw)

    async def aerror(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`error`."""
        self.error(event, *args, **kw)

    async def aexception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`exception`."""
        self.exception(event, *args, **kw)

    async def acritical(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`critical`."""
        self.critical(event, *args, **kw)

    async def afatal(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`fatal`."""
        self.critical(event, *args, **kw)

    async def alog(self, level: int | str, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async variant of :meth:`log`."""
        self.log(level, event, *args, **kw)


def _install(methods: Mapping[str, Callable[..., Any] | staticmethod[..., Any]]) -> None:
    for name, method in methods.items():
        getattr(method, "__func__", method).__doc__ = _DOCS[name]
        setattr(BoundLogger, name, method)


_DOCS: Final = {name: getattr(BoundLogger, name).__doc__ for name in [*METHOD_NUMBERS, "log"]}
_LOG: Final = BoundLogger.log


def set_level(level: int, enabled: bool) -> None:
    """Swap each level method of :class:`BoundLogger` for a writer or a no-op.

    Swapping methods on the class, rather than checking a level on each call, is what makes a
    filtered-out call cost no more than calling an empty function; and every existing logger
    sees the change at once.
    """
    STATE.min_level = level
    _install(
        {
            name: _ENABLED[name] if enabled and number >= level else _DISABLED[name]
            for name, number in METHOD_NUMBERS.items()
        }
        | {"log": _LOG if enabled else _disabled_method("log")}
    )


def reset_to_first_use() -> None:
    """Make the next call configure from the environment first (the zero-configuration path)."""
    _install({name: _first_use_method(name) for name in METHOD_NUMBERS} | {"log": _LOG})


reset_to_first_use()


def get_logger(**initial_values: Any) -> BoundLogger:
    """Return a logger; no configuration needed.

    Args:
        **initial_values: key-value pairs bound to every event of this logger.

    Example::

        log = get_logger().bind(agent="planner")
        log.info("llm_call", model="m-1", input_tokens=12, output_tokens=40)
    """
    return BoundLogger(ROUTER, (), dict(initial_values))
