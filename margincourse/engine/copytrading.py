"""Copy trading a martingale master: a vectorised Monte Carlo engine.

A *master trader* runs a martingale on BTCUSDT: open a long; each time the price
falls ``step`` (e.g. 5 %) below the last buy, buy again, twice as much as the
previous order, up to ``doublings`` times; sell everything once the price is
``take_profit`` above the average entry; start again. A *follower* copies every
order proportionally into its own account, with its own settings
(:class:`FollowerSettings`): margin mode, leverage, a budget for this trader,
auto-add margin, a stop-loss. This module runs that over many seeded price paths
at once and reports, per path, what became of the follower's whole account.

Everything is computation: no widgets, no figures (the lessons draw them).

    paths = price_paths(1_000, 2_160, seed=0)          # 90 days of one-hour candles
    result = simulate(paths, MasterStrategy(), FollowerSettings("isolated", 10, 100.0))
    result.paths          # one row per path: final equity, lost_account, max_drawdown, trades ...
    result.summary()      # probability of losing the account, percentiles, win rate ...

The price paths
---------------
:func:`price_paths` draws a ``(paths x candles)`` array of one-hour BTC-like
candles with ``numpy.random.default_rng(seed)``. The calibration is the one of
:func:`margincourse.generate_path` (its defaults, see :mod:`margincourse.engine.paths`):
Student-t log returns with 3 degrees of freedom scaled to 60 % annualised
volatility, no drift, about 6 jumps a year with a normal size of 4 % standard
deviation, and each candle's high and low drawn from the exact law of the maximum
and minimum of a Brownian bridge between its open and close. One difference, on
purpose: a jump happens *between* candles, as a gap (the candle opens at the
jumped price), because a fast move skips prices and that is what makes a stop-loss
fill badly. Prices are on BTCUSDT's 0.1 USDT tick. Same seed, same paths.

The order of prices inside a candle
-----------------------------------
A candle is walked ``open -> low -> high -> close``: a long meets its worst price
first (the cautious convention of :meth:`margincourse.Account.step`). Between the
previous close and the open the price *gaps* (nothing trades in between); inside
the candle it moves continuously. So, inside one candle, in this order:

1. At the open: if the price gapped through the follower's liquidation price, the
   position is liquidated at the open; through its stop, the stop fires at the open.
   The exchange acts before any copied order arrives.
2. On the way down to the low, levels are met from the highest to the lowest: the
   master's next buy level, the follower's liquidation price (or its auto-add
   trigger, which is the same price), the follower's stop. At equal levels the
   follower's own event comes first.
3. On the way up to the high: the master's take-profit level; the follower's copy is
   closed at the same price. The master opens the next cycle at the candle's close.

The master's buy and take-profit orders are resting limit orders on the 0.1 tick:
a gap through one fills at the open (the better price). A copied order fills at
the master's price (no copy delay). The master's own account is not modelled: it
is assumed deep enough to float every drawdown (the seed's "rely on Cross Margin to
float these massive losses").

The follower
------------
The copy ratio is fixed by :attr:`MasterStrategy.first_order`: the master's first
order, scaled to the follower's account, is that many USDT of BTC (in whole
contracts of 0.0001 BTC); order ``k`` of a cycle is ``multiplier**k`` (``2**k``)
times as large. The follower's exchange rules are exactly
:class:`margincourse.Account`'s (Binance-style one-way mode: every add merges into
one position with a size-weighted average entry; margin, risk tier and liquidation
price are recomputed after every add; liquidation prices come from
:func:`margincourse.liquidation_price_for_tiers` with :func:`margincourse.tier_table`;
a liquidation loses the whole collateral behind the position, the bucket in
isolated mode and the whole cross wallet in cross mode; auto-add margin follows
Bybit's rule, the position's initial margin each time, up to 1x). The copy rules
on top:

* **Budget per trader** (risk reconstruction, seed 000): a running allowance that
  starts at ``budget_per_trader`` and moves with everything this trader's copies
  have gained or lost (fees included). An order is copied only if its initial
  margin plus fee fits in the allowance minus the margin already in use, *and* in
  the account's available balance (:attr:`margincourse.Account.available_balance`),
  and its leverage is allowed by the risk tier; otherwise it is skipped, as a copy
  platform skips an order the follower cannot pay for. ``None`` means the whole
  account is the budget. In cross mode the budget only limits order sizes: losses
  are paid from the whole cross wallet.
* Once an order of a cycle is skipped, the follower copies none of that cycle's
  later orders: it holds what it has until the master takes profit (its average
  entry is then higher than the master's, so that close can be a loss).
* After the follower's copy is liquidated or stopped out, the follower sits out the
  rest of that cycle and copies the master's next first order.
* **Stop-loss** (software): closes the copy when its unrealized loss reaches
  ``stop_loss x budget``. The trigger price is
  ``average entry - stop_loss x budget / size``, recomputed after every add. The stop
  is a market order: it fills at ``trigger x (1 - stop_slippage)``; if the candle
  *opened* below the trigger (a gap), at ``open x (1 - stop_slippage)``; never below
  the candle's low. If that fill would be at or beyond the liquidation price, the
  exchange liquidates the position first, at the liquidation price.

Fees: ``taker_fee`` on the notional of every fill (Account's rule), and
``liquidation_fee`` on the notional liquidated, taken from the liquidated
collateral. A master's profit share is not modelled.

Speed
-----
The engine loops over the master's orders (a few dozen per path), never over
candles: each step moves every path at once, and the candle where something
happens is found with numpy over whole stretches. :func:`simulate_many` and
:func:`outcomes` run several settings (and several strategies) in one batched
pass. See ``tests/test_copytrading.py`` for the measured budget.

Validation
----------
:func:`replay_with_account` runs the same trades for one path through
:class:`margincourse.Account`, one price move at a time; the tests check that it
gives the vectorised result to the cent (equity at every close, the ledger, the
counts of liquidations, top-ups and stops), and that money is conserved on every
path (the account's :class:`~margincourse.engine.events.Ledger` identity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import formulas
from .account import Account
from ..basics.errors import MarginInputError, check_between, check_choice, check_positive, fmt
from .paths import MINUTES_PER_YEAR, bridge_extremes, candles_on_tick, check_calibration
from .specs import contract, exchanges, tier_table

__all__ = [
    "Candles",
    "MasterStrategy",
    "FollowerSettings",
    "MasterLog",
    "CopyResult",
    "price_paths",
    "master_trades",
    "simulate",
    "simulate_many",
    "outcomes",
    "compare",
    "replay_with_account",
    "MINUTES_PER_YEAR",
]

SYMBOL = "BTCUSDT"

# Master event kinds and where in the candle they happen ("legs").
NONE, OPEN, ADD, TAKE_PROFIT, END, ROLL = -1, 0, 1, 2, 3, 4
KIND_NAMES = {OPEN: "open", ADD: "add", TAKE_PROFIT: "take profit", END: "end",
              ROLL: "take profit, then open the next cycle at the close"}
AT_OPEN, DOWN, UP, AT_CLOSE, AFTER_CLOSE = 0, 1, 2, 3, 4

_WINDOW = 64  # candles scanned at once when looking for the next event


# ============================================================== price paths


@dataclass(frozen=True, eq=False)
class Candles:
    """Many candle paths at once: ``open``, ``high``, ``low``, ``close`` are ``(paths, candles)`` arrays."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    interval_minutes: int = 60
    seed: int | None = None

    def __post_init__(self):
        arrays = [np.ascontiguousarray(np.asarray(a, dtype=float))
                  for a in (self.open, self.high, self.low, self.close)]
        shape = arrays[0].shape
        if len(shape) != 2 or shape[1] < 1 or shape[0] < 1:
            raise MarginInputError(
                f"candles must be (paths, candles) arrays with at least one of each, got shape {shape}")
        for name, a in zip(("open", "high", "low", "close"), arrays):
            if a.shape != shape:
                raise MarginInputError(f"{name} must have the shape of open {shape}, got {a.shape}")
            if not np.isfinite(a).all() or (a <= 0).any():
                raise MarginInputError(f"{name} prices must be finite and above 0")
        o, h, l, c = arrays
        if (l > np.minimum(o, c)).any() or (h < np.maximum(o, c)).any():
            raise MarginInputError("each candle must have low <= open, close <= high")
        for name, a in zip(("open", "high", "low", "close"), arrays):
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    @property
    def n_paths(self) -> int:
        return self.open.shape[0]

    @property
    def n_candles(self) -> int:
        return self.open.shape[1]

    def days(self) -> np.ndarray:
        """The time of each candle's close, in days from the start."""
        return (np.arange(self.n_candles) + 1) * self.interval_minutes / (24 * 60)

    def path(self, index) -> pd.DataFrame:
        """One path as a candle DataFrame (columns open, high, low, close; index: days)."""
        return pd.DataFrame(
            {"open": self.open[index], "high": self.high[index], "low": self.low[index], "close": self.close[index]},
            index=pd.Index(self.days(), name="day"),
        )

    def scanner(self) -> "_Scanner":
        """The block summaries used to find events quickly (built once per Candles)."""
        cached = self.__dict__.get("_scanner")
        if cached is None:
            cached = _Scanner(self)
            object.__setattr__(self, "_scanner", cached)
        return cached

    def subset(self, paths) -> "Candles":
        """Some of the paths (an index, a slice or a list of path numbers)."""
        take = np.atleast_1d(np.arange(self.n_paths)[paths])
        return Candles(self.open[take], self.high[take], self.low[take], self.close[take],
                       self.interval_minutes, self.seed)


