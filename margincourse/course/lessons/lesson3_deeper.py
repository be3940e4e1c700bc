"""Lesson 3, after the insurance fund: large positions liquidated in steps, and auto-deleveraging.

Everything here arranges the engine's numbers; nothing is re-derived:

* **Stepped liquidation** comes from :func:`margincourse.liquidation_comparison` and
  :func:`margincourse.stepped_liquidation` (Bybit, "Liquidation Process (USDT Contract)":
  above the lowest tier the engine first cuts "the difference between the current position
  value and the lower margin tier value which satisfies the margin requirement"; Binance,
  "Binance Futures Liquidation Protocols": "if the user is margin compliant after
  calculating the realized losses and liquidation fee deductions, the liquidation will
  stop"). :func:`stepped_dashboard` compares whole and stepped for the same large long on a
  dip that recovers; :func:`stepped_table` lists the steps.
* **Auto-deleveraging** comes from :class:`margincourse.Account` with a finite
  ``insurance_fund`` and ``counterparties`` and from :func:`margincourse.adl_ranking`
  (Binance, "What Is Auto-Deleveraging (ADL) and How Does It Work?"; Bybit,
  "Auto-Deleveraging (ADL) Mechanism"). :func:`adl_conservation` shows where the loss past
  a bankrupt long's margin goes; :func:`adl_deeper` the ranking, computed.

:mod:`.lesson3` re-exports them, so the notebook calls ``lesson3.stepped_dashboard()``.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent
from ...engine import formulas
from ...engine.account import Account
from ...engine.adl import Counterparty, adl_ranking
from ...engine.liquidation import liquidation_comparison, stepped_liquidation
from ...engine.specs import tier_table
from ..plots import COLORS, new_figure, styled
from ..widgets import Dashboard
from .reading import Deeper, Table

__all__ = [
    "stepped_path", "stepped_outcome", "stepped_dashboard", "stepped_table", "stepped_deeper",
    "ADL_COUNTERPARTIES", "adl_run", "adl_conservation", "adl_ranking_table", "adl_deeper",
]

SYMBOL = "BTCUSDT"
EXCHANGE = "binance"
BIG_ENTRY = 60_000.0
BIG_LEVERAGE = 10
#: The dashboard's sizes: one in each of Binance's first five BTCUSDT tiers at the entry price.
BIG_SIZES = (0.5, 5.0, 20.0, 100.0, 300.0)
DIPS = (0.09, 0.10, 0.12, 0.15, 0.20)   # how far the mark dips below the entry before it turns
RECOVERY = 0.05                         # ... and where it ends: 5 % below the entry
STEPS_PER_LEG = 60
#: Binance's BTCUSDT liquidation fee, as lesson 3 cites it (exchangeInfo of 2024-03-28: "0.012500").
BINANCE_FEE = 0.0125
FEES = {"none": 0.0, "1.25 % (Binance BTCUSDT)": BINANCE_FEE}


#: Bybit's and Binance's own words on partial liquidation (the pages the module notes cite).
PARTIAL_WORDS = (
    (
        '**Bybit** settles what its liquidation engine takes over at the bankruptcy price; in the lowest '
        'risk-limit tier that is the whole position. Its page *"Bankruptcy Price (USDT Contract)"*: "Upon '
        'liquidation, the liquidated position will be closed at the Bankruptcy Price ... If the liquidated '
        'position has its final liquidation price better than the bankruptcy price, the excess margin will be'
        ' contributed to the Insurance Fund. Vice versa, if the liquidated position has its final liquidation'
        ' price worse than the bankruptcy price, the Insurance fund will cover the loss gap." Whether the '
        '*whole* position goes depends on its tier. Bybit\'s *"Liquidation Process (USDT Contract)"*: a '
        'position in the **lowest** margin tier has its active orders cancelled and, if it still does not '
        'meet the maintenance margin, is closed at the bankruptcy price. A position in the **second or a '
        'higher** tier is first reduced: Bybit submits a FillOrKill order for "the difference between the '
        'current position value and the lower margin tier value which satisfies the margin requirement", and '
        'only if the position is still in liquidation is the rest taken over at the bankruptcy price.'
    ),
    (
        '**Binance** does something similar with its own orders. *"Binance Futures Liquidation Protocols"*: '
        'all liquidation orders are Immediate or Cancel orders, and the system first tries to reduce the '
        'position with one large such order "without fully liquidating the user". If the trader is margin '
        'compliant after the realized losses and the liquidation fee, the liquidation stops; if not, the '
        'position "will be closed at the bankruptcy price and the Insurance Fund will take over the '
        'position", and "a portion of the remaining collateral (if any) will go to the Insurance Fund". '
        'Binance\'s article *"How a Liquidation Order Is Executed: Liquidation Price vs. Bankruptcy Price"* '
        "puts it in order terms: the liquidation price is the liquidation order's stop price, the bankruptcy "
        'price its limit price.'
    ),
    (
        "Neither page gives a numeric example of a step: the numbers in this lesson are the course's engine "
        'following the rule (`mc.reduce_to_lower_tier`, `mc.stepped_liquidation`), cutting to just below a '
        "lower tier's cap at the liquidation price. For the story's position a partial close cannot help: it "
        'is in the lowest tier, and a 1.25 % fee on what is sold takes more margin than the 0.4 % maintenance'
        ' rate frees up (lesson 4 works this out).'
    ),
)
#: Binance's and Bybit's own words on ADL.
ADL_WORDS = (
    (
        'Binance, *"What Is Auto-Deleveraging (ADL) and How Does It Work?"*: ADL "is the final step taken '
        'only when the Insurance Fund cannot accept the bankrupt client\'s positions". Traders are ranked "by '
        'both profit and leverage"; "More profitable and higher leveraged traders will be liquidated first". '
        'The rank ("LeveragePnL") is the unrealized PnL as a share of the collateral, times the margin ratio.'
        ' An indicator in the trading screen shows where a position stands in the queue. A deleveraged '
        'position is closed "at the bankruptcy price of the initial liquidated order", without a trading fee,'
        ' and its open orders are cancelled.'
    ),
    (
        'Bybit, *"Auto-Deleveraging (ADL) Mechanism"*: ADL is triggered only when the insurance fund cannot '
        'cover the losses of liquidated positions; it closes "the opposing profitable positions based on the '
        'ADL ranking", which Bybit derives "in order of highest profit and effective leverage use" (its '
        '*"What is Auto-Deleveraging (ADL)?"*), at the bankruptcy price of the liquidated order. Traders see '
        'their ADL ranking in the app. Bybit charges the deleveraged trader a maker fee; Binance charges no '
        'trading fee (the engine leaves fees on ADL out).'
    ),
    (
        'So a profitable, highly leveraged position can be closed although its own margin is fine, at a price'
        " it did not choose. The course's account simulates this when it is given a finite fund and the "
        'traders on the other side: the fund pays first, then the best-ranked winners are closed at the '
        'bankruptcy price, in part or whole; what no modelled trader can take is reported as not covered.'
    ),
)


def _price(value):
    return money(value, 1)  # BTCUSDT's 0.1 USDT tick


def _size_label(size):
    tier = tier_table(SYMBOL, EXCHANGE).tier_for(size * BIG_ENTRY).tier
    return f"{number(size)} BTC (tier {tier})"


def stepped_path(dip, recovery=RECOVERY, entry_price=BIG_ENTRY, steps=STEPS_PER_LEG):
    """The dashboard's mark prices: a straight fall to ``dip`` below the entry, then back to ``recovery`` below it.

    >>> path = stepped_path(0.10)
    >>> float(path.min()), float(path[-1]), len(path)
    (54000.0, 57000.0, 121)
    """
    down = np.linspace(entry_price, entry_price * (1 - dip), steps + 1)
    up = np.linspace(entry_price * (1 - dip), entry_price * (1 - recovery), steps + 1)[1:]
    return np.concatenate([down, up])


def stepped_outcome(size=20.0, dip=0.10, liquidation_fee=0.0, leverage=BIG_LEVERAGE, entry_price=BIG_ENTRY):
    """Whole and stepped liquidation of one isolated long of ``size`` BTC on :func:`stepped_path`.

    Returns ``{"path", "margin", "comparison", "steps": {"whole": frame, "stepped": frame}}``,
    the frames from :func:`margincourse.stepped_liquidation` and the comparison from
    :func:`margincourse.liquidation_comparison`.
    """
    path = stepped_path(dip, entry_price=entry_price)
    margin = formulas.initial_margin(size, entry_price, leverage)
    kwargs = dict(symbol=SYMBOL, exchange=EXCHANGE, liquidation_fee=liquidation_fee)
    steps = {name: stepped_liquidation("long", entry_price, size, margin, path, stepped=name == "stepped", **kwargs)
             for name in ("whole", "stepped")}
    comparison = liquidation_comparison("long", entry_price, size, margin, path, **kwargs)
    return {"path": path, "margin": margin, "comparison": comparison, "steps": steps}


def margin_shares(outcome):
    """Where each liquidation sent the margin, in USDT: kept, lost in the market, fees, insurance fund.

    ``kept`` is the equity left at the end; ``lost in the market`` the realized loss of the
    parts closed plus the open loss of what is left; the four add up to the margin.
    """
    shares = {}
    margin = outcome["margin"]
    for name, row in outcome["comparison"].iterrows():
        fees, fund = row["liquidation fees"], row["to insurance fund"] - row["insurance fund pays"]
        kept = row["equity left"]
        shares[name] = {"kept by the trader": kept, "lost in the market": margin - kept - fees - fund,
                        "liquidation fees": fees, "to the insurance fund": fund}
    return shares


def _readout(outcome, size):
    comparison, steps = outcome["comparison"], outcome["steps"]["stepped"]
    first = comparison.loc["whole", "first at"]
    if np.isnan(first):
        readout = {"liquidated?": "no: the dip stays above the liquidation price"}
    else:
        readout = {"liquidated whole": f"all {number(size)} BTC at {_price(first)} "
                                       f"({percent(first / BIG_ENTRY - 1, sign=True)})"}
    for i, row in enumerate(steps.itertuples(index=False), start=1):
        what = (f"{number(round(row[5], 4))} BTC (tier {row[2]} -> {row[3]})" if row[0] == "partial"
                else f"the last {number(round(row[5], 4))} BTC")
        readout[f"stepped, cut {i} at {_price(row[1])}"] = what
    shares = margin_shares(outcome)
    for label in ("kept by the trader", "liquidation fees", "to the insurance fund"):
        readout[f"{label} (whole | stepped)"] = (f"{money(shares['whole'][label])} | "
                                                 f"{money(shares['stepped'][label])} USDT")
    return readout


def _dropdown(description, options, value):
    """A compact drop-down (one line with its label): this dashboard has three of them."""
    return w.Dropdown(options=options, value=value, description=description,
                      style={"description_width": "8em"}, layout=w.Layout(width="360px"))


SHARE_COLORS = {"kept by the trader": COLORS["wallet"], "lost in the market": COLORS["bankruptcy"],
                "liquidation fees": COLORS["cross"], "to the insurance fund": COLORS["liquidation"]}


@styled
def stepped_dashboard(size=20.0, dip=0.10, fee="none"):
    """Whole versus stepped liquidation of one large 10x long on a dip that recovers.

    Left: the size left (whole and stepped) as the mark falls; right: where the margin went,
    as shares of it. The readout lists every step.
    """
    controls = {
        "size": _dropdown("position", [(_size_label(s), s) for s in BIG_SIZES], size),
        "dip": _dropdown("mark dips by", [(percent(d, 0), d) for d in DIPS], dip),
        "fee": _dropdown("liquidation fee", list(FEES), fee),
    }
    figure, (left, right) = new_figure(1, 2, figsize=(8.4, 2.8), width_ratios=(1.6, 1))
    lowest = left.axvline(np.nan, color=COLORS["price"], linestyle=":", linewidth=1.2, label="lowest mark")
    whole_line, = left.plot([], [], color=COLORS["liquidation"], linewidth=2.2, drawstyle="steps-post",
                            label="liquidated whole")
    stepped_line, = left.plot([], [], color=COLORS["isolated"], linewidth=2.2, linestyle="--",
                              drawstyle="steps-post", label="stepped")
    left.set_xlim(-8, -(max(DIPS) * 100 + 1))
    left.set_ylim(-3, 105)
    left.set_xlabel("mark on the way down, vs entry (%)")
    left.set_ylabel("size left (% of the position)")
    left.set_title("How much of the position is left")
    left.legend(loc="upper center", fontsize=8)  # the lines fall at the left and run along the bottom
    bars = {}
    for label in SHARE_COLORS:
        bars[label] = right.bar([0, 1], [0, 0], color=SHARE_COLORS[label], width=0.6, label=label)
    right.set_xticks([0, 1], ["whole", "stepped"])
    right.set_xlim(-0.6, 1.6)
    right.set_ylim(0, 100)
    right.set_ylabel("share of the margin (%)")
    right.set_title("Where the margin went")
    figure.legend(handles=[group for group in bars.values()], loc="outside lower center", ncols=4, fontsize=8)
    animated = [lowest, whole_line, stepped_line] + [patch for group in bars.values() for patch in group]

    def update(size, dip, fee):
        outcome = stepped_outcome(size, dip, FEES[fee])
        lowest.set_xdata([-dip * 100] * 2)
        for line, name in ((whole_line, "whole"), (stepped_line, "stepped")):
            xs, ys = [0.0], [100.0]
            for row in outcome["steps"][name].itertuples(index=False):
                xs.append((row[1] / BIG_ENTRY - 1) * 100)
                ys.append(row[6] / size * 100)
            xs.append(-100.0)
            ys.append(ys[-1])
            line.set_data(xs, ys)
        shares = margin_shares(outcome)
        for x, name in enumerate(("whole", "stepped")):
            bottom = 0.0
            for label, group in bars.items():
                height = max(shares[name][label], 0.0) / outcome["margin"] * 100
                group[x].set_y(bottom)
                group[x].set_height(height)
                bottom += height
        return _readout(outcome, size)

    return Dashboard(
        "Liquidated whole or in steps: the same 10x long on Binance's BTCUSDT tiers",
        controls, figure, update, animated=animated,
        note=f"An isolated 10x long opened at {money(BIG_ENTRY, 0)} USDT; the mark falls by the dip, then comes "
             f"back to {percent(RECOVERY, 0)} below the entry.",
    )


def stepped_table(size=20.0, dip=0.15, liquidation_fee=0.0):
    """:func:`margincourse.stepped_liquidation` of the dashboard's long, as the lesson shows it."""
    steps = stepped_outcome(size, dip, liquidation_fee)["steps"]["stepped"]
    rows = []
    for row in steps.to_dict("records"):
        rows.append({
            "at (USDT)": _price(row["price"]),
            "tier": f"{row['tier before']} -> {row['tier after'] or 'closed'}",
            "closed (BTC)": number(round(row["size closed"], 4)),
            "left (BTC)": number(round(row["size after"], 4)),
            "realized PnL": money(row["realized PnL"]),
            "requirement freed": money(row["maintenance margin released"]),
            "next liquidation at": "-" if np.isnan(row["liquidation price after"])
            else _price(row["liquidation price after"]),
        })
    frame = pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="step"))
    return Table(frame)


