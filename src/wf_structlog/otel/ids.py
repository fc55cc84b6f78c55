"""Our ids on live spans: the workflow id is the trace id, a scope's id its span id.

The SDK takes a span's ids from its tracer's ``id_generator`` (no argument of ``start_span``
takes one). :class:`OurIds` wraps the generator a tracer has and, while :func:`chosen` is
active, gives the ids chosen there instead; any other span (another tracer's, or a call of
ours) gets the wrapped generator's ids. Only our own tracer object is changed, so the
application's tracers, sampler and processors are untouched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from opentelemetry.sdk.trace.id_generator import IdGenerator

__all__ = ["OurIds", "chosen"]

_NEXT: ContextVar[tuple[int, int] | None] = ContextVar("wf_structlog_next_ids", default=None)


@contextlib.contextmanager
def chosen(trace_id: str, span_id: str) -> Iterator[None]:
    """Make the span started in this block take *trace_id* (when it is a root) and *span_id*."""
    token = _NEXT.set((int(trace_id, 16), int(span_id, 16)))
    try:
        yield
    finally:
        _NEXT.reset(token)


class OurIds(IdGenerator):
    """An id generator giving the ids :func:`chosen` set, else those of *fallback*.

    Args:
        fallback: the generator the tracer had.
    """

    def __init__(self, fallback: IdGenerator) -> None:
        self.fallback = fallback

    def generate_span_id(self) -> int:
        """The chosen span id, or a new one."""
        ids = _NEXT.get()
        return ids[1] if ids is not None else self.fallback.generate_span_id()

    def generate_trace_id(self) -> int:
        """The chosen trace id, or a new one."""
        ids = _NEXT.get()
        return ids[0] if ids is not None else self.fallback.generate_trace_id()

    def is_trace_id_random(self) -> bool:
        """Ours are (``secrets.randbits``), as the fallback's are."""
        return True
