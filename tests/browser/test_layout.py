"""What a learner sees after Run All, measured: nothing overlaps or is cut off, and a lesson is short.

Every notebook of the course (``notebooks/*.ipynb`` and ``exercises/*.ipynb``, found by
glob) is run once in JupyterLab and surveyed before any test touches it
(``NotebookPage.survey`` in conftest.py); the tests here judge that survey.

Layout, at each of ``LAYOUT_WIDTHS`` (1024 and 1280 px wide, 800 high; JupyterLab's file
browser open, as a learner first meets it): within one cell's outputs, no two widget
elements (labels, slider tracks, readouts, buttons, toggle buttons, radio options, HTML
widgets, images; each with the text it paints) overlap by more than 1 px; no widget text is
cut off by an ellipsis or by a box that clips it; no output table cell ends in "..." or "…"
(a cell pandas truncated). Each finding names the cell (its number in the notebook and its
prompt), the heading above it, the elements' classes and their text; a picture of each
offending cell's outputs is saved beside the screens.

Length, at 1280x800: the notebook's content (collapsed ``<details>`` stay collapsed) over
the notebook's visible height, in screens. A lesson's main path is at most ``MAX_SCREENS``
screens (the style notes: "about ten"); an exercise's length is reported, not limited.
Every screen is saved as ``<stem>_screen<k>.png`` in MARGINCOURSE_SCREENSHOTS (or a
temporary folder), scrolling the notebook's own scroller screen by screen.

    MARGINCOURSE_SCREENSHOTS=/tmp/margincourse-screens \
        .venv/bin/python -m pytest -m browser tests/browser/test_layout.py

The numbers appear in the run's summary ("lesson 3: 9.4 screens ...").
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

MAX_SCREENS = 11   # "about ten screens", with a screen's slack for the last one


def where(finding):
    heading = f' under "{finding["heading"]}"' if finding["heading"] else ""
    return f"cell {finding['cell']} {finding['prompt']}{heading}".replace("  ", " ")


def describe(notebook, width):
    """Every layout finding at ``width``, one or more lines each, for the lesson's author."""
    found = notebook.layout[width]
    lines = []
    for f in found["overlaps"]:
        lines.append(f"  overlap ({f['size']}) in {where(f)}:\n"
                     f"      {f['first']} {f['first_text']!r}\n"
                     f"    overlaps {f['second']} {f['second_text']!r}")
    for f in found["clipped"]:
        cut = [f"      {t['element']} {t['text']!r} (too wide by {t['width']} px, too high by {t['height']} px)"
               for t in f["texts"]]
        by = "its own box" if f["clipped_by"] == "itself" else f["clipped_by"]
        lines.append(f"  clipped text ({f['how']} of {by}) in {where(f)}:\n" + "\n".join(cut))
    for f in found["truncated"]:
        column = f" column {f['column']!r}," if f["column"] else ""
        lines.append(f"  truncated table cell in {where(f)}:{column} row {f['row']!r}: {f['text']!r}")
    pictures = [str(p) for p in notebook.layout_shots.get(width, [])]
    if pictures:
        lines.append("  pictures of those outputs: " + ", ".join(pictures))
    return lines


def check_layout(notebook, width, record_property):
    found = notebook.layout[width]
    clipped = sum(len(f["texts"]) for f in found["clipped"])
    record_property("margincourse_layout", {"path": notebook.path, "width": width, "overlaps": len(found["overlaps"]),
                                            "clipped": clipped, "truncated": len(found["truncated"])})
    lines = describe(notebook, width)
    if lines:
        pytest.fail(f"{notebook.label} ({notebook.path}) at {width} px wide: "
                    f"{len(found['overlaps'])} overlapping pairs, {clipped} clipped texts, "
                    f"{len(found['truncated'])} truncated table cells\n" + "\n".join(lines), pytrace=False)


def check_screens(notebook, record_property, limit=None):
    extent = notebook.survey_extent
    screens = round(notebook.screens, 1)
    record_property("margincourse_screens", {"path": notebook.path, "screens": screens, "limit": limit,
                                             "details": extent["details"]})
    print(f"{notebook.label}: {screens:.1f} screens ({extent['content']:.0f} px of content, "
          f"{extent['visible']} px visible)")
    # The screens were really scrolled to, one visible height apart, saved, and cover the content.
    shots = notebook.screen_shots
    assert shots and shots[-1]["top"] + extent["visible"] >= extent["content"] - 1, (
        f"{len(shots)} screens saved for {notebook.screens:.2f} screens of content")
    for shot in shots:
        assert shot["path"].stat().st_size > 0, f"{shot['path']} is empty"
        assert abs(shot["top"] - shot["wanted"]) <= 1, (
            f"the notebook did not scroll to {shot['wanted']} px for {shot['path'].name} (it is at {shot['top']} px)")
    if limit is not None:
        opened = f", {extent['open_details']} <details> open" if extent["open_details"] else ""
        if screens > limit:
            pytest.fail(f"{notebook.label} ({notebook.path}) is {screens:.1f} screens long at 1280x800 "
                        f"({extent['content']:.0f} px of content, {extent['visible']} px visible{opened}); its main "
                        f"path should fit in about ten (at most {limit}): move reference detail into <details> "
                        f"\"Going deeper\" sections", pytrace=False)


