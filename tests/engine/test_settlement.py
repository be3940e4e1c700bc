"""Daily settlement of exchange-traded futures (margincourse/settlement.py), after Hull, section 2.4.

The rules under test: each daily gain is contracts x multiplier x the settlement price
change; a margin call comes exactly when the balance falls below the maintenance
margin and restores the balance to the initial margin; nothing is withdrawn, so the
money paid in minus the final balance is the loss.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from margincourse import MarginInputError
from margincourse.engine.settlement import COLUMNS, margin_account, settlement_summary

HULL = dict(contracts=2, multiplier=100, initial_margin=6_000, maintenance_margin=4_500)


def test_columns_and_first_row_are_the_trade():
    table = margin_account([1_990.0], entry_price=2_000, **HULL)
    assert tuple(table.columns) == COLUMNS
    assert table.index.name == "day" and list(table.index) == [0, 1]
    assert table.loc[0].tolist() == [2_000.0, 0.0, 0.0, 12_000.0, 0.0]


def test_hull_setup_by_hand():
    # 2 x 100 oz: each 1 USD/oz is 200 USD. Initial 12,000, maintenance 9,000 for the account.
    table = margin_account([1_990.0, 1_985.0, 1_984.9, 1_990.0], entry_price=2_000, **HULL)
    assert table["daily gain"].tolist() == [0.0, -2_000.0, -1_000.0, -20.0, 1_020.0]
    # day 2 ends exactly at the maintenance margin: not BELOW it, so no call
    assert table["margin account balance"].tolist() == [12_000.0, 10_000.0, 9_000.0, 8_980.0, 13_020.0]
    assert table["margin call"].tolist() == [0.0, 0.0, 0.0, 3_020.0, 0.0]
    assert table["cumulative gain"].tolist() == [0.0, -2_000.0, -3_000.0, -3_020.0, -2_000.0]
    summary = settlement_summary(table)
    assert summary["total deposited"] == 15_020.0
    assert summary["final balance"] == 13_020.0
    assert summary["final balance"] - summary["total deposited"] == summary["cumulative gain"] == -2_000.0
    assert summary["call days"] == (3,)


def test_call_restores_initial_not_maintenance():
    table = margin_account([1_970.0], entry_price=2_000, **HULL)  # -6,000: balance 6,000
    assert table.loc[1, "margin account balance"] == 6_000.0
    assert table.loc[1, "margin call"] == 12_000.0 - 6_000.0  # not 9,000 - 6,000


def test_short_gains_when_price_falls():
    table = margin_account([1_990.0, 2_030.0], entry_price=2_000, side="short", **HULL)
    assert table["daily gain"].tolist() == [0.0, 2_000.0, -8_000.0]
    assert table["margin call"].tolist() == [0.0, 0.0, 12_000.0 - 6_000.0]


def test_balance_can_go_negative_before_the_call():
    table = margin_account([1_900.0], entry_price=2_000, **HULL)  # -20,000 in one day
    assert table.loc[1, "margin account balance"] == -8_000.0
    assert table.loc[1, "margin call"] == 20_000.0


def test_maintenance_equal_to_initial_calls_whenever_below_initial():
    table = margin_account([1_999.0, 2_001.0, 1_998.0], entry_price=2_000, contracts=1, multiplier=100,
                           initial_margin=5_000, maintenance_margin=5_000)
    # day 2 gains 200 (balance 5,200, above the initial margin); day 3 loses 300: 4,900, call 100
    assert table["margin account balance"].tolist() == [5_000.0, 4_900.0, 5_200.0, 4_900.0]
    assert table["margin call"].tolist() == [0.0, 100.0, 0.0, 100.0]


def test_zero_maintenance_calls_only_below_zero():
    table = margin_account([1_960.0, 1_930.0], entry_price=2_000, contracts=1, multiplier=100,
                           initial_margin=5_000, maintenance_margin=0)
    assert table["margin account balance"].tolist() == [5_000.0, 1_000.0, -2_000.0]
    assert table["margin call"].tolist() == [0.0, 0.0, 7_000.0]


def test_attrs_carry_inputs_and_totals():
    table = margin_account([1_970.0, 1_980.0], entry_price=2_000, **HULL)
    assert table.attrs["initial_margin"] == 12_000 and table.attrs["maintenance_margin"] == 9_000
    assert table.attrs["margin calls"] == 1 and table.attrs["total deposited"] == 18_000.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(settlement_prices=[]), "settlement_prices"),
        (dict(settlement_prices=[[1.0, 2.0]]), "settlement_prices"),
        (dict(settlement_prices=[1_990, -5]), "settlement_prices must be greater than 0"),
        (dict(settlement_prices=[1_990, float("nan")]), "settlement_prices must be finite"),
        (dict(settlement_prices="1990"), "settlement_prices must be a number"),
        (dict(entry_price=0), "entry_price must be greater than 0"),
        (dict(contracts=1.5), "contracts must be a whole number"),
        (dict(contracts=0), "contracts must be a whole number"),
        (dict(contracts=True), "contracts must be a whole number"),
        (dict(multiplier=-100), "multiplier must be greater than 0"),
        (dict(initial_margin=0), "initial_margin must be greater than 0"),
        (dict(maintenance_margin=-1), "maintenance_margin must be 0 or more"),
        (dict(maintenance_margin=7_000), "maintenance_margin must be at most the initial margin"),
        (dict(side="buy"), "side must be"),
    ],
)
def test_refuses_bad_input(kwargs, message):
    arguments = dict(settlement_prices=[1_990.0], entry_price=2_000, **HULL)
    arguments.update(kwargs)
    prices = arguments.pop("settlement_prices")
    with pytest.raises(MarginInputError, match=message):
        margin_account(prices, **arguments)


def test_summary_refuses_other_tables():
    with pytest.raises(MarginInputError):
        settlement_summary({"not": "a table"})


prices_strategy = st.lists(st.integers(min_value=1, max_value=60_000), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    ticks=prices_strategy,
    entry=st.integers(min_value=1, max_value=60_000),
    contracts=st.integers(min_value=1, max_value=20),
    multiplier=st.sampled_from([1, 5, 50, 100, 1_000]),
    initial=st.integers(min_value=100, max_value=50_000),
    ratio=st.floats(min_value=0, max_value=1),
    side=st.sampled_from(["long", "short"]),
)
def test_invariants(ticks, entry, contracts, multiplier, initial, ratio, side):
    prices = np.array(ticks) / 10  # prices on a 0.1 tick
    entry_price = entry / 10
    maintenance = round(initial * ratio, 2)
    table = margin_account(prices, entry_price=entry_price, contracts=contracts, multiplier=multiplier,
                           initial_margin=initial, maintenance_margin=maintenance, side=side)
    sign = 1 if side == "long" else -1
    initial_total, maintenance_total = initial * contracts, maintenance * contracts
    settle = table["settlement price"].to_numpy()
    gains = table["daily gain"].to_numpy()
    balances = table["margin account balance"].to_numpy()
    calls = table["margin call"].to_numpy()
    # each daily gain = contracts x multiplier x price change (settled in cents)
    expected = sign * contracts * multiplier * np.diff(settle)
    assert np.allclose(gains[1:], expected, rtol=0, atol=0.005 + 1e-9 * np.abs(expected).max(initial=1))
    # a call exactly when the balance is below the maintenance margin, and it restores the initial margin
    assert ((calls > 0) == (balances < maintenance_total)).all()
    assert np.allclose((balances + calls)[calls > 0], initial_total)
    assert (calls >= 0).all()
    # each day starts from the previous day's balance plus its top-up
    assert np.allclose(balances[1:], (balances + calls)[:-1] + gains[1:], atol=0.011)
    # the cumulative gain is the whole move
    total_move = sign * contracts * multiplier * (prices[-1] - entry_price)
    assert table["cumulative gain"].iloc[-1] == pytest.approx(total_move, abs=0.005 * len(prices) + 1e-6 * abs(total_move))
    # money in minus money left = the loss
    summary = settlement_summary(table)
    assert summary["total deposited"] == pytest.approx(initial_total + calls.sum())
    loss = summary["total deposited"] - summary["final balance"]
    assert loss == pytest.approx(-table["cumulative gain"].iloc[-1], abs=0.011 * len(prices) + 1e-6 * abs(total_move))
