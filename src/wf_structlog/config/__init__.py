"""Configuration: presets (TOML files in ``configs/``), environment variables, overrides.

Each setting comes from the first of: an argument to :func:`configure`, an environment
variable, the preset file, the defaults of :class:`Settings`. ``WORKFLOW_LOGGING=false`` (also
``0``, ``off``, ``no``) turns everything off whatever else says.

==================  =========================  ===============================================
setting             environment                meaning
==================  =========================  ===============================================
``preset``          ``WF_LOG_PRESET``          ``dev``, ``prod``, ``test``, ``off`` or a path
                                               to a TOML file of your own
``level``           ``WF_LOG_LEVEL``           lowest level written: debug ... critical
``file``            ``WF_LOG_FILE``            NDJSON file, appended to
``doc_dir``         ``WF_LOG_DOC_DIR``         where finished workflow documents are written
``console``                                    rich console on stderr
``stdout``                                     NDJSON on stdout
``capture``                                    keep events in memory (``wf_structlog.testing``)
``strict``                                     scope misuse raises ``ScopeError``
``processors``                                 your processors (callables, or ``"module:name"``
                                               strings in TOML), run before redaction
``redact_keys``                                more key names whose values are redacted
``redact_patterns``                            more regexes for secrets inside strings
``redact_functions``                           your ``str -> str`` redaction functions
``redact_disable``                             built-in rules or key names to turn off
``max_value_chars``                            longest string kept whole (64 KiB)
``max_event_chars``                            characters of long strings per event (1 MiB)
``payload_files``                              keep cut strings whole next to ``file``
``file_mode``                                  permission bits of files created (``0o600``)
``traceback_locals``                           logged exceptions carry local variables
``threads``         ``WF_LOG_THREADS``         ``auto``: the standard thread pool and
                                               ``threading.Thread`` carry the caller's scope;
                                               ``explicit``: only ``wrap`` and
                                               ``ContextThreadPoolExecutor`` do
``non_blocking``                               a queue and a writer thread in front of the
                                               console, stdout, file and document outputs
``queue_size``                                 how many events that queue holds
``when_full``                                  ``block`` (wait for room) or ``drop`` (count)
``fsync``           ``WF_LOG_FSYNC``           ``never``, ``scope`` (at each scope end) or
                                               ``event``: when the file is synced to disk
``enabled``         ``WORKFLOW_LOGGING``       ``false`` turns all logging off
``stdlib``                                     records of the standard ``logging`` module
                                               become events (see ``wf_structlog.stdlib``)
``stdlib_actions``                             those records inside an interaction are its
                                               actions (else events of its iteration)
``instrument``      ``WF_LOG_INSTRUMENT``      LLM SDKs whose calls are logged by themselves
                                               (``openai``, ``anthropic``; comma-separated
                                               in the environment)
``prices``          ``WF_LOG_PRICES``          prices of models (a mapping, or a TOML or
                                               JSON file) over the shipped table
``otlp``            ``WF_LOG_OTLP``            export runs as OpenTelemetry spans over
                                               OTLP/HTTP (``OTEL_EXPORTER_OTLP_*`` honoured)
==================  =========================  ===============================================

A TOML file of your own starts from the ``dev`` preset, or from another built-in one named by
``extends = "prod"``, and changes what it sets.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.resources
import importlib.util
import os
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from structlog.contextvars import merge_contextvars

from .. import stdlib, structlog_chain
from .._runtime import faults as _faults
from .._runtime import lifecycle as _lifecycle
from .._runtime.logger import reset_to_first_use, set_level
from .._runtime.state import STATE, ensure_configured, install_first_use
from ..cost import ModelPrice, load_prices
from ..instrumentation import SDKS, follow_configuration
from ..outputs.background import WHEN_FULL, BackgroundSink
from ..outputs.sinks import FSYNC_MODES, ConsoleSink, DocumentSink, FileSink, MemorySink, StreamSink
from ..processors.payloads import (
    DEFAULT_MAX_EVENT_CHARS,
    DEFAULT_MAX_VALUE_CHARS,
    PayloadLimits,
    SideFiles,
)
from ..processors.redaction import Redactor, TextRedactor
from ..processors.stamping import (
    RedactThenStamp,
    format_exceptions,
    format_exceptions_with_locals,
    safe_values,
    stamp_event,
)
from ..schema import LEVEL_OF_METHOD, LEVELS
from ..scopes import threads
from ..scopes.hierarchy import close_implicit
from ..scopes.propagation import ENV_SCOPE, ENV_TRACEPARENT, root_from_environment
from ..typing import Processor, Sink

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "PRESETS",
    "THREAD_MODES",
    "ConfigError",
    "Settings",
    "build_chain",
    "configure",
    "configure_from_environment",
    "current_settings",
    "reset",
    "resolve",
    "set_global_verbosity",
]

PRESETS: Final = ("dev", "prod", "test", "off")
"""The built-in presets, one TOML file each in ``configs/``."""

_OFF_WORDS: Final = frozenset({"false", "0", "off", "no"})
_ON_WORDS: Final = frozenset({"true", "1", "on", "yes"})

_ENVIRONMENT: Final = {
    "level": "WF_LOG_LEVEL",
    "file": "WF_LOG_FILE",
    "doc_dir": "WF_LOG_DOC_DIR",
    "threads": "WF_LOG_THREADS",
    "fsync": "WF_LOG_FSYNC",
    "instrument": "WF_LOG_INSTRUMENT",
    "prices": "WF_LOG_PRICES",
    "otlp": "WF_LOG_OTLP",
}

ENVIRONMENT_VARIABLES: Final = (
    "WF_LOG_PRESET",
    *_ENVIRONMENT.values(),
    "WORKFLOW_LOGGING",
    ENV_TRACEPARENT,
    ENV_SCOPE,
)
"""Every environment variable wf_structlog reads."""

THREAD_MODES: Final = ("auto", "explicit")
"""Values of the ``threads`` setting."""


class ConfigError(ValueError):
    """A setting has a value that cannot work; the message names it and the valid choices."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved configuration (what :func:`configure` returns)."""

    preset: str = "dev"
    enabled: bool = True
    level: str = "info"
    console: bool = False
    stdout: bool = False
    file: str | None = None
    doc_dir: str | None = None
    capture: bool = False
    strict: bool = False
    processors: tuple[Processor, ...] = ()
    redact_keys: tuple[str, ...] = ()
    redact_patterns: tuple[tuple[str, str], ...] = ()
    redact_functions: tuple[TextRedactor, ...] = ()
    redact_disable: tuple[str, ...] = ()
    max_value_chars: int = DEFAULT_MAX_VALUE_CHARS
    max_event_chars: int = DEFAULT_MAX_EVENT_CHARS
    payload_files: bool = False
    file_mode: int = 0o600
    threads: str = "explicit"
    non_blocking: bool = False
    queue_size: int = 10_000
    when_full: str = "block"
    fsync: str = "never"
    stdlib: bool = False
    traceback_locals: bool = False
    instrument: tuple[str, ...] = ()
    prices: tuple[tuple[str, ModelPrice], ...] = ()
    otlp: bool = False
    stdlib_actions: bool = False


