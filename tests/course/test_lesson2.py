"""Lesson 2 (maintenance margin): dashboard corners, questions, and the numbers of every table."""

import itertools
import re

import numpy as np
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson2
from shared_checks import fastest_update

BAD_NUMBER = re.compile(r"\bnan\b|\binf\b|\binfinity\b", re.IGNORECASE)




def number(text):
    """'1,234.50' (or '0.65 %') -> 1234.5 (or 0.65)."""
    return float(str(text).replace(",", "").replace("%", "").replace("USDT", "").strip())


@pytest.fixture(scope="module")
def dashboard():
    return lesson2.dashboard()


def corners(dashboard):
    ends = {name: (control.min, control.max) for name, control in dashboard.controls.items()}
    for combo in itertools.product(*ends.values()):
        yield dict(zip(ends, combo))


def test_dashboard_every_corner_renders_fast_and_clean(dashboard):
    defaults = dashboard.values()
    cases = [*corners(dashboard), defaults]
    assert len(cases) == 2 ** 4 + 1
    for values in cases:
        dashboard.set(**values)
        text = dashboard.text()
        assert not BAD_NUMBER.search(text), (values, text)
        assert fastest_update(dashboard, values) < 0.05, values
        for artist in dashboard.renderer.animated:
            if hasattr(artist, "get_ydata") and artist.get_marker() == "o":
                assert np.all(np.isfinite(np.asarray(artist.get_ydata(), dtype=float))), values
    dashboard.set(**defaults)


def _refusal_texts(dashboard):
    return [t.get_text() for t in dashboard.figure.texts if t.get_visible() and t.get_text()]


def test_dashboard_refuses_too_much_leverage_with_a_reason(dashboard):
    dashboard.set(size=20.0, entry_price=60_000.0, leverage=100, mark_price=60_000.0)
    assert "refuse" in dashboard.message and "between 1 and 75" in dashboard.message
    (text,) = _refusal_texts(dashboard)  # the figure says so too, and its moving lines are grey
    assert text.startswith("Refused") and "between 1 and 75" in text.replace("\n", " ")
    ratio_line = dashboard.renderer.animated[1]
    assert ratio_line.get_color() == lesson2.REFUSED_GREY
    dashboard.set(size=20.0, entry_price=60_000.0, leverage=20, mark_price=58_000.0)
    assert dashboard.message == ""
    assert _refusal_texts(dashboard) == [] and ratio_line.get_color() != lesson2.REFUSED_GREY


def _on_chart(dashboard):
    """Where the ratio curve and the mark marker are, against the right panel's limits."""
    right = dashboard.figure.axes[1]
    ratio_line, mark_dot = dashboard.renderer.animated[1], dashboard.renderer.animated[4]
    y = np.asarray(ratio_line.get_ydata(), dtype=float)
    (mark_x,), (mark_y,) = mark_dot.get_data()
    return right.get_xlim(), right.get_ylim(), y[np.isfinite(y)], float(mark_x), float(mark_y), mark_dot.get_marker()


def test_ratio_curve_and_marker_stay_on_the_chart(dashboard):
    """The curve stops at the top of the axis (no spike clipped at the edge) and is labelled there;
    the marker is drawn whole, as a triangle at the top when the ratio is off the chart."""
    top = lesson2.RATIO_TOP
    cases = [*corners(dashboard), dict(size=20.0, entry_price=60_000.0, leverage=20, mark_price=58_000.0),
             dict(size=20.0, entry_price=60_000.0, leverage=20, mark_price=57_100.0),   # between LP and BP
             dict(size=0.02, entry_price=50_000.0, leverage=10, mark_price=40_000.0)]   # past bankruptcy
    for values in cases:
        readout = dashboard.set(**values)
        if dashboard.message:
            continue
        (x0, x1), (y0, y1), y, mark_x, mark_y, marker = _on_chart(dashboard)
        assert y1 == top and y0 == 0
        assert np.all(y <= top + 1e-9), values
        assert x0 < mark_x < x1 and 0 <= mark_y < top, values  # never on an edge, where half of it is cut
        ratio = dashboard.figure.axes[1]
        labels = [t.get_text() for t in ratio.texts if t.get_visible() and t.get_text()]
        f = lesson2.position_figures(**values)
        if not np.isfinite(f["margin ratio"]) or f["margin ratio"] * 100 > top:
            assert marker == "^", values
        else:
            assert marker == "o" and mark_y == pytest.approx(f["margin ratio"] * 100), values
        if y.size and y.max() == pytest.approx(top):
            assert any(f"above {top:g} %" in label for label in labels), values
    dashboard.set(size=20.0, entry_price=60_000.0, leverage=20, mark_price=58_000.0)