def stepped_deeper(size=20.0, dip=0.15):
    """A collapsed section: Bybit's and Binance's rule, the dashboard's long on a 15 % dip step by step, a fee."""
    outcome = stepped_outcome(size, dip)
    with_fee = stepped_outcome(size, dip, BINANCE_FEE)["comparison"].loc["stepped", "liquidations"]
    tiers = tier_table(SYMBOL, EXCHANGE)
    margin = outcome["margin"]
    text = (
        f"The {number(size)} BTC long ({money(margin, 0)} USDT of margin) on a "
        f"{percent(dip, 0)} dip, step by step (`mc.stepped_liquidation`). Each step sells just enough to fit "
        "under a lower tier's cap at the liquidation price. The loss on the part sold is booked in the "
        "position's margin, so the margin balance stays where it was and only the requirement falls: the next "
        "liquidation price is only a little lower. On a steady fall the steps come quickly one after another, "
        "and the last part goes whole."
    )
    fee = (
        f"**A fee can stop the stepping.** A step helps only when the maintenance margin it frees is larger than "
        f"the liquidation fee charged on the part sold (Binance: \"after calculating the realized losses and "
        f"liquidation fee deductions\"). The {percent(BINANCE_FEE)} fee is more than the "
        f"{percent(tiers.tiers[2].mmr)} rate of tier 3, so with it the same long is liquidated "
        f"{'whole, at once' if with_fee == 1 else f'in {number(int(with_fee))} liquidations'}: switch the "
        "dashboard's fee on and watch. The larger tiers' rates "
        f"({percent(tiers.tiers[4].mmr)} from tier 5) are above the fee, and there the steps come back. Bybit's "
        "pages read for this lesson describe no separate liquidation fee."
    )
    return Deeper("the rule in the exchanges' words, the steps in numbers, and what a fee does",
                  *PARTIAL_WORDS, text, stepped_table(size, dip), fee)


