"""Price paths to run accounts over: a seeded BTC-like generator, stress scenarios, and real klines.

Every function returns a DataFrame indexed by ``open_time`` (UTC) with float
columns ``open``, ``high``, ``low``, ``close``, ``volume``, the shape
:func:`margincourse.run` takes and :func:`load_klines` reads.

The generator's calibration
---------------------------
:func:`generate_path` draws one-minute log returns from a Student-t distribution
with 3 degrees of freedom (fat tails: moves of 5 standard deviations are far more
common than under a normal law), scaled so the diffusion part alone has the
requested annualised volatility, plus Poisson jumps. The defaults are round
numbers chosen to resemble bitcoin in 2020-2024, not a fit to a particular data
set: about 60 % annualised volatility, 6 jumps a year whose sizes are normal with
a 4 % standard deviation, and no drift. Within each candle the high and the low
are drawn from the exact distribution of the maximum and minimum of a Brownian
bridge between the open and the close, so wicks are as long as the diffusion
makes them. Same seed, same path, on every machine.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

from ..basics.errors import MarginInputError, check_between, check_non_negative, check_positive, fmt

__all__ = ["generate_path", "scenario", "scenarios", "load_klines", "KLINE_COLUMNS"]

KLINE_COLUMNS = ("open_time", "open", "high", "low", "close", "volume")
BINANCE_KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
    "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)
MINUTES_PER_YEAR = 365 * 24 * 60
INTERVALS = {"1min": 1, "5min": 5, "15min": 15, "1h": 60, "4h": 240, "1D": 1440}


def _frame(open_time, o, h, l, c, v):
    frame = pd.DataFrame(
        {"open": o, "high": h, "low": l, "close": c, "volume": v},
        index=pd.DatetimeIndex(open_time, name="open_time"),
    )
    return frame


def _times(n, interval, start):
    if interval not in INTERVALS:
        raise MarginInputError(f"interval must be one of {', '.join(INTERVALS)}, got {interval!r}")
    try:
        first = pd.Timestamp(start, tz="UTC") if pd.Timestamp(start).tzinfo is None else pd.Timestamp(start)
    except (TypeError, ValueError):
        raise MarginInputError(f"start must be a date such as '2024-01-01', got {start!r}") from None
    return pd.date_range(first, periods=n, freq=pd.Timedelta(minutes=INTERVALS[interval]))


def _check_count(name, n, low=1, high=10_000_000):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not low <= n <= high:
        raise MarginInputError(f"{name} must be a whole number between {fmt(low)} and {fmt(high)}, got {n!r}")
    return int(n)


def check_calibration(start_price, annual_volatility, jumps_per_year, jump_volatility, tail_dof, tick_size, seed):
    """Refuse a calibration outside what the generators allow; return ``(start_price, tick_size)`` as floats."""
    start_price = check_positive("start_price", start_price)
    check_between("annual_volatility", annual_volatility, 0, 5)
    check_between("jumps_per_year", jumps_per_year, 0, 1_000)
    check_between("jump_volatility", jump_volatility, 0, 1)
    check_between("tail_dof", tail_dof, 2.1, 1_000)
    tick = check_positive("tick_size", tick_size)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise MarginInputError(f"seed must be a whole number of at least 0, got {seed!r}")
    return start_price, tick


def bridge_extremes(log_open, change, sigma, exponential_up, exponential_down):
    """The highest and lowest log price inside candles whose log price moves by ``change``.

    Within a candle the log price is taken as a Brownian bridge from 0 to ``b`` with
    variance ``sigma**2`` over the candle. Its maximum and minimum have the exact
    laws (Borodin and Salminen, *Handbook of Brownian Motion*, the bridge's maximum)::

        M = (b + sqrt(b**2 + 2 sigma**2 E1)) / 2,   m = (b - sqrt(b**2 + 2 sigma**2 E2)) / 2

    where ``E1``, ``E2`` are independent standard exponential draws (``-ln U``).
    Returns ``(log_high, log_low)``.

    >>> [round(float(x), 6) for x in bridge_extremes(0.0, 0.0, 0.01, 2.0, 2.0)]  # no net move, E = 2
    [0.01, -0.01]
    """
    log_high = log_open + 0.5 * (change + np.sqrt(change * change + 2 * sigma**2 * exponential_up))
    log_low = log_open + 0.5 * (change - np.sqrt(change * change + 2 * sigma**2 * exponential_down))
    return log_high, log_low


def candles_on_tick(log_open, log_close, log_high, log_low, tick):
    """Prices on the tick from log prices, with ``low <= open, close <= high`` and every price at least a tick."""
    o, c, h, l = (np.round(np.exp(x) / tick) * tick for x in (log_open, log_close, log_high, log_low))
    h = np.maximum(h, np.maximum(o, c))
    l = np.maximum(np.minimum(l, np.minimum(o, c)), tick)
    return o, c, h, l


def generate_path(
    n=1440,
    *,
    start_price=60_000.0,
    interval="1min",
    seed=0,
    annual_volatility=0.6,
    jumps_per_year=6.0,
    jump_volatility=0.04,
    tail_dof=3.0,
    annual_drift=0.0,
    tick_size=0.1,
    start="2024-01-01",
):
    """A seeded, BTC-like candle path of ``n`` candles (see the module notes for the calibration).

    >>> path = generate_path(3, seed=1)
    >>> list(path.columns)
    ['open', 'high', 'low', 'close', 'volume']
    >>> bool((path["low"] <= path[["open", "close"]].min(axis=1)).all())
    True
    """
    n = _check_count("n", n)
    start_price, tick = check_calibration(start_price, annual_volatility, jumps_per_year, jump_volatility, tail_dof,
                                          tick_size, seed)
    check_between("annual_drift", annual_drift, -5, 5)
    times = _times(n, interval, start)
    rng = np.random.default_rng(seed)
    dt = INTERVALS[interval] / MINUTES_PER_YEAR
    sigma = annual_volatility * np.sqrt(dt)
    t_scale = np.sqrt((tail_dof - 2) / tail_dof)  # unit variance Student-t
    diffusion = sigma * t_scale * rng.standard_t(tail_dof, size=n)
    jumps = rng.poisson(jumps_per_year * dt, size=n) * rng.normal(0.0, jump_volatility, size=n)
    log_returns = (annual_drift - 0.5 * annual_volatility**2) * dt + diffusion + jumps
    log_close = np.log(start_price) + np.cumsum(log_returns)
    log_open = np.concatenate(([np.log(start_price)], log_close[:-1]))
    b = log_close - log_open
    u, v = rng.random(n), rng.random(n)
    high, low = bridge_extremes(log_open, b, sigma, -np.log1p(-u), -np.log1p(-v))
    o, c, h, l = candles_on_tick(log_open, log_close, high, low, tick)
    volume = np.round(rng.lognormal(np.log(12.0), 0.6, size=n) * (1 + 200 * np.abs(b)), 3)
    return _frame(times, o, h, l, c, volume)


def _scenario_wick(n, start_price, size, where):
    frame = _flat(n, start_price)
    frame.iloc[where, frame.columns.get_loc("low" if size < 0 else "high")] = round(start_price * (1 + size), 1)
    return frame


def _flat(n, start_price):
    prices = np.full(n, float(start_price))
    return _frame(_times(n, "1min", "2024-01-01"), prices, prices.copy(), prices.copy(), prices.copy(), np.full(n, 10.0))


def _linear(n, start_price, end_price, wick=0.002):
    closes = np.round(np.linspace(start_price, end_price, n + 1), 1)
    o, c = closes[:-1], closes[1:]
    h = np.round(np.maximum(o, c) * (1 + wick), 1)
    l = np.round(np.minimum(o, c) * (1 - wick), 1)
    return _frame(_times(n, "1min", "2024-01-01"), o, h, l, c, np.full(n, 10.0))


SCENARIOS = {
    "wick_down_30": "Flat at the start price, then one candle whose low is 30 % lower and which closes where it opened: "
                    "a liquidation wick that the close price never shows.",
    "wick_up_30": "The same wick upwards (+30 %): a short squeeze.",
    "crash_50": "A steady fall to half the start price over the whole scenario.",
    "rally_50": "A steady rise to 1.5 times the start price.",
    "gap_down_15": "Flat, then the next candle opens 15 % lower (a gap: no trade in between) and stays there.",
    "v_shape_35": "A fall of 35 % over the first half and a full recovery over the second.",
}


def scenarios() -> dict[str, str]:
    """The named stress scenarios and what each one does."""
    return dict(SCENARIOS)


def scenario(name, *, start_price=60_000.0, n=120):
    """A named, deterministic stress scenario of ``n`` one-minute candles.

    >>> path = scenario("wick_down_30", start_price=50_000, n=5)
    >>> float(path["low"].min()), float(path["close"].iloc[-1])
    (35000.0, 50000.0)
    """
    if name not in SCENARIOS:
        raise MarginInputError(f"name must be one of {', '.join(SCENARIOS)}, got {name!r}")
    start_price = check_positive("start_price", start_price)
    n = _check_count("n", n, low=4, high=1_000_000)
    middle = n // 2
    if name == "wick_down_30":
        return _scenario_wick(n, start_price, -0.30, middle)
    if name == "wick_up_30":
        return _scenario_wick(n, start_price, +0.30, middle)
    if name == "crash_50":
        return _linear(n, start_price, start_price * 0.5)
    if name == "rally_50":
        return _linear(n, start_price, start_price * 1.5)
    if name == "gap_down_15":
        frame = _flat(n, start_price)
        lower = round(start_price * 0.85, 1)
        frame.iloc[middle:, :4] = lower
        return frame
    down = _linear(middle, start_price, start_price * 0.65)
    up = _linear(n - middle, start_price * 0.65, start_price)
    frame = pd.concat([down, up])
    frame.index = _times(n, "1min", "2024-01-01")
    return frame


def _parse_times(values):
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("int64")
        unit = "us" if numbers.abs().max() > 1e14 else "ms" if numbers.abs().max() > 1e11 else "s"
        return pd.to_datetime(numbers, unit=unit, utc=True)
    try:
        return pd.to_datetime(values, utc=True)
    except (TypeError, ValueError):
        raise MarginInputError("open_time must hold epoch milliseconds or dates, got unreadable values") from None


def load_klines(source):
    """Read an exchange kline CSV file into a candle DataFrame for :func:`margincourse.run`.

    Accepts a path or an open text file, in either of two shapes:

    * with a header row naming at least ``open_time, open, high, low, close, volume``
      (other columns are ignored);
    * Binance's public kline files (``BTCUSDT-1m-2024-01.csv``), whose 12 columns may
      come without a header: open_time, open, high, low, close, volume, close_time,
      quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore.

    ``open_time`` may be epoch seconds, milliseconds or microseconds, or date text.
    The file is read, never written. Rows must be in increasing time order, prices
    positive and each candle consistent (low <= open, close <= high); otherwise a
    :class:`MarginInputError` names the row.
    """
    if isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise MarginInputError(f"source must be an existing CSV file, got {os.fspath(source)!r}")
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
    elif hasattr(source, "read"):
        text = source.read()
    else:
        raise MarginInputError(f"source must be a file path or an open file, got {source!r}")
    if not text.strip():
        raise MarginInputError("source must contain kline rows, got an empty file")
    first = text.lstrip().split("\n", 1)[0].split(",")[0].strip()
    has_header = not first.replace(".", "", 1).lstrip("-").isdigit()
    try:
        if has_header:
            frame = pd.read_csv(io.StringIO(text))
            frame.columns = [str(c).strip().lower() for c in frame.columns]
        else:
            frame = pd.read_csv(io.StringIO(text), header=None)
            if frame.shape[1] < len(KLINE_COLUMNS):
                raise MarginInputError(
                    f"source must have at least {len(KLINE_COLUMNS)} columns ({', '.join(KLINE_COLUMNS)}), "
                    f"got {frame.shape[1]}"
                )
            frame.columns = list(BINANCE_KLINE_COLUMNS[: frame.shape[1]]) + [
                f"extra_{i}" for i in range(max(0, frame.shape[1] - len(BINANCE_KLINE_COLUMNS)))
            ]
    except pd.errors.ParserError as error:
        raise MarginInputError(f"source must be a CSV file of klines; the CSV parser said: {error}") from None
    if len(frame) == 0:
        raise MarginInputError("source must contain at least one kline row, got only a header")
    missing = [c for c in KLINE_COLUMNS if c not in frame.columns]
    if missing:
        raise MarginInputError(f"source must have columns {', '.join(KLINE_COLUMNS)}; missing {', '.join(missing)}")
    numeric = {}
    for name in KLINE_COLUMNS[1:]:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise MarginInputError(f"column {name!r} must hold numbers; row {row} has {frame[name].iloc[row]!r}")
        numeric[name] = values
    for name in ("open", "high", "low", "close"):
        check_array = numeric[name]
        if (check_array <= 0).any():
            row = int(np.argmax(check_array <= 0))
            raise MarginInputError(f"column {name!r} must be above 0; row {row} has {check_array[row]}")
    check_non_negative("smallest volume", float(numeric["volume"].min()))
    o, h, l, c = (numeric[k] for k in ("open", "high", "low", "close"))
    bad = (h < np.maximum(o, c)) | (l > np.minimum(o, c))
    if bad.any():
        row = int(np.argmax(bad))
        raise MarginInputError(
            f"each candle must have low <= open, close <= high; row {row} has "
            f"open={o[row]} high={h[row]} low={l[row]} close={c[row]}"
        )
    times = _parse_times(frame["open_time"])
    steps = np.diff(pd.DatetimeIndex(times).as_unit("ns").asi8)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 1
        raise MarginInputError(f"open_time must increase from row to row; row {row} does not")
    return _frame(times, o, h, l, c, numeric["volume"])
