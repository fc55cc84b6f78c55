"""The colours of agents on the console, distinct for each agent and the same in every process."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Final

__all__ = ["AGENT_COLOURS", "AgentColours", "agent_style"]

_REMEMBERED: Final = 1024
"""How many agents' colours are remembered."""

AGENT_COLOURS: Final = (
    "cyan",
    "magenta",
    "bright_blue",
    "orchid1",
    "dodger_blue1",
    "medium_purple1",
    "bright_cyan",
    "plum1",
    "steel_blue1",
    "bright_magenta",
    "slate_blue1",
    "light_sky_blue1",
)
"""Agents' colours: none is green, yellow or red, which say ok, abandoned and error."""


class AgentColours:
    """Gives agents distinct colours from *palette*, the same for a name wherever possible.

    A name gets the colour its CRC-32 picks (so the same in every process), unless an agent
    seen earlier holds it: then the next free one. Up to ``len(palette)`` agents are thus all
    coloured differently; past that, colours repeat.

    Args:
        palette: the colours to give (rich style names).
    """

    def __init__(self, palette: Sequence[str] = AGENT_COLOURS) -> None:
        self._palette = tuple(palette)
        self._given: dict[str, str] = {}

    def __call__(self, agent: str) -> str:
        """The colour of *agent*."""
        colour = self._given.get(agent)
        return colour if colour is not None else self._give(agent)

    def _give(self, agent: str) -> str:
        palette = self._palette
        first = zlib.crc32(agent.encode("utf-8", "replace")) % len(palette)
        taken = set(self._given.values())
        free = (palette[(first + n) % len(palette)] for n in range(len(palette)))
        colour = next((c for c in free if c not in taken), palette[first])
        # Two threads giving colours at once may both take one: a repeated colour, no more.
        if len(self._given) < _REMEMBERED:
            self._given[agent] = colour
        return colour


agent_style: Final = AgentColours()
"""The colours every console view of this process shares (the sink, ``view``, ``tree``)."""
