"""Lesson 4, cross vs isolated: the dashboard, the questions, and every number the lesson shows."""

import itertools
import re

import numpy as np
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson4, lesson4_model

MMR = 0.004  # Binance BTCUSDT and ETHUSDT tier 1 (2024-10-24), where every position of the lesson sits


def no_nan_or_inf(text):
    return re.search(r"(?<![a-z])(nan|inf)(?![a-z])", text.lower()) is None


# ----------------------------------------------------------------- dashboard


@pytest.fixture(scope="module")
def dashboard():
    return lesson4.dashboard()


def corners(dashboard):
    ends = {name: (c.min, c.max) if hasattr(c, "min") else tuple(c.options) for name, c in dashboard.controls.items()}
    for values in itertools.product(*ends.values()):
        yield dict(zip(ends, values))


def test_dashboard_defaults_show_the_story(dashboard):
    dashboard.set(price=46_000, leverage=50, auto_add="off")
    text = dashboard.text()
    assert "hit at 49,196.8 | 40,160.6 (-19.68 %)" in text  # prices on BTCUSDT's 0.1 USDT tick
    assert "900.00 | 1,000.00 USDT" in text  # wallet balances
    assert "900.00 | 600.00 USDT" in text  # equities


def update_seconds(dashboard, values, tries=3):
    """The update time for moving the controls to ``values`` from the previous corner.

    The first try includes the cold caches a learner meets; on a busy shared machine
    one try can be slowed by other processes, so the best of a few is compared.
    """
    best = float("inf")
    for _ in range(tries):
        dashboard.set(price=46_000, leverage=50, auto_add="off")
        dashboard.set(**values)
        best = min(best, dashboard.last_update_seconds)
    return best


def test_dashboard_every_corner(dashboard):
    seen = 0
    for values in corners(dashboard):
        seconds = update_seconds(dashboard, values)
        assert dashboard.message == "", (values, dashboard.message)
        text = dashboard.text()
        assert no_nan_or_inf(text), (values, text)
        assert seconds < 0.05, (values, seconds)
        seen += 1
    assert seen == 8
    assert update_seconds(dashboard, dict(price=46_000, leverage=50, auto_add="off")) < 0.05


def test_dashboard_readout_is_the_engine(dashboard):
    dashboard.set(price=41_000.5, leverage=50, auto_add="on")
    iso = lesson4.snapshot("isolated", 50, 41_000.5, auto_add=True)
    cross = lesson4.snapshot("cross", 50, 41_000.5)
    assert dashboard.readout["equity"] == f"{iso['equity']:,.2f} | {cross['equity']:,.2f} USDT"
    assert dashboard.readout["auto-added into the isolated bucket"] == f"{iso['auto_added']:,.2f} USDT"
    # auto-add made the isolated bucket behave like cross: the same equity
    assert iso["equity"] == pytest.approx(cross["equity"])


def test_dashboard_slider_ranges_stay_within_the_exchange_rules(dashboard):
    leverage = dashboard.controls["leverage"]
    assert leverage.min == 1 and leverage.max == 125
    price = dashboard.controls["price"]
    assert price.step == pytest.approx(mc.contract("BTCUSDT").tick_size)


# ----------------------------------------------------------------- questions


def test_questions_have_exactly_one_right_answer():
    questions = lesson4.questions()
    assert len(questions) >= 3
    for question in questions:
        verdicts = {option: question.check(option) for option in question.options}
        right = [o for o, v in verdicts.items() if v.startswith("Right.")]
        assert right == [question.answer], question.prompt
        assert all(v.startswith("Not quite.") for o, v in verdicts.items() if o != question.answer)


def test_question_answers_are_true():
    q1, q2, q3, q4 = lesson4.questions()
    assert q1.answer == "900 USDT"
    assert q2.answer == "It is not liquidated, and the account is down 300 USDT."
    assert q3.answer.startswith("It rises from 40,281.1 to 43,281.1")
    assert q4.answer == "0 USDT"


