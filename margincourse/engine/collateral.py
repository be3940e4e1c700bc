"""Collateral in another asset, counted with a haircut (multi-asset and unified accounts).

In the rest of the course the cross wallet holds USDT. Multi-asset modes let a trader post
other coins as margin for USDT-margined contracts, valued in USD *after a haircut*:

* Binance's Multi-Assets Mode (cross margin only) [BINANCE-MULTI]: BTC, ETH and BNB "will
  receive a 5% value haircut ... BNB valued at $1,000 will be considered as $950".
* Bybit's Unified Trading Account [BYBIT-CVR]: each asset counts at
  ``quantity x USD index price x collateral value ratio``, the ratio falling in tiers as the
  quantity grows (its example table: BTC 0.98 up to 10 BTC, 0.95 from 10 to 20 BTC, ...).

A haircut of ``h`` is a collateral value ratio of ``1 - h``. :func:`collateral_value` is the
valuation; :func:`liquidation_price_with_coin_collateral` shows what it does to a cross
position when the collateral is the same coin the position trades: the collateral's value
moves with the mark price, so BTC posted behind a BTC long falls exactly when the long loses.

What this module does not model: tiered ratios (one ratio per call), the exchanges' automatic
conversion of a negative USDT balance into the collateral coin (Binance's "auto exchange"),
borrowing and interest in unified accounts, and portfolio margin, where the requirement comes
from stress tests of the whole portfolio rather than from each position's tier.

Sources
-------
[BINANCE-MULTI] Binance FAQ, "What Is Multi-Assets Mode and Which Assets Are Supported?"
    (cross margin only; the 5 % haircut and its $1,000 -> $950 example).
[BYBIT-CVR] Bybit Help Center, "Understanding Collateral Value Ratios in Unified Trading
    Account" (margin balance in USD, asset x USD index price x collateral value ratio, tiers).
[BINANCE-LIQ] Binance FAQ, "How to Calculate Liquidation Price of USD-M Futures Contracts"
    (liquidation when the margin balance falls to the maintenance margin).
"""

from __future__ import annotations

import numpy as np

from ..basics.errors import as_float_array, check_array_positive, check_array_range, check_broadcast
from .formulas import _non_negative, _out, side_sign

__all__ = ["collateral_value", "liquidation_price_with_coin_collateral"]


def _haircut(value):
    array = as_float_array("haircut", value)
    check_array_range("haircut", array, 0.0, 1.0)
    return array


def collateral_value(amount, price, haircut):
    """What ``amount`` of a coin counts for as margin: ``amount x price x (1 - haircut)`` [BINANCE-MULTI, BYBIT-CVR].

    Binance's own example: BNB worth 1,000 USD at its 5 % haircut counts as 950.

    >>> collateral_value(1, 1_000, 0.05)
    950.0

    Bybit writes a ratio instead (0.98 for the first 10 BTC in its example table): a haircut of 2 %.

    >>> round(collateral_value(0.02, 50_000, 1 - 0.98), 2)
    980.0
    """
    a = _non_negative("amount", amount)
    p = as_float_array("price", price)
    check_array_positive("price", p)
    h = _haircut(haircut)
    check_broadcast(amount=a, price=p, haircut=h)
    return _out(a * p * (1 - h))


def liquidation_price_with_coin_collateral(side, entry_price, size, usdt_balance, coin_amount, haircut, mmr,
                                           maintenance_amount=0.0):
    """Cross liquidation price when part of the margin is the contract's own coin, counted with a haircut.

    The course's model, not an exchange's published formula: Binance's liquidation condition
    [BINANCE-LIQ], margin balance = maintenance margin, with the coin counted at
    :func:`collateral_value` *at the same price* as the position (a BTC wallet behind a
    BTCUSDT position, valued at the mark)::

        U + c x P x (1 - h) + side x Q x (P - EP) = Q x P x MMR - cum
        P = (U + cum - side x Q x EP) / (Q x MMR - side x Q - c x (1 - h))

    ``U`` is the USDT in the cross wallet, ``c`` the coin amount. With ``c = 0`` it is Binance's
    one-way formula. A result of zero or below means no liquidation price.

    The lesson's 50x long of 0.1 BTC at 50,000, backed by 1,000 USDT, and then by 0.02 BTC
    (1,000 USD at entry, 950 after Binance's 5 % haircut):

    >>> round(liquidation_price_with_coin_collateral("long", 50_000, 0.1, 1_000, 0, 0.05, 0.004), 2)
    40160.64
    >>> round(liquidation_price_with_coin_collateral("long", 50_000, 0.1, 0, 0.02, 0.05, 0.004), 2)
    42158.52

    Behind a short the same BTC gains when the short loses, and pushes the liquidation price away:

    >>> round(liquidation_price_with_coin_collateral("short", 50_000, 0.1, 0, 0.02, 0.05, 0.004), 2)
    61425.06
    """
    sign = side_sign(side)
    ep = as_float_array("entry_price", entry_price)
    check_array_positive("entry_price", ep)
    q = as_float_array("size", size)
    check_array_positive("size", q)
    u = _non_negative("usdt_balance", usdt_balance)
    c = _non_negative("coin_amount", coin_amount)
    h = _haircut(haircut)
    rate = as_float_array("mmr", mmr)
    check_array_range("mmr", rate, 0.0, 1.0, high_inclusive=False)
    cum = _non_negative("maintenance_amount", maintenance_amount)
    check_broadcast(side=sign, entry_price=ep, size=q, usdt_balance=u, coin_amount=c, haircut=h, mmr=rate,
                    maintenance_amount=cum)
    denominator = q * rate - sign * q - c * (1 - h)
    with np.errstate(divide="ignore", invalid="ignore"):
        price = np.where(denominator == 0, 0.0, (u + cum - sign * q * ep) / np.where(denominator == 0, 1, denominator))
    return _out(price + 0.0)
