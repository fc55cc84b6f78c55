"""The contract between every part: the keys of an event and the shape of a workflow document.

Every event is a flat dict. Keys written by wf_structlog:

========================  =================================================================
``event``                 what happened (the first positional argument of a log call)
``level``                 ``debug``, ``info``, ``warning``, ``error`` or ``critical``
``timestamp``             UTC ISO-8601 with microseconds, e.g. ``2026-11-25T06:41:52.123456Z``
``seq``                   per-process sequence number, starting at 1
``pid``                   id of the process that logged the event
``workflow``              name of the enclosing workflow
``workflow_id``           run id of the enclosing workflow: 32 hex digits (a W3C trace id)
``iteration``             number of the enclosing iteration, 1, 2, ... within its workflow
``iteration_id``          id of the enclosing iteration: 16 hex digits (a W3C span id)
``interaction_id``        id of the enclosing interaction: 16 hex digits
``agent``                 agent of the enclosing interaction
``span_id``               id of the innermost enclosing scope (on a scope's own events: itself)
``parent_span_id``        on scope start and end events: id of the enclosing scope
``attached``              ``true`` on an event (or a scope's start) whose enclosing scope was
                          opened in another process; its end event's ``children`` cannot
                          count it, so readers leave it out of that count
``exception``             ``{type, message, traceback, id}`` when the call passed ``exc_info``;
                          ``id`` is the same on every event describing the one exception
``unserializable``        paths of values that could only be kept as their ``repr``
``processor_errors``      processors that failed on this event; the event kept the rest
``positional_args``       arguments of a log call whose ``%``-format failed
``redaction_failed``      redaction itself failed: only the stream keys were kept
``dropped``               on an ``events_dropped`` warning: how many events a full queue lost;
                          on a scope's end: how many of its own (``children`` counts the rest)
``logger``                on a record of the standard ``logging`` module: its logger's name
``in_interaction``        on such a record logged inside an interaction: that interaction's
                          id (the record is an event of the enclosing iteration)
``action_type``           on an action logged by the legacy ``WorkflowLogger.log_action``
========================  =================================================================

Scope start events (``workflow.start``, ``iteration.start``, ``interaction.start``) may carry
``metadata``, and ``input`` for an interaction, and ``parent_workflow_id`` for a workflow opened
inside another, with ``parent_scope_id``, the id of the scope it was opened in (an interaction,
an iteration, or the other workflow's ``span_id``), in this process or, through
:mod:`wf_structlog.scopes.propagation`, in another; a workflow started inside an active
OpenTelemetry span takes that span's trace id as its id and names the span in
``trace_parent_span_id``. Scope end events carry
``status``, ``duration_ms``, ``children`` (how many events and child scopes were logged
directly in the scope, so a reader can tell a complete scope from one whose events are missing
without trusting clocks), ``output`` for an interaction,
and ``exception`` (``{type, message, traceback, id}``) when an exception escaped. ``metadata``
events add to their scope's metadata; ``resource`` events (``resource``, ``details``) to its
resources. An action of a function decorated with ``action(name)`` is an event named ``name``
with ``input``, ``output`` (absent when it raised), ``status`` and ``duration_ms``. A call of
an instrumented LLM SDK (:mod:`wf_structlog.instrumentation`) is an ``llm_call`` event with
``provider``, ``model``, ``response_model``, ``prompt``, ``response``, the token counts
(``input_tokens``, ``output_tokens``, ``cached_tokens``, ``cache_write_tokens``,
``cache_write_1h_tokens``, ``reasoning_tokens``: normalised as :mod:`wf_structlog.cost.usage`
says), ``service_tier``, ``status``, ``duration_ms``, and where known ``finish_reason``,
``request_id``, ``stream``,
``time_to_first_chunk_ms``, the request's parameters (``temperature``, ``top_p``, ``top_k``,
``max_tokens``, ``frequency_penalty``, ``presence_penalty``, ``seed``, ``stop``, ``choices``)
and, for a failed call, ``error_type``. Every ``llm_call`` with a model and token counts,
whoever logged it, is given ``cost`` (dollars), ``cost_source`` (``provider``, ``table``,
``user``) and, from the shipped table, ``cost_table_date``, unless it brought its own ``cost``
(:mod:`wf_structlog.processors.pricing`); a call no table prices has no ``cost``.
Events outside any scope carry none of the hierarchy keys. The hierarchy keys are reserved:
inside a scope its values replace any the caller passed.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
from typing import Any, Final

import orjson

SCOPE_KINDS: Final = ("workflow", "iteration", "interaction")
"""The hierarchy, outermost first."""

SCOPE_ID_KEYS: Final = {
    "workflow": "workflow_id",
    "iteration": "iteration_id",
    "interaction": "interaction_id",
}
"""The key holding each scope kind's id."""

SCOPE_EVENTS: Final = {
    f"{kind}.{phase}": (kind, phase) for kind in SCOPE_KINDS for phase in ("start", "end")
}
"""Reserved event names of scope boundaries, mapped to ``(kind, phase)``."""

SCOPE_END_EVENTS: Final = frozenset(f"{kind}.end" for kind in SCOPE_KINDS)
"""The end events of every scope kind."""

PARENT_SCOPE_KEY: Final = "parent_scope_id"
"""On the start of a workflow opened inside another: the id of the scope it was opened in."""

METADATA_EVENT: Final = "metadata"
RESOURCE_EVENT: Final = "resource"
MISUSE_EVENT: Final = "scope_misuse"
DROPPED_EVENT: Final = "events_dropped"
"""Written by the non-blocking writer when its queue was full: ``dropped`` events were lost."""

STAMP_KEYS: Final = frozenset(
    {
        "workflow",
        "workflow_id",
        "iteration",
        "iteration_id",
        "interaction_id",
        "span_id",
        "parent_span_id",
        "pid",
        "seq",
        "attached",
    }
)
"""Keys that place an event in the hierarchy or the stream; documents do not repeat them."""

ERROR_LEVELS: Final = frozenset({"error", "critical"})
"""Events at these levels land in their scope's ``errors``."""

USAGE_KEYS: Final = ("input_tokens", "output_tokens")
"""Numeric event keys summed into ``usage`` up the tree; ``cost`` is summed where logged."""

USAGE_MISSING: Final = "usage_missing"
"""An ``llm_call`` key, ``true`` when the call reported no usage (a stream that was not asked
for it): a call all the same, counted in ``usage.calls`` and as unpriced."""

UNPRICED_CALLS: Final = "unpriced_calls"
"""The ``usage`` key counting the calls that logged tokens but no ``cost``: a reader shows
them as unpriced, never as free."""

STATUS_OK: Final = "ok"
STATUS_ERROR: Final = "error"
STATUS_INCOMPLETE: Final = "incomplete"
STATUS_ABANDONED: Final = "abandoned"


@functools.cache
def document_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one workflow document, as shipped in the package."""
    text = importlib.resources.files(__package__).joinpath("document.schema.json").read_bytes()
    schema: dict[str, Any] = orjson.loads(text)
    return schema


# -- levels -----------------------------------------------------------------------------------

LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
"""Level names accepted by ``configure(level=...)`` and written as ``level``, with numbers."""

LEVEL_OF_METHOD: Final = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "err": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}
"""The level each logger method logs at (structlog's aliases included)."""

NAME_OF_LEVEL: Final = {number: name for name, number in LEVELS.items()}