def test_ratio_curve_reaches_the_top_exactly_where_it_leaves():
    table = mc.tier_table("BTCUSDT", "binance")
    grid = np.linspace(40_000, 80_000, 401)
    margin = mc.initial_margin(20, 60_000, 20)
    prices, ratios, exit_price = lesson2._ratio_curve(table, 20, 60_000, margin, grid)
    assert 57_000 < exit_price < 57_325.11  # between the bankruptcy and the liquidation price
    i = int(np.flatnonzero(prices == exit_price)[0])
    assert ratios[i] == lesson2.RATIO_TOP and np.all(np.isnan(ratios[:i]))
    balance = margin + 20 * (exit_price - 60_000)
    assert table.maintenance_margin(20 * exit_price) / balance * 100 == pytest.approx(lesson2.RATIO_TOP, rel=0.02)


def test_dashboard_readout_matches_the_engine(dashboard):
    size, entry, leverage, mark = 20.0, 60_000.0, 20, 58_000.0
    readout = dashboard.set(size=size, entry_price=entry, leverage=leverage, mark_price=mark)
    table = mc.tier_table("BTCUSDT", "binance")
    margin = mc.initial_margin(size, entry, leverage)
    mm = table.maintenance_margin(size * mark)
    balance = margin + mc.unrealized_pnl("long", entry, size, mark)
    assert number(readout["maintenance margin (MM)"]) == pytest.approx(mm, abs=0.005)
    assert mm == pytest.approx(1_160_000 * 0.0065 - 950)  # tier 3 by hand
    assert number(readout["margin balance = margin + PnL"]) == pytest.approx(balance, abs=0.005)
    assert number(readout["margin ratio = MM / margin balance"]) == pytest.approx(
        mm / balance * 100, abs=0.05)
    lp = mc.liquidation_price_for_tiers("long", entry, size, margin, table)
    assert readout["liquidation price (ratio at 100 %)"].startswith(f"{lp:,.2f} USDT")


def test_dashboard_tier_follows_the_mark_price(dashboard):
    readout = dashboard.set(size=14.0, entry_price=60_000.0, leverage=2, mark_price=60_000.0)
    assert readout["risk tier of that notional"].startswith("tier 3")
    readout = dashboard.set(size=14.0, entry_price=60_000.0, leverage=2, mark_price=42_000.0)
    assert readout["risk tier of that notional"].startswith("tier 2")
    assert "liquidated" not in readout["margin ratio = MM / margin balance"]


def test_one_x_long_has_no_liquidation_price(dashboard):
    readout = dashboard.set(size=20.0, entry_price=60_000.0, leverage=1, mark_price=40_000.0)
    assert readout["liquidation price (ratio at 100 %)"].startswith("none")


def test_margin_ratio_is_100_percent_at_the_liquidation_price():
    f = lesson2.position_figures(0.02, 50_000, 10, 50_000)
    at_lp = lesson2.position_figures(0.02, 50_000, 10, f["liquidation price"])
    assert at_lp["margin ratio"] == pytest.approx(1.0)
    assert at_lp["margin balance"] == pytest.approx(at_lp["maintenance margin"])


def test_ratio_table_story_numbers():
    table = lesson2.ratio_table(size=0.02, entry_price=50_000, leverage=10, marks=(50_000, 46_000))
    first, fallen, last = table.iloc[0], table.iloc[1], table.iloc[-1]
    assert number(first["maintenance margin (USDT)"]) == pytest.approx(1_000 * 0.004)
    assert first["margin ratio"] == "4.0 %"  # 4 / 100
    assert number(fallen["margin balance (USDT)"]) == pytest.approx(100 - 0.02 * 4_000)
    assert fallen["margin ratio"] == "18.4 %"  # 920 x 0.4 % / 20
    assert last["margin ratio"] == "100.0 %"
    assert table.index[-1].startswith("45,180.72")  # README / Binance formula


def test_worked_example_tier_3_by_hand():
    table = mc.tier_table("BTCUSDT", "binance")
    tier = table.tier_for(20 * 60_000)
    assert tier.tier == 3
    by_hand = 1_200_000 * 0.0065 - 950
    assert by_hand == pytest.approx(6_850)
    assert table.maintenance_margin(1_200_000) == pytest.approx(by_hand)
    assert mc.maintenance_margin(20, 60_000, tier.mmr, tier.maintenance_amount) == pytest.approx(by_hand)
    f = lesson2.position_figures(20, 60_000, 10, 57_000)
    assert f["maintenance margin"] == pytest.approx(1_140_000 * 0.0065 - 950)
    assert f["margin balance"] == pytest.approx(120_000 - 60_000)
    assert f["margin ratio"] == pytest.approx(6_460 / 60_000)