def price_paths(
    n_paths=1_000,
    n_candles=2_160,
    *,
    seed=0,
    start_price=60_000.0,
    interval_minutes=60,
    annual_volatility=0.6,
    jumps_per_year=6.0,
    jump_volatility=0.04,
    tail_dof=3.0,
    tick_size=0.1,
) -> Candles:
    """``n_paths`` seeded BTC-like candle paths of ``n_candles`` candles (default: 90 days of hours).

    The calibration is :func:`margincourse.generate_path`'s (see the module notes),
    with jumps as gaps between candles. ``numpy.random.default_rng(seed)`` draws
    everything, so the same arguments give the same paths on every machine.

    >>> paths = price_paths(3, 24, seed=1)
    >>> paths.open.shape, float(paths.open[0, 0])
    ((3, 24), 60000.0)
    >>> bool((paths.low <= np.minimum(paths.open, paths.close)).all())
    True
    """
    for name, n, high in (("n_paths", n_paths, 100_000), ("n_candles", n_candles, 1_000_000)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= high:
            raise MarginInputError(f"{name} must be a whole number between 1 and {fmt(high)}, got {n!r}")
    start_price, tick = check_calibration(start_price, annual_volatility, jumps_per_year, jump_volatility, tail_dof,
                                          tick_size, seed)
    check_between("interval_minutes", interval_minutes, 1, 1_440)
    shape = (int(n_paths), int(n_candles))
    rng = np.random.default_rng(seed)
    dt = interval_minutes / MINUTES_PER_YEAR
    sigma = annual_volatility * math.sqrt(dt)
    t_scale = math.sqrt((tail_dof - 2) / tail_dof)  # unit-variance Student-t
    inside = -0.5 * annual_volatility**2 * dt + sigma * t_scale * rng.standard_t(tail_dof, size=shape)
    # Poisson jumps: the total number, then where they fall (the same law as a Poisson count per candle)
    count = rng.poisson(jumps_per_year * dt * shape[0] * (shape[1] - 1))
    where = rng.integers(0, shape[0] * (shape[1] - 1), size=count) if shape[1] > 1 else np.zeros(0, dtype=int)
    jumps = np.zeros(shape)
    np.add.at(jumps[:, 1:], np.unravel_index(where, (shape[0], shape[1] - 1)), rng.normal(0.0, jump_volatility, count))
    log_close = math.log(start_price) + np.cumsum(inside + jumps, axis=1)
    log_open = log_close - inside
    # the wicks inside each candle, as in margincourse.engine.paths.generate_path
    log_high, log_low = bridge_extremes(log_open, inside, sigma, rng.standard_exponential(shape),
                                        rng.standard_exponential(shape))
    log_open[:, 0] = math.log(round(start_price / tick) * tick)
    o, c, h, l = candles_on_tick(log_open, log_close, log_high, log_low, tick)
    return Candles(o, h, l, c, int(interval_minutes), int(seed))


# ============================================================== settings


@dataclass(frozen=True)
class MasterStrategy:
    """The master's martingale, with order sizes already scaled to the follower's copy ratio.

    ``first_order`` USDT of BTC opens a cycle (rounded down to whole contracts, at
    least one); each time the price falls ``step`` below the last buy, the master buys
    ``multiplier`` times the previous order, at most ``doublings`` times per cycle;
    everything is sold at ``take_profit`` above the average entry.
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


@dataclass(frozen=True)
class FollowerSettings:
    """How the follower copies: its own margin mode, leverage, budget and safety nets.

    ``budget_per_trader`` is the allowance for this trader in USDT (``None``: the
    whole account). ``stop_loss`` is ``None`` or the fraction of that budget the copy
    may lose before a stop-loss market order closes it; ``stop_slippage`` is how much
    worse than its trigger (or than a gapped open) the stop fills, as a fraction of
    the price. ``ruin_level`` is the fraction of the starting balance under which the
    account counts as lost.
    """

    margin_mode: str = "isolated"
    leverage: float = 10
    budget_per_trader: float | None = 100.0
    auto_add_margin: bool = False
    stop_loss: float | None = None
    stop_slippage: float = 0.005
    starting_balance: float = 1_000.0
    taker_fee: float = 0.0005
    liquidation_fee: float = 0.0125
    exchange: str = "binance"
    ruin_level: float = 0.01

    def __post_init__(self):
        check_choice("margin_mode", self.margin_mode, ("cross", "isolated"))
        start = check_positive("starting_balance", self.starting_balance)
        check_between("leverage", self.leverage, 1, contract(SYMBOL).max_leverage, context=f" for {SYMBOL}")
        if self.budget_per_trader is not None:
            check_between("budget_per_trader", self.budget_per_trader, 1e-9, start,
                          context=" USDT (the starting balance)")
        if not isinstance(self.auto_add_margin, bool):
            raise MarginInputError(f"auto_add_margin must be True or False, got {self.auto_add_margin!r}")
        if self.auto_add_margin and self.margin_mode != "isolated":
            raise MarginInputError("auto_add_margin must be False in cross mode: it is an isolated-margin feature")
        if self.stop_loss is not None:
            check_between("stop_loss", self.stop_loss, 1e-6, 10, context=" (a fraction of the budget)")
            if self.auto_add_margin:
                raise MarginInputError(
                    "stop_loss must be None when auto_add_margin is on: this model does not combine the two"
                )
        check_between("stop_slippage", self.stop_slippage, 0, 0.5)
        check_between("taker_fee", self.taker_fee, 0, 0.01)
        check_between("liquidation_fee", self.liquidation_fee, 0, 0.1)
        check_choice("exchange", self.exchange, exchanges(SYMBOL))
        check_between("ruin_level", self.ruin_level, 0, 1)

    @property
    def budget(self) -> float:
        """The budget in USDT (the starting balance when ``budget_per_trader`` is None)."""
        return self.starting_balance if self.budget_per_trader is None else float(self.budget_per_trader)

    def describe(self) -> str:
        """A one-line summary such as ``'isolated, 10x, budget 100 USDT'``."""
        parts = [self.margin_mode, f"{fmt(self.leverage)}x",
                 "whole account" if self.budget_per_trader is None else f"budget {fmt(self.budget)} USDT"]
        if self.auto_add_margin:
            parts.append("auto-add margin on")
        if self.stop_loss is not None:
            parts.append(f"stop-loss at {fmt(self.stop_loss * self.budget)} USDT loss, "
                         f"{fmt(self.stop_slippage * 100)} % slippage")
        return ", ".join(parts)


def _first_contracts(first_order, price, contract_size):
    return np.maximum(1, np.floor(first_order / (price * contract_size) + 1e-9)).astype(np.int64)


def _round_tick(price, tick):
    return np.round(np.round(price / tick) * tick, 6)


# ============================================================== scanning


class _Scanner:
    """Find, for many paths at once, the first candle where a level is reached.

    A window of ``_WINDOW`` candles is checked with numpy; where nothing is found,
    per-block minima of the lows (maxima of the highs) skip the blocks that cannot
    hold the candle, so every search takes a handful of numpy calls however long
    the quiet stretch is.
    """

    def __init__(self, candles: Candles):
        P, T = candles.n_paths, candles.n_candles
        self.T = T
        self.low = candles.low.ravel()
        self.high = candles.high.ravel()
        n_blocks = -(-T // _WINDOW)
        pad = ((0, 0), (0, n_blocks * _WINDOW - T))
        self.block_low = np.pad(candles.low, pad, constant_values=np.inf).reshape(P, n_blocks, _WINDOW).min(axis=2)
        self.block_high = np.pad(candles.high, pad, constant_values=-np.inf).reshape(P, n_blocks, _WINDOW).max(axis=2)
        self.blocks = np.arange(n_blocks)
        self.offsets = np.arange(_WINDOW)

    def first(self, rows, start, end, low_level, high_level=None, end_low=None):
        """For each path ``rows[k]``: the first candle in ``[start[k], end[k]]`` whose low is at or
        below ``low_level[k]`` (or whose high is at or above ``high_level[k]``); -1 if none.

        ``end_low`` replaces the low of the candle ``end`` (the price only goes that far
        in it before the stretch ends).
        """
        T, W = self.T, _WINDOW
        out = np.full(rows.size, -1, dtype=np.int64)
        k = np.arange(rows.size)
        start = start.copy()
        while k.size:
            r, s, e = rows[k], start[k], end[k]
            window = s[:, None] + self.offsets
            inside = window <= e[:, None]
            flat = r[:, None] * T + np.minimum(window, T - 1)
            lows = self.low[flat]
            if end_low is not None:
                lows = np.where(window == e[:, None], end_low[k, None], lows)
            hit = lows <= low_level[k, None]
            if high_level is not None:
                hit |= self.high[flat] >= high_level[k, None]
            hit &= inside
            found = hit.any(axis=1)
            out[k[found]] = s[found] + hit[found].argmax(axis=1)
            further = ~found & (s + W <= e)
            if not further.any():
                break
            k, r, s, e = k[further], r[further], s[further], e[further]
            block_hit = self.block_low[r] <= low_level[k, None]
            if high_level is not None:
                block_hit |= self.block_high[r] >= high_level[k, None]
            block_hit &= (self.blocks >= ((s + W) // W)[:, None]) & (self.blocks * W <= e[:, None])
            some = block_hit.any(axis=1)
            start[k] = np.maximum(s + W, block_hit.argmax(axis=1) * W)
            k = k[some]
        return out


# ============================================================== the master


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
    the current candle is checked directly, whole candles with :class:`_Scanner`.

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
    spec = contract(strategy.symbol)
    cs, tick = spec.contract_size, spec.tick_size
    o, h, l, c = candles.open, candles.high, candles.low, candles.close
    P, T = o.shape
    N = strategy.doublings
    rows = np.arange(P)
    scanner = candles.scanner()
    records = []

    def record(paths, kind, t, leg, price, size, msize, mentry):
        records.append((paths, np.full(paths.size, kind), t, np.full(paths.size, leg),
                        price, size, msize, mentry))

    # state of every path
    t = np.zeros(P, dtype=np.int64)
    cur = o[:, 0].copy()  # price reached inside candle t; inf: candle t not started
    done = np.zeros(P, dtype=bool)
    base = np.zeros(P, dtype=np.int64)  # first order's contracts in this cycle
    k = np.zeros(P, dtype=np.int64)  # orders placed in this cycle
    size = np.zeros(P)
    entry = np.zeros(P)
    add_level = np.full(P, -np.inf)
    tp_level = np.full(P, np.inf)

    def open_cycle(i, ti, price, leg):
        base[i] = _first_contracts(strategy.first_order, price, cs)
        k[i] = 1
        size[i] = base[i] * cs
        entry[i] = price
        add_level[i] = _round_tick(price * (1 - strategy.step), tick) if N > 0 else -np.inf
        tp_level[i] = _round_tick(price * (1 + strategy.take_profit), tick)
        record(i, OPEN, ti, leg, price, size[i].copy(), size[i].copy(), entry[i].copy())

    def add(i, ti, price, leg):
        q = (base[i] * strategy.multiplier ** k[i]) * cs
        total = q + size[i]
        entry[i] = (size[i] * entry[i] + q * price) / total  # Account.open's average, same arithmetic
        size[i] = total
        k[i] += 1
        add_level[i] = np.where(k[i] <= N, _round_tick(price * (1 - strategy.step), tick), -np.inf)
        tp_level[i] = _round_tick(entry[i] * (1 + strategy.take_profit), tick)
        record(i, ADD, ti, leg, price, q, size[i].copy(), entry[i].copy())
        cur[i] = price

    def take_profit(i, ti, price, leg):
        record(i, TAKE_PROFIT, ti, leg, price, size[i].copy(), np.zeros(i.size), np.full(i.size, np.nan))
        size[i] = 0.0
        again = ti < T - 1  # no new cycle at the very last close
        if again.any():
            open_cycle(i[again], ti[again], c[i[again], ti[again]], AT_CLOSE)
        t[i] = ti + 1
        cur[i] = np.inf
        done[i[~again]] = True

    open_cycle(rows, t.copy(), o[:, 0].copy(), AT_OPEN)
    while not done.all():
        partial = np.flatnonzero(~done & (cur < np.inf))
        fresh = np.flatnonzero(~done & (cur == np.inf))
        if partial.size:  # the rest of a candle, after a buy on its way down
            i = partial
            ti = t[i]
            buys = add_level[i] >= l[i, ti]
            if buys.any():
                add(i[buys], ti[buys], add_level[i[buys]].copy(), DOWN)
            i, ti = i[~buys], ti[~buys]
            sells = h[i, ti] >= tp_level[i]
            if sells.any():
                take_profit(i[sells], ti[sells], tp_level[i[sells]].copy(), UP)
            i = i[~sells]
            t[i] += 1
            cur[i] = np.inf
            done[i[t[i] >= T]] = True
        if fresh.size:  # the next candle where the master acts
            i = fresh
            ts = scanner.first(i, t[i], np.full(i.size, T - 1), add_level[i], tp_level[i])
            done[i[ts < 0]] = True
            i, ts = i[ts >= 0], ts[ts >= 0]
            t[i] = ts
            op = o[i, ts]
            gap_sell = op >= tp_level[i]
            gap_buy = ~gap_sell & (op <= add_level[i])
            down_buy = ~gap_sell & ~gap_buy & (l[i, ts] <= add_level[i])
            up_sell = ~gap_sell & ~gap_buy & ~down_buy
            if gap_sell.any():
                take_profit(i[gap_sell], ts[gap_sell], op[gap_sell], AT_OPEN)
            if gap_buy.any():
                add(i[gap_buy], ts[gap_buy], op[gap_buy], AT_OPEN)
            if down_buy.any():
                add(i[down_buy], ts[down_buy], add_level[i[down_buy]].copy(), DOWN)
            if up_sell.any():
                take_profit(i[up_sell], ts[up_sell], tp_level[i[up_sell]].copy(), UP)
    record(rows, END, np.full(P, T - 1), AFTER_CLOSE, c[:, -1].copy(), np.zeros(P), size.copy(),
           np.where(size > 0, entry, np.nan))
    return _assemble(candles, strategy, records)


def _assemble(candles, strategy, records):
    o, l = candles.open, candles.low
    P, T = o.shape
    columns = [np.concatenate([r[n] for r in records]) for n in range(8)]
    order = np.argsort(columns[0], kind="stable")  # each path's events stay in time order
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
    # The stretch of prices a follower's position goes through before each event:
    # candles [start, candle] (the event's own candle only down to the event), starting
    # at `level` inside the first one (inf: from that candle's open). After a roll the
    # position was bought at the close, so its stretch starts with the next candle.
    prev_t = np.vstack([t_g[:1], t_g[:-1]])
    prev_leg = np.vstack([np.full((1, P), AT_CLOSE, dtype=np.int8), leg_g[:-1]])
    prev_kind = np.vstack([np.full((1, P), NONE, dtype=np.int8), kind_g[:-1]])
    prev_price = np.vstack([np.full((1, P), np.nan), price_g[:-1]])
    inside_candle = ((prev_leg == AT_OPEN) | (prev_leg == DOWN)) & (prev_kind != ROLL)
    start = np.where(inside_candle, prev_t, np.minimum(prev_t + 1, T - 1))
    level = np.where(inside_candle, prev_price, np.inf)
    cols = np.arange(P)[None, :]
    end_low = np.where(leg_g == AT_OPEN, o[cols, t_g], np.where(leg_g == DOWN, price_g, l[cols, t_g]))
    # minimum of the lows of candles [start, candle) with one reduceat over the flattened lows
    # (path by path, so that consecutive ranges are next to each other: O(paths x candles))
    flat = np.concatenate([l.ravel(), [np.inf]])
    a = (cols * T + start).T.ravel()
    b = (cols * T + t_g).T.ravel()
    pairs = np.empty(2 * a.size, dtype=np.int64)
    pairs[0::2], pairs[1::2] = a, b
    lows = np.minimum.reduceat(flat, pairs)[0::2]
    lows = np.where(a < b, lows, np.inf).reshape(P, E).T
    seg_min = np.minimum(lows, end_low)
    seg_min[0] = np.inf  # nothing happens before the first open
    seg_min[kind_g == NONE] = np.inf  # padding after the end of the horizon
    seg_min[start > t_g] = np.inf  # an empty stretch
    return MasterLog(
        strategy=strategy, kind=kind_g, candle=t_g, leg=leg_g, price=price_g,
        buy_price=grid(buy_price, np.nan), buy_size=grid(buy_size, 0.0),
        master_size=grid(msize, 0.0), master_entry=grid(mentry, np.nan),
        count=count, segment_start=start, segment_level=level, segment_end_low=end_low, segment_min=seg_min,
    )


# ============================================================== the follower


@dataclass(frozen=True, eq=False)
class CopyResult:
    """What became of the follower on every path.

    ``paths`` is a DataFrame with one row per path; ``equity`` a ``(paths, candles)``
    array of the whole account's equity at each candle's close (wallet plus unrealized
    PnL); ``days`` the time of each close.
    """

    settings: FollowerSettings
    strategy: MasterStrategy
    paths: pd.DataFrame
    equity: np.ndarray
    days: np.ndarray

    def summary(self) -> pd.Series:
        """The distribution of outcomes in a few numbers (see :func:`summarize`)."""
        return summarize(self.paths, self.settings)

    def equity_percentiles(self, q=(5, 25, 50, 75, 95), every=1) -> pd.DataFrame:
        """Percentiles of equity across paths at every ``every``-th close (rows: days)."""
        values = np.percentile(self.equity[:, every - 1::every], q, axis=0)
        return pd.DataFrame(values.T, index=pd.Index(self.days[every - 1::every], name="day"),
                            columns=[f"p{x}" for x in q])


def summarize(paths: pd.DataFrame, settings: FollowerSettings) -> pd.Series:
    """Probability of losing the account, percentiles of the final balance, win rate ...

    The win rate pools every copied trade that ended (closed at the master's take
    profit, stopped out or liquidated) on every path; a trade counts as a win when
    it left the wallet higher than before its first order (fees included).
    """
    final = paths["final_equity"].to_numpy()
    trades = paths["trades"].sum()
    wins = paths["wins"].sum()
    losses = trades - wins
    q = np.percentile(final, [1, 5, 25, 50, 75, 95])
    return pd.Series({
        "paths": len(paths),
        "P(lose the whole account)": paths["lost_account"].mean(),
        "P(lose more than the budget)": (final < settings.starting_balance - settings.budget - 1e-9).mean(),
        "P(end below the start)": (final < settings.starting_balance).mean(),
        "mean final equity": final.mean(),
        "p1 final equity": q[0],
        "p5 final equity": q[1],
        "p25 final equity": q[2],
        "median final equity": q[3],
        "p75 final equity": q[4],
        "p95 final equity": q[5],
        "worst final equity": final.min(),
        "win rate": wins / trades if trades else 0.0,
        "average win": paths["won"].sum() / wins if wins else 0.0,
        "average loss": paths["lost"].sum() / losses if losses else 0.0,
        "copied trades per path": trades / len(paths),
        "liquidations per path": paths["liquidations"].mean(),
        "median max drawdown": paths["max_drawdown"].median(),
    })


# rows of the follower's state matrix (one column per lane: a path copied with one setting)
(CW, MARGIN, SIZE, ENTRY, START, LP, STOP, SCREEN) = range(8)
# rows of the lanes' settings
(S_LEVERAGE, S_BUDGET, S_ISOLATED, S_AUTO_ADD, S_STOP_LOSS, S_SLIPPAGE, S_EXACT) = range(7)
# rows of the master's event table (one column per path)
(E_KIND, E_CANDLE, E_PRICE, E_BUY_PRICE, E_BUY_SIZE, E_SIZE, E_ENTRY, E_HELD_SIZE, E_HELD_ENTRY,
 E_SEG_MIN, E_SEG_START, E_SEG_LEVEL, E_SEG_END_LOW, E_MAX_LEVERAGE, E_MM) = range(15)


def _event_table(log: MasterLog, tiers) -> np.ndarray:
    """The master's events as one ``(events, rows, paths)`` float array (built once per log and tier table)."""
    key = ("_table", tiers.exchange)
    cached = log.__dict__.get(key)
    if cached is None:
        E, P = log.kind.shape
        cached = np.empty((E, 15, P))
        cached[:, E_KIND] = log.kind
        cached[:, E_CANDLE] = log.candle
        cached[:, E_PRICE] = log.price
        buys = (log.kind == OPEN) | (log.kind == ADD) | (log.kind == ROLL)
        cached[:, E_BUY_PRICE] = np.where(buys, log.buy_price, 1.0)
        cached[:, E_BUY_SIZE] = np.where(buys, log.buy_size, 0.0)
        cached[:, E_SIZE] = np.where(buys, log.master_size, 1.0)
        cached[:, E_ENTRY] = np.where(buys, log.master_entry, 1.0)
        cached[1:, E_HELD_SIZE] = cached[:-1, E_SIZE]  # the position an add is added to
        cached[1:, E_HELD_ENTRY] = cached[:-1, E_ENTRY]
        cached[0, E_HELD_SIZE] = cached[0, E_HELD_ENTRY] = 0.0
        cached[:, E_SEG_MIN] = log.segment_min
        cached[:, E_SEG_START] = log.segment_start
        cached[:, E_SEG_LEVEL] = log.segment_level
        cached[:, E_SEG_END_LOW] = log.segment_end_low
        # the tier of the position after each buy (Account.open checks the leverage against it),
        # 0 where the notional is beyond the table; and the maintenance margin at the entry price
        notional = cached[:, E_SIZE] * cached[:, E_BUY_PRICE]
        cached[:, E_MAX_LEVERAGE] = np.where(notional < tiers.max_notional(), tiers.lookup(notional)[2], 0.0)
        cached[:, E_MM] = tiers.maintenance_margin(cached[:, E_SIZE] * cached[:, E_ENTRY])
        log.__dict__[key] = cached
    return cached


def _merged_table(logs, tiers) -> np.ndarray:
    """The event tables of several master logs side by side (``(events, rows, logs x paths)``),
    the shorter ones padded with events that concern nobody."""
    tables = [_event_table(log, tiers) for log in logs]
    if len(tables) == 1:
        return tables[0]
    E = max(t.shape[0] for t in tables)
    padded = []
    for t in tables:
        if t.shape[0] < E:
            pad = np.repeat(t[-1:], E - t.shape[0], axis=0)  # copies of the last row (the end of the horizon) ...
            pad[:, E_KIND] = NONE  # ... that ask nothing of anyone
            pad[:, E_SEG_MIN] = np.inf
            t = np.concatenate([t, pad])
        padded.append(t)
    return np.concatenate(padded, axis=2)


class _Follower:
    """Followers on every path, advanced one master event at a time, all at once.

    A *lane* is one path copied with one setting; the lanes of several settings run
    together (that is how the lesson's dashboard computes all its slider positions in
    one go). The loop keeps only what decisions need, in one ``(rows, lanes)``
    matrix; what happened (closes, fees, skipped orders, top-ups) is written down
    and totalled after the loop, with the same arithmetic.

    While a cycle is copied in full, the follower's position is the master's (scaled)
    position after the same event. Once an order of a cycle is skipped, the follower
    copies no more orders of that cycle.

    The exact liquidation price (:func:`margincourse.liquidation_price_for_tiers`) is
    needed only for positions that may be reached before the next master order. In
    isolated mode without auto-add it is computed ahead for every order at once;
    otherwise each position carries a cheap upper bound of it,
    ``entry - (backing - MM(size x entry)) / size`` (the maintenance margin grows with
    the notional, so at the lower liquidation price it is smaller than at entry and
    the exact liquidation price can only be lower), and the exact price is computed
    when the bound is reached.
    """

    def __init__(self, candles: Candles, logs, settings: list):
        first = settings[0]
        for other in settings[1:]:
            for name in ("starting_balance", "taker_fee", "liquidation_fee", "exchange"):
                if getattr(other, name) != getattr(first, name):
                    raise MarginInputError(f"settings run together must share {name}, got "
                                           f"{getattr(first, name)!r} and {getattr(other, name)!r}")
        logs = [logs] if isinstance(logs, MasterLog) else list(logs)
        self.c, self.first = candles, first
        self.tiers = tier_table(logs[0].strategy.symbol, first.exchange)
        self.table = _merged_table(logs, self.tiers)
        P, n = candles.n_paths, len(settings)
        C = self.table.shape[2]  # columns of the event table: one per (log, path)
        # a lane is (setting, log, path): lane = setting x C + log x P + path
        self.lane_col = np.tile(np.arange(C), n)
        self.lane_path = self.lane_col % P
        self.identity = n == 1 and C == P
        per_setting = np.array([[s.leverage, s.budget, s.margin_mode == "isolated", s.auto_add_margin,
                                 np.nan if s.stop_loss is None else s.stop_loss, s.stop_slippage,
                                 s.margin_mode == "isolated" and not s.auto_add_margin]
                                for s in settings], dtype=float)
        self.SET = np.repeat(per_setting.T, C, axis=1)
        self.iso = self.SET[S_ISOLATED] > 0
        # isolated without auto-add: the bucket of a fully copied cycle is known ahead, so is the
        # liquidation price after every order (one call per leverage used)
        leverages = sorted({float(row[S_LEVERAGE]) for row in per_setting if row[S_EXACT]})
        self.ahead = np.stack([self._prices_ahead(leverage) for leverage in leverages]) if leverages else None
        which = {leverage: k for k, leverage in enumerate(leverages)}
        self.ahead_index = np.repeat([which.get(float(row[S_LEVERAGE]), 0) for row in per_setting], C)
        self.S = np.zeros((8, n * C))
        self.S[CW] = float(first.starting_balance)  # the cross wallet
        self.S[[LP, STOP, SCREEN]] = -np.inf
        self.has = np.zeros(n * C, dtype=bool)
        self.copying = np.zeros(n * C, dtype=bool)
        # which lanes each master event concerns
        kind = self.table[:, E_KIND]
        offsets = (np.arange(n) * C)[:, None]
        lanes = lambda mask: [(offsets + np.flatnonzero(row)).ravel() for row in mask]  # noqa: E731
        self.sell_lanes = lanes((kind == ROLL) | (kind == TAKE_PROFIT))
        self.first_lanes = lanes((kind == ROLL) | (kind == OPEN))
        self.add_lanes = lanes(kind == ADD)
        # what happened, written down for the totals after the loop
        self.records = []  # (lanes, candle, wallet - size x entry, size): equity = A + size x close
        self.closes = []  # (lanes, price, liquidated, stopped, size, entry, cross wallet, margin, trade start)
        self.orders = []  # (lanes, copied, fee)
        self.top_ups = []  # (lanes, how many, margin moved)

    def _prices_ahead(self, leverage):
        """Liquidation prices of the isolated position after every master buy, fully copied at ``leverage``."""
        t = self.table
        E, P = t.shape[0], t.shape[2]
        kind = t[:, E_KIND]
        buys = (kind == OPEN) | (kind == ADD) | (kind == ROLL)
        m = t[:, E_BUY_SIZE] * t[:, E_BUY_PRICE] / leverage  # Account.open's initial margin
        bucket = np.empty((E, P))
        bucket[0] = m[0]
        for e in range(1, E):  # a cycle's margins add up, order by order
            bucket[e] = np.where(kind[e] == ADD, bucket[e - 1] + m[e], m[e])
        lp = np.full((E, P), -np.inf)
        lp[buys] = formulas.liquidation_price_for_tiers(
            "long", t[:, E_ENTRY][buys], t[:, E_SIZE][buys], bucket[buys], self.tiers)
        return lp

    # ---------------------------------------------------------------- helpers
    def rows(self, e, lanes):
        """The master's event ``e`` for ``lanes`` (rows of :func:`_event_table`)."""
        return self.table[e][:, lanes if self.identity else self.lane_col[lanes]]

    @staticmethod
    def wallet(X, iso):
        """Account.wallet_balance (the cross wallet plus the isolated bucket)."""
        return X[CW] + np.where(iso, X[MARGIN], 0.0)

    @staticmethod
    def backing(X, iso):
        """What backs the position: its bucket (isolated) or the cross wallet (cross)."""
        return np.where(iso, X[MARGIN], np.maximum(X[CW], 1e-12))

    def finish(self, i, t, price, liquidated, stopped):
        """The copies on lanes ``i`` end at ``price``: closed (Account.close) or liquidated (Account's rules)."""
        X, iso = self.S[:, i], self.iso[i]
        size, entry, cw, margin, start = X[[SIZE, ENTRY, CW, MARGIN, START]]  # copies: X changes below
        self.closes.append((i, price, liquidated, stopped, size, entry, cw, margin, start))
        pnl = size * (price - entry)
        freed = np.where(iso, margin, 0.0)
        fee = np.minimum(self.first.taker_fee * size * price, cw + freed + pnl)
        X[CW] = np.where(liquidated, np.where(iso, cw, 0.0), cw + (freed + pnl - fee))
        X[MARGIN:ENTRY + 1] = 0.0
        X[LP:SCREEN + 1] = -np.inf
        self.S[:, i] = X
        self.has[i] = False
        self.copying[i] = False
        self.records.append((i, t, X[CW], np.zeros(i.size)))

    # ---------------------------------------------------------------- copying the master
    def buy(self, i, e, first):
        """Copy master event ``e``'s order on lanes ``i`` (``first``: a cycle's first order) if it can be paid."""
        s, X, R, C = self.first, self.S[:, i], self.rows(e, i), self.SET[:, i]
        iso, leverage = self.iso[i], C[S_LEVERAGE]
        q, price, size, entry = R[E_BUY_SIZE], R[E_BUY_PRICE], R[E_SIZE], R[E_ENTRY]
        m = q * price / leverage  # Account.open: the order's initial margin ...
        f = s.taker_fee * q * price  # ... and its taker fee
        cw = X[CW]
        held = R[E_HELD_SIZE]  # Account.available_balance with the mark at the order's price
        in_cross = np.maximum(0.0, cw + np.minimum(0.0, held * (price - R[E_HELD_ENTRY])) - held * price / leverage)
        available = np.where(iso | first, np.maximum(0.0, cw), in_cross)
        margin = np.where(first, 0.0, X[MARGIN])
        wallet = self.wallet(X, iso)
        ok = ((leverage <= R[E_MAX_LEVERAGE]) & (m + f <= available + 1e-9)
              & (m + f <= C[S_BUDGET] + (wallet - s.starting_balance) - margin + 1e-9))
        self.orders.append((i, ok, f))
        X[START] = np.where(first & ok, wallet, X[START])
        paid = cw - f
        X[CW] = np.where(ok, np.where(iso, paid - m, paid), cw)
        X[MARGIN] = np.where(ok, margin + m, X[MARGIN])
        X[SIZE] = np.where(ok, size, X[SIZE])
        X[ENTRY] = np.where(ok, entry, X[ENTRY])
        stop = entry - C[S_STOP_LOSS] * C[S_BUDGET] / size
        stop = np.where(stop == stop, stop, -np.inf)  # no stop-loss: NaN
        X[STOP] = np.where(ok, stop, X[STOP])
        exact = C[S_EXACT] > 0
        lp = self.lp_ahead(e, i, exact)
        bound = entry - (self.backing(X, iso) - R[E_MM]) / size + 1e-9 * entry
        X[LP] = np.where(ok, lp, X[LP])
        X[SCREEN] = np.where(ok, np.maximum(np.where(exact, lp, bound), stop), X[SCREEN])
        self.S[:, i] = X
        self.has[i] |= ok
        self.copying[i] = ok  # a skipped order ends the copying of this cycle
        self.records.append((i, R[E_CANDLE].astype(np.int64), self.wallet(X, iso) - X[SIZE] * X[ENTRY], X[SIZE]))

    def lp_ahead(self, e, i, exact):
        """The known-ahead liquidation prices at event ``e`` for lanes ``i`` (-inf where not known)."""
        if self.ahead is None:
            return np.full(i.size, -np.inf)
        cols = i if self.identity else self.lane_col[i]
        return np.where(exact, self.ahead[self.ahead_index[i], e, cols], -np.inf)

    # ---------------------------------------------------------------- the follower's own events
    def own_events(self, i, e):
        """Auto-adds, liquidations and stops on the way to master event ``e``, for candidate lanes ``i``.

        Returns ``(lanes, candle, price, liquidated, stopped)`` of the copies that end there."""
        S, c = self.S, self.c
        lowest = self.rows(e, i)[E_SEG_MIN]
        auto = self.SET[S_AUTO_ADD, i] > 0
        reached = []
        if auto.any():
            reached.append(self.auto_add(i[auto], lowest[auto]))
        if not auto.all():
            j, low = i[~auto], lowest[~auto]
            unknown = j[self.SET[S_EXACT, j] == 0]
            if unknown.size:
                X = S[:, unknown]
                S[LP, unknown] = formulas.liquidation_price_for_tiers(
                    "long", X[ENTRY], X[SIZE], self.backing(X, self.iso[unknown]), self.tiers)
            reached.append(j[np.maximum(S[LP, j], S[STOP, j]) >= low])
        i = np.concatenate(reached) if len(reached) > 1 else reached[0]
        if not i.size:
            return None
        # the first candle of the stretch where the price reaches the trigger (one gather for all lanes)
        R = self.rows(e, i)
        paths = i if self.identity else self.lane_path[i]
        T = c.n_candles
        lp, stop = S[LP, i], S[STOP, i]
        start, level, end = R[E_SEG_START].astype(np.int64), R[E_SEG_LEVEL], R[E_CANDLE].astype(np.int64)
        width = int((end - start).max()) + 1
        if width * i.size > 200_000:  # long quiet stretches: let the block scanner find the candle
            t = c.scanner().first(paths, start, end, np.maximum(lp, stop), end_low=R[E_SEG_END_LOW])
        else:
            window = start[:, None] + np.arange(width)
            lows = c.low.ravel()[paths[:, None] * T + np.minimum(window, T - 1)]
            lows = np.where(window == end[:, None], R[E_SEG_END_LOW, :, None], lows)
            t = start + np.argmax((window <= end[:, None]) & (np.maximum(lp, stop)[:, None] >= lows), axis=1)
        now = np.where((t == start) & (level < np.inf), level, c.open[paths, t])
        # what happens there: the stop fires first only if the liquidation price is lower and not gapped through
        fires = (stop > lp) & (lp < now)
        fill = np.maximum(np.minimum(stop, now) * (1 - self.SET[S_SLIPPAGE, i]), c.low[paths, t])
        stopped = fires & (fill > lp)  # otherwise the price passes the liquidation price before the fill
        return i, t, np.where(stopped, fill, np.minimum(lp, now)), ~stopped, stopped

    def auto_add(self, i, lowest):
        """Bybit's auto-add margin for the positions on lanes ``i`` whose stretch falls to ``lowest``.

        Each time the mark reaches the liquidation price, the position's initial margin
        (``size x entry / leverage``; less if that would pass 1x leverage or the
        available balance is smaller) moves from the cross wallet into the bucket, and
        the liquidation price is recomputed. Top-ups do not change the equity, so only
        how many happen matters: they go on while the new liquidation price is still
        reached and there is money to move. Returns the lanes whose money ran out
        first: they are liquidated at their last liquidation price, where the price
        first reaches it.
        """
        X = self.S[:, i]
        notional = X[SIZE] * X[ENTRY]
        each = notional / self.SET[S_LEVERAGE, i]
        m0, cw0 = X[MARGIN], X[CW]
        # How many top-ups can matter: the screening bound (linear in the margin, never below the
        # liquidation price) says after how many the price can no longer reach the liquidation price.
        room = np.minimum(notional - m0, np.maximum(cw0, 0.0)) / each
        needed = ((X[ENTRY] - lowest) * X[SIZE] + self.tiers.maintenance_margin(notional) + 1e-6 - m0) / each
        steps = int(np.clip(np.ceil(np.minimum(room, np.maximum(needed, 0.0)).max()), 0, 10_000)) + 1
        # the margins after 0, 1, 2 ... top-ups: full top-ups of `each`, then at most one
        # smaller last one (Account._auto_add_amount), added one by one as the account does
        margins = np.cumsum(np.column_stack([m0, np.repeat(each[:, None], steps, axis=1)]), axis=1)
        wallets = np.cumsum(np.column_stack([cw0, np.repeat(-each[:, None], steps, axis=1)]), axis=1)
        full = ((each[:, None] <= notional[:, None] - margins[:, :-1]) & (each[:, None] <= wallets[:, :-1])
                & (each[:, None] > 1e-9))
        n_full = np.argmin(np.column_stack([full, np.zeros(i.size, dtype=bool)]), axis=1)  # leading full top-ups
        rows = np.arange(i.size)
        last_amount = np.minimum(notional - margins[rows, n_full], np.maximum(wallets[rows, n_full], 0.0))
        partial = (n_full < steps) & (last_amount > 1e-9)
        k = np.minimum(n_full + 1, steps)
        margins[rows[partial], k[partial]] = margins[rows[partial], n_full[partial]] + last_amount[partial]
        wallets[rows[partial], k[partial]] = wallets[rows[partial], n_full[partial]] - last_amount[partial]
        count = n_full + partial  # top-ups possible before the money (or the room to 1x) runs out
        columns = np.arange(steps + 1)
        margins = np.where(columns[None, :] <= count[:, None], margins, margins[rows, count][:, None])
        # liquidation prices along the ladder, a few columns at a time, until the price stops reaching them
        lps = np.full(margins.shape, -np.inf)
        todo, first = rows, 0
        while todo.size and first <= steps:
            last = min(first + 8, steps + 1)
            lps[todo, first:last] = formulas.liquidation_price_for_tiers(
                "long", X[ENTRY, todo, None], X[SIZE, todo, None], margins[todo, first:last], self.tiers)
            more = (lps[todo, first:last] >= lowest[todo, None]) & (columns[None, first:last] < count[todo, None])
            todo, first = todo[more.all(axis=1)], last
        n = np.argmin((lps >= lowest[:, None]) & (columns[None, :] < count[:, None]), axis=1)  # top-ups made
        self.top_ups.append((i, n, margins[rows, n] - m0))
        X[MARGIN] = margins[rows, n]
        X[CW] = wallets[rows, n]
        X[LP] = X[SCREEN] = lps[rows, n]
        self.S[:, i] = X
        return i[X[LP] >= lowest]

    # ---------------------------------------------------------------- the run
    def run(self):
        S, table = self.S, self.table
        take = slice(None) if self.identity else self.lane_col
        for e in range(table.shape[0]):
            row = table[e]
            ending = []
            if e:
                i = np.flatnonzero(S[SCREEN] >= row[E_SEG_MIN][take])
                if i.size:
                    own = self.own_events(i, e)
                    if own is not None:
                        ending.append(own)
                        self.has[own[0]] = False  # gone before the master's order
            i = self.sell_lanes[e]
            i = i[self.has[i]]
            if i.size:
                cols = i if self.identity else self.lane_col[i]
                no = np.zeros(i.size, dtype=bool)
                ending.append((i, row[E_CANDLE, cols].astype(np.int64), row[E_PRICE, cols], no, no))
            if ending:
                self.finish(*(np.concatenate(parts) for parts in zip(*ending)) if len(ending) > 1 else ending[0])
            firsts, adds = self.first_lanes[e], self.add_lanes[e]
            adds = adds[self.copying[adds]]
            if firsts.size or adds.size:
                self.buy(np.concatenate([firsts, adds]), e, np.arange(firsts.size + adds.size) < firsts.size)
        return self

    # ---------------------------------------------------------------- after the loop
    def totals(self):
        """Per lane: the ledger (Account's identity) and the counters, from what was written down."""
        s, n = self.first, self.S.shape[1]
        out = {}
        cat = lambda parts, k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0)  # noqa: E731
        lane, price, liquidated, stopped, size, entry, cw, margin, start = (cat(self.closes, k) for k in range(9))
        lane = lane.astype(np.int64)
        liquidated, stopped = liquidated.astype(bool), stopped.astype(bool)
        iso = self.iso[lane]
        pnl = size * (price - entry)
        freed = np.where(iso, margin, 0.0)
        fee = np.minimum(s.taker_fee * size * price, cw + freed + pnl)
        left = np.where(iso, margin, cw) + pnl
        liquidation_fee = np.minimum(s.liquidation_fee * size * price, np.maximum(left, 0.0))
        after = np.where(liquidated, np.where(iso, cw, 0.0), cw + (freed + pnl - fee))
        result = after - start
        win = result > 0
        total = lambda values: np.bincount(lane, values, minlength=n).astype(float)  # noqa: E731
        number = lambda mask: np.bincount(lane[mask], minlength=n)  # noqa: E731
        o_lane, copied, o_fee = (cat(self.orders, k) for k in range(3))
        o_lane, copied = o_lane.astype(np.int64), copied.astype(bool)
        u_lane, u_count, u_amount = (cat(self.top_ups, k) for k in range(3))
        u_lane = u_lane.astype(np.int64)
        worst = np.zeros(n)
        np.minimum.at(worst, lane, result)
        out.update(
            trades=number(np.ones(lane.size, dtype=bool)),
            wins=number(win),
            won=total(np.where(win, result, 0.0)),
            lost=total(np.where(win, 0.0, result)),
            worst_trade=worst,
            liquidations=number(liquidated),
            stop_outs=number(stopped),
            margin_top_ups=np.bincount(u_lane, u_count, minlength=n).astype(np.int64),
            auto_added_margin=np.bincount(u_lane, u_amount, minlength=n).astype(float),
            skipped_orders=np.bincount(o_lane[~copied], minlength=n),
            realized_pnl=total(pnl),
            trading_fees=(total(np.where(liquidated, 0.0, fee))
                          + np.bincount(o_lane[copied], o_fee[copied], minlength=n)),
            liquidation_fees=total(np.where(liquidated, liquidation_fee, 0.0)),
            insurance_fund_contribution=total(np.where(liquidated, np.maximum(left - liquidation_fee, 0.0), 0.0)),
            insurance_fund_loss=total(np.where(liquidated, np.maximum(-left, 0.0), 0.0)),
        )
        return out

    def equity(self, columns):
        """Equity of every lane at the closes of candles ``columns`` (forward-filled between changes)."""
        c = self.c
        n, K = self.S.shape[1], columns.size
        start = float(self.first.starting_balance)
        if self.records:
            col = np.searchsorted(columns, np.concatenate([r[1] for r in self.records]))
            key = np.concatenate([r[0] for r in self.records]) * (K + 1) + col
            a = np.concatenate([r[2] for r in self.records])
            b = np.concatenate([r[3] for r in self.records])
        else:
            key, a, b = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
        # records are written in time order, so the state at a close is the latest record before it
        where = np.full(n * (K + 1), -1, dtype=np.int64)
        if key.size:
            order = np.argsort(key, kind="stable")
            key = key[order]
            last = np.append(key[1:] != key[:-1], True)
            where[key[last]] = order[last]
        where = np.maximum.accumulate(where.reshape(n, K + 1), axis=1)[:, :K]
        a = np.concatenate([a, [start]])  # index -1: before the first copy
        b = np.concatenate([b, [0.0]])
        closes = c.close[:, columns]
        return a[where] + b[where] * (closes if self.identity else closes[self.lane_path])