def test_lesson_layout(lesson, layout_width, record_property):
    examined = lesson.layout[layout_width]["examined"]
    assert examined["widgets"] and examined["texts"], (
        f"the layout check found no widget in {lesson.path}, which has a dashboard: do its selectors "
        f"still match JupyterLab's and ipywidgets' elements? {examined}")
    check_layout(lesson, layout_width, record_property)


def test_notebook_layout(course_notebook, layout_width, record_property):
    check_layout(course_notebook, layout_width, record_property)


def test_lesson_screens(lesson, record_property):
    check_screens(lesson, record_property, limit=MAX_SCREENS)


def test_notebook_screens(course_notebook, record_property):
    """Lesson 0 is a lesson (limited); an exercise is as long as its questions need (reported)."""
    is_lesson = Path(course_notebook.path).parent.name == "notebooks"
    check_screens(course_notebook, record_property, limit=MAX_SCREENS if is_lesson else None)


# JupyterLab's and ipywidgets' structure and styles, with one defect of each kind planted
# next to look-alikes that are fine.
PLANTED = """
<style>
  body { font: 13px sans-serif; margin: 0 }
  .widget-label, .widget-toggle-button, .widget-readout {
    overflow: hidden; text-overflow: ellipsis; white-space: nowrap }
  .widget-toggle-button { box-sizing: border-box; padding: 0 6px }
</style>
<div class="jp-Notebook">
  <div class="jp-Cell jp-MarkdownCell"><div class="jp-MarkdownOutput"><h2>Planted quiz</h2></div></div>
  <div class="jp-Cell jp-CodeCell"><div class="jp-InputArea-prompt">[7]:</div>
    <div class="jp-Cell-outputArea"><div class="jp-OutputArea-output">
      <div class="jupyter-widgets widget-vbox" style="width: 300px">
        <div class="jupyter-widgets widget-radio"><div class="widget-radio-box">
          <label style="display: block; height: 20px; line-height: 20px">An option long enough to wrap
            onto a second line in 300 px</label>
          <label style="display: block; height: 20px; line-height: 20px">Short option</label>
        </div></div>
        <div style="display: flex">
          <button class="jupyter-widgets widget-toggle-button" style="width: 60px">isolated + auto-add</button>
          <button class="jupyter-widgets widget-toggle-button" style="width: 100px">cross</button>
        </div>
        <div class="jupyter-widgets widget-slider" style="display: flex">
          <label class="widget-label" style="width: 120px">fits exactly</label>
          <div class="widget-readout" style="width: 80px">1,000 USDT</div>
        </div>
      </div>
    </div>
    <div class="jp-OutputArea-output"><div class="jp-RenderedHTMLCommon"><table>
      <thead><tr><th></th><th>what happened</th></tr><tr><th>scenario</th><th></th></tr></thead>
      <tbody><tr><th>crash_50</th><td>A steady fall to half the start price over the...</td></tr>
             <tr><th>flat</th><td>Nothing ... at all</td></tr></tbody>
    </table></div></div></div>
  </div>
</div>
"""


def test_layout_check_finds_planted_defects(browser, layout_problems):
    """The check itself: each kind of defect is found and named; the look-alikes next to them are not."""
    page = browser.new_page()
    try:
        page.set_viewport_size({"width": 1024, "height": 800})
        page.set_content(PLANTED)
        found = layout_problems(page)
    finally:
        page.close()
    where = {"cell": 2, "prompt": "[7]:", "heading": "Planted quiz"}
    [overlap] = found["overlaps"]
    assert {k: overlap[k] for k in where} == where
    assert (overlap["first"], overlap["second"]) == ("div.widget-radio-box > label",) * 2
    assert overlap["first_text"].startswith("An option long enough") and overlap["second_text"] == "Short option"
    [clipped] = found["clipped"]
    assert clipped["how"] == "text-overflow: ellipsis" and clipped["clipped_by"] == "itself"
    assert [(t["element"], t["text"]) for t in clipped["texts"]] == [
        ("button.widget-toggle-button", "isolated + auto-add")]
    [truncated] = found["truncated"]
    assert (truncated["text"], truncated["row"], truncated["column"]) == (
        "A steady fall to half the start price over the...", "crash_50", "what happened")
    assert found["examined"] == {"widgets": 6, "texts": 6, "table_cells": 8}
