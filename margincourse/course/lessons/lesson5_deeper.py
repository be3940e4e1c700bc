"""Lesson 5's "Going deeper" sections: reference detail with computed numbers, shown collapsed.

Each function returns a :class:`~.reading.Deeper` (a ``<details>`` section with its text and
tables); the tables behind them are plain functions too, which the tests check:

* :func:`copy_modes`: the exchanges' copy modes, the falling ladder copied in each (:func:`copy_modes_table`)
  and the Monte Carlo in each (:func:`copy_modes_outcomes`);
* :func:`last_cycle`: the example path in numbers (:func:`example_story`), and the cross copy's last cycle
  on it, order by order (:func:`fatal_cycle`);
* :func:`stop_loss_section`: what the stop-loss copies lost beyond the budget (:func:`stop_loss_overshoot`);
* :func:`leverage_section`: what the lab bench's leverage slider does (:func:`leverage_table`).

:mod:`.lesson5` re-exports them, so the notebook calls ``lesson5.copy_modes()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine import copytrading as ct
from .lesson5_model import (
    BUDGET, COPY_AMOUNT, COPY_MODES, COPY_MULTIPLIER, LAB_LEVERAGES, LAB_PATHS, LEVERAGE, MASTER,
    MASTER_OWN_FIRST_ORDER, N_PATHS, START, START_PRICE, SYMBOL, copy_mode_settings, example_path, example_run,
    lab_numbers, master_for, monte_carlo,
)
from .reading import Deeper, Table, paths_text

# ----------------------------------------------------------------- copy modes


def copy_modes_table(leverage=LEVERAGE, start_price=START_PRICE):
    """The master's falling ladder copied in each copy mode, through :class:`margincourse.Account`.

    Each mode's order sizes come from :func:`margincourse.engine.copytrading.copy_order_sizes`
    (a fixed ratio: the master's orders scaled to you, each add doubling; a fixed amount:
    :data:`COPY_AMOUNT` USDT of margin at ``leverage`` per order, in whole contracts; a
    multiplier: :data:`COPY_MULTIPLIER` times the master's own orders, each rounded down to
    whole contracts). Each copy holds every order of the ladder; the table shows the position
    after the last add, the margin behind it, its loss at that price, and the result if BTC
    then rises to the master's take profit (5 % above the *master's* average entry).
    """
    rows = []
    for mode, label in COPY_MODES.items():
        master = master_for(mode)
        ladder = master.ladder(start_price)
        prices = ladder["price"].to_numpy()
        settings = ct.FollowerSettings(leverage=leverage, budget_per_trader=None, **copy_mode_settings(mode))
        sizes = ct.copy_order_sizes(settings, master.order_sizes(prices[0]), prices)
        master_entry = float((prices * ladder["size (BTC)"]).sum() / ladder["size (BTC)"].sum())
        take_profit = formulas.round_to_tick(master_entry * (1 + master.take_profit), 0.1)
        account = Account(1_000_000)  # deep enough: only the position matters here
        for price, size in zip(prices, sizes):
            position = account.open(SYMBOL, "long", round(float(size), 8), float(price), leverage=leverage,
                                    mode="cross")
        last = float(prices[-1])
        rows.append({
            "copy mode": label,
            "your orders (BTC)": " + ".join(money(x, 4) for x in sizes),
            "position (BTC)": money(position.size, 4),
            "margin behind it (USDT)": money((sizes * prices).sum() / leverage),
            "average entry": money(position.entry_price),
            f"loss at {money(last, 1)} (USDT)": money(-account.unrealized_pnl(position, last)),
            f"at the master's take profit, {money(take_profit, 1)} (USDT)":
                money(account.unrealized_pnl(position, take_profit), sign=True),
        })
    table = pd.DataFrame(rows).set_index("copy mode")
    table.attrs.update(take_profit=take_profit, master_entry=master_entry)
    return table


def copy_modes_outcomes(leverage=LEVERAGE, budget=BUDGET):
    """The Monte Carlo of the lesson (1,000 paths, 90 days) in each copy mode: cross with the whole
    account and isolated with ``budget`` for the trader, one row each (a DataFrame of texts)."""
    rows = {}
    for mode, label in COPY_MODES.items():
        results = monte_carlo(leverage, budget, mode)
        for setup in ("cross", "isolated"):
            result = results[setup]
            s, p = result.summary(), result.paths
            rows[f"{label}, {setup}"] = {
                "lost the whole account": paths_text(s["P(lose the whole account)"], N_PATHS, paths_word=""),
                "worst final balance": money(s["worst final equity"]),
                "median final balance": money(s["median final equity"]),
                "copied trades won": percent(s["win rate"], 1),
                "average win / average loss": f"{money(s['average win'])} / {money(s['average loss'])}",
                "worst copied cycle": money(p["worst_trade"].min()),
                "liquidations per path": money(p["liquidations"].mean()),
            }
    frame = pd.DataFrame(rows).T
    frame.index.name = f"{number(N_PATHS)} paths, {number(leverage)}x"
    return frame


def copy_modes(leverage=LEVERAGE, budget=BUDGET):
    """Copy modes on the exchanges, and the martingale copied in each of them (a :class:`Deeper`)."""
    return Deeper(
        "copy modes: a fixed ratio, a fixed amount per order, or a multiplier",
        "Exchanges size a copy in different ways:",
        "- **Binance** (*How to Use Copy Trading on Binance Futures?*): **Fixed Ratio**, you set a total "
        "investment and the system copies trades proportionally (your order's cost is the lead trader's order cost "
        "over the lead trader's margin balance, times your margin balance: *Binance Copy Trading Rules*), or "
        "**Fixed Amount**, a fixed amount per trade (its cost per order is the margin per order).\n"
        "- **Bitget** (*Bitget copy trading: Follower's margin (Copy mode)*): a **fixed amount** (the margin cost "
        "per copy trade), a **multiplier** (\"a multiplier relationship between each copied trade and the trader's "
        "trades\") or a **fixed quantity**.\n"
        "- **OKX** (*Copy traders: Introduction to proportional copy trading*): a **multiplier** applied to the "
        "lead trader's order value.\n"
        "- **Bybit** (*How to Get Started With Copy Trading (Followers)*): you choose a copy mode when you start, "
        "and cannot change it while you copy.",
        "You also choose your own leverage and margin mode (Binance: the lead trader's, or a fixed leverage from "
        "1x to 10x and cross or isolated).",
        f"The lab bench models three. **Fixed ratio** (the lesson's default): the master's orders scaled to you, "
        f"{usdt(MASTER.first_order, 0)} of BTC first, each add doubling (the ratio is fixed at the start; on "
        f"Binance it follows your margin balance). **Fixed amount**: {usdt(COPY_AMOUNT, 0)} of margin per order, "
        f"so {usdt(COPY_AMOUNT * leverage, 0)} of BTC at {number(leverage)}x: the leverage sets your size. "
        f"**Multiplier**: {number(COPY_MULTIPLIER)} times the master's own *quantity* (its first order is "
        f"{usdt(MASTER_OWN_FIRST_ORDER, 0)} of BTC), each order rounded down to whole contracts. Your margin is "
        "your size at your own leverage, not the multiplier times the master's margin. The falling ladder, "
        f"copied each way at {number(leverage)}x:",
        Table(copy_modes_table(leverage)),
        "A multiplier doubles with the master, like a fixed ratio. A **fixed amount per order does not**: every "
        "add is about the same size, so the copy holds far less at the bottom. But its average entry falls more "
        "slowly than the master's, so the master's take profit, 5 % above *the master's* average, can close "
        f"your copy at a loss: the master wins the cycle, and you lose it. Over the {number(N_PATHS)} paths, "
        f"cross with the whole account and isolated with a {usdt(budget, 0)} budget:",
        Table(copy_modes_outcomes(leverage, budget)),
        "With a fixed amount the cross copy was not liquidated on any of these paths, but the martingale's edge "
        "goes too: fewer cycles win and the wins are small, so the worst account still ended more than "
        f"{usdt(budget, 0)} down, one small losing cycle at a time. In isolated mode each "
        f"fixed-amount position stays at about {number(leverage)}x all the way down (every add brings its own "
        "margin), so it is liquidated more often, each time for less. No mode is a cap: a fixed amount limits "
        "the margin per order, not how many orders or cycles you copy. The cap still comes from a budget and "
        "isolated margin.",
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
        "In this lesson's copy (a fixed ratio) the copy ratio fixes the size of every order: the master's first "
        "order is "
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
        "position: here the size is fixed, and the leverage scales the margin. With a **fixed amount** per order "
        f"(the copy-mode control) it is the other way round: {usdt(COPY_AMOUNT, 0)} of margin per order at 50x is "
        f"{usdt(COPY_AMOUNT * 50, 0)} of BTC. The lab bench's numbers in the fixed ratio, for every leverage it "
        "offers:",
        Table(leverage_table(doublings, budget)),
    )
