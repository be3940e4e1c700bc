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
    assert table.loc["125x", "initial margin (USDT)"] == "8.00"
    assert table.loc["1x", "initial margin (USDT)"] == "1,000.00"
    assert table.loc["10x", "move that wipes out the margin"] == "-10.0 %"
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


def _figure_state(dashboard):
    """The colour of the leverage line and the visible texts written across the figure."""
    line = dashboard.renderer.animated[0]
    texts = [t.get_text() for t in dashboard.figure.texts if t.get_visible() and t.get_text()]
    return line.get_color(), texts


def test_a_refused_leverage_greys_the_figure_and_says_why():
    """The figure never shows the last accepted numbers as if they were current."""
    dashboard = lesson1.dashboard()
    colour, texts = _figure_state(dashboard)
    assert texts == [] and colour != lesson1.REFUSED_GREY
    accepted = dashboard._png
    dashboard.set(size=1.0, price=150_000.0, leverage=125)
    colour, texts = _figure_state(dashboard)
    assert colour == lesson1.REFUSED_GREY
    assert len(texts) == 1 and texts[0].startswith("Refused")
    assert "leverage must be between 1 and 100" in texts[0].replace("\n", " ")  # the readout has the rest
    assert dashboard._png != accepted
    dashboard.set(size=1.0, price=150_000.0, leverage=100)  # allowed again: the figure is live again
    colour, texts = _figure_state(dashboard)
    assert texts == [] and colour != lesson1.REFUSED_GREY
    assert dashboard.message == ""


def test_long_and_short_mirror_each_other():
    table = lesson1.long_and_short(size=0.02, entry_price=50_000, exits=(49_500, 50_500))
    gain = mc.unrealized_pnl("long", 50_000, 0.02, 50_500)
    assert gain == pytest.approx(10)  # 0.02 x 500
    up, down = table.loc["50,500"], table.loc["49,500"]
    assert up["price move"] == "+1.00 %" and down["price move"] == "-1.00 %"
    assert up["long PnL, +1 x size x (exit - entry)"] == f"+{gain:,.2f} USDT" == down["short PnL, -1 x size x (exit - entry)"]
    assert up["short PnL, -1 x size x (exit - entry)"] == f"-{gain:,.2f} USDT" == down["long PnL, +1 x size x (exit - entry)"]


def test_worked_example_steps():
    table = lesson1.worked_example(size=0.05, price=60_000, leverage=25, move=0.02)
    assert table._repr_markdown_().startswith("| step | computation | result |")  # Markdown: no cell cut short
    results = list(table.to_frame()["result"])
    assert results[0] == "3,000.00 USDT" and results[1] == "120.00 USDT"  # 0.05 x 60,000; / 25
    assert results[2] == "+60.00 USDT, return on margin +50 %"  # 0.05 x 1,200 = 60 = half of 120
    assert results[3] == "-60.00 USDT, return on margin -50 %"


def test_contract_facts_are_the_shipped_spec():
    facts = lesson1.contract_facts("BTCUSDT")
    spec = mc.contract("BTCUSDT")
    assert facts.loc["contract size", "value"] == f"{spec.contract_size:g} BTC" == "0.0001 BTC"
    assert facts.loc["price tick", "value"] == "0.1 USDT"
    assert facts.loc["maximum leverage", "value"] == "125x"
    assert all(len(text) <= 50 for text in facts["what it means"])  # pandas cuts longer cells with "..."


@pytest.mark.parametrize("index", range(3))
def test_questions_have_one_right_answer(index):
    question = lesson1.questions()[index]
    verdicts = [question.check(option).split()[0] for option in question.options]
    assert verdicts.count("Right.") == 1
    assert question.check(question.answer).startswith("Right.")


def test_fees_in_margin_section_uses_bybits_order_cost():
    from margincourse.course.lessons import lesson1 as l1
    table = l1.order_cost_table(size=0.02, price=50_000, leverages=(10, 50), taker_fee=0.00055)
    assert table.loc["order cost (USDT)", "10x"] == "101.045"  # 100 + 0.55 + 0.02 x 45,000 x 0.055 %
    assert table.loc["fee to close, at the bankruptcy price (USDT)", "50x"] == "0.539"  # 0.02 x 49,000 x 0.055 %
    text = repr(l1.fees_in_margin_deeper())
    assert "Order Cost (USDT Contract)" in text and "bankruptcy" in text
