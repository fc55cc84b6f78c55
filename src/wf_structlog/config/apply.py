"""Putting settings in force: the processor chain, the outputs, and what follows them (thread
patching, the stdlib bridge, SDK instrumentation, the exit work).

The sinks built here from settings are closed when other settings replace them. Sinks of
your own (``configure(sinks=[...])``) are yours: they are closed by
:func:`~wf_structlog.configure` when they leave the configuration, and by
:func:`~wf_structlog.reset` (see :func:`close_left_sinks`), not when
:func:`wf_structlog.testing.capture` lends the process to a test for a while.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable

from structlog.contextvars import merge_contextvars

from .. import stdlib, structlog_chain
from .._runtime import faults as _faults
from .._runtime import lifecycle as _lifecycle
from .._runtime.logger import reset_to_first_use, set_level
from .._runtime.pipeline import close, install_chain
from .._runtime.state import STATE
from ..instrumentation import follow_configuration
from ..outputs.background import BackgroundSink
from ..outputs.sinks import ConsoleSink, DocumentSink, FileSink, MemorySink, StreamSink
from ..processors.payloads import PayloadLimits, SideFiles
from ..processors.pricing import AddCost
from ..processors.redaction import Redactor
from ..processors.stamping import (
    RedactThenStamp,
    format_exceptions,
    format_exceptions_with_locals,
    safe_values,
    stamp_event,
)
from ..schema import LEVELS
from ..scopes import threads
from ..scopes.hierarchy import close_implicit
from ..typing import Processor, Sink
from .checks import ConfigError
from .inherit import carry
from .settings import Settings

__all__ = [
    "apply",
    "build_chain",
    "close_left_sinks",
    "follow",
    "in_force",
    "open_sinks",
    "redactor",
    "reset",
]


def redactor(settings: Settings) -> Redactor:
    """The redactor for *settings*.

    Raises:
        ConfigError: a bad regex or rule name.
    """
    side_files = None
    if settings.payload_files and settings.file is not None:
        side_files = SideFiles(settings.file, settings.file_mode)
    try:
        return Redactor(
            settings.redact_keys,
            patterns=settings.redact_patterns,
            functions=settings.redact_functions,
            disable=settings.redact_disable,
            limits=PayloadLimits(settings.max_value_chars, settings.max_event_chars, side_files),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def build_chain(settings: Settings) -> tuple[Processor, ...]:
    """The processor chain for *settings*, in order.

    The redactor makes every value safe as it walks it, so ``safe_values`` runs separately
    only when your processors need to see safe values. Without processors of your own, the
    stamping is done after redaction (:class:`~wf_structlog.processors.RedactThenStamp`): the
    same events, with the scope's ids redacted once per scope instead of on every event.
    :class:`~wf_structlog.processors.pricing.AddCost` comes right after the context is merged,
    so that a model or a tier bound to the logger prices the calls, and your processors see
    each call's cost.

    Args:
        settings: the settings whose chain is built.
    """
    fmt = format_exceptions_with_locals if settings.traceback_locals else format_exceptions
    price = AddCost(settings.prices)
    if not settings.processors:
        return (merge_contextvars, price, fmt, RedactThenStamp(redactor(settings)))
    return (
        merge_contextvars,
        price,
        stamp_event,
        fmt,
        safe_values,
        *settings.processors,
        redactor(settings),
    )


def open_sinks(settings: Settings) -> tuple[list[Sink], MemorySink | None]:
    """Every sink *settings* name, in the order they are written to, and the memory sink.

    Raises:
        ConfigError: a file or directory that cannot be used (nothing is left open).
    """
    sinks: list[Sink] = []
    try:
        return _add_sinks(settings, sinks)
    except ConfigError:
        close(_built_here(sinks, settings))
        raise


def _add_sinks(settings: Settings, sinks: list[Sink]) -> tuple[list[Sink], MemorySink | None]:
    memory = MemorySink() if settings.capture else None
    if not settings.enabled:
        return sinks, memory  # an empty capture, so tests can assert nothing was logged
    if settings.console:
        sinks.append(ConsoleSink())
    if settings.stdout:
        sinks.append(StreamSink())
    if settings.file:
        file_sink = functools.partial(FileSink, mode=settings.file_mode, fsync=settings.fsync)
        sinks.append(_path_sink(file_sink, "file", settings.file))
    if settings.doc_dir:
        document_sink = functools.partial(DocumentSink, mode=settings.file_mode)
        sinks.append(_path_sink(document_sink, "doc_dir", settings.doc_dir))
    if settings.non_blocking and sinks:
        sinks[:] = [
            BackgroundSink(sinks, maxsize=settings.queue_size, when_full=settings.when_full)
        ]
    live = _live_spans(settings.otlp)  # not behind the queue: spans follow the caller's context
    if live is not None:
        sinks.append(live)
    sinks.extend(settings.sinks)  # in the caller's thread: the queue would close them
    if memory is not None:
        sinks.append(memory)  # in the caller's thread, so a test sees events at once
    return sinks, memory


def _live_spans(export: bool) -> Sink | None:
    if not export and "opentelemetry.trace" not in sys.modules:
        return None  # the program does not use OpenTelemetry: not even imported
    try:
        from ..otel import live_spans
    except ImportError as exc:
        if not export:
            return None  # the API without the SDK: nothing to make spans with
        raise ConfigError(
            f"otlp needs OpenTelemetry ({exc.name} is missing): pip install 'wf-structlog[otel]'"
        ) from None
    return live_spans(export)


def _path_sink(factory: Callable[[str], Sink], setting: str, path: str) -> Sink:
    try:
        return factory(path)
    except OSError as exc:
        raise ConfigError(f"cannot use {setting} {path!r}: {exc.strerror or exc}") from None


def _built_here(sinks: Iterable[Sink], settings: Settings | None) -> list[Sink]:
    """*sinks* without the user's own (compared by identity: a sink need not be hashable)."""
    users = settings.sinks if settings is not None else ()
    return [sink for sink in sinks if not any(sink is mine for mine in users)]


