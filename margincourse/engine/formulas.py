"""The money math of a USDT-margined linear futures position, as plain functions.

Every function here takes numbers *or* numpy arrays (which broadcast against
each other) and returns a float for scalar input or an array otherwise. Nothing
here keeps state: :mod:`margincourse.engine.account` calls these functions and never
re-derives a formula of its own.

Notation used in every docstring (Binance's, from the FAQ cited below):

==========  =============================================================
``side``    ``"long"`` (+1) or ``"short"`` (-1)
``Q``       position size in the base asset (BTC for BTCUSDT), always > 0
``EP``      entry price in USDT
``P``       mark price in USDT
``WB``      wallet balance backing the position: the isolated margin in
            isolated mode, the cross wallet balance in cross mode
``MMR``     maintenance margin rate of the risk tier (0.004 = 0.4 %)
``cum``     maintenance amount of the risk tier, in USDT
``TMM1``    maintenance margin of the *other* cross positions
``UPNL1``   unrealized PnL of the *other* cross positions
==========  =============================================================

Sources
-------
[BINANCE-LIQ] Binance FAQ, "How to Calculate Liquidation Price of USDⓈ-M Futures
    Contracts" (one-way mode formula and its worked cross-margin example).
[BINANCE-MM] Binance FAQ, "Leverage and Margin of USDⓈ-M Futures" (maintenance
    margin = notional x MMR - maintenance amount; margin ratio = maintenance margin /
    margin balance; liquidation when the margin ratio reaches 100 %).
[BYBIT-LIQ] Bybit Help Center, "Liquidation Price (USDT Contract)" (isolated
    liquidation price computed with the maintenance margin at entry; bankruptcy price).
[BTCEX-AUTO] BTCEX Help Center, "Auto-Add Margin" (worked example reproduced in the tests).
[BYBIT-COST] Bybit Help Center, "Order Cost (USDT Contract)" (order cost = initial margin + fee
    to open + fee to close; the fee to close is priced at the bankruptcy price).
"""

from __future__ import annotations

import numpy as np

from .specs import TierTable
from ..basics.errors import (
    MarginInputError,
    as_float_array,
    check_array_positive,
    check_array_range,
    check_broadcast,
)

__all__ = [
    "side_sign",
    "notional",
    "initial_margin",
    "maintenance_margin",
    "unrealized_pnl",
    "margin_ratio",
    "bankruptcy_price",
    "liquidation_price",
    "liquidation_price_for_tiers",
    "bybit_liquidation_price",
    "hedge_mode_liquidation_price",
    "order_cost",
    "round_to_tick",
]

SIDES = ("long", "short")


def _out(value):
    """Return a Python float for 0-d results, the array otherwise."""
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def side_sign(side):
    """+1 for ``"long"``, -1 for ``"short"``; arrays of sides give arrays of signs.

    >>> side_sign("long"), side_sign("short")
    (1, -1)
    >>> side_sign(["long", "short", "long"]).tolist()
    [1, -1, 1]
    """
    if isinstance(side, str):
        if side == "long":
            return 1
        if side == "short":
            return -1
        raise MarginInputError(f"side must be 'long' or 'short', got {side!r}")
    sides = np.asarray(side)
    if sides.dtype.kind not in "UO":
        raise MarginInputError(f"side must be 'long' or 'short' (or an array of them), got {side!r}")
    is_long = sides == "long"
    bad = ~(is_long | (sides == "short"))
    if bad.any():
        raise MarginInputError(f"side must be 'long' or 'short', got {sides[bad].flat[0]!r}")
    return np.where(is_long, 1, -1)


def _positive(name, value):
    array = as_float_array(name, value)
    check_array_positive(name, array)
    return array


def _non_negative(name, value):
    array = as_float_array(name, value)
    check_array_range(name, array, 0.0, np.inf)
    return array


def _mmr(value):
    array = as_float_array("mmr", value)
    check_array_range("mmr", array, 0.0, 1.0, high_inclusive=False)
    return array


def notional(size, price):
    """Position value in USDT: ``notional = Q x P`` [BINANCE-MM].

    >>> notional(0.02, 50_000)
    1000.0
    """
    q, p = _positive("size", size), _positive("price", price)
    check_broadcast(size=q, price=p)
    return _out(q * p)


