"""The named arrays the follower's loop works on, one entry per *lane*.

A lane is one path copied with one follower setting (and one master strategy):
the lessons run every setting of a dashboard on every path in one pass, so the
follower's loop moves thousands of lanes at once. What it reads and writes is kept
here, one named numpy array per quantity, so a reader can follow the money:

* :class:`EventTable`: the master's events, as the follower reads them;
* :class:`LaneSettings`: each lane's follower settings;
* :class:`FollowerState`: each lane's money and open copy;
* the journals (:class:`_Change`, :class:`_Close`, :class:`_Order`, :class:`_TopUps`):
  what happened during the run, totalled after it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from .master import ADD, NONE, OPEN, ROLL, MasterLog

# ============================================================== the master's events


@dataclass(frozen=True, eq=False)
class EventTable:
    """The master's events as the follower reads them: one ``(events, columns)`` array per
    quantity, one column per path of each master log run together.

    ``kind``, ``candle`` and ``price`` are :class:`MasterLog`'s. Where the event buys:
    ``buy_price`` and ``buy_size`` the order, ``size`` and ``entry`` the master's
    position after it (elsewhere 1.0, 0.0, 1.0, 1.0, so that every division stays
    finite); ``held_size`` and ``held_entry`` the position before the event (what an
    add is added to); ``max_leverage`` the highest leverage the risk tier of the
    position after the buy allows (0 beyond the tier table); ``maintenance_margin``
    that position's maintenance margin at its entry price. ``stretch_start``,
    ``stretch_level``, ``stretch_end_low`` and ``stretch_low`` are the log's
    ``segment_*``: the stretch of prices the position went through before the event,
    and its lowest price.
    """

    kind: np.ndarray
    candle: np.ndarray
    price: np.ndarray
    buy_price: np.ndarray
    buy_size: np.ndarray
    size: np.ndarray
    entry: np.ndarray
    held_size: np.ndarray
    held_entry: np.ndarray
    stretch_low: np.ndarray
    stretch_start: np.ndarray
    stretch_level: np.ndarray
    stretch_end_low: np.ndarray
    max_leverage: np.ndarray
    maintenance_margin: np.ndarray

    @property
    def n_events(self) -> int:
        return self.kind.shape[0]

    @property
    def n_columns(self) -> int:
        return self.kind.shape[1]

    def buys(self) -> np.ndarray:
        """Where the master buys: a cycle's first order (open or roll) or an add."""
        return (self.kind == OPEN) | (self.kind == ADD) | (self.kind == ROLL)


def _event_table(log: MasterLog, tiers) -> EventTable:
    """The master's events of one log as an :class:`EventTable` (built once per log and tier table)."""
    key = ("_table", tiers.exchange)
    cached = log.__dict__.get(key)
    if cached is None:
        buys = (log.kind == OPEN) | (log.kind == ADD) | (log.kind == ROLL)
        cached = EventTable(
            kind=log.kind, candle=log.candle, price=log.price,
            stretch_low=log.segment_min, stretch_start=log.segment_start, stretch_level=log.segment_level,
            stretch_end_low=log.segment_end_low,
            **_positions(buys, log.buy_price, log.buy_size, log.master_size, log.master_entry, tiers),
        )
        log.__dict__[key] = cached
    return cached


def _positions(buys, buy_price, buy_size, size, entry, tiers) -> dict:
    """The order and position columns of an :class:`EventTable` where ``buys``: the order (``buy_price``,
    ``buy_size``), the position after it (``size``, ``entry``) and before it, the leverage its risk
    tier allows and its maintenance margin (elsewhere the neutral values of :class:`EventTable`)."""
    size = np.where(buys, size, 1.0)
    entry = np.where(buys, entry, 1.0)
    buy_price = np.where(buys, buy_price, 1.0)
    # the tier of the position after each buy (Account.open checks the leverage against it),
    # 0 where the notional is beyond the table; and the maintenance margin at the entry price
    notional = size * buy_price
    return dict(
        buy_price=buy_price, buy_size=np.where(buys, buy_size, 0.0), size=size, entry=entry,
        held_size=_held(size), held_entry=_held(entry),
        max_leverage=np.where(notional < tiers.max_notional(), tiers.lookup(notional)[2], 0.0),
        maintenance_margin=tiers.maintenance_margin(size * entry),
    )


def _held(after):
    """The value before each event: the one after the previous event (0 before the first)."""
    return np.vstack([np.zeros((1, after.shape[1])), after[:-1]])


def _merged_table(logs, tiers) -> EventTable:
    """The event tables of several master logs side by side (one column per log and path),
    the shorter ones padded with events that concern nobody."""
    return _side_by_side([_event_table(log, tiers) for log in logs])


def _side_by_side(tables) -> EventTable:
    """Several event tables as one, column blocks in the order given, the shorter ones padded with
    events that concern nobody."""
    if len(tables) == 1:
        return tables[0]
    E = max(t.n_events for t in tables)
    padded = []
    for t in tables:
        if t.n_events < E:
            # copies of the last row (the end of the horizon) that ask nothing of anyone
            pad = {f.name: np.repeat(getattr(t, f.name)[-1:], E - t.n_events, axis=0) for f in fields(t)}
            pad["kind"][:] = NONE
            pad["stretch_low"][:] = np.inf
            t = EventTable(**{name: np.concatenate([getattr(t, name), pad[name]]) for name in pad})
        padded.append(t)
    return EventTable(**{f.name: np.concatenate([getattr(t, f.name) for t in padded], axis=1)
                         for f in fields(EventTable)})


# ============================================================== the follower's money, lane by lane