# ----------------------------------------------------------------------------- auto-deleveraging

#: The bankrupt trader: an isolated 20x long of 2 BTC at 50,000 USDT, and a gap to 45,000.
ADL_LONG = dict(size=2.0, entry_price=50_000.0, leverage=20)
ADL_GAP_PRICE = 45_000.0
#: Four shorts on the other side (wallet balance = size x entry / leverage).
ADL_COUNTERPARTIES = (
    Counterparty("A (10x)", "short", 1.0, 60_000.0, 6_000.0),
    Counterparty("B (2x)", "short", 3.0, 60_000.0, 90_000.0),
    Counterparty("C (20x)", "short", 1.0, 52_000.0, 2_600.0),
    Counterparty("D (10x)", "short", 1.0, 44_000.0, 4_400.0),
)


def adl_run(insurance_fund=0.0, counterparties=ADL_COUNTERPARTIES, gap_price=ADL_GAP_PRICE):
    """The bankrupt long in :class:`margincourse.Account` with a finite fund: ``(account, liquidation, adl)``.

    ``adl`` is None when the fund covers the loss.
    """
    account = Account(10_000, insurance_fund=insurance_fund, counterparties=counterparties)
    account.open(SYMBOL, "long", ADL_LONG["size"], ADL_LONG["entry_price"], leverage=ADL_LONG["leverage"],
                 mode="isolated")
    events = account.mark({SYMBOL: gap_price}, gap=True)
    return account, events[0], (events[1] if len(events) > 1 else None)


