"""Lesson 6 (choosing a mode): the dashboard at every corner, the questions, the tables' numbers."""

import itertools
import re

import numpy as np
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson6
from shared_checks import assert_one_right_answer, fastest_update
from lesson_page_checks import check_lesson_page, questions_name_no_internal_sources

NOT_A_NUMBER = re.compile(r"\b(nan|inf|-inf)\b", re.IGNORECASE)
CORNERS = {
    "balance": (100.0, 10_000.0),
    "mode": ("isolated", "cross"),
    "leverage": (1, 125),
    "margin_percent": lesson6.MARGIN_PERCENT,
    "auto_add": ("off", "on"),
    "scenario": lesson6.STRESS_SCENARIOS,
}




@pytest.fixture(scope="module")
def dashboard():
    return lesson6.dashboard()


def test_dashboard_defaults_readout(dashboard):
    dashboard.set(balance=1_000.0, mode="isolated", leverage=10, margin_percent=10.0, auto_add="off",
                  scenario="crash_50")
    text = dashboard.text()
    assert "45,180.72 USDT" in text
    assert "share of the account lost   10.0 %" in text
    assert not NOT_A_NUMBER.search(text)


def test_dashboard_every_corner(dashboard):
    computed = 0
    for combo in itertools.product(*CORNERS.values()):
        values = dict(zip(CORNERS, combo))
        seconds = fastest_update(dashboard, values)
        text = dashboard.text()
        assert not NOT_A_NUMBER.search(text), (values, text)
        assert "Traceback" not in text
        assert seconds < 0.05, (values, seconds)
        if not dashboard.message:
            computed += 1
            assert set(dashboard.readout) >= {"position", "what happened", "share of the account lost"}
        else:
            assert dashboard.message.startswith("The exchange would refuse this combination")
    assert computed >= len(list(itertools.product(*CORNERS.values()))) // 2


def test_dashboard_refusals_are_teaching_messages(dashboard):
    dashboard.set(balance=10_000.0, mode="isolated", leverage=125, margin_percent=10.0, auto_add="off",
                  scenario="crash_50")  # 1,000 USDT x 125 = 125,000 USDT notional: above the 125x tier
    assert "leverage must be between 1 and" in dashboard.message


def test_dashboard_smallest_trade_is_one_contract(dashboard):
    dashboard.set(balance=100.0, mode="isolated", leverage=1, margin_percent=5.0, auto_add="off",
                  scenario="crash_50")
    assert not dashboard.message
    assert dashboard.readout["position"].startswith("0.0001 BTC")


def test_auto_add_count_is_bounded_by_the_margin_share():
    # at 5 % of the account per trade, auto-add can move the margin in at most 19 more times
    r = lesson6.stress_test(10_000, "isolated", 100, 500, True, "crash_50")
    assert len(r.auto_adds) <= 19 and r.loss <= 10_000


def test_questions_have_exactly_one_right_answer():
    assert_one_right_answer(lesson6.questions())


def test_position_size_in_whole_contracts():
    assert lesson6.position_size(100, 10) == pytest.approx(0.02)
    assert lesson6.position_size(10, 1) == pytest.approx(0.0002)
    assert lesson6.position_size(99.99, 10) == pytest.approx(0.0199)  # rounded down, never up
    with pytest.raises(mc.MarginInputError):
        lesson6.position_size(1, 1)  # 1 USDT buys no 0.0001 BTC contract at 50,000


def test_isolated_loss_is_the_margin_and_matches_the_engine():
    r = lesson6.stress_test(1_000, "isolated", 10, 100, False, "crash_50")
    account = mc.Account(1_000)
    position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated", margin=100)
    assert r.liquidation_price == pytest.approx(account.liquidation_price(position))
    timeline = account.run(mc.scenario("crash_50", start_price=50_000, n=120))
    assert r.liquidated and r.final_wallet == pytest.approx(account.wallet_balance) == pytest.approx(900)
    assert r.loss == pytest.approx(100) and r.max_loss == pytest.approx(100)
    assert r.share_lost == pytest.approx(0.10)
    assert np.allclose(r.timeline["equity"], timeline["equity"])


def test_cross_loss_is_size_times_fall():
    r = lesson6.stress_test(1_000, "cross", 10, 100, False, "crash_50")
    assert not r.liquidated
    assert r.final_equity == pytest.approx(1_000 + 0.02 * (25_000 - 50_000))  # 500
    assert r.worst_equity == pytest.approx(1_000 + 0.02 * (24_950 - 50_000))  # at the last candle's low
    assert r.max_loss == pytest.approx(1_000)


