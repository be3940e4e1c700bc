"""The master trader: a martingale on BTCUSDT, and every order it places on every path.

A cycle opens with a long of :attr:`MasterStrategy.first_order` USDT of BTC (what
that amount means depends on the follower's copy mode: see :class:`MasterStrategy`). Each
time the price falls ``step`` below the last buy, the master buys again,
``multiplier`` times the previous order, at most ``doublings`` times. Everything is
sold once the price is ``take_profit`` above the average entry, and the next cycle
opens at that candle's close.

The master's buy and take-profit orders are resting limit orders on the 0.1 tick:
a gap through one fills at the open (the better price). The master's own account
is not modelled: it is assumed deep enough to float every drawdown (masters "rely
on Cross Margin to float these massive losses", as the article "Cross vs isolated
margin for copy trading" puts it).

:func:`master_trades` finds every order on every path at once and returns them as
a :class:`MasterLog`. It also writes down, for each order, the stretch of prices the
position held before it went through (where it started, and the lowest price in
it): that is all a follower needs to know whether its own copy could have been
liquidated or stopped out on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError, check_between, check_positive
from ..specs import contract
from .candles import SYMBOL, Candles

# Master event kinds and where in the candle they happen ("legs").
NONE, OPEN, ADD, TAKE_PROFIT, END, ROLL = -1, 0, 1, 2, 3, 4
KIND_NAMES = {OPEN: "open", ADD: "add", TAKE_PROFIT: "take profit", END: "end",
              ROLL: "take profit, then open the next cycle at the close"}
AT_OPEN, DOWN, UP, AT_CLOSE, AFTER_CLOSE = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class MasterStrategy:
    """The master's martingale: its orders, which the follower copies in its copy mode.

    ``first_order`` USDT of BTC opens a cycle (rounded down to whole contracts, at
    least one); each time the price falls ``step`` below the last buy, the master buys
    ``multiplier`` times the previous order, at most ``doublings`` times per cycle;
    everything is sold at ``take_profit`` above the average entry.

    What ``first_order`` stands for depends on the follower's ``copy_mode``
    (:mod:`~margincourse.engine.copytrading.modes`): with a fixed ratio (the default)
    it is the master's first order *already scaled to the follower's account*, so the
    follower's copy is exactly these orders; with a multiplier it is the master's
    *own* first order on the master's account, which the follower multiplies by
    ``copy_multiplier``; with a fixed amount only the timing of the orders matters
    (the follower's sizes come from ``copy_amount``).
    """

    first_order: float = 100.0
    step: float = 0.05
    doublings: int = 5
    take_profit: float = 0.05
    multiplier: int = 2
    symbol: str = SYMBOL

    def __post_init__(self):
        check_positive("first_order", self.first_order)
        check_between("step", self.step, 0.001, 0.5)
        check_between("take_profit", self.take_profit, 0.001, 1.0)
        for name, value, low, high in (("doublings", self.doublings, 0, 12), ("multiplier", self.multiplier, 1, 4)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise MarginInputError(f"{name} must be a whole number between {low} and {high}, got {value!r}")
        contract(self.symbol)

    def ladder(self, start_price) -> pd.DataFrame:
        """The cycle's orders if the price only falls from ``start_price``: each buy ``step``
        below the last one (on the tick), ``multiplier`` times larger.

        >>> MasterStrategy(doublings=2).ladder(60_000)
           order    price  size (BTC)
        0      0  60000.0      0.0016
        1      1  57000.0      0.0032
        2      2  54150.0      0.0064
        """
        start = check_positive("start_price", start_price)
        tick = contract(self.symbol).tick_size
        prices = [float(_round_tick(start, tick))]
        for _ in range(self.doublings):
            prices.append(float(_round_tick(prices[-1] * (1 - self.step), tick)))
        return pd.DataFrame({"order": range(self.doublings + 1), "price": prices,
                             "size (BTC)": self.order_sizes(prices[0]).round(8)})

    def order_sizes(self, price) -> np.ndarray:
        """The cycle's order sizes (BTC) when it opens at ``price``: first order, then each add.

        >>> MasterStrategy(first_order=100, doublings=3).order_sizes(60_000).round(4).tolist()
        [0.0016, 0.0032, 0.0064, 0.0128]
        """
        spec = contract(self.symbol)
        first = _first_contracts(self.first_order, np.asarray(float(price)), spec.contract_size)
        contracts = [first * self.multiplier**k for k in range(self.doublings + 1)]
        return np.array(contracts, dtype=float) * spec.contract_size


def _first_contracts(first_order, price, contract_size):
    return np.maximum(1, np.floor(first_order / (price * contract_size) + 1e-9)).astype(np.int64)


def _round_tick(price, tick):
    return np.round(np.round(price / tick) * tick, 6)


@dataclass(frozen=True, eq=False)
class MasterLog:
    """The master's orders on every path, as ``(events, paths)`` arrays padded with ``kind == -1``.

    ``kind``: 0 open (the first cycle), 1 add, 4 roll (take profit, then the next
    cycle's first order at the candle's close), 2 take profit (on the last candle,
    no new cycle), 3 end of the horizon. ``candle`` and ``leg`` say where (leg 0 at
    the open, 1 on the way down, 2 on the way up, 3 at the close, 4 after the last
    close); ``price`` is the event's price (the buy price, or the take-profit price of
    a roll); ``buy_price`` and ``buy_size`` (BTC) the order bought, if any;
    ``master_size`` and ``master_entry`` the master's position after the event.
    ``count`` is the number of events of each path.

    The ``segment_*`` arrays describe the stretch of prices the position went
    through before each event: it starts in candle ``segment_start`` at
    ``segment_level`` (inf: from that candle's open), ends in the event's candle at
    ``segment_end_low`` (the lowest price reached there before the event), and its
    lowest price is ``segment_min``.
    """

    strategy: MasterStrategy
    kind: np.ndarray
    candle: np.ndarray
    leg: np.ndarray
    price: np.ndarray
    buy_price: np.ndarray
    buy_size: np.ndarray
    master_size: np.ndarray
    master_entry: np.ndarray
    count: np.ndarray
    segment_start: np.ndarray = field(repr=False)
    segment_level: np.ndarray = field(repr=False)
    segment_end_low: np.ndarray = field(repr=False)
    segment_min: np.ndarray = field(repr=False)

    @property
    def n_paths(self) -> int:
        return self.kind.shape[1]

    def cycles(self) -> np.ndarray:
        """Completed cycles (take profits) per path."""
        return ((self.kind == TAKE_PROFIT) | (self.kind == ROLL)).sum(axis=0)

    def path_events(self, index, candles: Candles | None = None) -> pd.DataFrame:
        """One path's master orders as a table (a roll shows as its two orders)."""
        rows = []
        for e in range(int(self.count[index])):
            kind, t = int(self.kind[e, index]), int(self.candle[e, index])
            size, entry = self.master_size[e, index], self.master_entry[e, index]
            if kind in (TAKE_PROFIT, ROLL):
                sold = self.master_size[e - 1, index]
                rows.append((t, "take profit", self.price[e, index], -sold, 0.0, np.nan))
            if kind in (OPEN, ROLL):
                rows.append((t, "open", self.buy_price[e, index], self.buy_size[e, index], size, entry))
            elif kind == ADD:
                rows.append((t, "add", self.buy_price[e, index], self.buy_size[e, index], size, entry))
        frame = pd.DataFrame(rows, columns=["candle", "order", "price", "size (BTC)", "master position (BTC)",
                                            "master average entry"])
        if candles is not None:
            frame.insert(0, "hour", frame["candle"] * candles.interval_minutes // 60)
        return frame


def master_trades(candles: Candles, strategy: MasterStrategy) -> MasterLog:
    """Every order of the master's martingale on every path (vectorised across paths).

    Each round of the loop moves every path to its next order at once: the rest of
    the current candle is checked directly, whole candles with the paths' scanner.

    Three flat one-hour candles, each opening lower than the last closed (gaps):

    >>> prices = np.array([[60_000.0, 57_000.0, 54_000.0]])
    >>> log = master_trades(Candles(prices, prices, prices, prices), MasterStrategy(doublings=2))
    >>> [KIND_NAMES[k] for k in log.kind[: log.count[0], 0]]
    ['open', 'add', 'add', 'end']
    >>> log.buy_price[:3, 0].tolist(), log.buy_size[:3, 0].round(4).tolist()
    ([60000.0, 57000.0, 54000.0], [0.0016, 0.0032, 0.0064])

    The second add was due at 54,150 (5 % below 57,000); the candle opened below it,
    so the resting buy order filled at the open.
    """
    if not isinstance(candles, Candles):
        raise MarginInputError(f"candles must be a Candles object from price_paths, got {type(candles).__name__}")
    if not isinstance(strategy, MasterStrategy):
        raise MarginInputError(f"strategy must be a MasterStrategy, got {type(strategy).__name__}")
    return _assemble(candles, strategy, _MasterRun(candles, strategy).run())


class _Orders(NamedTuple):
    """Some of the master's events, one entry per path concerned (written down in time order per path)."""

    path: np.ndarray
    kind: np.ndarray
    candle: np.ndarray
    leg: np.ndarray
    price: np.ndarray
    size: np.ndarray  # BTC bought or sold
    master_size: np.ndarray  # the master's position after the event
    master_entry: np.ndarray


class _MasterRun:
    """The master's martingale on every path, moved from order to order for all paths at once.

    The state of each path: the candle ``t`` it is in and the price ``reached``
    inside it (inf: the candle has not started), its cycle's first order in
    contracts, the number of orders placed in the cycle, the position, and the two
    resting orders (the next buy level and the take-profit level).
    """

    def __init__(self, candles: Candles, strategy: MasterStrategy):
        spec = contract(strategy.symbol)
        self.candles, self.strategy = candles, strategy
        self.contract_size, self.tick = spec.contract_size, spec.tick_size
        P, self.T = candles.open.shape
        self.t = np.zeros(P, dtype=np.int64)
        self.reached = candles.open[:, 0].copy()
        self.done = np.zeros(P, dtype=bool)
        self.first_contracts = np.zeros(P, dtype=np.int64)
        self.orders_placed = np.zeros(P, dtype=np.int64)
        self.size = np.zeros(P)
        self.entry = np.zeros(P)
        self.add_level = np.full(P, -np.inf)
        self.take_profit_level = np.full(P, np.inf)
        self.events: list[_Orders] = []

    def record(self, paths, kind, t, leg, price, size, master_size, master_entry):
        self.events.append(_Orders(paths, np.full(paths.size, kind), t, np.full(paths.size, leg),
                                   price, size, master_size, master_entry))

    def run(self) -> list:
        """Every path's orders, from the first open to the end of the horizon."""
        c = self.candles
        P = c.n_paths
        rows = np.arange(P)
        self.open_cycle(rows, self.t.copy(), c.open[:, 0].copy(), AT_OPEN)
        while not self.done.all():
            partial = np.flatnonzero(~self.done & (self.reached < np.inf))
            fresh = np.flatnonzero(~self.done & (self.reached == np.inf))
            if partial.size:
                self.finish_candle(partial)
            if fresh.size:
                self.next_candle_with_an_order(fresh)
        self.record(rows, END, np.full(P, self.T - 1), AFTER_CLOSE, c.close[:, -1].copy(), np.zeros(P),
                    self.size.copy(), np.where(self.size > 0, self.entry, np.nan))
        return self.events

    def finish_candle(self, i):
        """The rest of the candle, after a buy on its way down: another buy, a take profit, or nothing."""
        c = self.candles
        ti = self.t[i]
        buys = self.add_level[i] >= c.low[i, ti]
        if buys.any():
            self.add(i[buys], ti[buys], self.add_level[i[buys]].copy(), DOWN)
        i, ti = i[~buys], ti[~buys]
        sells = c.high[i, ti] >= self.take_profit_level[i]
        if sells.any():
            self.take_profit(i[sells], ti[sells], self.take_profit_level[i[sells]].copy(), UP)
        i = i[~sells]
        self.t[i] += 1
        self.reached[i] = np.inf
        self.done[i[self.t[i] >= self.T]] = True

    def next_candle_with_an_order(self, i):
        """Jump to the next candle where one of the resting orders fills, and fill it."""
        c, T = self.candles, self.T
        ts = c.scanner().first(i, self.t[i], np.full(i.size, T - 1), self.add_level[i], self.take_profit_level[i])
        self.done[i[ts < 0]] = True
        i, ts = i[ts >= 0], ts[ts >= 0]
        self.t[i] = ts
        op = c.open[i, ts]
        gap_sell = op >= self.take_profit_level[i]
        gap_buy = ~gap_sell & (op <= self.add_level[i])
        down_buy = ~gap_sell & ~gap_buy & (c.low[i, ts] <= self.add_level[i])
        up_sell = ~gap_sell & ~gap_buy & ~down_buy
        if gap_sell.any():
            self.take_profit(i[gap_sell], ts[gap_sell], op[gap_sell], AT_OPEN)
        if gap_buy.any():
            self.add(i[gap_buy], ts[gap_buy], op[gap_buy], AT_OPEN)
        if down_buy.any():
            self.add(i[down_buy], ts[down_buy], self.add_level[i[down_buy]].copy(), DOWN)
        if up_sell.any():
            self.take_profit(i[up_sell], ts[up_sell], self.take_profit_level[i[up_sell]].copy(), UP)

    def open_cycle(self, i, ti, price, leg):
        s = self.strategy
        self.first_contracts[i] = _first_contracts(s.first_order, price, self.contract_size)
        self.orders_placed[i] = 1
        self.size[i] = self.first_contracts[i] * self.contract_size
        self.entry[i] = price
        self.add_level[i] = _round_tick(price * (1 - s.step), self.tick) if s.doublings > 0 else -np.inf
        self.take_profit_level[i] = _round_tick(price * (1 + s.take_profit), self.tick)
        self.record(i, OPEN, ti, leg, price, self.size[i].copy(), self.size[i].copy(), self.entry[i].copy())

    def add(self, i, ti, price, leg):
        s = self.strategy
        q = (self.first_contracts[i] * s.multiplier ** self.orders_placed[i]) * self.contract_size
        total = q + self.size[i]
        self.entry[i] = (self.size[i] * self.entry[i] + q * price) / total  # Account.open's average, same arithmetic
        self.size[i] = total
        self.orders_placed[i] += 1
        self.add_level[i] = np.where(self.orders_placed[i] <= s.doublings,
                                     _round_tick(price * (1 - s.step), self.tick), -np.inf)
        self.take_profit_level[i] = _round_tick(self.entry[i] * (1 + s.take_profit), self.tick)
        self.record(i, ADD, ti, leg, price, q, self.size[i].copy(), self.entry[i].copy())
        self.reached[i] = price

    def take_profit(self, i, ti, price, leg):
        self.record(i, TAKE_PROFIT, ti, leg, price, self.size[i].copy(), np.zeros(i.size), np.full(i.size, np.nan))
        self.size[i] = 0.0
        again = ti < self.T - 1  # no new cycle at the very last close
        if again.any():
            self.open_cycle(i[again], ti[again], self.candles.close[i[again], ti[again]], AT_CLOSE)
        self.t[i] = ti + 1
        self.reached[i] = np.inf
        self.done[i[~again]] = True


def _assemble(candles: Candles, strategy: MasterStrategy, events: list) -> MasterLog:
    """The events written down during the run, as a :class:`MasterLog` (one column per path)."""
    P, T = candles.open.shape
    columns = _Orders(*(np.concatenate(parts) for parts in zip(*events)))
    order = np.argsort(columns.path, kind="stable")  # each path's events stay in time order
    path, kind, t, leg, price, size, msize, mentry = (col[order] for col in columns)
    sells = (kind == TAKE_PROFIT) | (kind == END)
    buy_price = np.where(sells, np.nan, price)
    buy_size = np.where(sells, 0.0, size)
    # a take profit and the next cycle's first order at the same close become one event: a roll
    reopen = np.flatnonzero((kind == OPEN) & (leg == AT_CLOSE))
    sold = reopen - 1  # always the take profit just before, on the same path
    kind[sold] = ROLL
    buy_price[sold], buy_size[sold] = price[reopen], size[reopen]
    msize[sold], mentry[sold] = msize[reopen], mentry[reopen]
    keep = np.ones(path.size, dtype=bool)
    keep[reopen] = False
    path, kind, t, leg, price, buy_price, buy_size, msize, mentry = (
        x[keep] for x in (path, kind, t, leg, price, buy_price, buy_size, msize, mentry))
    count = np.bincount(path, minlength=P)
    E = int(count.max())
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    slot = np.arange(path.size) - first[path]

    def grid(values, fill, dtype=float):
        out = np.full((E, P), fill, dtype=dtype)
        out[slot, path] = values
        return out

    kind_g = grid(kind, NONE, np.int8)
    t_g = grid(t, T - 1, np.int64)
    leg_g = grid(leg, AFTER_CLOSE, np.int8)
    price_g = grid(price, np.nan)
    start, level, end_low, seg_min = _stretches(candles, kind_g, t_g, leg_g, price_g)
    return MasterLog(
        strategy=strategy, kind=kind_g, candle=t_g, leg=leg_g, price=price_g,
        buy_price=grid(buy_price, np.nan), buy_size=grid(buy_size, 0.0),
        master_size=grid(msize, 0.0), master_entry=grid(mentry, np.nan),
        count=count, segment_start=start, segment_level=level, segment_end_low=end_low, segment_min=seg_min,
    )


def _stretches(candles: Candles, kind, t, leg, price):
    """The stretch of prices a follower's position goes through before each event.

    Candles ``[start, candle]`` (the event's own candle only down to the event,
    ``end_low``), starting at ``level`` inside the first one (inf: from that candle's
    open), and the lowest price of the stretch. After a roll the position was bought
    at the close, so its stretch starts with the next candle.
    """
    o, l = candles.open, candles.low
    E, P = kind.shape
    T = candles.n_candles
    prev_t = np.vstack([t[:1], t[:-1]])
    prev_leg = np.vstack([np.full((1, P), AT_CLOSE, dtype=np.int8), leg[:-1]])
    prev_kind = np.vstack([np.full((1, P), NONE, dtype=np.int8), kind[:-1]])
    prev_price = np.vstack([np.full((1, P), np.nan), price[:-1]])
    inside_candle = ((prev_leg == AT_OPEN) | (prev_leg == DOWN)) & (prev_kind != ROLL)
    start = np.where(inside_candle, prev_t, np.minimum(prev_t + 1, T - 1))
    level = np.where(inside_candle, prev_price, np.inf)
    cols = np.arange(P)[None, :]
    end_low = np.where(leg == AT_OPEN, o[cols, t], np.where(leg == DOWN, price, l[cols, t]))
    # minimum of the lows of candles [start, candle) with one reduceat over the flattened lows
    # (path by path, so that consecutive ranges are next to each other: O(paths x candles))
    flat = np.concatenate([l.ravel(), [np.inf]])
    a = (cols * T + start).T.ravel()
    b = (cols * T + t).T.ravel()
    pairs = np.empty(2 * a.size, dtype=np.int64)
    pairs[0::2], pairs[1::2] = a, b
    lows = np.minimum.reduceat(flat, pairs)[0::2]
    lows = np.where(a < b, lows, np.inf).reshape(P, E).T
    seg_min = np.minimum(lows, end_low)
    seg_min[0] = np.inf  # nothing happens before the first open
    seg_min[kind == NONE] = np.inf  # padding after the end of the horizon
    seg_min[start > t] = np.inf  # an empty stretch
    return start, level, end_low, seg_min
