"""Lesson 5, the copy-trading trap: a martingale master, copied in cross or behind a fixed budget.

The lesson's world (the 1,000 USDT account of its source articles copying at 10x, a 100 USDT
budget, the martingale master, the fees and the simulated price paths) and every simulation it runs
are the lesson's model, :mod:`.lesson5_model`; this module lays them out in tables,
figures, the lab bench's dashboard and the questions. The step-by-step tables are
:class:`margincourse.Account` itself. The model's names are importable from here too
(``lesson5.monte_carlo``, ``lesson5.lab_numbers`` ...).
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as w
import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent, usdt
from ...engine import formulas
from ...engine.account import Account
from ...basics.errors import MarginInputError
from ..plots import COLORS, Picture, new_figure, styled, usdt_axis
from ..widgets import Dashboard, Question, choice, leverage_slider
from .lesson5_deeper import (  # the Going-deeper sections and their tables
    copy_modes, copy_modes_outcomes, copy_modes_table, example_story, fatal_cycle, last_cycle, leverage_section,
    leverage_table, stop_loss_overshoot, stop_loss_section,
)
from .reading import Items, Table, paths_text
from .lesson5_model import (  # the model, importable from the lesson as before
    BANDS, BUDGET, COPY_AMOUNT, COPY_MODES, COPY_MULTIPLIER, LAB_BUDGETS, LAB_DOUBLINGS, LAB_LEVERAGES, LAB_PATHS,
    LEVERAGE, LIQUIDATION_FEE, MASTER, MASTER_OWN_FIRST_ORDER, N_CANDLES, N_PATHS, SEED, SETUPS, SLIPPAGE, START,
    START_PRICE, SYMBOL, TAKER_FEE, axis_top, copy_mode_settings, cycle_margin, example_path, example_run, lab_grid,
    lab_numbers, lab_paths, master_for, monte_carlo, paths, setups,
)

_SETUP_COLORS = {"cross": COLORS["cross"], "isolated": COLORS["isolated"],
                 "isolated + auto-add": "#9467bd", "cross + stop-loss": "#8c564b"}


# ----------------------------------------------------------------- the martingale, order by order


def ladder_table(start_price=START_PRICE, master=MASTER):
    """The master's orders if BTC only falls, and what each add does to the average entry (a :class:`Table`).

    The averages come from :class:`margincourse.Account` (an add merges into the open
    position at the size-weighted average price); the take-profit level is the
    master's rule, 5 % above the average, on the 0.1 USDT tick.
    """
    account = Account(1_000_000)  # deep enough: only the averages matter here
    rows = []
    for order, price, size in master.ladder(start_price).itertuples(index=False):
        position = account.open(SYMBOL, "long", size, price, leverage=1, mode="cross")
        take_profit = formulas.round_to_tick(position.entry_price * (1 + master.take_profit), 0.1)
        rows.append({
            "order": "first" if order == 0 else f"add {order}",
            "master buys at": money(price, 1),
            "size (BTC)": money(size, 4),
            "position (BTC)": money(position.size, 4),
            "position value (USDT)": money(position.size * price),
            "average entry": money(position.entry_price),
            "loss at this price (USDT)": money(-account.unrealized_pnl(position, price)),
            "takes profit at": money(take_profit, 1),
            "rise needed": percent(take_profit / price - 1, 1),
        })
    return Table(pd.DataFrame(rows).set_index("order"))


def follower_ladder(leverage=LEVERAGE, budget=BUDGET, start_price=START_PRICE, master=MASTER):
    """Two followers copy the same falling ladder: cross with the whole account, isolated with a budget.

    BTC falls straight from each buy to the next (:meth:`Account.mark`), so a follower
    is liquidated on the way if its liquidation price lies above the next buy. The
    isolated follower copies an order only if its margin and fee fit in what is left
    of the budget; once an order does not fit, it copies no more of the cycle.
    Returns a DataFrame with one row per master order.
    """
    accounts = {mode: Account(START, taker_fee=TAKER_FEE, liquidation_fee=LIQUIDATION_FEE)
                for mode in ("cross", "isolated")}
    state = {mode: {"position": None, "copying": True, "gone": ""} for mode in accounts}
    rows = []
    for order, price, size in master.ladder(start_price).itertuples(index=False):
        row = {"order": "first" if order == 0 else f"add {order}", "price": money(price, 1)}
        for mode, account in accounts.items():
            s = state[mode]
            s["gone"] = "out until the next cycle" if s["gone"] else ""
            if s["position"] is not None and s["position"].is_open:
                for event in account.mark({SYMBOL: price}):
                    if event.kind == "liquidation":
                        s["gone"] = (f"liquidated at {money(event.price, 1)} on the way, "
                                     f"lost {money(event.collateral_lost)}")
                        s["copying"] = False
            cost = size * price / leverage + TAKER_FEE * size * price
            held = s["position"].margin if s["position"] is not None and s["position"].is_open else 0.0
            allowance = (budget if mode == "isolated" else START) + (account.wallet_balance - START) - held
            if s["copying"] and cost <= allowance + 1e-9:
                try:
                    s["position"] = account.open(SYMBOL, "long", size, price, leverage=leverage, mode=mode)
                    copied = "yes"
                except MarginInputError:
                    s["copying"], copied = False, "no: the account cannot pay"
            elif s["copying"]:
                s["copying"], copied = False, "no: over the budget"
            else:
                copied = "no"
            position = s["position"]
            label = "cross" if mode == "cross" else "isolated"
            if position is not None and position.is_open:
                lp = account.liquidation_price(position)
                row[f"{label}: copied"] = copied
                row[f"{label}: position (BTC)"] = money(position.size, 4)
                row[f"{label}: backing (USDT)"] = money(
                    account.cross_wallet_balance if mode == "cross" else position.margin)
                row[f"{label}: liquidation price"] = money(lp, 1) if lp > 0 else "none"
                row[f"{label}: fall to it"] = percent(1 - lp / price, 1) if lp > 0 else "-"
            else:
                row[f"{label}: copied"] = s["gone"] or copied
                for column in ("position (BTC)", "backing (USDT)", "liquidation price", "fall to it"):
                    row[f"{label}: {column}"] = "-"
        rows.append(row)
    return pd.DataFrame(rows).set_index("order")


def follower_table(leverage=LEVERAGE, budget=BUDGET):
    """:func:`follower_ladder` as the lesson shows it (a :class:`Table`): one row per order, and for each
    follower whether it copied the order, its liquidation price and the fall to it."""
    frame = follower_ladder(leverage, budget)
    shown = ["price", "cross: liquidation price", "cross: fall to it", "isolated: copied",
             "isolated: liquidation price", "isolated: fall to it"]
    return Table(frame[shown])


# ----------------------------------------------------------------- the Monte Carlo


def summary_table(leverage=LEVERAGE, budget=BUDGET, copy_mode="fixed_ratio"):
    """The distribution of outcomes of each setup in ``copy_mode``, in the numbers the lesson discusses
    (a :class:`Table`).

    For ``cross`` (the whole account is its budget) the column "lost more than the budget"
    shows "-": losing more than the whole account cannot happen, so a 0 there would
    hide the paths that lost everything (the column before counts those).
    """
    rows = {}
    chosen = setups(leverage, budget, copy_mode=copy_mode)
    for name, result in monte_carlo(leverage, budget, copy_mode).items():
        s = result.summary()
        # with the whole account as the budget, "more than the budget" cannot happen: read the column before
        whole = chosen[name].budget_per_trader is None
        rows[name] = {
            "lost the whole account": paths_text(s["P(lose the whole account)"], N_PATHS, paths_word=""),
            "lost more than the budget": "-" if whole else paths_text(s["P(lose more than the budget)"], N_PATHS,
                                                                       paths_word=""),
            "ended below 1,000": percent(s["P(end below the start)"], 1),
            "worst final balance": money(s["worst final equity"]),
            "median final balance": money(s["median final equity"]),
            "copied trades won": percent(s["win rate"], 1),
            "average win": money(s["average win"]),
            "average loss": money(s["average loss"]),
        }
    frame = pd.DataFrame(rows).T
    mode = "" if copy_mode == "fixed_ratio" else f", {COPY_MODES[copy_mode]}"
    frame.index.name = f"{number(N_PATHS)} paths, 90 days{mode}"
    return Table(frame)


@styled
def outcome_figure(leverage=LEVERAGE, budget=BUDGET, copy_mode="fixed_ratio"):
    """One panel per setup (copied in ``copy_mode``): a fan chart of the account's equity over time, and the
    final balances beside it.

    The four panels are two by two, each fan chart with a histogram of the final balance
    on its right (the same equity axis); the legend sits below the panels, off the data.
    """
    results = monte_carlo(leverage, budget, copy_mode)
    figure, axes = new_figure(2, 4, figsize=(10, 5.9), sharey=True,
                              gridspec_kw={"width_ratios": [3, 1.1, 3, 1.1]})
    top = axis_top(max(np.percentile(r.equity, 95, axis=0).max() for r in results.values()))
    edges = np.arange(0, top + 1, 100.0)
    for k, (name, result) in enumerate(results.items()):
        ax, hist = axes[k // 2, 2 * (k % 2)], axes[k // 2, 2 * (k % 2) + 1]
        bands = np.percentile(result.equity, BANDS, axis=0)
        days = result.days
        color = _SETUP_COLORS[name]
        ax.fill_between(days, bands[0], bands[4], color=color, alpha=0.18, linewidth=0, label="5th-95th percentile")
        ax.fill_between(days, bands[1], bands[3], color=color, alpha=0.38, linewidth=0, label="25th-75th percentile")
        ax.plot(days, bands[2], color=color, linewidth=2, label="median")
        ax.axhline(START, color=COLORS["price"], linestyle="--", linewidth=1, label="start: 1,000 USDT")
        ax.axhline(START - BUDGET, color=COLORS["liquidation"], linestyle=":", linewidth=1.2,
                   label="start minus the 100 USDT budget")
        lost = paths_text(result.summary()["P(lose the whole account)"], N_PATHS)
        ax.set_title(f"{name}\nlost the whole account: {lost}", loc="left", fontsize=11)
        ax.set_xlabel("day")
        ax.set_xlim(0, days[-1])
        ax.set_ylim(0, top)
        final = np.clip(result.paths["final_equity"].to_numpy(), 0, top - 1e-9)
        counts, _ = np.histogram(final, edges)
        hist.stairs(counts / len(final) * 100, edges, orientation="horizontal", fill=True, color=color, alpha=0.8)
        hist.axhline(START, color=COLORS["price"], linestyle="--", linewidth=1)
        hist.axhline(START - BUDGET, color=COLORS["liquidation"], linestyle=":", linewidth=1.2)
        hist.set_xlabel("% of paths")
        hist.set_xlim(0, 100)
        hist.set_xticks([0, 50, 100])
    for row in axes:
        row[0].set_ylabel("equity (USDT)")
        usdt_axis(row[0].yaxis)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=10)
    mode = "" if copy_mode == "fixed_ratio" else f" ({COPY_MODES[copy_mode]})"
    figure.suptitle(f"The same master, copied four ways{mode}: {number(N_PATHS)} simulated paths of 90 days, "
                    "final balances on the right", fontweight="bold", fontsize=12)
    return Picture(figure, "Fan charts (percentile bands of equity over time) with histograms of the final balance, "
                           "for " + ", ".join(results))


# ----------------------------------------------------------------- one computed example path


@styled
def example_figure(index=None):
    """One simulated path: the master's orders on the price, and the follower's account in cross and in isolated."""
    index = example_path() if index is None else index
    candles, log, replay, equity = example_run(index)
    hours = np.arange(candles.n_candles) + 1
    days = hours / 24
    figure, (price_ax, money_ax) = new_figure(2, 1, figsize=(10, 5.1), sharex=True)
    price_ax.fill_between(days, candles.low[0], candles.high[0], color=COLORS["price"], alpha=0.15, linewidth=0,
                          label="low-high range")
    price_ax.plot(days, candles.close[0], color=COLORS["price"], linewidth=1, label="BTC close")
    events = log.path_events(0)
    buys = events[events["order"].isin(["open", "add"])]
    sells = events[events["order"] == "take profit"]
    price_ax.scatter((buys["candle"] + 1) / 24, buys["price"], s=12 + 6 * buys["size (BTC)"] / buys["size (BTC)"].min(),
                     marker="^", color=COLORS["entry"], zorder=3, label="master buys (size: marker area)")
    price_ax.scatter((sells["candle"] + 1) / 24, sells["price"], s=30, marker="o", color=COLORS["wallet"], zorder=3,
                     label="master takes profit")
    actions = replay[1]
    liquidations = actions[actions["action"] == "liquidated"]
    price_ax.scatter((liquidations["candle"] + 1) / 24, liquidations["price"], s=120, marker="X",
                     color=COLORS["liquidation"], zorder=4, label="your cross copy is liquidated")
    price_ax.set_ylabel("BTC price (USDT)")
    price_ax.set_title(f"Path {index}: the master's martingale on one simulated price path")
    usdt_axis(price_ax.yaxis)
    price_ax.legend(loc="lower left", ncol=2, fontsize=10)  # the price starts high: this corner stays free
    for name, style in (("isolated", dict(color=COLORS["isolated"], linewidth=2.6, alpha=0.7)),
                        ("cross", dict(color=COLORS["cross"], linewidth=1.4))):
        money_ax.plot(days, equity[name], label=f"your account, {setups()[name].describe()}", **style)
    money_ax.axhline(START, color=COLORS["price"], linestyle="--", linewidth=1, label="start: 1,000 USDT")
    money_ax.set_ylabel("equity (USDT)")
    money_ax.set_xlabel("day")
    money_ax.set_title("Your 1,000 USDT account copying this master")
    usdt_axis(money_ax.yaxis)
    money_ax.legend(loc="lower left", fontsize=10)  # equity starts at 1,000: free until the end
    return Picture(figure, f"Path {index}: BTC price with the master's buys and take profits; the follower's equity "
                           "in cross and in isolated")


# ----------------------------------------------------------------- the worked example: what a stop-loss caps


def stop_loss_example(orders=3, gap=0.08):
    """A copy of the master's first ``orders`` orders, closed by a stop-loss at -100 USDT, or isolated.

    Returns a table of three endings computed with :class:`Account`: the stop fills 0.5 %
    below its trigger in a continuous fall; the stop fills 0.5 % below the open after
    BTC gaps ``gap`` below the trigger; the same orders in isolated margin are liquidated.
    """
    ladder = MASTER.ladder(START_PRICE).iloc[:orders]

    def copied(mode):
        account = Account(START, taker_fee=TAKER_FEE, liquidation_fee=LIQUIDATION_FEE)
        for _, price, size in ladder.itertuples(index=False):
            position = account.open(SYMBOL, "long", size, price, leverage=LEVERAGE, mode=mode)
        return account, position

    account, position = copied("cross")
    trigger = position.entry_price - BUDGET / position.size
    rows = []
    for label, fill in (("stop-loss, continuous fall", trigger * (1 - SLIPPAGE)),
                        (f"stop-loss, BTC gaps {percent(gap, 0)} below the trigger",
                         trigger * (1 - gap) * (1 - SLIPPAGE))):
        account, position = copied("cross")
        account.mark({SYMBOL: trigger})
        account.close(position, fill)
        rows.append({"ending": label, "sells at": money(fill, 1),
                     "loss (USDT)": money(START - account.wallet_balance)})
    account, position = copied("isolated")
    lp = account.liquidation_price(position)
    account.mark({SYMBOL: trigger * (1 - gap)}, gap=True)
    rows.append({"ending": "isolated, liquidated (any gap)", "sells at": "liquidation",
                 "loss (USDT)": money(START - account.wallet_balance)})
    table = pd.DataFrame(rows).set_index("ending")
    table.attrs.update(trigger=trigger, entry=copied("cross")[1].entry_price, size=copied("cross")[1].size,
                       isolated_liquidation_price=lp)
    return table


def stop_loss_steps(orders=3, gap=0.08):
    """The worked example, step by step: the position, the stop's trigger, and the three endings (an :class:`Items`)."""
    table = stop_loss_example(orders, gap)
    a = table.attrs
    steps = [
        (f"1. position after {orders} orders",
         f"{money(a['size'], 4)} BTC at an average entry of {usdt(a['entry'])}"),
        (f"2. stop trigger = entry - {money(BUDGET, 0)} / size",
         f"{money(a['entry'])} - {money(BUDGET, 0)} / {money(a['size'], 4)} = {usdt(a['trigger'])}"),
        ("3. isolated liquidation price (bucket from the budget)", usdt(a["isolated_liquidation_price"])),
    ]
    for k, (ending, row) in enumerate(table.iterrows(), start=4):
        if row["sells at"] == "liquidation":
            steps.append((f"{k}. {ending}", f"loses {row['loss (USDT)']} USDT: its bucket and the fees"))
        else:
            steps.append((f"{k}. {ending}", f"sells at {row['sells at']}, loses {row['loss (USDT)']} USDT"))
    return Items(steps)


