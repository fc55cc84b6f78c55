"""Process-wide runtime state: the active chain and sinks, and the current scope per context."""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from .forksafe import renew_owners

if TYPE_CHECKING:
    from ..typing import Finisher, Processor, Sink
    from .hooks import Listener
    from .scope import Scope


class _State:
    """All the process state of wf_structlog, in one place, with one fork hook.

    The first fields are what :func:`wf_structlog.configure` decided, read on every logging
    call; the rest is what the running program built (open scopes, sequence numbers, the
    problems already reported). In a forked child, :meth:`_after_fork_in_child` renews the
    locks, forgets what belongs to the parent, and renews every owner registered with
    :func:`~wf_structlog._runtime.forksafe.renew_after_fork` (sinks, the writer thread).
    """

    __slots__ = (
        "chain",
        "configured",
        "doc_dir",
        "enabled",
        "exit_installed",
        "exiting",
        "file_mode",
        "finishing",
        "implicit",
        "inherited",
        "joined",
        "listeners",
        "lock",
        "memory",
        "min_level",
        "named",
        "named_loggers",
        "next_seq",
        "pid",
        "portable",
        "reported",
        "reported_lock",
        "root",
        "roots",
        "settings",
        "sinks",
        "stoppers",
        "strict",
        "structure",
        "taps",
        "unportable",
    )

    def __init__(self) -> None:
        self.configured = False
        self.enabled = True
        self.strict = False
        self.min_level = 10
        self.chain: tuple[Processor, ...] = ()
        self.finishing: tuple[tuple[Processor, ...], Finisher] | None = None  # install_chain
        self.sinks: tuple[Sink, ...] = ()
        self.taps: tuple[Sink, ...] = ()
        """Sinks that see every event before the configured ones (the legacy API's)."""
        self.listeners: tuple[Listener, ...] = ()
        """Told of each scope and call as it starts and ends (see ``hooks``)."""
        self.memory: Sink | None = None
        """The capture sink of the ``test`` preset (a ``MemorySink``), if configured."""
        self.settings: object | None = None
        """The ``Settings`` in force, opaque here: the runtime never reads them; the values it
        needs are fields of their own (``min_level``, ``doc_dir``...)."""
        self.portable: bytes | None = None
        """The settings in force, pickled, for the carriers that go to child processes (see
        ``propagation``); ``None`` when they cannot be pickled, and :attr:`unportable` says why."""
        self.unportable = ""
        self.inherited: bytes | None = None
        """Settings a carrier brought from the parent process: what first use applies here."""
        self.doc_dir: str | None = None
        self.file_mode = 0o600
        """The mode of the files created (the legacy ``WorkflowLogger``'s documents)."""
        self.lock = threading.RLock()
        """Guards configuration changes."""
        self.structure = threading.RLock()
        """Guards structural changes of scopes (opening, closing, implicit scopes): rare."""
        self.pid = os.getpid()
        self.root: Scope | None = None
        """The scope a process continues when started with a carrier in its environment."""
        self.roots: dict[Scope, None] = {}
        """Open scopes whose parent is in another process (or that have none): what exit closes."""
        self.exiting = False
        self.implicit: Scope | None = None
        """The workflow that scopes opened outside any workflow go into."""
        self.named: dict[str, Scope] = {}
        """The open run of each named workflow (``set_current_workflow``)."""
        self.named_loggers: dict[str, object] = {}
        """The logger of each named workflow (``get_workflow_logger``)."""
        self.next_seq = itertools.count(1).__next__
        self.reported: set[str] = set()
        self.reported_lock = threading.Lock()
        """Problems already said on stderr (each is said once)."""
        self.joined: dict[str, None] = {}
        """OpenTelemetry traces a workflow already joined."""
        self.exit_installed = False
        self.stoppers: weakref.WeakSet[Stoppable] = weakref.WeakSet()
        """Owners of writer threads, stopped at exit."""

    def _after_fork_in_child(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.RLock()
        self.structure = threading.RLock()
        self.reported_lock = threading.Lock()
        self.roots.clear()  # the parent's scopes are the parent's to close
        self.next_seq = itertools.count(1).__next__  # numbers pair with the child's own pid
        renew_owners()


class Stoppable(Protocol):
    """An owner of a writer thread, stopped at exit."""

    def stop(self) -> None: ...


STATE = _State()
os.register_at_fork(after_in_child=STATE._after_fork_in_child)
"""The one fork hook of the package."""

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
