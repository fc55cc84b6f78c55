"""wf-log report: one self-contained HTML file, checked as text and in a real browser."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from conftest import write_run

from wf_structlog import reduce
from wf_structlog.reading.cli import main
from wf_structlog.reading.report import embed_json, render
from wf_structlog.render.terminal import BIDI_CONTROLS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INJECTION = (
    "</script><script>window.injected = 1; alert(1)</script>"
    '<img src=x onerror="window.injected = 2; alert(2)"> \u2028 & <!--'
)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose prompts try to inject script into the report."""
    path = tmp_path_factory.mktemp("hostile") / "run.ndjson"
    write_run(path, "--name", INJECTION, "--prompt", INJECTION)
    return path


class TestHtml:
    def test_embedded_json_cannot_close_the_script(self) -> None:
        """<, >, & and the JavaScript line separators are escaped; the JSON is unchanged."""
        text = embed_json({"p": INJECTION})
        assert not re.search("[<>&\u2028\u2029]", text)
        assert orjson.loads(text) == {"p": INJECTION}

    def test_bidi_controls_are_shown_not_applied(self) -> None:
        """Bidi overrides, embeddings, isolates and marks reach the page as visible text
        (\\u202e), in the data and in the title, never as live characters."""
        bidi = "".join(sorted(BIDI_CONTROLS))
        text = embed_json({"p": f"a{bidi}b"})
        assert not BIDI_CONTROLS & set(text)
        shown = orjson.loads(text)["p"]
        assert shown == "a" + "".join(f"\\u{ord(ch):04x}" for ch in sorted(BIDI_CONTROLS)) + "b"
        html = render([], title="\u202eevil")
        assert "<title>\\u202eevil</title>" in html
        assert not BIDI_CONTROLS & set(html)

    def test_self_contained_and_escaped(self, hostile_run: Path) -> None:
        """The page loads nothing from anywhere, carries no log text as markup, and only its
        own script may run (Content-Security-Policy with the script's hash)."""
        html = render(reduce(hostile_run))
        data = re.search(r'<script type="application/json" id="wf-data">(.*?)</script>', html)
        assert data is not None
        assert orjson.loads(data[1])["documents"][0]["name"] == INJECTION
        title = "wf-log report: " + INJECTION.replace("&", "&amp;").replace("<", "&lt;")
        title = title.replace(">", "&gt;").replace('"', "&quot;")
        assert f"<title>{title}</title>" in html
        page = html.replace(data[1], "").replace(title, "")
        assert not re.search(r"\b(src|href|url)\s*[=(]", page)
        assert "<img" not in html
        assert html.count("<script") == 2
        assert "window.injected" in html  # in the JSON, escaped
        script = re.search(r"<script>(.*)</script>", html, re.DOTALL)
        assert script is not None
        digest = base64.b64encode(hashlib.sha256(script[1].encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}'" in html
        assert "default-src 'none'" in html

    def test_wf_log_report(
        self, parallel_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """wf-log report FILE -o run.html writes the page; the title names the workflows."""
        out = tmp_path / "run.html"
        assert main(["report", str(parallel_run), "-o", str(out)]) == 0
        html = out.read_text(encoding="utf-8")
        assert "<title>wf-log report: research</title>" in html
        assert capsys.readouterr() == ("", "")


# -- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_page() -> Iterator[object]:
    """A page in headless Debian chromium, driven by Playwright; no browser is downloaded."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser: {CHROMIUM} is not installed (.ci/run installs it)")
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
            yield context.new_page()
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_report(page: object, documents: list[dict[str, object]], path: Path) -> float:
    """Write the report of *documents* to *path*, load it; returns seconds until ready."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    path.write_text(render(documents), encoding="utf-8")
    started = time.monotonic()
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    return time.monotonic() - started


class TestBrowser:
    def test_timeline_tree_stats(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """The page shows a lane per agent with a bar per interaction, parallel work side by
        side, the tree (an iteration opens on click, then an interaction shows its input and
        output), and the stats tables."""
        from playwright.sync_api import Page

        page = browser_page
        assert isinstance(page, Page)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        open_report(page, reduce(parallel_run), tmp_path / "run.html")
        lanes = page.locator(".lane[data-agent]")
        agents = [lanes.nth(i).get_attribute("data-agent") for i in range(lanes.count())]
        assert agents == ["planner", "researcher", "critic", "writer"]
        assert page.locator(".bar.interaction").count() == 12
        assert page.locator(".bar.interaction.status-error").count() == 1
        # iteration 1: the researcher and the critic ran at the same time
        researcher = page.locator(".lane[data-agent=researcher] .bar").first.bounding_box()
        critic = page.locator(".lane[data-agent=critic] .bar").first.bounding_box()
        assert researcher is not None
        assert critic is not None
        assert critic["x"] < researcher["x"] + researcher["width"]
        assert researcher["x"] < critic["x"] + critic["width"]

        assert page.locator(".node.iteration").count() == 3
        assert page.locator(".node.interaction").count() == 0  # built when opened
        page.locator(".node.iteration > .row").first.click()
        assert page.locator(".node.interaction").count() == 4
        page.locator(".node.interaction > .row").first.click()
        details = page.locator(".node.interaction").first.locator(".detail pre")
        assert details.nth(0).text_content() == "Plan the research"
        assert details.nth(1).text_content() == "planner answer 1"
        assert page.locator("#stats table").count() == 2
        assert page.locator("#stats table").first.locator("tr").count() == 1 + 4
        shot = page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert shot.startswith(b"\x89PNG")
        assert errors == []

    def test_click_on_a_bar_opens_the_tree_there(
        self, browser_page: object, crashed_run: Path, tmp_path: Path
    ) -> None:
        """Clicking a timeline bar opens the tree down to that interaction; a run that died
        midway is drawn with its unfinished scopes marked incomplete."""
        from playwright.sync_api import Page

        page = browser_page
        assert isinstance(page, Page)
        open_report(page, reduce(crashed_run), tmp_path / "crashed.html")
        assert page.locator(".bar.interaction.status-incomplete").count() == 1
        page.locator(".bar.interaction.status-incomplete").click()
        opened = page.locator(".node.interaction:has(> .row .status.incomplete)")
        assert opened.count() == 1
        assert opened.is_visible()

    def test_no_script_injection(
        self, browser_page: object, hostile_run: Path, tmp_path: Path
    ) -> None:
        """Prompts and names holding </script>, <script> and <img onerror> are shown as text
        and run nothing."""
        from playwright.sync_api import Dialog, Page

        page = browser_page
        assert isinstance(page, Page)
        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        open_report(page, reduce(hostile_run), tmp_path / "hostile.html")
        page.locator(".node.iteration > .row").first.click()
        page.locator(".node.interaction > .row").first.click()
        shown = page.locator(".node.interaction").first.locator(".detail pre").first
        assert shown.text_content() == INJECTION
        assert INJECTION in (page.locator("#title").text_content() or "")
        assert page.evaluate("window.injected") is None
        assert page.locator("img").count() == 0
        assert dialogs == []

    def test_bidi_override_shown_escaped(self, browser_page: object, tmp_path: Path) -> None:
        """A workflow name and a prompt holding U+202E are shown with a visible \\u202e, and
        no text on the page holds the live character."""
        from playwright.sync_api import Page

        page = browser_page
        assert isinstance(page, Page)
        path = tmp_path / "bidi.ndjson"
        write_run(path, "--name", "exe.\u202etxt", "--prompt", "say \u202eolleh")
        open_report(page, reduce(path), tmp_path / "bidi.html")
        page.locator(".node.iteration > .row").first.click()
        page.locator(".node.interaction > .row").first.click()
        shown = page.locator(".node.interaction").first.locator(".detail pre").first
        assert shown.text_content() == "say \\u202eolleh"
        assert "exe.\\u202etxt" in (page.locator("#title").text_content() or "")
        assert "\u202e" not in page.evaluate("document.body.innerText")

    def test_ten_thousand_events(
        self, browser_page: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A run of over 10,000 events loads, with its timeline and tree, without freezing."""
        from playwright.sync_api import Page

        page = browser_page
        assert isinstance(page, Page)
        path = tmp_path / "big.ndjson"
        write_run(path, "--iterations", "700", "--delay", "0")
        assert len(path.read_bytes().splitlines()) > 10_000
        documents = reduce(path)
        seconds = open_report(page, documents, tmp_path / "big.html")
        assert page.locator(".bar.interaction").count() == 700 * 4
        assert page.locator(".node.iteration").count() == 700
        page.locator(".node.iteration > .row").last.click()
        assert page.locator(".node.interaction").count() == 4
        with capsys.disabled():
            print(f"\n10k-event report: ready in {seconds:.2f}s", end=" ")
        assert seconds < 30
