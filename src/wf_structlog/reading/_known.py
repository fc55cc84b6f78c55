"""What :meth:`~wf_structlog.reading.reducer.Reducer.read` knows of each set of keys it meets,
worked out once for all the events that have them: the checker's shape of them, the keeper's,
and how to get at once the keys an event in an interaction is placed by."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

from ._kept import Keeper
from ._kept import Shape as KeptShape
from ._shape import Checker, Shape

__all__ = ["PLACING", "Known", "known"]

PLACING: Final = ("workflow_id", "pid", "seq", "event", "interaction_id")
"""The keys that place an event in an interaction, in the order :attr:`Known.placing` gives."""
_PLACING_KEYS: Final = operator.itemgetter(*PLACING)


class Known(NamedTuple):
    """The shapes of one set of keys: the checker's (``None`` when trusted), the keeper's,
    and what gets the :data:`PLACING` keys, if the events are checked and have them all."""

    checked: Shape | None
    kept: KeptShape
    placing: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None


def known(keys: tuple[str, ...], checker: Checker | None, keeper: Keeper) -> Known:
    """What is known of the events with *keys*.

    Args:
        keys: an event's keys, in order.
        checker: the reader's checker, ``None`` if its events are trusted.
        keeper: the reader's keeper.
    """
    checked = None if checker is None else checker.shape(keys)
    # Only checked events are placed inline: their keys' types are known.
    placing = None if checked is None or not set(PLACING).issubset(keys) else _PLACING_KEYS
    return Known(checked, keeper.shape(keys), placing)
