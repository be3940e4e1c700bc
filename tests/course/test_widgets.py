"""Dashboards, questions and the fast renderer, without a browser."""

import base64
import itertools
import re

import ipywidgets as w

import pytest

import margincourse as mc
from margincourse.course.plots import FastRenderer, figure_png, new_figure
from margincourse.basics.questions import ChoiceQuestion
from margincourse.course import widgets
from margincourse.course.widgets import (
    LABEL_CHARS, VALUE_CHARS, Dashboard, Question, choice, inline_html, leverage_slider, readout_widths,
)


def test_fast_renderer_matches_a_full_redraw():
    figure, ax = new_figure()
    (line,) = ax.plot([0, 1, 2], [0, 1, 0])
    ax.set_xlim(0, 2)
    ax.set_ylim(-2, 2)
    renderer = FastRenderer(figure, [line])
    first = renderer.png()
    line.set_ydata([0, -1, 0])
    moved = renderer.png()
    assert first != moved
    line.set_ydata([0, 1, 0])
    assert renderer.png() == first


def test_fast_renderer_redraws_the_background_when_limits_change():
    figure, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    renderer = FastRenderer(figure, [line])
    renderer.png()
    background = renderer._background
    ax.set_ylim(0, 10)
    renderer.png()
    assert renderer._background is not background


def _toy_dashboard():
    figure, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_ylim(0, 130)
    controls = {"leverage": leverage_slider(10, 125)}

    def update(leverage):
        mc.tier_table("BTCUSDT").check_leverage(leverage, 100_000)
        line.set_ydata([0, leverage])
        return {"leverage": f"{leverage}x"}

    return Dashboard("toy", controls, figure, update, animated=[line])


def test_dashboard_update_and_refused_combination():
    dashboard = _toy_dashboard()
    assert dashboard.set(leverage=50) == {"leverage": "50x"}
    readout = dashboard.set(leverage=125)
    assert "The exchange would refuse this combination: leverage must be between 1 and 100" in readout["note"]
    assert dashboard.controls["leverage"].value == 125


def test_dashboard_reacts_to_a_slider_like_a_browser_would():
    dashboard = _toy_dashboard()
    dashboard.controls["leverage"].value = 20
    assert dashboard.readout == {"leverage": "20x"}


def test_dashboard_display_has_widget_png_and_text():
    dashboard = _toy_dashboard()
    bundle = dashboard._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == "toy\nleverage  10x"


def test_dashboard_refuses_unknown_controls():
    with pytest.raises(mc.MarginInputError, match="control must be one of leverage"):
        _toy_dashboard().set(price=1)


def test_question_feedback():
    question = Question("2 + 2?", {"4": "Yes: two and two.", "5": "Off by one."}, answer="4")
    assert question.check("4") == "Right. Two and two."  # one verdict: the explanation's own "Yes:" is gone
    assert question.check("5") == "Not quite. Off by one."
    assert question.check(None) == "Pick one of the options first."
    question.pick("5")
    question._show()
    assert "Off by one." in question._feedback.value
    assert "✘ Not quite.</b>" in question._feedback.value
    question.pick("4")
    assert question._feedback.value == ""  # a new pick clears the old verdict
    question._show()
    assert "✔ Right.</b> Two and two." in question._feedback.value
    assert question._feedback.value.count("Right") == 1
    question.pick(None)
    question._show()
    assert "Pick one of the options first." in question._feedback.value
    with pytest.raises(mc.MarginInputError, match=r"option must be one of '[45]', '[45]', got '6'"):
        question.pick("6")
    with pytest.raises(mc.MarginInputError):
        Question("?", {"a": ""}, answer="b")


def test_a_lesson_question_is_a_choice_question_and_judges_like_one():
    """The lesson widget adds a view and its own wording; the judging is basics.questions.ChoiceQuestion's."""
    question = Question("2 + 2?", {"4": "Four.", "5": "Off by one."}, answer="4")
    assert isinstance(question.question, ChoiceQuestion)
    assert (question.prompt, question.options, question.answer) == ("2 + 2?", {"4": "Four.", "5": "Off by one."}, "4")
    for option in question.options:
        correct, text = question.question.evaluate(option)
        assert question.question.judge(option) == (correct, question.options[option])
        assert question.check(option) == ("Right. " if correct else "Not quite. ") + question.options[option]
    wrong_letter = question.question.letter_of("5")
    assert question.question.evaluate(wrong_letter) == (False, "not yet. Off by one.")  # the exercises' letters too
    shown = question.shown_options()
    assert question.text() == f"2 + 2?\n  a) {shown[0]}\n  b) {shown[1]}"
    with pytest.raises(mc.MarginInputError, match=r"^answer must be one of the options, got 'b'$"):
        Question("?", {"a": ""}, answer="b")


def _options_shown(question):
    """The option texts in the order the widget's rows show them, and the rows' letters."""
    rows = [child for child in question.widget.children if "mc-option" in child._dom_classes]
    return [row.children[1].value for row in rows], [row.children[0].description for row in rows]


def test_a_lesson_question_shows_its_options_in_the_fixed_shuffled_order():
    options = {f"option {n}": "" for n in range(6)}
    question = Question("Which one?", options, answer="option 0")
    same = ChoiceQuestion("", "Which one?", options, "option 0", shuffle=True)
    assert question.shown_options() == same.shown_options()
    assert question.shown_options() != list(options)  # this prompt's order is not the written one
    texts, letters = _options_shown(question)
    assert letters == list("abcdef")
    assert [inline for inline in texts] == [
        f"<div style='line-height:1.4;padding:5px 0 3px 0'>{option}</div>" for option in question.shown_options()
    ]
    assert Question("Which one?", options, answer="option 0", shuffle=False).shown_options() == list(options)