# ----------------------------------------------------------------- the lab bench


def _options_slider(description, options, value, unit=""):
    """A slider over a few fixed values (the positions the lab bench has computed)."""
    return w.SelectionSlider(
        options=[(f"{number(o)}{unit}", o) for o in options], value=value, description=description,
        continuous_update=True, style={"description_width": "initial"}, layout=w.Layout(width="420px"),
    )


_MODE_CHOICES = [(f"fixed ratio: {number(MASTER.first_order)} USDT of BTC first, doubling", "fixed_ratio"),
                 (f"fixed amount: {number(COPY_AMOUNT)} USDT of margin per order", "fixed_amount"),
                 (f"multiplier: {number(COPY_MULTIPLIER)} x the master's size "
                  f"({number(MASTER_OWN_FIRST_ORDER)} USDT first)", "multiplier")]


def _copy_mode_menu(value):
    """The copy mode as a drop-down menu: one line, its label beside it, each mode said in full."""
    return w.Dropdown(options=_MODE_CHOICES, value=value, description="copy mode",
                      style={"description_width": "initial"}, layout=w.Layout(width="420px"))


@lru_cache(maxsize=None)
def _setup_text(leverage, budget, setup):
    """The readout's "your setup", without the copy mode (the menu says it); cached, so a move only looks it up."""
    return setups(leverage, budget, cross_budget=budget)[setup].describe()


