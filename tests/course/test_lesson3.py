"""Lesson 3 (liquidation): its derivation, tables, figures, dashboard and questions."""

import itertools
import re

import numpy as np
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson3

BINANCE = mc.tier_table("BTCUSDT", "binance")
BITGET = mc.tier_table("BTCUSDT", "bitget")


# ----------------------------------------------------------------------------- the derivation


@pytest.mark.parametrize("side, numerator, denominator", [("long", -900.0, -0.01992), ("short", 1_100.0, 0.02008)])
def test_derivation_steps_are_the_hand_arithmetic(side, numerator, denominator):
    # WB + cum - side x Q x EP = 100 + 0 -/+ 0.02 x 50,000 ; Q x MMR - side x Q = 0.02 x 0.004 -/+ 0.02
    d = lesson3.derivation(side, 50_000, 0.02, 100, 0.004)
    assert d.values["numerator"] == pytest.approx(numerator)
    assert d.values["denominator"] == pytest.approx(denominator)
    lp = numerator / denominator
    assert d.values["liquidation price"] == pytest.approx(lp)
    assert d.values["liquidation price"] == pytest.approx(mc.liquidation_price(side, 50_000, 0.02, 100, 0.004))
    tiered = mc.liquidation_price_for_tiers(side, 50_000, 0.02, 100, BINANCE)
    assert d.values["liquidation price"] == pytest.approx(tiered)
    # at LP, margin balance = maintenance margin: the equation we solved
    assert d.values["margin balance at LP"] == pytest.approx(d.values["maintenance margin at LP"])
    assert f"{lp:,.1f} USDT" in str(d)  # a price on BTCUSDT's 0.1 USDT tick


def test_derivation_with_a_maintenance_amount_matches_the_engine():
    d = lesson3.derivation("long", 50_000, 13, 325_000, 0.005, 50)
    assert d.values["liquidation price"] == pytest.approx(mc.liquidation_price("long", 50_000, 13, 325_000, 0.005, 50))
    assert d.values["margin balance at LP"] == pytest.approx(d.values["maintenance margin at LP"])


def test_tier_candidates_have_exactly_one_consistent_tier_and_it_is_the_engines():
    table = lesson3.tier_candidates("long", 50_000, 13, 325_000)
    consistent = table[table["consistent?"] == "yes"]
    assert len(consistent) == 1
    assert consistent.index[0] == 2  # 13 BTC at ~25,122 is ~326,583 USDT: Binance tier 2 (50,000 - 600,000)
    assert table.loc[3, "tier at entry?"] == "yes"  # 650,000 USDT at entry: tier 3
    engine = mc.liquidation_price_for_tiers("long", 50_000, 13, 325_000, BINANCE)
    assert consistent["LP with this tier (USDT)"].iloc[0] == f"{engine:,.1f}"
    # by hand with tier 2 (MMR 0.5 %, cum 50): (325,000 + 50 - 650,000) / (13 x 0.005 - 13)
    assert engine == pytest.approx((325_000 + 50 - 650_000) / (13 * 0.005 - 13))


# ----------------------------------------------------------------------------- one position


def test_position_figures_of_the_story():
    f = lesson3.position_figures("long", 50_000, 10)
    assert f["initial margin"] == 100
    assert f["liquidation price"] == pytest.approx(900 / 0.01992)
    assert f["bankruptcy price"] == pytest.approx(45_000)
    # the gap times the size is the maintenance margin at the liquidation price
    gap = (f["liquidation price"] - f["bankruptcy price"]) * 0.02
    assert gap == pytest.approx(f["maintenance margin at LP"])
    assert f["maintenance margin at LP"] == pytest.approx(0.02 * f["liquidation price"] * 0.004)


def test_one_x_long_is_never_liquidated_and_one_x_short_is_near_twice_the_entry():
    long = lesson3.position_figures("long", 50_000, 1)
    assert long["liquidation price"] is None and long["bankruptcy price"] is None
    short = lesson3.position_figures("short", 50_000, 1)
    assert short["liquidation price"] == pytest.approx(2 * 50_000 / 1.004)  # 2 EP / (1 + MMR)
    assert short["bankruptcy price"] == pytest.approx(100_000)