def adl_conservation(insurance_fund=0.0):
    """Where the loss past the bankrupt long's margin goes: the fund, then each deleveraged short.

    The last row adds the parts up again: it equals the shortfall (money is conserved). A row
    "not covered by anyone modelled" appears when the counterparties cannot take it all.
    """
    _, liquidation, adl = adl_run(insurance_fund)
    shortfall = liquidation.insurance_fund_loss + liquidation.adl_shortfall
    rows = {
        f"loss past the long's margin (its bankruptcy price is {_price(liquidation.bankruptcy_price)})": shortfall,
        f"paid by the insurance fund (it held {money(insurance_fund, 0)})": liquidation.insurance_fund_loss,
    }
    parts = liquidation.insurance_fund_loss
    for fill in adl.fills if adl else ():
        rows[f"{fill.name}: {number(fill.quantity)} BTC closed at {_price(fill.price)}, not "
             f"{_price(ADL_GAP_PRICE)}: profit not received"] = fill.forgone_profit
        parts += fill.forgone_profit
    uncovered = adl.uncovered if adl else 0.0
    if uncovered > 0:
        rows["not covered by anyone modelled"] = uncovered
    rows["fund + profits not received" + (" + not covered" if uncovered > 0 else "")] = parts + uncovered
    frame = pd.DataFrame({"USDT": [money(v) for v in rows.values()]}, index=pd.Index(list(rows), name=""))
    return Table(frame)