_TOML_TYPES: Final = {
    "enabled": bool,
    "level": str,
    "console": bool,
    "stdout": bool,
    "file": str,
    "doc_dir": str,
    "capture": bool,
    "strict": bool,
    "processors": list,
    "redact_keys": list,
    "redact_patterns": dict,
    "redact_functions": list,
    "redact_disable": list,
    "max_value_chars": int,
    "max_event_chars": int,
    "payload_files": bool,
    "file_mode": int,
    "threads": str,
    "non_blocking": bool,
    "queue_size": int,
    "when_full": str,
    "fsync": str,
    "stdlib": bool,
    "traceback_locals": bool,
    "instrument": list,
    "prices": str,
    "otlp": bool,
    "stdlib_actions": bool,
}


def _preset_values(preset: str) -> dict[str, Any]:
    """Read a built-in preset by name, or a TOML file by path."""
    if preset in PRESETS:
        text = importlib.resources.files("wf_structlog").joinpath(f"configs/{preset}.toml")
        return _parse(text.read_text(encoding="utf-8"), f"preset {preset!r}")
    path = Path(preset)
    if path.suffix != ".toml" and os.sep not in preset and "/" not in preset:
        raise ConfigError(
            f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}, "
            "or give the path to a .toml file"
        )
    try:
        text_of_file = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read preset file {preset!r}: {exc.strerror or exc}") from None
    values = _parse(text_of_file, f"preset file {preset!r}")
    base = values.pop("extends", "dev")
    if base not in PRESETS:
        raise ConfigError(f"{preset!r}: extends = {base!r}; choose one of {', '.join(PRESETS)}")
    return {**_preset_values(base), **values}


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    for key, value in values.items():
        if key == "extends":
            continue
        expected = _TOML_TYPES.get(key)
        if expected is None:
            valid = ", ".join(sorted(_TOML_TYPES))
            raise ConfigError(f"{where}: unknown setting {key!r}; valid settings: {valid}")
        if not isinstance(value, expected):
            raise ConfigError(f"{where}: {key} must be a {expected.__name__}, got {value!r}")
    return values


