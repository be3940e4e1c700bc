"""The slow reference: one path's copy trading run through :class:`margincourse.Account`.

:func:`replay_with_account` takes the master's orders on one path and the same copy
rules as :func:`margincourse.engine.copytrading.simulate`, but lets the account
engine decide every margin, liquidation, auto-add and fee, one price move at a time:
the open (a gap), the way down to the low (the master's buys, the follower's stop
and liquidation on the way), the way up to the high (the master's take profit), the
close. The tests (``tests/engine/test_copytrading.py``) check that it gives the
vectorised result to the cent: equity at every close, the ledger, the counts of
liquidations, top-ups and stops.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError
from ..account import Account
from .candles import Candles
from .follower import FollowerSettings
from .master import ADD, AT_OPEN, DOWN, OPEN, ROLL, TAKE_PROFIT, MasterLog, MasterStrategy, master_trades
from .modes import copy_order_sizes


def replay_with_account(candles: Candles, index: int, strategy: MasterStrategy, settings: FollowerSettings,
                        log: MasterLog | None = None):
    """Run path ``index`` through :class:`margincourse.Account`, one price move at a time.

    The same master orders and copy rules as :func:`simulate` (in the settings' copy
    mode: each copied order is sized by
    :func:`~margincourse.engine.copytrading.modes.copy_order_sizes`), but every margin,
    liquidation, auto-add and fee is decided by the account engine. Returns
    ``(account, actions, equity)``: the account at the end, a DataFrame of what the
    follower did, and its equity at each close. The tests check that this equals
    the vectorised result.
    """
    if log is None:
        log = master_trades(candles.subset([index]), strategy)
        column = 0
    else:
        column = index
    return _OnePath(candles, index, strategy, settings).run(_orders_by_candle(log, column))


class _MasterOrder(NamedTuple):
    leg: int
    kind: int
    price: float
    buy_price: float
    buy_size: float


def _orders_by_candle(log: MasterLog, column: int) -> dict:
    """One path's master events, grouped by candle (in time order inside each)."""
    orders = {}
    for e in range(int(log.count[column])):
        orders.setdefault(int(log.candle[e, column]), []).append(_MasterOrder(
            int(log.leg[e, column]), int(log.kind[e, column]), float(log.price[e, column]),
            float(log.buy_price[e, column]), float(log.buy_size[e, column])))
    return orders


