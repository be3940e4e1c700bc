"""``margincourse site OUT``: every lesson as a static HTML book, built offline from its committed outputs.

A web page cannot move a slider: a dashboard needs a running kernel. So the book shows each
lesson as it was last run (``tools/run_notebooks.py`` commits the outputs; nothing is
executed here), and each dashboard as the figure it carries beside its live view (the
dashboards put a PNG in their output for exactly this, ``course/widgets.py``), followed by a
note: open this lesson in JupyterLab to move the sliders, with the ways to do that (your own
computer, Binder, a class JupyterHub with nbgitpuller). A question widget shows as its text:
the question and its options, without the answer.

The builder is Jupyter Book 1 (``jupyter-book<2``: Sphinx with MyST-NB; version 2 fetches its
theme from the network), installed by the optional extra ``margincourse[site]``. So that the
pages make no request outside the site:

* the widget view mime type gets a lower priority than a PNG and plain text
  (MyST-NB's ``nb_mime_priority_overrides``: the lowest number is rendered), so no live
  widget is rendered at all;
* ``nb_ipywidgets_js`` is empty (MyST-NB's default loads RequireJS and the widget manager from
  public CDNs on every page with widgets) and the notebooks' saved widget state is dropped;
* no launch, repository, comment or analytics buttons (Jupyter Book's ``launch_buttons``,
  ``html`` settings), and the lessons use no ``$`` math (MathJax would come from a CDN).

``tests/delivery/test_site.py`` opens every page in Chromium and fails on any request that
leaves the site.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..basics.errors import MarginInputError
from ..basics.files import write_atomically
from .workspace import shipped_course

__all__ = ["SiteReport", "build_site", "book_notebook", "question_markdown", "SLIDER_NOTE", "MARKER"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MARKER = ".margincourse-site"       # marks a folder this command wrote, so it may write it again
OPEN_PAGE = "open"
SLIDER_NOTE = ("This is the dashboard as it was last run. **Open this lesson in JupyterLab to move the sliders**: "
               "[on your computer, on Binder or on a class JupyterHub](open.md).")
QUESTION_NOTE = ("The questions above answer you in JupyterLab: their buttons need a running kernel "
                 "([open the lessons](open.md)).")

CONFIG = {
    "title": "margincourse: margin in USDT-margined crypto futures",
    "author": "The margincourse authors",
    "copyright": "",
    "only_build_toc_files": True,
    "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
    "execute": {"execute_notebooks": "off"},
    "parse": {"myst_enable_extensions": ["colon_fence", "linkify"]},
    "html": {"use_edit_page_button": False, "use_repository_button": False, "use_issues_button": False,
             "use_multitoc_numbering": False, "comments": {"hypothesis": False, "utterances": False},
             "analytics": {"google_analytics_id": "", "plausible_analytics_domain": ""}},
    "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "", "jupyterhub_url": "",
                       "thebe": False, "colab_url": "", "deepnote_url": ""},
    "sphinx": {"config": {
        "nb_mime_priority_overrides": [["*", WIDGET_VIEW, 1000]],
        "nb_ipywidgets_js": {},
        "nb_render_markdown_format": "myst",   # the lessons' computed tables are markdown outputs
        "html_show_sourcelink": False,
        "html_copy_source": False,
        # navbar_persistent: pydata-sphinx-theme 0.16+ puts a second search field in a header bar
        # of its own above the book's; the sidebar's is enough (one search box, no empty bar)
        "html_theme_options": {"use_download_button": False, "use_fullscreen_button": False,
                               "search_bar_text": "Search the lessons...", "navbar_persistent": []},
    }},
}

OPEN_TEXT = """# Open the lessons with their sliders

This book shows every lesson as it was last run. The dashboards' sliders, the Check buttons of
the questions and the exercises need a running Python kernel. Three ways to get one:

## On your own computer

