"""Contract specs and risk-tier tables shipped in margincourse/engine/data."""

import numpy as np
import pytest

import margincourse as mc

ALL_TABLES = [(exchange, symbol) for symbol in mc.symbols() for exchange in mc.exchanges(symbol)]


def test_the_course_ships_the_issue_s_tables():
    assert {"binance", "bitget"} <= set(mc.exchanges("BTCUSDT"))
    assert {"BTCUSDT", "ETHUSDT"} <= set(mc.symbols())


def test_btcusdt_contract_matches_the_seed_article():
    spec = mc.contract("BTCUSDT")
    assert (spec.contract_size, spec.tick_size, spec.max_leverage) == (0.0001, 0.1, 125)


@pytest.mark.parametrize("symbol, step, tick", [
    ("ETHUSDT", 0.001, 0.01), ("SOLUSDT", 1, 0.001), ("BNBUSDT", 0.01, 0.01),
])
def test_binance_contracts_match_the_dated_exchange_info_snapshot(symbol, step, tick):
    """LOT_SIZE stepSize and PRICE_FILTER tickSize in Binance's exchangeInfo of 2024-03-28 (serverTime 1711627208783)."""
    spec = mc.contract(symbol)
    assert (spec.contract_size, spec.tick_size) == (step, tick)
    assert "serverTime 1711627208783" in spec.source and spec.as_of == "2024-03-28"


@pytest.mark.parametrize("exchange,symbol", ALL_TABLES)
def test_every_table_states_source_and_date(exchange, symbol):
    table = mc.tier_table(symbol, exchange)
    assert len(table.source) > 20
    assert len(table.as_of) == 10 and table.as_of[4] == "-"


@pytest.mark.parametrize("exchange,symbol", ALL_TABLES)
def test_brackets_are_contiguous_and_tighten(exchange, symbol):
    tiers = mc.tier_table(symbol, exchange).tiers
    assert tiers[0].floor == 0 and tiers[0].maintenance_amount == 0
    for lower, upper in zip(tiers, tiers[1:]):
        assert upper.floor == lower.cap
        assert upper.mmr > lower.mmr
        assert upper.max_leverage < lower.max_leverage


@pytest.mark.parametrize("exchange,symbol", ALL_TABLES)
def test_maintenance_amounts_follow_the_chain_rule(exchange, symbol):
    """cum_n = cum_(n-1) + floor_n x (MMR_n - MMR_(n-1))  (Binance FAQ, "Maintenance Amount formula")."""
    tiers = mc.tier_table(symbol, exchange).tiers
    for lower, upper in zip(tiers, tiers[1:]):
        assert upper.maintenance_amount == pytest.approx(
            lower.maintenance_amount + upper.floor * (upper.mmr - lower.mmr), abs=1e-6
        )


@pytest.mark.parametrize("exchange,symbol", ALL_TABLES)
def test_maintenance_margin_is_continuous_across_every_bracket_edge(exchange, symbol):
    table = mc.tier_table(symbol, exchange)
    for tier in table.tiers[1:]:
        edge = tier.floor
        just_below = table.maintenance_margin(np.nextafter(edge, 0))
        at_edge = table.maintenance_margin(edge)
        assert at_edge == pytest.approx(just_below, rel=1e-9, abs=1e-6)
        assert table.tier_for(edge).tier == tier.tier


def test_binance_faq_maintenance_amount_arithmetic():
    """Binance FAQ: "the Maintenance Amount on Level 3 = 250,000 x (1% - 0.5%) + 50 USDT = 1,300 USDT"
    (BTCUSDT brackets of that time). Our 2024 table follows the same rule: 600,000 x (0.65% - 0.5%) + 50 = 950."""
    assert 250_000 * (0.01 - 0.005) + 50 == pytest.approx(1_300)
    tier3 = mc.tier_table("BTCUSDT", "binance").tiers[2]
    assert (tier3.floor, tier3.mmr, tier3.maintenance_amount) == (600_000, 0.0065, 950)


def test_bitget_folds_a_fixed_fee_rate_into_the_maintenance_rate():
    """Bitget, "Bitget to update maintenance margin calculation for classic account futures": 330,000 x
    (0.50 % + 0.06 %) = 1,848, "0.06% represents the transaction fee rate"; "Announcement on liquidation
    risk management": "The liquidation fee rate is set at 0.0006"."""
    table = mc.tier_table("BTCUSDT", "bitget")
    assert table.maintenance_fee_rate == 0.0006
    assert table.maintenance_margin(100_000) == pytest.approx(100_000 * 0.0046)
    assert "not the trader's own taker fee" in table.notes


@pytest.mark.parametrize("taker_fee", [0.0, 0.0002, 0.0006, 0.001])
def test_bitget_maintenance_margin_does_not_follow_the_traders_taker_fee(taker_fee):
    """A VIP trader with a lower taker fee gets the same maintenance margin: the 0.06 % is fixed."""
    account = mc.Account(10_000, exchange="bitget", taker_fee=taker_fee)
    position = account.open("BTCUSDT", "long", 1, 50_000, leverage=10, mode="isolated")
    assert account.maintenance_margin(position) == pytest.approx(50_000 * (0.004 + 0.0006))


def test_vectorised_lookup_matches_tier_for():
    table = mc.tier_table("BTCUSDT", "binance")
    notionals = np.array([1, 49_999, 50_000, 700_000, 5e8, 2e9])
    rates, amounts, leverages = table.lookup(notionals)
    for value, rate, amount, lev in zip(notionals, rates, amounts, leverages):
        tier = table.tier_for(value)
        assert (rate, amount, lev) == (tier.mmr, tier.maintenance_amount, tier.max_leverage)


def test_check_leverage_explains_the_tier_limit():
    table = mc.tier_table("BTCUSDT", "binance")
    assert table.check_leverage(100, 100_000) == 100
    with pytest.raises(mc.MarginInputError, match=r"leverage must be between 1 and 100 for BTCUSDT at 100,000 USDT notional \(tier 2\), got 125"):
        table.check_leverage(125, 100_000)


def test_tier_table_as_a_dataframe():
    frame = mc.tier_table("BTCUSDT", "binance").to_frame()
    assert frame.index.name == "tier" and len(frame) == 12
    assert frame.loc[1, "max leverage"] == 125


def test_tables_cannot_be_changed_by_accident():
    table = mc.tier_table("BTCUSDT", "binance")
    with pytest.raises(ValueError):
        table.columns()[2][0] = 0.5
    with pytest.raises(AttributeError):
        table.tiers[0].mmr = 0.5


def test_unknown_names_are_refused_with_the_choices():
    with pytest.raises(mc.MarginInputError, match="symbol must be one of BTCUSDT"):
        mc.contract("DOGEUSDT")
    with pytest.raises(mc.MarginInputError, match="exchange and symbol must be one of"):
        mc.tier_table("ETHUSDT", "bitget")
