"""An exercise notebook in JupyterLab in headless Chromium: answer a question, run its check.

exercises/ex01_initial_margin.ipynb, untouched, runs from top to bottom without an error
output (every check says the answer is missing). Then, as a learner does: type an answer
into the q1 answer cell, run it and its check cell (Shift+Enter twice) and read the
verdict; first a typical mistake (the whole notional taken out of the account instead of the
margin), then the right value: 1,000 USDT - 0.03 BTC x 64,000 USDT / 20, what a short leaves free.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

EXERCISE = "exercises/ex01_initial_margin.ipynb"


def answer_and_check(notebook, answer_cell, check_cell, source):
    """Type ``source`` into the answer cell, Shift+Enter twice, return the check cell's new output."""
    old = check_cell.locator(".jp-OutputArea").inner_text()
    notebook.replace_cell_source(answer_cell, source)
    notebook.page.keyboard.press("Shift+Enter")   # runs the answer cell, selects the check cell
    notebook.page.keyboard.press("Shift+Enter")   # runs the check cell
    output = check_cell.locator(".jp-OutputArea")
    notebook.page.wait_for_function("([el, old]) => el.innerText.trim() !== '' && el.innerText !== old",
                                    arg=[output.element_handle(), old], timeout=30_000)
    return output.inner_text().strip()


def test_exercise_check_prints_verdict(open_notebook, lab, screenshots):
    notebook = open_notebook(EXERCISE)
    notebook.run_all()
    problems = notebook.output_problems()
    assert not problems, "\n".join(problems)

    answer_cell = notebook.cell("answer_q1 = None")
    check_cell = notebook.cell('check("q1", answer_q1)')
    assert "q1" in check_cell.locator(".jp-OutputArea").inner_text(), "the untouched check cell printed no verdict"

    wrong = answer_and_check(notebook, answer_cell, check_cell, "answer_q1 = 1000 - 0.03 * 64000")
    assert wrong.startswith("✘ q1:"), f"a wrong answer should get a cross: {wrong!r}"
    assert "whole notional" in wrong, f"the check should name the likely mistake: {wrong!r}"

    right = answer_and_check(notebook, answer_cell, check_cell, "answer_q1 = 1000 - 0.03 * 64000 / 20")
    assert right.startswith("✔ q1: correct."), f"unexpected verdict: {right!r}"
    assert not notebook.output_problems()
    assert not notebook.page_errors, f"uncaught errors in the page: {notebook.page_errors}"

    # The learner's progress file (MARGINCOURSE_PROGRESS, a temporary file) has the verdict.
    progress = json.loads(lab.progress_file.read_text())
    assert progress["01_initial_margin"]["q1"]["correct"] is True

    prompt = answer_cell.locator("xpath=preceding-sibling::div[contains(@class, 'jp-MarkdownCell')][1]")
    notebook.screenshot(screenshots / "exercise01_check.png", prompt if prompt.count() else answer_cell,
                        last=check_cell, max_width=1000)
