"""Funding: the payment, the exchanges' rules as data, the account settling it, and runs over candles.

The documented rules (margincourse/engine/funding.py cites the pages): funding amount =
position value at the mark x rate, a positive rate means longs pay shorts, every 8 hours at
00:00, 08:00 and 16:00 UTC; Binance and Bybit charge the available balance first, then the
position margin; Bitget charges the position margin, never below maintenance. None of the
pages read shows a numeric worked example, so the examples are computed from the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import margincourse as mc
from margincourse import MarginInputError
from margincourse.engine import funding as fund


def conserved(account):
    return account.ledger().expected_wallet_balance() == pytest.approx(account.wallet_balance, abs=1e-9)


def snapshot(account):
    return (
        account.wallet_balance, account.cross_wallet_balance, account.ledger(), len(account.events),
        [(p.id, p.size, p.margin, p.funding, p.is_open) for p in account.positions], account.marks,
    )


# --------------------------------------------------------------------------- the payment


class TestFundingPayment:
    def test_position_value_at_the_mark_times_the_rate_longs_pay_when_positive(self):
        # Binance: "Funding Amount = Nominal Value of Positions x Funding Rate", nominal value = mark x size
        assert mc.funding_payment("long", 0.5, 60_000, 0.0001) == pytest.approx(-3.0)
        assert mc.funding_payment("short", 0.5, 60_000, 0.0001) == pytest.approx(3.0)
        assert mc.funding_payment("long", 0.5, 60_000, -0.0001) == pytest.approx(3.0)
        assert mc.funding_payment("short", 10, 3_000, -0.0005) == pytest.approx(-15.0)

    def test_longs_and_shorts_of_equal_size_net_to_zero(self):
        rates = np.array([-0.003, -0.0001, 0.0, 0.0001, 0.02])
        longs = mc.funding_payment("long", 1.7, 61_234.5, rates)
        shorts = mc.funding_payment("short", 1.7, 61_234.5, rates)
        assert np.allclose(longs + shorts, 0.0)

    def test_vectorised_equals_scalar(self):
        sides = np.array(["long", "short", "long"])
        sizes = np.array([0.1, 2.0, 30.0])
        marks = np.array([[60_000.0], [3_000.0]])
        result = mc.funding_payment(sides, sizes, marks, 0.0003)
        assert result.shape == (2, 3)
        for i in range(2):
            for j in range(3):
                scalar = mc.funding_payment(str(sides[j]), float(sizes[j]), float(marks[i, 0]), 0.0003)
                assert result[i, j] == pytest.approx(scalar, rel=1e-15)

    def test_leverage_plays_no_part(self):
        # Bitget: the position value "has nothing to do with leverage"
        paid = []
        for leverage in (2, 10, 50):
            account = mc.Account(10_000)
            account.open("BTCUSDT", "long", 0.1, 60_000, leverage, "isolated")
            [event] = account.apply_funding({"BTCUSDT": 0.0001})
            paid.append(event.amount)
        assert paid == pytest.approx([-0.6, -0.6, -0.6])

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(side="flat"), "side must be 'long' or 'short'"),
            (dict(quantity=0), "quantity must be greater than 0"),
            (dict(quantity=-1), "quantity must be greater than 0"),
            (dict(quantity=float("nan")), "quantity must be a number, got NaN"),
            (dict(quantity=[1.0, float("nan")]), "quantity must be finite numbers"),
            (dict(quantity="1"), "quantity must be a number"),
            (dict(mark_price=0), "mark_price must be greater than 0"),
            (dict(mark_price=float("inf")), "mark_price must be finite"),
            (dict(funding_rate=1.5), "funding_rate must be between -1 and 1"),
            (dict(funding_rate=-2), "funding_rate must be between -1 and 1"),
            (dict(funding_rate=float("nan")), "funding_rate must be a number, got NaN"),
            (dict(funding_rate=True), "funding_rate must be a number"),
            (dict(funding_rate=[0.1, 3.0]), "funding_rate must be between -1 and 1, got 3"),
            (dict(quantity=[1, 2], mark_price=[1, 2, 3]), "broadcast"),
        ],
    )
    def test_bad_input_names_the_parameter(self, kwargs, match):
        args = dict(side="long", quantity=1.0, mark_price=60_000.0, funding_rate=0.0001) | kwargs
        with pytest.raises(MarginInputError, match=match):
            mc.funding_payment(**args)


# --------------------------------------------------------------------------- the rules as data


class TestFundingRules:
    @pytest.mark.parametrize("exchange", ["binance", "bybit", "bitget"])
    def test_every_rule_names_its_source_and_date_and_the_8_hour_default(self, exchange):
        rule = mc.funding_rule(exchange)
        assert rule.source and rule.as_of
        assert rule.interval_hours == 8 and rule.first_funding_utc == "00:00"

    def test_binance_caps_are_three_quarters_of_the_first_tier_rate(self):
        # Binance: "Cap = 0.75 * Maintenance Margin Ratio" for the listed majors
        rule = mc.funding_rule("binance")
        for symbol in ("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT"):
            mmr = mc.tier_table(symbol, "binance").tiers[0].mmr
            assert rule.cap(symbol) == pytest.approx(0.75 * mmr, rel=1e-12)
        assert rule.default_cap == 0.02

    def test_where_a_charge_comes_from_differs_by_exchange(self):
        assert mc.funding_rule("binance").charged_from == "available_balance_then_position_margin"
        assert mc.funding_rule("bybit").charged_from == "available_balance_then_position_margin"
        assert mc.funding_rule("bitget").charged_from == "position_margin_down_to_maintenance"

    def test_cap_clamps_between_floor_and_cap(self):
        assert mc.cap_funding_rate(0.005, "BTCUSDT") == pytest.approx(0.003)
        assert mc.cap_funding_rate(-0.005, "BTCUSDT") == pytest.approx(-0.003)
        assert mc.cap_funding_rate(0.0001, "BTCUSDT") == 0.0001
        assert mc.cap_funding_rate(0.5, "BTCUSDT", "bitget") == 0.5  # no cap shipped: only [-1, 1]

    def test_bad_exchange_and_rate_are_refused(self):
        with pytest.raises(MarginInputError, match="exchange must be 'binance' or 'bitget' or 'bybit'"):
            mc.funding_rule("okx")
        with pytest.raises(MarginInputError, match="funding_rate must be between -1 and 1"):
            mc.cap_funding_rate(2, "BTCUSDT")
        with pytest.raises(MarginInputError, match="symbol must be one of"):
            mc.cap_funding_rate(0.001, "DOGEUSDT")


class TestFundingTimes:
    def test_every_8_hours_from_midnight_utc_start_excluded_end_included(self):
        times = mc.funding_times("2024-01-01 00:00", "2024-01-02 08:00")
        assert [t.strftime("%Y-%m-%d %H:%M") for t in times] == [
            "2024-01-01 08:00", "2024-01-01 16:00", "2024-01-02 00:00", "2024-01-02 08:00",
        ]
        assert str(times.tz) == "UTC"

    def test_times_in_another_zone_are_converted(self):
        times = mc.funding_times(pd.Timestamp("2024-01-01 09:00", tz="Asia/Hong_Kong"), "2024-01-01 23:59")
        assert [t.hour for t in times] == [8, 16]  # 09:00 HKT is 01:00 UTC

    def test_none_in_a_short_window_and_bad_input(self):
        assert len(mc.funding_times("2024-01-01 00:01", "2024-01-01 07:59")) == 0
        with pytest.raises(MarginInputError, match="end must not be before start"):
            mc.funding_times("2024-01-02", "2024-01-01")
        with pytest.raises(MarginInputError, match="start must be a time"):
            mc.funding_times("soon", "2024-01-01")


class TestChargeSources:
    def test_available_balance_first_then_margin_then_unpaid(self):
        rule = "available_balance_then_position_margin"
        assert fund.charge_sources(rule, 30, available=50, margin=100) == (30, 0, 0)
        assert fund.charge_sources(rule, 30, available=20, margin=100) == (20, 10, 0)
        assert fund.charge_sources(rule, 130, available=20, margin=100) == (20, 100, 10)

    def test_bitget_never_below_maintenance(self):
        rule = "position_margin_down_to_maintenance"
        assert fund.charge_sources(rule, 30, available=500, margin=100, room=50) == (0, 30, 0)
        assert fund.charge_sources(rule, 30, available=500, margin=100, room=12) == (0, 12, 18)
        assert fund.charge_sources(rule, 30, available=500, margin=100, room=-5) == (0, 0, 30)


# --------------------------------------------------------------------------- the account


class TestAccountFunding:
    def test_isolated_binance_pays_from_the_available_balance_and_keeps_its_margin(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.5, 60_000, 50, "isolated")
        lp = account.liquidation_price(position)
        [event] = account.apply_funding({"BTCUSDT": 0.0001}, time="t1")
        assert event.kind == "funding" and event.time == "t1"
        assert event.amount == pytest.approx(-3.0) and event.wallet_change == pytest.approx(-3.0)
        assert event.margin_change == 0 and event.unpaid == 0
        assert position.margin == 600 and position.funding == pytest.approx(-3.0)
        assert account.wallet_balance == pytest.approx(997.0)
        assert account.liquidation_price(position) == lp  # the margin did not move
        assert account.ledger().funding == pytest.approx(-3.0) and conserved(account)

    def test_isolated_binance_without_available_balance_pays_from_margin_and_its_liquidation_price_nears(self):
        # "If your account balance is insufficient, the funding fees (if any) will be deducted from your
        # position margin, which may affect your liquidation price."
        account = mc.Account(600)
        position = account.open("BTCUSDT", "long", 0.5, 60_000, 50, "isolated")
        assert account.available_balance == 0
        lp = account.liquidation_price(position)
        [event] = account.apply_funding({"BTCUSDT": 0.003})
        assert event.wallet_change == 0 and event.margin_change == pytest.approx(-90.0)
        assert position.margin == pytest.approx(510.0)
        assert account.liquidation_price(position) > lp
        assert conserved(account)

    def test_a_charge_that_pushes_an_isolated_position_below_maintenance_liquidates_it_at_the_next_mark(self):
        account = mc.Account(600)
        position = account.open("BTCUSDT", "long", 0.5, 60_000, 50, "isolated")
        account.mark({"BTCUSDT": 59_200})  # -400 unrealized: margin balance 200 > maintenance 118.40
        assert position.is_open
        [event] = account.apply_funding({"BTCUSDT": 0.003})  # 88.80, from the margin
        assert event.margin_change == pytest.approx(-88.8)
        assert position.is_open  # funding does not liquidate by itself ...
        assert account.margin_ratio(position) > 1
        events = account.mark({"BTCUSDT": 59_200})  # ... the next mark does, at that mark
        assert [e.kind for e in events] == ["liquidation"]
        assert events[0].price == 59_200 and events[0].collateral_lost == pytest.approx(600 - 88.8)
        assert conserved(account)

    def test_cross_pays_from_the_cross_wallet_and_shorts_receive_into_it(self):
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", 0.1, 60_000, 10, "cross")
        account.open("ETHUSDT", "short", 1, 3_000, 10, "cross")
        events = account.apply_funding({"BTCUSDT": 0.0001, "ETHUSDT": 0.0002})
        assert [round(e.amount, 6) for e in events] == [-0.6, 0.6]
        assert account.cross_wallet_balance == pytest.approx(1_000.0)
        assert conserved(account)

    def test_one_rate_for_every_position_and_only_open_positions_pay(self):
        account = mc.Account(5_000)
        btc = account.open("BTCUSDT", "long", 0.1, 60_000, 10, "isolated")
        account.open("ETHUSDT", "long", 1, 3_000, 10, "cross")
        account.close(btc, 60_000)
        events = account.apply_funding(0.0001)
        assert [e.symbol for e in events] == ["ETHUSDT"]
        assert account.apply_funding({"SOLUSDT": 0.01}) == []  # nobody holds SOL

    def test_bitget_charges_the_position_margin_never_below_maintenance(self):
        account = mc.Account(10_000, exchange="bitget")
        position = account.open("BTCUSDT", "long", 1, 60_000, 20, "isolated")  # 3,000 margin
        account.mark({"BTCUSDT": 57_600})  # -2,400: margin balance 600
        mm = account.maintenance_margin(position)
        [event] = account.apply_funding({"BTCUSDT": 0.02})  # 1,152 owed
        assert event.wallet_change == 0  # not from the available balance
        assert event.margin_change == pytest.approx(-(600 - mm))
        assert event.unpaid == pytest.approx(1_152 - (600 - mm))
        assert account.margin_ratio(position) == pytest.approx(1.0)
        assert conserved(account)

    def test_max_loss_includes_the_funding_already_paid(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        assert account.max_loss(position) == 100
        for _ in range(3):
            account.apply_funding({"BTCUSDT": 0.001})  # 1 USDT each, from the available balance
        assert account.max_loss(position) == pytest.approx(103.0)
        [liquidation] = account.mark({"BTCUSDT": 40_000})
        lost = 1_000 - account.wallet_balance
        assert lost == pytest.approx(103.0) and lost <= account.ledger().deposits
        assert liquidation.collateral_lost == 100

    def test_received_funding_does_not_raise_max_loss(self):
        account = mc.Account(1_000)
        position = account.open("BTCUSDT", "short", 0.02, 50_000, 10, "cross")
        account.apply_funding({"BTCUSDT": 0.001})
        assert account.max_loss(position) == pytest.approx(1_001.0)  # the wallet grew by the receipt

    @pytest.mark.parametrize(
        "rates, match",
        [
            ({"BTCUSDT": 1.5}, "funding rate of BTCUSDT must be between -1 and 1"),
            ({"BTCUSDT": float("nan")}, "funding rate of BTCUSDT must be a number"),
            ({"BTCUSDT": "0.01"}, "funding rate of BTCUSDT must be a number"),
            ({"BTCUSDT": 0.001, "XRPUSDT": 0.001}, "symbol must be one of"),
            (2.0, "rates must be between -1 and 1"),
            ("0.01", "rates must be a dict of symbol -> funding rate"),
            (None, "rates must be a dict of symbol -> funding rate"),
        ],
    )
    def test_bad_rates_are_refused_and_nothing_changes(self, rates, match):
        account = mc.Account(1_000)
        account.open("BTCUSDT", "long", 0.02, 50_000, 10, "isolated")
        before = snapshot(account)
        with pytest.raises(MarginInputError, match=match):
            account.apply_funding(rates)
        assert snapshot(account) == before


# --------------------------------------------------------------------------- runs over candles


def _account():
    account = mc.Account(10_000)
    account.open("BTCUSDT", "long", 0.1, 60_000, 5, "isolated")
    account.open("ETHUSDT", "short", 1, 3_000, 5, "cross")
    return account


def _candles(n=3 * 24 * 60, seed=3):
    return {
        "BTCUSDT": mc.generate_path(n, seed=seed, start_price=60_000, annual_volatility=0.3),
        "ETHUSDT": mc.generate_path(n, seed=seed + 1, start_price=3_000, tick_size=0.01, annual_volatility=0.3),
    }


class TestRunWithFunding:
    def test_funding_off_gives_the_same_timeline_as_before(self):
        candles = _candles(600)
        a, b = _account(), _account()
        plain = a.run(candles)
        off = mc.run(b, candles, funding=None)
        pd.testing.assert_frame_equal(plain, off)
        assert "funding" not in plain.columns

    def test_a_constant_rate_is_settled_at_every_funding_time_at_the_previous_close(self):
        candles = _candles()
        account = _account()
        timeline = account.run(candles, funding=0.0001)
        events = [e for e in timeline.attrs["events"] if e.kind == "funding"]
        times = mc.funding_times(candles["BTCUSDT"].index[0], candles["BTCUSDT"].index[-1])
        assert len(times) == 8 and len(events) == 2 * len(times)
        for event in events:
            row = candles[event.symbol].index.get_loc(event.time)
            assert event.mark_price == candles[event.symbol]["close"].iloc[row - 1]
            assert event.amount == pytest.approx(mc.funding_payment(event.side, event.size, event.mark_price, 0.0001))
        assert timeline["funding"].iloc[-1] == pytest.approx(sum(e.amount for e in events))
        assert timeline.loc[events[0].time, "events"].startswith("BTCUSDT long isolated paid")
        assert conserved(account)

    def test_a_series_and_a_dict_of_rates(self):
        candles = _candles()
        index = candles["BTCUSDT"].index
        series = pd.Series([0.0001, -0.0002], index=[index[0], index[0] + pd.Timedelta(hours=30)])
        account = _account()
        timeline = account.run(candles, funding={"BTCUSDT": series, "ETHUSDT": 0.0003})
        btc = [e for e in timeline.attrs["events"] if e.kind == "funding" and e.symbol == "BTCUSDT"]
        eth = [e for e in timeline.attrs["events"] if e.kind == "funding" and e.symbol == "ETHUSDT"]
        assert [e.funding_rate for e in btc] == [0.0001] * 3 + [-0.0002] * 5
        assert {e.funding_rate for e in eth} == {0.0003}

    def test_run_equals_apply_funding_then_step_per_candle(self):
        candles = _candles(2 * 24 * 60, seed=11)
        a = mc.Account(3_000)
        a.open("BTCUSDT", "long", 0.2, 60_000, 20, "isolated")
        a.open("ETHUSDT", "short", 2, 3_000, 20, "cross")
        b = a.copy()
        schedule = fund.funding_schedule(candles["BTCUSDT"].index, 0.003)
        timeline = a.run(candles, funding=0.003)
        by_row = {row: (time, rates) for row, time, rates in schedule}
        index = candles["BTCUSDT"].index
        for row in range(len(index)):
            if row in by_row:
                b.apply_funding(by_row[row][1], time=by_row[row][0])
            b.step({s: tuple(float(f[c].iloc[row]) for c in ("open", "high", "low", "close")) for s, f in candles.items()},
                   time=index[row])
        assert [(e.kind, e.position_id, e.time) for e in a.events] == [(e.kind, e.position_id, e.time) for e in b.events]
        assert a.ledger() == b.ledger()
        assert a.wallet_balance == b.wallet_balance
        assert timeline["wallet_balance"].iloc[-1] == pytest.approx(b.wallet_balance)

    def test_bad_funding_arguments_are_refused_before_anything_changes(self):
        candles = _candles(100)
        account = _account()
        before = snapshot(account)
        with pytest.raises(MarginInputError, match="funding must be between -1 and 1"):
            account.run(candles, funding=3)
        with pytest.raises(MarginInputError, match="funding must be a number or a pandas Series"):
            account.run(candles, funding="high")
        long_candles = _candles(24 * 60)
        late = pd.Series([0.001], index=[long_candles["BTCUSDT"].index[-1]])
        with pytest.raises(MarginInputError, match="must have a rate at or before the funding time"):
            account.run(long_candles, funding=late)
        reindexed = {s: f.reset_index(drop=True) for s, f in candles.items()}
        with pytest.raises(MarginInputError, match="candles must be indexed by time"):
            account.run(reindexed, funding=0.0001)
        with pytest.raises(MarginInputError, match="funding rate of BTCUSDT must be between -1 and 1"):
            account.run(candles, funding={"BTCUSDT": -1.5})
        assert snapshot(account) == before
