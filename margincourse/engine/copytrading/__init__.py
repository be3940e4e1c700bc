"""Copy trading a martingale master: a vectorised Monte Carlo engine.

A *master trader* runs a martingale on BTCUSDT: open a long; each time the price
falls ``step`` (e.g. 5 %) below the last buy, buy again, twice as much as the
previous order, up to ``doublings`` times; sell everything once the price is
``take_profit`` above the average entry; start again. A *follower* copies every
order into its own account, with its own settings (:class:`FollowerSettings`): the
copy mode (a fixed ratio of the master's orders, a fixed USDT amount of margin per
order, or a multiplier of the master's quantity), margin mode, leverage, a budget
for this trader, auto-add margin, a stop-loss. This package runs that over many
seeded price paths at once and reports, per path, what became of the follower's
whole account.

Everything is computation: no widgets, no figures (the lessons draw them).

    paths = price_paths(1_000, 2_160, seed=0)          # 90 days of one-hour candles
    result = simulate(paths, MasterStrategy(), FollowerSettings("isolated", 10, 100.0))
    result.paths          # one row per path: final equity, lost_account, max_drawdown, trades ...
    result.summary()      # probability of losing the account, percentiles, win rate ...
    fixed = FollowerSettings("isolated", 10, 100.0, copy_mode="fixed_amount", copy_amount=10.0)
    simulate(paths, MasterStrategy(), fixed)          # every copied order puts up 10 USDT of margin

Where each part lives
---------------------
* :mod:`~margincourse.engine.copytrading.candles`: the price paths
  (:func:`price_paths`, :class:`Candles`, their calibration) and the scanner that
  finds the candle where a price is reached.
* :mod:`~margincourse.engine.copytrading.master`: the master's martingale
  (:class:`MasterStrategy`) and every order it places on every path
  (:func:`master_trades`, :class:`MasterLog`).
* :mod:`~margincourse.engine.copytrading.modes`: the copy modes (how big each
  copied order is, with the exchanges' pages they come from), :func:`copy_order_sizes`
  and :func:`copy_ladder`.
* :mod:`~margincourse.engine.copytrading.follower`: the follower's settings
  (:class:`FollowerSettings`), the copy rules (budget, skipped orders, stop-loss,
  fees) and the vectorised follower that applies them, path by path and setting by
  setting at once, on the named arrays of
  :mod:`~margincourse.engine.copytrading.lanes` (the money of each lane, the master's
  events as the follower reads them).
* :mod:`~margincourse.engine.copytrading.results`: the runners (:func:`simulate`,
  :func:`simulate_many`, :func:`outcomes`, :func:`compare`) and what they return
  (:class:`CopyResult`, :func:`summarize`).
* :mod:`~margincourse.engine.copytrading.one_path`: :func:`replay_with_account`, the
  slow reference that runs one path through :class:`margincourse.Account`.

Every name is importable from here (``from margincourse.engine import copytrading
as ct``, ``mc.copytrading.simulate``); the modules are where to read how it works.

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

A copied order fills at the master's price (no copy delay).

Speed
-----
The engine loops over the master's orders (a few dozen per path), never over
candles: each step moves every path at once, and the candle where something
happens is found with numpy over whole stretches. :func:`simulate_many` and
:func:`outcomes` run several settings (and several strategies) in one batched
pass. See ``tests/engine/test_copytrading.py`` for the measured budget.

Validation
----------
:func:`replay_with_account` runs the same trades for one path through
:class:`margincourse.Account`, one price move at a time; the tests check that it
gives the vectorised result to the cent (equity at every close, the ledger, the
counts of liquidations, top-ups and stops), and that money is conserved on every
path (the account's :class:`~margincourse.engine.events.Ledger` identity).
"""

from __future__ import annotations

from .candles import MINUTES_PER_YEAR, SYMBOL, Candles, price_paths
from .follower import FollowerSettings
from .master import (
    ADD,
    AFTER_CLOSE,
    AT_CLOSE,
    AT_OPEN,
    DOWN,
    END,
    KIND_NAMES,
    NONE,
    OPEN,
    ROLL,
    TAKE_PROFIT,
    UP,
    MasterLog,
    MasterStrategy,
    master_trades,
)
from .modes import COPY_MODES, copy_ladder, copy_order_sizes
from .one_path import replay_with_account
from .results import CopyResult, compare, outcomes, simulate, simulate_many, summarize

# The public names. Also importable from here, as before the split: SYMBOL, the
# master's event kinds and legs (OPEN, ADD, ROLL ...; the tests read a MasterLog with
# them), KIND_NAMES and summarize.
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
    "copy_order_sizes",
    "copy_ladder",
    "COPY_MODES",
    "MINUTES_PER_YEAR",
]