# ----------------------------------------------------------------- curves = engine


CONFIGS = [(mode, lev, False) for mode in lesson4.MODES for lev in (1, 5, 10, 11, 20, 50, 100, 125)]
CONFIGS += [("isolated", lev, True) for lev in (1, 5, 10, 11, 20, 50, 100, 125)]


@pytest.mark.parametrize("mode, leverage, auto_add", CONFIGS)
def test_curves_equal_the_engine(mode, leverage, auto_add):
    c = lesson4.curves(mode, leverage, auto_add=auto_add, prices=np.linspace(20_000, 52_000, 33))
    for i, price in enumerate(c["price"]):
        s = lesson4.snapshot(mode, leverage, float(price), auto_add=auto_add)
        assert c["wallet"][i] == pytest.approx(s["wallet"], abs=1e-6), price
        assert c["equity"][i] == pytest.approx(s["equity"], abs=1e-6), price
        assert c["liquidation_price"][i] == pytest.approx(s["liquidation_price"], abs=1e-6), price
        if s["open"]:
            assert c["margin_balance"][i] == pytest.approx(s["margin_balance"], abs=1e-6), price
            assert c["maintenance"][i] == pytest.approx(s["maintenance"], abs=1e-6), price
        else:
            assert np.isnan(c["margin_balance"][i]) and np.isnan(c["maintenance"][i]), price


def test_curves_jump_at_the_liquidation_price():
    c = lesson4.curves("isolated", 50)
    lp = c["final_liquidation_price"]
    above, below = np.searchsorted(c["price"], [lp + 1e-3, lp - 1e-3])
    assert c["price"][below] == pytest.approx(lp - 1e-3) and c["price"][above] == pytest.approx(lp + 1e-3)
    assert c["wallet"][below] == 900 and c["wallet"][above] == 1_000


def test_margin_steps_follow_bybit_amr():
    # 50x: the initial margin (100) each time until the 900 left are used up.
    assert lesson4.margin_steps(50, auto_add=True) == pytest.approx(np.arange(100, 1_001, 100))
    # 5x: 0.01 BTC, 500 USDT notional: adds stop at 1x (margin = notional).
    assert lesson4.margin_steps(5, auto_add=True) == pytest.approx([100, 200, 300, 400, 500])


# ----------------------------------------------------------------- the lesson's numbers


def hand_lp(wallet, size=0.1, entry=50_000, mmr=MMR, other_mm=0.0, other_upnl=0.0):
    """Binance's one-way formula for a long, written out: (WB - TMM1 + UPNL1 - Q x EP) / (Q x MMR - Q)."""
    return (wallet - other_mm + other_upnl - size * entry) / (size * mmr - size)


def test_compare_table_matches_the_formula_and_the_brief():
    table = lesson4.compare_table()
    assert table.loc[("50x", "isolated"), "liquidation price"] == f"{hand_lp(100):,.1f}" == "49,196.8"
    assert table.loc[("50x", "cross"), "liquidation price"] == f"{hand_lp(1_000):,.1f}" == "40,160.6"
    assert table.loc[("50x", "isolated"), "fall to it"] == "-1.61 %"
    assert table.loc[("50x", "cross"), "fall to it"] == "-19.68 %"
    assert hand_lp(1_000, size=0.02) == 0  # 10x cross: the wallet covers the whole notional
    assert table.loc[("10x", "cross"), "liquidation price"] == "none (0 or below)"
    assert table.loc[("10x", "isolated"), "liquidation price"] == f"{hand_lp(100, size=0.02):,.1f}"
    assert list(table["most it can lose"]) == ["100.00", "1,000.00", "100.00", "1,000.00"]
    assert list(table["backed by"]) == ["100.00", "1,000.00", "100.00", "1,000.00"]
    assert list(table["notional"]) == ["1,000.00", "1,000.00", "5,000.00", "5,000.00"]


