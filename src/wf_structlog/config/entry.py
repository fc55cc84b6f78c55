"""The ways in: :func:`configure`, the first logging call, a level change, and what is in force."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from typing import Any

from .. import stdlib
from .._runtime import faults as _faults
from .._runtime.logger import set_level
from .._runtime.pipeline import close
from .._runtime.state import STATE, ensure_configured
from ..processors.redaction import TextRedactor
from ..schema import LEVELS
from ..scopes.propagation import root_from_environment
from ..typing import Processor, Sink
from . import checks
from .apply import apply, close_left_sinks, in_force, open_sinks
from .checks import ConfigError
from .inherit import from_parent
from .resolve import resolve
from .settings import ENVIRONMENT, Settings

__all__ = [
    "configure",
    "configure_from_environment",
    "configure_on_first_use",
    "current_settings",
    "set_global_verbosity",
]


def configure(  # one keyword per setting (the table's order), so type checkers see each
    preset: str | os.PathLike[str] | None = None,
    *,
    enabled: bool | None = None,
    level: str | int | None = None,
    console: bool | None = None,
    stdout: bool | None = None,
    file: str | os.PathLike[str] | None = None,
    doc_dir: str | os.PathLike[str] | None = None,
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
    traceback_locals: bool | None = None,
    threads: str | None = None,
    non_blocking: bool | None = None,
    queue_size: int | None = None,
    when_full: str | None = None,
    fsync: str | None = None,
    stdlib: bool | None = None,
    stdlib_actions: bool | None = None,
    instrument: Iterable[str] | None = None,
    prices: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    otlp: bool | None = None,
    sinks: Iterable[Sink] | None = None,
) -> Settings:
    """Configure logging for the whole process; every logger, even one made earlier, follows.

    Calling it is optional: the first logging call configures from the environment, with the
    ``dev`` preset by default. Each keyword is one setting of the table in
    :mod:`wf_structlog.config` (and the README); one left ``None`` comes from its
    environment variable, else the preset, else its default.

    Args:
        preset: ``"dev"``, ``"prod"``, ``"test"``, ``"off"``, or a path to a TOML file.
        sinks: your own outputs (:class:`~wf_structlog.typing.Sink`): each gets every
            finished, redacted event after the built-in ones, in the logging thread, and is
            closed when a later ``configure`` leaves it out, or by :func:`~wf_structlog.reset`.
        **others: the setting of that name (``level``, ``file``, ``threads``, ...), as the
            table in :mod:`wf_structlog.config` and the README describe it.

    Returns:
        The settings now in force.

    Raises:
        ConfigError: a setting that cannot work, named with where it came from (the
            argument, the environment variable, the preset file) and what would work.
    """
    # The keywords, exactly as given: locals() holds nothing else yet.
    overrides = {name: value for name, value in locals().items() if name != "preset"}
    before = in_force()
    settings = resolve(preset, os.environ, **overrides)
    _apply_with_environment(settings)
    close_left_sinks(before, settings)
    return settings


def _apply_with_environment(settings: Settings) -> None:
    """:func:`apply`, then continue the scope the environment names (``TRACEPARENT``)."""
    apply(settings)
    STATE.root = root_from_environment(os.environ) if settings.enabled else None


def configure_from_environment() -> Settings:
    """Configure from the environment alone, as the first logging call does; never raises.

    Nobody asked for this configuration, so a bad variable must not break the program: each
    variable that cannot work is left out (the others, such as a valid
    ``WF_LOG_PRESET=prod``, still count), and that is said once on stderr.
    """
    try:
        return configure()
    except ConfigError as first:
        kept = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
        dropped = []
        for variable in ENVIRONMENT:
            if variable not in os.environ:
                continue
            trial = {**kept, variable: os.environ[variable]}
            try:
                close(open_sinks(resolve(None, trial))[0])
            except ConfigError:
                dropped.append(variable)
            else:
                kept = trial
        _faults.report("config", f"{first}; ignoring {', '.join(dropped) or 'the environment'}")
        try:
            settings = resolve(None, kept)
            _apply_with_environment(settings)
        except ConfigError:  # the variables fail only together: none of them, then
            settings = resolve(None, {})
            _apply_with_environment(settings)
        return settings


def configure_on_first_use() -> Settings:
    """What the first logging call runs: the settings a carrier brought from the parent
    process (see :mod:`.inherit`), else :func:`configure_from_environment`; never raises."""
    try:
        settings = from_parent()
        if settings is not None:
            _apply_with_environment(settings)
            return settings
    except Exception as exc:  # the parent's processors or file, unusable here
        _faults.report(
            "inherit",
            f"the parent process's settings cannot be used here ({type(exc).__name__}: "
            f"{str(exc)[:200]}); configuring from the environment",
        )
    return configure_from_environment()


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
        wf_structlog.ConfigError: an unknown level; the level in force stays.
    """
    name = checks.level("level", level)
    settings = dataclasses.replace(current_settings(), level=name)
    with STATE.lock:
        set_level(LEVELS[name], settings.enabled)
        STATE.settings = settings
    if settings.enabled and settings.stdlib:
        stdlib.install(settings.stdlib_actions)  # the bridge's handler takes the new level
