"""``margincourse site``: the book of every lesson, built offline from the committed outputs,
each dashboard as its figure with a note, and not one request outside the site in Chromium."""

import functools
import importlib.util
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest

from margincourse.cli import main
from margincourse.delivery import site, workspace

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "browser" / "conftest.py"


def harness():
    """tests/browser/conftest.py under its own name: Chromium's path and launch, the skip/fail rule."""
    spec = importlib.util.spec_from_file_location("margincourse_browser_harness_site", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lessons():
    return sorted((workspace.shipped_course() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def dashboards_in(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    boards = sum(site.WIDGET_VIEW in o.get("data", {}) and "image/png" in o.get("data", {}) for o in outputs)
    return figures, boards


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    if importlib.util.find_spec("jupyter_book") is None:
        if harness().running_in_ci():
            pytest.fail('CI is set, so the site tests must run, but jupyter-book is missing: pip install -e ".[test]"')
        pytest.skip('the site needs Jupyter Book 1: pip install -e ".[site]"')
    out = tmp_path_factory.mktemp("site") / "book"
    stream = StringIO()
    assert main(["site", str(out)], out=stream) == 0
    return out, stream.getvalue()


pytestmark = pytest.mark.slow


def test_every_lesson_is_a_page_with_its_figures_and_a_note_under_each_dashboard(book):
    out, printed = book
    assert f"open {out / 'index.html'}" in printed
    assert (out / ".nojekyll").is_file()   # GitHub Pages from a branch serves _static/ and _images/
    assert lessons()
    for index, lesson in enumerate(lessons()):
        page = out / f"{lesson.stem}.html"   # index.html only redirects to the first lesson's page
        html = page.read_text(encoding="utf-8")
        figures, boards = dashboards_in(lesson)
        images = re.findall(r'<img[^>]+src="(_images/[^"]+\.png)"', html)
        assert len(images) == figures, lesson.name
        assert all((out / src).is_file() for src in images)
        assert html.count("Open this lesson in JupyterLab to move the sliders") == boards, lesson.name
        assert "widget-view+json" not in html.split("<body", 1)[1].replace("application/vnd.jupyter.widget-state", "")
    assert sum(dashboards_in(lesson)[1] for lesson in lessons()) >= 7
    opening = (out / "open.html").read_text(encoding="utf-8")
    assert 'href="jupyterhub.html"' in opening
    text = re.sub(r"<[^>]+>", "", opening)
    assert "margincourse start" in text and "mybinder.org" in text and "margincourse doctor" in text
    assert "nbgitpuller" in (out / "jupyterhub.html").read_text(encoding="utf-8")


def test_no_page_loads_anything_from_a_cdn(book):
    out, _ = book
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        tags = re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*>', html)
        remote = [t for t in tags if re.search(r'(?:src|href)="(?:https?:)?//', t) and 'rel="canonical"' not in t]
        assert remote == [], page.name
        assert "require.min.js" not in html and "embed-amd" not in html and "mathjax" not in html.lower()


def test_site_refuses_a_folder_holding_other_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["site", str(tmp_path)], out=StringIO()) == 2
    assert "out must be a new or empty folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


VISIBLE_SEARCH_FIELDS = """() => [...document.querySelectorAll(
    '.search-button-field, .search-button, #searchbox input, input[type=search]')].filter(e => {
        const box = e.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== 'hidden'
               && e.closest('dialog') === null; }).length"""


@pytest.mark.browser
def test_every_page_in_chromium_makes_no_request_outside_the_site(book, tmp_path):
    out, _ = book
    browser_harness = harness()
    browser_harness.require_browser()
    from playwright.sync_api import sync_playwright

    handler = functools.partial(type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                                directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    outside, broken, seen, searches = [], [], [], []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
            seen.append(url)
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    def browse():
        with sync_playwright() as playwright:
            context = browser_harness.launch_browser(playwright, tmp_path / "profile")
            context.route("**/*", route)
            page = context.new_page()
            page.on("response", lambda r: r.status >= 400 and broken.append(f"{r.status} {r.url}"))
            for html in sorted(out.glob("*.html")):
                page.goto(base + html.name, wait_until="networkidle")
                images = page.evaluate("() => [...document.images].map(i => [i.src, i.complete && i.naturalWidth > 0])")
                assert all(ok for _, ok in images), (html.name, images)
                searches.append((html.name, page.evaluate(VISIBLE_SEARCH_FIELDS)))
                if html.name == "01_initial_margin.html":
                    shots = browser_harness.chosen_screenshots_folder()
                    if shots is not None:
                        shots.mkdir(parents=True, exist_ok=True)
                        note = page.get_by_text("Open this lesson in JupyterLab to move the sliders").first
                        note.scroll_into_view_if_needed()
                        page.screenshot(path=str(shots / "site_lesson1.png"))
            context.close()

    # Playwright's sync API refuses to run where an asyncio loop is running in this thread, and an earlier
    # test in the same session (kernels, nbclient) can leave one behind: browse in a thread of its own.
    failures = []

    def browse_catching():
        try:
            browse()
        except BaseException as error:  # handed back to the test's thread below
            failures.append(error)

    try:
        worker = threading.Thread(target=browse_catching)
        worker.start()
        worker.join()
    finally:
        server.shutdown()
    if failures:
        raise failures[0]
    assert outside == []
    assert broken == []
    assert len(seen) > len(list(out.glob("*.html")))   # the pages and their own files were really loaded
    # one search box at 1280 px, not a second one in a header bar (the search page has its own field too)
    assert [page for page, count in searches if count != 1 and page != "search.html"] == [], searches
