"""Running the follower over many paths, and what comes out: one row per path, and a summary.

:func:`simulate` copies one master strategy with one follower setting on every path;
:func:`simulate_many` and :func:`outcomes` run several settings (and several
strategies) in one batched pass, which is how the lesson's lab bench computes every
slider position at once; :func:`compare` puts the summaries of several setups side
by side. Settings in different copy modes (``FollowerSettings(copy_mode=...)``) can
run in the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError
from .candles import Candles
from .follower import FollowerSettings, _Follower
from .master import MasterLog, MasterStrategy, master_trades

# the per-path totals of the follower's books and counters, in the order of CopyResult.paths
_TOTALS = ("trades", "wins", "won", "lost", "worst_trade", "liquidations", "stop_outs", "margin_top_ups",
           "auto_added_margin", "skipped_orders", "realized_pnl", "trading_fees", "liquidation_fees",
           "insurance_fund_contribution", "insurance_fund_loss")


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


def simulate(candles: Candles, strategy: MasterStrategy, settings: FollowerSettings, *,
             log: MasterLog | None = None, every: int = 1) -> CopyResult:
    """Copy ``strategy`` with ``settings`` on every path of ``candles``; see :mod:`margincourse.engine.copytrading`.

    Pass ``log`` (from :func:`master_trades`) to reuse the master's orders across
    several follower settings. ``every`` keeps the equity at every ``every``-th close
    only (and always the last one); the maximum drawdown is measured on those closes.

    >>> from margincourse.engine.copytrading import price_paths
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
        final_wallet=f.state.wallet_balance(f.isolated),
        max_drawdown=((peak - equity) / peak).max(axis=1),
        still_open=f.holding.copy(),
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


def compare(candles: Candles, strategy: MasterStrategy, setups: dict, *, every: int = 1) -> pd.DataFrame:
    """:func:`summarize` for several follower setups on the same paths (one column each)."""
    results = simulate_many(candles, strategy, list(setups.values()), every=every)
    return pd.DataFrame({name: r.summary() for name, r in zip(setups, results)})