def initial_margin(size, price, leverage):
    """Collateral needed to open: ``initial margin = Q x P / leverage`` [BINANCE-MM].

    Leverage is any number from 1 up; whether an exchange allows it at this
    notional is the risk tier's business (:meth:`margincourse.TierTable.check_leverage`).

    >>> initial_margin(0.02, 50_000, 10)
    100.0
    """
    lev = as_float_array("leverage", leverage)
    check_array_range("leverage", lev, 1.0, np.inf)
    q, p = _positive("size", size), _positive("price", price)
    check_broadcast(size=q, price=p, leverage=lev)
    return _out(q * p / lev)


def maintenance_margin(size, price, mmr, maintenance_amount=0.0):
    """Collateral needed to *keep* the position: ``MM = Q x P x MMR - cum`` [BINANCE-MM].

    ``cum`` (the maintenance amount) is what makes the requirement continuous where
    one risk tier ends and the next, with a higher rate, begins.

    >>> maintenance_margin(0.02, 50_000, 0.004)
    4.0
    >>> round(maintenance_margin(10, 60_000, 0.005, 50), 2)   # 600,000 USDT in Binance's tier 2
    2950.0
    """
    q, p, rate = _positive("size", size), _positive("price", price), _mmr(mmr)
    cum = _non_negative("maintenance_amount", maintenance_amount)
    check_broadcast(size=q, price=p, mmr=rate, maintenance_amount=cum)
    return _out(q * p * rate - cum)


def unrealized_pnl(side, entry_price, size, mark_price):
    """Profit or loss if closed at the mark price: ``UPNL = side x Q x (P - EP)``.

    A long gains when price rises, a short when it falls.

    >>> unrealized_pnl("long", 50_000, 0.02, 45_000)
    -100.0
    >>> unrealized_pnl("short", 50_000, 0.02, 45_000)
    100.0
    """
    sign = side_sign(side)
    q, mark, ep = _positive("size", size), _positive("mark_price", mark_price), _positive("entry_price", entry_price)
    check_broadcast(side=sign, size=q, mark_price=mark, entry_price=ep)
    return _out(sign * q * (mark - ep))


def margin_ratio(maintenance_margin, margin_balance):
    """``margin ratio = maintenance margin / margin balance`` [BINANCE-MM].

    The margin balance is the wallet balance backing the position plus its unrealized
    PnL. The exchange liquidates when the ratio reaches 1 (100 %). A margin balance of
    zero or less means the position is already bankrupt; the ratio is then reported as
    infinity rather than a meaningless negative number.

    >>> margin_ratio(4.0, 100.0)
    0.04
    >>> margin_ratio(4.0, -1.0)
    inf
    """
    mm = _non_negative("maintenance_margin", maintenance_margin)
    balance = as_float_array("margin_balance", margin_balance)
    check_broadcast(maintenance_margin=mm, margin_balance=balance)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(balance > 0, mm / np.where(balance > 0, balance, 1.0), np.inf)
    return _out(ratio)


def bankruptcy_price(side, entry_price, size, wallet_balance, other_unrealized_pnl=0.0):
    """The price at which the margin balance is exactly zero.

    ``WB + UPNL1 + side x Q x (BP - EP) = 0``, so ``BP = EP - side x (WB + UPNL1) / Q``.

    For an isolated position opened with margin ``EP x Q / L`` this is
    ``EP x (1 - 1/L)`` for a long and ``EP x (1 + 1/L)`` for a short [BYBIT-LIQ].
    The liquidation price always sits before it; the gap is the maintenance margin,
    which pays the liquidation's costs and goes to the insurance fund. A long's
    bankruptcy price at or below zero means the position can never go bankrupt.

    >>> bankruptcy_price("long", 20_000, 1, 400)    # 50x long: EP x (1 - 1/50)
    19600.0
    >>> bankruptcy_price("short", 20_000, 1, 400)
    20400.0
    """
    sign = side_sign(side)
    ep = _positive("entry_price", entry_price)
    q = _positive("size", size)
    wb = _positive("wallet_balance", wallet_balance)
    upnl1 = as_float_array("other_unrealized_pnl", other_unrealized_pnl)
    check_broadcast(side=sign, entry_price=ep, size=q, wallet_balance=wb, other_unrealized_pnl=upnl1)
    return _out(ep - sign * (wb + upnl1) / q)