def test_picking_one_option_lifts_the_others():
    question = Question("Which?", {"x": "", "y": "", "z": ""}, answer="x")
    buttons = question._buttons
    buttons["y"].value = True  # as a click in the browser would
    assert question.picked == "y"
    buttons["z"].value = True
    assert question.picked == "z"
    assert [option for option, button in buttons.items() if button.value] == ["z"]


def test_markdown_is_rendered_in_prompt_options_and_feedback_and_escaped_first():
    question = Question("What is the *share* of a **small** margin? <script>", {
        "`x` is **all** of it": "The *whole* margin.",
        "none": "Not <b>this</b>.",
    }, answer="`x` is **all** of it")
    values = [child.value for child in question.widget.children if isinstance(child, w.HTML)]
    assert "<i>share</i>" in values[0] and "<b>small</b>" in values[0] and "&lt;script&gt;" in values[0]
    assert "*" not in values[0]
    texts, _ = _options_shown(question)
    assert any("<code>x</code> is <b>all</b> of it" in text for text in texts)
    question.pick("`x` is **all** of it")
    question._show()
    assert "The <i>whole</i> margin." in question._feedback.value
    question.pick("none")
    question._show()
    assert "Not &lt;b&gt;this&lt;/b&gt;." in question._feedback.value
    assert "*" not in question.text() and "`" not in question.text()  # the plain-text view drops the marks
    assert question.check("`x` is **all** of it") == "Right. The whole margin."


@pytest.mark.parametrize("text, shown", [
    ("2 * 3 * 4", "2 * 3 * 4"),
    ("a*b", "a*b"),
    ("**bold** and *it*", "<b>bold</b> and <i>it</i>"),
    ("`a < b` & c", "<code>a &lt; b</code> &amp; c"),
    ("*not closed", "*not closed"),
    ("cum_3 = cum_2", "cum_3 = cum_2"),
])
def test_inline_html(text, shown):
    assert inline_html(text) == shown


def test_long_options_wrap_inside_their_row():
    """Each option row is the letter button (fixed width) beside a text that may shrink and wrap.

    A radio button's label cannot wrap: long options ran under the next one and the Check
    button. Here the text is an HTML block with ``flex: 1 1 0%`` and ``min-width: 0``, so it
    takes the rest of the row and wraps inside it; rows, button and feedback stack in a VBox.
    """
    long = "A very long option " * 20
    question = Question("Which?", {long: "", "short": ""}, answer="short")
    assert isinstance(question.widget, w.VBox) and "mc-question" in question.widget._dom_classes
    rows = [child for child in question.widget.children if "mc-option" in child._dom_classes]
    assert len(rows) == 2
    for row in rows:
        button, text = row.children
        assert isinstance(row, w.HBox) and row.layout.align_items == "flex-start"
        assert (button.layout.width, button.layout.flex) == ("2.8em", "0 0 auto")
        assert (text.layout.flex, text.layout.min_width) == ("1 1 0%", "0")
        assert "white-space" not in text.value  # wraps as ordinary text does
    assert question.widget.children[-2] is question._button and question.widget.children[-1] is question._feedback


def test_toggle_buttons_are_as_wide_as_their_labels():
    control = choice("margin mode", ["cross", "isolated + auto-add", "cross + stop-loss"])
    assert control.style.button_width == "initial"
    assert control.style.description_width == "initial"


def _readout_dashboard():
    figure, ax = new_figure()
    (line,) = ax.plot([0, 1], [0, 1])
    controls = {"leverage": leverage_slider(5, 125)}

    def update(leverage):
        line.set_ydata([0, leverage])
        return {"initial margin": f"{10_000 / leverage:,.2f} USDT", "leverage": f"{leverage}x"}

    return Dashboard("readout", controls, figure, update, animated=[line])


def test_the_readout_keeps_its_columns_as_numbers_change_width():
    dashboard = _readout_dashboard()
    first = dashboard._readout.value
    assert "table-layout:fixed" in first and "font-variant-numeric:tabular-nums" in first
    assert "text-align:right" in first
    widths = dashboard.widths
    table = re.compile(r"<table[^>]*>(<colgroup>.*</colgroup>)")
    for leverage in (1, 7, 100, 125, 3):
        dashboard.set(leverage=leverage)
        assert dashboard.widths == widths, leverage  # "2,000.00 USDT" and "80.00 USDT" share one width
        assert table.search(dashboard._readout.value).groups() == table.search(first).groups()
        assert dashboard._readout.value.split("<tr>")[0] == first.split("<tr>")[0]


def test_readout_columns_only_grow_and_stay_within_their_caps():
    assert readout_widths({"a": "1"}) == (LABEL_CHARS[0], VALUE_CHARS[0])
    assert readout_widths({"a": "1"}, seen=(20, 30)) == (20, 30)
    very_long = {"x" * 200: "y" * 300}
    assert readout_widths(very_long) == (LABEL_CHARS[1], VALUE_CHARS[1])  # longer texts wrap inside the cap
    html_text = widgets._readout_html(very_long)
    assert "overflow-wrap:anywhere" in html_text and "width:min(100%," in html_text


def test_figure_png_is_a_png():
    figure, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    assert figure_png(figure).startswith(b"\x89PNG")