def test_auto_add_removes_the_cap():
    on = lesson6.stress_test(1_000, "isolated", 10, 100, True, "crash_50")
    off = lesson6.stress_test(1_000, "isolated", 10, 100, False, "crash_50")
    assert on.loss == pytest.approx(500) and off.loss == pytest.approx(100)
    assert len(on.auto_adds) == 5 and all(e.amount == pytest.approx(100) for e in on.auto_adds)
    assert on.position_margin == pytest.approx(100)  # as opened, before the top-ups


def test_auto_add_is_ignored_in_cross():
    r = lesson6.stress_test(1_000, "cross", 10, 100, True, "crash_50")
    assert r.auto_add is False and not r.auto_adds


def test_gap_liquidation_costs_the_margin_and_the_insurance_fund_the_rest():
    r = lesson6.stress_test(1_000, "isolated", 10, 100, False, "gap_down_15")
    event = r.liquidations[0]
    assert event.price == pytest.approx(42_500)
    assert r.loss == pytest.approx(100)
    # the position lost 0.02 x 7,500 = 150; the collateral covered 100, the insurance fund 50
    assert r.insurance_fund_loss == pytest.approx(0.02 * 7_500 - 100)
    assert r.minute(event) == 60


def test_equity_at_low_sees_the_wick():
    cross = lesson6.stress_test(1_000, "cross", 10, 100, False, "wick_down_30")
    assert cross.final_equity == pytest.approx(1_000)
    assert cross.worst_equity == pytest.approx(1_000 + 0.02 * (35_000 - 50_000))  # 700 at the wick's low


def test_stop_loss_table():
    table = lesson6.stop_loss_vs_isolated(1_000, 10, 100, 48_000, "gap_down_15")
    stop, isolated = table.iloc[0], table.iloc[1]
    assert stop["loss planned (USDT)"] == f"{0.02 * 2_000:,.2f}"
    assert stop["filled at (USDT)"] == "42,500.00"
    assert stop["loss taken (USDT)"] == f"{0.02 * 7_500:,.2f}"
    assert isolated["loss taken (USDT)"] == "100.00"


def test_stop_loss_fill_model():
    flat = mc.scenario("crash_50", start_price=50_000, n=120)
    row, price = lesson6.stop_loss_fill(flat, 48_000)
    assert price == 48_000 and flat["low"].iloc[row] <= 48_000 < flat["open"].iloc[row]
    assert lesson6.stop_loss_fill(flat, 1_000) is None


def test_loss_cap_table_matches_the_engine():
    table = lesson6.loss_cap_table(1_000, 10, 100)
    caps = table["most this trade can take (USDT)"].tolist()
    assert caps == ["100.00", "1,000.00", "1,000.00"]
    lp = mc.liquidation_price_for_tiers("long", 50_000, 0.02, 100, mc.tier_table("BTCUSDT"))
    assert table.iloc[0, 0] == f"{lp:,.2f}"
    assert table.iloc[2, 0].startswith("none")


def test_cross_cap_table_a_long_loses_at_most_its_notional_a_short_the_wallet():
    table = lesson6.cross_cap_table(1_000, 100, leverages=(2, 5, 10, 20))
    assert table["notional (USDT)"].tolist() == ["200.00", "500.00", "1,000.00", "2,000.00"]
    # the lesson: a long takes min(wallet, notional), a short the whole wallet at any size
    assert table["most a long can take (USDT)"].tolist() == ["200.00", "500.00", "1,000.00", "1,000.00"]
    assert set(table["most a short can take (USDT)"]) == {"1,000.00"}


def test_quiet_days_agree_with_the_account_run():
    days, seed, leverage = 12, 6, 50
    path = mc.generate_path(days * 1440, start_price=50_000, seed=seed)
    size = lesson6.position_size(100, leverage)
    lp = mc.liquidation_price_for_tiers("long", 50_000, size, 100, mc.tier_table("BTCUSDT"))
    lows = lesson6._day_lows(days, seed)
    for day in range(days):
        candles = path.iloc[day * 1440:(day + 1) * 1440].copy()
        factor = 50_000 / candles["open"].iloc[0]
        candles[["open", "high", "low", "close"]] *= factor
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", size, 50_000, leverage, "isolated", margin=100)
        timeline = account.run(candles)
        liquidated = any(e.kind == "liquidation" for e in timeline.attrs["events"])
        assert liquidated == bool(lows[day] <= lp), day


def test_quiet_days_table_counts():
    table = lesson6.quiet_days_table(leverages=(10, 100), margin=100, days=50, seed=6)
    lows = lesson6._day_lows(50, 6)
    for leverage in (10, 100):
        size = lesson6.position_size(100, leverage)
        lp = mc.liquidation_price_for_tiers("long", 50_000, size, 100, mc.tier_table("BTCUSDT"))
        assert table.loc[f"{leverage}x", "days liquidated"] == f"{int((lows <= lp).sum())} of 50"


