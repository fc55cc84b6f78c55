"""The OpenTelemetry span active in the caller's context, if the program uses OpenTelemetry.

A workflow started inside such a span (a web request of an instrumented framework) joins its
trace. OpenTelemetry is only looked at if the program already imported it: a program that does
not use it pays nothing.
"""

from __future__ import annotations

import sys
from typing import Final

from .state import STATE

_REMEMBERED: Final = 4096


def span_to_join() -> tuple[str, str] | None:
    """``(trace id, span id)`` of the active OpenTelemetry span, as 32 and 16 hex digits.

    A trace is joined by one workflow only, since a workflow's id is its trace id: a second
    workflow in the same trace (two runs in one request) gets ``None`` and a run id of its own.
    """
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    try:
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        trace_id = f"{context.trace_id:032x}"
        span_id = f"{context.span_id:016x}"
    except Exception:  # a broken tracer must not stop a workflow from starting
        return None
    with STATE.structure:
        joined = STATE.joined
        if trace_id in joined:
            return None
        joined[trace_id] = None
        if len(joined) > _REMEMBERED:
            del joined[next(iter(joined))]
    return trace_id, span_id