def test_bitget_adds_its_fee_to_the_rate():
    f = lesson3.position_figures("long", 50_000, 10, exchange="bitget")
    assert f["maintenance margin rate at LP"] == pytest.approx(0.004 + 0.0006)
    # Bitget's isolated formula: (margin - Q x EP) / (Q x (MMR + fee - 1))
    assert f["liquidation price"] == pytest.approx((100 - 1_000) / (0.02 * (0.0046 - 1)))


def test_too_much_leverage_for_the_size_is_refused():
    with pytest.raises(mc.MarginInputError, match="leverage must be between 1 and 75"):
        lesson3.position_figures("long", 50_000, 125, size=20)


def test_distance_table():
    table = lesson3.distance_table()
    assert list(table.index) == [f"{x}x" for x in lesson3.LEVERAGES]
    assert table.loc["1x", "long: liquidation price"] == "never (LP <= 0)"
    assert table.loc["1x", "short: liquidation price"] == f"{2 * 50_000 / 1.004:,.1f}"
    assert table.loc["10x", "long: liquidation price"] == "45,180.7"  # on the 0.1 USDT tick
    assert table.loc["10x", "long: price may fall"] == f"{(1 - 900 / 0.01992 / 50_000) * 100:.2f} %"
    assert table.loc["10x", "short: liquidation price"] == f"{1_100 / 0.02008:,.1f}"
    # long: (1 - 1/L) / (1 - MMR) x EP ; at 125x the liquidation comes after half the margin
    assert table.loc["125x", "long: price may fall"] == f"{(1 - (1 - 1 / 125) / 0.996) * 100:.2f} %"
    assert table.loc["125x", "margin used up at (1 / leverage)"] == "0.80 %"
    for leverage in lesson3.LEVERAGES[1:]:
        row = table.loc[f"{leverage}x"]
        long_room = float(row["long: price may fall"].rstrip(" %"))
        short_room = float(row["short: price may rise"].rstrip(" %"))
        assert short_room <= long_room < 100 / leverage


def test_distance_figure_does_not_draw_the_1x_long_as_a_100_percent_fall():
    """A 1x long is never liquidated: no point or line at a 100 % fall, a text says "never" instead."""
    ax = lesson3.distance_figure().figure.axes[0]
    long_line = next(line for line in ax.get_lines() if line.get_label() == "long: fall to liquidation")
    x, y = long_line.get_data()
    assert np.isnan(y[x == 1]).all()
    assert any("1x long: never liquidated" in t.get_text() for t in ax.texts)
    for line in ax.get_lines():  # the long's markers (the isolated colour) skip 1x
        if line.get_marker() == "o" and line.get_color() == ax.get_lines()[0].get_color():
            assert 1 not in list(line.get_xdata())


def test_figures_render_as_png_with_a_plain_text_title():
    for picture in (lesson3.distance_figure(), lesson3.wick_figure()):
        assert picture._repr_png_().startswith(b"\x89PNG")
        assert repr(picture).startswith("Figure: ")
        assert not re.search(r"0x[0-9a-f]{6,}", repr(picture))  # no memory address


# ----------------------------------------------------------------------------- accounts


def test_wick_table_only_the_3x_long_survives():
    table = lesson3.wick_table()
    assert (table["lowest close"] == 50_000).all() and (table["lowest low (the wick)"] == 35_000).all()
    assert table.loc["3x", "liquidated?"] == "no" and table.loc["3x", "wallet after (USDT)"] == 1_000
    for leverage in (5, 10, 20):
        row = table.loc[f"{leverage}x"]
        assert row["liquidated?"] == "yes, by the wick"
        assert row["margin lost (USDT)"] == pytest.approx(1_000 / leverage)  # 0.02 x 50,000 / L, no more
        assert row["wallet after (USDT)"] == pytest.approx(1_000 - 1_000 / leverage)
        assert row["liquidation price"] > 35_000


