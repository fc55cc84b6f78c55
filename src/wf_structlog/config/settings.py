"""The one table of settings: each field of :class:`Settings` is one row.

A row says the setting's name (the field), its type in a TOML file, its default, its check,
its environment variable if it has one, and a one-line doc. Everything else is derived from
the rows: the TOML types a preset file may use (:data:`TOML_TYPES`), the environment
variables read (:data:`ENVIRONMENT`), the order :func:`~wf_structlog.config.resolve` reads
them in, and the table in the README and in the package docstring
(:func:`settings_table_markdown`). Adding a setting is one row here plus its use.

The defaults are what a user who names no preset gets: the ``dev`` preset's values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Final

from ..cost import ModelPrice
from ..outputs.background import WHEN_FULL
from ..outputs.sinks import FSYNC_MODES
from ..processors.payloads import DEFAULT_MAX_EVENT_CHARS, DEFAULT_MAX_VALUE_CHARS
from ..processors.redaction import TextRedactor
from ..schema import LEVELS
from ..typing import Processor, Sink
from . import checks
from .checks import Check

__all__ = [
    "ENVIRONMENT",
    "SETTINGS",
    "THREAD_MODES",
    "TOML_TYPES",
    "Setting",
    "Settings",
    "settings_table_markdown",
]

THREAD_MODES: Final = ("auto", "explicit")
"""Values of the ``threads`` setting."""


@dataclasses.dataclass(frozen=True)
class Setting:
    """One row of the table of settings."""

    name: str
    kind: type
    """The type of its value in a TOML file (and, in the docs, of the argument)."""
    default: Any
    check: Check
    doc: str
    env: str | None = None
    """The environment variable that sets it, if any."""
    from_env: Callable[[str, str], Any] | None = None
    """``(variable, text) -> value`` before the check; ``None`` when the text is the value.
    A result of ``None`` means the variable leaves the setting as it is."""
    choices: tuple[str, ...] = ()
    in_files: bool = True
    """Whether a preset file may set it."""
    shown: Callable[[Any], str] = repr
    """How the docs write the default."""


def _row(kind: type, default: Any, check: Check, doc: str, **more: Any) -> Any:
    """A field of :class:`Settings` that carries its row of the table."""
    return dataclasses.field(default=default, metadata={"row": (kind, check, doc, more)})


_one_of = checks.one_of


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved configuration (what :func:`~wf_structlog.configure` returns).

    Each field is one setting; see the table in :mod:`wf_structlog.config`.
    """

    preset: str = _row(
        str,
        "dev",
        checks.preset,
        "`dev`, `prod`, `test`, `off`, or the path of your own TOML file (it starts from "
        '`dev`, or from `extends = "prod"`)',
        env="WF_LOG_PRESET",
        in_files=False,
    )
    enabled: bool = _row(
        bool,
        True,
        checks.flag,
        "`False` turns all logging off; in the environment `false`, `0`, `off` or `no` does, "
        "whatever else says",
        env="WORKFLOW_LOGGING",
        from_env=checks.from_env_switch,
    )
    level: str = _row(
        str,
        "debug",
        checks.level,
        "lowest level written (or a number such as `logging.INFO`)",
        env="WF_LOG_LEVEL",
        choices=tuple(LEVELS),
    )
    console: bool = _row(bool, True, checks.flag, "rich console on stderr")
    stdout: bool = _row(bool, False, checks.flag, "NDJSON on stdout")
    file: str | None = _row(
        str,
        None,
        checks.path,
        "NDJSON file; appended to, created with its directory",
        env="WF_LOG_FILE",
    )
    doc_dir: str | None = _row(
        str,
        None,
        checks.path,
        "where each finished workflow's document is written",
        env="WF_LOG_DOC_DIR",
    )
    capture: bool = _row(bool, False, checks.flag, "keep events in memory (`wf_structlog.testing`)")
    strict: bool = _row(bool, True, checks.flag, "scope misuse raises `ScopeError`")
    processors: tuple[Processor, ...] = _row(
        list,
        (),
        checks.processors,
        'your processors, run before redaction (in TOML: `"package.module:name"` strings)',
    )
    redact_keys: tuple[str, ...] = _row(
        list,
        (),
        checks.names,
        "more key names to redact (matched like the built-in ones, in any casing)",
    )
    redact_patterns: tuple[tuple[str, str], ...] = _row(
        dict,
        (),
        checks.patterns,
        "more regexes for secrets inside strings: `{name: regex}` (a TOML table), or a list",
    )
    redact_functions: tuple[TextRedactor, ...] = _row(
        list,
        (),
        checks.redact_functions,
        'your `(text: str) -> str` redaction functions (in TOML: `"package.module:name"`)',
    )
    redact_disable: tuple[str, ...] = _row(
        list,
        (),
        checks.names,
        "built-in rules (`named_api_key`, ...: see Secrets) or key names to turn off, by name",
    )
    max_value_chars: int = _row(
        int, DEFAULT_MAX_VALUE_CHARS, checks.chars, "longest string kept whole"
    )
    max_event_chars: int = _row(
        int, DEFAULT_MAX_EVENT_CHARS, checks.chars, "characters of long strings kept per event"
    )
    payload_files: bool = _row(
        bool, False, checks.flag, "also write cut strings whole next to `file`"
    )
    file_mode: int = _row(
        int, 0o600, checks.file_mode, "permission bits of the files created", shown=oct
    )
    traceback_locals: bool = _row(
        bool,
        False,
        checks.flag,
        "logged exceptions carry each frame's local variables, redacted like any value",
    )
    threads: str = _row(
        str,
        "auto",
        _one_of(*THREAD_MODES),
        "`auto`: pools and threads carry the caller's scope; `explicit`: only `wrap` and "
        "`ContextThreadPoolExecutor` do",
        env="WF_LOG_THREADS",
        choices=THREAD_MODES,
    )
    non_blocking: bool = _row(
        bool, False, checks.flag, "a bounded queue and a writer thread in front of the outputs"
    )
    queue_size: int = _row(int, 10_000, checks.positive, "how many events that queue holds")
    when_full: str = _row(
        str,
        "block",
        _one_of(*WHEN_FULL),
        "`block`: wait for room; `drop`: count, and log the count",
        choices=WHEN_FULL,
    )
    fsync: str = _row(
        str,
        "never",
        _one_of(*FSYNC_MODES),
        "when the NDJSON file is synced to disk: never, at each scope end, or each event",
        env="WF_LOG_FSYNC",
        choices=FSYNC_MODES,
    )
    stdlib: bool = _row(
        bool,
        False,
        checks.flag,
        "records of the standard `logging` module become events (on under `prod`)",
    )
    stdlib_actions: bool = _row(
        bool,
        False,
        checks.flag,
        "`logging` records inside an interaction are its actions (by default: events of its "
        "iteration)",
    )
    instrument: tuple[str, ...] = _row(
        list,
        (),
        checks.sdks,
        "LLM SDKs and agent frameworks logged by themselves: `openai`, `anthropic`, "
        "`google_genai`, `openai_agents`, `langchain`, `litellm`, `pydantic_ai` "
        "(comma-separated in the environment)",
        env="WF_LOG_INSTRUMENT",
    )
    prices: tuple[tuple[str, ModelPrice], ...] = _row(
        str,
        (),
        checks.prices,
        "prices of models over the shipped table: a mapping, or a TOML or JSON file",
        env="WF_LOG_PRICES",
    )
    otlp: bool = _row(
        bool,
        False,
        checks.flag,
        "without a tracer provider of yours, export runs as OpenTelemetry spans over "
        "OTLP/HTTP, where the `OTEL_*` variables say",
        env="WF_LOG_OTLP",
        from_env=checks.from_env_flag,
    )
    sinks: tuple[Sink, ...] = _row(
        list,
        (),
        checks.sinks,
        "your outputs: objects with `emit`, `flush` and `close` that get every finished "
        "event (see [Your own outputs](#your-own-outputs))",
        in_files=False,
    )


