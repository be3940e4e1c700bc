"""Lesson 4's model: the lesson's trade in the engine's account, and the same numbers as curves.

The lesson's trade is the one of Richra's article on isolated vs cross margin risk:
a 1,000 USDT account puts 100 USDT of margin
on a BTCUSDT long at 50,000 USDT. Its size depends on the leverage
(``size = 100 x leverage / 50,000``): 0.02 BTC at 10x, 0.1 BTC at 50x. No trading
fees are charged in this lesson, so every figure is exact to the cent; fees come
on top in real trading.

A price on a slider or in a table means: BTC's mark price moved *straight* from the
entry price to there. For a long, a liquidation on the way down has then already
happened; the engine's :meth:`Account.mark` treats the move the same way.

:func:`snapshot` reads the account from the engine (:class:`margincourse.Account`);
:func:`curves` computes the dashboard's lines with the pure formulas of
:mod:`margincourse.engine.formulas`, vectorised over a grid of prices, and the tests
check that both agree at every grid price. :mod:`.lesson4` lays these numbers out.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import numpy as np

from ...basics.errors import MarginInputError
from ...basics.formatting import money, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine.specs import contract, tier_table

SYMBOL = "BTCUSDT"
WALLET = 1_000.0  # the account of Richra's article
MARGIN = 100.0  # its trade: 100 USDT of margin
ENTRY = 50_000.0
PRICE_LOW, PRICE_HIGH = 20_000.0, 52_000.0  # the dashboard's price range
GRID = np.linspace(PRICE_LOW, PRICE_HIGH, 65)  # every 500 USDT; the curves are straight between jumps
_STEP = 1e-3  # a curve's jump at a liquidation price is drawn between LP + _STEP and LP - _STEP
MODES = ("isolated", "cross")


def price_text(value, symbol=SYMBOL):
    """A price as the lesson writes it: thousands separators, on the contract's tick (0.1 USDT for BTCUSDT).

    >>> price_text(49_196.787), price_text(3_000, "ETHUSDT")
    ('49,196.8', '3,000.00')
    """
    decimals = max(0, -Decimal(str(contract(symbol).tick_size)).normalize().as_tuple().exponent)
    return money(value, decimals)


# ----------------------------------------------------------------- the trade


def trade_size(leverage, margin=MARGIN, price=ENTRY, symbol=SYMBOL):
    """The size that ``margin`` USDT opens at ``leverage``: ``margin x leverage / price``, in whole contracts.

    >>> trade_size(10), trade_size(50)
    (0.02, 0.1)
    """
    spec = contract(symbol)
    contracts = round(margin * leverage / price / spec.contract_size)
    if contracts < 1:
        raise MarginInputError(
            f"leverage must give at least one {symbol} contract of {spec.contract_size} {spec.base} "
            f"with {usdt(margin)} of margin at {money(price, 1)}, got {leverage}"
        )
    return spec.check_size(round(contracts * spec.contract_size, 10))


def open_trade(mode, leverage, *, auto_add=False, wallet=WALLET, margin=MARGIN, price=ENTRY):
    """A fresh account holding the lesson's trade: ``margin`` USDT on a BTCUSDT long at ``leverage``.

    Returns ``(account, position)``. ``auto_add`` switches on auto-add margin (isolated
    only), with Bybit's rule: the initial margin each time, up to 1x.

    >>> account, position = open_trade("isolated", 10)
    >>> account.wallet_balance, position.size, position.margin
    (1000.0, 0.02, 100.0)
    """
    account = Account(wallet, auto_add_rule="initial_margin")
    position = account.open(SYMBOL, "long", trade_size(leverage, margin, price), price, leverage=leverage,
                            mode=mode, auto_add_margin=auto_add)
    return account, position


@lru_cache(maxsize=512)
def _opened(mode, leverage, auto_add):
    return open_trade(mode, leverage, auto_add=auto_add)[0]


def snapshot(mode, leverage, price, *, auto_add=False):
    """The account after BTC's mark moves straight from 50,000 to ``price`` (the engine's numbers).

    Returns a dict: ``wallet``, ``equity``, ``loss`` (1,000 minus equity), ``open``,
    ``margin`` (isolated: the bucket; cross: the initial margin), ``margin_balance``
    (what backs the position: the bucket or the cross wallet, plus unrealized PnL),
    ``maintenance``, ``liquidation_price``, ``auto_added`` (USDT moved in by
    auto-add), and once liquidated ``liquidated_at`` and ``lost``.

    >>> s = snapshot("isolated", 50, 45_000)
    >>> s["open"], round(s["liquidated_at"], 2), s["lost"], s["wallet"]
    (False, 49196.79, 100.0, 900.0)
    """
    return _describe(moved_account(mode, leverage, price, auto_add=auto_add), mode)


_SEGMENTS: dict = {}


def moved_account(mode, leverage, price, *, auto_add=False):
    """The engine's account after the mark moved straight from 50,000 to ``price``.

    Same result as ``open_trade(...)`` then ``account.mark({"BTCUSDT": price})`` (the
    tests check it), but quicker for a slider: between two consecutive trigger prices
    (liquidation or auto-add) nothing happens to the account except the mark, so the
    engine's state on reaching each stretch is kept and copied.
    """
    leverage, auto_add, price = int(leverage), bool(auto_add), float(price)
    triggers = _triggers(mode, leverage, auto_add)
    if np.any(np.abs(triggers - price) < 0.01):  # right at a trigger: let the engine decide afresh
        account = _opened(mode, leverage, auto_add).copy()
        account.mark({SYMBOL: price})
        return account
    key = (mode, leverage, auto_add, int(np.sum(triggers > price)))
    if key not in _SEGMENTS:
        first = _opened(mode, leverage, auto_add).copy()
        first.mark({SYMBOL: price})
        _SEGMENTS[key] = first
    account = _SEGMENTS[key].copy()
    account.mark({SYMBOL: price})
    return account


@lru_cache(maxsize=512)
def _triggers(mode, leverage, auto_add):
    """The prices where something happens on the way down: each auto-add, then the liquidation."""
    backings = np.array([WALLET]) if mode == "cross" else margin_steps(leverage, auto_add=auto_add)
    triggers = np.atleast_1d(_liq_price(trade_size(leverage), backings))
    triggers.flags.writeable = False
    return triggers


def _describe(account, mode):
    added = sum(e.amount for e in account.events if e.kind == "margin_added")
    out = {
        "wallet": account.wallet_balance,
        "equity": account.equity,
        "loss": WALLET - account.equity,
        "open": bool(account.positions),
        "auto_added": added,
    }
    if account.positions:
        position = account.positions[0]
        backing = position.margin if mode == "isolated" else account.cross_wallet_balance
        out.update(
            margin=position.margin,
            margin_balance=backing + account.unrealized_pnl(position),
            maintenance=account.maintenance_margin(position),
            liquidation_price=account.liquidation_price(position),
        )
    else:
        event = [e for e in account.events if e.kind == "liquidation"][-1]
        out.update(liquidated_at=event.price, lost=event.collateral_lost, liquidation_price=event.liquidation_price)
    return out


# ----------------------------------------------------------------- curves (pure formulas)


def margin_steps(leverage, *, auto_add=False, wallet=WALLET):
    """The isolated bucket's margin after 0, 1, 2 ... auto-adds (just ``[margin]`` when auto-add is off).

    Bybit's rule [BYBIT-AMR]: each time the mark reaches the liquidation price, the
    position's initial margin is moved in from the available balance (all of it if
    less is left), until the position is at 1x (margin = notional).

    >>> margin_steps(50).tolist()
    [100.0]
    >>> margin_steps(50, auto_add=True).round(2).tolist()
    [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]
    """
    size = trade_size(leverage)
    initial = formulas.initial_margin(size, ENTRY, leverage)
    entry_notional = size * ENTRY
    steps = [initial]
    if auto_add:
        margin = initial
        while True:
            amount = min(initial, entry_notional - margin, wallet - margin)
            if amount <= 1e-9:
                break
            margin += amount
            steps.append(margin)
    return np.array(steps)


def _liq_price(size, backing):
    return formulas.liquidation_price_for_tiers("long", ENTRY, size, backing, tier_table(SYMBOL))


def _grid_with_jumps(prices, jumps):
    inside = [j for j in jumps if prices[0] < j < prices[-1]]
    extra = [j + d for j in inside for d in (_STEP, -_STEP)]
    return np.unique(np.concatenate([prices, extra]))


def curves(mode, leverage, *, auto_add=False, prices=GRID):
    """Wallet, equity, margin balance and maintenance margin after a move from 50,000 straight to each price.

    Pure formulas, vectorised over ``prices`` (the tests check them against the
    engine). For a long, the margin balance behind the position is
    ``backing + Q x (P - EP)``; it is liquidated once that is at or below the
    maintenance margin ``Q x P x MMR - cum`` [BINANCE-LIQ]. ``backing`` is the
    bucket's margin (isolated) or the whole 1,000 USDT wallet (cross). After a
    liquidation the trader has lost all of the backing: the wallet drops by it.

    Returns a dict of arrays: ``price`` (the grid, plus a point just above and just
    below each liquidation or auto-add price so the jumps draw as vertical steps),
    ``wallet``, ``equity``, ``margin_balance`` and ``maintenance`` (NaN once the
    position is gone), ``liquidation_price`` (the one in force at that price), and
    the scalar ``final_liquidation_price``.
    """
    if mode not in MODES:
        raise MarginInputError(f"mode must be 'isolated' or 'cross', got {mode!r}")
    size = trade_size(leverage)
    backings = np.array([WALLET]) if mode == "cross" else margin_steps(leverage, auto_add=auto_add)
    triggers = _triggers(mode, int(leverage), bool(auto_add) and mode == "isolated")
    price = _grid_with_jumps(np.asarray(prices, dtype=float), triggers)
    pnl = formulas.unrealized_pnl("long", ENTRY, size, price)
    maintenance = tier_table(SYMBOL).maintenance_margin(formulas.notional(size, price))
    breached = backings[:, None] + pnl[None, :] <= maintenance[None, :]  # (steps, prices)
    gone = breached[-1]
    step = np.where(gone, len(backings) - 1, np.argmax(~breached, axis=0))
    backing = backings[step]
    lost = backings[-1]
    return {
        "price": price,
        "wallet": np.where(gone, WALLET - lost, WALLET),  # auto-add moves margin into the bucket, it spends nothing
        "equity": np.where(gone, WALLET - lost, WALLET + pnl),
        "margin_balance": np.where(gone, np.nan, backing + pnl),
        "maintenance": np.where(gone, np.nan, maintenance),
        "liquidation_price": triggers[step],
        "final_liquidation_price": float(triggers[-1]),
    }


def hedge_mode_liquidation_price(long_size, long_entry, short_size, short_entry, wallet=WALLET, symbol=SYMBOL):
    """Cross liquidation price of a long and a short of one contract held together (hedge mode).

    :func:`margincourse.hedge_mode_liquidation_price` with each leg's rate and amount taken from the
    risk tier of *its own* notional at the liquidation price (Binance's rule), found by recomputing
    until the tiers no longer change. Zero or below: no liquidation price.
    """
    table = tier_table(symbol)
    price = None
    for _ in range(20):
        at = (long_entry, short_entry) if price is None else (price, price)
        (rate_l, cum_l, _), (rate_s, cum_s, _) = (
            (float(x) for x in table.lookup(size * p)) for size, p in ((long_size, at[0]), (short_size, at[1])))
        new = formulas.hedge_mode_liquidation_price(long_size, long_entry, short_size, short_entry, wallet,
                                                    rate_l, rate_s, cum_l, cum_s)
        if new <= 0 or (price is not None and abs(new - price) < 1e-9):
            return new
        price = new
    return price