def test_walk_table():
    table = lesson4.walk_table(50, (45_000, 40_000))
    assert table.loc["45,000", ("isolated", "wallet")] == "900.00"
    assert table.loc["45,000", ("isolated", "equity")] == "900.00"
    assert table.loc["45,000", ("cross", "wallet")] == "1,000.00"
    assert table.loc["45,000", ("cross", "equity")] == f"{1_000 - 0.1 * 5_000:,.2f}"
    assert table.loc["40,000", ("cross", "equity")] == "0.00"
    assert table.loc["40,000", ("cross", "position")] == "liquidated at 40,160.6"
    ten = lesson4.walk_table(10, (20_000,))
    assert ten.loc["20,000", ("cross", "equity")] == f"{1_000 - 0.02 * 30_000:,.2f}"
    assert ten.loc["20,000", ("cross", "position")] == "open"


def test_breathing_room_table():
    table = lesson4.breathing_room_table()
    for leverage in (5, 10):
        assert table.loc[f"{leverage}x", ("cross", "liquidation price")] == "none (0 or below)"
    for leverage in (11, 20, 50, 100, 125):
        row = table.loc[f"{leverage}x"]
        size = lesson4.trade_size(leverage)
        assert row[("cross", "liquidation price")] == f"{hand_lp(1_000, size):,.1f}"
        assert row[("isolated", "liquidation price")] == f"{hand_lp(100, size):,.1f}"
        assert hand_lp(1_000, size) < hand_lp(100, size)


def test_liquidation_table():
    table = lesson4.liquidation_table()
    iso, cross = table["isolated"], table["cross"]
    assert iso["the trader lost"] == "100.00" and iso["wallet balance after"] == "900.00"
    assert cross["the trader lost"] == "1,000.00" and cross["wallet balance after"] == "0.00"
    # Bybit: bankruptcy price = EP x (1 - 1/L) for isolated; for cross the wallet's own
    assert iso["bankruptcy price (collateral used up)"] == f"{50_000 * (1 - 1 / 50):,.1f}"
    assert cross["bankruptcy price (collateral used up)"] == f"{50_000 - 1_000 / 0.1:,.1f}"
    # what is left at the liquidation price is the maintenance margin there
    assert iso["margin balance still left at that price"] == f"{0.1 * hand_lp(100) * MMR:,.2f}"
    assert cross["margin balance still left at that price"] == f"{0.1 * hand_lp(1_000) * MMR:,.2f}"
    assert iso["went to the insurance fund"] == iso["margin balance still left at that price"]


def test_shared_collateral_table():
    table = lesson4.shared_collateral_table()
    for eth in (3_000, 2_900, 2_800, 2_700, 2_600, 2_500):
        row = table.loc[f"{eth:,}"]
        expected = hand_lp(1_000, other_mm=1 * eth * MMR, other_upnl=1 * (eth - 3_000))
        assert row[("cross", "BTC liq. price")] == f"{expected:,.1f}"
        assert row[("isolated", "BTC liq. price")] == f"{hand_lp(100):,.1f}"
        assert row[("cross", "ETH position")] == "open"
        assert row[("cross", "equity")] == f"{1_000 + eth - 3_000:,.2f}"
    eth_lp = (150 - 1 * 3_000) / (1 * MMR - 1)  # isolated ETH: 20x margin 150
    assert table.loc["2,900", ("isolated", "ETH position")] == "open" and 2_900 > eth_lp
    assert table.loc["2,800", ("isolated", "ETH position")] == "liquidated" and 2_800 < eth_lp
    assert table.loc["2,800", ("isolated", "equity")] == "850.00"