def _level_name(level: str | int) -> str:
    if isinstance(level, int) and not isinstance(level, bool):
        for name, number in LEVELS.items():
            if number == level:
                return name
    elif isinstance(level, str) and level.strip().lower() in LEVEL_OF_METHOD:
        return LEVEL_OF_METHOD[level.strip().lower()]  # "warn" -> "warning", like log.warn
    raise ConfigError(f"unknown level {level!r}: choose one of {', '.join(LEVELS)}")


def _processor(
    spec: Any,
    what: str = "processor",
    shape: str = "(logger, method_name, event_dict) -> event_dict",
) -> Processor:
    if isinstance(spec, str):
        module_name, _, attr = spec.partition(":")
        try:
            spec = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigError(
                f"{what} {spec!r} cannot be imported ({exc}); write it as 'package.module:name'"
            ) from None
    if not callable(spec):
        raise ConfigError(f"{what} {spec!r} is not callable; a {what} is {shape}")
    processor: Processor = spec
    return processor


def _redact_function(spec: Any) -> TextRedactor:
    function: TextRedactor = _processor(spec, "redaction function", "(text: str) -> str")  # type: ignore[assignment]
    return function


def _patterns(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, Iterable):
        pairs = [("pattern", v) for v in value]
    else:
        pairs = [("", value)]
    if not all(isinstance(n, str) and isinstance(r, str) for n, r in pairs):
        raise ConfigError(
            f"redact_patterns must map rule names to regexes (or list regexes), got {value!r}"
        )
    return tuple(pairs)


def _chars(setting: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{setting} must be a whole number of characters >= 1, got {value!r}")


def _file_mode(value: object) -> int:
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= 0o777
        and value & 0o600 == 0o600
    ):
        return value
    raise ConfigError(
        "file_mode must be permission bits that let the owner read and write, such as "
        f"0o600 or 0o640, got {value!r}"
    )


def _redactor(settings: Settings) -> Redactor:
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


