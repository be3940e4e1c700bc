"""Funding on perpetual futures: the payment, the exchanges' schedules and caps, and who pays it.

A perpetual contract never expires; to keep its price near the spot index, longs and
shorts pay each other at fixed funding times. The exchange takes nothing.

* **The payment** [BINANCE-FUNDING, BYBIT-FUNDING, BITGET-FUNDING]: position value at
  the mark price times the funding rate. A positive rate means longs pay shorts, a
  negative one shorts pay longs; leverage and margin play no part. Seen from the
  holder, the cash flow is ``-side x Q x P x rate`` (:func:`funding_payment`).
* **When**: only positions open at a funding time pay or receive; by default every 8
  hours at 00:00, 08:00 and 16:00 UTC on all three exchanges (:func:`funding_times`).
* **Caps**: Binance clamps the rate between a floor and a cap, ``0.75 x maintenance
  margin rate`` for its majors and 2 % for the rest (:func:`cap_funding_rate`); adjusted
  caps never exceed 1 (100 %), so no rate outside [-1, 1] is accepted anywhere.
* **Where a charge comes from** (a documented rule per exchange, in ``data/funding.json``):
  Binance and Bybit take it from the available balance and, when that is not enough,
  from the position's margin, which moves its liquidation price; Bitget takes it from
  the position's margin, but never below its maintenance margin: "the excess will not be
  charged". The pages say where a charge is taken from, not where a receipt goes; the
  account credits receipts to the wallet (the available balance).

Sources
-------
Read in stored copies of the pages. None of them shows a numeric worked example, so the
examples in the docstrings are ours, computed with the documented formula.

[BINANCE-FUNDING] Binance FAQ, "Introduction to Binance Futures Funding Rates",
    https://www.binance.com/en/support/faq/360033525031 ("Funding Amount = Nominal Value
    of Positions x Funding Rate (Nominal Value of Positions = Mark Price x Size of a
    Contract)"; the 8-hour schedule; caps and floors; "Funding fees (if any) will be
    deducted from the available balance in your Futures Account. If your account balance
    is insufficient, the funding fees (if any) will be deducted from your position margin").
[BYBIT-FUNDING] Bybit Help Center, "Funding Fee Calculation" (2024-12-19, English text),
    https://www.bybit.com/ro-RO/help-center/article/Funding-fee-calculationDerivatives_Trading_Mechanism_UTA
    (the same rule for the fee; "deducted from the trader's available balance ...
    [otherwise] from the position margin").
[BITGET-FUNDING] Bitget Academy, "Funding cost calculation" and "About the funding cost",
    https://web3.bitget.com/en/academy/funding-cost-calculation and
    https://web3.bitget.com/en/academy/about-the-funding-cost ("Funding cost = rate *
    position value"; charged from the position's margin "until the user's margin rate is
    equal to the maintenance margin rate ... The excess will not be charged").
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..basics.errors import (
    MarginInputError,
    as_float_array,
    check_array_positive,
    check_array_range,
    check_between,
    check_broadcast,
    check_choice,
    check_positive,
    fmt,
)
from .formulas import side_sign
from .specs import DATA, contract, symbols

__all__ = [
    "FundingRule",
    "funding_payment",
    "funding_rule",
    "funding_exchanges",
    "cap_funding_rate",
    "funding_times",
    "funding_schedule",
    "charge_sources",
    "check_rates",
    "RATE_LIMIT",
]

RATE_LIMIT = 1.0
"""No funding rate beyond +/-1 (100 %): Binance caps even its adjusted caps and floors there."""

CHARGED_FROM = ("available_balance_then_position_margin", "position_margin_down_to_maintenance")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _out(value):
    value = np.asarray(value, dtype=float)
    return float(value) + 0.0 if value.ndim == 0 else value + 0.0


def funding_payment(side, quantity, mark_price, funding_rate):
    """The holder's funding cash flow, negative when paying: ``-side x Q x P x rate``.

    Position value at the mark price times the rate [BINANCE-FUNDING, BYBIT-FUNDING,
    BITGET-FUNDING]; a positive rate means longs pay shorts. ``side`` is ``"long"`` (+1)
    or ``"short"`` (-1), ``quantity`` the size in the base asset, ``mark_price`` the mark
    at the funding time, ``funding_rate`` a fraction (0.0001 = 0.01 %) between -1 and 1.
    Arguments broadcast like numpy arrays.

    A 0.5 BTC long at a mark of 60,000 USDT (position value 30,000) pays 3 USDT at the
    0.01 % rate Binance calls its default interest rate; the opposite short receives 3:

    >>> funding_payment("long", 0.5, 60_000, 0.0001), funding_payment("short", 0.5, 60_000, 0.0001)
    (-3.0, 3.0)

    At a negative rate the short pays; the amount does not depend on leverage:

    >>> funding_payment("short", 10, 3_000, -0.0005)
    -15.0
    >>> funding_payment(["long", "short"], 1, 60_000, [0.0001, 0.003]).tolist()
    [-6.0, 180.0]
    """
    if isinstance(side, str) and all(_is_number(v) for v in (quantity, mark_price, funding_rate)):
        sign = side_sign(side)  # one position: plain floats, same checks, same messages
        q, p = check_positive("quantity", quantity), check_positive("mark_price", mark_price)
        return -sign * q * p * check_rate("funding_rate", funding_rate) + 0.0
    sign = side_sign(side)
    q = as_float_array("quantity", quantity)
    check_array_positive("quantity", q)
    p = as_float_array("mark_price", mark_price)
    check_array_positive("mark_price", p)
    rate = as_float_array("funding_rate", funding_rate)
    check_array_range("funding_rate", rate, -RATE_LIMIT, RATE_LIMIT)
    check_broadcast(side=sign, quantity=q, mark_price=p, funding_rate=rate)
    return _out(-sign * q * p * rate)


@dataclass(frozen=True)
class FundingRule:
    """How one exchange settles funding: schedule, caps and where a charge is taken from."""

    exchange: str
    exchange_name: str
    interval_hours: float
    first_funding_utc: str
    charged_from: str
    cap_rule: str
    caps: tuple
    default_cap: float | None
    source: str
    as_of: str
    notes: str = ""

    def cap(self, symbol: str) -> float | None:
        """The largest rate (in absolute value) the exchange settles for ``symbol``, or None if not shipped."""
        return dict(self.caps).get(symbol, self.default_cap)


@lru_cache(maxsize=None)
def _rules():
    raw = json.loads(DATA.joinpath("funding.json").read_text(encoding="utf-8"))["exchanges"]
    return {
        name: FundingRule(
            exchange=name,
            exchange_name=rule["exchange_name"],
            interval_hours=float(rule["interval_hours"]),
            first_funding_utc=rule["first_funding_utc"],
            charged_from=check_choice("charged_from", rule["charged_from"], CHARGED_FROM),
            cap_rule=rule["cap_rule"],
            caps=tuple(sorted((s, float(c)) for s, c in rule["caps"].items())),
            default_cap=None if rule["default_cap"] is None else float(rule["default_cap"]),
            source=rule["source"],
            as_of=rule["as_of"],
            notes=rule.get("notes", ""),
        )
        for name, rule in raw.items()
    }


def funding_exchanges() -> tuple[str, ...]:
    """The exchanges whose funding rules are shipped in ``data/funding.json``."""
    return tuple(sorted(_rules()))


def funding_rule(exchange: str = "binance") -> FundingRule:
    """The funding rule ``exchange`` documents, with its source and as-of date.

    >>> rule = funding_rule("binance")
    >>> rule.interval_hours, rule.first_funding_utc, rule.cap("BTCUSDT")
    (8.0, '00:00', 0.003)
    >>> funding_rule("bitget").charged_from
    'position_margin_down_to_maintenance'
    """
    return _rules()[check_choice("exchange", exchange, funding_exchanges())]


def cap_funding_rate(funding_rate, symbol: str, exchange: str = "binance"):
    """``clamp(rate, floor, cap)`` with the exchange's cap for ``symbol`` [BINANCE-FUNDING].

    Binance: "Capped Funding Rate = clamp(Funding Rate, Floor, Cap)", with
    ``Cap = 0.75 x Maintenance Margin Ratio`` (0.75 x 0.4 % = 0.3 % for BTCUSDT) and
    ``Floor = -Cap``. Where no cap is shipped the rate is only held to [-1, 1].

    >>> cap_funding_rate(0.005, "BTCUSDT"), cap_funding_rate(-0.005, "BNBUSDT")
    (0.003, -0.00375)
    >>> cap_funding_rate([0.0001, 0.01], "ETHUSDT").tolist()
    [0.0001, 0.003]
    """
    contract(symbol)
    rate = as_float_array("funding_rate", funding_rate)
    check_array_range("funding_rate", rate, -RATE_LIMIT, RATE_LIMIT)
    cap = funding_rule(exchange).cap(symbol)
    cap = RATE_LIMIT if cap is None else cap
    return _out(np.clip(rate, -cap, cap))


def _utc(name, value):
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise MarginInputError(f"{name} must be a time such as '2024-01-01 08:00', got {value!r}") from None
    if stamp is pd.NaT:
        raise MarginInputError(f"{name} must be a time such as '2024-01-01 08:00', got {value!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def funding_times(start, end, exchange: str = "binance") -> pd.DatetimeIndex:
    """The funding times ``T`` with ``start < T <= end`` (UTC), on the exchange's schedule.

    Times without a time zone are taken as UTC. Binance's default: every 8 hours at
    00:00, 08:00 and 16:00 UTC [BINANCE-FUNDING].

    >>> [t.strftime("%d %H:%M") for t in funding_times("2024-01-01 00:00", "2024-01-02 08:00")]
    ['01 08:00', '01 16:00', '02 00:00', '02 08:00']
    """
    rule = funding_rule(exchange)
    start, end = _utc("start", start), _utc("end", end)
    if end < start:
        raise MarginInputError(f"end must not be before start ({start}), got {end}")
    step = pd.Timedelta(hours=rule.interval_hours)
    anchor = start.normalize() + pd.Timedelta(rule.first_funding_utc + ":00")
    first = anchor + step * (int((start - anchor) // step) + 1)
    return pd.date_range(first, end, freq=step) if first <= end else pd.DatetimeIndex([], tz="UTC")


def check_rate(name, rate) -> float:
    """A funding rate as a float, or an error naming ``name`` and the range [-1, 1]."""
    return check_between(name, rate, -RATE_LIMIT, RATE_LIMIT)


def check_rates(rates, held) -> dict:
    """``{symbol: rate}`` from a dict of rates or one rate for every symbol in ``held``, checked."""
    if isinstance(rates, dict):
        return {contract(symbol).symbol: check_rate(f"funding rate of {symbol}", rate)
                for symbol, rate in rates.items()}
    if isinstance(rates, numbers.Real) and not isinstance(rates, bool):
        rate = check_rate("rates", rates)
        return {symbol: rate for symbol in held}
    raise MarginInputError(f"rates must be a dict of symbol -> funding rate, or one rate, got {rates!r}")


def _check_series(name, series):
    if not isinstance(series.index, pd.DatetimeIndex) or len(series) == 0:
        raise MarginInputError(f"{name} must be a number or a pandas Series of rates indexed by time, got {series!r}")
    values = as_float_array(name, series.to_numpy())
    check_array_range(name, values, -RATE_LIMIT, RATE_LIMIT)
    index = series.index.tz_localize("UTC") if series.index.tz is None else series.index.tz_convert("UTC")
    order = np.argsort(index.asi8, kind="stable")
    return index[order], values[order]


def _resolve(name, value):
    """A function time -> rate for one symbol, from a number or a Series (checked now)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        rate = check_rate(name, value)
        return lambda t: rate
    if isinstance(value, pd.Series):
        index, values = _check_series(name, value)

        def at(t):
            row = index.searchsorted(t, side="right") - 1
            if row < 0:
                raise MarginInputError(
                    f"{name} must have a rate at or before the funding time {t}, first is {index[0]}"
                )
            return float(values[row])

        return at
    raise MarginInputError(f"{name} must be a number or a pandas Series of rates indexed by time, got {value!r}")


