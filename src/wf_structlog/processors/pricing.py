"""``AddCost``: a ``cost`` on every ``llm_call`` with a model and token counts, whoever logged
it (instrumentation, ``log_llm_call``, a framework, a plain ``log.info``).

An event that brings its own ``cost`` keeps it (and its ``cost_source``, ``provider`` when the
API reported it). A call no table prices keeps ``cost`` absent: readers count it as unpriced.
"""

from __future__ import annotations

from typing import Any, Final

from ..cost import ModelPrice, cost_of, lookup
from ..typing import EventDict

__all__ = ["LLM_CALL", "AddCost"]

LLM_CALL: Final = "llm_call"
"""The event name of an LLM call, whoever logs it."""

_UNPRICED_LIMIT: Final = 1024


class AddCost:
    """Price each ``llm_call`` that has none, from the user's prices, then the shipped table.

    Args:
        prices: the ``prices`` setting, searched before the shipped table.
    """

    def __init__(self, prices: tuple[tuple[str, ModelPrice], ...] = ()) -> None:
        self._prices = dict(prices)
        # Model names no table prices (a local model): both tables are fixed for this
        # processor's life, so each is looked up once, not on every call.
        self._unpriced: set[tuple[object, object]] = set()

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        # One dict lookup and a comparison for every other event: this runs on each line.
        event = event_dict.get("event")
        if event.__class__ is not str or event != LLM_CALL or event_dict.get("cost") is not None:
            return event_dict
        names: tuple[object, object] | None = (
            event_dict.get("response_model"),
            event_dict.get("model"),
        )
        try:
            if names in self._unpriced:
                return event_dict
        except TypeError:  # a model that is no name (a dict): nothing to remember
            names = None
        cost = cost_of(event_dict, self._prices)
        if cost is not None:
            event_dict.update(cost.fields())
        elif names is not None and lookup(names, self._prices) is None:
            if len(self._unpriced) >= _UNPRICED_LIMIT:
                self._unpriced.clear()
            self._unpriced.add(names)
        return event_dict

    def __repr__(self) -> str:
        return f"AddCost({len(self._prices)} user prices)"
