"""Headless Debian Chromium driven by Playwright, as the report's benchmark and tests open it.

Playwright downloads no browser here: it drives ``/usr/bin/chromium`` (``.ci/run`` installs it)
in a throw-away profile. Shared by ``benchmarks/report.py`` and ``tests/test_report.py`` (which
finds this module through pytest's ``pythonpath``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_page() -> Iterator[Page]:
    """A page of a fresh headless Chromium, 1280x900; the browser and its profile are gone
    at the end."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="wf-log-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            try:
                yield context.new_page()
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
