"""wf-log report: one self-contained HTML file, checked as text and in a real browser."""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest
from browser import CHROMIUM, chromium_page
from conftest import write_run

import wf_structlog as wfl
from wf_structlog import reduce
from wf_structlog.cost import PRICES_AS_OF
from wf_structlog.reading import diff, stats
from wf_structlog.reading._fold import FOLDED_EVENT, RUN_NODES, fold, nodes
from wf_structlog.reading._pick import INDEX_ROWS, MAX_RUNS, REPORT_NODES
from wf_structlog.reading.cli import main
from wf_structlog.reading.report import embed_json, render
from wf_structlog.render.money import format_cost

if TYPE_CHECKING:
    from playwright.sync_api import Page

BIDI = "price \u202eevil\u202c here"
LONG_REPLY = "\n".join(f"line {i} of a long reply" for i in range(60))
OPENAI_PROMPT = [
    {"role": "system", "content": "You are the planner."},
    {"role": "user", "content": "Find the weather in Paris"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "18 degrees and sunny"},
]
ANTHROPIC_PROMPT = [
    {"role": "user", "content": [{"type": "text", "text": "Summarise the forecast"}]},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "x"}}],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a result block"}],
    },
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


@pytest.fixture(scope="module")
def conversation_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run logged in this process: an interaction whose input is an OpenAI-style messages
    list, an Anthropic-style call (system + content blocks), a long reply, a cheap priced call
    and an unpriced one, and a bidi override in a reply."""
    path = tmp_path_factory.mktemp("conversation") / "run.ndjson"
    log = wfl.get_logger()
    wfl.configure("prod", file=path, stdout=False)
    try:
        with wfl.workflow("chat"), wfl.iteration():
            with wfl.interaction("planner", input=OPENAI_PROMPT) as turn:
                log.info(
                    "llm_call",
                    model="gpt-4o-mini",
                    prompt=OPENAI_PROMPT,
                    response=LONG_REPLY,
                    input_tokens=9,
                    output_tokens=30,
                )  # priced by the shipped table: 9 x $0.15 + 30 x $0.60 per million
                turn.output = BIDI
            with wfl.interaction("summarizer", input="Summarise the forecast"):
                log.info(
                    "llm_call",
                    model="claude-x",
                    system="Be brief.",
                    prompt=ANTHROPIC_PROMPT,
                    response="Sunny.",
                    input_tokens=5,
                    output_tokens=2,
                )
    finally:
        wfl.reset()
    return path


@pytest.fixture(scope="module")
def longer_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parallel run with a fourth iteration: dearer, and it goes on where the other stops."""
    path = tmp_path_factory.mktemp("longer") / "run.ndjson"
    write_run(path, "--iterations", "4")
    return path


@pytest.fixture(scope="module")
def sub_workflow_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run logged in this process: a writer opens a ``summarize`` workflow whose own agent,
    the summarizer, makes a call of 12,345 input tokens and logs one error."""
    path = tmp_path_factory.mktemp("sub") / "run.ndjson"
    log = wfl.get_logger()
    wfl.configure("prod", file=path, stdout=False)
    try:
        with wfl.workflow("chat"), wfl.iteration(), wfl.interaction("writer"):
            log.info("llm_call", model="big", input_tokens=2, output_tokens=1, cost=0.5)
            with wfl.workflow("summarize"), wfl.interaction("summarizer"):
                log.info("llm_call", model="small", input_tokens=12_345, output_tokens=1_000)
                log.error("summary_too_long")
    finally:
        wfl.reset()
    return path


def embedded(html: str) -> Any:
    """The data a report embeds."""
    data = re.search(r'<script type="application/json" id="wf-data">(.*?)</script>', html)
    assert data is not None
    return orjson.loads(data[1])


def renamed(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A copy of *document* whose ids all start with *prefix* (so it can sit beside the
    original in one report)."""
    text = orjson.dumps(document).decode()
    for key in ("id", "parent_interaction_id", "parent_workflow_id"):
        text = re.sub(rf'"{key}":"', f'"{key}":"{prefix}', text)
    return dict(orjson.loads(text))


