"""Level names and numbers, and the level each logger method logs at."""

from __future__ import annotations

import logging
from typing import Final

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
