"""Streams of instrumented calls: the SDK's stream object, watched as the user reads it.

The call is logged when the stream ends: ``"ok"`` at its end, ``"error"`` when reading it
raised, and ``"abandoned"`` when the user closed it (or dropped it) before the end, with what
had arrived by then. Anything else is the SDK stream's own (``response``, ...).
"""

from __future__ import annotations

import contextvars
from types import TracebackType
from typing import Any, Self

from .. import schema
from ._call import Fold, LLMCall, guard, status_of


class _Watched:
    """What both kinds of stream share: the call, the fold, and the ending."""

    def __init__(self, stream: Any, call: LLMCall) -> None:
        self._wf_stream = stream
        self._wf_context = contextvars.copy_context()
        self._wf_fold: Fold | None = None
        self._wf_chunks = 0
        self._wf_request_id: str | None = None
        self._wf_ended = False
        self._wf_call = call
        self._wf_reading = _Reading(self)
        with guard(call.api):
            self._wf_fold = call.api.fold(call.asked)
            response = getattr(stream, "response", None)  # a plain generator has none
            if response is not None:
                self._wf_request_id = response.headers.get(call.api.request_id_header)

    def _wf_keep(self, item: Any) -> bool:
        """Fold *item* in; whether the user gets it."""
        keep = True
        with guard(self._wf_call.api):
            self._wf_chunks += 1
            self._wf_call.first_chunk()
            if self._wf_fold is not None:
                keep = self._wf_fold.add(item)
        return keep

    def _wf_end(self, status: str, exc: BaseException | None = None) -> None:
        if self._wf_ended:
            return
        self._wf_ended = True  # once, even if logging it fails: never again from __del__
        with guard(self._wf_call.api):
            found = self._wf_fold.fields() if self._wf_fold is not None else {}
            found.setdefault("request_id", self._wf_request_id)
            found["chunks"] = self._wf_chunks
            self._wf_call.end(status, found, exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wf_stream, name)

    def __del__(self) -> None:
        # Dropped unfinished: log in the context the call was made in, not the collector's.
        call = self.__dict__.get("_wf_call")
        if call is not None:
            self._wf_context.run(self._wf_end, schema.STATUS_ABANDONED)


class _Reading:
    """Around each read of the SDK stream: its end or its failure ends the call."""

    def __init__(self, watched: _Watched) -> None:
        self._watched = watched

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(e, StopIteration | StopAsyncIteration):
            self._watched._wf_end(schema.STATUS_OK)
        elif e is not None:
            self._watched._wf_end(status_of(e), e)


class Stream(_Watched):
    """A synchronous SDK stream, watched."""

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Any:
        while True:
            with self._wf_reading:
                item = next(self._wf_stream)
            if self._wf_keep(item):
                return item

    def close(self) -> None:
        """Close the stream (before its end, the call is logged ``"abandoned"``)."""
        self._wf_end(schema.STATUS_ABANDONED)
        self._wf_stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncStream(_Watched):
    """An asynchronous SDK stream, watched."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Any:
        while True:
            with self._wf_reading:
                item = await self._wf_stream.__anext__()
            if self._wf_keep(item):
                return item

    async def close(self) -> None:
        """Close the stream (before its end, the call is logged ``"abandoned"``)."""
        self._wf_end(schema.STATUS_ABANDONED)
        stream = self._wf_stream
        await (stream.close() if hasattr(stream, "close") else stream.aclose())

    async def aclose(self) -> None:
        """The same as :meth:`close`."""
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def watch_sync(stream: Any, call: LLMCall) -> Stream:
    """*stream*, logging *call* when it ends."""
    return Stream(stream, call)


def watch_async(stream: Any, call: LLMCall) -> AsyncStream:
    """*stream*, logging *call* when it ends."""
    return AsyncStream(stream, call)
