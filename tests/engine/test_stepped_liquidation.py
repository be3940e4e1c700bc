"""Stepped liquidation: a large position is cut down its risk tiers instead of being closed whole.

Documented rule (margincourse/engine/liquidation.py cites Bybit's "Liquidation Process (USDT
Contract)" and Binance's "Liquidation Protocols"): in the lowest tier, close whole at the
bankruptcy price; above it, close "the difference between the current position value and the
lower margin tier value which satisfies the margin requirement", and close the rest whole only
if the position is still in liquidation. Neither page gives numbers; ours come from the formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import margincourse as mc
from margincourse import MarginInputError

BINANCE = mc.tier_table("BTCUSDT", "binance")
BITGET = mc.tier_table("BTCUSDT", "bitget")


def _step(side="long", entry=60_000, size=20, margin=120_000, tiers=BINANCE, fee=0.0, price=None):
    if price is None:
        price = mc.liquidation_price_for_tiers(side, entry, size, margin, tiers)
    return mc.reduce_to_lower_tier(side, entry, size, margin, price, tiers, 0.0001, fee), price


class TestOneStep:
    def test_a_tier_3_long_is_cut_to_just_below_tier_2s_cap_and_is_safe_again(self):
        step, price = _step()
        assert (step.tier_before, step.tier_after) == (3, 2)
        assert step.size_after * price < BINANCE.tiers[1].cap
        assert (step.size_after + 0.0001) * price >= BINANCE.tiers[1].cap  # the largest size that fits
        upnl_after = step.size_after * (price - 60_000)
        assert step.margin_after + upnl_after > BINANCE.maintenance_margin(step.size_after * price)
        assert step.realized_pnl == pytest.approx(step.size_closed * (price - 60_000))
        assert step.maintenance_margin_released > 0

    def test_the_margin_balance_is_kept_and_only_the_requirement_falls(self):
        step, price = _step(fee=0.0)
        before = 120_000 + 20 * (price - 60_000)
        after = step.margin_after + step.size_after * (price - 60_000)
        assert after == pytest.approx(before, rel=1e-12)

    def test_the_fee_on_the_part_closed_comes_out_of_the_margin(self):
        step, price = _step(fee=0.005)
        assert step.liquidation_fee == pytest.approx(0.005 * step.size_closed * price)
        assert step.margin_after == pytest.approx(120_000 + step.realized_pnl - step.liquidation_fee)

    def test_a_short_steps_too(self):
        step, price = _step(side="short")
        assert price > 60_000 and step.tier_after < step.tier_before
        assert step.realized_pnl == pytest.approx(-step.size_closed * (price - 60_000))

    def test_the_lowest_tier_goes_whole(self):
        step, _ = _step(size=0.5, margin=3_000)  # 30,000 USDT notional: tier 1
        assert step is None

    def test_a_deep_gap_goes_whole_when_no_lower_tier_is_enough(self):
        step, _ = _step(price=48_000)  # far past the bankruptcy price (54,000)
        assert step is None

    def test_at_the_liquidation_price_one_tier_down_is_enough(self):
        # the margin balance equals the maintenance margin there, and any cut lowers the requirement
        for tiers in (BINANCE, BITGET):
            for size, margin in ((20, 120_000), (60, 400_000), (200, 2_000_000)):
                step, _ = _step(size=size, margin=margin, tiers=tiers)
                assert step.tier_after == step.tier_before - 1

    def test_after_a_gap_it_skips_to_the_highest_lower_tier_that_is_enough(self):
        lp = mc.liquidation_price_for_tiers("long", 60_000, 60, 400_000, BINANCE)  # 3.6 million: tier 4
        one_down, _ = _step(size=60, margin=400_000, price=lp * 0.9995)
        two_down, price = _step(size=60, margin=400_000, price=lp * 0.995)
        assert (one_down.tier_before, one_down.tier_after) == (4, 3)
        assert (two_down.tier_before, two_down.tier_after) == (4, 2)
        tier_3_cut = 2_999_999 / price  # cutting only to tier 3 would not have been enough
        balance = 400_000 + 60 * (price - 60_000)
        assert balance <= BINANCE.maintenance_margin(tier_3_cut * price)

    def test_a_fee_larger_than_the_requirement_it_frees_means_whole(self):
        step, _ = _step(size=60, margin=400_000, fee=0.01)  # 1 % fee > the 0.65-1 % rates it would free
        assert step is None


class TestAlongAPath:
    @pytest.mark.parametrize("side, path", [
        ("long", [56_000, 50_000, 40_000]),
        ("long", [56_000, 52_000, 58_000, 44_000]),
        ("short", [63_000, 70_000, 80_000]),
    ])
    @pytest.mark.parametrize("fee", [0.0, 0.005])
    def test_the_account_gives_the_same_steps(self, side, path, fee):
        steps = mc.stepped_liquidation(side, 60_000, 20, 120_000, path, liquidation_fee=fee)
        account = mc.Account(500_000, liquidation="stepped", liquidation_fee=fee)
        account.open("BTCUSDT", side, 20, 60_000, 10, "isolated")
        events = [e for price in path for e in account.mark({"BTCUSDT": price})]
        assert [e.kind for e in events] == [
            "partial_liquidation" if k == "partial" else "liquidation" for k in steps["kind"]
        ]
        for row, event in zip(steps.itertuples(index=False), events):
            assert event.price == pytest.approx(row.price, rel=1e-12)
            assert event.realized_pnl == pytest.approx(row[steps.columns.get_loc("realized PnL")], rel=1e-12)
            assert event.liquidation_fee == pytest.approx(row[steps.columns.get_loc("liquidation fee")], abs=1e-9)
        assert account.ledger().expected_wallet_balance() == pytest.approx(account.wallet_balance)

    def test_whole_is_the_default_and_matches_the_whole_column(self):
        path = [56_000, 50_000]
        account = mc.Account(500_000)
        account.open("BTCUSDT", "long", 20, 60_000, 10, "isolated")
        events = [e for price in path for e in account.mark({"BTCUSDT": price})]
        assert account.liquidation == "whole" and [e.kind for e in events] == ["liquidation"]
        whole = mc.stepped_liquidation("long", 60_000, 20, 120_000, path, stepped=False)
        assert len(whole) == 1 and whole["price"].iloc[0] == pytest.approx(events[0].price)
        assert whole["to insurance fund"].iloc[0] == pytest.approx(events[0].insurance_fund_contribution)

    def test_each_step_moves_the_liquidation_price_away(self):
        steps = mc.stepped_liquidation("long", 60_000, 20, 120_000, [56_000, 50_000, 40_000])
        partial = steps[steps["kind"] == "partial"]
        assert (partial["liquidation price after"] < partial["price"]).all()
        assert list(steps["tier after"]) == [2, 1, 0]
        assert math.isnan(steps["liquidation price after"].iloc[-1])

    def test_comparison_of_whole_and_stepped(self):
        table = mc.liquidation_comparison("long", 60_000, 20, 120_000, [56_000, 52_000, 56_000])
        assert list(table.index) == ["whole", "stepped"]
        whole, stepped = table.loc["whole"], table.loc["stepped"]
        assert whole["collateral lost"] == pytest.approx(120_000) and whole["size left"] == 0
        assert stepped["size left"] > 0 and stepped["collateral lost"] < whole["collateral lost"]
        assert stepped["first at"] == pytest.approx(whole["first at"])
        for row in (whole, stepped):  # every USDT of the margin is accounted for
            assert row["margin left"] == pytest.approx(
                120_000 + row["realized PnL"] - row["liquidation fees"] - row["to insurance fund"]
                + row["insurance fund pays"]
            )

    def test_run_over_candles_equals_step_per_candle_when_stepped(self):
        candles = mc.generate_path(3_000, seed=5, start_price=60_000, annual_volatility=2.5)
        a = mc.Account(400_000, liquidation="stepped", liquidation_fee=0.005)
        a.open("BTCUSDT", "long", 20, 60_000, 10, "isolated")
        b = a.copy()
        a.run(candles)
        for row in range(len(candles)):
            b.step({"BTCUSDT": tuple(float(candles[c].iloc[row]) for c in ("open", "high", "low", "close"))},
                   time=candles.index[row])
        assert [(e.kind, e.time) for e in a.events] == [(e.kind, e.time) for e in b.events]
        assert a.ledger() == b.ledger()

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            (dict(side="sideways"), "side must be 'long' or 'short'"),
            (dict(size=0.00005), "size must be a whole number of BTCUSDT contracts"),
            (dict(margin=0), "margin must be greater than 0"),
            (dict(entry_price=float("nan")), "entry_price must be a number"),
            (dict(prices=[]), "prices must be one or more finite mark prices above 0"),
            (dict(prices=[50_000, -1]), "prices must be one or more finite mark prices above 0"),
            (dict(prices="down"), "prices must be"),
            (dict(liquidation_fee=0.5), "liquidation_fee must be between 0 and 0.1"),
            (dict(stepped="yes"), "stepped must be True or False"),
            (dict(exchange="okx"), "exchange and symbol must be one of"),
        ],
    )
    def test_bad_input_names_the_parameter(self, kwargs, match):
        args = dict(side="long", entry_price=60_000, size=20, margin=120_000, prices=[50_000]) | kwargs
        with pytest.raises(MarginInputError, match=match):
            mc.stepped_liquidation(**args)

    def test_bad_liquidation_mode_is_refused(self):
        with pytest.raises(MarginInputError, match="liquidation must be 'whole' or 'stepped'"):
            mc.Account(1_000, liquidation="partial")
        with pytest.raises(MarginInputError, match="tiers must be a TierTable"):
            mc.reduce_to_lower_tier("long", 60_000, 20, 120_000, 54_000, "binance", 0.0001)


def test_stepped_never_loses_more_than_the_margin():
    rng = np.random.default_rng(0)
    for _ in range(50):
        path = 60_000 * np.exp(np.cumsum(rng.normal(0, 0.03, 20)))
        table = mc.liquidation_comparison("long", 60_000, 20, 120_000, path, liquidation_fee=0.005)
        assert (table["margin left"] >= 0).all()
        assert (table["margin left"] <= 120_000 + 1e-6).all()
