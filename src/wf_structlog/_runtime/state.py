"""Process-wide runtime state: the active chain and sinks, and the current scope per context."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Settings
    from ..outputs.sinks import MemorySink
    from ..scopes.hierarchy import Scope
    from ..typing import Processor, Sink


class _State:
    """What :func:`wf_structlog.configure` decided; read on every logging call."""

    __slots__ = (
        "chain",
        "configured",
        "enabled",
        "lock",
        "memory",
        "min_level",
        "pid",
        "root",
        "settings",
        "sinks",
        "strict",
    )

    def __init__(self) -> None:
        self.configured = False
        self.enabled = True
        self.strict = False
        self.min_level = 10
        self.chain: tuple[Processor, ...] = ()
        self.sinks: tuple[Sink, ...] = ()
        self.memory: MemorySink | None = None
        self.settings: Settings | None = None
        self.lock = threading.RLock()
        self.pid = os.getpid()
        self.root: Scope | None = None
        """The scope a process continues when started with a carrier in its environment."""

    def _after_fork_in_child(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.RLock()


STATE = _State()
os.register_at_fork(after_in_child=STATE._after_fork_in_child)

CURRENT: ContextVar[Scope | None] = ContextVar("wf_structlog_scope", default=None)
"""The innermost open scope of the running thread or asyncio task."""


def current() -> Scope | None:
    """The innermost open scope here, else the scope the process was attached to, if any."""
    return CURRENT.get() or STATE.root


class ConfigHooks:
    """What the configuration layer lends the runtime beneath it: the runtime never imports
    configuration (that import would run up the layers), so :mod:`wf_structlog.config`
    installs these when it is imported, and ``wf_structlog`` always imports it."""

    __slots__ = ("change_level", "first_use")

    def __init__(self) -> None:
        self.first_use: Callable[[], object] = lambda: None
        """Configure from the environment (:func:`ensure_configured` calls it once)."""
        self.change_level: Callable[[str | int], object] = _not_installed
        """Change the level of every logger (``wf_structlog.config.change_level``)."""


def _not_installed(level: str | int) -> None:
    raise RuntimeError("wf_structlog.config is not imported: import wf_structlog")


HOOKS = ConfigHooks()


def ensure_configured() -> None:
    """Configure from the environment on first use (the zero-configuration path)."""
    if STATE.configured:
        return
    with STATE.lock:
        if not STATE.configured:
            HOOKS.first_use()
