"""Collateral counted with a haircut (Binance Multi-Assets Mode, Bybit Unified Trading Account)."""

import pytest

import margincourse as mc
from margincourse import MarginInputError
from margincourse.engine.collateral import collateral_value, liquidation_price_with_coin_collateral


def test_binances_documented_haircut_example():
    """Binance FAQ "What Is Multi-Assets Mode and Which Assets Are Supported?": BNB valued at $1,000 "will be
    considered as $950" (5 % haircut)."""
    assert collateral_value(1, 1_000, 0.05) == pytest.approx(950)


def test_bybit_collateral_value_ratio():
    """Bybit, "Understanding Collateral Value Ratios in Unified Trading Account": asset x USD index price x
    ratio; BTC's first tier in its example table has a ratio of 0.98."""
    assert collateral_value(2, 60_000, 1 - 0.98) == pytest.approx(2 * 60_000 * 0.98)


def test_without_coin_it_is_binances_formula():
    for side in ("long", "short"):
        ours = liquidation_price_with_coin_collateral(side, 50_000, 0.1, 1_000, 0, 0.05, 0.004)
        assert ours == pytest.approx(mc.liquidation_price(side, 50_000, 0.1, 1_000, 0.004))


@pytest.mark.parametrize("side", ["long", "short"])
def test_at_the_price_margin_balance_equals_maintenance(side):
    q, ep, coin, haircut, mmr = 0.1, 50_000, 0.02, 0.05, 0.004
    lp = liquidation_price_with_coin_collateral(side, ep, q, 100, coin, haircut, mmr)
    balance = 100 + collateral_value(coin, lp, haircut) + mc.unrealized_pnl(side, ep, q, lp)
    assert balance == pytest.approx(mc.maintenance_margin(q, lp, mmr))


def test_coin_collateral_brings_a_long_closer_and_pushes_a_short_away():
    usdt_long = liquidation_price_with_coin_collateral("long", 50_000, 0.1, 1_000, 0, 0.05, 0.004)
    coin_long = liquidation_price_with_coin_collateral("long", 50_000, 0.1, 0, 0.02, 0.05, 0.004)
    usdt_short = liquidation_price_with_coin_collateral("short", 50_000, 0.1, 1_000, 0, 0.05, 0.004)
    coin_short = liquidation_price_with_coin_collateral("short", 50_000, 0.1, 0, 0.02, 0.05, 0.004)
    assert coin_long > usdt_long
    assert coin_short > usdt_short


@pytest.mark.parametrize("kwargs, name", [(dict(haircut=1.5), "haircut"), (dict(amount=-1), "amount"),
                                          (dict(price=0), "price")])
def test_bad_input_is_refused(kwargs, name):
    args = dict(amount=1, price=1_000, haircut=0.05)
    args.update(kwargs)
    with pytest.raises(MarginInputError, match=name):
        collateral_value(**args)