def liquidation_price(
    side,
    entry_price,
    size,
    wallet_balance,
    mmr,
    maintenance_amount=0.0,
    other_maintenance_margin=0.0,
    other_unrealized_pnl=0.0,
):
    """Liquidation price of a one-way-mode position, Binance's formula [BINANCE-LIQ].

    The exchange liquidates when the margin balance falls to the maintenance margin:

    ``WB - TMM1 + UPNL1 + side x Q x (LP - EP) = Q x LP x MMR - cum``

    Solving for ``LP`` gives the formula in Binance's FAQ::

        LP = (WB - TMM1 + UPNL1 + cum - side x Q x EP) / (Q x MMR - side x Q)

    Parameters
    ----------
    side : "long" or "short" (or an array of them)
    entry_price : entry price in USDT, > 0
    size : position size in the base asset (BTC for BTCUSDT), > 0
    wallet_balance : the isolated margin (isolated mode) or the cross wallet
        balance (cross mode), > 0
    mmr : maintenance margin rate of the tier, 0 <= mmr < 1
    maintenance_amount : the tier's maintenance amount ``cum`` in USDT, >= 0
    other_maintenance_margin : ``TMM1``, the other cross positions' maintenance
        margin (0 in isolated mode), >= 0
    other_unrealized_pnl : ``UPNL1``, the other cross positions' unrealized PnL
        at their mark prices (0 in isolated mode)

    All arguments broadcast against each other like numpy arrays.

    Returns
    -------
    float or numpy.ndarray
        The mark price at which the position is liquidated. For a long with a
        large enough balance the result is zero or negative: price cannot get
        there, so the position cannot be liquidated (exchanges show "--").
        ``mmr`` and ``maintenance_amount`` must belong to the tier of the notional
        *at the liquidation price*; :func:`liquidation_price_for_tiers` picks it.

    Examples
    --------
    An isolated 10x long of 0.02 BTC at 50,000 USDT, with 100 USDT of margin and
    Binance's first-tier MMR of 0.4 %, is liquidated about 9.6 % lower:

    >>> round(liquidation_price("long", 50_000, 0.02, 100, 0.004), 2)
    45180.72

    The same trade in cross mode, backed by a 1,000 USDT wallet, can only be
    liquidated at a price of zero: the wallet covers the whole notional.

    >>> liquidation_price("long", 50_000, 0.02, 1_000, 0.004)
    0.0

    Arrays broadcast:

    >>> liquidation_price("long", 50_000, 0.02, [100, 200, 500], 0.004).round(2).tolist()
    [45180.72, 40160.64, 25100.4]
    """
    sign = side_sign(side)
    ep = _positive("entry_price", entry_price)
    q = _positive("size", size)
    wb = _positive("wallet_balance", wallet_balance)
    rate = _mmr(mmr)
    cum = _non_negative("maintenance_amount", maintenance_amount)
    tmm1 = _non_negative("other_maintenance_margin", other_maintenance_margin)
    upnl1 = as_float_array("other_unrealized_pnl", other_unrealized_pnl)
    check_broadcast(side=sign, entry_price=ep, size=q, wallet_balance=wb, mmr=rate, maintenance_amount=cum,
                    other_maintenance_margin=tmm1, other_unrealized_pnl=upnl1)
    return _out(_binance_lp(sign, ep, q, wb, rate, cum, tmm1, upnl1))


def _binance_lp(sign, ep, q, wb, rate, cum, tmm1, upnl1):
    """[BINANCE-LIQ] on already validated arrays; ``+ 0.0`` turns -0.0 into 0.0."""
    return (wb - tmm1 + upnl1 + cum - sign * q * ep) / (q * rate - sign * q) + 0.0


