"""Lesson 5's "Going deeper" sections: reference detail with computed numbers, shown collapsed.

Each function returns a :class:`~.reading.Deeper` (a ``<details>`` section with its text and
tables); the tables behind them are plain functions too, which the tests check:

* :func:`copy_modes`: the falling ladder copied in proportion and with a fixed amount per order;
* :func:`last_cycle`: the example path in numbers (:func:`example_story`), and the cross copy's last cycle
  on it, order by order (:func:`fatal_cycle`);
* :func:`stop_loss_section`: what the stop-loss copies lost beyond the budget (:func:`stop_loss_overshoot`);
* :func:`leverage_section`: what the lab bench's leverage slider does (:func:`leverage_table`).

:mod:`.lesson5` re-exports them, so the notebook calls ``lesson5.copy_modes()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...basics.formatting import money, number, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine.specs import contract
from .lesson5_model import (
    BUDGET, LAB_LEVERAGES, LAB_PATHS, LEVERAGE, MASTER, N_PATHS, START, START_PRICE, SYMBOL, example_path, example_run,
    lab_numbers, monte_carlo,
)
from .reading import Deeper, Table, paths_text

FIXED_MARGIN = 10.0  # USDT of margin per copied order: 100 USDT of BTC at 10x, the master's first order scaled


# ----------------------------------------------------------------- copy modes


def copy_modes_table(fixed_margin=FIXED_MARGIN, leverage=LEVERAGE, start_price=START_PRICE, master=MASTER):
    """The master's falling ladder copied two ways, through :class:`margincourse.Account`.

    * in proportion (the lesson's model; a multiplier of the master's size behaves the same):
      every order is the master's, scaled, so each add doubles;
    * a fixed amount per order: each copied order has ``fixed_margin`` USDT of margin at
      ``leverage``, so each add is the same size (whole contracts of the BTCUSDT contract).

    Each copy holds every order of the ladder; the table shows the position after the last
    add, its loss at that price, and the result if BTC then rises to the master's take
    profit (5 % above the *master's* average entry).
    """
    ladder = master.ladder(start_price)
    step = contract(SYMBOL).contract_size
    fixed_sizes = np.floor(fixed_margin * leverage / (ladder["price"].to_numpy() * step) + 1e-9) * step
    sizes = {"in proportion (doubles with the master)": ladder["size (BTC)"].to_numpy(),
             f"a fixed amount per order ({usdt(fixed_margin, 0)} of margin at {number(leverage)}x)": fixed_sizes}
    master_entry = (ladder["price"] * ladder["size (BTC)"]).sum() / ladder["size (BTC)"].sum()
    take_profit = formulas.round_to_tick(master_entry * (1 + master.take_profit), 0.1)
    last = float(ladder["price"].iloc[-1])
    rows = []
    for label, copied in sizes.items():
        account = Account(1_000_000)  # deep enough: only the position matters here
        for price, size in zip(ladder["price"], copied):
            position = account.open(SYMBOL, "long", round(float(size), 8), float(price), leverage=1, mode="cross")
        rows.append({
            "copy": label,
            "position after the last add (BTC)": money(position.size, 4),
            "its value (USDT)": money(position.size * last),
            "average entry": money(position.entry_price),
            f"loss at {money(last, 1)} (USDT)": money(-account.unrealized_pnl(position, last)),
            f"at the master's take profit, {money(take_profit, 1)} (USDT)":
                money(account.unrealized_pnl(position, take_profit), sign=True),
        })
    table = pd.DataFrame(rows).set_index("copy")
    table.attrs.update(take_profit=take_profit, master_entry=master_entry)
    return table


def copy_modes(fixed_margin=FIXED_MARGIN, leverage=LEVERAGE):
    """Copy modes on the exchanges, and the martingale copied with a fixed amount per order (a :class:`Deeper`)."""
    table = copy_modes_table(fixed_margin, leverage)
    return Deeper(
        "copy modes: in proportion, by a multiplier, or a fixed amount per order",
        "This lesson copies **in proportion**: each of the master's orders, scaled to your account. Exchanges "
        "offer other ways to size a copy. Binance (*How to Use Copy Trading on Binance Futures?*) offers "
        "**Fixed Ratio** (you set a total investment and the system copies in proportion) and **Fixed Amount** "
        "(a fixed amount per trade, the margin of each order). Bitget (*Bitget copy trading: Follower's margin "
        "(Copy mode)*) offers a **fixed amount** (the margin per copy trade), a **multiplier** of the trader's "
        "trades and a **fixed quantity**. OKX (*Copy traders: Introduction to proportional copy trading*) "
        "applies a **multiplier** to the lead trader's order value. The follower also chooses a leverage and a "
        "margin mode (Binance: the lead trader's, or a fixed leverage from 1x to 10x and a fixed cross or "
        "isolated mode).",
        "With a multiplier, your orders still double when the master's do. With a **fixed amount per order** "
        "they do not: every add is the same size, and the position grows one order at a time. The falling "
        "ladder of the first table, copied both ways at "
        f"{number(leverage)}x ({usdt(fixed_margin, 0)} of margin per order is {usdt(fixed_margin * leverage, 0)} "
        "of BTC, the master's first order scaled to you):",
        Table(table),
        "The fixed-amount copy holds far less when the fall comes, so the trap is smaller. But its average "
        "entry falls more slowly than the master's, so the master's take profit, 5 % above *the master's* "
        "average, can close your copy at a loss: the master wins the cycle, and you lose it. Neither way of "
        "sizing makes a martingale safe; the cap still comes from a budget and isolated margin.",
    )


# ----------------------------------------------------------------- the example path's last cycle


def example_story(index=None):
    """What happened on the example path, in a few computed numbers (a dict label -> text)."""
    index = example_path() if index is None else index
    results = monte_carlo()
    cross, iso = results["cross"].paths.loc[index], results["isolated"].paths.loc[index]
    _, _, replay, equity = example_run(index)
    actions = replay[1]
    liquidation = actions[actions["action"] == "liquidated"].iloc[0]
    peak = equity["cross"][: int(liquidation["candle"])].max()
    return {
        "winning copied trades before the loss (cross)": number(int(cross["wins"])),
        "cross account at its best": usdt(peak),
        "cross copy liquidated on day":
            f"{money((liquidation['candle'] + 1) / 24, 1)}, at {usdt(liquidation['price'], 1)}",
        "lost in that liquidation": usdt(liquidation["lost"]),
        "cross account at the end": usdt(cross["final_equity"]),
        "isolated account at the end": usdt(iso["final_equity"]),
        "master's completed cycles on this path": number(int(cross["master_cycles"])),
    }


def fatal_cycle(index=None):
    """The cross follower's last cycle on the example path, action by action (from :class:`Account`)."""
    index = example_path() if index is None else index
    actions = example_run(index)[2][1]
    last_open = actions.index[actions["action"] == "copy open"]
    liquidated = actions.index[actions["action"] == "liquidated"][0]
    start = last_open[last_open < liquidated][-1]
    cycle = actions.loc[start:liquidated].copy()
    table = pd.DataFrame({
        "day": [money(d) for d in (cycle["candle"] + 1) / 24],
        "what happened": cycle["action"],
        "price": [money(p, 1) for p in cycle["price"]],
        "position (BTC)": [money(x, 4) for x in cycle["size"]],
        "average entry": [money(p) if p == p else "-" for p in cycle["average_entry"]],
        "liquidation price": [money(lp, 1) if lp > 0 else ("none" if lp == lp else "-")
                              for lp in cycle["liquidation_price"]],
        "wallet (USDT)": [money(x) for x in cycle["wallet"]],
    })
    return table.reset_index(drop=True)


def last_cycle(index=None):
    """:func:`example_story` and :func:`fatal_cycle`, with the lesson's reading of them (a :class:`Deeper`)."""
    story = example_story(index)
    table = fatal_cycle(index).set_index("day")
    return Deeper(
        "this path in numbers, and the cross copy's last cycle order by order",
        Table(pd.DataFrame({"": list(story.values())}, index=pd.Index(list(story), name="on this path"))),
        "For most of the path the two accounts are the same line: most cycles end with a take profit after a few "
        "buys, all of which both copies could pay for. Then comes a long fall. The cross copy's last cycle, with "
        "the liquidation price the exchange recomputed after each copied order:",
        Table(table),
        "Each add made the position larger against the same wallet and pulled the liquidation price up towards "
        "the market. The liquidation took everything the account had built up in the winning cycles, and the "
        "starting balance with it. The master, whose own account the simulation assumes deep enough to keep "
        "floating the position, may or may not recover later; your copy is gone either way.",
        "The engine closes the whole position at once, which is Bybit's rule; Binance first tries a partial close "
        "(*Binance Futures Liquidation Protocols*). With Binance's 1.25 % liquidation fee against the first tier's "
        "0.4 % maintenance margin rate, a partial close cannot make the account margin-compliant again, so it ends "
        "the same way (lesson 4).",
    )


# ----------------------------------------------------------------- the stop-loss's overshoot


def stop_loss_overshoot(leverage=LEVERAGE, budget=BUDGET):
    """What the ``cross + stop-loss`` copies lost beyond the stop's 100 USDT (a dict label -> text).

    The stop triggers when one copy's price loss reaches the budget; it fills
    :data:`SLIPPAGE` below its trigger (or below a gapped open, never below the candle's
    low), and the trading fees come on top. It limits each copy, not the trader: after a
    stop-out the follower copies the next cycle. So this reports both the worst single
    copied trade and, over whole paths, how far the accounts that ended more than the
    budget down went beyond it.
    """
    paths = monte_carlo(leverage, budget)["cross + stop-loss"].paths
    final = paths["final_equity"].to_numpy()
    excess = (START - budget) - final
    over = excess > 1e-9
    stopped = paths["stop_outs"].to_numpy() > 0
    worst = -paths["worst_trade"].to_numpy()[stopped]
    second = over & ((paths["stop_outs"].to_numpy() >= 2) | paths["still_open"].to_numpy())
    n = len(final)
    readout = {
        "paths with at least one stop-out": f"{number(stopped.sum())} of {number(n)}",
        "their worst copied trade lost: median / worst": f"{money(np.median(worst))} / {usdt(worst.max())}",
        "paths that ended more than the budget down": paths_text(over.sum() / n, n, paths_word=""),
    }
    if over.any():
        readout.update({
            "of those, with a 2nd stop-out or a copy still open at the end": number(second.sum()),
            "of those, beyond the budget: median / 90th percentile / worst": (
                f"{money(np.median(excess[over]))} / {money(np.percentile(excess[over], 90))} / "
                f"{usdt(excess[over].max())}"),
        })
    return readout


def stop_loss_section(leverage=LEVERAGE, budget=BUDGET):
    """Why the stop-loss's column is not zero, in the simulation's numbers (a :class:`Deeper`)."""
    overshoot = stop_loss_overshoot(leverage, budget)
    readout = pd.DataFrame({"": list(overshoot.values())}, index=pd.Index(list(overshoot), name="cross + stop-loss"))
    return Deeper(
        "why a stop-loss is not a cap, in the simulation",
        "Two reasons. First, every stop is a market order: in this model it fills 0.5 % below its trigger in a "
        "slow fall as in a fast one (below the open when BTC gapped through the trigger, never below the candle's "
        "low), and the trigger counts only the position's price loss, so the fees to open and close the copy come "
        f"on top: a stopped-out copy loses a little more than {usdt(budget, 0)}. Second, the stop limits each copy, "
        "not the trader: the budget only limits the margin of the orders copied, so after a stop-out the follower "
        "goes on copying the master's next cycles, and a second stop-out, or a copy still losing at the end of the "
        f"90 days, comes on top of the first. Over the {number(N_PATHS)} paths:",
        Table(readout),
        "Most accounts whose copy was stopped out had earned enough in earlier cycles to end above 1,000 minus the "
        "budget. Of those that did not, the typical one went a few USDT past it (slippage and fees); the ones that "
        "went furthest had a second loss on top. Richra's article calls isolation \"a structural cap\" and "
        "stop-losses \"software-based triggers that can sometimes fail during extreme slippage\".",
    )


# ----------------------------------------------------------------- the leverage slider


def leverage_table(doublings=MASTER.doublings, budget=int(BUDGET)):
    """What the lab bench's leverage slider does: cross with the whole account, and isolated with a budget.

    One row per leverage of the lab bench (its 100 paths). The copy ratio fixes every
    order's size; leverage only sets its initial margin (notional / leverage). In cross,
    Binance's liquidation formula has no leverage in it, so leverage matters only through
    the orders whose margin does not fit (skipped); in isolated, the margin *is* the
    bucket, so higher leverage means thinner buckets.
    """
    rows = []
    for leverage in LAB_LEVERAGES:
        cross = lab_numbers(doublings, leverage, int(START), "cross")
        iso = lab_numbers(doublings, leverage, budget, "isolated")
        rows.append({
            "leverage": f"{leverage}x",
            "cross (whole account): lost it all": paths_text(cross["lost"], LAB_PATHS, paths_word=""),
            "cross (whole account): skipped orders per path": money(cross["skipped"]),
            "cross (whole account): median final": money(np.median(cross["final"])),
            f"isolated ({usdt(budget, 0)}): liquidations per path": money(iso["liquidations"]),
            f"isolated ({usdt(budget, 0)}): skipped orders per path": money(iso["skipped"]),
            f"isolated ({usdt(budget, 0)}): worst final": money(iso["final"].min()),
        })
    return pd.DataFrame(rows).set_index("leverage")


def leverage_section(doublings=MASTER.doublings, budget=int(BUDGET)):
    """Why the leverage slider acts so differently in the two modes (a :class:`Deeper`)."""
    return Deeper(
        "what the leverage slider does",
        "In this lesson's copy the copy ratio fixes the size of every order: the master's first order is "
        f"{usdt(MASTER.first_order, 0)} of BTC for you, whatever your leverage. Your leverage only decides how much "
        "initial margin each copied order needs, notional / leverage. That is why it acts so differently in the "
        "two modes:",
        "- **Cross, whole account.** Binance's liquidation-price formula has no leverage in it: WB is the cross "
        "wallet, and Q and EP are set by the orders. Whenever the same orders are copied, the results are the same, "
        "whatever the leverage. Leverage matters only through whether an order's initial margin still fits in the "
        "available balance: at low leverage the largest orders of a deep cycle no longer fit and are skipped, so "
        "the copy holds less when the fall comes.\n"
        "- **Isolated, fixed budget.** Here the initial margin *is* the bucket. Higher leverage means thinner "
        "buckets, each liquidated by a smaller dip: more liquidations, each of them smaller (and more of the "
        "orders fit in the budget, so fewer are skipped).",
        "This is not lesson 6's *Mistake 2*, where the margin is fixed and the leverage scales the size of the "
        "position: here the size is fixed, and the leverage scales the margin. The lab bench's numbers, for every "
        "leverage it offers:",
        Table(leverage_table(doublings, budget)),
    )