def test_hedge_table():
    table = lesson4.hedge_table()
    down, up = "35 % down and back", "35 % up and back"
    for move in (down, up):
        pair = table.loc["BTC long + ETH short, cross"]
        assert pair[(move, "liquidated")] == "nothing" and pair[(move, "final equity")] == "1,000.00"
        assert table.loc["BTC long + ETH short, isolated", (move, "final equity")] == "900.00"
    assert table.loc["BTC long alone, cross", (down, "final equity")] == "0.00"
    assert table.loc["BTC long alone, cross", (up, "liquidated")] == "nothing"
    assert table.loc["ETH short alone, cross", (up, "liquidated")] == "ETH short, lost 1,000.00"
    assert table.loc["ETH short alone, cross", (down, "liquidated")] == "nothing"
    assert table.loc["BTC long + ETH short, isolated", (down, "liquidated")] == "BTC long, lost 100.00"
    lowest = lesson4.hedge_lowest_equity()
    assert all(900 < v < 1_000 for v in lowest.values())


def test_mirrored_candles_are_valid_and_rise():
    down = mc.scenario("v_shape_35", start_price=2_500)
    up = lesson4.mirrored(down)
    assert up["open"].iloc[0] == 2_500
    assert (up["low"] <= up[["open", "close"]].min(axis=1)).all()
    assert (up["high"] >= up[["open", "close"]].max(axis=1)).all()
    assert up["high"].max() == pytest.approx(2 * 2_500 - down["low"].min())


@pytest.mark.parametrize("side, symbol, entry, size, worst", [
    ("long", "BTCUSDT", 50_000, 0.1, 32_435.0),
    ("short", "ETHUSDT", 2_500, 2.0, 3_381.0),
])
def test_margin_to_survive_is_the_threshold_the_engine_uses(side, symbol, entry, size, worst):
    need = lesson4.margin_to_survive(side, entry, size, worst, symbol)
    for extra, survives in ((0.01, True), (-0.01, False)):
        account = mc.Account(5_000)
        position = account.open(symbol, side, size, entry, leverage=50, mode="isolated", margin=need + extra)
        account.mark({symbol: worst})
        assert position.is_open == survives


def test_hedge_margin_needs_exceed_the_account():
    needs = lesson4.hedge_margin_needs()
    assert all(v > lesson4.WALLET for v in needs.values())


def test_add_margin_table():
    table = lesson4.add_margin_table()
    for amount in (0, 100, 200, 400, 900):
        row = table.loc[f"{amount:,.2f}"]
        assert row["liquidation price"] == f"{hand_lp(100 + amount):,.1f}"
        assert row["most it can lose"] == f"{100 + amount:,.2f}"
        assert row["rest of the wallet, out of reach"] == f"{900 - amount:,.2f}"
    # the whole wallet in the bucket: the cross liquidation price
    assert table.loc["900.00", "liquidation price"] == lesson4.compare_table().loc[("50x", "cross"), "liquidation price"]


def test_auto_add_drains_the_wallet():
    events = lesson4.auto_add_events()
    assert len(events) == 10 and all("auto-added 100.00 USDT" in e for e in events[:9])
    assert events[0] == f"auto-added 100.00 USDT at {hand_lp(100):,.1f}: liquidation price {hand_lp(100):,.1f} -> " \
                        f"{hand_lp(200):,.1f}"
    assert events[-1] == f"BTCUSDT long isolated liquidated at {hand_lp(1_000):,.1f}: lost 1,000.00 USDT"
    account, position = lesson4.open_trade("isolated", 50, auto_add=True)
    assert account.max_loss(position) == 1_000


def test_event_line_of_a_margin_added_by_hand():
    account, position = lesson4.open_trade("isolated", 50)
    line = lesson4.event_line(account.add_margin(position, 200))
    assert line == f"added 200.00 USDT at 50,000.0: liquidation price {hand_lp(100):,.1f} -> {hand_lp(300):,.1f}"