def _rows() -> tuple[Setting, ...]:
    rows = []
    for field in dataclasses.fields(Settings):
        kind, check, doc, more = field.metadata["row"]
        rows.append(Setting(field.name, kind, field.default, check, doc, **more))
    return tuple(rows)


SETTINGS: Final = _rows()
"""Every setting, in the order of the table."""

TOML_TYPES: Final = {row.name: row.kind for row in SETTINGS if row.in_files}
"""The settings a preset file may hold, and the TOML type of each."""

ENVIRONMENT: Final = {row.env: row for row in SETTINGS if row.env is not None}
"""Each environment variable that sets a setting, and its row."""

_TYPE_NAMES: Final = {bool: "bool", str: "str", int: "int", list: "list", dict: "table"}


def _default(row: Setting) -> str:
    if row.default is None or row.default == ():
        return ""
    return f"`{row.shown(row.default)}`".replace("'", "")


def settings_table_markdown() -> str:
    """The table of settings in Markdown, as the README shows it."""
    lines = [
        "| argument | environment | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for row in SETTINGS:
        kind = " \\| ".join(f"`{c}`" for c in row.choices) or _TYPE_NAMES[row.kind]
        env = f"`{row.env}`" if row.env else ""
        lines.append(f"| `{row.name}` | {env} | {kind} | {_default(row)} | {row.doc} |")
    return "\n".join(lines) + "\n"
