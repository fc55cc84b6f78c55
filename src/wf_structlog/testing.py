"""Helpers for asserting on what your agents logged.

::

    from wf_structlog.testing import capture

    def test_planner_logs_its_call():
        with capture() as logs:
            run_planner()
        assert [e["event"] for e in logs.events] == [...]
        assert logs.documents[0]["status"] == "ok"

Budgets, the way a test states them (every overrun is listed when one fails)::

    with capture() as logs:
        run_planner()
    logs.budget(cost=0.05, tokens=10_000, tool_calls={"search": 3}, errors=0,
                agents={"planner": {"cost": 0.01}})

Under pytest, ``wf_capture.baseline()`` holds the run to the numbers kept in a baseline file
(see :mod:`wf_structlog.pytest_plugin`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ._budget import BudgetExceededError, measure, over_budget
from ._runtime.state import CURRENT, STATE, ensure_configured
from .config import apply, current_settings, reset, resolve
from .config.apply import close_left_sinks
from .outputs.sinks import MemorySink
from .reading.reducer import reduce
from .scopes.hierarchy import close_implicit
from .typing import EventDict

__all__ = ["BudgetExceededError", "Capture", "assert_within", "capture", "events", "measure"]


class Capture:
    """Events kept by the test preset, and the documents they reduce to."""

    def __init__(self, sink: MemorySink) -> None:
        self._sink = sink
        self.on_baseline: Callable[[Mapping[str, float], float], None] | None = None
        """Set by the pytest plugin: checks (or records) a measure against the baseline."""

    @property
    def events(self) -> list[EventDict]:
        """Every event written since the capture began, after the whole chain (redacted)."""
        return self._sink.events

    @property
    def documents(self) -> list[dict[str, Any]]:
        """The workflow documents the captured events reduce to."""
        return reduce(self._sink.events)

    def measure(self) -> dict[str, float]:
        """What the captured runs used (see :func:`measure`)."""
        return measure(self.documents)

    def budget(self, **limits: Any) -> None:
        """Fail if the captured runs used more than *limits* allow.

        Args:
            **limits: as for :func:`assert_within`.

        Raises:
            BudgetExceededError: listing every limit exceeded.
        """
        assert_within(self.documents, **limits)

    def baseline(self, tolerance: float = 0.1) -> None:
        """Fail if the captured runs used more than the baseline file says, by more than
        *tolerance* (0.1 is 10%); ``pytest --wf-baseline update`` writes the file instead.

        Args:
            tolerance: how much growth is allowed (errors may not grow at all).

        Raises:
            BudgetExceededError: listing every number that grew too much.
            RuntimeError: not under the pytest plugin's ``wf_capture`` fixture.
        """
        if self.on_baseline is None:
            raise RuntimeError("baseline() needs the wf_capture fixture of the pytest plugin")
        self.on_baseline(self.measure(), tolerance)

    def clear(self) -> None:
        """Forget the events captured so far."""
        self._sink.events.clear()


@contextmanager
def capture(**overrides: Any) -> Iterator[Capture]:
    """Configure the ``test`` preset for the block, then restore what was configured before.

    Args:
        **overrides: as for :func:`wf_structlog.configure` (``level``, ``file``, ...).

    The environment (``WF_LOG_*``, ``WORKFLOW_LOGGING``, ``TRACEPARENT``) is ignored, so a
    test captures the same on every machine. Scopes are cleared inside the block, and implicit
    ones closed at both ends, so a test neither sees nor leaves behind another's scopes.
    """
    previous = current_settings() if STATE.configured else None
    close_implicit()
    token = CURRENT.set(None)
    root, STATE.root = STATE.root, None
    captured = resolve("test", {}, **overrides)
    apply(captured)
    assert isinstance(STATE.memory, MemorySink)
    try:
        yield Capture(STATE.memory)
    finally:
        close_implicit()
        CURRENT.reset(token)
        if previous is not None:
            apply(previous)  # the program's own sinks were lent, not closed
            close_left_sinks(captured, previous)
            STATE.root = root
        else:
            reset()


def events() -> list[EventDict]:
    """Events kept in memory by the configuration in force (the ``test`` preset keeps them)."""
    ensure_configured()
    return STATE.memory.events if isinstance(STATE.memory, MemorySink) else []


def assert_within(
    documents: Iterable[Mapping[str, Any]],
    *,
    tool_calls: Mapping[str, int] | None = None,
    agents: Mapping[str, Mapping[str, float]] | None = None,
    **limits: float,
) -> None:
    """Fail if the runs in *documents* used more than the limits given.

    Args:
        documents: workflow documents (sub-workflows nested in them count).
        tool_calls: the most calls of each tool (events with a ``tool`` key).
        agents: per agent, the most ``cost``, ``tokens``, ``calls`` or ``errors``.
        **limits: the most ``cost`` (dollars), ``tokens``, ``input_tokens``,
            ``output_tokens``, ``calls``, ``errors`` or ``duration_ms``, in total.

    Raises:
        BudgetExceededError: listing every limit exceeded, with what was used.
        TypeError: a limit that is not one of these.
    """
    unknown = set(limits) - _TOTALS
    if unknown:
        raise TypeError(f"unknown budget {sorted(unknown)}; give some of {sorted(_TOTALS)}")
    flat = dict(limits)
    flat.update((f"tool_calls.{tool}", most) for tool, most in (tool_calls or {}).items())
    for agent, most in (agents or {}).items():
        flat.update((f"agents.{agent}.{key}", value) for key, value in most.items())
    over = over_budget(measure(documents), flat)
    if over:
        raise BudgetExceededError("the run went over its budget:\n" + "\n".join(over))


_TOTALS = frozenset(
    {"cost", "tokens", "input_tokens", "output_tokens", "calls", "errors", "duration_ms"}
)