def test_partial_close_check_compares_the_fee_with_the_rate():
    text = lesson4.partial_close_check()
    lp = hand_lp(100)
    fee, freed = 0.0125 * 0.1 * 0.1 * lp, MMR * 0.1 * 0.1 * lp  # 10 % of the 50x trade sold at its LP
    assert f"fee {fee:,.2f} USDT, maintenance margin {freed:,.2f} USDT lower: still short" in text
    # Binance BTCUSDT 2024-10-24: tier 4 has MMR 1 %, tier 5 (from 12,000,000 USDT) 2 %, above 1.25 %
    assert "from tier 5 on (12,000,000 USDT of notional and more, MMR 2.00 %)" in text
    assert "compliant again" in lesson4.partial_close_check(fee_rate=0.003)  # a fee below the 0.4 % rate


def test_prices_are_written_on_each_contracts_tick():
    assert lesson4_model.price_text(49_196.787) == "49,196.8"
    assert lesson4_model.price_text(3_000, "ETHUSDT") == "3,000.00"


def test_crash_tables():
    crash = lesson4.crash_table("crash_50", 50)
    assert list(crash["final wallet"]) == ["900.00", "0.00", "0.00"]
    assert list(crash["auto-adds"]) == [0, 9, 0]
    v = lesson4.crash_table("v_shape_35", 20)
    assert list(v["final wallet"]) == ["900.00", "1,000.00", "1,000.00"]
    assert v.loc["cross", "liquidated at"] == "not liquidated"


def test_crash_figure_is_a_png():
    picture = lesson4.crash_figure()
    assert picture._repr_png_().startswith(b"\x89PNG")
    assert "crash_50" in repr(picture)


@pytest.mark.parametrize("mode, leverage, auto_add", [("isolated", 50, False), ("cross", 50, False),
                                                      ("isolated", 50, True), ("isolated", 7, True),
                                                      ("cross", 10, False), ("isolated", 125, True)])
def test_snapshot_cache_equals_a_fresh_engine_run(mode, leverage, auto_add):
    rng = np.random.default_rng(4)
    prices = np.round(rng.uniform(20_000, 52_000, 60), 1)
    triggers = lesson4_model._triggers(mode, leverage, auto_add)
    prices = np.concatenate([prices, triggers[triggers > 20_000], triggers[triggers > 20_000] + 0.1])
    for price in prices:  # in random order, so the cache is filled from every direction
        cached = lesson4.snapshot(mode, leverage, float(price), auto_add=auto_add)
        account, _ = lesson4.open_trade(mode, leverage, auto_add=auto_add)
        account.mark({"BTCUSDT": float(price)})
        fresh = lesson4_model._describe(account, mode)
        assert cached.keys() == fresh.keys()
        for key, value in fresh.items():
            assert cached[key] == pytest.approx(value, abs=1e-9), (price, key)


# ----------------------------------------------------------------- hedge mode (going deeper)


def test_hedge_mode_keeps_the_net_balance_but_adds_maintenance():
    one_way = mc.liquidation_price_for_tiers("long", 50_000, 0.05, 1_100, mc.tier_table("BTCUSDT", "binance"))
    hedged = lesson4_model.hedge_mode_liquidation_price(0.1, 50_000, 0.05, 52_000)
    assert one_way == pytest.approx(1_400 / (1 - MMR) / 0.05, rel=1e-12)  # (1,100 - 2,500) / (0.05 x MMR - 0.05)
    assert hedged == pytest.approx(1_400 / (0.05 - 0.15 * MMR))
    assert hedged > one_way  # sooner: two legs' maintenance margin on the same margin balance


def test_fully_hedged_pair_is_liquidated_only_far_up_with_each_legs_own_tier():
    lp = lesson4_model.hedge_mode_liquidation_price(0.1, 50_000, 0.1, 50_000)
    table = mc.tier_table("BTCUSDT", "binance")
    assert table.tier_for(0.1 * lp).tier == 2  # the tier at the liquidation price, not at entry
    assert 1_000 == pytest.approx(2 * table.maintenance_margin(0.1 * lp))


def test_hedge_mode_deeper_names_its_sources():
    text = repr(lesson4.hedge_mode_deeper())
    assert "28,340.1" in text and "28,112.4" in text and "Position Tier" in text
