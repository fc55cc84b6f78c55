"""Fork safety: a forked child gets fresh locks, queues and writers, never the parent's.

Only the thread that called ``fork`` exists in the child. A lock another thread held at that
moment would stay locked there forever, and a queue would hold events the parent still owns.
Objects that own such state register here and rebuild it in the child.
"""

from __future__ import annotations

import weakref
from typing import Protocol


class _Renewable(Protocol):
    def _after_fork(self) -> None: ...


_owners: weakref.WeakSet[_Renewable] = weakref.WeakSet()


def renew_after_fork(owner: _Renewable) -> None:
    """Call ``owner._after_fork()`` in every child forked while *owner* is alive."""
    _owners.add(owner)


def renew_owners() -> None:
    """Renew every registered owner (run by the package's one fork hook, in the child)."""
    for owner in list(_owners):
        owner._after_fork()