def funding_schedule(index, funding, exchange: str = "binance") -> list:
    """``[(row, time, {symbol: rate})]``: the funding times a run over candles crosses.

    A funding time ``T`` with ``index[row - 1] < T <= index[row]`` is crossed just before
    candle ``row``; the account settles it at the previous candle's close (the last mark
    before ``T``). ``funding`` is a rate for every symbol (a number, or a Series of rates
    indexed by time whose last value at or before ``T`` applies), or a dict
    ``{symbol: number or Series}``.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise MarginInputError(
            f"candles must be indexed by time (a DatetimeIndex) to settle funding, got a {type(index).__name__}"
        )
    if isinstance(funding, dict):
        if not funding:
            raise MarginInputError("funding must name at least one symbol when it is a dict")
        lookups = {symbol: _resolve(f"funding rate of {contract(symbol).symbol}", v) for symbol, v in funding.items()}
    else:
        lookup = _resolve("funding", funding)
        lookups = {symbol: lookup for symbol in symbols()}
    stamps = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    if len(stamps) < 2:
        return []
    times = funding_times(stamps[0], stamps[-1], exchange)
    rows = stamps.searchsorted(times, side="left")
    return [(int(row), time, {s: f(time) for s, f in lookups.items()}) for row, time in zip(rows, times)]


def charge_sources(charged_from, charge, *, available, margin, room=None):
    """Where a funding charge is taken from: ``(from_available, from_margin, unpaid)``.

    ``charge`` is the amount owed (>= 0). ``available`` is the available balance,
    ``margin`` what the position's margin can give (its isolated bucket; for a cross
    position the rest of the cross wallet), ``room`` how far the margin balance is above
    the maintenance margin (for Bitget's rule).

    * ``"available_balance_then_position_margin"`` (Binance, Bybit): the available balance
      first, then the position margin down to zero; the part neither can pay is unpaid.
    * ``"position_margin_down_to_maintenance"`` (Bitget): the position margin only, at most
      down to the maintenance margin; "the excess will not be charged".

    >>> charge_sources("available_balance_then_position_margin", 30, available=20, margin=100)
    (20, 10, 0)
    >>> charge_sources("position_margin_down_to_maintenance", 30, available=500, margin=100, room=12)
    (0, 12, 18)
    """
    check_choice("charged_from", charged_from, CHARGED_FROM)
    if charged_from == CHARGED_FROM[0]:
        from_available = min(charge, max(available, 0))
    else:
        from_available = 0
    limit = max(margin, 0) if room is None else max(min(margin, room), 0)
    from_margin = min(charge - from_available, limit)
    return from_available, from_margin, charge - from_available - from_margin


def describe_rate(rate) -> str:
    """A funding rate as text, with enough decimals for 0.01 %."""
    return f"{fmt(round(rate * 100, 6))} %"