def test_checklist_fills_in_the_numbers():
    iso = dict(lesson6.checklist(1_000, "isolated", 10, 100, False).entries)
    assert iso["liquidation price known"].startswith("45,180.72 USDT")
    assert iso["budget: the most this trade can take"] == "100.00 USDT, 10.0 % of the account"
    assert iso["far enough from the entry"].startswith("liquidated in 4 of 4")
    cross = dict(lesson6.checklist(1_000, "cross", 10, 100, True).entries)
    assert cross["auto-add margin"].startswith("not applicable")
    assert cross["liquidation price known"].startswith("none")


def test_scenario_table_matches_the_scenarios():
    table = lesson6.scenario_table().frame
    for name in lesson6.STRESS_SCENARIOS:
        frame = mc.scenario(name, start_price=50_000, n=120)
        assert table.loc[name, "lowest price (USDT)"] == f"{frame['low'].min():,.1f}"


def test_the_page_cites_its_sources_by_name_and_links_onwards():
    check_lesson_page("06_choosing_a_mode", next_link="07_beyond_crypto.ipynb",
                      exercise="../exercises/ex06_choosing_a_mode.ipynb")


def test_tables_of_prose_are_shown_whole():
    """No cell a learner reads is cut to "...": the long texts wrap in HTML and stay whole in plain text."""
    shown = [
        lesson6.compare_settings([("isolated", 10, 100, True)], scenario="crash_50"),
        lesson6.stress_table(1_000, ("isolated", "cross"), 10, 100, False),
        lesson6.scenario_table(),
        lesson6.checklist(1_000, "isolated", 10, 100, False),
        lesson6.cross_exposure(),
        lesson6.stop_loss_gap(),
    ]
    for thing in shown:
        html = thing._repr_html_() if hasattr(thing, "_repr_html_") else thing._repr_markdown_()
        assert "..." not in repr(thing) and "...<" not in html
    gap = lesson6.stress_table(1_000, ("isolated",), 10, 100, False).frame.loc["gap_down_15", "isolated: what happened"]
    assert gap.endswith("(a gap: the insurance fund covered 50.00)")
    assert gap in repr(lesson6.stress_table(1_000, ("isolated",), 10, 100, False))
    assert "auto-add moved 500.00 USDT in (5 times); still open at the end" in repr(shown[0])


def test_stress_table_puts_the_modes_side_by_side():
    table = lesson6.stress_table(1_000, ("isolated", "cross"), 10, 100, False).frame
    for name in lesson6.STRESS_SCENARIOS:
        for mode in ("isolated", "cross"):
            result = lesson6.stress_test(1_000, mode, 10, 100, False, name)
            assert table.loc[name, f"{mode}: equity at the end (USDT)"] == f"{result.final_equity:,.2f}"
            assert table.loc[name, f"{mode}: what happened"] == result.what_happened()


def test_worked_steps_are_the_stress_tests_numbers():
    steps = dict(lesson6.worked_steps(1_000, "isolated", 10, 100, False, "wick_down_30").entries)
    result = lesson6.stress_test(1_000, "isolated", 10, 100, False, "wick_down_30")
    assert steps["2. liquidation price at entry"] == f"{result.liquidation_price:,.2f} USDT (-9.64 %)"
    assert steps["4. lowest price in the scenario"] == "35,000.00 USDT"
    assert steps["6. equity at the end"] == "900.00 USDT: 10.0 % of the account lost"


def test_the_dashboards_legends_sit_beside_the_axes():
    dashboard = lesson6.dashboard()
    figure = dashboard.figure
    assert len(figure.legends) == 2 and not any(ax.get_legend() for ax in figure.axes)
    renderer = dashboard.renderer.canvas.get_renderer()
    right = max(ax.get_window_extent(renderer).x1 for ax in figure.axes)
    for legend in figure.legends:  # beside the plots, and inside the picture
        box = legend.get_window_extent(renderer)
        assert box.x0 >= right and box.x1 <= figure.bbox.x1


def test_the_questions_name_their_sources_by_name():
    questions_name_no_internal_sources("06_choosing_a_mode")


def test_multi_asset_section_counts_btc_with_binances_haircut():
    from margincourse.course.lessons import lesson6 as l6
    frame = l6.coin_collateral_table()
    row = frame.loc["0.02 BTC, 5 % haircut"]
    assert row["counts as margin at entry (USD)"] == "950.00"
    assert row["liquidation price of a 0.1 BTC long"] == "42,158.5"
    text = repr(l6.multi_asset_deeper())
    assert "Multi-Assets Mode" in text and "Not modelled" in text
