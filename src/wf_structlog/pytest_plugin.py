"""The pytest plugin: a ``wf_capture`` fixture to assert on what your agents logged.

Installed with wf-structlog (an entry point in the ``pytest11`` group), so no import is needed::

    def test_planner(wf_capture):
        run_planner()
        assert wf_capture.documents[0]["usage"]["input_tokens"] == 12
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.contextvars import clear_contextvars

from .testing import Capture, capture

__all__ = ["wf_capture"]


@pytest.fixture
def wf_capture() -> Iterator[Capture]:
    """The ``test`` preset for one test: ``.events`` (event dicts) and ``.documents``.

    The test starts outside any scope with no ``bind_contextvars`` values, and afterwards the
    configuration and context the test found are restored, so tests do not leak into each
    other. Works for sync and async tests alike (the capture is process-wide).
    """
    clear_contextvars()
    try:
        with capture() as logs:
            yield logs
    finally:
        clear_contextvars()
