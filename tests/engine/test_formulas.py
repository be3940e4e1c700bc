"""Worked examples from exchange documentation for the pure formulas in margincourse/engine/formulas.py."""

import numpy as np
import pytest

import margincourse as mc
from margincourse.engine.specs import RiskTier, TierTable


class TestBinanceFAQCrossExample:
    """Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts" (2020-08-14).

    Cross margin, one-way mode, two longs sharing a wallet of 1,535,443.01 USDT:
    BTCUSDT 109.488 @ 32,481.98 (mark 31,967.27, MMR 2.5 %, cum 16,300) and
    ETHUSDT 3,683.979 @ 1,456.84 (mark 1,335.18, MMR 10 %, cum 135,365).
    The page's published answers: ETHUSDT 1,153.26 and BTCUSDT 26,316.89.
    (Copies of the page print the ETH unrealized PnL as -447,482.100; the value consistent
    with its own mark price and size is -448,192.89, which gives the published 26,316.89.)
    """

    wallet = 1_535_443.01

    def test_the_inputs_the_page_prints(self):
        btc_mm = mc.maintenance_margin(109.488, 31_967.27, 0.025, 16_300)
        eth_mm = mc.maintenance_margin(3_683.979, 1_335.18, 0.10, 135_365)
        assert btc_mm == pytest.approx(71_200.81144, abs=1e-4)
        assert eth_mm == pytest.approx(356_512.508, abs=1e-3)
        assert mc.unrealized_pnl("long", 32_481.98, 109.488, 31_967.27) == pytest.approx(-56_354.57, abs=0.01)

    def test_liquidation_price_of_ethusdt(self):
        lp = mc.liquidation_price(
            "long", 1_456.84, 3_683.979, self.wallet, 0.10, 135_365,
            other_maintenance_margin=71_200.81144, other_unrealized_pnl=-56_354.57,
        )
        assert round(lp, 2) == 1_153.26

    def test_liquidation_price_of_btcusdt(self):
        eth_upnl = mc.unrealized_pnl("long", 1_456.84, 3_683.979, 1_335.18)
        lp = mc.liquidation_price(
            "long", 32_481.98, 109.488, self.wallet, 0.025, 16_300,
            other_maintenance_margin=356_512.508, other_unrealized_pnl=eth_upnl,
        )
        assert round(lp, 2) == 26_316.89

    def test_both_at_once_as_arrays(self):
        lps = mc.liquidation_price(
            ["long", "long"], [1_456.84, 32_481.98], [3_683.979, 109.488], self.wallet,
            [0.10, 0.025], [135_365, 16_300], [71_200.81144, 356_512.508],
            [-56_354.57, mc.unrealized_pnl("long", 1_456.84, 3_683.979, 1_335.18)],
        )
        assert np.round(lps, 2).tolist() == [1_153.26, 26_316.89]


class TestBybitExamples:
    def test_isolated_liquidation_price(self):
        """Bybit, "Liquidation Price (USDT Contract)", example 1: 1 BTC long @ 20,000, 50x, MMR 0.5 % -> 19,700."""
        assert mc.bybit_liquidation_price("long", 20_000, 50, 0.005) == pytest.approx(19_700)

    def test_bybit_short_mirrors_long(self):
        assert mc.bybit_liquidation_price("short", 20_000, 50, 0.005) == pytest.approx(20_300)

    def test_bankruptcy_price(self):
        """Bybit, "Bankruptcy Price (USDT Contract)": 1 BTC long @ 10,000, 50x -> 10,000 x (1 - 2 %) = 9,800."""
        assert mc.bankruptcy_price("long", 10_000, 1, mc.initial_margin(1, 10_000, 50)) == pytest.approx(9_800)

    def test_binance_and_bybit_differ_by_where_they_take_the_maintenance_margin(self):
        binance = mc.liquidation_price("long", 20_000, 1, 400, 0.005)
        bybit = mc.bybit_liquidation_price("long", 20_000, 50, 0.005)
        # Binance's MM is taken at the (lower) liquidation price, so less of it is needed.
        assert binance < bybit
        assert binance == pytest.approx((400 - 20_000) / (0.005 - 1))


class TestBitgetMaintenanceMargin:
    """Bitget announcement for 2025-11-10: 3 BTC at mark 110,000, tiers 0-200,000 at 0.40 % and
    200,000+ at 0.50 %, with Bitget's fixed 0.06 % fee rate added to each rate:
    old method 330,000 x 0.56 % = 1,848; tiered method 920 + 728 = 1,648 USDT."""

    table = TierTable(
        exchange="bitget-example", exchange_name="Bitget example", symbol="BTCUSDT",
        source="Bitget announcement example", as_of="2025-11-10",
        tiers=(
            RiskTier(1, 0, 200_000, 125, 0.004, 0.0),
            RiskTier(2, 200_000, 900_000, 100, 0.005, 200_000 * (0.005 - 0.004)),
        ),
        maintenance_fee_rate=0.0006,
    )

    def test_tiered_method(self):
        assert self.table.maintenance_margin(3 * 110_000) == pytest.approx(1_648)

    def test_old_whole_position_method(self):
        assert mc.maintenance_margin(3, 110_000, 0.005 + 0.0006) == pytest.approx(1_848)


