"""Bad inputs to the engine: every refusal is a MarginInputError that names the parameter, and changes nothing.

The entry points are the engine's: ``Account`` and its methods, the pure formulas,
``run``, ``load_klines``, ``generate_path`` and ``scenario``.

Each test gives one wrong value to one entry point and checks three things:

* the error is a :class:`margincourse.MarginInputError` (so also a ``ValueError``),
  not a ``TypeError``/``AttributeError``/bare ``ValueError`` traceback from inside numpy
  or pandas;
* its message names the offending parameter (``pytest.raises(..., match=...)``);
* nothing changed: the account (wallet, cross wallet, positions, marks, events,
  ledger), the arrays given to a pure function, or the file given to ``load_klines``
  are exactly as they were before the call.

Tests marked ``# BUG:`` fail on purpose: they pin down a defect in ``margincourse/``
that must be fixed there (see the comment on each). Tests marked ``# Regression`` failed
on the code before commit 29fa684 and pin the fix.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import margincourse as mc
from margincourse import MarginInputError

BAD_NUMBERS = [0, -1.0, float("nan"), float("inf"), -float("inf")]
NOT_NUMBERS = ["100", None, True, [1.0], object()]


# --------------------------------------------------------------------------- helpers


def snapshot(account):
    """Everything a refused call must leave untouched, as comparable plain data."""
    return {
        "wallet_balance": account.wallet_balance,
        "cross_wallet_balance": account.cross_wallet_balance,
        "available_balance": account.available_balance,
        "positions": [
            (p.id, p.symbol, p.side, p.mode, p.leverage, p.auto_add_margin, p.size, p.entry_price, p.margin, p.is_open)
            for p in account.positions
        ],
        "closed": [(p.id, p.size, p.entry_price, p.margin, p.is_open) for p in account.closed_positions],
        "marks": account.marks,
        "marks_order": list(account.marks),
        "events": len(account.events),
        "ledger": account.ledger(),
    }


def assert_refused(account, call, match):
    """``call()`` must raise MarginInputError matching ``match`` and leave ``account`` unchanged."""
    before = snapshot(account)
    with pytest.raises(MarginInputError, match=match) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert snapshot(account) == before
    return info.value


@pytest.fixture
def busy():
    """An account with isolated and cross positions, a closed one, marks and events."""
    acct = mc.Account(100_000, taker_fee=0.0005, liquidation_fee=0.005)
    iso = acct.open("BTCUSDT", "long", 0.5, 60_000, 20, "isolated", auto_add_margin=False)
    cross = acct.open("ETHUSDT", "short", 10, 3_000, 10, "cross")
    sol = acct.open("SOLUSDT", "long", 100, 150, 5, "isolated")
    acct.mark({"BTCUSDT": 60_500, "ETHUSDT": 2_990})
    acct.close(sol, 151)
    acct.open("BNBUSDT", "long", 10, 600, 10, "isolated", margin=1_000)
    return acct, iso, cross, sol


# --------------------------------------------------------------------------- Account()


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_account_balance_not_positive_finite(value):
    with pytest.raises(MarginInputError, match="balance"):
        mc.Account(value)


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_account_balance_not_a_number(value):
    with pytest.raises(MarginInputError, match="balance must be a number"):
        mc.Account(value)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"taker_fee": -0.001}, "taker_fee"),
        ({"taker_fee": 0.02}, "taker_fee"),
        ({"taker_fee": float("nan")}, "taker_fee"),
        ({"taker_fee": "0.001"}, "taker_fee"),
        ({"liquidation_fee": -0.1}, "liquidation_fee"),
        ({"liquidation_fee": 0.5}, "liquidation_fee"),
        ({"exchange": "ftx"}, "exchange"),
        ({"auto_add_rule": "always"}, "auto_add_rule"),
    ],
)
def test_account_options(kwargs, name):
    with pytest.raises(MarginInputError, match=name):
        mc.Account(1_000, **kwargs)


# --------------------------------------------------------------------------- open()


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_open_bad_price(busy, value):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, value, 10, "isolated"), "price")


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_open_bad_size(busy, value):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", value, 150, 10, "isolated"), "size")


@pytest.mark.parametrize("value", [0, 0.5, -5, 126, 1_000, float("nan"), float("inf")])
def test_open_bad_leverage(busy, value):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, 150, value, "isolated"), "leverage")


def test_open_string_price_is_refused_clearly(busy):
    acct = busy[0]
    err = assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, "100", 10, "isolated"), r"price must be a number")
    assert "'100'" in str(err)


@pytest.mark.parametrize("name, args", [
    ("size", ("SOLUSDT", "long", "1", 150, 10, "isolated")),
    ("leverage", ("SOLUSDT", "long", 1, 150, "10", "isolated")),
    ("margin", ("SOLUSDT", "long", 1, 150, 10, "isolated", "50")),
])
def test_open_string_numbers_refused(busy, name, args):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open(*args), rf"{name} must be a number")


def test_open_leverage_above_tier_limit():
    # 1 BTC at 100,000 USDT is 100,000 USDT notional: Binance's tier 2 (50k-600k) allows 100x, not 125x.
    acct = mc.Account(1_000_000)
    err = assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 1, 100_000, 125, "isolated"), r"leverage must be between 1 and 100")
    assert "tier 2" in str(err) and "100,000" in str(err)
    acct.open("BTCUSDT", "long", 1, 100_000, 100, "isolated")  # 100x is fine


def test_open_leverage_above_contract_limit():
    acct = mc.Account(1_000_000)
    assert_refused(acct, lambda: acct.open("BNBUSDT", "long", 1, 600, 100, "isolated"), r"leverage must be between 1 and 75")


def test_open_notional_above_last_tier():
    acct = mc.Account(1_000_000)
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 100_000, 60_000, 1, "isolated"), "notional")


def test_open_unknown_side(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "buy", 1, 150, 10, "isolated"), r"side must be 'long' or 'short', got 'buy'")


def test_open_unknown_mode(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "portfolio"), r"mode must be .*'portfolio'")


@pytest.mark.parametrize("symbol", ["XRPUSDT", "btcusdt", "", None])
def test_open_unknown_symbol(busy, symbol):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open(symbol, "long", 1, 150, 10, "isolated"), "symbol must be one of")


def test_open_symbol_the_exchange_does_not_list():
    acct = mc.Account(10_000, exchange="bitget")  # bitget ships BTCUSDT tiers only
    assert_refused(acct, lambda: acct.open("ETHUSDT", "long", 1, 3_000, 10, "isolated"), "exchange and symbol")


@pytest.mark.parametrize("symbol, size", [("BTCUSDT", 0.00015), ("ETHUSDT", 0.0015), ("SOLUSDT", 1.5), ("BNBUSDT", 0.015)])
def test_open_size_not_whole_contracts(symbol, size):
    acct = mc.Account(100_000)
    assert_refused(acct, lambda: acct.open(symbol, "long", size, 100, 10, "isolated"), r"size must be a whole number of .* contracts")


def test_open_margin_larger_than_available(busy):
    acct = busy[0]
    available = acct.available_balance
    assert_refused(
        acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "isolated", margin=available + 1), "margin must fit in the available balance"
    )


def test_open_initial_margin_larger_than_available():
    acct = mc.Account(1_000)
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 1, 60_000, 50, "cross"), "margin must fit in the available balance")
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 1, 60_000, 50, "isolated"), "margin must fit in the available balance")


def test_open_fee_counts_against_available():
    acct = mc.Account(1_000, taker_fee=0.001)
    # initial margin 1,000 fits exactly, the 10 USDT fee does not
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 0.1, 100_000, 10, "isolated"), "margin must fit")


def test_open_margin_below_initial(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 10, 150, 10, "isolated", margin=149), "margin must be at least the initial margin")


@pytest.mark.parametrize("value", BAD_NUMBERS + ["150"])
def test_open_bad_margin_value(busy, value):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "isolated", margin=value), "margin")


def test_open_margin_in_cross_mode(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "cross", margin=15), "margin must be None for a cross position")


def test_open_auto_add_margin_in_cross_mode(busy):
    acct = busy[0]
    assert_refused(
        acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "cross", auto_add_margin=True), "auto_add_margin must be False in cross mode"
    )


@pytest.mark.parametrize("value", [1, 0, "yes", None, np.bool_(True)])
def test_open_auto_add_margin_not_bool(busy, value):
    acct = busy[0]
    assert_refused(
        acct, lambda: acct.open("SOLUSDT", "long", 1, 150, 10, "isolated", auto_add_margin=value), "auto_add_margin must be True or False"
    )


def test_open_opposite_side_on_open_symbol(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("BTCUSDT", "short", 0.01, 60_500, 20, "isolated"), r"side must be 'long' while the account holds")
    assert_refused(acct, lambda: acct.open("ETHUSDT", "long", 1, 2_990, 10, "cross"), r"side must be 'short' while the account holds")


def test_open_add_with_different_leverage(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 0.01, 60_500, 10, "isolated"), "leverage must be 20 to add to")


def test_open_add_with_different_mode(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 0.01, 60_500, 20, "cross"), "mode must be 'isolated' to add to")
    assert_refused(acct, lambda: acct.open("ETHUSDT", "short", 1, 2_990, 10, "isolated"), "mode must be 'cross' to add to")


def test_open_add_with_different_auto_add(busy):
    acct = busy[0]
    assert_refused(
        acct, lambda: acct.open("BTCUSDT", "long", 0.01, 60_500, 20, "isolated", auto_add_margin=True), "auto_add_margin must be False to add to"
    )


def test_open_add_beyond_liquidation_price(busy):
    acct, iso = busy[0], busy[1]
    lp = acct.liquidation_price(iso)
    assert_refused(acct, lambda: acct.open("BTCUSDT", "long", 0.01, lp * 0.99, 20, "isolated"), "price must be on the safe side")


# --------------------------------------------------------------------------- positions


def test_close_beyond_liquidation_price_isolated(busy):
    acct, iso = busy[0], busy[1]
    lp = acct.liquidation_price(iso)
    assert_refused(acct, lambda: acct.close(iso, lp * 0.999), "price must be on the safe side of the liquidation price")
    assert_refused(acct, lambda: acct.close(iso, lp), "price must be on the safe side")  # at LP the exchange liquidates


def test_close_beyond_liquidation_price_cross(busy):
    acct, cross = busy[0], busy[2]
    lp = acct.liquidation_price(cross)
    assert lp > 2_990
    assert_refused(acct, lambda: acct.close(cross, lp * 1.01), "price must be on the safe side of the liquidation price")


@pytest.mark.parametrize("value", BAD_NUMBERS + ["60000", None])
def test_close_bad_price(busy, value):
    acct, iso = busy[0], busy[1]
    assert_refused(acct, lambda: acct.close(iso, value), "price")


def test_acting_on_closed_position(busy):
    acct, sol = busy[0], busy[3]
    assert not sol.is_open
    assert_refused(acct, lambda: acct.close(sol, 150), "position must be open")
    assert_refused(acct, lambda: acct.add_margin(sol, 10), "position must be open")
    assert_refused(acct, lambda: acct.liquidation_price(sol), "position must be open")
    assert_refused(acct, lambda: acct.set_auto_add_margin(sol, True), "position must be open")
    assert_refused(acct, lambda: acct.set_auto_add_margin(sol, False), "position must be open")
    assert_refused(acct, lambda: acct.unrealized_pnl(sol), "position must be open")
    assert_refused(acct, lambda: acct.margin_ratio(sol), "position must be open")
    assert_refused(acct, lambda: acct.bankruptcy_price(sol), "position must be open")


def test_acting_on_liquidated_position():
    acct = mc.Account(10_000)
    pos = acct.open("BTCUSDT", "long", 0.1, 60_000, 50, "isolated")
    events = acct.mark({"BTCUSDT": 50_000})
    assert [e.kind for e in events] == ["liquidation"] and not pos.is_open
    assert_refused(acct, lambda: acct.close(pos, 60_000), "position must be open")
    assert_refused(acct, lambda: acct.add_margin(pos, 10), "position must be open")
    assert_refused(acct, lambda: acct.liquidation_price(pos), "position must be open")
    assert_refused(acct, lambda: acct.set_auto_add_margin(pos, True), "position must be open")


def test_position_from_another_account(busy):
    acct = busy[0]
    other = mc.Account(10_000)
    foreign = other.open("SOLUSDT", "long", 1, 150, 10, "isolated")
    twin = acct.copy().positions[0]  # same numbers, different account
    for pos in (foreign, twin):
        assert_refused(acct, lambda: acct.close(pos, 150), "position must be a Position of this account")
        assert_refused(acct, lambda: acct.add_margin(pos, 1), "position must be a Position of this account")
        assert_refused(acct, lambda: acct.liquidation_price(pos), "position must be a Position of this account")
        assert_refused(acct, lambda: acct.set_auto_add_margin(pos, True), "position must be a Position of this account")
    assert_refused(acct, lambda: acct.close("BTCUSDT", 60_000), "position must be a Position")


def test_add_margin_more_than_available(busy):
    acct, iso = busy[0], busy[1]
    assert_refused(acct, lambda: acct.add_margin(iso, acct.available_balance + 1), "amount must be at most the available balance")


@pytest.mark.parametrize("value", BAD_NUMBERS + ["10", None])
def test_add_margin_bad_amount(busy, value):
    acct, iso = busy[0], busy[1]
    assert_refused(acct, lambda: acct.add_margin(iso, value), "amount")


def test_add_margin_to_cross_position(busy):
    acct, cross = busy[0], busy[2]
    assert_refused(acct, lambda: acct.add_margin(cross, 10), "position must be an isolated position")


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_set_auto_add_margin_not_bool(busy, value):
    acct, iso = busy[0], busy[1]
    assert_refused(acct, lambda: acct.set_auto_add_margin(iso, value), "enabled must be True or False")


def test_set_auto_add_margin_on_cross(busy):
    acct, cross = busy[0], busy[2]
    assert_refused(acct, lambda: acct.set_auto_add_margin(cross, True), "position must be isolated")


# --------------------------------------------------------------------------- mark() and step()


@pytest.mark.parametrize("value", BAD_NUMBERS + ["60000", None])
@pytest.mark.parametrize("gap", [False, True])
def test_mark_bad_price(busy, value, gap):
    acct = busy[0]
    # the good BTC price comes first: it must not be applied when the ETH one is refused
    assert_refused(acct, lambda: acct.mark({"BTCUSDT": 10_000, "ETHUSDT": value}, gap=gap), "price of ETHUSDT")


@pytest.mark.parametrize("prices", [{}, [("BTCUSDT", 60_000)], None, 60_000])
def test_mark_not_a_dict(busy, prices):
    acct = busy[0]
    assert_refused(acct, lambda: acct.mark(prices), "prices must be a dict")


def test_mark_unknown_symbol(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.mark({"BTCUSDT": 10_000, "XRPUSDT": 1}), "symbol must be one of")


def test_step_high_below_low(busy):
    acct = busy[0]
    assert_refused(
        acct, lambda: acct.step({"BTCUSDT": (60_000, 61_000, 10_000, 60_000), "ETHUSDT": (3_000, 2_900, 3_100, 3_000)}), "candle of ETHUSDT"
    )


@pytest.mark.parametrize("candle", [(60_000, 61_000, 59_000, 62_000), (60_000, 61_000, 60_500, 60_800)])
def test_step_open_close_outside_range(busy, candle):
    acct = busy[0]
    assert_refused(acct, lambda: acct.step({"BTCUSDT": candle}), "candle of BTCUSDT must have low <= open, close <= high")


@pytest.mark.parametrize("which, value", [(0, -1), (1, float("nan")), (2, 0), (3, float("inf")), (3, "60000")])
def test_step_bad_price(busy, which, value):
    acct = busy[0]
    candle = [60_000.0, 61_000.0, 10_000.0, 60_000.0]
    candle[which] = value
    name = ("open", "high", "low", "close")[which]
    assert_refused(acct, lambda: acct.step({"BTCUSDT": tuple(candle)}), f"{name} price of BTCUSDT")


def test_step_unknown_symbol(busy):
    acct = busy[0]
    assert_refused(acct, lambda: acct.step({"XRPUSDT": (1, 1, 1, 1)}), "symbol must be one of")


@pytest.mark.parametrize("candle", [(60_000, 61_000, 59_000), (60_000,) * 5, 60_000.0])
def test_step_candle_wrong_shape(busy, candle):
    # Regression (fixed in 29fa684): Account.step did not check that a candle is a 4-tuple: 3 values
    # gave a bare ValueError "not enough values to unpack", 5 values were silently cut to the first 4,
    # and a plain number gave TypeError "'float' object is not iterable".
    acct = busy[0]
    assert_refused(acct, lambda: acct.step({"BTCUSDT": candle}), "candle of BTCUSDT")


def test_step_candles_not_a_dict(busy):
    # Regression (fixed in 29fa684): Account.step did not check its argument: a list of
    # (symbol, candle) pairs raised AttributeError "'list' object has no attribute 'items'".
    acct = busy[0]
    assert_refused(acct, lambda: acct.step([("BTCUSDT", (60_000, 61_000, 59_000, 60_000))]), "candles")


# --------------------------------------------------------------------------- pure functions

TIERS = mc.tier_table("BTCUSDT", "binance")


def _lp(*args, **kwargs):
    return mc.liquidation_price(*args, **kwargs)


def _lpt(side, entry, size, wallet, *rest, **kwargs):
    return mc.liquidation_price_for_tiers(side, entry, size, wallet, TIERS, *rest, **kwargs)


GOOD = dict(side="long", entry_price=50_000.0, size=0.02, wallet_balance=100.0)


def _call_with(fn, **override):
    kwargs = dict(GOOD, **override)
    if fn is _lp:
        kwargs.setdefault("mmr", 0.004)
        return mc.liquidation_price(**kwargs)
    return mc.liquidation_price_for_tiers(tiers=TIERS, **kwargs)


@pytest.mark.parametrize("fn", [_lp, _lpt], ids=["liquidation_price", "liquidation_price_for_tiers"])
@pytest.mark.parametrize(
    "name, value, match",
    [
        ("entry_price", np.array([50_000.0, np.nan, 51_000.0]), "entry_price must be finite"),
        ("entry_price", np.array([50_000.0, np.inf]), "entry_price must be finite"),
        ("entry_price", np.array([50_000.0, 0.0]), "entry_price must be greater than 0"),
        ("size", np.array([0.02, -0.01, 0.03]), "size must be greater than 0"),
        ("size", np.array([[0.02], [0.0]]), "size must be greater than 0"),
        ("wallet_balance", np.array([100.0, -5.0]), "wallet_balance must be greater than 0"),
        ("wallet_balance", 0.0, "wallet_balance must be greater than 0"),
        ("wallet_balance", np.array([100.0, np.nan]), "wallet_balance must be finite"),
        ("side", np.array(["long", "buy", "short"]), r"side must be 'long' or 'short'.*buy"),
        ("side", ["long", "short", "sell"], r"side must be 'long' or 'short'.*sell"),
        ("side", "buy", r"side must be 'long' or 'short', got 'buy'"),
        ("side", np.array([1, -1]), "side must be 'long' or 'short'"),
        ("side", 1, "side must be 'long' or 'short'"),
        ("other_maintenance_margin", np.array([0.0, -1.0]), "other_maintenance_margin must be between 0"),
        ("other_unrealized_pnl", np.array([0.0, np.nan]), "other_unrealized_pnl must be finite"),
        ("entry_price", ["50000", "x"], "entry_price must be a number or an array of numbers"),
        ("size", [[0.02, 0.03], [0.01]], "size must be a number or an array of numbers"),
    ],
)
def test_pure_functions_bad_arrays(fn, name, value, match):
    kept = value.copy() if isinstance(value, np.ndarray) else None
    with pytest.raises(MarginInputError, match=match):
        _call_with(fn, **{name: value})
    if kept is not None:  # the caller's array is left as it was
        np.testing.assert_array_equal(value, kept)


@pytest.mark.parametrize(
    "mmr, match",
    [
        (1.0, "mmr must be between 0 and below 1"),
        (1.5, "mmr must be between 0 and below 1"),
        (-0.001, "mmr must be between 0"),
        (np.array([0.004, 1.0]), "mmr must be between 0 and below 1"),
        (np.array([0.004, np.nan]), "mmr must be finite"),
    ],
)
def test_liquidation_price_bad_mmr(mmr, match):
    with pytest.raises(MarginInputError, match=match):
        mc.liquidation_price("long", 50_000, 0.02, 100, mmr)


@pytest.mark.parametrize("amount", [-1.0, np.array([0.0, -50.0]), float("nan")])
def test_liquidation_price_bad_maintenance_amount(amount):
    with pytest.raises(MarginInputError, match="maintenance_amount"):
        mc.liquidation_price("long", 50_000, 0.02, 100, 0.004, amount)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mc.maintenance_margin(0.02, 50_000, 1.0), "mmr"),
        (lambda: mc.maintenance_margin(0.02, 50_000, 0.004, -1), "maintenance_amount"),
        (lambda: mc.initial_margin(0.02, 50_000, 0.5), "leverage"),
        (lambda: mc.initial_margin(0.02, [50_000, np.nan], 10), "price"),
        (lambda: mc.notional([0.02, -0.02], 50_000), "size"),
        (lambda: mc.unrealized_pnl("buy", 50_000, 0.02, 49_000), "side"),
        (lambda: mc.unrealized_pnl("long", 50_000, 0.02, 0), "mark_price"),
        (lambda: mc.bankruptcy_price("long", 50_000, 0.02, -1), "wallet_balance"),
        (lambda: mc.margin_ratio(-1, 100), "maintenance_margin"),
        (lambda: mc.margin_ratio(4, np.nan), "margin_balance"),
        (lambda: mc.bybit_liquidation_price("long", 20_000, 0.5, 0.005), "leverage"),
        (lambda: mc.bybit_liquidation_price("long", 20_000, 50, 1), "mmr"),
        (lambda: mc.round_to_tick(100.0, 0), "tick_size"),
        (lambda: mc.tier_table("BTCUSDT", "ftx"), "exchange and symbol"),
        (lambda: mc.tier_table("XRPUSDT"), "exchange and symbol"),
        (lambda: mc.contract("XRPUSDT"), "symbol must be one of"),
        (lambda: TIERS.check_leverage(125, 100_000), "leverage must be between 1 and 100"),
        (lambda: TIERS.check_leverage(10, 2e9), "notional"),
        (lambda: TIERS.tier_for(-1), "notional"),
    ],
)
def test_other_pure_functions(call, match):
    with pytest.raises(MarginInputError, match=match):
        call()


@pytest.mark.parametrize("fn", [_lp, _lpt], ids=["liquidation_price", "liquidation_price_for_tiers"])
def test_pure_functions_string_price(fn):
    # Regression (fixed in 29fa684): errors.as_float_array used np.asarray(value, dtype=float), which
    # turned the string "50000" into 50000.0, so mc.liquidation_price("long", "50000", 0.02, 100, 0.004)
    # quietly returned 45180.72 while Account.open refused the same string.
    with pytest.raises(MarginInputError, match="entry_price must be a number"):
        _call_with(fn, entry_price="50000")


@pytest.mark.parametrize("fn", [_lp, _lpt], ids=["liquidation_price", "liquidation_price_for_tiers"])
def test_pure_functions_shapes_that_do_not_broadcast(fn):
    # Regression (fixed in 29fa684): entry_price of length 3 with size of length 2 escaped as numpy's
    # bare ValueError "operands could not be broadcast together with shapes (2,) (3,)", naming no parameter.
    with pytest.raises(MarginInputError, match="size|entry_price"):
        _call_with(fn, entry_price=np.array([50_000.0, 51_000.0, 52_000.0]), size=np.array([0.02, 0.03]))


@pytest.mark.parametrize("tiers", ["binance", None, 0.004])
def test_liquidation_price_for_tiers_not_a_tier_table(tiers):
    # Regression (fixed in 29fa684): liquidation_price_for_tiers called `tiers.columns()` unchecked, so
    # the exchange name ("binance", a natural slip) raised AttributeError "'str' object has no attribute 'columns'".
    with pytest.raises(MarginInputError, match="tiers"):
        mc.liquidation_price_for_tiers("long", 50_000, 0.02, 100, tiers)


# --------------------------------------------------------------------------- run()


def _candles(n=5, price=60_000.0):
    return mc.generate_path(n, start_price=price, seed=3)


@pytest.fixture
def runner():
    acct = mc.Account(10_000)
    acct.open("BTCUSDT", "long", 0.1, 60_000, 20, "isolated")
    acct.open("ETHUSDT", "short", 1, 3_000, 10, "cross")
    return acct


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
def test_run_missing_column(runner, column):
    frame = _candles().drop(columns=[column])
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": frame}), rf"candles for BTCUSDT must have columns .*missing {column}")


def test_run_high_below_low(runner):
    frame = _candles()
    frame.iloc[2, frame.columns.get_loc("high")] = frame["low"].iloc[2] - 100
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": frame}), "candles for BTCUSDT must have low <= open, close <= high; row 2")


def test_run_close_above_high(runner):
    frame = _candles()
    frame.iloc[4, frame.columns.get_loc("close")] = frame["high"].iloc[4] + 1
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": frame}), "row 4")


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf])
def test_run_bad_price_in_column(runner, value):
    frame = _candles()
    frame.iloc[1, frame.columns.get_loc("low")] = value
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": frame}), "candles column 'low' for BTCUSDT must be finite prices above 0")


def test_run_non_numeric_column(runner):
    frame = _candles().astype({"open": object})
    frame.iloc[0, frame.columns.get_loc("open")] = "sixty thousand"
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": frame}), "candles column 'open' for BTCUSDT must hold numbers")


def test_run_mismatched_lengths(runner):
    candles = {"BTCUSDT": _candles(6), "ETHUSDT": _candles(5, 3_000)}
    assert_refused(runner, lambda: mc.run(runner, candles), "candles for ETHUSDT must have as many rows as the first symbol's")


def test_run_empty_frame(runner):
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": _candles().iloc[:0]}), "candles for BTCUSDT must have at least 1 row")


def test_run_unknown_symbol(runner):
    assert_refused(runner, lambda: mc.run(runner, {"XRPUSDT": _candles()}), "symbol must be one of")


@pytest.mark.parametrize("candles", [{}, [1, 2, 3], None])
def test_run_candles_not_frames(runner, candles):
    assert_refused(runner, lambda: mc.run(runner, candles), "candles")


def test_run_dict_value_not_a_frame(runner):
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": [1, 2, 3]}), "candles for BTCUSDT must be a pandas DataFrame")


def test_run_single_frame_ambiguous_symbol(runner):
    # two symbols held: a bare DataFrame does not say which one it is
    assert_refused(runner, lambda: mc.run(runner, _candles()), "symbol must name the candles' contract")


def test_run_bad_late_frame_changes_nothing(runner):
    # the first symbol is fine; the second is broken at its last row: nothing may have been replayed
    eth = _candles(5, 3_000)
    eth.iloc[-1, eth.columns.get_loc("high")] = 1.0
    assert_refused(runner, lambda: mc.run(runner, {"BTCUSDT": _candles(), "ETHUSDT": eth}), "candles for ETHUSDT")


# --------------------------------------------------------------------------- load_klines()

HEADER = "open_time,open,high,low,close,volume\n"
GOOD_ROWS = "1704067200000,100,101,99,100.5,3\n1704067260000,100.5,102,100,101,4\n"


def _load(text, tmp_path=None):
    if tmp_path is None:
        return mc.load_klines(io.StringIO(text))
    path = tmp_path / "klines.csv"
    path.write_text(text, encoding="utf-8")
    try:
        return mc.load_klines(path)
    finally:
        assert path.read_text(encoding="utf-8") == text  # read, never written


def test_load_klines_good_file_for_reference(tmp_path):
    frame = _load(HEADER + GOOD_ROWS, tmp_path)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"] and len(frame) == 2


@pytest.mark.parametrize("text", ["", "\n\n", "   \n"])
def test_load_klines_empty_file(tmp_path, text):
    with pytest.raises(MarginInputError, match="source must contain kline rows"):
        _load(text, tmp_path)


def test_load_klines_header_only(tmp_path):
    # Regression (fixed in 29fa684): a header row and no data rows reached `numeric["volume"].min()` in
    # paths.load_klines and raised numpy's bare ValueError "zero-size array to reduction operation minimum".
    with pytest.raises(MarginInputError, match="source"):
        _load(HEADER, tmp_path)


@pytest.mark.parametrize("column", ["open_time", "open", "high", "low", "close", "volume"])
def test_load_klines_missing_column(tmp_path, column):
    names = HEADER.strip().split(",")
    keep = [i for i, name in enumerate(names) if name != column]
    rows = [",".join(line.split(",")[i] for i in keep) for line in (HEADER + GOOD_ROWS).strip().split("\n")]
    with pytest.raises(MarginInputError, match=f"source must have columns .*missing {column}"):
        _load("\n".join(rows) + "\n", tmp_path)


@pytest.mark.parametrize("column, value", [("open", "abc"), ("close", "1,0"), ("high", ""), ("low", "nan"), ("volume", "x")])
def test_load_klines_non_numeric(tmp_path, column, value):
    names = HEADER.strip().split(",")
    row = dict(zip(names, "1704067320000,101,103,100,102,5".split(",")))
    row[column] = f'"{value}"' if "," in value else value
    text = HEADER + GOOD_ROWS + ",".join(row[n] for n in names) + "\n"
    with pytest.raises(MarginInputError, match=f"column '{column}' must hold numbers; row 2"):
        _load(text, tmp_path)


def test_load_klines_non_positive_price(tmp_path):
    text = HEADER + GOOD_ROWS + "1704067320000,101,103,0,102,5\n"
    with pytest.raises(MarginInputError, match="column 'low' must be above 0; row 2"):
        _load(text, tmp_path)


def test_load_klines_inconsistent_candle(tmp_path):
    text = HEADER + GOOD_ROWS + "1704067320000,101,100,99,102,5\n"
    with pytest.raises(MarginInputError, match="low <= open, close <= high; row 2"):
        _load(text, tmp_path)


@pytest.mark.parametrize(
    "rows",
    [
        "1704067260000,100,101,99,100.5,3\n1704067200000,100.5,102,100,101,4\n",  # backwards
        "1704067200000,100,101,99,100.5,3\n1704067200000,100.5,102,100,101,4\n",  # repeated
    ],
)
def test_load_klines_unsorted_times(tmp_path, rows):
    with pytest.raises(MarginInputError, match="open_time must increase from row to row; row 1"):
        _load(HEADER + rows, tmp_path)


def test_load_klines_unreadable_times(tmp_path):
    with pytest.raises(MarginInputError, match="open_time"):
        _load(HEADER + "yesterday,100,101,99,100.5,3\n", tmp_path)


def test_load_klines_too_few_columns_without_header(tmp_path):
    with pytest.raises(MarginInputError, match="source must have at least 6 columns"):
        _load("1704067200000,100,101,99\n", tmp_path)


@pytest.mark.parametrize("source", ["/no/such/file.csv", 42, None])
def test_load_klines_bad_source(source):
    with pytest.raises(MarginInputError, match="source must be"):
        mc.load_klines(source)


# --------------------------------------------------------------------------- generate_path(), scenario()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be a whole number"),
        ({"n": -5}, "n must be a whole number"),
        ({"n": 2.5}, "n must be a whole number"),
        ({"n": True}, "n must be a whole number"),
        ({"n": "10"}, "n must be a whole number"),
        ({"seed": -1}, "seed must be a whole number of at least 0"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"seed": None}, "seed must be a whole number"),
        ({"interval": "2min"}, "interval must be one of"),
        ({"interval": 60}, "interval must be one of"),
        ({"start_price": 0}, "start_price must be greater than 0"),
        ({"start_price": float("nan")}, "start_price"),
        ({"annual_volatility": -0.1}, "annual_volatility"),
        ({"annual_volatility": 6}, "annual_volatility"),
        ({"tail_dof": 2}, "tail_dof"),
        ({"jump_volatility": 2}, "jump_volatility"),
        ({"tick_size": 0}, "tick_size"),
        ({"start": "not a date"}, "start must be a date"),
    ],
)
def test_generate_path_bad_arguments(kwargs, match):
    kwargs = {"n": 5, **kwargs}
    with pytest.raises(MarginInputError, match=match):
        mc.generate_path(**kwargs)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("nope",), {}, "name must be one of"),
        (("WICK_DOWN_30",), {}, "name must be one of"),
        ((None,), {}, "name must be one of"),
        (("crash_50",), {"n": 3}, "n must be a whole number between 4"),
        (("crash_50",), {"start_price": -1}, "start_price"),
    ],
)
def test_scenario_bad_arguments(args, kwargs, match):
    with pytest.raises(MarginInputError, match=match):
        mc.scenario(*args, **kwargs)


# --------------------------------------------------------------------------- the error class


def test_margin_input_error_is_a_value_error():
    assert issubclass(MarginInputError, ValueError)
    with pytest.raises(ValueError):
        mc.Account(-1)
    # the message names the parameter, the value and the allowed range
    with pytest.raises(MarginInputError) as info:
        mc.Account(1_000_000).open("BTCUSDT", "long", 1, 60_000, 200, "isolated")
    text = str(info.value)
    assert "leverage" in text and "200" in text and "125" in text


def test_contract_refuses_a_non_string_symbol():
    with pytest.raises(mc.MarginInputError, match="symbol must be one of"):
        mc.contract(["BTCUSDT"])


def test_pure_functions_refuse_booleans_like_the_account_does():
    with pytest.raises(mc.MarginInputError, match="size must be a number"):
        mc.liquidation_price("long", 50_000, True, 100, 0.004)
