"""The follower: its settings, the copy rules, and the vectorised simulation that applies them.

How big each copied order is depends on the copy mode
(:mod:`~margincourse.engine.copytrading.modes`). In the default, ``"fixed_ratio"``,
the copy ratio is fixed by :attr:`MasterStrategy.first_order`: the master's first
order, scaled to the follower's account, is that many USDT of BTC (in whole
contracts of 0.0001 BTC); order ``k`` of a cycle is ``multiplier**k`` (``2**k``)
times as large. ``"fixed_amount"`` puts ``copy_amount`` USDT of margin behind every
copied order (it does not double), ``"multiplier"`` copies ``copy_multiplier`` times
the master's own quantity. The follower's exchange rules are exactly
:class:`margincourse.Account`'s (Binance-style one-way mode: every add merges into
one position with a size-weighted average entry; margin, risk tier and liquidation
price are recomputed after every add; liquidation prices come from
:func:`margincourse.liquidation_price_for_tiers` with :func:`margincourse.tier_table`;
a liquidation loses the whole collateral behind the position, the bucket in
isolated mode and the whole cross wallet in cross mode; auto-add margin follows
Bybit's rule, the position's initial margin each time, up to 1x). The copy rules
on top:

* **Budget per trader** (the "risk reconstruction" of the article "Cross vs
  isolated margin for copy trading"): a running allowance that starts at
  ``budget_per_trader`` and moves with everything this trader's copies have gained
  or lost (fees included). An order is copied only if its initial margin plus fee
  fits in the allowance minus the margin already in use, *and* in the account's
  available balance (:attr:`margincourse.Account.available_balance`), and its
  leverage is allowed by the risk tier; otherwise it is skipped, as a copy platform
  skips an order the follower cannot pay for. ``None`` means the whole account is
  the budget. In cross mode the budget only limits order sizes: losses are paid
  from the whole cross wallet.
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

How it runs: :class:`_Follower` loops over the master's events (a few dozen per
path), never over candles. A *lane* is one path copied with one setting (and one
master strategy); every lane moves at once. The money of every lane is a
:class:`~margincourse.engine.copytrading.lanes.FollowerState`, one named array per
quantity; the master's events are an
:class:`~margincourse.engine.copytrading.lanes.EventTable`, one named
``(events, columns)`` array per quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...basics.errors import MarginInputError, check_between, check_choice, check_positive, fmt
from .. import formulas
from ..specs import contract, exchanges, tier_table
from .candles import SYMBOL, Candles
from .lanes import (
    FollowerState,
    LaneSettings,
    _Change,
    _Close,
    _exact_liquidation,
    _gather,
    _merged_table,
    _Order,
    _side_by_side,
    _TopUps,
)
from .master import ADD, OPEN, ROLL, TAKE_PROFIT, MasterLog
from .modes import _copy_table, _sizing, check_copy_mode


@dataclass(frozen=True)
class FollowerSettings:
    """How the follower copies: its own margin mode, leverage, budget and safety nets.

    ``budget_per_trader`` is the allowance for this trader in USDT (``None``: the
    whole account). ``stop_loss`` is ``None`` or the fraction of that budget the copy
    may lose before a stop-loss market order closes it; ``stop_slippage`` is how much
    worse than its trigger (or than a gapped open) the stop fills, as a fraction of
    the price. ``ruin_level`` is the fraction of the starting balance under which the
    account counts as lost.

    ``copy_mode`` sizes the copied orders (:mod:`~margincourse.engine.copytrading.modes`,
    with the exchanges' pages): ``"fixed_ratio"`` (the default: the master's orders as
    :class:`MasterStrategy` scales them to the follower), ``"fixed_amount"`` (every copied
    order puts up ``copy_amount`` USDT of margin) or ``"multiplier"`` (``copy_multiplier``
    times the master's own quantity). ``copy_amount`` and ``copy_multiplier`` are
    required by their own mode and must be None otherwise.

    >>> FollowerSettings("isolated", 10, 100.0, copy_mode="fixed_amount", copy_amount=10.0).describe()
    'isolated, 10x, budget 100 USDT, fixed amount: 10 USDT of margin per order'
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
    copy_mode: str = "fixed_ratio"
    copy_amount: float | None = None
    copy_multiplier: float | None = None

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
        check_copy_mode(self.copy_mode, self.copy_amount, self.copy_multiplier)

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
        if self.copy_mode == "fixed_amount":
            parts.append(f"fixed amount: {fmt(self.copy_amount)} USDT of margin per order")
        elif self.copy_mode == "multiplier":
            parts.append(f"multiplier: {fmt(self.copy_multiplier)} x the master's quantity")
        return ", ".join(parts)


def _closing(size, price, entry, cross_wallet, margin, isolated, taker_fee, liquidated):
    """Account.close's arithmetic (or, if ``liquidated``, the liquidation's): the realized PnL, the
    closing fee and the cross wallet after."""
    pnl = size * (price - entry)
    freed = np.where(isolated, margin, 0.0)
    fee = np.minimum(taker_fee * size * price, cross_wallet + freed + pnl)
    after = np.where(liquidated, np.where(isolated, cross_wallet, 0.0), cross_wallet + (freed + pnl - fee))
    return pnl, fee, after


# ============================================================== the follower


class _Follower:
    """Followers on every path, advanced one master event at a time, all at once.

    A *lane* is one path copied with one setting; the lanes of several settings run
    together (that is how the lesson's dashboard computes all its slider positions in
    one go). The loop keeps only what decisions need, in a :class:`FollowerState`;
    what happened (closes, fees, skipped orders, top-ups) is written down and
    totalled after the loop, with the same arithmetic.

    While a cycle is copied in full, the follower's position is the event table's
    position after the same event: the master's (scaled) position in the fixed-ratio
    mode, the copy's own position in the other copy modes (one block of columns per
    way of sizing the copies, built by :func:`~margincourse.engine.copytrading.modes._copy_table`).
    Once an order of a cycle is skipped, the follower copies no more orders of that cycle.

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
        self.candles, self.shared = candles, first  # shared: the fees, balance and exchange
        self.tiers = tier_table(logs[0].strategy.symbol, first.exchange)
        master = _merged_table(logs, self.tiers)
        P, n = candles.n_paths, len(settings)
        C = master.n_columns  # one column per (log, path)
        # one block of C columns per way of sizing the copies (copy mode): the master's orders as they
        # are (fixed ratio), or the follower's own orders and positions (fixed amount, multiplier)
        sizings = [_sizing(s) for s in settings]
        blocks = list(dict.fromkeys(sizings))
        block = [blocks.index(key) for key in sizings]  # each setting's block
        contract_size = contract(logs[0].strategy.symbol).contract_size
        self.table = _side_by_side([master if key is None else _copy_table(master, key, self.tiers, contract_size)
                                    for key in blocks])
        # a lane is (setting, log, path): lane = setting x C + log x P + path; its column is block x C + log x P + path
        self.n_lanes = n * C
        self.lane_column = np.tile(np.arange(C), n) + np.repeat(np.array(block) * C, C)
        self.lane_path = self.lane_column % P
        self.identity = n == 1 and C == P  # lane, column and path are the same number
        self.settings = LaneSettings.of(settings, C)
        self.isolated = self.settings.isolated
        self._known_ahead(settings, block, C)
        self.state = FollowerState.start(self.n_lanes, float(first.starting_balance))
        self.holding = np.zeros(self.n_lanes, dtype=bool)
        self.copying = np.zeros(self.n_lanes, dtype=bool)
        # which lanes each master event concerns (the same events in every block)
        kind = master.kind
        offsets = (np.arange(n) * C)[:, None]

        def lanes(mask):
            return [(offsets + np.flatnonzero(row)).ravel() for row in mask]

        self.sell_lanes = lanes((kind == ROLL) | (kind == TAKE_PROFIT))
        self.first_lanes = lanes((kind == ROLL) | (kind == OPEN))
        self.add_lanes = lanes(kind == ADD)
        # what happened, written down for the totals after the loop
        self.changes: list[_Change] = []
        self.closes: list[_Close] = []
        self.orders: list[_Order] = []
        self.top_ups: list[_TopUps] = []

    def _known_ahead(self, settings, block, C):
        """Isolated without auto-add: the bucket of a fully copied cycle is known ahead, so is the
        liquidation price after every order (one call per leverage used, on the columns of the
        blocks used with it; ``block[k]`` is setting ``k``'s block of ``C`` columns)."""
        exact = [(float(s.leverage), b) for s, b in zip(settings, block) if _exact_liquidation(s)]
        leverages = sorted({leverage for leverage, _ in exact})
        n_blocks = self.table.n_columns // C
        rows = []
        for leverage in leverages:
            used = sorted({b for lev, b in exact if lev == leverage})
            if len(used) == n_blocks:
                rows.append(self._prices_ahead(leverage, slice(None)))
            else:
                columns = np.concatenate([np.arange(b * C, (b + 1) * C) for b in used])
                row = np.full((self.table.n_events, self.table.n_columns), -np.inf)
                row[:, columns] = self._prices_ahead(leverage, columns)
                rows.append(row)
        self.ahead = np.stack(rows) if rows else None
        which = {leverage: k for k, leverage in enumerate(leverages)}
        self.ahead_index = np.repeat([which.get(float(s.leverage), 0) for s in settings], C)

    def _prices_ahead(self, leverage, columns):
        """Liquidation prices of the isolated position after every buy of the table's ``columns``, fully
        copied at ``leverage``."""
        table = self.table
        kind, buy_size, buy_price = table.kind[:, columns], table.buy_size[:, columns], table.buy_price[:, columns]
        E, P = kind.shape
        buys = (kind == OPEN) | (kind == ADD) | (kind == ROLL)
        m = buy_size * buy_price / leverage  # Account.open's initial margin
        bucket = np.empty((E, P))
        bucket[0] = m[0]
        for e in range(1, E):  # a cycle's margins add up, order by order
            bucket[e] = np.where(kind[e] == ADD, bucket[e - 1] + m[e], m[e])
        lp = np.full((E, P), -np.inf)
        fills = buys & (buy_size > 0)  # an order of no contracts is skipped (copy modes)
        lp[fills] = formulas.liquidation_price_for_tiers("long", table.entry[:, columns][fills],
                                                         table.size[:, columns][fills], bucket[fills], self.tiers)
        return lp

    def columns(self, lanes):
        """The event table's columns of ``lanes``."""
        return lanes if self.identity else self.lane_column[lanes]

    # ---------------------------------------------------------------- the run
    def run(self):
        table = self.table
        every_lane = slice(None) if self.identity else self.lane_column
        for e in range(table.n_events):
            ending = []
            if e:
                i = np.flatnonzero(self.state.watch_price >= table.stretch_low[e][every_lane])
                if i.size:
                    own = self.own_events(i, e)
                    if own is not None:
                        ending.append(own)
                        self.holding[own[0]] = False  # gone before the master's order
            i = self.sell_lanes[e]
            i = i[self.holding[i]]
            if i.size:
                cols = self.columns(i)
                no = np.zeros(i.size, dtype=bool)
                ending.append((i, table.candle[e, cols].astype(np.int64), table.price[e, cols], no, no))
            if ending:
                self.finish(*(np.concatenate(parts) for parts in zip(*ending)) if len(ending) > 1 else ending[0])
            firsts, adds = self.first_lanes[e], self.add_lanes[e]
            adds = adds[self.copying[adds]]
            if firsts.size or adds.size:
                self.buy(np.concatenate([firsts, adds]), e, np.arange(firsts.size + adds.size) < firsts.size)
        return self

    def finish(self, i, t, price, liquidated, stopped):
        """The copies on lanes ``i`` end at ``price``: closed (Account.close) or liquidated (Account's rules)."""
        money = self.state.take(i)
        self.closes.append(_Close(i, price, liquidated, stopped, money.size, money.entry, money.cross_wallet,
                                  money.margin, money.trade_start))
        _, _, after = _closing(money.size, price, money.entry, money.cross_wallet, money.margin, self.isolated[i],
                               self.shared.taker_fee, liquidated)
        self.state.close(i, after)
        self.holding[i] = False
        self.copying[i] = False
        self.changes.append(_Change(i, t, after, np.zeros(i.size)))

    # ---------------------------------------------------------------- copying the master
    def buy(self, i, e, first):
        """Copy master event ``e``'s order on lanes ``i`` (``first``: a cycle's first order) if it can be paid."""
        s, money, setting, table = self.shared, self.state.take(i), self.settings, self.table
        cols = self.columns(i)
        iso, leverage, budget = self.isolated[i], setting.leverage[i], setting.budget[i]
        q, price = table.buy_size[e, cols], table.buy_price[e, cols]  # the order
        size, entry = table.size[e, cols], table.entry[e, cols]  # the position after it, if copied
        m = q * price / leverage  # Account.open: the order's initial margin ...
        f = s.taker_fee * q * price  # ... and its taker fee
        cw = money.cross_wallet
        held = table.held_size[e, cols]  # Account.available_balance with the mark at the order's price
        unrealized = np.minimum(0.0, held * (price - table.held_entry[e, cols]))
        in_cross = np.maximum(0.0, cw + unrealized - held * price / leverage)
        available = np.where(iso | first, np.maximum(0.0, cw), in_cross)
        margin = np.where(first, 0.0, money.margin)
        wallet = money.wallet_balance(iso)
        ok = ((leverage <= table.max_leverage[e, cols]) & (m + f <= available + 1e-9)
              & (m + f <= budget + (wallet - s.starting_balance) - margin + 1e-9))
        self.orders.append(_Order(i, ok, f))
        money.trade_start = np.where(first & ok, wallet, money.trade_start)
        paid = cw - f
        money.cross_wallet = np.where(ok, np.where(iso, paid - m, paid), cw)
        money.margin = np.where(ok, margin + m, money.margin)
        money.size = np.where(ok, size, money.size)
        money.entry = np.where(ok, entry, money.entry)
        stop = entry - setting.stop_loss[i] * budget / size
        stop = np.where(stop == stop, stop, -np.inf)  # no stop-loss: NaN
        money.stop_price = np.where(ok, stop, money.stop_price)
        exact = setting.exact_liquidation[i]
        lp = self.lp_ahead(e, i, exact)
        bound = entry - (money.backing(iso) - table.maintenance_margin[e, cols]) / size + 1e-9 * entry
        money.liquidation_price = np.where(ok, lp, money.liquidation_price)
        money.watch_price = np.where(ok, np.maximum(np.where(exact, lp, bound), stop), money.watch_price)
        self.state.put(i, money)
        self.holding[i] |= ok
        self.copying[i] = ok  # a skipped order ends the copying of this cycle
        equity_base = money.wallet_balance(iso) - money.size * money.entry
        self.changes.append(_Change(i, table.candle[e, cols].astype(np.int64), equity_base, money.size))

    def lp_ahead(self, e, i, exact):
        """The known-ahead liquidation prices at event ``e`` for lanes ``i`` (-inf where not known)."""
        if self.ahead is None:
            return np.full(i.size, -np.inf)
        return np.where(exact, self.ahead[self.ahead_index[i], e, self.columns(i)], -np.inf)

    # ---------------------------------------------------------------- the follower's own events
    def own_events(self, i, e):
        """Auto-adds, liquidations and stops on the way to master event ``e``, for candidate lanes ``i``.

        Returns ``(lanes, candle, price, liquidated, stopped)`` of the copies that end there."""
        i = self.reached(i, e)
        if not i.size:
            return None
        c, table, st = self.candles, self.table, self.state
        # the first candle of the stretch where the price reaches the trigger (one gather for all lanes)
        cols = self.columns(i)
        paths = i if self.identity else self.lane_path[i]
        T = c.n_candles
        lp, stop = st.liquidation_price[i], st.stop_price[i]
        start, level, end = table.stretch_start[e, cols], table.stretch_level[e, cols], table.candle[e, cols]
        end_low = table.stretch_end_low[e, cols]
        width = int((end - start).max()) + 1
        if width * i.size > 200_000:  # long quiet stretches: let the block scanner find the candle
            candle = c.scanner().first(paths, start, end, np.maximum(lp, stop), end_low=end_low)
        else:
            window = start[:, None] + np.arange(width)
            lows = c.low.ravel()[paths[:, None] * T + np.minimum(window, T - 1)]
            lows = np.where(window == end[:, None], end_low[:, None], lows)
            candle = start + np.argmax((window <= end[:, None]) & (np.maximum(lp, stop)[:, None] >= lows), axis=1)
        now = np.where((candle == start) & (level < np.inf), level, c.open[paths, candle])
        # what happens there: the stop fires first only if the liquidation price is lower and not gapped through
        fires = (stop > lp) & (lp < now)
        fill = np.maximum(np.minimum(stop, now) * (1 - self.settings.slippage[i]), c.low[paths, candle])
        stopped = fires & (fill > lp)  # otherwise the price passes the liquidation price before the fill
        return i, candle, np.where(stopped, fill, np.minimum(lp, now)), ~stopped, stopped

    def reached(self, i, e):
        """The lanes among ``i`` whose liquidation price or stop the stretch before event ``e`` reaches
        (after auto-adding margin where that is on)."""
        st = self.state
        lowest = self.table.stretch_low[e, self.columns(i)]
        auto = self.settings.auto_add[i]
        reached = []
        if auto.any():
            reached.append(self.auto_add(i[auto], lowest[auto]))
        if not auto.all():
            j, low = i[~auto], lowest[~auto]
            unknown = j[~self.settings.exact_liquidation[j]]
            if unknown.size:
                money = st.take(unknown)
                st.liquidation_price[unknown] = formulas.liquidation_price_for_tiers(
                    "long", money.entry, money.size, money.backing(self.isolated[unknown]), self.tiers)
            reached.append(j[np.maximum(st.liquidation_price[j], st.stop_price[j]) >= low])
        return np.concatenate(reached) if len(reached) > 1 else reached[0]

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
        money = self.state.take(i)
        notional = money.size * money.entry
        each = notional / self.settings.leverage[i]
        m0, cw0 = money.margin, money.cross_wallet
        # How many top-ups can matter: the upper bound of the liquidation price (linear in the margin,
        # the one buy() watches) says after how many the price can no longer reach the liquidation price.
        room = np.minimum(notional - m0, np.maximum(cw0, 0.0)) / each
        needed = ((money.entry - lowest) * money.size + self.tiers.maintenance_margin(notional) + 1e-6 - m0) / each
        steps = int(np.clip(np.ceil(np.minimum(room, np.maximum(needed, 0.0)).max()), 0, 10_000)) + 1
        margins, wallets, count = _top_up_ladder(m0, cw0, each, notional, steps)
        # liquidation prices along the ladder, a few columns at a time, until the price stops reaching them
        rows, columns = np.arange(i.size), np.arange(steps + 1)
        lps = np.full(margins.shape, -np.inf)
        todo, first = rows, 0
        while todo.size and first <= steps:
            last = min(first + 8, steps + 1)
            lps[todo, first:last] = formulas.liquidation_price_for_tiers(
                "long", money.entry[todo, None], money.size[todo, None], margins[todo, first:last], self.tiers)
            more = (lps[todo, first:last] >= lowest[todo, None]) & (columns[None, first:last] < count[todo, None])
            todo, first = todo[more.all(axis=1)], last
        n = np.argmin((lps >= lowest[:, None]) & (columns[None, :] < count[:, None]), axis=1)  # top-ups made
        self.top_ups.append(_TopUps(i, n, margins[rows, n] - m0))
        money.margin = margins[rows, n]
        money.cross_wallet = wallets[rows, n]
        money.liquidation_price = money.watch_price = lps[rows, n]
        self.state.put(i, money)
        return i[money.liquidation_price >= lowest]

    # ---------------------------------------------------------------- after the loop
    def totals(self):
        """Per lane: the ledger (Account's identity) and the counters, from what was written down."""
        s, n = self.shared, self.n_lanes
        closes = _gather(self.closes, _Close)
        lane = closes.lanes.astype(np.int64)
        liquidated, stopped = closes.liquidated.astype(bool), closes.stopped.astype(bool)
        iso = self.isolated[lane]
        size, price = closes.size, closes.price
        pnl, fee, after = _closing(size, price, closes.entry, closes.cross_wallet, closes.margin, iso, s.taker_fee,
                                   liquidated)
        left = np.where(iso, closes.margin, closes.cross_wallet) + pnl
        liquidation_fee = np.minimum(s.liquidation_fee * size * price, np.maximum(left, 0.0))
        result = after - closes.trade_start
        win = result > 0

        def total(values):
            return np.bincount(lane, values, minlength=n).astype(float)

        def number(mask):
            return np.bincount(lane[mask], minlength=n)

        orders = _gather(self.orders, _Order)
        o_lane, copied = orders.lanes.astype(np.int64), orders.copied.astype(bool)
        top_ups = _gather(self.top_ups, _TopUps)
        u_lane = top_ups.lanes.astype(np.int64)
        worst = np.zeros(n)
        np.minimum.at(worst, lane, result)
        return dict(
            trades=number(np.ones(lane.size, dtype=bool)),
            wins=number(win),
            won=total(np.where(win, result, 0.0)),
            lost=total(np.where(win, 0.0, result)),
            worst_trade=worst,
            liquidations=number(liquidated),
            stop_outs=number(stopped),
            margin_top_ups=np.bincount(u_lane, top_ups.count, minlength=n).astype(np.int64),
            auto_added_margin=np.bincount(u_lane, top_ups.amount, minlength=n).astype(float),
            skipped_orders=np.bincount(o_lane[~copied], minlength=n),
            realized_pnl=total(pnl),
            trading_fees=(total(np.where(liquidated, 0.0, fee))
                          + np.bincount(o_lane[copied], orders.fee[copied], minlength=n)),
            liquidation_fees=total(np.where(liquidated, liquidation_fee, 0.0)),
            insurance_fund_contribution=total(np.where(liquidated, np.maximum(left - liquidation_fee, 0.0), 0.0)),
            insurance_fund_loss=total(np.where(liquidated, np.maximum(-left, 0.0), 0.0)),
        )

    def equity(self, columns):
        """Equity of every lane at the closes of candles ``columns`` (forward-filled between changes)."""
        n, K = self.n_lanes, columns.size
        start = float(self.shared.starting_balance)
        changes = _gather(self.changes, _Change)
        key = changes.lanes.astype(np.int64) * (K + 1) + np.searchsorted(columns, changes.candle)
        # changes are written in time order, so the state at a close is the latest change before it
        where = np.full(n * (K + 1), -1, dtype=np.int64)
        if key.size:
            order = np.argsort(key, kind="stable")
            key = key[order]
            last = np.append(key[1:] != key[:-1], True)
            where[key[last]] = order[last]
        where = np.maximum.accumulate(where.reshape(n, K + 1), axis=1)[:, :K]
        base = np.concatenate([changes.base, [start]])  # index -1: before the first copy
        size = np.concatenate([changes.size, [0.0]])
        closes = self.candles.close[:, columns]
        return base[where] + size[where] * (closes if self.identity else closes[self.lane_path])


def _top_up_ladder(margin, cross_wallet, each, notional, steps):
    """The bucket and the cross wallet after 0, 1, 2 ... ``steps`` top-ups, and how many are possible.

    Full top-ups of ``each``, then at most one smaller last one (Account._auto_add_amount),
    added one by one as the account does; a top-up needs money in the cross wallet and
    room below 1x leverage. Past the possible ones, the bucket stays where it is.
    """
    margins = np.cumsum(np.column_stack([margin, np.repeat(each[:, None], steps, axis=1)]), axis=1)
    wallets = np.cumsum(np.column_stack([cross_wallet, np.repeat(-each[:, None], steps, axis=1)]), axis=1)
    full = ((each[:, None] <= notional[:, None] - margins[:, :-1]) & (each[:, None] <= wallets[:, :-1])
            & (each[:, None] > 1e-9))
    n_full = np.argmin(np.column_stack([full, np.zeros(margin.size, dtype=bool)]), axis=1)  # leading full top-ups
    rows = np.arange(margin.size)
    last_amount = np.minimum(notional - margins[rows, n_full], np.maximum(wallets[rows, n_full], 0.0))
    partial = (n_full < steps) & (last_amount > 1e-9)
    k = np.minimum(n_full + 1, steps)
    margins[rows[partial], k[partial]] = margins[rows[partial], n_full[partial]] + last_amount[partial]
    wallets[rows[partial], k[partial]] = wallets[rows[partial], n_full[partial]] - last_amount[partial]
    count = n_full + partial  # top-ups possible before the money (or the room to 1x) runs out
    columns = np.arange(steps + 1)
    margins = np.where(columns[None, :] <= count[:, None], margins, margins[rows, count][:, None])
    return margins, wallets, count