def _readout(g, doublings, leverage, budget, setup, copy_mode="fixed_ratio"):
    ratio = -g["average_loss"] / g["average_win"] if g["average_win"] > 0 and g["average_loss"] < 0 else None
    total, last = cycle_margin(int(doublings), leverage, copy_mode)
    return {
        "your setup": _setup_text(leverage, budget, setup),
        "master": f"doubles down up to {int(doublings)} times, 5 % apart",
        "one full cycle as BTC falls": f"{usdt(total)} of margin, the last order {usdt(last)}",
        "lost the whole account": paths_text(g["lost"], LAB_PATHS),
        "lost more than the budget": paths_text(g["over_budget"], LAB_PATHS) if budget < START else "-",
        "median final balance": usdt(np.median(g["final"])),
        "5th percentile / worst": f"{money(np.percentile(g['final'], 5))} / {usdt(g['final'].min())}",
        "copied trades won": f"{percent(g['win_rate'], 1)} of {number(g['trades'])}",
        "average win / average loss": (f"{money(g['average_win'])} / {usdt(g['average_loss'])}"
                                       + (f" (a loss is {money(ratio, 1)} wins)" if ratio else "")),
        "per path: liquidations, top-ups, skipped orders":
            f"{money(g['liquidations'])}, {money(g['top_ups'])}, {money(g['skipped'])}",
    }