@dataclass(eq=False)
class FollowerState:
    """The follower's money on every lane (or on some lanes: :meth:`take`), one array each.

    ``cross_wallet``: the cash outside any isolated bucket (USDT); ``margin``: the
    margin behind the open copy (the isolated bucket, or the initial margin in use in
    cross mode); ``size`` (BTC) and ``entry`` (average entry price): the open copy,
    0 when there is none; ``trade_start``: the wallet balance just before the trade's
    first order (a trade is a win if it ends above it); ``liquidation_price``: the
    exact one where it is known, -inf where not computed; ``stop_price``: the
    stop-loss trigger (-inf: no stop); ``watch_price``: the highest price at which
    something can happen to the copy (its stop, or its liquidation price or an upper
    bound of it): while the price stays above it, the lane needs no attention.
    """

    cross_wallet: np.ndarray
    margin: np.ndarray
    size: np.ndarray
    entry: np.ndarray
    trade_start: np.ndarray
    liquidation_price: np.ndarray
    stop_price: np.ndarray
    watch_price: np.ndarray

    @classmethod
    def start(cls, lanes: int, balance: float) -> "FollowerState":
        """Every lane before its first copy: the whole balance in the wallet, no position."""
        def zeros():
            return np.zeros(lanes)

        def nothing():
            return np.full(lanes, -np.inf)

        return cls(cross_wallet=np.full(lanes, balance), margin=zeros(), size=zeros(), entry=zeros(),
                   trade_start=zeros(), liquidation_price=nothing(), stop_price=nothing(), watch_price=nothing())

    def take(self, lanes) -> "FollowerState":
        """A copy of the state of ``lanes`` (to change, then :meth:`put` back)."""
        return FollowerState(*(getattr(self, f.name)[lanes] for f in fields(self)))

    def put(self, lanes, part: "FollowerState"):
        """Write ``part`` (from :meth:`take`) back onto ``lanes``."""
        for f in fields(self):
            getattr(self, f.name)[lanes] = getattr(part, f.name)

    def close(self, lanes, cross_wallet):
        """No copy open on ``lanes`` any more; the wallet is now ``cross_wallet`` (the trade's start stays)."""
        self.cross_wallet[lanes] = cross_wallet
        self.margin[lanes] = self.size[lanes] = self.entry[lanes] = 0.0
        self.liquidation_price[lanes] = self.stop_price[lanes] = self.watch_price[lanes] = -np.inf

    def wallet_balance(self, isolated) -> np.ndarray:
        """Account.wallet_balance: the cross wallet plus the isolated bucket."""
        return self.cross_wallet + np.where(isolated, self.margin, 0.0)

    def backing(self, isolated) -> np.ndarray:
        """What backs the position: its bucket (isolated) or the cross wallet (cross)."""
        return np.where(isolated, self.margin, np.maximum(self.cross_wallet, 1e-12))


@dataclass(frozen=True, eq=False)
class LaneSettings:
    """Each lane's follower settings, one array each (``stop_loss`` NaN: none;
    ``exact_liquidation``: isolated without auto-add, whose liquidation prices are
    known ahead)."""

    leverage: np.ndarray
    budget: np.ndarray
    isolated: np.ndarray
    auto_add: np.ndarray
    stop_loss: np.ndarray
    slippage: np.ndarray
    exact_liquidation: np.ndarray

    @classmethod
    def of(cls, settings: list, columns: int) -> "LaneSettings":
        """Lane ``k x columns + column`` has ``settings[k]`` (a list of :class:`FollowerSettings`)."""
        def each(value, dtype=float):
            return np.repeat(np.array([value(s) for s in settings], dtype=dtype), columns)

        return cls(
            leverage=each(lambda s: s.leverage),
            budget=each(lambda s: s.budget),
            isolated=each(lambda s: s.margin_mode == "isolated", bool),
            auto_add=each(lambda s: s.auto_add_margin, bool),
            stop_loss=each(lambda s: np.nan if s.stop_loss is None else s.stop_loss),
            slippage=each(lambda s: s.stop_slippage),
            exact_liquidation=each(_exact_liquidation, bool),
        )


def _exact_liquidation(setting) -> bool:
    """Isolated without auto-add: the liquidation price after each order is known ahead."""
    return setting.margin_mode == "isolated" and not setting.auto_add_margin


# ============================================================== the journals
# what the follower writes down during the run, for the totals after it


class _Change(NamedTuple):
    """The equity of ``lanes`` from ``candle`` on: ``base + size x close``."""

    lanes: np.ndarray
    candle: np.ndarray
    base: np.ndarray  # wallet balance - size x entry
    size: np.ndarray


class _Close(NamedTuple):
    """Copies that ended (at the master's take profit, a stop or a liquidation), and the money before."""

    lanes: np.ndarray
    price: np.ndarray
    liquidated: np.ndarray
    stopped: np.ndarray
    size: np.ndarray
    entry: np.ndarray
    cross_wallet: np.ndarray
    margin: np.ndarray
    trade_start: np.ndarray


class _Order(NamedTuple):
    """The master's orders offered to ``lanes``: whether each was copied, and its taker fee."""

    lanes: np.ndarray
    copied: np.ndarray
    fee: np.ndarray


class _TopUps(NamedTuple):
    """Auto-add margin on ``lanes``: how many top-ups, and the margin they moved into the bucket."""

    lanes: np.ndarray
    count: np.ndarray
    amount: np.ndarray


def _gather(parts: list, kind):
    """The journal ``parts`` (a list of ``kind``) as one ``kind`` of concatenated arrays."""
    if not parts:
        return kind(*(np.zeros(0) for _ in kind._fields))
    return kind(*(np.concatenate(column) for column in zip(*parts)))

