"""Run an account over price candles and get its story back as a pandas timeline.

:func:`run` does exactly what calling :meth:`Account.step` once per candle does,
and gives the same events (a test proves it), but it is vectorised: between two
events nothing changes except prices, so it scans whole stretches of candles with
numpy to find the next candle where something happens (a liquidation or an
auto-add), lets the account handle that one candle, and fills the timeline of
the quiet stretches in bulk. A year of one-minute candles takes well under a
second (see ``benchmarks/``).

Inside a candle each position meets its adverse extreme: a long the low, a short
the high, because the mark price passes there even when the candle closes
elsewhere. That is how a wick liquidates a position the close price would not
have. With several cross positions, their extremes are assumed to happen at the
same moment, the worst case.

Funding (off unless ``funding=`` is given) is settled at every funding time the candles
cross (:func:`margincourse.engine.funding.funding_schedule`): a time ``T`` with
``index[j - 1] < T <= index[j]`` is settled at the close of candle ``j - 1``, the last mark
before ``T``, before candle ``j`` runs. The scan simply stops there too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..basics.errors import MarginInputError
from .funding import funding_schedule
from .specs import contract

__all__ = ["run", "timeline_columns"]

PRICE_COLUMNS = ("open", "high", "low", "close")


def _check_frame(symbol, frame):
    if not isinstance(frame, pd.DataFrame):
        raise MarginInputError(f"candles for {symbol} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise MarginInputError(
            f"candles for {symbol} must have columns open, high, low, close; missing {', '.join(missing)}"
        )
    if len(frame) == 0:
        raise MarginInputError(f"candles for {symbol} must have at least 1 row, got 0")
    arrays = []
    for name in PRICE_COLUMNS:
        try:
            values = frame[name].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise MarginInputError(f"candles column {name!r} for {symbol} must hold numbers") from None
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            row = int(np.argmax(bad))
            raise MarginInputError(
                f"candles column {name!r} for {symbol} must be finite prices above 0, got {values[row]} at row {row}"
            )
        arrays.append(values)
    o, h, l, c = arrays
    bad = (h < np.maximum(o, c)) | (l > np.minimum(o, c)) | (l > h)
    if bad.any():
        row = int(np.argmax(bad))
        raise MarginInputError(
            f"candles for {symbol} must have low <= open, close <= high; row {row} has "
            f"open={o[row]} high={h[row]} low={l[row]} close={c[row]}"
        )
    return o, h, l, c


def _as_frames(account, candles, symbol):
    if isinstance(candles, pd.DataFrame):
        if symbol is None:
            held = sorted({p.symbol for p in account.positions})
            if len(held) != 1:
                raise MarginInputError(
                    "symbol must name the candles' contract when the account holds "
                    f"{'no positions' if not held else 'positions in ' + ', '.join(held)}"
                )
            symbol = held[0]
        candles = {symbol: candles}
    if not isinstance(candles, dict) or not candles:
        raise MarginInputError("candles must be a DataFrame or a dict of symbol -> DataFrame")
    frames = {}
    index = None
    for sym, frame in candles.items():
        contract(sym)
        frames[sym] = _check_frame(sym, frame)
        if index is None:
            index = frame.index
        elif len(frame) != len(index):
            raise MarginInputError(
                f"candles for {sym} must have as many rows as the first symbol's ({len(index)}), got {len(frame)}"
            )
    return frames, index


def _price_arrays(account, frames, start, stop, which):
    """For each open position: its price array on rows [start, stop) (extreme or close)."""
    out = []
    for p in account.positions:
        if p.symbol in frames:
            o, h, l, c = frames[p.symbol]
            if which == "extreme":
                values = l[start:stop] if p._sign > 0 else h[start:stop]
            else:
                values = c[start:stop]
        else:
            values = np.full(stop - start, account._marks[p.symbol])
        out.append(values)
    return out


def _triggers(account, frames, start, stop):
    """Boolean array: does :meth:`Account.step` find something to do on each row?

    The arithmetic is the account's own (same operations, same order), so the
    vectorised scan and the per-candle step agree exactly.
    """
    positions = account.positions
    extremes = _price_arrays(account, frames, start, stop, "extreme")
    hit = np.zeros(stop - start, dtype=bool)
    cross_mm = np.zeros(stop - start)
    cross_balance = np.full(stop - start, account._cross_wallet)
    any_cross = False
    for p, price in zip(positions, extremes):
        upnl = p._sign * p._size * (price - p._entry_price)
        mm = p._tiers.maintenance_margin(p._size * price)
        if p.mode == "isolated":
            hit |= p._margin + upnl <= mm
        else:
            any_cross = True
            cross_mm += mm
            cross_balance += upnl
    if any_cross:
        hit |= cross_balance <= cross_mm
    return hit


def _next_event(account, frames, start, n):
    size = 1024
    while start < n:
        stop = min(n, start + size)
        hit = _triggers(account, frames, start, stop)
        if hit.any():
            return start + int(np.argmax(hit))
        start = stop
        size = min(size * 4, 1 << 17)
    return n


def _fill(account, frames, start, stop, out):
    """Write rows [start, stop) of the timeline from the account's current state at the close."""
    if stop <= start:
        return
    rows = slice(start, stop)
    closes = _price_arrays(account, frames, start, stop, "close")
    wallet = account.wallet_balance
    total_upnl = np.zeros(stop - start)
    cross_upnl = np.zeros(stop - start)
    cross_mm = np.zeros(stop - start)
    cross_used = np.zeros(stop - start)
    cross_labels = []
    for p, price in zip(account.positions, closes):
        upnl = p._sign * p._size * (price - p._entry_price)
        mm = p._tiers.maintenance_margin(p._size * price)
        total_upnl += upnl
        if p.mode == "isolated":
            balance = p._margin + upnl
            with np.errstate(divide="ignore", invalid="ignore"):
                out["ratio"][p.id][rows] = np.where(balance > 0, mm / np.where(balance > 0, balance, 1.0), np.inf)
        else:
            cross_upnl += upnl
            cross_mm += mm
            cross_used += p._size * price / p._leverage
            cross_labels.append(p.id)
    if cross_labels:
        balance = account._cross_wallet + cross_upnl
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(balance > 0, cross_mm / np.where(balance > 0, balance, 1.0), np.inf)
        for pid in cross_labels:
            out["ratio"][pid][rows] = ratio
    out["wallet_balance"][rows] = wallet
    if "funding" in out:
        out["funding"][rows] = account._funding
    out["equity"][rows] = wallet + total_upnl
    out["available_balance"][rows] = np.maximum(
        0.0, account._cross_wallet + np.minimum(0.0, cross_upnl) - cross_used
    )