def simulate(candles: Candles, strategy: MasterStrategy, settings: FollowerSettings, *,
             log: MasterLog | None = None, every: int = 1) -> CopyResult:
    """Copy ``strategy`` with ``settings`` on every path of ``candles``; see the module notes.

    Pass ``log`` (from :func:`master_trades`) to reuse the master's orders across
    several follower settings. ``every`` keeps the equity at every ``every``-th close
    only (and always the last one); the maximum drawdown is measured on those closes.

    >>> paths = price_paths(20, 720, seed=7)
    >>> result = simulate(paths, MasterStrategy(), FollowerSettings("isolated", 10, 100.0))
    >>> bool((result.paths["final_equity"] >= 1_000 - 100 - 5).all())   # the budget caps the loss
    True
    """
    return simulate_many(candles, strategy, [settings], log=log, every=every)[0]


def outcomes(candles: Candles, strategy, settings, *, log=None, every: int = 1) -> dict:
    """The raw arrays behind :func:`simulate_many`, without pandas, for one or several strategies.

    ``strategy`` is a :class:`MasterStrategy` or a list of them (``log``: the matching
    :func:`master_trades` result or list). Every setting is run on every strategy's
    orders on every path, in one batched run: lane ``k x S x P + s x P + p`` is setting
    ``k``, strategy ``s``, path ``p``. Keys: ``equity`` (lanes x closes), ``days``,
    ``final_equity``, ``final_wallet``, ``max_drawdown``, ``still_open``,
    ``master_cycles`` (per strategy and path) and the totals (``trades``, ``wins``,
    ``won``, ``lost``, ``liquidations`` ...; see :data:`_TOTALS`).
    """
    settings = list(settings)
    if not settings or not all(isinstance(s, FollowerSettings) for s in settings):
        raise MarginInputError(f"settings must be FollowerSettings, got {settings!r}")
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise MarginInputError(f"every must be a whole number of at least 1, got {every!r}")
    strategies = [strategy] if isinstance(strategy, MasterStrategy) else list(strategy)
    if log is None:
        logs = [master_trades(candles, s) for s in strategies]
    else:
        logs = [log] if isinstance(log, MasterLog) else list(log)
        if len(logs) != len(strategies) or any(
                g.strategy != s or g.n_paths != candles.n_paths for g, s in zip(logs, strategies)):
            raise MarginInputError("log must be master_trades(candles, strategy) for these candles and this strategy")
    T = candles.n_candles
    columns = np.unique(np.append(np.arange(every - 1, T, every), T - 1))
    f = _Follower(candles, logs, settings).run()
    equity = f.equity(columns)
    start = float(settings[0].starting_balance)
    peak = np.maximum(np.maximum.accumulate(equity, axis=1), start)
    return dict(
        equity=equity,
        days=candles.days()[columns],
        final_equity=equity[:, -1],
        final_wallet=f.wallet(f.S, f.iso),
        max_drawdown=((peak - equity) / peak).max(axis=1),
        still_open=f.has.copy(),
        master_cycles=np.concatenate([g.cycles() for g in logs]),
        **f.totals(),
    )


