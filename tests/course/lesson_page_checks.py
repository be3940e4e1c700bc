"""Checks of a lesson notebook as a learner reads it: its words, its links, its tables (lessons 5 to 7)."""

import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
INTERNAL_WORDS = re.compile(r"\bseeds?\b|\bseed (article|000|001)|shared/seeds", re.IGNORECASE)


def _texts(notebook, questions=False):
    """Every text a learner reads: Markdown cells, and the text and HTML/Markdown of every output.

    The outputs of the "check your understanding" cell (``questions()``) only with ``questions=True``:
    their wording belongs to the questions' owner and is checked on its own.
    """
    for cell in notebook.cells:
        if cell.cell_type == "code" and "questions()" in cell.source and not questions:
            continue
        if cell.cell_type == "markdown":
            yield "markdown", cell.source
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for kind in ("text/plain", "text/html", "text/markdown"):
                if kind in data:
                    yield kind, data[kind]
            if "text" in output:
                yield "stream", output["text"]


def check_lesson_page(stem, next_link, exercise):
    """No internal names, no cut table cells, a Sources list, and links onwards that exist."""
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    for kind, text in _texts(notebook):
        assert not INTERNAL_WORDS.search(text), (kind, INTERNAL_WORDS.search(text).group(0), text[:200])
        assert "USDⓈ" not in text, (kind, text[:200])  # the course writes USD-M, as lesson 0 explains
        assert not re.search(r"\.\.\.</td>", text), (kind, "a table cell cut short")
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "\n## Sources\n" in markdown
    assert f"]({next_link}" in markdown, "the Next: line links the next page"
    assert f"]({exercise})" in markdown
    for target in re.findall(r"\]\(([^)#]+\.ipynb)", markdown):
        assert (NOTEBOOKS / target).resolve().is_file(), f"{target} does not exist"
    opened = markdown.count("<details>")
    assert opened == markdown.count("</details>")


def questions_name_no_internal_sources(stem):
    """The questions' texts, as shown, use no internal name for a source."""
    notebook = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    for kind, text in _texts(notebook, questions=True):
        assert not INTERNAL_WORDS.search(text), (kind, INTERNAL_WORDS.search(text).group(0), text[:200])
