"""The course in a real browser: time to a rendered dashboard, and one slider move's round trip.

    python benchmarks/bench_browser.py [--moves 20] [--out benchmarks/results/browser.md]

Starts JupyterLab on 127.0.0.1 over a temporary copy of the course (the same harness as
tests/browser/), opens lesson 1 in headless Chromium (Debian's /usr/bin/chromium driven
by Playwright; no browser download), runs all cells and times each stage from the
server's start to the dashboard's figure on screen. Then it moves the leverage slider
with the keyboard (ArrowRight, then ArrowLeft back), one move at a time, and times
each round trip inside the page: key down -> the kernel recomputes -> the new readout
painted (next animation frame after the DOM change), and -> the new figure loaded.
Target (issue "The course in a real browser"): a slider round trip under 300 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import report  # noqa: E402


def load_harness():
    """tests/browser/conftest.py, imported under its own name (its helpers, not its fixtures)."""
    spec = importlib.util.spec_from_file_location("margincourse_browser_harness",
                                                  HERE.parent / "tests" / "browser" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LESSON = "notebooks/01_initial_margin.ipynb"

# In the page: one record per key press, stamped when the key goes down, when the readout's
# new text is painted and when the figure's new image has loaded.
INSTRUMENT = """([handle, readout, image]) => {
  const marks = window.__marks = [];
  handle.addEventListener('keydown', () => marks.push({key: performance.now()}), true);
  new MutationObserver(() => {
    const mark = marks[marks.length - 1];
    if (mark && mark.readout === undefined) {
      mark.readout = -1;
      requestAnimationFrame(() => { mark.readout = performance.now(); });
    }
  }).observe(readout, {childList: true, subtree: true, characterData: true});
  image.addEventListener('load', () => {
    const mark = marks[marks.length - 1];
    if (mark && mark.image === undefined) mark.image = performance.now();
  });
}"""

MOVE_DONE = """(count) => window.__marks.length === count
  && window.__marks[count - 1].readout > 0 && window.__marks[count - 1].image > 0"""


def seconds(value):
    return f"{value:.1f} s"


def ms(values):
    return f"{statistics.median(values):.0f} ms (fastest {min(values):.0f}, slowest {max(values):.0f})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20, help="slider moves to time (default 20)")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)

    harness = load_harness()
    reason = harness.missing_reason()
    if reason:
        print(f"bench_browser: cannot run: {reason}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from importlib.metadata import version as package_version

    import jupyterlab

    stages = {}
    with tempfile.TemporaryDirectory(prefix="margincourse-bench-browser-") as workdir:
        server = harness.LabServer(Path(workdir) / "lab")
        start = time.perf_counter()
        server.start()
        stages["JupyterLab answers on 127.0.0.1"] = server.ready_seconds
        try:
            with sync_playwright() as pw:
                context = harness.launch_browser(pw, Path(workdir) / "profile")
                chromium = context.browser.version if context.browser else "?"
                stages["Chromium started"] = time.perf_counter() - start
                notebook = harness.NotebookPage(context, server, LESSON)
                notebook.page.goto(server.url(f"lab/workspaces/bench/tree/{LESSON}"))
                notebook.page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
                stages["lesson 1 shown in JupyterLab"] = time.perf_counter() - start
                notebook.page.wait_for_function(harness.KERNEL_IDLE, timeout=harness.KERNEL_TIMEOUT, polling=50)
                stages["its kernel idle"] = time.perf_counter() - start
                run_seconds = notebook.run_all()
                dashboard = harness.Dashboard(notebook)
                dashboard.image.wait_for()
                dashboard.image.evaluate("img => img.decode()")
                stages["Run All Cells done, dashboard and figure rendered"] = time.perf_counter() - start

                labels = dashboard.slider_labels()
                index = next(i for i, label in enumerate(labels) if "leverage" in label.lower())
                handle = dashboard.sliders.nth(index).locator(".noUi-handle").first
                handle.scroll_into_view_if_needed()
                notebook.page.evaluate(INSTRUMENT, [handle.element_handle(), dashboard.readout.element_handle(),
                                                    dashboard.image.element_handle()])
                handle.focus()
                outside = []
                for move in range(args.moves):
                    key = "ArrowRight" if move < (args.moves + 1) // 2 else "ArrowLeft"
                    pressed = time.perf_counter()
                    handle.press(key)
                    notebook.page.wait_for_function(MOVE_DONE, arg=move + 1, polling="raf", timeout=10_000)
                    outside.append((time.perf_counter() - pressed) * 1e3)
                    notebook.page.wait_for_timeout(150)   # one move at a time, as a learner's key presses
                marks = notebook.page.evaluate("() => window.__marks")
                problems = notebook.output_problems()
                notebook.close()
                context.close()
        finally:
            server.stop()

    readout = [m["readout"] - m["key"] for m in marks]
    figure = [m["image"] - m["key"] for m in marks]
    rows = [(f"server start -> {name}", seconds(value), "") for name, value in stages.items()]
    rows.append(("Run All Cells alone (menu click -> every cell run afresh)", seconds(run_seconds), ""))
    rows += [
        (f"slider round trip, key press -> new readout painted ({len(readout)} moves)", ms(readout), "< 300 ms"),
        ("slider round trip, key press -> new figure loaded", ms(figure), "< 300 ms"),
        ("same, as Playwright sees it (press -> both seen, polled every frame)", ms(outside), ""),
    ]
    notes = [
        f"Lesson 1, leverage slider moved with ArrowRight/ArrowLeft; times inside the page from the "
        f"keydown event. Chromium {chromium} (headless, Debian), JupyterLab {jupyterlab.__version__}, "
        f"Playwright {package_version('playwright')}.",
        "Target: slider round trip under 300 ms.",
    ]
    if problems:
        notes.append("Output problems seen: " + "; ".join(problems))
    report("Browser benchmark", ("what", "time", "target"), rows, notes=notes, out=args.out)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
