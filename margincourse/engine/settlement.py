"""Daily settlement of exchange-traded futures: the margin account of a textbook futures position.

On a traditional futures exchange a position is not watched price by price for
liquidation. Instead, at the end of every trading day the exchange fixes a
*settlement price*, and every margin account is **marked to market**: the day's gain
is paid into it, the day's loss taken out. The rules this module follows are those
of [HULL-2.4]:

* When the trade is entered, the trader deposits the **initial margin**.
* At the end of each day the balance changes by the day's gain or loss:
  ``daily gain = side x contracts x multiplier x (today's settlement - yesterday's)``
  (the first day is measured from the price the trade was entered at).
* If the balance falls **below** the **maintenance margin**, the trader gets a
  **margin call** and must bring the balance back up to the **initial** margin
  (not just to the maintenance margin). The extra funds are the *variation margin*.
  The table shows the balance before the top-up and the call beside it, as
  Hull's Table 2.1 does; the next day starts from the topped-up balance.
* Any balance above the initial margin may be withdrawn; the table assumes it is
  not (as Hull's does).
* Nothing is liquidated at a price. If the trader does not meet a call, the broker
  closes out the position; this module assumes every call is met.

Source
------
[HULL-2.4] John C. Hull, *Options, Futures, and Other Derivatives*, section 2.4,
    "Operation of margin accounts", and its Table 2.1 (a long position in 2 gold
    futures contracts of 100 troy ounces each, initial margin 6,000 and maintenance
    margin 4,500 per contract). The course uses that setup with its own price series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..basics.errors import (
    MarginInputError,
    as_float_array,
    check_array_positive,
    check_choice,
    check_non_negative,
    check_positive,
    fmt,
)

__all__ = ["margin_account", "daily_settlement", "settlement_summary", "COLUMNS"]

COLUMNS = (
    "settlement price",
    "daily gain",
    "cumulative gain",
    "margin account balance",
    "margin call",
)


def _settle(prices, entry_price, sign, per_point, initial, maintenance):
    """The arithmetic of [HULL-2.4] on validated inputs and account totals (row 0 is the trade)."""
    n = len(prices)
    gains = np.zeros(n + 1)
    balances = np.zeros(n + 1)
    calls = np.zeros(n + 1)
    balances[0] = initial
    steps = np.diff(np.concatenate(([entry_price], prices)))
    start = initial
    for day in range(1, n + 1):
        gain = round(sign * per_point * steps[day - 1], 2)  # settled in cents
        balance = round(start + gain, 2)
        call = round(initial - balance, 2) if balance < maintenance else 0.0
        gains[day], balances[day], calls[day] = gain, balance, call
        start = balance + call
    return {
        "settlement price": np.concatenate(([entry_price], prices)),
        "daily gain": gains,
        "cumulative gain": np.round(np.cumsum(gains), 2),
        "margin account balance": balances,
        "margin call": calls,
    }


def _check_inputs(settlement_prices, entry_price, contracts, multiplier, initial_margin, maintenance_margin, side):
    prices = as_float_array("settlement_prices", settlement_prices)
    if prices.ndim != 1 or prices.size == 0:
        raise MarginInputError(
            f"settlement_prices must be a list of daily settlement prices (at least one), got shape {prices.shape}"
        )
    check_array_positive("settlement_prices", prices)
    entry_price = check_positive("entry_price", entry_price)
    if isinstance(contracts, bool) or not isinstance(contracts, (int, np.integer)) or contracts < 1:
        raise MarginInputError(f"contracts must be a whole number of at least 1, got {contracts!r}")
    multiplier = check_positive("multiplier", multiplier)
    initial = check_positive("initial_margin", initial_margin)
    maintenance = check_non_negative("maintenance_margin", maintenance_margin)
    if maintenance > initial:
        raise MarginInputError(
            f"maintenance_margin must be at most the initial margin ({fmt(initial)} per contract), got {fmt(maintenance)}"
        )
    sign = 1 if check_choice("side", side, ("long", "short")) == "long" else -1
    return prices, entry_price, int(contracts), multiplier, initial, maintenance, sign


def margin_account(
    settlement_prices,
    *,
    entry_price,
    contracts,
    multiplier,
    initial_margin,
    maintenance_margin,
    side="long",
):
    """The margin account of a futures position, day by day, laid out like Hull's Table 2.1 [HULL-2.4].

    Parameters
    ----------
    settlement_prices : the daily settlement prices, one per trading day, in order
    entry_price : the price the trade was entered at (on day 1, before its settlement)
    contracts : number of contracts, a whole number >= 1
    multiplier : units of the underlying per contract (100 troy ounces for Hull's gold futures)
    initial_margin, maintenance_margin : per contract; 0 <= maintenance <= initial
    side : "long" (gains when the price rises) or "short"

    Returns
    -------
    pandas.DataFrame
        Indexed by ``day``: row 0 is the trade itself (its price, the initial margin
        deposited), rows 1, 2, ... the trading days. Columns: ``settlement price``,
        ``daily gain``, ``cumulative gain``, ``margin account balance`` (after the day's
        settlement, before any top-up) and ``margin call`` (what must be paid in to
        bring the balance back to the initial margin; 0 on days without a call).
        Amounts are rounded to cents. ``attrs`` holds the inputs and the totals of
        :func:`settlement_summary`.

    Examples
    --------
    Hull's setup: long 2 gold futures of 100 oz, initial margin 6,000 and
    maintenance margin 4,500 per contract, so 12,000 and 9,000 for the account.
    A fall of 20 USD per ounce costs 2 x 100 x 20 = 4,000 and triggers a call:

    >>> table = margin_account([1_990, 1_980, 1_985], entry_price=2_000, contracts=2, multiplier=100,
    ...                        initial_margin=6_000, maintenance_margin=4_500)
    >>> table["margin account balance"].tolist()
    [12000.0, 10000.0, 8000.0, 13000.0]
    >>> table["margin call"].tolist()
    [0.0, 0.0, 4000.0, 0.0]
    """
    prices, entry, n_contracts, mult, initial, maintenance, sign = _check_inputs(
        settlement_prices, entry_price, contracts, multiplier, initial_margin, maintenance_margin, side
    )
    initial_total = initial * n_contracts
    maintenance_total = maintenance * n_contracts
    columns = _settle(prices, entry, sign, n_contracts * mult, initial_total, maintenance_total)
    table = pd.DataFrame(columns, index=pd.RangeIndex(len(prices) + 1, name="day"))
    table.attrs.update(
        side="long" if sign > 0 else "short", contracts=n_contracts, multiplier=mult,
        initial_margin=initial_total, maintenance_margin=maintenance_total,
    )
    table.attrs.update(settlement_summary(table))
    return table


def daily_settlement(
    settlement_prices,
    *,
    entry_price,
    contracts,
    multiplier,
    initial_margin,
    maintenance_margin,
    side="long",
):
    """The columns of :func:`margin_account` as numpy arrays, by name, without the table [HULL-2.4].

    The same arithmetic as Hull's Table 2.1 (section 2.4) and the same arguments as
    :func:`margin_account`, for code that recomputes the account many times (a
    dashboard on every slider move). Returns a dict of arrays, row 0 the trade itself:
    ``settlement price``, ``daily gain``, ``cumulative gain``, ``margin account balance``
    (before any top-up) and ``margin call``.

    >>> columns = daily_settlement([1_990, 1_980, 1_985], entry_price=2_000, contracts=2, multiplier=100,
    ...                            initial_margin=6_000, maintenance_margin=4_500)
    >>> columns["margin account balance"].tolist(), columns["margin call"].tolist()
    ([12000.0, 10000.0, 8000.0, 13000.0], [0.0, 0.0, 4000.0, 0.0])
    """
    prices, entry, n_contracts, mult, initial, maintenance, sign = _check_inputs(
        settlement_prices, entry_price, contracts, multiplier, initial_margin, maintenance_margin, side
    )
    return _settle(prices, entry, sign, n_contracts * mult, initial * n_contracts, maintenance * n_contracts)


def settlement_summary(table):
    """Totals of a :func:`margin_account` table: deposits, calls, final balance and the result.

    ``total deposited = initial margin + sum of margin calls``, and, since nothing is
    withdrawn, ``final balance - total deposited = cumulative gain`` (a loss when negative).
    """
    if not isinstance(table, pd.DataFrame) or any(c not in table.columns for c in COLUMNS):
        raise MarginInputError("table must be a DataFrame made by margin_account")
    initial = float(table["margin account balance"].iloc[0])
    calls = table["margin call"]
    called = calls[calls > 0]
    deposited = initial + float(called.sum())
    final = float(table["margin account balance"].iloc[-1] + calls.iloc[-1])
    return {
        "initial deposit": initial,
        "margin calls": int(len(called)),
        "call days": tuple(int(d) for d in called.index),
        "total of margin calls": round(float(called.sum()), 2),
        "total deposited": round(deposited, 2),
        "final balance": round(final, 2),
        "cumulative gain": float(table["cumulative gain"].iloc[-1]),
        "lowest balance": float(table["margin account balance"].min()),
    }