@pytest.mark.parametrize("exchange", ["binance", "bitget"])
def test_chain_table_rebuilds_every_published_amount(exchange):
    frame = lesson2.chain_table(exchange)
    table = mc.tier_table("BTCUSDT", exchange)
    assert frame["same?"].all()
    assert len(frame) == len(table.tiers)
    for (_, row), tier in zip(frame.iterrows(), table.tiers):
        assert number(row["= computed amount"]) == pytest.approx(tier.maintenance_amount)
        compared = "published amount" if exchange not in lesson2.COMPUTED_OFFSETS else "amount in the shipped table"
        assert number(row[compared]) == pytest.approx(tier.maintenance_amount)
    # Binance FAQ-style check by hand: tier 3 = 600,000 x (0.65 % - 0.5 %) + 50
    if exchange == "binance":
        assert number(frame.loc[3, "= computed amount"]) == pytest.approx(600_000 * (0.0065 - 0.005) + 50)


@pytest.mark.parametrize("exchange", ["binance", "bitget"])
def test_edge_table_is_continuous_and_the_jump_is_the_amount(exchange):
    frame = lesson2.edge_table(exchange)
    table = mc.tier_table("BTCUSDT", exchange)
    for (_, row), upper in zip(frame.iterrows(), table.tiers[1:5]):
        assert number(row["difference (USDT)"]) == 0
        assert number(row["lower tier's formula (USDT)"]) == pytest.approx(number(row["upper tier's formula (USDT)"]))
        assert number(row["jump without the amount (USDT)"]) == pytest.approx(upper.maintenance_amount)


@pytest.mark.parametrize("exchange", ["binance", "bitget"])
@pytest.mark.parametrize("notional", [1_000.0, 50_000.0, 333_333.0, 1_200_000.0, 5_000_000.0, 45_000_000.0])
def test_slices_add_up_to_the_maintenance_margin(exchange, notional):
    frame = lesson2.slices_table(notional, exchange)
    table = mc.tier_table("BTCUSDT", exchange)
    assert number(frame.loc["sum", "part of the notional in this tier (USDT)"]) == pytest.approx(notional, abs=0.005)
    assert number(frame.loc["sum", "part x rate (USDT)"]) == pytest.approx(table.maintenance_margin(notional), abs=0.005)


def test_slices_of_the_worked_example():
    frame = lesson2.slices_table(1_200_000)
    parts = [number(v) for v in frame["part x rate (USDT)"]]
    assert parts == pytest.approx([50_000 * 0.004, 550_000 * 0.005, 600_000 * 0.0065, 6_850])


def test_leverage_cap_table():
    frame = lesson2.leverage_cap_table("binance")
    table = mc.tier_table("BTCUSDT", "binance")
    for (_, row), tier in zip(frame.iterrows(), table.tiers):
        assert row["max leverage"] == f"{tier.max_leverage:g}x"
        assert float(row["maintenance / initial"]) == pytest.approx(tier.mmr * tier.max_leverage, abs=0.005)
        assert 0.4 <= tier.mmr * tier.max_leverage <= 0.5  # "about one half" in every tier


def test_tier_caption_and_first_rows():
    caption = lesson2.tier_caption("binance")
    assert caption.startswith("Binance USD") and "BTCUSDT" in caption and "\u24c8" not in caption
    assert caption.endswith(mc.tier_table("BTCUSDT", "binance").as_of)
    assert "a fixed 0.06 % fee rate added to every rate" in lesson2.tier_caption("bitget")
    first = lesson2.tier_frame("binance", rows=5)
    assert list(first.index) == [1, 2, 3, 4, 5]
    assert first.loc[1, "initial margin rate (1 / max leverage)"] == "0.80 %"  # 1 / 125, twice the 0.40 % MMR
    assert first.loc[3, "initial margin rate (1 / max leverage)"] == "1.33 %"  # 1 / 75


def test_worked_example_table_is_the_engines():
    table = lesson2.worked_example(size=20, entry_price=60_000, leverage=10, mark_price=57_000).to_frame()
    table = table.set_index("step")
    results = list(table["result"])
    assert results[0] == "1,200,000.00 USDT"
    assert results[1] == "MMR 0.65 %, amount 950 USDT"
    assert results[2] == "6,850.00 USDT"  # 1,200,000 x 0.65 % - 950
    assert table.loc["3b. the same, slice by slice", "computation"] == (
        "50,000 x 0.40 % + 550,000 x 0.50 % + 600,000 x 0.65 %")
    assert results[3] == "6,850.00 USDT"  # 200 + 2,750 + 3,900
    assert results[4] == "120,000.00 USDT"
    assert results[5] == "-60,000.00 USDT"
    assert results[6] == "60,000.00 USDT"
    assert results[7] == "6,460.00 USDT"  # 1,140,000 x 0.65 % - 950
    assert results[8] == "10.8 %"  # 6,460 / 60,000
    lp = mc.liquidation_price_for_tiers("long", 60_000, 20, 120_000, mc.tier_table("BTCUSDT", "binance"))
    assert results[9].startswith(f"{lp:,.2f} USDT")