class _OnePath:
    """The follower's account on one path, walked candle by candle: open, down to the low, up, close."""

    def __init__(self, candles: Candles, index: int, strategy: MasterStrategy, settings: FollowerSettings):
        s = self.settings = settings
        self.open, self.high, self.low, self.close = (
            a[index] for a in (candles.open, candles.high, candles.low, candles.close))
        self.n_candles = candles.n_candles
        self.account = Account(s.starting_balance, taker_fee=s.taker_fee, liquidation_fee=s.liquidation_fee,
                               exchange=s.exchange, auto_add_rule="initial_margin")
        self.symbol = strategy.symbol
        self.last_copy = None  # the copy's position, once opened (it may have been closed since)
        self.copying = False
        self.actions = []

    def run(self, orders_by_candle: dict):
        equity = np.empty(self.n_candles)
        for t in range(self.n_candles):
            if t:
                self.at_the_open(t)
            self.through_the_candle(t, orders_by_candle.get(t, []))
            if self.position() is not None:
                self.exchange_events(t, self.account.mark({self.symbol: self.close[t]}))
            equity[t] = self.account.equity if self.position() is not None else self.account.wallet_balance
        return self.account, pd.DataFrame(self.actions), equity

    def at_the_open(self, t):
        """A gap from the last close to this open: the exchange liquidates, or the stop fires, first."""
        if self.position() is None:
            return
        self.exchange_events(t, self.account.mark({self.symbol: self.open[t]}, gap=True))
        p = self.position()
        if p is not None and self.stop_price(p) >= self.open[t]:
            self.stop_out(t, self.open[t], self.low[t])

    def through_the_candle(self, t, orders):
        """Down to the low (meeting the master's buys on the way), then up (its take profit)."""
        low = self.low[t]
        low_done = False
        reopen = None
        for order in orders:
            if order.leg in (AT_OPEN, DOWN):
                self.descend(t, order.price, low)
            elif not low_done:
                self.descend(t, low, low)
                low_done = True
            if order.kind in (TAKE_PROFIT, ROLL):
                self.take_profit(t, order.price)
            if order.kind == ROLL:
                reopen = order  # the next cycle opens at the close
            elif order.kind == OPEN:
                self.copy_buy(t, order.buy_price, order.buy_size, True)
            elif order.kind == ADD:
                self.copy_buy(t, order.buy_price, order.buy_size, False)
        if not low_done:
            self.descend(t, low, low)
        if reopen is not None:
            self.copy_buy(t, reopen.buy_price, reopen.buy_size, True)

    # ---------------------------------------------------------------- the follower's position
    def position(self):
        """The copy's open position, or None."""
        p = self.last_copy
        return p if p is not None and p.is_open else None

    def log_action(self, t, what, price, **extra):
        p, acct = self.position(), self.account
        self.actions.append(dict(candle=t, action=what, price=price, size=p.size if p else 0.0,
                                 average_entry=p.entry_price if p else np.nan,
                                 liquidation_price=acct.liquidation_price(p) if p else np.nan,
                                 wallet=acct.wallet_balance, **extra))

    def exchange_events(self, t, events):
        for ev in events:
            if ev.kind == "liquidation":
                self.log_action(t, "liquidated", ev.price, lost=ev.collateral_lost)
            elif ev.kind == "margin_added":
                self.log_action(t, "auto-add margin", ev.price, amount=ev.amount)

    def stop_price(self, p):
        s = self.settings
        return p.entry_price - s.stop_loss * s.budget / p.size if s.stop_loss is not None else -np.inf

    def stop_out(self, t, trigger_at, low):
        """The stop's market order fills below ``trigger_at``, unless the exchange liquidates first."""
        p = self.position()
        fill = max(trigger_at * (1 - self.settings.stop_slippage), low)
        if fill > self.account.liquidation_price(p):
            self.account.close(p, fill)
            self.log_action(t, "stop-loss", fill)
        else:
            self.exchange_events(t, self.account.mark({self.symbol: fill}))

    def descend(self, t, to, low):
        """Mark price moves continuously down to ``to``; the stop may fire on the way."""
        p = self.position()
        if p is None:
            return
        stop = self.stop_price(p)
        if stop >= to:
            self.exchange_events(t, self.account.mark({self.symbol: stop}))
            if self.position() is not None:
                self.stop_out(t, stop, low)
        if self.position() is not None:
            self.exchange_events(t, self.account.mark({self.symbol: to}))

    # ---------------------------------------------------------------- copying the master
    def copy_buy(self, t, price, q, first):
        """Copy the master's order of ``q`` BTC (in the copy mode's size) if the budget and the account can
        pay for it; otherwise stop copying the cycle."""
        s, acct, p = self.settings, self.account, self.position()
        if not first and (p is None or not self.copying):
            return
        q = float(copy_order_sizes(s, q, price, self.symbol))
        if q <= 0:  # less than one contract: not copied
            self.copying = False
            return
        allowance = s.budget + (acct.wallet_balance - s.starting_balance) - (0.0 if first else p.margin)
        try:
            if q * price / s.leverage + s.taker_fee * q * price > allowance + 1e-9:
                raise MarginInputError("the budget for this trader cannot pay for the order")
            self.last_copy = acct.open(self.symbol, "long", q, price, leverage=s.leverage, mode=s.margin_mode,
                                       auto_add_margin=s.auto_add_margin)
        except MarginInputError:
            self.copying = False  # a skipped order ends the copying of this cycle
            return
        self.copying = True
        self.log_action(t, "copy open" if first else "copy add", price)

    def take_profit(self, t, price):
        if self.position() is not None:
            self.account.close(self.position(), price)
            self.log_action(t, "copy take profit", price)
