"""Lessons 1-8 in JupyterLab in headless Chromium: Run All Cells, then what a learner sees.

For each lesson notebook (``notebooks/0N_*.ipynb``; a lesson not written yet is skipped):
every cell runs without an error output, the dashboard shows its sliders and its figure,
a slider moved with the keyboard changes the readout and the figure, and a "check your
understanding" question answers "✔ Right." or "✘ Not quite.", once.
"""

from __future__ import annotations

import re
import warnings

import pytest

pytestmark = pytest.mark.browser

VERDICT = re.compile(r"^(✔ Right\.|✘ Not quite\.) \S")


def test_all_cells_run_without_errors(lesson):
    problems = lesson.output_problems()
    assert not problems, "\n".join(problems)
    for text in lesson.stderr_texts():   # not an error, but a learner sees it: say so
        warnings.warn(f"{lesson.path} writes to stderr: {text[:200]}")
    assert not lesson.page_errors, f"uncaught errors in the page: {lesson.page_errors}"
    assert not lesson.external_requests, f"the page reached beyond localhost: {lesson.external_requests}"


def test_dashboard_shows_sliders_and_figure(lesson, dashboard, screenshots):
    assert dashboard.sliders.count() >= 1, "the dashboard has no slider"
    assert all(dashboard.slider_labels()), f"a slider without a label: {dashboard.slider_labels()}"
    dashboard.image.scroll_into_view_if_needed()
    src = dashboard.image.get_attribute("src") or ""
    assert src.startswith(("blob:", "data:image/png")), f"the figure has no image: {src[:60]!r}"
    width, height = dashboard.image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 200 and height > 150, f"the figure is {width}x{height} pixels"
    assert dashboard.readout.inner_text().strip(), "the readout is empty"
    if lesson.number == 1:
        lesson.screenshot(screenshots / "lesson1_dashboard_before.png", dashboard.root, max_width=880)


def test_slider_moves_readout_and_figure(lesson, dashboard, screenshots):
    """ArrowRight on a slider (leverage first) changes the readout text and the figure's image."""
    labels = dashboard.slider_labels()
    order = sorted(range(len(labels)), key=lambda i: "leverage" not in labels[i].lower())
    tried = []
    for index in order:
        handle = dashboard.sliders.nth(index).locator(".noUi-handle").first
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_max else "ArrowRight"
        readout_changed, image_changed, _ = dashboard.press(index, key)
        tried.append(f"{labels[index]!r} {key}: readout {'changed' if readout_changed else 'unchanged'}, "
                     f"figure {'changed' if image_changed else 'unchanged'}")
        if readout_changed and image_changed:
            break
    else:
        pytest.fail("no slider changed both the readout and the figure: " + "; ".join(tried))
    print(f"{lesson.path}: " + "; ".join(tried))
    assert not lesson.output_problems()
    if lesson.number == 1:
        lesson.screenshot(screenshots / "lesson1_dashboard_after.png", dashboard.root, max_width=880)
        # the whole dashboard in the window, its title at the top
        dashboard.root.locator(".widget-html").first.evaluate("e => e.scrollIntoView({block: 'start'})")
        lesson.screenshot(screenshots / "lesson1_jupyterlab.png")


def test_question_answers(lesson, screenshots):
    """Press an option's letter in the first "check your understanding" question, click Check,
    read the one verdict; then another option."""
    question = lesson.page.locator(".jp-OutputArea-output .mc-question").first
    question.scroll_into_view_if_needed()
    options = question.locator(".mc-option button")
    assert options.count() >= 2, "a question needs at least two options"
    feedback = question.locator(".mc-feedback .widget-html-content")
    check = question.locator("button", has_text="Check")
    options.first.click()
    check.click()
    feedback.locator("b").wait_for()
    first = feedback.inner_text().strip()
    assert VERDICT.match(first), f"unexpected feedback: {first!r}"
    if lesson.number == 1:
        lesson.screenshot(screenshots / "lesson1_question.png", question, max_width=880)
    options.nth(1).click()
    check.click()
    lesson.page.wait_for_function("([el, old]) => el.innerText.trim() !== '' && el.innerText.trim() !== old",
                                  arg=[feedback.element_handle(), first], timeout=5_000)
    second = feedback.inner_text().strip()
    assert VERDICT.match(second), f"unexpected feedback: {second!r}"
    assert not (first.startswith("✔") and second.startswith("✔")), "two options cannot both be right"
    assert len(re.findall(r"\bRight\b", first)) <= 1, f"the verdict is said twice: {first!r}"
    assert not lesson.output_problems()
