"""Regenerate docs/report.png: the report of the demo run (``make demo``) in headless Chromium,
and docs/report-baseline.png: the report of ``examples/compare_runs.py``'s second run compared
with its first.

::

    .venv/bin/python docs/screenshot.py

In the first, the researcher's turn of iteration 2 (the one whose tool failed) is opened and
selected, so the picture shows the waterfall, the tree, a conversation and an error. The
second shows the section that says what moved from the baseline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from wf_structlog import reduce
from wf_structlog.reading.report import render

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run the examples, write their reports, and take the pictures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for example in ("multi_agent.py", "compare_runs.py"):
            command = [sys.executable, str(ROOT / "examples" / example), "--out", tmp]
            subprocess.run(command, check=True, capture_output=True)
        demo, compared = out / "run.html", out / "compared.html"
        demo.write_text(render(reduce(out / "run.ndjson")), encoding="utf-8")
        page = render(reduce(out / "after.ndjson"), baseline=reduce(out / "before.ndjson"))
        compared.write_text(page, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            _demo(browser.new_page(viewport={"width": 1400, "height": 820}), demo)
            _compared(browser.new_page(viewport={"width": 1400, "height": 740}), compared)
            browser.close()


def _open(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]")


def _demo(page: Page, path: Path) -> None:
    _open(page, path)
    page.locator(".zoom-in").click()
    page.locator(".node.iteration > .row").nth(1).click()
    page.locator(".node.interaction > .row", has_text="researcher").first.click()
    page.locator(".lane[data-agent=researcher] .bar").nth(1).hover()
    page.screenshot(path=str(ROOT / "docs" / "report.png"))


def _compared(page: Page, path: Path) -> None:
    _open(page, path)
    page.screenshot(path=str(ROOT / "docs" / "report-baseline.png"))


if __name__ == "__main__":
    main()
