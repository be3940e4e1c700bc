"""Lesson 5's model: the lesson's world, and every simulation the lesson shows, computed once.

Every number comes from the engine. The Monte Carlo is :mod:`margincourse.engine.copytrading`
(vectorised over seeded price paths, and checked against :class:`margincourse.Account`
path by path in ``tests/test_copytrading.py``). :mod:`.lesson5` lays the numbers out.

The lesson's world, used everywhere:

* the follower has the **1,000 USDT** account of Richra's article on copy trading, copies at
  **10x** and, in the isolated setups, gives this trader a **100 USDT** budget;
* the master opens with 100 USDT of BTC (scaled to the follower's copy ratio), buys
  twice as much each time BTC falls 5 % below the last buy, at most 5 times, and sells
  everything 5 % above the average entry;
* fees: 0.05 % of the notional per fill (a typical taker rate) and Binance's BTCUSDT
  liquidation fee of 1.25 % (``liquidationFee`` in Binance's exchangeInfo, 2024-03-28);
* prices: 1,000 seeded BTC-like paths of 90 days of one-hour candles (seed 0), the
  calibration of :func:`margincourse.generate_path` with jumps as gaps
  (:func:`margincourse.engine.copytrading.price_paths`);
* copy modes (:mod:`margincourse.engine.copytrading.modes`, with the exchanges' pages):
  ``"fixed_ratio"`` (the default: the master's orders scaled to the follower, 100 USDT of BTC
  first), ``"fixed_amount"`` (**10 USDT** of margin per copied order, the fixed ratio's first
  order at 10x) and ``"multiplier"`` (**0.01** times the master's own orders, whose first is
  **10,000 USDT** of BTC on the master's account: the same first order for the follower).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...basics.errors import MarginInputError, check_choice
from ...engine import copytrading as ct

SYMBOL = "BTCUSDT"
START = 1_000.0  # Richra's article: a 100 USDT trade in a 1,000 USDT balance
BUDGET = 100.0  # Richra's article: 'a fixed budget per trader (e.g., 100 USDT)'
LEVERAGE = 10
START_PRICE = 60_000.0
TAKER_FEE = 0.0005
LIQUIDATION_FEE = 0.0125
MASTER = ct.MasterStrategy(first_order=100.0, step=0.05, doublings=5, take_profit=0.05)
SEED = 0
N_PATHS, N_CANDLES = 1_000, 2_160  # 90 days of one-hour candles
SETUPS = ("cross", "isolated", "isolated + auto-add", "cross + stop-loss")
SLIPPAGE = 0.005  # the stop-loss fills 0.5 % worse than its trigger (or than a gapped open)

# the lab bench: a smaller run, computed once for every position of its controls
LAB_PATHS = 100
LAB_DOUBLINGS = tuple(range(7))
LAB_LEVERAGES = (2, 5, 10, 20, 50)
LAB_BUDGETS = (50, 100, 250, 1_000)
BANDS = (5, 25, 50, 75, 95)

# the copy modes: how big each copied order is (margincourse.engine.copytrading.modes)
COPY_MODES = {"fixed_ratio": "fixed ratio", "fixed_amount": "fixed amount", "multiplier": "multiplier"}
COPY_AMOUNT = 10.0  # USDT of margin per copied order: 100 USDT of BTC at 10x, the fixed ratio's first order
MASTER_OWN_FIRST_ORDER = 10_000.0  # USDT of BTC: the master's own first order, on the master's account
COPY_MULTIPLIER = 0.01  # x the master's quantity: its 10,000 USDT first order becomes 100 USDT of BTC for you


# ----------------------------------------------------------------- the settings


def copy_mode_settings(copy_mode="fixed_ratio"):
    """The :class:`~margincourse.engine.copytrading.FollowerSettings` arguments of a copy mode in the
    lesson's world: the mode, and its ``copy_amount`` or ``copy_multiplier`` (a fixed ratio needs none).

    >>> copy_mode_settings("fixed_amount")
    {'copy_mode': 'fixed_amount', 'copy_amount': 10.0}
    """
    check_choice("copy_mode", copy_mode, tuple(COPY_MODES))
    extra = {"fixed_amount": {"copy_amount": COPY_AMOUNT}, "multiplier": {"copy_multiplier": COPY_MULTIPLIER}}
    return {"copy_mode": copy_mode, **extra.get(copy_mode, {})}


def master_for(copy_mode="fixed_ratio", doublings=MASTER.doublings):
    """The master's strategy as the copy mode reads it: with a multiplier, :attr:`MasterStrategy.first_order`
    is the master's *own* first order (10,000 USDT of BTC); otherwise the first order scaled to the
    follower (100 USDT of BTC). The orders' timing is the same either way (every order is twice the last).

    >>> master_for("multiplier").first_order, master_for().first_order
    (10000.0, 100.0)
    """
    copy_mode_settings(copy_mode)
    first = MASTER_OWN_FIRST_ORDER if copy_mode == "multiplier" else MASTER.first_order
    return ct.MasterStrategy(first_order=first, step=MASTER.step, doublings=int(doublings),
                             take_profit=MASTER.take_profit)


def setups(leverage=LEVERAGE, budget=BUDGET, cross_budget=None, copy_mode="fixed_ratio"):
    """The four ways of following the master that the lesson compares, as follower settings
    (each in ``copy_mode``, see :func:`copy_mode_settings`).

    * ``cross``: cross margin, every order the account can pay for is copied (with
      ``cross_budget`` USDT for this trader's order sizes; ``None``: the whole account);
    * ``isolated``: risk reconstruction, a fixed budget for this trader and isolated margin;
    * ``isolated + auto-add``: the same with auto-add margin on (Bybit's rule);
    * ``cross + stop-loss``: cross margin with the same budget for order sizes, and a stop-loss
      market order that closes the copy once it has lost the budget (0.5 % slippage).

    >>> setups()["isolated"].describe()
    'isolated, 10x, budget 100 USDT'
    """
    common = dict(leverage=leverage, starting_balance=START, taker_fee=TAKER_FEE, liquidation_fee=LIQUIDATION_FEE,
                  **copy_mode_settings(copy_mode))
    whole = None if cross_budget is None or float(cross_budget) == START else float(cross_budget)
    return {
        "cross": ct.FollowerSettings("cross", budget_per_trader=whole, **common),
        "isolated": ct.FollowerSettings("isolated", budget_per_trader=float(budget), **common),
        "isolated + auto-add": ct.FollowerSettings("isolated", budget_per_trader=float(budget), auto_add_margin=True,
                                                   **common),
        "cross + stop-loss": ct.FollowerSettings("cross", budget_per_trader=float(budget), stop_loss=1.0,
                                                 stop_slippage=SLIPPAGE, **common),
    }


# ----------------------------------------------------------------- the Monte Carlo


@lru_cache(maxsize=None)
def paths(n_paths=N_PATHS, seed=SEED):
    """The lesson's seeded price paths (90 days of one-hour candles)."""
    return ct.price_paths(n_paths, N_CANDLES, seed=seed, start_price=START_PRICE)


@lru_cache(maxsize=None)
def monte_carlo(leverage=LEVERAGE, budget=BUDGET, copy_mode="fixed_ratio"):
    """The four setups copied on the lesson's 1,000 paths in ``copy_mode``: ``{setup: CopyResult}`` (daily equity)."""
    candles = paths()
    chosen = setups(leverage, budget, copy_mode=copy_mode)
    results = ct.simulate_many(candles, master_for(copy_mode), list(chosen.values()), every=24)
    return dict(zip(chosen, results))


def axis_top(value):
    """A round upper limit for an axis of USDT: the next multiple of 500 at or above ``value``."""
    return float(np.ceil(value / 500.0) * 500.0)


# ----------------------------------------------------------------- one computed example path


@lru_cache(maxsize=None)
def example_path():
    """The first of the lesson's paths where copying in cross loses the whole account after at least
    five winning trades, while the isolated copy keeps at least 900 USDT."""
    results = monte_carlo()
    cross, iso = results["cross"].paths, results["isolated"].paths
    chosen = cross.index[cross["lost_account"] & (cross["wins"] >= 5) & (iso["final_equity"] >= START - BUDGET)]
    if len(chosen) == 0:
        raise MarginInputError("no path shows the trap with these settings")
    return int(chosen[0])


@lru_cache(maxsize=None)
def example_run(index):
    """The example path: its candles, the master's orders, the cross copy run through :class:`Account`
    (for its actions), and both copies' equity at every close from the engine (the tests check they agree)."""
    candles = paths().subset([index])
    log = ct.master_trades(candles, MASTER)
    chosen = setups()
    replay = ct.replay_with_account(candles, 0, MASTER, chosen["cross"], log=log)
    equity = {name: ct.simulate(candles, MASTER, chosen[name], log=log).equity[0] for name in ("cross", "isolated")}
    return candles, log, replay, equity


# ----------------------------------------------------------------- the lab bench


@lru_cache(maxsize=None)
def lab_paths():
    """The lab bench's 100 seeded price paths (90 days of one-hour candles, the lesson's seed)."""
    return ct.price_paths(LAB_PATHS, N_CANDLES, seed=SEED, start_price=START_PRICE)


@lru_cache(maxsize=None)
def lab_grid():
    """Every position of the lab bench's controls, computed once:
    ``{(doublings, leverage, budget, setup, copy_mode): numbers}``.

    Batched runs of :func:`margincourse.engine.copytrading.outcomes` cover every doublings
    value, leverage, budget, setup and copy mode on the lab's 100 paths (daily equity): one
    run for the modes that read the master's orders scaled to the follower (fixed ratio, fixed
    amount), one for the multiplier (the master's own orders, :func:`master_for`). Returns
    ``(grid, days, top)``, where ``top`` is a round number above every band and most final
    balances (the figure's fixed axis limit). The readout's :func:`cycle_margin` of every position is
    computed here too.
    """
    candles = lab_paths()
    grid, days, highest = {}, None, 0.0
    for modes in (("fixed_ratio", "fixed_amount"), ("multiplier",)):
        keys = [(leverage, budget, name, mode) for mode in modes for leverage in LAB_LEVERAGES
                for budget in LAB_BUDGETS for name in SETUPS]
        settings = [setups(leverage, budget, cross_budget=budget, copy_mode=mode)[name]
                    for leverage, budget, name, mode in keys]
        masters = [master_for(modes[0], d) for d in LAB_DOUBLINGS]
        raw = ct.outcomes(candles, masters, settings, every=24)
        days = raw["days"]
        highest = max(highest, _lab_cells(grid, keys, raw))
    for doublings in LAB_DOUBLINGS:  # the readout's cycle margins too, so that moving a control only looks up
        for leverage in LAB_LEVERAGES:
            for mode in COPY_MODES:
                cycle_margin(doublings, leverage, mode)
    return grid, days, axis_top(highest)


def _lab_cells(grid, keys, raw):
    """Fill ``grid`` with the lab bench's numbers of one batched run (``keys`` in the order of its
    settings); return the highest band or 90th percentile of the final balances (for the axis)."""
    n, D, P = len(keys), len(LAB_DOUBLINGS), LAB_PATHS
    bands = np.percentile(raw["equity"].reshape(n, D, P, -1), BANDS, axis=2)  # (bands, settings, doublings, days)
    final = raw["final_equity"].reshape(n, D, P)
    per = {name: raw[name].reshape(n, D, P).sum(axis=2)
           for name in ("trades", "wins", "won", "lost", "liquidations", "margin_top_ups", "skipped_orders")}
    for k, (leverage, budget, name, mode) in enumerate(keys):
        for j, doublings in enumerate(LAB_DOUBLINGS):
            trades, wins = per["trades"][k, j], per["wins"][k, j]
            grid[(doublings, leverage, budget, name, mode)] = dict(
                bands=bands[:, k, j, :],
                final=final[k, j],
                lost=float((final[k, j] < 0.01 * START).mean()),
                over_budget=float((final[k, j] < START - budget - 1e-9).mean()),
                trades=int(trades),
                win_rate=wins / trades if trades else 0.0,
                average_win=per["won"][k, j] / wins if wins else 0.0,
                average_loss=per["lost"][k, j] / (trades - wins) if trades > wins else 0.0,
                liquidations=per["liquidations"][k, j] / P,
                top_ups=per["margin_top_ups"][k, j] / P,
                skipped=per["skipped_orders"][k, j] / P,
            )
    return max(bands[4].max(), np.percentile(final, 90, axis=2).max())


def lab_numbers(doublings=MASTER.doublings, leverage=LEVERAGE, budget=int(BUDGET), setup="cross",
                copy_mode="fixed_ratio"):
    """The lab bench's numbers for one position of its controls (a dict)."""
    grid, _, _ = lab_grid()
    key = (int(doublings), leverage, budget, setup, copy_mode)
    if key not in grid:
        raise MarginInputError(
            f"the lab bench has computed doublings {LAB_DOUBLINGS[0]}-{LAB_DOUBLINGS[-1]}, leverage in "
            f"{LAB_LEVERAGES}, budget in {LAB_BUDGETS}, setups {SETUPS} and copy modes {tuple(COPY_MODES)}, "
            f"got {key}")
    return grid[key]


@lru_cache(maxsize=None)
def cycle_margin(doublings=MASTER.doublings, leverage=LEVERAGE, copy_mode="fixed_ratio"):
    """The margin your copy puts up in one full cycle if BTC only falls from the lesson's start price
    (every order copied): ``(total, last order's margin)`` in USDT, from
    :func:`margincourse.engine.copytrading.copy_ladder`.

    >>> cycle_margin(5, 10, "fixed_ratio"), cycle_margin(5, 10, "fixed_amount")
    ((491.16, 237.71), (58.33, 9.75))
    """
    settings = ct.FollowerSettings(leverage=leverage, budget_per_trader=None, **copy_mode_settings(copy_mode))
    ladder = ct.copy_ladder(master_for(copy_mode, doublings), settings, START_PRICE)
    margins = ladder["copy margin (USDT)"]
    return float(ladder["margin in the cycle (USDT)"].iloc[-1]), float(margins.iloc[-1])