@pytest.mark.parametrize("exchange", ["binance", "bitget"])
@pytest.mark.parametrize("notional", [1_000.0, 50_000.0, 1_200_000.0, 45_000_000.0])
def test_sum_of_slices_is_the_maintenance_margin(exchange, notional):
    table = mc.tier_table("BTCUSDT", exchange)
    assert lesson2.sum_of_slices(notional, table) == pytest.approx(table.maintenance_margin(notional))


def test_tier_frames():
    binance = lesson2.tier_frame("binance")
    assert binance.loc[3, "maintenance margin rate"] == "0.65 %"
    assert binance.loc[3, "maintenance amount (USDT)"] == "950"
    bitget = lesson2.tier_frame("bitget")
    column = [c for c in bitget.columns if c.startswith("rate applied")][0]
    assert bitget.loc[1, column] == "0.46 %"  # 0.40 % + Bitget's fixed 0.06 % fee rate
    # Bitget's June 2025 article publishes no offsets: the table says they are the course's
    assert "maintenance amount (USDT)" not in bitget.columns
    assert bitget.loc[3, "offset, computed by the course (USDT)"] == "4,650"


def test_compare_exchanges_by_hand():
    frame = lesson2.compare_exchanges(notionals=(1_200_000,))
    row = frame.iloc[0]
    assert number(row["Binance maintenance margin (USDT)"]) == pytest.approx(1_200_000 * 0.0065 - 950)
    assert number(row["Bitget, rate minus computed offset (USDT)"]) == pytest.approx(1_200_000 * (0.01 + 0.0006) - 4_650)
    assert number(row["Bitget offset, computed (USDT)"]) == pytest.approx(4_650)
    # Bitget's own rule for these brackets until 2025-11-10: one rate for the whole notional, no offset
    assert number(row["Bitget, one rate, no offset (USDT)"]) == pytest.approx(1_200_000 * (0.01 + 0.0006))


def test_bitget_announcement_example():
    # Bitget, "Bitget to update maintenance margin calculation for classic account futures" (2025-11-10):
    # 330,000 x (0.50 % + 0.06 %) = 1848; 200,000 x 0.46 % + 130,000 x 0.56 % = 1648.
    result = lesson2.bitget_announcement_example()
    assert result["notional"] == pytest.approx(330_000)
    assert result["old: whole notional at tier 2's rate"] == pytest.approx(1_848)
    assert result["new: slice by slice"] == pytest.approx(1_648)
    assert result["new: one rate minus the offset"] == pytest.approx(1_648)


def test_continuity_figure_is_a_png():
    picture = lesson2.continuity_figure()
    assert picture._repr_png_().startswith(b"\x89PNG")
    assert repr(picture).startswith("Figure: ")


def test_ratio_text_never_shows_inf_or_nan():
    assert not BAD_NUMBER.search(lesson2.ratio_text(float("inf")))
    assert lesson2.ratio_text(0.5) == "50.0 %"
    assert "liquidated" in lesson2.ratio_text(1.2)


def test_questions_have_exactly_one_right_answer():
    questions = lesson2.questions()
    assert len(questions) >= 3
    for question in questions:
        rights = [option for option in question.options if question.check(option).startswith("Right.")]
        assert rights == [question.answer]
        for option in question.options:
            if option != question.answer:
                assert question.check(option).startswith("Not quite.")
        assert not BAD_NUMBER.search(question.text())


def test_question_numbers_are_the_engines():
    first = lesson2.questions()[0]
    assert first.answer == f"{mc.tier_table('BTCUSDT', 'binance').maintenance_margin(1_200_000):,.0f} USDT"
    assert first.answer == "6,850 USDT"
    assert lesson2.questions()[1].answer == "25 %"  # 50 / 200


def test_mark_price_section_takes_the_median():
    rows = lesson2.mark_price_rows(index=50_000, funding_rate=0.0001, hours=2, basis=15, lasts=(50_030, 48_000))
    assert [r["mark"] for r in rows] == pytest.approx([50_015, 50_001.25])
    assert rows[0]["price 1"] == pytest.approx(50_000 * (1 + 0.0001 * 2 / 8))
    text = repr(lesson2.mark_price_deeper())
    assert "Mark Price Calculation (Perpetual Contract)" in text and "50,001.25" in text