With Python 3.11 or newer, install the course and let it copy the lessons and exercises into a
folder of your own (`./margincourse-course`), then open JupyterLab there:

```bash
pip install "margincourse @ git+https://github.com/<owner>/<repository>"
margincourse start
```

A second `margincourse start` adds only what is missing: it never overwrites a notebook you
changed. If a dashboard shows "Error displaying widget", `margincourse doctor` says why and
prints the fix.

## On Binder, nothing to install

The repository runs on [Binder](https://mybinder.org): a link of the shape
`https://mybinder.org/v2/gh/<owner>/<repository>/main?urlpath=lab%2Ftree%2Fnotebooks%2F00_start_here.ipynb`
opens the start-here lesson. `margincourse links` prints it, and the README badge, for your copy.

## On a class JupyterHub

An nbgitpuller link clones the course into each learner's home on first click. See
[Running the course for a class](jupyterhub.md); `margincourse links --hub https://your.hub`
prints the link.
"""


@dataclass(frozen=True)
class SiteReport:
    """What :func:`build_site` made: the folder, its pages and how long the build took."""

    out: Path
    pages: tuple[str, ...]
    dashboards: int
    seconds: float


def _has_png_and_widget(output) -> bool:
    data = output.get("data", {})
    return WIDGET_VIEW in data and "image/png" in data


_OPTION = re.compile(r"^\s+[a-z]\)\s")


def question_markdown(text: str) -> str:
    r"""A question widget's plain-text form as markdown: the question in bold, its options as a list.

    >>> print(question_markdown("What is 2 x 3?\n  a) 5\n  b) 6"))
    **What is 2 x 3?**
    <BLANKLINE>
    - a) 5
    - b) 6
    """
    lines = text.splitlines()
    stem = " ".join(line.strip() for line in lines if line.strip() and not _OPTION.match(line))
    options = [line.strip() for line in lines if _OPTION.match(line)]
    return f"**{stem}**\n\n" + "\n".join(f"- {option}" for option in options)


def _as_question(output):
    """A question widget's output without its live view: its text as markdown (the page wraps it)."""
    data = output.get("data", {})
    if WIDGET_VIEW not in data or "image/png" in data or "text/plain" not in data:
        return output
    text = "".join(data["text/plain"]) if isinstance(data["text/plain"], list) else data["text/plain"]
    return {**output, "data": {"text/markdown": question_markdown(text), "text/plain": text}}


def _markdown_cell(text, tag):
    return {"cell_type": "markdown", "metadata": {"tags": [tag]}, "source": text}


def book_notebook(notebook: dict) -> tuple[dict, int]:
    """The lesson as the book shows it: a note after each dashboard and question cell, no widget state.

    Links to exercise notebooks (which need a kernel) point to the page that says how to open
    the course. Returns the new notebook and the number of dashboards noted.

    >>> cell = {"cell_type": "code", "metadata": {}, "source": "board()", "execution_count": 1,
    ...         "outputs": [{"output_type": "execute_result", "metadata": {}, "execution_count": 1,
    ...                      "data": {WIDGET_VIEW: {}, "image/png": "", "text/plain": "board"}}]}
    >>> book, dashboards = book_notebook({"cells": [cell], "metadata": {"widgets": {}}, "nbformat": 4,
    ...                                   "nbformat_minor": 5})
    >>> dashboards, [c["cell_type"] for c in book["cells"]], "widgets" in book["metadata"]
    (1, ['code', 'markdown'], False)
    """
    cells, dashboards = [], 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell = {**cell, "source": re.sub(r"\]\((?:\.\./)?exercises/[\w.-]+\.ipynb\)", "](open.md)", source)}
        outputs = cell.get("outputs", []) if cell["cell_type"] == "code" else []
        questions = any(WIDGET_VIEW in o.get("data", {}) for o in outputs)
        if outputs:
            cell = {**cell, "outputs": [_as_question(o) for o in outputs]}
        cells.append(cell)
        if any(_has_png_and_widget(o) for o in outputs):
            dashboards += 1
            cells.append(_markdown_cell(f"```{{note}}\n{SLIDER_NOTE}\n```", "margincourse-slider-note"))
        elif questions:
            cells.append(_markdown_cell(f"```{{note}}\n{QUESTION_NOTE}\n```", "margincourse-question-note"))
    metadata = {k: v for k, v in notebook.get("metadata", {}).items() if k != "widgets"}
    return {**notebook, "cells": cells, "metadata": metadata}, dashboards


