"""Lesson 1's dashboard, tables and questions."""

import itertools

import pytest

import margincourse as mc
from margincourse.course.lessons import lesson1


def test_figures_match_the_engine():
    f = lesson1.figures(0.02, 50_000, 10)
    assert f["notional"] == 1_000 and f["initial margin"] == 100
    assert f["return on margin for a 1 % move"] == pytest.approx(0.10)
    assert f["price move that equals the whole margin"] == pytest.approx(0.10)


def test_leverage_table():
    table = lesson1.leverage_table(0.02, 50_000)
    assert table.loc["125x", "initial margin (USDT)"] == 8.0
    assert table.loc["10x", "move that wipes out the margin"] == "10.0 %"
    # -125 % at 125x is only the formula: an isolated 125x long is liquidated at about -0.40 % (tier 1,
    # MMR 0.4 %: LP = EP x (1 - 1/125) / (1 - 0.004)), so its loss stops at the margin
    column = "isolated long liquidated before -1 %?"
    fall = ((1 - 1 / 125) / 0.996 - 1) * 100
    assert table.loc["125x", column] == f"yes, at {fall:+.2f} %: loss stops at -100 %"
    assert table.loc["125x", column].startswith("yes, at -0.40 %")
    assert table.loc["100x", column].startswith("yes")
    assert (table.loc[["1x", "2x", "5x", "10x", "20x", "50x"], column] == "no").all()


def test_dashboard_survives_every_corner_of_its_controls():
    dashboard = lesson1.dashboard()
    ranges = {name: (c.min, c.max) for name, c in dashboard.controls.items()}
    for values in itertools.product(*ranges.values()):
        readout = dashboard.set(**dict(zip(ranges, values)))
        text = " ".join(readout.values()).lower()
        assert "nan" not in text and "inf" not in text


def test_large_positions_cannot_use_125x():
    dashboard = lesson1.dashboard()
    readout = dashboard.set(size=1.0, price=150_000.0, leverage=125)
    assert "leverage must be between 1 and 100" in readout["note"]


@pytest.mark.parametrize("index", range(3))
def test_questions_have_one_right_answer(index):
    question = lesson1.questions()[index]
    verdicts = [question.check(option).split()[0] for option in question.options]
    assert verdicts.count("Right.") == 1
    assert question.check(question.answer).startswith("Right.")