def nested(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first document with a sub-workflow opened in two of its writer's interactions, in
    the shape the reducer gives (``interaction["workflows"]``: whole documents)."""
    parent = copy.deepcopy(documents[0])
    writers = [
        ia for it in parent["iterations"] for ia in it["interactions"] if ia["agent"] == "writer"
    ]
    for number, writer in enumerate(writers[:2]):
        sub = renamed(documents[0], f"sub{number}-")
        sub["name"] = "summarize"
        sub["parent_workflow_id"] = parent["id"]
        sub["iterations"][0]["interactions"][0]["input"] = f"summary-needle-{number}"
        writer["workflows"] = [sub]
    return [parent]


class TestHtml:
    def test_embedded_json_cannot_close_the_script(self) -> None:
        """<, >, & and the JavaScript line separators are escaped; the JSON is unchanged."""
        text = embed_json({"p": INJECTION})
        assert not re.search("[<>&\u2028\u2029]", text)
        assert orjson.loads(text) == {"p": INJECTION}

    def test_bidi_controls_in_the_title_are_shown(self) -> None:
        """The page's <title> (the browser tab) shows a bidi override as visible \\u202e."""
        html = render([], title="\u202eevil")
        title = re.search("<title>(.*)</title>", html)
        assert title is not None
        assert title[1] == "\\u202eevil"  # the page's own title goes through visible()

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
        assert re.search(r"\\u003c/script", html)
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

    def test_a_baseline_embeds_the_diff(
        self, parallel_run: Path, longer_run: Path, tmp_path: Path
    ) -> None:
        """wf-log report FILE --baseline BASE embeds what wf-log diff BASE FILE compares;
        without a baseline there is no diff."""
        out = tmp_path / "run.html"
        assert (
            main(["report", str(longer_run), "--baseline", str(parallel_run), "-o", str(out)]) == 0
        )
        data = embedded(out.read_text(encoding="utf-8"))
        assert data["diff"] == diff.compare(reduce(parallel_run), reduce(longer_run))
        assert data["diff"]["total"]["calls"]["delta"] > 0
        assert [document["id"] for document in data["documents"]] == [
            document["id"] for document in reduce(longer_run)
        ]
        assert embedded(render(reduce(longer_run)))["diff"] is None

    def test_a_baseline_without_events(
        self, parallel_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A baseline that holds no events exits 1, says so, and writes no report."""
        empty, out = tmp_path / "empty.ndjson", tmp_path / "run.html"
        empty.write_text("not an event\n", encoding="utf-8")
        assert main(["report", str(parallel_run), "--baseline", str(empty), "-o", str(out)]) == 1
        assert f"wf-log: no events found in {empty}" in capsys.readouterr().err
        assert not out.exists()


# -- in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser_page() -> Iterator[object]:
    """A page in headless Debian chromium, driven by Playwright; no browser is downloaded."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser: {CHROMIUM} is not installed (.ci/run installs it)")
    with chromium_page() as page:
        yield page


def open_report(
    page: object,
    documents: list[dict[str, Any]],
    path: Path,
    baseline: list[dict[str, Any]] | None = None,
) -> float:
    """Write the report of *documents* (compared with *baseline*, if given) to *path*, load
    it; returns seconds until ready."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    path.write_text(render(documents, baseline=baseline), encoding="utf-8")
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


def ready_page(
    page: object,
    documents: list[dict[str, Any]],
    path: Path,
    baseline: list[dict[str, Any]] | None = None,
) -> Page:
    """*page*, showing the report of *documents* (and *baseline*), no script error allowed."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.on("pageerror", lambda error: pytest.fail(f"script error in the report: {error}"))
    open_report(page, documents, path, baseline)
    return page


def shown_change(metric: str, change: dict[str, Any]) -> str:
    """A change as the report's diff section writes it: ``+$0.0869 (+56.6%)``."""
    sign = "+" if change["delta"] > 0 else "\u2212"
    amount = abs(change["delta"])
    text = sign + (format_cost(amount) if metric == "cost" else f"{amount:,g}")
    return text + (f" ({change['pct']:+.1f}%)" if change["pct"] is not None else "")


class TestHeaderAndStats:
    def test_sub_workflows_count_in_header_and_tables(
        self, browser_page: object, sub_workflow_run: Path, tmp_path: Path
    ) -> None:
        """The header counts the sub-workflow and its error ("1 error", not "1 errors") and
        writes tokens with thousands separators; the per-agent table has the sub-workflow's
        agent, its tokens separated too."""
        page = ready_page(browser_page, reduce(sub_workflow_run), tmp_path / "sub.html")
        summary = page.locator("#summary").text_content() or ""
        assert summary.startswith("1 run (+1 sub-workflow): chat ok · ")
        assert "2 interactions · 2 calls · 1 error · 12,347 → 1,001 tokens" in summary
        agents = page.locator("#stats table").first
        summarizer = agents.locator("tr", has_text="summarizer").locator("td")
        assert summarizer.all_text_contents()[:6] == [
            "summarizer",
            "1",
            "1",
            "1",
            "12,345",
            "1,000",
        ]
        assert agents.locator("tr", has_text="writer").count() == 1


class TestDiffSection:
    def test_reads_the_deltas_per_agent(
        self, browser_page: object, parallel_run: Path, longer_run: Path, tmp_path: Path
    ) -> None:
        """With a baseline, the section's headline says how cost and tokens moved; opened,
        each agent's row shows baseline → this run and the change, and the first divergence
        is the extra iteration. Folding the section hides its tables."""
        before, after = reduce(parallel_run), reduce(longer_run)
        expected = diff.compare(before, after)
        page = ready_page(browser_page, after, tmp_path / "diff.html", before)
        section = page.locator("#diff-section")
        headline = page.locator("#diff-section > summary")
        assert section.is_visible()
        cost = shown_change("cost", expected["total"]["cost"])
        assert f"cost {cost}" in (headline.text_content() or "")
        headline.click()  # folds it
        assert page.locator("#diff table").first.is_hidden()
        headline.click()  # opens it again
        row = page.locator("#diff table tr[data-agent=researcher]")
        assert row.is_visible()
        researcher = next(r for r in expected["agents"] if r["agent"] == "researcher")
        for metric in ("cost", "calls"):
            cell = row.locator(f"td[data-metric={metric}]")
            assert cell.locator(".delta").text_content() == shown_change(metric, researcher[metric])
            assert "grew" in (cell.get_attribute("class") or "")
        calls = f"{researcher['calls']['a']} → {researcher['calls']['b']}"
        assert row.locator("td[data-metric=calls] .ab").text_content() == calls
        assert page.locator("#diff .diverged").text_content() == (
            "First divergence at workflow research: (nothing) → iteration 4"
        )
        page.locator("#diff .diverged .jump").click()  # opens the fourth iteration in the tree
        selected = page.locator(".node.iteration.selected")
        assert selected.is_visible()
        assert "#4" in (selected.locator("> .row").text_content() or "")

    def test_no_baseline_no_section(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """A report of one run alone has no diff section."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        assert page.locator("#diff-section").is_hidden()

    def test_names_from_the_log_stay_text(
        self, browser_page: object, parallel_run: Path, hostile_run: Path, tmp_path: Path
    ) -> None:
        """A baseline whose workflow name holds markup and script shows it as text, in the
        divergence line, and runs nothing."""
        page = ready_page(
            browser_page, reduce(parallel_run), tmp_path / "diff.html", reduce(hostile_run)
        )
        where = page.locator("#diff .diverged").text_content() or ""
        assert f"workflow {INJECTION} → workflow research" in where
        assert page.evaluate("window.injected") is None
        assert page.locator("#diff img").count() == 0


class TestSearch:
    def test_typing_finds_the_text_of_a_node_not_built_yet(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """Typing an exception's message in the search box finds the collapsed error entry
        that holds it; Enter opens the tree down to it, selects it and shows it in the pane."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        assert page.locator(".node.entry").count() == 0  # nothing below the iterations built
        page.locator("#search").fill("CRITIC disagrees")
        page.wait_for_selector("body[data-searched='1']")
        assert page.locator("#results .hit").count() == 1
        assert "critic" in (page.locator("#results .hit .where").text_content() or "")
        page.locator("#search").press("Enter")
        hit = page.locator(".node.entry.failed.selected")
        assert hit.is_visible()
        assert "ValueError: the critic disagrees" in (hit.locator("> .row").text_content() or "")
        assert "the critic disagrees" in (page.locator("#detail").text_content() or "")
        assert page.locator("#search-count").text_content() == "1 of 1"

    def test_filters_by_agent_status_level_and_event(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """Each filter narrows what is found, with or without text: the researcher's error
        entries, the interactions that ended in error, every llm_call of the writer."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")

        def found(**filters: str) -> int:
            for name in ("agent", "status", "level", "event"):
                page.select_option(f"#f-{name}", filters.get(name, ""))
            return int(page.locator("body").get_attribute("data-searched") or -1)

        assert found(agent="researcher", level="error") == 1
        assert found(status="error") == 1  # the critic's interaction of iteration 2
        assert found(agent="writer", event="llm_call") == 3
        assert found() == 0
        assert page.locator("#results").is_hidden()

    def test_a_sub_workflow_is_searched_and_opened_in_place(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """A sub-workflow inside an interaction is found by its text; the tree opens through
        the parent interaction to reach it."""
        page = ready_page(browser_page, nested(reduce(parallel_run)), tmp_path / "nested.html")
        page.locator("#search").fill("summary-needle-1")
        page.wait_for_selector("body[data-searched='1']")
        page.locator("#hit-next").click()
        hit = page.locator(".node.interaction.selected")
        assert hit.is_visible()
        chain = hit.locator("xpath=ancestor::div[contains(@class, 'node')]")
        kinds = [
            (chain.nth(i).get_attribute("class") or "").split()[2] for i in range(chain.count())
        ]
        assert kinds == ["workflow", "iteration", "interaction", "workflow", "iteration"]
        crumbs = page.locator("#detail .crumb").all_text_contents()
        assert crumbs[2] == "writer"
        assert crumbs[3].startswith("summarize ")


class TestErrors:
    def test_the_list_of_errors_jumps_to_each(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """The errors button counts the run's errors; each item of its list opens the tree at
        that error and shows its traceback in the pane."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        assert page.locator("#errors-toggle").text_content() == "✖ 2 errors"
        page.locator("#errors-toggle").click()
        items = page.locator("#errors .hit")
        assert items.count() == 2
        items.nth(1).click()
        selected = page.locator(".node.entry.failed.selected")
        assert selected.is_visible()
        assert "Traceback" in (page.locator("#detail pre.error").text_content() or "")
        items.nth(0).click()
        assert "tool_failed" in (page.locator(".node.selected > .row").text_content() or "")


class TestWaterfall:
    def test_zoom_and_pan(self, browser_page: object, parallel_run: Path, tmp_path: Path) -> None:
        """+ doubles every bar's width, Ctrl+wheel zooms further around the pointer, dragging
        pans, fit shows the whole run again; the axis follows."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        bar = page.locator(".lane[data-agent=writer] .bar").first
        scroller = page.locator(".wf-scroll").first

        def width() -> float:
            box = bar.bounding_box()
            assert box is not None
            return box["width"]

        before = width()
        page.locator(".zoom-in").click()
        assert width() == pytest.approx(2 * before, rel=0.02)
        assert page.locator(".run").get_attribute("data-zoom") == "2"
        box = scroller.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -300)
        page.keyboard.up("Control")
        page.wait_for_function("Number(document.querySelector('.run').dataset.zoom) > 2")
        left = scroller.evaluate("s => s.scrollLeft")
        shown = page.locator("#detail").get_attribute("data-id")
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 200, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        assert scroller.evaluate("s => s.scrollLeft") == pytest.approx(left + 200, abs=2)
        assert page.locator("#detail").get_attribute("data-id") == shown  # a drag is no click
        page.locator(".zoom-fit").click()
        assert width() == pytest.approx(before, rel=0.02)
        assert page.locator(".axis .tick").count() >= 3

    def test_labels_fit_their_bars(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """No bar's label runs past its bar, zoomed out or in, and zooming in shows more."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        bars = "[...document.querySelectorAll('.bar')]"
        overflowing = bars + ".filter(b => b.scrollWidth > b.clientWidth).length"
        labelled = bars + ".filter(b => b.textContent).length"
        assert page.evaluate(overflowing) == 0
        shown = page.evaluate(labelled)
        for _ in range(4):
            page.locator(".zoom-in").click()
        assert page.evaluate(overflowing) == 0
        assert page.evaluate(labelled) > shown

    def test_sub_workflows_nested_in_place(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """A workflow opened inside an interaction gets lanes below its parent's, on the same
        axis, within the parent's time span, and a node inside that interaction in the tree."""
        page = ready_page(browser_page, nested(reduce(parallel_run)), tmp_path / "nested.html")
        assert page.locator(".run").count() == 1
        labels = page.locator(".lane-label").all_text_contents()
        assert labels[1:7] == [
            "workflow",
            "iterations",
            "planner",
            "researcher",
            "critic",
            "writer",
        ]
        sub = "summarize \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} "
        agents = ["planner", "researcher", "critic", "writer"]
        assert labels[7:] == ["↳ summarize", *(sub + agent for agent in agents)]
        assert page.locator(".lane.depth-1 .bar.workflow").count() == 2
        page.locator(".lane.depth-1 .bar.workflow").first.click()
        opened = page.locator(".node.interaction .node.workflow.selected")
        assert opened.is_visible()

    def test_hover_shows_tokens_cost_and_duration(
        self, browser_page: object, parallel_run: Path, tmp_path: Path
    ) -> None:
        """Hovering an interaction's bar shows its duration, tokens and cost."""
        page = ready_page(browser_page, reduce(parallel_run), tmp_path / "run.html")
        page.locator(".lane[data-agent=planner] .bar").first.hover()
        tip = page.locator("#tip")
        assert tip.is_visible()
        text = tip.text_content() or ""
        assert "interaction planner" in text
        assert re.search(r"ok · [\d.]+ ms", text)
        assert "1 call · 17 in → 6 out tokens" in text
        assert "cost $0.029" in text


class TestConversation:
    def test_messages_are_shown_by_role(
        self, browser_page: object, conversation_run: Path, tmp_path: Path
    ) -> None:
        """An OpenAI messages list is shown as system, user, assistant (with its tool call)
        and tool messages, then the reply; a long reply is folded until asked for."""
        page = ready_page(browser_page, reduce(conversation_run), tmp_path / "chat.html")
        page.locator(".node.iteration > .row").click()
        page.locator(".node.interaction > .row").first.click()
        pane = page.locator("#detail")
        roles = pane.locator(".msg .who").all_text_contents()
        assert roles == ["system", "user", "assistant", "tool · c1", "assistant"]
        assert pane.locator(".part-title.call").text_content() == "→ weather"
        assert '"city": "Paris"' in (pane.locator("pre.call").text_content() or "")
        page.locator(".node.interaction.selected .node.entry > .row").first.click()
        reply = pane.locator(".msg.role-assistant pre").last
        assert reply.text_content() == LONG_REPLY
        assert "folded" in (reply.get_attribute("class") or "")
        folded_height = (reply.bounding_box() or {"height": 0})["height"]
        pane.locator(".msg.role-assistant .more").last.click()
        assert (reply.bounding_box() or {"height": 0})["height"] > 3 * folded_height

    def test_anthropic_system_and_content_blocks(
        self, browser_page: object, conversation_run: Path, tmp_path: Path
    ) -> None:
        """Anthropic's system text and content blocks (text, tool_use, tool_result) read as
        a conversation."""
        page = ready_page(browser_page, reduce(conversation_run), tmp_path / "chat.html")
        page.locator("#search").fill("a result block")
        page.wait_for_selector("body[data-searched='1']")
        page.locator("#search").press("Enter")
        pane = page.locator("#detail")
        assert pane.locator(".msg .who").all_text_contents() == [
            "system", "user", "assistant", "user", "assistant",
        ]  # fmt: skip
        assert pane.locator(".part-title").all_text_contents() == ["→ lookup", "← tool result"]
        assert pane.locator(".msg pre").all_text_contents() == [
            "Be brief.", "Summarise the forecast", '{\n  "q": "x"\n}', "a result block", "Sunny.",
        ]  # fmt: skip

    def test_money_and_bidi(
        self, browser_page: object, conversation_run: Path, tmp_path: Path
    ) -> None:
        """A cheap call's cost keeps its significant digits, a call without a cost is marked
        unpriced (never $0), and a bidi override in logged text shows as an escape."""
        page = ready_page(browser_page, reduce(conversation_run), tmp_path / "chat.html")
        summary = page.locator("#summary").text_content() or ""
        assert "$0.0000194 + 1 unpriced" in summary
        models = page.locator("#stats table").nth(1).locator("tr")
        assert models.nth(1).locator("td").nth(5).text_content() == "1 unpriced"
        assert models.nth(2).locator("td").nth(5).text_content() == "$0.0000194"
        page.locator(".node.iteration > .row").click()
        rows = page.locator(".node.interaction > .row .cost").all_text_contents()
        assert rows == ["$0.0000194", "1 unpriced"]
        page.locator(".node.interaction > .row").first.click()
        text = page.locator("#detail").text_content() or ""
        assert "price \\u202eevil\\u202c here" in text
        assert "\u202e" not in page.locator("body").inner_text()
        page.locator(".node.interaction.selected .node.entry > .row").first.click()
        facts = page.locator("#detail .facts").text_content() or ""
        assert f"cost sourcetable ({PRICES_AS_OF})" in facts  # <dt> then <dd>


def huge_run(iterations: int, actions: int) -> list[dict[str, Any]]:
    """The events of one run: *iterations* iterations of one interaction of *actions*
    actions, every third an LLM call without a cost (an unpriced call)."""
    run, seq = "ab" * 16, iter(range(1, 10**9))

    def event(name: str, **keys: Any) -> dict[str, Any]:
        stamp = f"2026-01-01T00:00:00.{next(seq):06d}Z"
        return {"event": name, "workflow_id": run, "timestamp": stamp, "level": "info", **keys}

    events = [event("workflow.start", workflow="huge", span_id="f" * 16)]
    for i in range(iterations):
        it = {"iteration_id": f"{i:016x}", "iteration": i + 1}
        ia = {**it, "interaction_id": f"{i:08x}{'e' * 8}", "agent": "planner"}
        events.append(event("iteration.start", **it, parent_span_id="f" * 16))
        events.append(event("interaction.start", **ia, parent_span_id=it["iteration_id"]))
        for a in range(actions):
            usage = {"model": "m", "input_tokens": 3} if a % 3 == 0 else {}
            events.append(event("tool_call", **ia, **usage))
        events.append(event("interaction.end", **ia, status="ok", children=actions))
        events.append(event("iteration.end", **it, status="ok", children=1))
    events.append(event("workflow.end", status="ok", children=iterations))
    return events


def page_nodes(documents: list[dict[str, Any]]) -> int:
    """How many nodes (scopes and entries) the page builds from *documents*."""
    total = 0
    for scope in documents:
        total += 1 + len(scope.get("events", scope.get("actions", []))) + len(scope["errors"])
        total += page_nodes(scope.get("iterations", scope.get("interactions", [])))
    return total


class TestLargeRuns:
    def test_a_huge_run_is_folded_to_the_bound_with_exact_counts(self) -> None:
        """A run past the bound is embedded folded: at most RUN_NODES nodes, every list cut
        to its two ends with a ``report.folded`` entry counting exactly what was left out,
        and the stats, usage and unpriced calls those of the whole run."""
        (document,) = reduce(huge_run(iterations=250, actions=200))
        assert page_nodes([document]) > RUN_NODES
        data = embedded(render([document]))
        (shown,) = data["documents"]
        assert page_nodes([shown]) <= RUN_NODES
        assert data["stats"] == stats.compute([document])
        assert (shown["usage"], shown["status"]) == (document["usage"], document["status"])
        (note,) = [e for e in shown["events"] if e["event"] == FOLDED_EVENT]
        assert (note["kind"], note["folded"] + len(shown["iterations"])) == ("iterations", 250)
        assert note["unpriced_by_agent"] == {"planner": note["unpriced"]}
        assert note["unpriced_by_model"] == {"m": note["unpriced"]}
        unpriced = note["unpriced"]
        for iteration in shown["iterations"]:
            (interaction,) = iteration["interactions"]
            (inner,) = [e for e in interaction["actions"] if e["event"] == FOLDED_EVENT]
            assert inner["folded"] + len(interaction["actions"]) - 1 == 200
            unpriced += inner["unpriced"] + sum("input_tokens" in e for e in interaction["actions"])
        assert unpriced == 250 * 67  # every unpriced call of the run, shown or folded

    def test_the_page_of_a_folded_run_counts_every_call(
        self, browser_page: object, tmp_path: Path
    ) -> None:
        """In the browser, the header and the per-agent and per-model tables of a folded run
        count every unpriced call of the run, those folded away included."""
        page = ready_page(browser_page, reduce(huge_run(250, 200)), tmp_path / "huge.html")
        summary = page.locator("#summary").text_content() or ""
        assert f"· {250 * 67} unpriced" in summary
        for table, name in ((0, "planner"), (1, "m")):  # one row each, under the header
            cells = page.locator("#stats table").nth(table).locator("tr").nth(1).locator("td")
            assert cells.first.text_content() == name
            assert f"{250 * 67} unpriced" in (cells.nth(-4).text_content() or "")
        assert page.locator(".node.entry", has_text=FOLDED_EVENT).count() >= 1

    def test_a_run_within_the_bound_is_embedded_whole(self) -> None:
        """A run under the bound is embedded as the reducer gave it, nothing folded."""
        (document,) = reduce(huge_run(iterations=20, actions=10))
        assert embedded(render([document]))["documents"] == [document]


RUNS = 30
FAILED = 7
"""The run of :func:`many_runs` that logs an error: cheap, but shown first."""


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of RUNS runs logged in this process, one after another: run i makes a call of
    i x 100 input tokens costing $i/1000; run FAILED logs an error, and the cheapest run
    (run 0) is named with a script injection."""
    path = tmp_path_factory.mktemp("many") / "runs.ndjson"
    log = wfl.get_logger()
    wfl.configure("prod", file=path, stdout=False)
    try:
        for i in range(RUNS):
            with wfl.workflow(INJECTION if i == 0 else f"job-{i}"), wfl.iteration():
                with wfl.interaction("worker"):
                    tokens = {"input_tokens": i * 100, "output_tokens": i}
                    log.info("llm_call", model="m", **tokens, cost=1 + i * 0.001)
                    if i == FAILED:
                        log.error("tool_failed")
    finally:
        wfl.reset()
    return path


def index_rows(html: str) -> dict[str, dict[str, Any]]:
    """The rows of a report's index of runs, by run name."""
    return {row["name"]: row for row in embedded(html)["index"]["rows"]}


class TestManyRuns:
    def test_the_highest_ranked_runs_are_shown_and_every_run_indexed(
        self, many_runs: Path, tmp_path: Path
    ) -> None:
        """With --max-runs 3, the report shows in full the run that failed, then the two
        dearest; the index lists every run with its exact tokens, cost and errors, and the
        stats count every run."""
        out = tmp_path / "many.html"
        assert main(["report", str(many_runs), "--max-runs", "3", "-o", str(out)]) == 0
        html = out.read_text(encoding="utf-8")
        data = embedded(html)
        shown = [document["name"] for document in data["documents"]]
        assert shown == [f"job-{FAILED}", f"job-{RUNS - 2}", f"job-{RUNS - 1}"]  # by start
        index = data["index"]
        assert (index["runs"], index["shown"], index["folded"], index["rest"]) == (RUNS, 3, 0, None)
        rows = index_rows(html)
        assert len(rows) == RUNS
        documents = reduce(many_runs)
        for document in documents:
            row = rows[document["name"]]
            assert row["id"] == document["id"]
            assert row["status"] == document["status"]
            assert (row["input_tokens"], row["cost"]) == (
                document["usage"]["input_tokens"],
                document["usage"]["cost"],
            )
            assert row["errors"] == (1 if document["name"] == f"job-{FAILED}" else 0)
            assert row["shown"] == (document["name"] in shown)
        assert data["stats"] == stats.compute(documents)
        assert data["stats"]["total"]["input_tokens"] == sum(i * 100 for i in range(RUNS))

    def test_the_default_bound(self, many_runs: Path) -> None:
        """Without options, at most MAX_RUNS runs are shown in full."""
        data = embedded(render(reduce(many_runs)))
        assert len(data["documents"]) == MAX_RUNS < RUNS
        assert data["index"]["max_runs"] == MAX_RUNS

    def test_a_run_chosen_by_id_is_shown_in_full(self, many_runs: Path, tmp_path: Path) -> None:
        """--run with the start of a run's id shows exactly that run in full, however low it
        ranks; the index still lists every run."""
        cheapest = reduce(many_runs)[1]
        assert cheapest["name"] == "job-1"
        out = tmp_path / "one.html"
        chosen = cheapest["id"][:12]
        assert main(["report", str(many_runs), "--run", chosen, "-o", str(out)]) == 0
        data = embedded(out.read_text(encoding="utf-8"))
        assert data["documents"] == [cheapest]
        assert (data["index"]["runs"], data["index"]["chosen"]) == (RUNS, [chosen])

    def test_a_run_id_that_matches_nothing(
        self, many_runs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--run with an id no run has writes no page and exits 1, saying so."""
        out = tmp_path / "none.html"
        assert main(["report", str(many_runs), "--run", "nosuchrun", "-o", str(out)]) == 1
        assert "no run's id starts with 'nosuchrun'" in capsys.readouterr().err
        assert not out.exists()

    def test_the_runs_shown_hold_at_most_the_report_bound(self) -> None:
        """Runs that each fold to their own bound are shown only as many as fit in
        REPORT_NODES nodes together; the index marks each shown one folded."""
        (document,) = reduce(huge_run(iterations=250, actions=200))
        each = nodes(fold(document))
        copies = [renamed(document, f"{n:02d}") for n in range(REPORT_NODES // each + 2)]
        data = embedded(render(copies))
        assert page_nodes(data["documents"]) <= REPORT_NODES
        assert len(data["documents"]) == REPORT_NODES // each
        index = data["index"]
        assert (index["runs"], index["shown"]) == (len(copies), len(data["documents"]))
        assert index["folded"] == index["shown"]

    def test_past_the_index_rows_the_rest_is_summed_exactly(self) -> None:
        """Past INDEX_ROWS runs, the index lists the highest-ranked and sums the others in
        one row: runs, tokens and cost add up to every run's."""
        (document,) = reduce(huge_run(iterations=1, actions=3))
        runs = [
            {**document, "id": f"{n:032x}", "usage": {**document["usage"], "cost": 0.001}}
            for n in range(INDEX_ROWS + 5)
        ]
        index = embedded(render(runs, max_runs=1))["index"]
        assert (len(index["rows"]), index["rest"]["runs"]) == (INDEX_ROWS, 5)
        tokens = sum(row["input_tokens"] for row in index["rows"]) + index["rest"]["input_tokens"]
        assert tokens == len(runs) * document["usage"]["input_tokens"]
        assert index["rest"]["cost"] == 0.005
        assert index["rows"][0]["id"] == f"{5:032x}"  # the latest kept, by start then id

    def test_the_page_of_many_runs(
        self, browser_page: object, many_runs: Path, tmp_path: Path
    ) -> None:
        """In the browser, the header counts every run and says how many are shown in full;
        the section of runs says why and how to see another, lists every run, opens a shown
        one in the tree on a click, and shows a hostile run name as text that runs nothing."""
        from playwright.sync_api import Dialog

        dialogs: list[str] = []

        def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page = ready_page(browser_page, reduce(many_runs), tmp_path / "many.html")
        page.on("dialog", dismiss)
        summary = page.locator("#summary").text_content() or ""
        assert summary.startswith(f"{RUNS} runs, {MAX_RUNS} shown in full: ")
        section = page.locator("#runs-section")
        assert section.is_visible()
        assert f"Runs: {MAX_RUNS} of {RUNS} shown in full" in (
            section.locator("summary").text_content() or ""
        )
        note = page.locator("#runs-note").text_content() or ""
        assert "the runs that failed first, then the dearest" in note
        assert "--run ID" in note
        rows = page.locator("table.runs tr[data-run]")
        assert rows.count() == RUNS
        hostile = page.locator("table.runs tr[data-run]:not(.shown)").first
        assert hostile.locator("td").first.text_content() == INJECTION
        failed = page.locator("table.runs tr.shown", has_text=f"job-{FAILED}")
        failed.locator("button.jump").click()
        assert page.locator(".node.workflow.selected", has_text=f"job-{FAILED}").count() == 1
        assert page.evaluate("window.injected") is None
        assert page.locator("img").count() == 0
        assert dialogs == []