def simulate_many(candles: Candles, strategy: MasterStrategy, settings, *, log: MasterLog | None = None,
                  every: int = 1) -> list:
    """:func:`simulate` for several settings at once (one batched run; they must share the
    starting balance, the fees and the exchange). Returns one :class:`CopyResult` per setting."""
    settings = list(settings)
    raw = outcomes(candles, strategy, settings, log=log, every=every)
    P = candles.n_paths
    start = float(settings[0].starting_balance)
    results = []
    for k, setting in enumerate(settings):
        lanes = slice(k * P, (k + 1) * P)
        final = raw["final_equity"][lanes]
        frame = pd.DataFrame({
            "final_equity": final,
            "final_wallet": raw["final_wallet"][lanes],
            "lost_account": final < setting.ruin_level * start,
            "max_drawdown": raw["max_drawdown"][lanes],
            "still_open": raw["still_open"][lanes],
            **{name: raw[name][lanes] for name in _TOTALS},
            "master_cycles": raw["master_cycles"],
        }, index=pd.RangeIndex(P, name="path"))
        results.append(CopyResult(settings=setting, strategy=strategy, paths=frame, equity=raw["equity"][lanes],
                                  days=raw["days"]))
    return results


_TOTALS = ("trades", "wins", "won", "lost", "worst_trade", "liquidations", "stop_outs", "margin_top_ups",
           "auto_added_margin", "skipped_orders", "realized_pnl", "trading_fees", "liquidation_fees",
           "insurance_fund_contribution", "insurance_fund_loss")