def test_settlement_table_follows_the_money():
    table = lesson3.settlement_table()
    smooth, fee, gap = (table.iloc[:, i] for i in range(3))
    lp = 900 / 0.01992
    mm = 0.02 * lp * 0.004
    assert smooth["executed at (USDT)"] == pytest.approx(lp, abs=0.005)
    fee_row, left_over = lesson3.FEE_ROW, lesson3.LEFT_OVER_ROW
    assert "insurance fund" in fee_row and left_over.startswith("left after the fee")
    assert smooth[left_over] == pytest.approx(mm, abs=0.005)
    assert smooth[fee_row] == 0 and smooth["fee rate x notional liquidated (USDT)"] == 0
    # 1.25 % of the notional (about 11.30 USDT) is more than the 0.4 % buffer: the fee takes all of it
    assert 0.0125 * 0.02 * lp > mm
    assert fee["fee rate x notional liquidated (USDT)"] == pytest.approx(round(0.0125 * 0.02 * lp, 2))
    assert fee[fee_row] == pytest.approx(mm, abs=0.005)
    assert fee[left_over] == 0
    assert gap["executed at (USDT)"] == 42_500  # gap_down_15 from 50,000
    assert gap["realized PnL (USDT)"] == pytest.approx(0.02 * (42_500 - 50_000))
    assert gap["paid by the insurance fund (USDT)"] == pytest.approx(150 - 100)
    assert gap[lesson3.FEE_ROW] == 0
    assert (table.loc["margin lost by the trader (USDT)"] == 100).all()
    assert (table.loc["wallet after (USDT)"] == 900).all()
    assert (table.loc["bankruptcy price (USDT)"] == 45_000).all()


def test_settlement_view_is_the_table_written_out():
    view, table = lesson3.settlement_view(), lesson3.settlement_table()
    assert len(view.columns) == len(table.columns) == 3
    assert "wallet after" not in view.index and "bankruptcy price" not in view.index
    assert view.columns.name == "in USDT" and view.index[0] == "executed at"
    assert view.iloc[0, 0] == "45,180.7"  # a price, on the tick
    assert view.loc["margin lost by the trader"].tolist() == ["100.00"] * 3
    assert view.loc["fee rate x notional"].iloc[1] == f"{0.0125 * 0.02 * 900 / 0.01992:,.2f}"


def test_rule_comparison_is_bybits_example_both_ways():
    table = lesson3.rule_comparison()
    bybit, binance = table.columns
    assert table.loc["long", bybit] == "19,700.0" and table.loc["short", bybit] == "20,300.0"
    assert table.loc["long", binance] == f"{(400 - 20_000) / (0.005 - 1):,.1f}"
    assert table.loc["short", binance] == f"{(400 + 20_000) / (0.005 + 1):,.1f}"


@pytest.mark.parametrize("side, entry, size, leverage", [("short", 60_000, 0.05, 25), ("long", 50_000, 13, 2)])
def test_worked_example_is_the_engine(side, entry, size, leverage):
    example = lesson3.worked_example(side, entry, size, leverage)
    margin = mc.initial_margin(size, entry, leverage)
    lp = mc.liquidation_price_for_tiers(side, entry, size, margin, BINANCE)
    assert example.values["liquidation price"] == pytest.approx(lp)
    assert example.values["bankruptcy price"] == pytest.approx(mc.bankruptcy_price(side, entry, size, margin))
    assert example.values["buffer"] == pytest.approx(example.values["maintenance margin at LP"])
    assert example.values["tier"] == BINANCE.tier_for(size * lp).tier
    assert f"= {lp:,.1f} USDT" in str(example)


def test_prices_are_written_on_the_tick():
    assert lesson3.PRICE_DECIMALS == 1  # BTCUSDT's tick is 0.1 USDT
    assert lesson3.price(45_180.7229) == "45,180.7"


def test_bybit_comparison_reproduces_bybits_example():
    table = lesson3.bybit_comparison()
    bybit, same, tiered = table["liquidation price (USDT)"]
    assert bybit == 19_700  # Bybit Help Center, "Liquidation Price (USDT Contract)", example 1
    assert table["maintenance margin (USDT)"].iloc[0] == 100
    assert same == pytest.approx((400 - 20_000) / (0.005 - 1), abs=0.005)
    assert tiered == pytest.approx((400 - 20_000) / (0.004 - 1), abs=0.005)  # Binance tier 1 at 20,000 USDT
    assert table.attrs["bankruptcy price"] == 19_600  # 20,000 x (1 - 1/50)
    assert list(table["above the bankruptcy price by (USDT)"]) == list(table["maintenance margin (USDT)"])


