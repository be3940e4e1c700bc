"""Dashboards, questions and the fast renderer, without a browser."""

import base64
import itertools

import pytest

import margincourse as mc
from margincourse.course.plots import FastRenderer, figure_png, new_figure
from margincourse.basics.questions import ChoiceQuestion
from margincourse.course.widgets import Dashboard, Question, leverage_slider


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
    question = Question("2 + 2?", {"4": "Yes.", "5": "Off by one."}, answer="4")
    assert question.check("4") == "Right. Yes."
    assert question.check("5") == "Not quite. Off by one."
    assert question.check(None) == "Pick one of the options first."
    question._choices.value = "5"
    question._show()
    assert "Off by one." in question._feedback.value
    with pytest.raises(mc.MarginInputError):
        Question("?", {"a": ""}, answer="b")


def test_a_lesson_question_is_a_choice_question_and_judges_like_one():
    """The lesson widget adds a view and its own wording; the judging is basics.questions.ChoiceQuestion's."""
    question = Question("2 + 2?", {"4": "Yes.", "5": "Off by one."}, answer="4")
    assert isinstance(question.question, ChoiceQuestion)
    assert (question.prompt, question.options, question.answer) == ("2 + 2?", {"4": "Yes.", "5": "Off by one."}, "4")
    for option in question.options:
        correct, text = question.question.evaluate(option)
        assert question.question.judge(option) == (correct, question.options[option])
        assert question.check(option) == ("Right. " if correct else "Not quite. ") + question.options[option]
    assert question.question.evaluate("b") == (False, "not yet. Off by one.")  # the exercises' letters work too
    assert question.text() == "2 + 2?\n  ( ) 4\n  ( ) 5"
    with pytest.raises(mc.MarginInputError, match=r"^answer must be one of the options, got 'b'$"):
        Question("?", {"a": ""}, answer="b")


def test_figure_png_is_a_png():
    figure, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    assert figure_png(figure).startswith(b"\x89PNG")