def liquidation_price_for_tiers(
    side,
    entry_price,
    size,
    wallet_balance,
    tiers,
    other_maintenance_margin=0.0,
    other_unrealized_pnl=0.0,
):
    """Liquidation price with the risk tier chosen at the liquidation price itself.

    The maintenance rate depends on the notional ``Q x LP`` *at liquidation*, which
    depends on ``LP``. Binance's FAQ resolves this by computing ``LP`` with each
    bracket's ``MMR`` and ``cum`` and keeping the one whose notional at ``LP`` falls
    inside that bracket [BINANCE-LIQ]. Because the maintenance amounts make the
    requirement continuous, exactly one bracket is consistent (a long whose price
    would have to fall below zero gets the first bracket's result, which is <= 0).

    ``tiers`` is a :class:`margincourse.TierTable` (see :func:`margincourse.tier_table`).
    Other arguments are those of :func:`liquidation_price` and broadcast the same way.

    >>> from margincourse import tier_table
    >>> binance = tier_table("BTCUSDT", "binance")
    >>> round(liquidation_price_for_tiers("long", 50_000, 0.02, 100, binance), 2)
    45180.72
    >>> round(liquidation_price_for_tiers("long", 60_000, 20, 120_000, binance), 2)  # 1.2M notional, 10x
    54305.49
    """
    if not isinstance(tiers, TierTable):
        raise MarginInputError(
            f"tiers must be a TierTable such as mc.tier_table('BTCUSDT', 'binance'), got {tiers!r}"
        )
    named = dict(
        side=np.asarray(side_sign(side)),
        entry_price=_positive("entry_price", entry_price),
        size=_positive("size", size),
        wallet_balance=_positive("wallet_balance", wallet_balance),
        other_maintenance_margin=_non_negative("other_maintenance_margin", other_maintenance_margin),
        other_unrealized_pnl=as_float_array("other_unrealized_pnl", other_unrealized_pnl),
    )
    check_broadcast(**named)
    arrays = np.broadcast_arrays(*named.values())
    sign, ep, q, wb, tmm1, upnl1 = (a[..., None] for a in arrays)
    floors, caps, rates, amounts = tiers.columns()
    candidates = _binance_lp(sign, ep, q, wb, rates, amounts, tmm1, upnl1)
    value_at_lp = q * candidates
    inside = (value_at_lp >= floors) & (value_at_lp < caps)
    inside[..., -1] |= value_at_lp[..., -1] >= caps[-1]  # beyond the last cap: last tier
    inside[..., 0] |= value_at_lp[..., 0] < floors[0]  # price <= 0: cannot be liquidated
    choice = np.argmax(inside, axis=-1)
    return _out(np.take_along_axis(candidates, choice[..., None], axis=-1)[..., 0])


def bybit_liquidation_price(side, entry_price, leverage, mmr):
    """Bybit's isolated liquidation price, which fixes the maintenance margin at entry [BYBIT-LIQ].

    Bybit computes ``MM = EP x Q x MMR`` once, at the entry price, so for an isolated
    position opened with margin ``EP x Q / L``:

    ``LP_long  = EP - (IM - MM) / Q = EP x (1 - 1/L + MMR)``
    ``LP_short = EP + (IM - MM) / Q = EP x (1 + 1/L - MMR)``

    Binance evaluates the maintenance margin at the liquidation price instead, so the
    two venues differ by a few dollars for the same trade (the lesson on liquidation
    shows both). Bybit's own example: 1 BTC long at 20,000 USDT, 50x, MMR 0.5 %:

    >>> bybit_liquidation_price("long", 20_000, 50, 0.005)
    19700.0
    """
    sign = side_sign(side)
    ep = _positive("entry_price", entry_price)
    lev = as_float_array("leverage", leverage)
    check_array_range("leverage", lev, 1.0, np.inf)
    rate = _mmr(mmr)
    check_broadcast(side=sign, entry_price=ep, leverage=lev, mmr=rate)
    return _out(ep * (1 - sign * (1 / lev - rate)))


