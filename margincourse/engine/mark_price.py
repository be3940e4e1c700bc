"""How an exchange builds the mark price of a perpetual: the index, a funding basis, a median.

Liquidations and unrealized PnL follow the **mark price**, not the last traded price, so that a
wick in one order book does not liquidate anyone. Binance and Bybit build it the same way
[BINANCE-MARK, BYBIT-MARK]::

    Price 1    = index x (1 + last funding rate x time until funding / funding interval)
    Price 2    = index + moving average of (best bid + best ask) / 2 - index    (the basis)
    mark price = median(Price 1, Price 2, last price)

The **index** is a volume-weighted average of the spot price on several large spot exchanges.
Price 1 adds the part of the last funding rate still to run until the next funding time (it
decays to the index as funding approaches); Price 2 adds the recent average gap between the
contract's own order book and the index. The median of three discards the one that is furthest
out, so the last price counts only when it lies between the other two.

The exchanges compute the moving average from every second's book (Bybit over 5 minutes;
Binance over 30 seconds for USD-M perpetuals since 2025-09-18); this module takes the average
as a number, it does not rebuild it from order books. Exchanges also change the rule under
stress (a stale index, a new listing); none of that is modelled.

Sources
-------
[BINANCE-MARK] Binance FAQ, "Mark Price" (Price Index; "A Mark Price consists of two
    components: Price Index and Moving Average (MA) Basis"; Mark Price = Median(Price 1,
    Price 2, Contract Price), Price 1 = Price Index x (1 + Last Funding Rate x (Time Until
    Funding / 8)), Price 2 = Price Index + Moving Average Basis), and Binance's announcement of
    2025-09-16 that USD-M perpetuals use a 30-second basis from 2025-09-18.
[BYBIT-MARK] Bybit Help Center, "Mark Price Calculation (Perpetual Contract)": "Mark Price =
    Median (Price 1, Price 2, Last Traded Price)", "Price 1 = Index Price x [1 + Last Funding
    Rate x (Time Until Funding / 8)]", "Price 2 = Index Price + Moving Average (5-minute Basis)".
[AEVO-MARK] Aevo documentation, "Perpetual Futures Mark Pricing": the same Price 1 with an
    hourly funding interval and a worked example (index 2,000, last funding rate 0.005, half an
    hour to funding: Price 1 = 2,005), reproduced in the tests.
"""

from __future__ import annotations

import numpy as np

from ..basics.errors import (
    MarginInputError,
    as_float_array,
    check_array_positive,
    check_array_range,
    check_broadcast,
    fmt,
)
from .formulas import _out, _positive

__all__ = ["funding_basis_price", "moving_average_basis_price", "mark_price"]


def funding_basis_price(index_price, last_funding_rate, hours_until_funding, funding_interval_hours=8.0):
    """Price 1: the index plus the share of the last funding rate still to run [BINANCE-MARK, BYBIT-MARK].

    ``Price 1 = index x (1 + last funding rate x hours until funding / funding interval)``

    ``hours_until_funding`` runs from the interval down to 0; a positive rate (longs pay) puts
    Price 1 above the index. Binance and Bybit write the interval as 8 hours.

    >>> funding_basis_price(50_000, 0.0001, 2)              # 0.01 %, two hours of eight to go
    50001.25
    >>> funding_basis_price(2_000, 0.005, 0.5, funding_interval_hours=1)   # Aevo's example
    2005.0
    """
    index = _positive("index_price", index_price)
    rate = as_float_array("last_funding_rate", last_funding_rate)
    check_array_range("last_funding_rate", rate, -1.0, 1.0)
    interval = _positive("funding_interval_hours", funding_interval_hours)
    hours = as_float_array("hours_until_funding", hours_until_funding)
    check_array_range("hours_until_funding", hours, 0.0, np.inf)
    check_broadcast(index_price=index, last_funding_rate=rate, hours_until_funding=hours,
                    funding_interval_hours=interval)
    if np.any(hours > interval):
        raise MarginInputError(f"hours_until_funding must be between 0 and funding_interval_hours "
                               f"({fmt(float(np.max(interval)))}), got {fmt(float(np.max(hours)))}")
    return _out(index * (1 + rate * hours / interval))


def moving_average_basis_price(index_price, moving_average_basis):
    """Price 2: the index plus the moving average of the basis, mid price minus index [BINANCE-MARK, BYBIT-MARK].

    ``Price 2 = index + average of ((best bid + best ask) / 2 - index)``; the basis is in USDT
    and may be negative (the contract trades below the index).

    >>> moving_average_basis_price(50_000, 15)
    50015.0
    """
    index = _positive("index_price", index_price)
    basis = as_float_array("moving_average_basis", moving_average_basis)
    check_broadcast(index_price=index, moving_average_basis=basis)
    price = index + basis
    check_array_positive("index_price + moving_average_basis", np.asarray(price))
    return _out(price)


def mark_price(index_price, last_funding_rate, hours_until_funding, moving_average_basis, last_price,
               funding_interval_hours=8.0):
    """The mark price: the median of Price 1, Price 2 and the last traded price [BINANCE-MARK, BYBIT-MARK].

    A quiet market: index 50,000, last funding rate 0.01 % two hours before funding
    (Price 1 = 50,001.25), the book 15 USDT above the index on average (Price 2 = 50,015),
    last trade at 50,030. The median is Price 2:

    >>> mark_price(50_000, 0.0001, 2, 15, 50_030)
    50015.0

    A wick: one sell order pushes the last trade down to 48,000 for a moment. The median
    now discards the last price, and the mark barely moves:

    >>> mark_price(50_000, 0.0001, 2, 15, 48_000)
    50001.25

    Arrays broadcast (a series of last prices):

    >>> mark_price(50_000, 0.0001, 2, 15, [48_000, 50_010, 52_000]).tolist()
    [50001.25, 50010.0, 50015.0]
    """
    last = _positive("last_price", last_price)
    price_1 = np.asarray(funding_basis_price(index_price, last_funding_rate, hours_until_funding,
                                             funding_interval_hours), dtype=float)
    price_2 = np.asarray(moving_average_basis_price(index_price, moving_average_basis), dtype=float)
    check_broadcast(price_1=price_1, price_2=price_2, last_price=last)
    stacked = np.stack(np.broadcast_arrays(price_1, price_2, last))
    return _out(np.median(stacked, axis=0))