@styled
def dashboard(doublings=MASTER.doublings, leverage=LEVERAGE, budget=int(START), setup="cross",
              copy_mode="fixed_ratio"):
    """Five controls: the master's doublings, your leverage, your budget for the trader, your margin setup
    and your copy mode (fixed ratio, a fixed amount of margin per order, or a multiplier of the master's size)."""
    grid, days, top = lab_grid()
    controls = {
        "doublings": leverage_slider(doublings, high=LAB_DOUBLINGS[-1], low=LAB_DOUBLINGS[0],
                                     description="master's doublings"),
        "leverage": _options_slider("your leverage", LAB_LEVERAGES, leverage, unit="x"),
        "budget": _options_slider("budget per trader (USDT)", LAB_BUDGETS, budget),
        "setup": choice("margin mode", list(SETUPS), setup),
        "copy_mode": _copy_mode_menu(copy_mode),
    }
    figure, (fan, hist) = new_figure(1, 2, figsize=(10, 4.6), sharey=True, gridspec_kw={"width_ratios": [3, 1]})
    zero = np.zeros_like(days)
    outer = fan.fill_between(days, zero, zero, color=COLORS["isolated"], alpha=0.18, linewidth=0,
                             label="5th-95th percentile")
    inner = fan.fill_between(days, zero, zero, color=COLORS["isolated"], alpha=0.38, linewidth=0,
                             label="25th-75th percentile")
    (median,) = fan.plot(days, zero, color=COLORS["isolated"], linewidth=2, label="median")
    fan.axhline(START, color=COLORS["price"], linestyle="--", linewidth=1, label="start: 1,000 USDT")
    fan.set_xlim(0, days[-1])
    fan.set_ylim(0, top)
    fan.set_xlabel("day")
    fan.set_ylabel("account equity (USDT)")
    fan.set_title(f"Your account over 90 days ({LAB_PATHS} simulated paths)")
    usdt_axis(fan.yaxis)
    fan.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=10)  # below the axes, off the data
    edges = np.linspace(0, top, 41)
    histogram = hist.stairs(np.zeros(40), edges, orientation="horizontal", fill=True, color=COLORS["isolated"],
                            alpha=0.8)
    hist.axhline(START, color=COLORS["price"], linestyle="--", linewidth=1)
    shares = [np.histogram(np.clip(g["final"], 0, top - 1e-9), edges)[0].max() / LAB_PATHS * 100
              for g in grid.values()]
    hist.set_xlim(0, np.ceil(max(shares) / 10) * 10)
    hist.set_xlabel("% of paths")
    hist.set_title("final balance")

    def update(doublings, leverage, budget, setup, copy_mode):
        g = lab_numbers(doublings, leverage, budget, setup, copy_mode)
        bands = g["bands"]
        outer.set_data(days, bands[0], bands[4])
        inner.set_data(days, bands[1], bands[3])
        median.set_ydata(bands[2])
        counts, _ = np.histogram(np.clip(g["final"], 0, top - 1e-9), edges)
        histogram.set_data(counts / LAB_PATHS * 100, edges)
        return _readout(g, doublings, leverage, budget, setup, copy_mode)

    return Dashboard(
        "The copy-trading trap: copy a martingale master your way", controls, figure, update,
        animated=[outer, inner, median, histogram],
        note=f"1,000 USDT account; {LAB_PATHS} simulated paths of 90 days, computed once for every position of the "
             "controls. The budget also limits order sizes in cross mode; there a loss is not capped by it.",
    )


