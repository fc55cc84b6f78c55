"""Automatic scopes: log LLM calls and get a correct document without writing any ``with``.

:func:`log_llm_call` logs an ``llm_call`` event in an interaction of its ``agent``, opening one
when needed: a call whose agent differs from the automatic interaction it finds ends that one
and opens the next. Automatic interactions go where scopes that open themselves go (an implicit
iteration of the current workflow, or the implicit workflow named after the program), and end
silently with their parent, when the next scope opens beside them, or at exit.
:class:`SimpleWorkflowLogger` does the same inside a workflow of its own, with
``next_iteration()`` and ``finalize()``.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from .._runtime.logger import get_logger
from .._runtime.state import CURRENT, current
from .hierarchy import InteractionScope, IterationScope, WorkflowScope, workflow_of

__all__ = ["SimpleWorkflowLogger", "log_llm_call"]


def log_llm_call(
    *,
    agent: str,
    prompt: Any = None,
    response: Any = None,
    model: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    **fields: Any,
) -> None:
    """Log one LLM call of *agent* as an ``llm_call`` event, in an interaction of that agent.

    Inside an interaction you opened, the event goes there whatever *agent* says. Otherwise
    the automatic interaction of *agent* is used, opened if needed (its ``input`` is the first
    prompt, its ``output`` the last response).

    Args:
        agent: the agent making the call.
        prompt: what was sent to the model.
        response: what came back.
        model: the model's name.
        input_tokens: prompt tokens (summed into the document's ``usage``).
        output_tokens: completion tokens (summed likewise).
        **fields: anything else to log on the event (``temperature``, ``cached_tokens``,
            ...; a ``cost`` of your own, else it is priced like every ``llm_call``).
    """
    enter_interaction(agent, prompt, response)
    given = {
        "model": model,
        "prompt": prompt,
        "response": response,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
    }
    get_logger().info("llm_call", **{k: v for k, v in given.items() if v is not None}, **fields)


def enter_interaction(agent: str, prompt: Any, response: Any) -> None:
    """Make the current scope an interaction: the one open here, else the automatic
    interaction of *agent* (opened if needed, its output set to *response*)."""
    scope = current()
    if not isinstance(scope, InteractionScope) or (scope.implicit and scope.agent != agent):
        scope = InteractionScope(agent, prompt, {})
        scope.mark_implicit()
        scope.start()
    if scope.implicit and response is not None:
        scope.output = response


class SimpleWorkflowLogger:
    """A workflow logged with no ``with``: LLM calls open their interactions themselves.

    Args:
        name: the workflow's name.
        **metadata: its metadata.

    Use it as ``with SimpleWorkflowLogger("research") as wf:`` or call :meth:`finalize`; a
    workflow never finalized ends at exit.
    """

    def __init__(self, name: str, /, **metadata: Any) -> None:
        self._workflow = WorkflowScope(name, metadata).start()
        self._iteration: IterationScope | None = None

    @property
    def workflow(self) -> WorkflowScope:
        """The workflow's scope (its ``id``, ``document_path``, ``add_metadata``, ...)."""
        return self._workflow

    def _enter(self) -> None:
        """Log in this workflow from here on, whatever the calling thread or task was in."""
        if workflow_of(current()) is not self._workflow:
            CURRENT.set(self._iteration or self._workflow)

    def log_llm_call(self, *, agent: str, **fields: Any) -> None:
        """:func:`log_llm_call` in this workflow.

        Args:
            agent: the agent making the call.
            **fields: as for :func:`log_llm_call`.
        """
        self._enter()
        log_llm_call(agent=agent, **fields)

    def next_iteration(self) -> None:
        """End the current iteration (the first is opened by the first call) and start the
        next one."""
        self._enter()
        if self._iteration is not None and self._iteration.is_open:
            self._iteration.end()
        self._iteration = IterationScope(None, {})
        self._iteration.mark_implicit()  # ends with the workflow, like the first one
        self._iteration.start()

    def finalize(self, status: str | None = None) -> None:
        """End the workflow and everything still open in it; calling it again does nothing.

        Args:
            status: the workflow's status (default ``"ok"``).
        """
        if self._workflow.is_open:
            self._workflow.end(status)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._workflow.is_open:
            self._workflow._finish(None, e)