def compare(candles: Candles, strategy: MasterStrategy, setups: dict, *, every: int = 1) -> pd.DataFrame:
    """:func:`summarize` for several follower setups on the same paths (one column each)."""
    results = simulate_many(candles, strategy, list(setups.values()), every=every)
    return pd.DataFrame({name: r.summary() for name, r in zip(setups, results)})


# ============================================================== the slow reference


def replay_with_account(candles: Candles, index: int, strategy: MasterStrategy, settings: FollowerSettings,
                        log: MasterLog | None = None):
    """Run path ``index`` through :class:`margincourse.Account`, one price move at a time.

    The same master orders and copy rules as :func:`simulate`, but every margin,
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
    s = settings
    o, h, l, c = (a[index] for a in (candles.open, candles.high, candles.low, candles.close))
    T = candles.n_candles
    acct = Account(s.starting_balance, taker_fee=s.taker_fee, liquidation_fee=s.liquidation_fee,
                   exchange=s.exchange, auto_add_rule="initial_margin")
    sym = strategy.symbol
    state = {"pos": None, "start": 0.0, "copying": False}
    actions = []
    equity = np.empty(T)

    def pos():
        p = state["pos"]
        return p if p is not None and p.is_open else None

    def log_action(t, what, price, **extra):
        p = pos()
        actions.append(dict(candle=t, action=what, price=price, size=p.size if p else 0.0,
                            average_entry=p.entry_price if p else np.nan,
                            liquidation_price=acct.liquidation_price(p) if p else np.nan,
                            wallet=acct.wallet_balance, **extra))

    def exchange_events(t, events):
        for ev in events:
            if ev.kind == "liquidation":
                log_action(t, "liquidated", ev.price, lost=ev.collateral_lost)
            elif ev.kind == "margin_added":
                log_action(t, "auto-add margin", ev.price, amount=ev.amount)

    def stop_price(p):
        return p.entry_price - s.stop_loss * s.budget / p.size if s.stop_loss is not None else -np.inf

    def stop_out(t, trigger_at, low):
        p = pos()
        fill = max(trigger_at * (1 - s.stop_slippage), low)
        if fill > acct.liquidation_price(p):
            acct.close(p, fill)
            log_action(t, "stop-loss", fill)
        else:
            exchange_events(t, acct.mark({sym: fill}))

    def descend(t, to, low):
        """Mark price moves continuously down to ``to``; the stop may fire on the way."""
        p = pos()
        if p is None:
            return
        stop = stop_price(p)
        if stop >= to:
            exchange_events(t, acct.mark({sym: stop}))
            if pos() is not None:
                stop_out(t, stop, low)
        if pos() is not None:
            exchange_events(t, acct.mark({sym: to}))

    def copy_buy(t, price, q, first):
        p = pos()
        if not first and (p is None or not state["copying"]):
            return
        allowance = s.budget + (acct.wallet_balance - s.starting_balance) - (0.0 if first else p.margin)
        wallet_before = acct.wallet_balance
        try:
            if q * price / s.leverage + s.taker_fee * q * price > allowance + 1e-9:
                raise MarginInputError("the budget for this trader cannot pay for the order")
            state["pos"] = acct.open(sym, "long", q, price, leverage=s.leverage, mode=s.margin_mode,
                                     auto_add_margin=s.auto_add_margin)
        except MarginInputError:
            state["copying"] = False  # a skipped order ends the copying of this cycle
            return
        state["copying"] = True
        if first:
            state["start"] = wallet_before
        log_action(t, "copy open" if first else "copy add", price)

    def take_profit(t, price):
        if pos() is not None:
            acct.close(pos(), price)
            log_action(t, "copy take profit", price)

    events = {}
    for e in range(int(log.count[column])):
        events.setdefault(int(log.candle[e, column]), []).append(
            (int(log.leg[e, column]), int(log.kind[e, column]), float(log.price[e, column]),
             float(log.buy_price[e, column]), float(log.buy_size[e, column])))
    for t in range(T):
        if t and pos() is not None:
            exchange_events(t, acct.mark({sym: o[t]}, gap=True))
            p = pos()
            if p is not None and stop_price(p) >= o[t]:
                stop_out(t, o[t], l[t])
        low_done = False
        reopen = None
        for leg, kind, price, buy_price, buy_size in events.get(t, []):
            if leg in (AT_OPEN, DOWN):
                descend(t, price, l[t])
            elif not low_done:
                descend(t, l[t], l[t])
                low_done = True
            if kind in (TAKE_PROFIT, ROLL):
                take_profit(t, price)
            if kind == ROLL:
                reopen = (buy_price, buy_size)  # the next cycle opens at the close
            elif kind == OPEN:
                copy_buy(t, buy_price, buy_size, True)
            elif kind == ADD:
                copy_buy(t, buy_price, buy_size, False)
        if not low_done:
            descend(t, l[t], l[t])
        if reopen is not None:
            copy_buy(t, reopen[0], reopen[1], True)
        if pos() is not None:
            exchange_events(t, acct.mark({sym: c[t]}))
        equity[t] = acct.equity if pos() is not None else acct.wallet_balance
    frame = pd.DataFrame(actions)
    return acct, frame, equity
