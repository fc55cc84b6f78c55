"""Regenerate docs/report.png: the report of the demo run (``make demo``) in headless Chromium.

::

    .venv/bin/python docs/screenshot.py

The researcher's turn of iteration 2 (the one whose tool failed) is opened and selected, so
the picture shows the waterfall, the tree, a conversation and an error.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from wf_structlog import reduce
from wf_structlog.reading.report import render

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Run the demo, write its report, and take the picture."""
    with tempfile.TemporaryDirectory() as tmp:
        demo = [sys.executable, str(ROOT / "examples" / "multi_agent.py"), "--out", tmp, "--quiet"]
        subprocess.run(demo, check=True, capture_output=True)
        page_path = Path(tmp) / "run.html"
        page_path.write_text(render(reduce(Path(tmp) / "run.ndjson")), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 820})
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready=true]")
            page.locator(".zoom-in").click()
            page.locator(".node.iteration > .row").nth(1).click()
            page.locator(".node.interaction > .row", has_text="researcher").first.click()
            page.locator(".lane[data-agent=researcher] .bar").nth(1).hover()
            page.screenshot(path=str(ROOT / "docs" / "report.png"))
            browser.close()


if __name__ == "__main__":
    main()