def _path_or_none(setting: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise ConfigError(f"{setting} must be a path (str or os.PathLike), got {value!r}")


def _bool_or_none(setting: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigError(f"{setting} must be True or False, got {value!r}")


def _choice(setting: str, value: object, choices: tuple[str, ...]) -> str:
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    raise ConfigError(f"{setting} must be one of {', '.join(choices)}, got {value!r}")


def _positive(setting: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise ConfigError(f"{setting} must be a positive integer, got {value!r}")


def _names(setting: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{setting} must be a list of strings, got {value!r}")


def configure(
    preset: str | os.PathLike[str] | None = None,
    *,
    level: str | int | None = None,
    file: str | os.PathLike[str] | None = None,
    doc_dir: str | os.PathLike[str] | None = None,
    console: bool | None = None,
    stdout: bool | None = None,
    capture: bool | None = None,
    strict: bool | None = None,
    processors: Iterable[Processor | str] | None = None,
    redact_keys: Iterable[str] | None = None,
    redact_patterns: Mapping[str, str] | Iterable[str] | None = None,
    redact_functions: Iterable[TextRedactor | str] | None = None,
    redact_disable: Iterable[str] | None = None,
    max_value_chars: int | None = None,
    max_event_chars: int | None = None,
    payload_files: bool | None = None,
    file_mode: int | None = None,
    threads: str | None = None,
    non_blocking: bool | None = None,
    queue_size: int | None = None,
    when_full: str | None = None,
    fsync: str | None = None,
    stdlib: bool | None = None,
    traceback_locals: bool | None = None,
    instrument: Iterable[str] | None = None,
    prices: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    otlp: bool | None = None,
    stdlib_actions: bool | None = None,
) -> Settings:
    """Configure logging for the whole process; every logger, even one made earlier, follows.

    Calling it is optional: the first logging call configures from the environment, with the
    ``dev`` preset by default. Each argument left ``None`` comes from the environment, else
    the preset.

    Args:
        preset: ``"dev"``, ``"prod"``, ``"test"``, ``"off"``, or a path to a TOML file.
        level: lowest level written (``"debug"`` ... ``"critical"``, or a number).
        file: NDJSON file to append every event to.
        doc_dir: directory where each finished workflow's document is written.
        console: whether to print the rich console on stderr.
        stdout: whether to write NDJSON on stdout.
        capture: whether to keep events in memory (see :mod:`wf_structlog.testing`).
        strict: whether scope misuse raises :class:`~wf_structlog.ScopeError`.
        processors: your processors, run after ``safe_values`` and before redaction.
        redact_keys: more key names whose values are redacted.
        redact_patterns: more regexes for secrets inside strings: ``{rule name: regex}``, or
            regexes alone. Only a group named ``secret``, if the regex has one, is replaced.
        redact_functions: your redaction functions, ``(text: str) -> str``, run on every
            string after the rules (in TOML: ``"package.module:name"`` strings).
        redact_disable: names of built-in rules or built-in key names to turn off.
        max_value_chars: longest string kept whole; longer ones are cut with a marker.
        max_event_chars: characters of long strings one event keeps in all.
        payload_files: whether cut strings are also written whole next to ``file``.
        file_mode: permission bits of the files wf_structlog creates (default ``0o600``).
        threads: ``"auto"`` makes ``ThreadPoolExecutor`` (and ``run_in_executor``) and
            ``threading.Thread`` carry the caller's scope; ``"explicit"`` leaves that to
            :func:`~wf_structlog.wrap` and :class:`~wf_structlog.ContextThreadPoolExecutor`.
        non_blocking: whether outputs are written by a background thread through a queue.
        queue_size: how many events that queue holds.
        when_full: ``"block"`` (a logging call waits for room) or ``"drop"`` (the event is
            dropped and counted in an ``events_dropped`` warning).
        fsync: ``"never"``, ``"scope"`` or ``"event"``: when the NDJSON file is synced to disk.
        stdlib: whether records of the standard ``logging`` module (from any library) are
            logged as events, by a handler on the root logger (see :mod:`wf_structlog.stdlib`).
        traceback_locals: whether logged exceptions carry each frame's local variables
            (redacted like any value); off in every preset.
        instrument: LLM SDKs whose calls are logged by themselves, each as one ``llm_call``
            action (``"openai"``, ``"anthropic"``; see :mod:`wf_structlog.instrumentation`).
        prices: prices of models, over the shipped table (see
            :mod:`wf_structlog.cost`): a
            mapping, or the path of a TOML or JSON file.
        otlp: whether runs are exported as OpenTelemetry spans over OTLP/HTTP, to where the
            ``OTEL_EXPORTER_OTLP_*`` environment variables say (see :mod:`wf_structlog.otel`).
        stdlib_actions: whether ``logging`` records inside an interaction are its actions in
            the document; by default they are events of its iteration.

    Returns:
        The settings now in force.

    Raises:
        ConfigError: a preset, level, processor, path, flag, redaction setting or limit that
            cannot work.
    """
    settings = resolve(
        preset,
        os.environ,
        level=level,
        file=file,
        doc_dir=doc_dir,
        console=console,
        stdout=stdout,
        capture=capture,
        strict=strict,
        processors=processors,
        redact_keys=redact_keys,
        redact_patterns=redact_patterns,
        redact_functions=redact_functions,
        redact_disable=redact_disable,
        max_value_chars=max_value_chars,
        max_event_chars=max_event_chars,
        payload_files=payload_files,
        file_mode=file_mode,
        threads=threads,
        non_blocking=non_blocking,
        queue_size=queue_size,
        when_full=when_full,
        fsync=fsync,
        stdlib=stdlib,
        traceback_locals=traceback_locals,
        instrument=instrument,
        prices=prices,
        otlp=otlp,
        stdlib_actions=stdlib_actions,
    )
    _apply_with_environment(settings)
    return settings


def resolve(
    preset: str | os.PathLike[str] | None, environ: Mapping[str, str], **overrides: Any
) -> Settings:
    """The settings :func:`configure` would apply, from *overrides*, *environ* and the preset.

    Args:
        preset: as for :func:`configure`; ``None`` reads ``WF_LOG_PRESET`` from *environ*.
        environ: the environment to read (``os.environ``, or ``{}`` to ignore it).
        **overrides: :func:`configure`'s keyword arguments.

    Raises:
        ConfigError: as for :func:`configure`.
    """
    if preset is not None and not isinstance(preset, str | os.PathLike):
        raise ConfigError(f"preset must be a name or a path, got {preset!r}")
    name = os.fspath(preset) if preset else environ.get("WF_LOG_PRESET") or "dev"
    if environ.get("WORKFLOW_LOGGING", "").strip().lower() in _OFF_WORDS:
        return Settings(preset=name, enabled=False)  # off wins; nothing else needs to be valid
    values = _preset_values(name)
    for setting, variable in _ENVIRONMENT.items():
        if environ.get(variable):
            values[setting] = environ[variable]
    explicit: dict[str, Any] = {
        "level": overrides.get("level"),
        "file": _path_or_none("file", overrides.get("file")),
        "doc_dir": _path_or_none("doc_dir", overrides.get("doc_dir")),
    }
    for flag in ("console", "stdout", "capture", "strict", "payload_files", "non_blocking"):
        explicit[flag] = _bool_or_none(flag, overrides.get(flag))
    for flag in ("stdlib", "traceback_locals", "otlp", "stdlib_actions"):
        explicit[flag] = _bool_or_none(flag, overrides.get(flag))
    for setting in ("threads", "when_full", "fsync", "queue_size", "instrument", "prices"):
        explicit[setting] = overrides.get(setting)
    values.update({key: value for key, value in explicit.items() if value is not None})
    for setting in ("file", "doc_dir"):
        if overrides.get(setting) == "":
            values.pop(setting, None)
    if overrides.get("processors") is not None:
        chosen = overrides["processors"]
        if callable(chosen) or isinstance(chosen, str) or not isinstance(chosen, Iterable):
            raise ConfigError(f"processors must be a list of processors, got {chosen!r}")
        values["processors"] = list(chosen)
    if overrides.get("redact_keys") is not None:
        values["redact_keys"] = _names("redact_keys", overrides["redact_keys"])
    for setting in _REDACTION_OVERRIDES:
        if overrides.get(setting) is not None:
            values[setting] = overrides[setting]
    settings = Settings(
        preset=name,
        enabled=values.get("enabled", True),
        level=_level_name(values.get("level", Settings.level)),
        console=values.get("console", False),
        stdout=values.get("stdout", False),
        file=values.get("file"),
        doc_dir=values.get("doc_dir"),
        capture=values.get("capture", False),
        strict=values.get("strict", False),
        processors=tuple(_processor(p) for p in values.get("processors", ())),
        redact_keys=tuple(_names("redact_keys", values.get("redact_keys", ()))),
        redact_patterns=_patterns(values.get("redact_patterns", ())),
        redact_functions=tuple(map(_redact_function, _list("redact_functions", values))),
        redact_disable=tuple(_names("redact_disable", values.get("redact_disable", ()))),
        max_value_chars=_chars(
            "max_value_chars", values.get("max_value_chars", Settings.max_value_chars)
        ),
        max_event_chars=_chars(
            "max_event_chars", values.get("max_event_chars", Settings.max_event_chars)
        ),
        payload_files=values.get("payload_files", False),
        file_mode=_file_mode(values.get("file_mode", Settings.file_mode)),
        threads=_choice("threads", values.get("threads", Settings.threads), THREAD_MODES),
        non_blocking=values.get("non_blocking", False),
        queue_size=_positive("queue_size", values.get("queue_size", Settings.queue_size)),
        when_full=_choice("when_full", values.get("when_full", Settings.when_full), WHEN_FULL),
        fsync=_choice("fsync", values.get("fsync", Settings.fsync), FSYNC_MODES),
        stdlib=values.get("stdlib", False),
        traceback_locals=values.get("traceback_locals", False),
        instrument=_sdks(values.get("instrument", ())),
        prices=_prices(values.get("prices")),
        otlp=_flag("otlp", values.get("otlp", False)),
        stdlib_actions=values.get("stdlib_actions", False),
    )
    if settings.payload_files and settings.file is None:
        raise ConfigError("payload_files needs file: cut values are written next to that file")
    _redactor(settings)  # a bad regex or rule name fails here, before anything changes
    return settings


_REDACTION_OVERRIDES: Final = (
    "redact_patterns",
    "redact_functions",
    "redact_disable",
    "max_value_chars",
    "max_event_chars",
    "file_mode",
)


def _sdks(value: object) -> tuple[str, ...]:
    names = value.split(",") if isinstance(value, str) else _names("instrument", value)
    chosen = tuple(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
    for sdk in chosen:
        if sdk not in SDKS:
            raise ConfigError(
                f"instrument: cannot instrument {sdk!r}; choose among {', '.join(SDKS)}"
            )
        if importlib.util.find_spec(sdk) is None:
            raise ConfigError(
                f"instrument: the {sdk} SDK is not installed (pip install 'wf-structlog[{sdk}]')"
            )
    return chosen


def _prices(value: object) -> tuple[tuple[str, ModelPrice], ...]:
    if value is None or value == "":
        return ()
    if not isinstance(value, str | os.PathLike | Mapping):
        raise ConfigError(f"prices must be a mapping or a file path, got {value!r}")
    try:
        return tuple(load_prices(value).items())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _flag(setting: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _OFF_WORDS | _ON_WORDS:
        return value.strip().lower() in _ON_WORDS
    raise ConfigError(f"{setting} must be true or false, got {value!r}")


def _list(setting: str, values: Mapping[str, Any]) -> list[Any]:
    chosen = values.get(setting, ())
    if callable(chosen) or isinstance(chosen, str) or not isinstance(chosen, Iterable):
        raise ConfigError(f"{setting} must be a list, got {chosen!r}")
    return list(chosen)


def build_chain(settings: Settings) -> tuple[Processor, ...]:
    """The processor chain for *settings*, in order.

    The redactor makes every value safe as it walks it, so ``safe_values`` runs separately
    only when your processors need to see safe values. Without processors of your own, the
    stamping is done after redaction (:class:`~wf_structlog.processors.RedactThenStamp`): the
    same events, with the scope's ids redacted once per scope instead of on every event.
    """
    fmt = format_exceptions_with_locals if settings.traceback_locals else format_exceptions
    if not settings.processors:
        return (merge_contextvars, fmt, RedactThenStamp(_redactor(settings)))
    return (
        merge_contextvars,
        stamp_event,
        fmt,
        safe_values,
        *settings.processors,
        _redactor(settings),
    )


def _open_sinks(settings: Settings) -> tuple[list[Sink], MemorySink | None]:
    sinks: list[Sink] = []
    try:
        return _add_sinks(settings, sinks)
    except ConfigError:
        _close(sinks)
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
        sinks.append(
            _path_sink(
                functools.partial(FileSink, mode=settings.file_mode, fsync=settings.fsync),
                "file",
                settings.file,
            )
        )
    if settings.doc_dir:
        sinks.append(_path_sink(_with_mode(DocumentSink, settings), "doc_dir", settings.doc_dir))
    if settings.non_blocking and sinks:
        sinks[:] = [
            BackgroundSink(sinks, maxsize=settings.queue_size, when_full=settings.when_full)
        ]
    live = _live_spans(settings.otlp)  # not behind the queue: spans follow the caller's context
    if live is not None:
        sinks.append(live)
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


def _with_mode(factory: Callable[..., Sink], settings: Settings) -> Callable[[str], Sink]:
    return functools.partial(factory, mode=settings.file_mode)


def _path_sink(factory: Callable[[str], Sink], setting: str, path: str) -> Sink:
    try:
        return factory(path)
    except OSError as exc:
        raise ConfigError(f"cannot use {setting} {path!r}: {exc.strerror or exc}") from None


def apply(settings: Settings) -> None:
    """Put *settings* in force (used by :func:`configure` and to restore earlier settings)."""
    sinks, memory = _open_sinks(settings)
    with STATE.lock:
        old = STATE.sinks
        STATE.chain = build_chain(settings)
        STATE.sinks = tuple(sinks)
        STATE.memory = memory
        STATE.enabled = settings.enabled
        STATE.strict = settings.strict
        STATE.settings = settings
        STATE.doc_dir = settings.doc_dir
        STATE.prices = settings.prices
        set_level(LEVELS[settings.level], settings.enabled)
        STATE.configured = True
    if settings.enabled and settings.threads == "auto":
        threads.install()
    else:
        threads.uninstall()
    if settings.enabled and settings.stdlib:
        stdlib.install(actions=settings.stdlib_actions)
    else:
        stdlib.uninstall()
    follow_configuration(settings.instrument if settings.enabled else ())
    if settings.enabled:
        _lifecycle.install()
    _faults.forget()
    structlog_chain.adopt()  # also when off: structlog's loggers are then no-ops too
    _close(old)


def _apply_with_environment(settings: Settings) -> None:
    """:func:`apply`, then continue the scope the environment names (``TRACEPARENT``)."""
    apply(settings)
    STATE.root = root_from_environment(os.environ) if settings.enabled else None


def reset() -> None:
    """Forget the configuration: the next logging call configures from the environment again.

    An implicit workflow still open is ended first, so its document is complete.
    """
    if STATE.configured:
        close_implicit()
    with STATE.lock:
        old = STATE.sinks
        STATE.sinks = ()
        STATE.memory = None
        STATE.settings = None
        STATE.root = None
        STATE.configured = False
        reset_to_first_use()
    threads.uninstall()
    stdlib.uninstall()
    structlog_chain.restore()
    follow_configuration(())
    _close(old)


def configure_from_environment() -> Settings:
    """Configure from the environment alone, as the first logging call does; never raises.

    Nobody asked for this configuration, so a bad variable must not break the program: each
    ``WF_LOG_*`` variable that cannot work is left out (the others, such as a valid
    ``WF_LOG_PRESET=prod``, still count), and that is said once on stderr.
    """
    try:
        return configure()
    except ConfigError as first:
        kept = {k: v for k, v in os.environ.items() if k not in _CHECKED_ONE_BY_ONE}
        dropped = []
        for variable in _CHECKED_ONE_BY_ONE:
            if variable not in os.environ:
                continue
            trial = {**kept, variable: os.environ[variable]}
            try:
                _close(_open_sinks(resolve(None, trial))[0])
            except ConfigError:
                dropped.append(variable)
            else:
                kept = trial
        _faults.report("config", f"{first}; ignoring {', '.join(dropped)}")
        settings = resolve(None, kept)
        _apply_with_environment(settings)
        return settings


_CHECKED_ONE_BY_ONE: Final = ("WF_LOG_PRESET", *_ENVIRONMENT.values())
install_first_use(configure_from_environment)


def _close(sinks: Iterable[Sink]) -> None:
    for sink in sinks:
        sink.close()


def current_settings() -> Settings:
    """The settings in force (configuring from the environment first if nothing has)."""
    ensure_configured()
    assert isinstance(STATE.settings, Settings)
    return STATE.settings


def set_global_verbosity(level: str | int) -> None:
    """Change the level of every logger at once (ours, and the stdlib bridge's).

    Args:
        level: ``"debug"`` ... ``"critical"``, or a number such as ``logging.INFO``.

    Raises:
        wf_structlog.ConfigError: an unknown level.
    """
    name = _level_name(level)
    settings = dataclasses.replace(current_settings(), level=name)
    with STATE.lock:
        set_level(LEVELS[name], STATE.enabled)
        STATE.settings = settings
    if settings.stdlib and STATE.enabled:
        stdlib.install(actions=settings.stdlib_actions)
