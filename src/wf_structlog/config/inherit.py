"""The settings a child process takes from its parent, so that it logs as the parent does.

A carrier (:func:`wf_structlog.carrier`, or a function from :func:`wf_structlog.wrap`) pickled
to a process started by ``spawn`` or ``forkserver`` takes the parent's settings along, as a
pickle of its own: the parent's level, outputs, redaction and the rest then apply in the child
from its first logging call, unless the child calls ``configure()`` itself. Your own sinks
stay behind (they hold the parent's files and threads).

Only a pickle carries them: a carrier that arrives as text (HTTP headers, the environment)
names a scope and nothing else, so nobody outside can choose where a process writes. What a
pickle carries is what unpickling the carrier runs anyway.
"""

from __future__ import annotations

import dataclasses
import pickle

from .._runtime.state import STATE
from .settings import Settings

__all__ = ["carry", "from_parent"]


def carry(settings: Settings) -> None:
    """Make *settings* what carriers pickled from now on take to a child process."""
    try:
        STATE.portable = pickle.dumps(dataclasses.replace(settings, sinks=()))
        STATE.unportable = ""
    except Exception as exc:  # a processor or redaction function that pickle cannot name
        STATE.portable = None
        STATE.unportable = f"{type(exc).__name__}: {exc}"[:200]


def from_parent() -> Settings | None:
    """The settings a carrier brought from the parent process, once; ``None`` if none did.

    Raises:
        Exception: what unpickling raised (a processor of the parent's that cannot be
            imported here).
    """
    inherited, STATE.inherited = STATE.inherited, None
    if inherited is None:
        return None
    settings = pickle.loads(inherited)
    return settings if isinstance(settings, Settings) else None