# ----------------------------------------------------------------- check your understanding


def questions():
    """Check-your-understanding questions for lesson 5."""
    results = monte_carlo()
    cross = results["cross"].summary()
    auto = results["isolated + auto-add"].summary()
    stop = results["cross + stop-loss"].summary()
    ratio = -cross["average loss"] / cross["average win"]
    return [
        Question(
            "You copy a master in cross margin with your whole 1,000 USDT account. The master keeps doubling down "
            "while BTC falls. What backs the copied position?",
            {
                "The whole cross wallet: every USDT in the account.":
                    "In cross margin the entire cross wallet is the collateral, so the master's drawdown is "
                    "floated with all of your money, and a liquidation takes all of it.",
                "Only the margin of the first copied order.":
                    "That is the initial margin needed to open. What backs a cross position is the whole cross wallet.",
                "Only the 100 USDT you meant to give this trader.":
                    "A budget you have in mind is not a margin mode. Without isolation nothing stops the loss at 100.",
            },
            answer="The whole cross wallet: every USDT in the account.",
        ),
        Question(
            "Risk reconstruction: isolated margin, a 100 USDT budget for this trader, auto-add margin off. "
            "What is the most this trader can cost you?",
            {
                "About 100 USDT: the budget, out of which the trading fees are paid too.":
                    "Each isolated position can lose only its bucket, and the buckets and the fees are paid from "
                    f"the budget: the worst isolated account in the simulation ended at "
                    f"{usdt(results['isolated'].summary()['worst final equity'])}.",
                "Nothing: isolated positions cannot lose money.":
                    "They can: a liquidation takes the whole bucket. Isolation caps the loss; it does not prevent it.",
                "Everything in the account, if the master is wrong for long enough.":
                    "That is cross margin (or auto-add margin). In isolated mode the rest of the account never backs "
                    "the position.",
            },
            answer="About 100 USDT: the budget, out of which the trading fees are paid too.",
        ),
        Question(
            "You switch auto-add margin on for the isolated copy. What happens to the 100 USDT cap?",
            {
                "It is gone: top-ups come from the rest of the account, again and again.":
                    f"In the simulation {percent(auto['P(lose more than the budget)'], 1)} of the paths lost more than "
                    "the budget.",
                "Nothing: auto-add only moves margin inside the budget.":
                    "It moves money from your available balance, the whole account, into the position.",
                "The cap gets tighter: the position is liquidated sooner.":
                    "The opposite: each top-up moves the liquidation price further away and puts more money at stake.",
            },
            answer="It is gone: top-ups come from the rest of the account, again and again.",
        ),
        Question(
            f"In the simulation the cross copy won {percent(cross['win rate'], 1)} of its trades. What does that say "
            "about its risk?",
            {
                "Little: the rare loss was far larger than the many wins.":
                    f"The average loss was {ratio:,.0f} times the average win, and "
                    f"{percent(cross['P(lose the whole account)'], 1)} of the paths lost the whole account.",
                "It is safe: it almost never loses.":
                    "A martingale wins small and often because each add pulls the average entry down; the loss comes "
                    "rarely and takes everything behind the position.",
                "It loses slowly, a little on each trade.":
                    "The opposite shape: many small wins, then one very large loss.",
            },
            answer="Little: the rare loss was far larger than the many wins.",
        ),
        Question(
            "Instead of isolation you keep cross margin and set a stop-loss at a loss of 100 USDT. Why can the loss "
            "still be larger than 100 USDT?",
            {
                "The stop is a market order: in a fast move or a gap it fills below its trigger.":
                    f"In the simulation {percent(stop['P(lose more than the budget)'], 1)} of the paths lost more "
                    "than the budget with the stop, none with isolation.",
                "The exchange charges the stop-loss a liquidation fee.":
                    "A stop is an ordinary close with a trading fee; the extra loss is the worse fill.",
                "It cannot: the stop always closes exactly at its price.":
                    "A stop only sends the order; the price it gets is whatever the market offers then.",
            },
            answer="The stop is a market order: in a fast move or a gap it fills below its trigger.",
        ),
    ]