@pytest.mark.parametrize("side", ["long", "short"])
@pytest.mark.parametrize("leverage", [3, 5, 10, 20, 50, 125])
@pytest.mark.parametrize("exchange", ["binance", "bitget"])
def test_path_outcome_is_the_first_candle_beyond_the_liquidation_price(side, leverage, exchange):
    entry = 50_000.0
    candles = lesson3.path_candles(entry)
    f = lesson3.position_figures(side, entry, leverage, exchange=exchange)
    extreme = candles["low"] if side == "long" else candles["high"]
    lp = f["liquidation price"]
    beyond = extreme.to_numpy() <= lp if side == "long" else extreme.to_numpy() >= lp
    event = lesson3.path_outcome(side, entry, leverage, exchange=exchange)
    if not beyond.any():
        assert event is None
    else:
        assert event.time == int(np.argmax(beyond))
        assert event.collateral_lost == pytest.approx(f["initial margin"])


def test_the_path_tells_a_story():
    # the dashboard's week liquidates a 10x long and a 10x short, but neither at 5x
    assert lesson3.path_outcome("long", 50_000, 10) is not None
    assert lesson3.path_outcome("short", 50_000, 10) is not None
    assert lesson3.path_outcome("long", 50_000, 5) is None
    assert lesson3.path_outcome("short", 50_000, 5) is None


# ----------------------------------------------------------------------------- dashboard


def _corner_values(control):
    if hasattr(control, "min"):
        return (control.min, control.max)
    return tuple(control.options)


def test_dashboard_survives_every_corner_of_its_controls():
    dashboard = lesson3.dashboard()
    ax = dashboard.figure.axes[0]
    limits = (ax.get_xlim(), ax.get_ylim())
    background = dashboard.renderer._background
    names = list(dashboard.controls)
    defaults = dashboard.values()
    combos = list(itertools.product(*(_corner_values(dashboard.controls[n]) for n in names)))
    for values in combos + [tuple(defaults[n] for n in names)]:
        readout = dashboard.set(**dict(zip(names, values)))
        assert "note" not in readout, readout  # nothing in range is refused for 0.02 BTC
        text = " ".join(readout.values()).lower()
        assert "nan" not in text and "inf" not in text
        assert dashboard.last_update_seconds < 0.05
        assert (ax.get_xlim(), ax.get_ylim()) == limits
    assert dashboard.renderer._background is background  # never a full redraw


def test_dashboard_readout_matches_the_engine():
    dashboard = lesson3.dashboard()
    readout = dashboard.set(side="long", entry_price=50_000.0, leverage=10, exchange="binance")
    assert readout["liquidation price"] == "45,180.7 USDT"
    assert readout["bankruptcy price (margin balance = 0)"] == "45,000.0 USDT"
    event = lesson3.path_outcome("long", 50_000.0, 10)
    assert readout["this week's path"].startswith(f"liquidated in hour {event.time} ")
    readout = dashboard.set(side="long", leverage=1)
    assert readout["liquidation price"].startswith("none")
    assert "survives" in readout["this week's path"]
    readout = dashboard.set(side="short", leverage=1)
    assert readout["liquidation price"] == f"{2 * 50_000 / 1.004:,.1f} USDT"


def test_dashboard_moves_only_its_lines():
    dashboard = lesson3.dashboard()
    first = dashboard._png
    dashboard.set(leverage=50)
    assert dashboard._png != first
    dashboard.set(leverage=10)
    assert dashboard._png == first


# ----------------------------------------------------------------------------- questions


@pytest.mark.parametrize("index", range(3))
def test_questions_have_one_right_answer(index):
    question = lesson3.questions()[index]
    verdicts = [question.check(option).split()[0] for option in question.options]
    assert verdicts.count("Right.") == 1
    assert question.check(question.answer).startswith("Right.")
    for option in question.options:
        if option != question.answer:
            assert question.check(option).startswith("Not quite.")


def test_question_numbers_come_from_the_engine():
    gap_question = lesson3.questions()[2]
    assert gap_question.answer == "100.00 USDT"
    assert "150.00 USDT" in gap_question.options