def hedge_mode_liquidation_price(long_size, long_entry, short_size, short_entry, wallet_balance, long_mmr,
                                 short_mmr, long_amount=0.0, short_amount=0.0, other_maintenance_margin=0.0,
                                 other_unrealized_pnl=0.0):
    """Cross liquidation price of a long and a short of the same contract held at once (hedge mode) [BINANCE-LIQ].

    In **hedge mode** an account can hold a LONG and a SHORT position of one symbol side by side
    (in one-way mode an opposite order reduces the position instead). In cross margin both legs
    draw on the same wallet, are valued at the same mark price, and so share one liquidation
    price. Binance's FAQ writes its formula with both legs; with no one-way ("BOTH") position::

        LP = (WB - TMM1 + UPNL1 + cumL + cumS - L x EPL + S x EPS) / (L x MMR_L + S x MMR_S - L + S)

    ``L``, ``S`` are the long and short sizes (one of them may be 0), each leg with the rate and
    amount of the tier of its *own* notional. With ``S = 0`` this is :func:`liquidation_price`.
    Only the net size ``L - S`` moves the margin balance; both legs add maintenance margin.
    A result of zero or below: no liquidation price for a falling market; a very large one:
    the legs almost cancel and only their maintenance margin grows with the price.

    A long of 0.1 BTC at 50,000 and a short of 0.05 BTC at 52,000 in a 1,000 USDT cross wallet:

    >>> round(hedge_mode_liquidation_price(0.1, 50_000, 0.05, 52_000, 1_000, 0.004, 0.004), 2)
    28340.08
    >>> round(hedge_mode_liquidation_price(0.1, 50_000, 0, 50_000, 1_000, 0.004, 0.004), 2)  # no short
    40160.64
    """
    L = _non_negative("long_size", long_size)
    S = _non_negative("short_size", short_size)
    epl, eps = _positive("long_entry", long_entry), _positive("short_entry", short_entry)
    wb = _positive("wallet_balance", wallet_balance)
    mmr_l, mmr_s = _mmr(long_mmr), _mmr(short_mmr)
    cum_l = _non_negative("long_amount", long_amount)
    cum_s = _non_negative("short_amount", short_amount)
    tmm1 = _non_negative("other_maintenance_margin", other_maintenance_margin)
    upnl1 = as_float_array("other_unrealized_pnl", other_unrealized_pnl)
    check_broadcast(long_size=L, long_entry=epl, short_size=S, short_entry=eps, wallet_balance=wb, long_mmr=mmr_l,
                    short_mmr=mmr_s, long_amount=cum_l, short_amount=cum_s, other_maintenance_margin=tmm1,
                    other_unrealized_pnl=upnl1)
    if np.any(L + S == 0):
        raise MarginInputError("long_size and short_size cannot both be 0: there is no position")
    numerator = wb - tmm1 + upnl1 + cum_l + cum_s - L * epl + S * eps
    return _out(numerator / (L * mmr_l + S * mmr_s - L + S) + 0.0)


def order_cost(side, size, price, leverage, taker_fee):
    """What an order reserves on Bybit: initial margin + fee to open + fee to close [BYBIT-COST].

    ``fee to open  = Q x P x taker fee``
    ``fee to close = Q x bankruptcy price x taker fee``, the bankruptcy price being
    ``P x (1 - 1/L)`` for a long and ``P x (1 + 1/L)`` for a short (where a liquidated
    position is closed, :func:`bankruptcy_price`).

    Returns ``(initial margin, fee to open, fee to close, order cost)``. The course's 10x long
    of 0.02 BTC at 50,000 with a 0.055 % taker fee reserves 101.045 USDT, not 100:

    >>> [round(x, 4) for x in order_cost("long", 0.02, 50_000, 10, 0.00055)]
    [100.0, 0.55, 0.495, 101.045]
    >>> [round(x, 2) for x in order_cost("long", 1, 50_000, 10, 0.00055)]
    [5000.0, 27.5, 24.75, 5052.25]
    """
    sign = side_sign(side)
    q, p = _positive("size", size), _positive("price", price)
    lev = as_float_array("leverage", leverage)
    check_array_range("leverage", lev, 1.0, np.inf)
    fee = as_float_array("taker_fee", taker_fee)
    check_array_range("taker_fee", fee, 0.0, 0.01)
    check_broadcast(side=sign, size=q, price=p, leverage=lev, taker_fee=fee)
    margin = q * p / lev
    to_open = q * p * fee
    to_close = q * p * (1 - sign / lev) * fee
    return tuple(_out(x) for x in (margin, to_open, to_close, margin + to_open + to_close))


def round_to_tick(price, tick_size):
    """Round a price to the nearest multiple of the tick size (0.1 USDT for BTCUSDT).

    >>> round_to_tick(45180.7229, 0.1)
    45180.7
    """
    tick = _positive("tick_size", tick_size)
    p = as_float_array("price", price)
    decimals = max(0, int(np.ceil(-np.log10(float(np.min(tick))) - 1e-9))) + 2
    return _out(np.round(np.round(p / tick) * tick, decimals))