class TestFormulaBasics:
    def test_initial_margin_is_notional_over_leverage(self):
        assert mc.notional(0.02, 50_000) == 1_000
        assert mc.initial_margin(0.02, 50_000, 10) == 100

    def test_return_on_margin_is_leverage_times_price_move(self):
        for leverage in (1, 5, 20, 125):
            margin = mc.initial_margin(0.02, 50_000, leverage)
            pnl = mc.unrealized_pnl("long", 50_000, 0.02, 51_000)  # +2 %
            assert pnl / margin == pytest.approx(0.02 * leverage)

    def test_one_x_short_has_a_finite_liquidation_price_near_twice_entry(self):
        lp = mc.liquidation_price("short", 50_000, 1, 50_000, 0.004)
        assert lp == pytest.approx(100_000 / 1.004)

    def test_low_leverage_long_cannot_be_liquidated(self):
        assert mc.liquidation_price("long", 50_000, 1, 50_000, 0.004) == 0.0
        assert mc.liquidation_price("long", 50_000, 1, 60_000, 0.004) < 0

    def test_liquidation_price_sits_between_entry_and_bankruptcy(self):
        for side in ("long", "short"):
            lp = mc.liquidation_price(side, 50_000, 0.02, 100, 0.004)
            bp = mc.bankruptcy_price(side, 50_000, 0.02, 100)
            assert min(50_000, bp) < lp < max(50_000, bp)

    def test_margin_ratio_is_one_at_the_liquidation_price(self):
        lp = mc.liquidation_price("long", 50_000, 0.02, 100, 0.004)
        mm = mc.maintenance_margin(0.02, lp, 0.004)
        balance = 100 + mc.unrealized_pnl("long", 50_000, 0.02, lp)
        assert mc.margin_ratio(mm, balance) == pytest.approx(1.0)

    def test_round_to_tick(self):
        assert mc.round_to_tick(45_180.7229, 0.1) == 45_180.7
        assert mc.round_to_tick([1.234, 5.678], 0.01).tolist() == [1.23, 5.68]

    def test_scalars_give_floats_and_arrays_give_arrays(self):
        assert isinstance(mc.liquidation_price("long", 50_000, 0.02, 100, 0.004), float)
        assert isinstance(mc.liquidation_price("long", [50_000], 0.02, 100, 0.004), np.ndarray)


class TestTierAwareLiquidationPrice:
    def test_uses_the_tier_at_the_liquidation_price_not_at_entry(self):
        """Binance's note: if the notional at the liquidation price is in another bracket than at
        entry, recompute with that bracket. 20 BTC @ 60,000 = 1.2M (tier 3); a 3x long liquidates
        near 40,000, where the notional (~0.8M) is still tier 3; a 1.6x long at ~24,000 -> 0.48M, tier 2."""
        binance = mc.tier_table("BTCUSDT", "binance")
        size, entry = 20, 60_000
        wallet = size * entry / 1.6
        lp = mc.liquidation_price_for_tiers("long", entry, size, wallet, binance)
        tier = binance.tier_for(size * lp)
        assert tier.tier == 2
        assert lp == pytest.approx(mc.liquidation_price("long", entry, size, wallet, tier.mmr, tier.maintenance_amount))
        entry_tier = binance.tier_for(size * entry)
        naive = mc.liquidation_price("long", entry, size, wallet, entry_tier.mmr, entry_tier.maintenance_amount)
        assert naive != pytest.approx(lp)


class TestHedgeModeAndOrderCost:
    """Binance FAQ "How to Calculate Liquidation Price of USD-M Futures Contracts" (LONG and SHORT legs);
    Bybit Help Center "Order Cost (USDT Contract)"."""

    def test_hedge_formula_without_a_short_is_the_one_way_formula(self):
        assert mc.hedge_mode_liquidation_price(0.1, 50_000, 0, 1, 1_000, 0.004, 0.004) == pytest.approx(
            mc.liquidation_price("long", 50_000, 0.1, 1_000, 0.004))
        assert mc.hedge_mode_liquidation_price(0, 1, 0.1, 50_000, 1_000, 0.004, 0.004) == pytest.approx(
            mc.liquidation_price("short", 50_000, 0.1, 1_000, 0.004))

    def test_at_the_hedge_liquidation_price_margin_balance_equals_both_legs_maintenance(self):
        lp = mc.hedge_mode_liquidation_price(0.1, 50_000, 0.05, 52_000, 1_000, 0.004, 0.005, 0, 10)
        balance = 1_000 + mc.unrealized_pnl("long", 50_000, 0.1, lp) + mc.unrealized_pnl("short", 52_000, 0.05, lp)
        maintenance = mc.maintenance_margin(0.1, lp, 0.004) + mc.maintenance_margin(0.05, lp, 0.005, 10)
        assert balance == pytest.approx(maintenance)

    def test_both_sizes_zero_is_refused(self):
        with pytest.raises(mc.MarginInputError, match="long_size and short_size"):
            mc.hedge_mode_liquidation_price(0, 50_000, 0, 50_000, 1_000, 0.004, 0.004)

    def test_order_cost_reserves_the_fee_to_close_at_the_bankruptcy_price(self):
        margin, to_open, to_close, cost = mc.order_cost("long", 1, 50_000, 10, 0.00055)
        assert (margin, to_open) == pytest.approx((5_000, 27.5))
        assert to_close == pytest.approx(1 * 50_000 * (1 - 1 / 10) * 0.00055)  # 24.75
        assert cost == pytest.approx(5_052.25)
        _, _, short_close, _ = mc.order_cost("short", 1, 50_000, 10, 0.00055)
        assert short_close == pytest.approx(1 * 50_000 * (1 + 1 / 10) * 0.00055)  # 30.25

    def test_order_cost_refuses_a_taker_fee_above_one_percent(self):
        with pytest.raises(mc.MarginInputError, match="taker_fee"):
            mc.order_cost("long", 1, 50_000, 10, 0.02)
