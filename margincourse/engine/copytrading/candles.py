"""The price paths the master and the follower trade on, and how to find the candle where a price is reached.

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

The engines never loop over candles. When they need "the first candle, from here
on, whose low reaches this price", they ask the :class:`_Scanner` of the paths,
which answers for every path at once with a handful of numpy calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError, check_between, fmt
from ..paths import MINUTES_PER_YEAR, bridge_extremes, candles_on_tick, check_calibration

SYMBOL = "BTCUSDT"  # the one contract the copy-trading engine trades

_WINDOW = 64  # candles scanned at once when looking for the next event


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
