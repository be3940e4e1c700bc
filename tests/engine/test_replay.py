"""Running accounts over candles: wicks, gaps, timelines, and agreement with step-by-step."""

import numpy as np
import pandas as pd
import pytest

import margincourse as mc


def test_a_wick_liquidates_what_the_close_never_shows():
    candles = mc.scenario("wick_down_30", start_price=50_000, n=10)
    assert candles["close"].min() == 50_000
    account = mc.Account(1_000)
    position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
    timeline = account.run(candles)
    wick_row = int(np.argmin(candles["low"].to_numpy()))
    assert timeline["events"].iloc[wick_row].startswith("BTCUSDT long isolated liquidated at 45,180.72")
    assert (timeline["events"] != "").sum() == 1
    column = "margin_ratio BTCUSDT long isolated"
    assert timeline[column].iloc[:wick_row].notna().all()
    assert timeline[column].iloc[wick_row:].isna().all()
    assert timeline["wallet_balance"].iloc[-1] == 900
    assert not position.is_open


def test_a_gap_past_the_bankruptcy_price_is_paid_by_the_insurance_fund():
    candles = mc.scenario("gap_down_15", start_price=50_000, n=10)
    account = mc.Account(1_000)
    account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
    timeline = account.run(candles)
    [event] = timeline.attrs["events"]
    assert event.price == 42_500  # executed at the gapped open
    assert event.insurance_fund_loss == pytest.approx(0.02 * (45_000 - 42_500))
    assert account.wallet_balance == 900


def test_a_short_is_liquidated_by_the_high():
    account = mc.Account(1_000)
    account.open("BTCUSDT", "short", 0.02, 50_000, 10, "isolated")
    timeline = account.run(mc.scenario("wick_up_30", start_price=50_000, n=10))
    assert "BTCUSDT short isolated liquidated" in "".join(timeline["events"])
    account = mc.Account(1_000)
    account.open("BTCUSDT", "short", 0.02, 50_000, 10, "isolated")
    assert "".join(account.run(mc.scenario("wick_down_30", start_price=50_000, n=10))["events"]) == ""


def test_cross_survives_the_wick_that_liquidates_isolated():
    candles = mc.scenario("wick_down_30", start_price=50_000, n=10)
    cross = mc.Account(1_000)
    cross.open("BTCUSDT", "long", 0.02, 50_000, 10, "cross")
    timeline = cross.run(candles)
    assert "".join(timeline["events"]) == ""
    assert timeline["equity"].min() == pytest.approx(1_000)  # rows are at the close, which recovered
    assert cross.equity == pytest.approx(1_000)


def test_timeline_columns_and_index():
    candles = mc.generate_path(50, seed=3)
    account = mc.Account(5_000)
    account.open("BTCUSDT", "long", 0.01, float(candles["open"].iloc[0]), 5, "cross")
    account.open("ETHUSDT", "short", 0.1, 3_000, 5, "isolated")
    eth = mc.generate_path(50, seed=4, start_price=3_000, tick_size=0.01)
    timeline = account.run({"BTCUSDT": candles, "ETHUSDT": eth})
    assert list(timeline.columns) == [
        "BTCUSDT", "ETHUSDT", "wallet_balance", "equity", "available_balance",
        "margin_ratio BTCUSDT long cross", "margin_ratio ETHUSDT short isolated", "events",
    ]
    assert timeline.index.equals(candles.index)
    assert account.marks == {"BTCUSDT": candles["close"].iloc[-1], "ETHUSDT": eth["close"].iloc[-1]}
    last = timeline.iloc[-1]
    assert last["equity"] == pytest.approx(account.equity)
    assert last["available_balance"] == pytest.approx(account.available_balance)
    btc, eth_position = account.positions
    assert last["margin_ratio BTCUSDT long cross"] == pytest.approx(account.margin_ratio(btc))
    assert last["margin_ratio ETHUSDT short isolated"] == pytest.approx(account.margin_ratio(eth_position))


def test_run_agrees_with_stepping_candle_by_candle():
    paths = {
        "BTCUSDT": mc.generate_path(3_000, seed=11, annual_volatility=3.0),
        "ETHUSDT": mc.generate_path(3_000, seed=12, start_price=3_000, annual_volatility=3.0, tick_size=0.01),
        "SOLUSDT": mc.generate_path(3_000, seed=13, start_price=150, annual_volatility=3.0, tick_size=0.01),
        "BNBUSDT": mc.generate_path(3_000, seed=14, start_price=600, annual_volatility=3.0, tick_size=0.01),
    }
    account = mc.Account(20_000, taker_fee=0.0005, liquidation_fee=0.0125)
    account.open("BTCUSDT", "long", 0.2, 60_000, 25, "cross")
    account.open("ETHUSDT", "short", 3, 3_000, 25, "cross")
    account.open("SOLUSDT", "long", 40, 150, 20, "isolated", auto_add_margin=True)
    account.open("BNBUSDT", "short", 10, 600, 50, "isolated")
    stepped = account.copy()
    timeline = account.run(paths)
    stepped_events = []
    for i in range(3_000):
        candle = {s: tuple(f[c].iloc[i] for c in ("open", "high", "low", "close")) for s, f in paths.items()}
        stepped_events.extend(stepped.step(candle, time=paths["BTCUSDT"].index[i]))
    assert len(timeline.attrs["events"]) >= 3
    assert list(timeline.attrs["events"]) == stepped_events
    assert account.ledger() == stepped.ledger()
    assert account.wallet_balance == stepped.wallet_balance


def test_single_frame_needs_a_symbol_when_ambiguous():
    account = mc.Account(10_000)
    account.open("BTCUSDT", "long", 0.01, 60_000, 5, "cross")
    account.open("ETHUSDT", "long", 0.1, 3_000, 5, "cross")
    with pytest.raises(mc.MarginInputError, match="symbol must name the candles' contract"):
        account.run(mc.generate_path(10))
    timeline = mc.run(account, mc.generate_path(10), symbol="BTCUSDT")
    assert len(timeline) == 10


def test_run_leaves_the_candles_untouched():
    candles = mc.scenario("crash_50", start_price=50_000, n=20)
    before = candles.copy(deep=True)
    account = mc.Account(1_000)
    account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
    account.run(candles)
    pd.testing.assert_frame_equal(candles, before)
