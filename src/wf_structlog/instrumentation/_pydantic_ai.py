"""PydanticAI's agent runs as our scopes; their model requests and tool calls as actions.

``Agent.iter`` is wrapped: every way to run an agent (``run``, ``run_sync``, ``run_stream``,
``run_stream_events``, ``iter`` itself) goes through it, in the caller's task.

- A run is an interaction named after the agent (``agent`` when it has no name), with the
  prompt as ``input`` and the run's output as ``output``; a run outside any workflow opens one,
  named after the agent too. The scopes are current while the run goes on, so an agent run
  from a tool nests its interaction in the calling agent's, and with live spans PydanticAI's
  own spans (``invoke_agent``, ``chat``, ``execute_tool``) are children of the interaction's.
- A capability of ours (PydanticAI's hooks for a run, added to the run's ``capabilities``)
  logs each model request as one ``llm_call`` (provider, model requested and answering,
  prompt, reply, tool calls asked for, tokens) and each tool execution as a ``tool_call``
  action (``tool``, ``input``, ``output``, ``tool_call_id``, ``status``, ``duration_ms``; a
  tool that raised at ``error`` level, with ``error`` and ``error_type``).
- The SDK that a PydanticAI model calls (openai, anthropic, google-genai) is not logged a
  second time: inside a model request we log, the SDK instrumentations stand aside
  (:data:`_call.QUIET`). PydanticAI's instrumentation is the outermost of a run's
  capabilities: its ``chat`` span encloses our call, which then makes no span of its own.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar, Final

from pydantic_ai.capabilities import AbstractCapability

from .. import schema
from .._runtime import faults as _faults
from .._runtime.logger import get_logger
from .._runtime.scope import started_enabled
from ..scopes.hierarchy import InteractionScope, WorkflowScope, current_scope, workflow_of
from . import _call, _openai
from ._patch import Target
from ._pydantic_ai_fields import prompt, response_fields

NAME: Final = "pydantic_ai"

_RUN: Final[contextvars.ContextVar[_Observer | None]] = contextvars.ContextVar(
    "wf_structlog_pydantic_ai_run", default=None
)
"""The run this context is in, if any (set by ``iter`` in the caller's task: its model
requests are made in tasks of their own, and a streamed one is read in the caller's)."""

_DEFERRED: Final = frozenset({"CallDeferred", "ApprovalRequired"})
"""Exceptions by which a tool defers its call (to a person, to later): no failure."""


@functools.cache
def _api(provider: str) -> _call.Api:
    """A model request of PydanticAI's to *provider* (its model's ``system``: ``openai``...)."""
    return _call.Api(
        provider=provider,
        endpoint=NAME,
        request_id_header="",  # PydanticAI keeps no response headers
        request=_call.request_fields("messages"),
        response=response_fields,
        fold=_openai.CHAT.fold,  # never used: a streamed request is read from its response
    )


def _begin(request: Any) -> _call.LLMCall | None:
    """The call a model request (a ``ModelRequestContext``) is, timed from now."""
    model = request.model
    kwargs = {
        **(request.model_settings or {}),
        "model": model.model_name,
        "messages": prompt(request.messages),
    }
    call = _call.begin_call(_api(str(model.system)), None, kwargs)
    if call is not None and getattr(request, "streaming", False):
        call.streaming = True
    return call


def _tool_logged(call: Any, args: Any, t0: float, output: Any, error: BaseException | None) -> None:
    """Log a tool's execution (*call*: PydanticAI's ``ToolCallPart``) as a ``tool_call``."""
    if not started_enabled():
        return
    fields: dict[str, Any] = {"tool": call.tool_name, "input": args}
    fields["tool_call_id"] = call.tool_call_id
    failed = error is not None and type(error).__name__ not in _DEFERRED
    if error is None:
        fields.update(output=output, status=schema.STATUS_OK)
    elif not failed:
        fields["status"] = "deferred"
    else:
        fields.update(status=_call.status_of(error), error=str(error))
        fields["error_type"] = type(error).__qualname__
    fields["duration_ms"] = round((time.perf_counter() - t0) * 1000, 3)
    log = get_logger()
    (log.error if failed else log.info)("tool_call", **fields)


def _guarded(what: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:
        _faults.report(f"instrument:{NAME}", f"logging {what} failed ({exc!r}); it went on")


@dataclasses.dataclass
class _Observer(AbstractCapability[Any]):
    """Our hooks in one run: each model request an ``llm_call``, each tool a ``tool_call``."""

    # Observing only, it may be added to a run of a durable agent (Temporal, DBOS, Prefect),
    # which refuses other capabilities added at run time: a refusal would stop the program.
    _safe_at_runtime: ClassVar[bool] = True

    requests: int = 0
    """The model requests in flight (while one is, the SDK calls in this run are its own)."""

    async def wrap_model_request(
        self, ctx: Any, *, request_context: Any, handler: Callable[[Any], Any]
    ) -> Any:
        """The request, logged as one call when its response (or failure) comes."""
        call = None
        with _call.guard(_api(NAME)):
            call = _begin(request_context)
        self.requests += 1  # one event loop runs the run: no lock needed
        try:
            response = await handler(request_context)
        except BaseException as exc:
            if call is not None:
                call.failed(exc)
            raise
        finally:
            self.requests -= 1
        if call is not None:
            with _call.guard(call.api):
                call.end(schema.STATUS_OK, response_fields(response))
        return response

    async def wrap_tool_execute(
        self, ctx: Any, *, call: Any, tool_def: Any, args: Any, handler: Callable[[Any], Any]
    ) -> Any:
        """The tool's execution, logged as one action when it returns or raises."""
        t0 = time.perf_counter()
        try:
            output = await handler(args)
        except BaseException as exc:
            error = exc  # the name ``exc`` is gone after the block; the lambda runs inside it
            _guarded("a tool call", lambda: _tool_logged(call, args, t0, None, error))
            raise
        _guarded("a tool call", lambda: _tool_logged(call, args, t0, output, None))
        return output


@contextlib.contextmanager
def _run_scopes(agent: Any, asked: Any) -> Iterator[InteractionScope]:
    """The agent's interaction (in a workflow of its own when none is open), current inside."""
    name = str(agent.name or "agent")
    with contextlib.ExitStack() as scopes:
        if workflow_of(current_scope()) is None:
            scopes.enter_context(WorkflowScope(name, {}))
        yield scopes.enter_context(InteractionScope(name, asked, {}))


def _wrap_iter(original: Callable[..., Any]) -> Callable[..., Any]:
    @contextlib.asynccontextmanager
    async def iter(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        asked = args[0] if args else kwargs.get("user_prompt")
        observer = _Observer()
        kwargs["capabilities"] = [*(kwargs.get("capabilities") or ()), observer]
        token = _RUN.set(observer)
        try:
            with _run_scopes(self, asked) as turn:
                async with original(self, *args, **kwargs) as run:
                    yield run
                if run.result is not None:
                    turn.output = run.result.output
        finally:
            with contextlib.suppress(ValueError):  # exited from another context: not ours to reset
                _RUN.reset(token)

    functools.update_wrapper(iter, original)
    setattr(iter, _call.ORIGINAL, original)
    return iter


TARGETS: Final = (Target("pydantic_ai.agent", "Agent", "iter", _wrap_iter),)
"""``Agent.iter``, which every run of an agent goes through."""


def inside() -> bool:
    """Whether this context is in a run whose model request we are logging (then the SDK's
    call is that request, not logged a second time)."""
    run = _RUN.get()
    return run is not None and run.requests > 0