def _jupyterhub_page(source: Path) -> Path | None:
    for path in (source / "docs" / "jupyterhub.md", source.parent / "docs" / "jupyterhub.md"):
        if path.is_file():
            return path
    return None


def _stage(book: Path, source: Path) -> tuple[list[str], int]:
    """Write the book's sources: config, table of contents, the pages and the noted lessons."""
    lessons = sorted((source / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise MarginInputError(f"site needs the course's lessons; none found in {source / 'notebooks'}")
    dashboards = 0
    for lesson in lessons:
        notebook, found = book_notebook(json.loads(lesson.read_text(encoding="utf-8")))
        dashboards += found
        (book / lesson.name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
    (book / f"{OPEN_PAGE}.md").write_text(OPEN_TEXT, encoding="utf-8")
    chapters = [lesson.stem for lesson in lessons[1:]] + [OPEN_PAGE]
    hub = _jupyterhub_page(source)
    if hub is not None:
        (book / "jupyterhub.md").write_text(hub.read_text(encoding="utf-8"), encoding="utf-8")
        chapters.append("jupyterhub")
    else:
        (book / f"{OPEN_PAGE}.md").write_text(OPEN_TEXT.replace("[Running the course for a class](jupyterhub.md)",
                                                                "the course's docs/jupyterhub.md"), encoding="utf-8")
    toc = {"format": "jb-book", "root": lessons[0].stem, "chapters": [{"file": c} for c in chapters]}
    (book / "_config.yml").write_text(json.dumps(CONFIG, indent=1), encoding="utf-8")  # JSON is YAML
    (book / "_toc.yml").write_text(json.dumps(toc, indent=1), encoding="utf-8")
    return [lessons[0].stem, *chapters], dashboards


def _check_out(out: Path) -> Path:
    out = Path(out).expanduser().resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise MarginInputError(f"out must be a new or empty folder, or one margincourse site wrote before; "
                               f"{str(out)!r} holds other files, which the site would replace")
    return out


def build_site(out, source: Path | None = None, timeout: float = 1800) -> SiteReport:
    """Build the book of every lesson into the folder ``out`` (``index.html`` is the start-here lesson).

    Needs the extra ``margincourse[site]`` (Jupyter Book 1). Nothing is executed: the pages show the
    outputs committed in the notebooks.
    """
    out = _check_out(out)
    try:
        import jupyter_book  # noqa: F401
    except ImportError:
        raise MarginInputError('site needs Jupyter Book 1: pip install "margincourse[site]"') from None
    source = shipped_course() if source is None else Path(source)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="margincourse-site-") as folder:
        book = Path(folder) / "book"
        book.mkdir()
        pages, dashboards = _stage(book, source)
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
                   "build", str(book), "--path-output", folder, "--all", "-q"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        html = Path(folder) / "_build" / "html"
        if done.returncode != 0 or not (html / "index.html").is_file():
            raise RuntimeError(f"jupyter-book build failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(html, out, ignore=shutil.ignore_patterns(".buildinfo", ".doctrees"))
    seconds = time.perf_counter() - started
    write_atomically(out / MARKER, f"built by margincourse site in {seconds:.1f} s\n")
    write_atomically(out / ".nojekyll", "")  # GitHub Pages from a branch: serve _static/ and _images/ as they are
    return SiteReport(out, tuple(pages), dashboards, seconds)