def in_force() -> Settings | None:
    """The settings in force, if any (the runtime holds them without knowing their type)."""
    settings = STATE.settings
    return settings if isinstance(settings, Settings) else None


def close_left_sinks(before: Settings | None, after: Settings | None) -> None:
    """Close the user's sinks that *before* had and *after* has not.

    Args:
        before: the settings that were in force.
        after: the settings now in force (``None`` after :func:`~wf_structlog.reset`).
    """
    if before is not None:
        close(_built_here(before.sinks, after))


def apply(settings: Settings) -> None:
    """Put *settings* in force (used by :func:`~wf_structlog.configure` and to restore
    earlier settings); the sinks built for the settings before are closed.

    Args:
        settings: resolved settings.

    Raises:
        ConfigError: an output that cannot be opened; the settings in force stay.
    """
    sinks, memory = open_sinks(settings)
    with STATE.lock:
        old, before = STATE.sinks, in_force()
        install_chain(build_chain(settings))
        STATE.sinks = tuple(sinks)
        STATE.memory = memory
        STATE.enabled = settings.enabled
        STATE.strict = settings.strict
        STATE.settings = settings
        STATE.doc_dir = settings.doc_dir
        STATE.file_mode = settings.file_mode
        set_level(LEVELS[settings.level], settings.enabled)
        carry(settings)
        STATE.configured = True
    follow(settings)
    if settings.enabled:
        _lifecycle.install()
    _faults.forget()
    close(_built_here(old, before))


def follow(settings: Settings | None) -> None:
    """Patch threads, bridge the stdlib and instrument SDKs as *settings* say (``None``, or
    logging off: undo all of it).

    Args:
        settings: the settings in force, or ``None``.
    """
    on = settings if settings is not None and settings.enabled else None
    _switch(threads.install, threads.uninstall, on is not None and on.threads == "auto")
    actions = on is not None and on.stdlib_actions
    _switch(
        functools.partial(stdlib.install, actions), stdlib.uninstall, on is not None and on.stdlib
    )
    follow_configuration(on.instrument if on is not None else ())
    if settings is not None:
        structlog_chain.adopt()  # also when off: structlog's loggers are then no-ops too
    else:
        structlog_chain.restore()


def _switch(install: Callable[[], None], uninstall: Callable[[], None], wanted: bool) -> None:
    if wanted:
        install()
    else:
        uninstall()


def reset() -> None:
    """Forget the configuration: the next logging call configures from the environment again.

    An implicit workflow still open is ended first, so its document is complete. Every sink
    is closed, your own ones too.
    """
    if STATE.configured:
        close_implicit()
    with STATE.lock:
        old, before = STATE.sinks, in_force()
        STATE.sinks = ()
        STATE.memory = None
        STATE.settings = None
        STATE.root = None
        STATE.portable = None
        STATE.configured = False
        reset_to_first_use()
    follow(None)
    close(_built_here(old, before))
    close_left_sinks(before, None)
