"""Every test starts unconfigured, outside any scope, with no wf_structlog environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import wf_structlog
from wf_structlog._state import CURRENT
from wf_structlog.config import ENVIRONMENT_VARIABLES
from wf_structlog.testing import Capture, capture


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    token = CURRENT.set(None)
    wf_structlog.reset()
    yield
    wf_structlog.reset()
    CURRENT.reset(token)


@pytest.fixture
def logs() -> Iterator[Capture]:
    """The test preset: events kept in memory."""
    with capture() as cap:
        yield cap
