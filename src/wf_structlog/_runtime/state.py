"""Process-wide runtime state: the active chain and sinks, and the current scope per context."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cost import ModelPrice
    from ..typing import Processor, Sink
    from .scope import Scope


class _State:
    """What :func:`wf_structlog.configure` decided; read on every logging call."""

    __slots__ = (
        "chain",
        "configured",
        "doc_dir",
        "enabled",
        "lock",
        "memory",
        "min_level",
        "pid",
        "prices",
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
        self.memory: Sink | None = None
        """The capture sink of the ``test`` preset (a ``MemorySink``), if configured."""
        self.settings: object | None = None
        """The ``Settings`` in force, opaque here: the runtime never reads them; the values it
        needs are fields of their own (``min_level``, ``doc_dir``, ``prices``...)."""
        self.doc_dir: str | None = None
        self.prices: tuple[tuple[str, ModelPrice], ...] = ()
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


_configure_on_first_use: Callable[[], object] | None = None


def install_first_use(configure: Callable[[], object]) -> None:
    """Set what the first logging call runs when nothing is configured yet.

    The configuration layer installs its ``configure_from_environment`` when it is imported
    (``import wf_structlog`` imports it), so the runtime never imports the layer above it.
    """
    global _configure_on_first_use
    _configure_on_first_use = configure


def ensure_configured() -> None:
    """Configure from the environment on first use (the zero-configuration path)."""
    if STATE.configured:
        return
    with STATE.lock:
        if not STATE.configured and _configure_on_first_use is not None:
            _configure_on_first_use()