def adl_ranking_table(price=ADL_GAP_PRICE, counterparties=ADL_COUNTERPARTIES):
    """The shorts' ADL queue at ``price`` by Binance's formula and by the ``"bybit"`` form, side by side."""
    binance = adl_ranking(counterparties, price).set_index("name")
    bybit = adl_ranking(counterparties, price, rule="bybit").set_index("name")
    rows = []
    for c in counterparties:
        rows.append({
            "short": c.name,
            "entry (USDT)": money(c.entry_price, 0),
            "size (BTC)": number(c.size),
            "collateral (USDT)": money(c.wallet_balance, 0),
            "profit at the mark (USDT)": money(c.unrealized_pnl(price), 0),
            "Binance Leverage Pnl": f"{binance.loc[c.name, 'score']:.4f}",
            "Binance rank": int(binance.loc[c.name, "rank"]),
            "PnL % x eff. leverage": f"{bybit.loc[c.name, 'score']:.3f}",
            "rank by it": int(bybit.loc[c.name, "rank"]),
        })
    return Table(pd.DataFrame(rows).set_index("short"))


def adl_deeper(price=ADL_GAP_PRICE):
    """A collapsed section: ADL in Binance's and Bybit's words, the ranking formulas, the four shorts' queue."""
    formula = (
        "**Binance** publishes the formula at the end of *\"What Is Auto-Deleveraging (ADL) and How Does It "
        "Work?\"*: Pnl Percent = max(0, Unrealized Profit) / max(1, Wallet Balance); Margin Ratio = Maintenance "
        "Margin / (Wallet Balance + Unrealized Profit), or 0 when that sum is 0 or less; **Leverage Pnl = Pnl "
        "Percent x Margin Ratio**; traders are then ranked by its quantile, longs and shorts apart. A higher "
        "leverage means less collateral, so both factors grow with it."
    )
    bybit = (
        "**Bybit** (*\"What is Auto-Deleveraging (ADL)?\"*, *\"Auto-Deleveraging (ADL) Mechanism\"*) says the "
        "ranking \"is derived in order of highest profit and effective leverage use\" and shows it in the app, "
        "but the pages read for this course give no formula. `mc.adl_ranking(..., rule=\"bybit\")` uses the form "
        "BitMEX publishes for the same idea (*\"Auto-Deleveraging\"*): PnL percentage x effective leverage, with "
        "effective leverage = mark value / (mark value - bankrupt value). Treat it as an illustration of Bybit's "
        "words, not as Bybit's formula."
    )
    queue = (f"The four shorts at {_price(price)}: B has by far the largest profit in USDT, yet comes third on "
             "both, because at 2x its profit is small next to its collateral. D is at a loss and is never "
             "deleveraged.")
    return Deeper("ADL in the exchanges' words, and the ranking computed", *ADL_WORDS, formula, bybit, queue,
                  adl_ranking_table(price))