def timeline_columns(account):
    """The margin-ratio column names :func:`run` will use for the account's open positions."""
    return {p.id: f"margin_ratio {p.label}" for p in account.positions}


def _settle_funding(account, frames, row, time, rates, texts, records):
    """Settle one funding time before candle ``row``, at the previous candle's close."""
    account._marks.update({s: float(c[row - 1]) for s, (o, h, l, c) in frames.items()})
    events = account.apply_funding(rates, time=time)
    if events:
        texts.setdefault(row, []).extend(e.describe() for e in events)
        records.extend(events)


def run(account, candles, symbol=None, *, funding=None):
    """Run ``account`` over ``candles``; it ends in the state the candles leave it in.

    ``candles`` is a DataFrame with columns ``open``, ``high``, ``low``, ``close`` (for
    an account whose positions are all in one symbol, or name it with ``symbol``), or a
    dict ``{symbol: DataFrame}`` of equally long frames for several symbols. Returns a
    DataFrame on the candles' index with, per row (at the candle's close): each
    symbol's close price, ``wallet_balance``, ``equity``, ``available_balance``, one
    ``margin_ratio <position>`` column per position that was open at the start (NaN
    once it is gone; the ratio reaches 1 at liquidation), and ``events``, a text
    description of what happened in that candle. ``timeline.attrs["events"]`` holds
    the event records themselves (a tuple; ``account.events`` has them too).

    ``funding`` (default None: no funding) settles funding at every funding time of the
    account's exchange the candles cross (the candles must be indexed by time): one rate
    for every symbol (a number, or a pandas Series of rates indexed by time, whose last
    value at or before each funding time applies), or a dict ``{symbol: number or
    Series}``. The timeline then has a ``funding`` column: the net funding received so far.
    """
    frames, index = _as_frames(account, candles, symbol)
    schedule = [] if funding is None else funding_schedule(index, funding, account.exchange)
    n = len(index)
    labels = timeline_columns(account)
    out = {
        "wallet_balance": np.empty(n),
        "equity": np.empty(n),
        "available_balance": np.empty(n),
        "ratio": {pid: np.full(n, np.nan) for pid in labels},
    }
    if funding is not None:
        out["funding"] = np.empty(n)
    texts = {}
    records = []
    i = k = 0
    while i < n:
        while k < len(schedule) and schedule[k][0] == i:
            _settle_funding(account, frames, *schedule[k], texts, records)
            k += 1
        stop = schedule[k][0] if k < len(schedule) else n
        j = _next_event(account, frames, i, stop)
        _fill(account, frames, i, j, out)
        if j == stop:
            if stop == n:
                break
            i = stop
            continue
        candle = {s: (o[j], h[j], l[j], c[j]) for s, (o, h, l, c) in frames.items()}
        events = account.step(candle, time=index[j])
        _fill(account, frames, j, j + 1, out)
        if events:
            texts.setdefault(j, []).extend(e.describe() for e in events)
            records.extend(events)
        i = j + 1
    account._marks.update({s: float(c[-1]) for s, (o, h, l, c) in frames.items()})
    return _timeline(frames, index, out, labels, texts, records)


def _timeline(frames, index, out, labels, texts, records):
    columns = {s: c for s, (o, h, l, c) in frames.items()}
    for name in ("wallet_balance", "equity", "available_balance", "funding"):
        if name in out:
            columns[name] = out[name]
    for pid, name in labels.items():
        columns[name] = out["ratio"][pid]
    events_column = np.full(len(index), "", dtype=object)
    for row, lines in texts.items():
        events_column[row] = "; ".join(lines)
    columns["events"] = events_column
    timeline = pd.DataFrame(columns, index=index)
    timeline.attrs["events"] = tuple(records)
    return timeline
