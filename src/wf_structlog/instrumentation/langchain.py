"""LangChain and LangGraph runs logged as our scopes, by a LangChain callback handler.

::

    from wf_structlog.instrumentation.langchain import WfCallbackHandler

    graph.invoke(inputs, config={"callbacks": [WfCallbackHandler()]})   # this run

    wf_structlog.configure(instrument=["langchain"])                      # every run

A graph or chain run outside any workflow opens one; each LangGraph node is an interaction;
each model call an ``llm_call``, each tool call a ``tool_call`` action (see
:mod:`wf_structlog.instrumentation._langchain` for the whole mapping). Needs ``langchain-core``
(``pip install 'wf-structlog[langchain]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from ._langchain import TRACKER, quiet_sdks

__all__ = ["WfCallbackHandler"]


def _name(serialized: dict[str, Any] | None, kwargs: dict[str, Any], default: str) -> str:
    """A run's name: the one LangChain gives it, else its serialized name."""
    name = kwargs.get("name") or (serialized or {}).get("name")
    if not name and serialized and serialized.get("id"):
        name = serialized["id"][-1]
    return str(name or default)


class WfCallbackHandler(BaseCallbackHandler):
    """Log LangChain and LangGraph runs as wf_structlog workflows, interactions and actions.

    Pass one in a run's ``callbacks`` (``config={"callbacks": [WfCallbackHandler()]}``), or
    turn on ``instrument=["langchain"]`` to have one in every run. Two handlers of ours on one
    run log it once. Logging never breaks the run: a failure is said once on stderr.
    """

    run_inline = True
    """Called in the run's own thread or task, in order, never in an executor: the SDK call a
    model run makes is then known to be that run's (and not logged a second time)."""

    def __init__(self) -> None:
        super().__init__()
        self.active = True
        """Whether this handler logs; ``uninstrument("langchain")`` turns the one it added off."""
        quiet_sdks()

    # -- chains, graphs and their nodes ------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any],
        inputs: dict[str, Any],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A chain, graph or node starts."""
        if self.active:
            name = _name(serialized, kwargs, "chain")
            agent = ((serialized or {}).get("id") or [None])[-1] == "AgentExecutor"
            args = (run_id, parent_run_id, name, inputs, metadata or {}, tags or [], agent)
            TRACKER.guard("a chain", TRACKER.chain_start, *args)

    def on_chain_end(self, outputs: dict[str, Any], *, run_id: UUID, **kwargs: Any) -> None:
        """A chain, graph or node ends."""
        if self.active:
            TRACKER.guard("a chain", TRACKER.chain_end, run_id, outputs, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A chain, graph or node raised."""
        if self.active:
            TRACKER.guard("a chain", TRACKER.chain_end, run_id, None, error)

    # -- the legacy AgentExecutor's steps ----------------------------------------------------

    def on_agent_action(self, action: AgentAction, *, run_id: UUID, **kwargs: Any) -> None:
        """An ``AgentExecutor``'s agent chose a tool to call."""
        if self.active:
            fields = {"action": action.tool, "input": action.tool_input, "thought": action.log}
            TRACKER.guard("an agent step", TRACKER.agent_step, run_id, "agent_action", fields)

    def on_agent_finish(self, finish: AgentFinish, *, run_id: UUID, **kwargs: Any) -> None:
        """An ``AgentExecutor``'s agent gave its final answer."""
        if self.active:
            fields = {"output": finish.return_values, "thought": finish.log}
            TRACKER.guard("an agent step", TRACKER.agent_step, run_id, "agent_finish", fields)

    # -- model calls -------------------------------------------------------------------------

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A chat model is called (with one list of messages: LangChain makes a run of each)."""
        if self.active:
            params = kwargs.get("invocation_params") or {}
            args = (run_id, parent_run_id, messages[0] if messages else [], params, metadata or {})
            TRACKER.guard("a model call", TRACKER.model_start, *args)

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A text-completion model is called (with one prompt)."""
        if self.active:
            params = kwargs.get("invocation_params") or {}
            args = (run_id, parent_run_id, prompts[0] if prompts else "", params, metadata or {})
            TRACKER.guard("a model call", TRACKER.model_start, *args)

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A streamed token arrived."""
        if self.active:
            TRACKER.guard("a model call", TRACKER.model_token, run_id, token)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call ended."""
        if self.active:
            TRACKER.guard("a model call", TRACKER.model_end, run_id, response, None)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A model call failed (or its stream was stopped)."""
        if self.active:
            TRACKER.guard("a model call", TRACKER.model_end, run_id, None, error)

    # -- tools and retrievers ----------------------------------------------------------------

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool starts, with *inputs* (else *input_str*)."""
        if self.active:
            name = _name(serialized, kwargs, "tool")
            given = inputs if inputs is not None else input_str
            args = (run_id, parent_run_id, "tool", name, given, kwargs.get("tool_call_id"))
            TRACKER.guard("a tool call", TRACKER.action_start, *args)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """A tool returned *output*."""
        if self.active:
            TRACKER.guard("a tool call", TRACKER.action_end, run_id, output, None)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A tool raised."""
        if self.active:
            TRACKER.guard("a tool call", TRACKER.action_end, run_id, None, error)

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """A retriever is asked *query*."""
        if self.active:
            name = _name(serialized, kwargs, "retriever")
            args = (run_id, parent_run_id, "retriever", name, query, None)
            TRACKER.guard("a retrieval", TRACKER.action_start, *args)

    def on_retriever_end(
        self, documents: Sequence[Document], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """A retriever found *documents*."""
        if self.active:
            TRACKER.guard("a retrieval", TRACKER.action_end, run_id, list(documents), None)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A retriever raised."""
        if self.active:
            TRACKER.guard("a retrieval", TRACKER.action_end, run_id, None, error)


_hooked: WfCallbackHandler | None = None
"""The handler ``instrument("langchain")`` puts in every run (LangChain cannot remove one)."""


def install() -> Callable[[], None]:
    """Put our handler in every LangChain run from now on (once per process: LangChain keeps
    its hooks); returns what makes it quiet again."""
    global _hooked
    if _hooked is None:
        handler = WfCallbackHandler()
        # A default, not a value set: every thread and task sees it, from the start. The class
        # makes LangChain leave it out of a run that has a handler of ours already.
        every_run = ContextVar[WfCallbackHandler | None]("wf_structlog_langchain", default=handler)
        register_configure_hook(every_run, True, WfCallbackHandler)
        _hooked = handler
    hooked = _hooked
    hooked.active = True

    def undo() -> None:
        hooked.active = False

    return undo
