"""Lesson 3, liquidation: where the exchange closes a position, and who pays for what.

Everything here arranges the engine's numbers for the lesson; no formula is
re-derived. The liquidation price comes from :func:`margincourse.liquidation_price`
and :func:`margincourse.liquidation_price_for_tiers` (Binance's FAQ "How to Calculate
Liquidation Price of USDⓈ-M Futures Contracts"), the bankruptcy price from
:func:`margincourse.bankruptcy_price`, Bybit's variant from
:func:`margincourse.bybit_liquidation_price`, and what happens to the money from
:class:`margincourse.Account` run over candles. Stepped liquidation and auto-deleveraging
are laid out in :mod:`.lesson3_deeper` and re-exported here.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine.paths import generate_path, scenario
from ..plots import COLORS, Picture, new_figure, price_levels, styled, usdt_axis
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, choice, leverage_slider, price_slider
from .reading import Deeper, Table
from .lesson3_deeper import (  # noqa: F401  (re-exported: the notebook calls lesson3.stepped_dashboard() ...)
    adl_conservation, adl_deeper, adl_ranking_table, adl_run, stepped_dashboard, stepped_deeper, stepped_table,
)

SYMBOL = "BTCUSDT"
SIZE = 0.02  # BTC: the 1,000 USDT account of Richra's article trading 1,000 USDT of notional at 50,000
ENTRY = 50_000.0
LEVERAGE = 10
BALANCE = 1_000.0
LEVERAGES = (1, 2, 3, 5, 10, 20, 25, 50, 75, 100, 125)
#: Binance's BTCUSDT liquidation fee rate (its "insurance clearance fee"): BTCUSDT's
#: "liquidationFee": "0.012500" in Binance USD-M Futures exchangeInfo (GET /fapi/v1/exchangeInfo),
#: snapshot with serverTime 1711627208783 (2024-03-28). Binance pays the fee into its insurance fund.
BINANCE_LIQUIDATION_FEE = 0.0125

PATH_SEED = 48  # a week that rises about 10 %, then falls through two jumps
PATH_HOURS = 168
CHART_LIMIT = 30.0  # the dashboard's chart shows moves from -30 % to +30 % of the entry
ENTRY_RANGE = (20_000.0, 100_000.0)
#: Prices are written on the contract's tick (0.1 USDT for BTCUSDT: one decimal).
PRICE_DECIMALS = max(0, -Decimal(str(contract(SYMBOL).tick_size)).normalize().as_tuple().exponent)


def price(value):
    """A BTCUSDT price as the lesson writes it: thousands separators, on the contract's 0.1 USDT tick.

    >>> price(45_180.7229), price(50_000)
    ('45,180.7', '50,000.0')
    """
    return money(value, PRICE_DECIMALS)


def _never(value, scale):
    """True when a price is at or below zero (up to rounding): the market cannot get there."""
    return value <= 1e-9 * scale


# --------------------------------------------------------------------------- the derivation


def derivation(side, entry_price, size, margin, mmr, maintenance_amount=0.0):
    """Solve "margin balance = maintenance margin" for the price, step by step, with numbers.

    Returns a :class:`Derivation`; ``print`` it for the steps, read ``.values`` for the numbers.
    """
    sign = formulas.side_sign(side)
    lp = formulas.liquidation_price(side, entry_price, size, margin, mmr, maintenance_amount)
    left = margin + maintenance_amount - sign * size * entry_price  # WB + cum - side x Q x EP
    coefficient = size * mmr - sign * size  # Q x MMR - side x Q
    balance_at_lp = margin + sign * size * (lp - entry_price)
    mm_at_lp = size * lp * mmr - maintenance_amount
    op = "+" if sign > 0 else "-"
    back = "-" if sign > 0 else "+"  # the sign of - side x Q x EP
    q, ep, wb, cum = (number(x, 10) for x in (size, entry_price, margin, maintenance_amount))
    q_mmr, q_ep = number(size * mmr, 10), number(size * entry_price, 10)
    lines = [
        f"Isolated {side}: Q = {q} BTC, EP = {ep} USDT, margin WB = {wb} USDT, "
        f"MMR = {mmr * 100:g} %, cum = {cum} USDT, side = {sign:+d}",
        "",
        "1. Margin balance at a mark price P  = WB + side x Q x (P - EP)",
        f"                                      = {wb} {op} {q} x (P - {ep})",
        "2. Maintenance margin at P           = Q x P x MMR - cum",
        f"                                      = {q_mmr} x P - {cum}",
        "3. Liquidation: margin balance = maintenance margin",
        f"   {wb} {op} {q} x P {back} {q_ep} = {q_mmr} x P - {cum}",
        "4. Numbers to the left, P to the right:  WB + cum - side x Q x EP = (Q x MMR - side x Q) x LP",
        f"   {wb} + {cum} {back} {q_ep} = ({q_mmr} {back} {q}) x LP",
        f"   {number(left, 10)} = {number(coefficient, 10)} x LP",
        f"5. LP = {number(left, 10)} / {number(coefficient, 10)} = {usdt(lp, PRICE_DECIMALS)} "
        f"({percent(abs(lp / entry_price - 1))} {'below' if lp < entry_price else 'above'} the entry)",
        "",
        f"Check at LP: margin balance = {usdt(balance_at_lp, 4)}, maintenance margin = {usdt(mm_at_lp, 4)}",
    ]
    values = {
        "numerator": left,
        "denominator": coefficient,
        "liquidation price": lp,
        "margin balance at LP": balance_at_lp,
        "maintenance margin at LP": mm_at_lp,
    }
    return Derivation(lines, values)


class Derivation:
    """The steps of :func:`derivation` as text, and the numbers they produced."""

    def __init__(self, lines, values):
        self.lines = list(lines)
        self.values = dict(values)

    def __str__(self):
        return "\n".join(self.lines)

    __repr__ = __str__


def worked_example(side, entry_price, size, leverage, tiers=None):
    """An isolated position opened with its initial margin, by hand: margin, tier, LP, BP and the buffer.

    Returns a :class:`Derivation`: ``print`` it for the steps, read ``.values`` for the numbers.
    """
    tiers = tiers or tier_table(SYMBOL, "binance")
    sign = formulas.side_sign(side)
    margin = formulas.initial_margin(size, entry_price, leverage)
    lp = formulas.liquidation_price_for_tiers(side, entry_price, size, margin, tiers)
    bp = formulas.bankruptcy_price(side, entry_price, size, margin)
    tier = tiers.tier_for(size * lp)
    mm = tiers.maintenance_margin(size * lp)
    q, ep, cum = number(size), money(entry_price, 0), money(tier.maintenance_amount, 0)
    back = "-" if sign > 0 else "+"  # the sign of - side x Q x EP
    lines = [
        f"Isolated {side} of {q} BTC at {ep} USDT with {number(leverage)}x on {tiers.exchange.capitalize()}",
        f"1. margin         = Q x EP / leverage = {q} x {ep} / {number(leverage)} = {usdt(margin)}",
        f"2. tier at the LP = tier {tier.tier} (notional {usdt(size * lp)}): MMR {percent(tier.mmr)}, cum {cum}",
        "3. LP             = (WB + cum - side x Q x EP) / (Q x MMR - side x Q)",
        f"                  = ({money(margin)} + {cum} {back} {q} x {ep}) / ({q} x {number(tier.mmr)} {back} {q})",
        f"                  = {usdt(lp, PRICE_DECIMALS)} ({percent(lp / entry_price - 1, sign=True)} from the entry)",
        f"4. BP             = EP x (1 {'-' if sign > 0 else '+'} 1 / leverage) = {usdt(bp, PRICE_DECIMALS)}",
        f"5. buffer         = |BP - LP| x Q = {usdt(abs(bp - lp) * size, 4)}"
        f" = the maintenance margin at the LP, {usdt(mm, 4)}",
    ]
    values = {"margin": margin, "liquidation price": lp, "bankruptcy price": bp, "tier": tier.tier,
              "buffer": abs(bp - lp) * size, "maintenance margin at LP": mm}
    return Derivation(lines, values)


def tier_candidates(side, entry_price, size, margin, tiers=None, first=4):
    """Binance's note made visible: the liquidation price computed with each tier's MMR and cum.

    Only one tier is consistent: the one that holds the notional at *its own*
    liquidation price. :func:`margincourse.liquidation_price_for_tiers` picks it.
    """
    tiers = tiers or tier_table(SYMBOL, "binance")
    entry_tier = tiers.tier_for(size * entry_price).tier
    rows = []
    for t in tiers.tiers[:first]:
        lp = formulas.liquidation_price(side, entry_price, size, margin, t.mmr, t.maintenance_amount)
        value = size * lp
        rows.append({
            "tier": t.tier,
            "notional range (USDT)": f"{money(t.floor, 0)} - {money(t.cap, 0)}",
            "MMR": percent(t.mmr),
            "cum (USDT)": money(t.maintenance_amount, 0),
            "LP with this tier (USDT)": price(lp),
            "notional at that LP (USDT)": money(value),
            "consistent?": "yes" if t.floor <= value < t.cap else "no",
            "tier at entry?": "yes" if t.tier == entry_tier else "",
        })
    return pd.DataFrame(rows).set_index("tier")


# --------------------------------------------------------------------------- one position's numbers


def position_figures(side, entry_price, leverage, size=SIZE, exchange="binance", symbol=SYMBOL):
    """Everything the lesson says about one isolated position opened with its initial margin.

    ``liquidation price`` and ``bankruptcy price`` are ``None`` when they are at or below
    zero: the market cannot get there (exchanges show "--").
    """
    size = contract(symbol).check_size(size)
    tiers = tier_table(symbol, exchange)
    tiers.check_leverage(leverage, size * entry_price)
    margin = formulas.initial_margin(size, entry_price, leverage)
    lp = formulas.liquidation_price_for_tiers(side, entry_price, size, margin, tiers)
    bp = formulas.bankruptcy_price(side, entry_price, size, margin)
    lp = None if _never(lp, entry_price) else lp
    bp = None if _never(bp, entry_price) else bp
    rate = amount = mm_at_lp = None
    if lp is not None:
        tier = tiers.tier_for(size * lp)
        rate = tier.mmr + tiers.maintenance_fee_rate
        amount = tier.maintenance_amount
        mm_at_lp = tiers.maintenance_margin(size * lp)
    return {
        "side": side,
        "entry price": entry_price,
        "size": size,
        "leverage": leverage,
        "exchange": exchange,
        "initial margin": margin,
        "liquidation price": lp,
        "move to liquidation": None if lp is None else lp / entry_price - 1,
        "bankruptcy price": bp,
        "move to bankruptcy": None if bp is None else bp / entry_price - 1,
        "maintenance margin rate at LP": rate,
        "maintenance amount at LP": amount,
        "maintenance margin at LP": mm_at_lp,
    }


def distance_table(leverages=LEVERAGES, size=SIZE, entry_price=ENTRY, exchange="binance"):
    """How far price may move before an isolated long or short is liquidated, by leverage."""
    rows = []
    for leverage in leverages:
        long = position_figures("long", entry_price, leverage, size, exchange)
        short = position_figures("short", entry_price, leverage, size, exchange)
        rows.append({
            "leverage": f"{leverage}x",
            "long: liquidation price": "never (LP <= 0)" if long["liquidation price"] is None
            else price(long["liquidation price"]),
            "long: price may fall": "all the way" if long["liquidation price"] is None
            else percent(-long["move to liquidation"]),
            "short: liquidation price": price(short["liquidation price"]),
            "short: price may rise": percent(short["move to liquidation"]),
            "margin used up at (1 / leverage)": percent(1 / leverage),
        })
    return pd.DataFrame(rows).set_index("leverage")


def distance_deeper(leverages=LEVERAGES):
    """:func:`distance_table`, collapsed: the story's position at each leverage, long and short."""
    return Deeper("the distance to liquidation at each leverage", "The story's position (0.02 BTC at 50,000 USDT, "
                  "Binance's first tier):", Table(distance_table(leverages)))


@styled
def distance_figure(leverages=LEVERAGES, size=SIZE, entry_price=ENTRY, exchange="binance"):
    """The distance to liquidation against leverage, long and short, on log-log axes."""
    tiers = tier_table(SYMBOL, exchange)
    grid = np.geomspace(1, 125, 200)
    marks = np.asarray(leverages, dtype=float)
    curves = {}
    for name, x in (("grid", grid), ("marks", marks)):
        margins = formulas.initial_margin(size, entry_price, x)
        curves[name] = (
            formulas.liquidation_price_for_tiers("long", entry_price, size, margins, tiers),
            formulas.liquidation_price_for_tiers("short", entry_price, size, margins, tiers),
        )
    figure, ax = new_figure()
    long, short = curves["grid"]
    # A long whose liquidation price is at or below 0 is never liquidated: leave it off the curve
    # rather than draw it as "liquidated after a 100 % fall".
    long_fall = np.where(long > 1e-9 * entry_price, (1 - long / entry_price) * 100, np.nan)
    ax.plot(grid, long_fall, color=COLORS["isolated"], linewidth=4, alpha=0.45,
            label="long: fall to liquidation")
    ax.plot(grid, (short / entry_price - 1) * 100, color=COLORS["cross"], linewidth=1.6,
            label="short: rise to liquidation")
    ax.plot(grid, 100 / grid, color=COLORS["bankruptcy"], linestyle=":", label="margin used up (1 / leverage)")
    long, short = curves["marks"]
    reachable = long > 1e-9 * entry_price
    ax.plot(marks[reachable], (1 - long[reachable] / entry_price) * 100, "o", color=COLORS["isolated"], markersize=5)
    never = ", ".join(f"{x:g}x" for x in marks[~reachable])
    if never:  # no point for them: a text above the curves says why
        ax.text(marks[0] * 1.05, 125, f"{never} long: never liquidated (its liquidation price is 0 or below)",
                color=COLORS["isolated"], fontsize=9, va="center")
    ax.plot(marks, (short / entry_price - 1) * 100, "o", color=COLORS["cross"], markersize=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.minorticks_off()
    ax.set_xticks(marks, [f"{x:g}" for x in marks])
    ticks = [0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
    ax.set_yticks(ticks, [f"{t:g} %" for t in ticks])
    ax.set_ylim(0.2, 150)
    ax.set_xlabel("leverage (x, log scale)")
    ax.set_ylabel("price move to liquidation (log scale)")
    ax.set_title(f"Isolated BTCUSDT on {exchange.capitalize()}: the room shrinks like 1 / leverage")
    ax.legend(loc="lower left")
    return Picture(figure)


# --------------------------------------------------------------------------- liquidation in an account


def _isolated_account(side, leverage, entry_price=ENTRY, size=SIZE, liquidation_fee=0.0, balance=BALANCE,
                      exchange="binance"):
    account = Account(balance, liquidation_fee=liquidation_fee, exchange=exchange)
    position = account.open(SYMBOL, side, size, entry_price, leverage=leverage, mode="isolated")
    return account, position


def wick_candles(entry_price=ENTRY, n=120):
    """``mc.scenario("wick_down_30")``: flat, one candle with a 30 % lower wick, flat again."""
    return scenario("wick_down_30", start_price=entry_price, n=n)


def wick_table(leverages=(3, 5, 10, 20), entry_price=ENTRY, size=SIZE):
    """Isolated longs run through the 30 % wick: which ones the wick liquidates."""
    candles = wick_candles(entry_price)
    rows = []
    for leverage in leverages:
        account, position = _isolated_account("long", leverage, entry_price, size)
        lp = account.liquidation_price(position)
        timeline = account.run(candles)
        events = timeline.attrs["events"]
        rows.append({
            "leverage": f"{leverage}x",
            "liquidation price": round(lp, 2),
            "lowest close": float(candles["close"].min()),
            "lowest low (the wick)": float(candles["low"].min()),
            "liquidated?": "yes, by the wick" if events else "no",
            "margin lost (USDT)": round(sum(e.collateral_lost for e in events), 2),
            "wallet after (USDT)": round(account.wallet_balance, 2),
        })
    return pd.DataFrame(rows).set_index("leverage")


@styled
def wick_figure(leverage=LEVERAGE, survivor=3, entry_price=ENTRY, size=SIZE, window=(40, 81)):
    """The wick scenario's candles, a 10x long's price levels and where it was liquidated.

    The liquidation price of a ``survivor``-x long, which the wick does not reach, is drawn too.
    """
    candles = wick_candles(entry_price)
    account, position = _isolated_account("long", leverage, entry_price, size)
    lp = account.liquidation_price(position)
    bp = account.bankruptcy_price(position)
    timeline = account.run(candles)
    event = timeline.attrs["events"][0]
    other, other_position = _isolated_account("long", survivor, entry_price, size)
    survivor_lp = other.liquidation_price(other_position)
    minutes = np.arange(len(candles))
    part = slice(*window)
    figure, ax = new_figure()
    ax.vlines(minutes[part], candles["low"].to_numpy()[part], candles["high"].to_numpy()[part],
              color=COLORS["price"], linewidth=2.5, label="candle low-high (the wick)")
    ax.plot(minutes[part], candles["close"].to_numpy()[part], "o-", color=COLORS["price"], markersize=3,
            linewidth=1, label="close")
    price_levels(ax, entry_price, lp, bp)
    ax.axhline(survivor_lp, color=COLORS["wallet"], linestyle="-.",
               label=f"{survivor:g}x long's liquidation {price(survivor_lp)} (not reached)")
    row = timeline.index.get_loc(event.time)
    ax.plot([row], [event.price], "X", color=COLORS["liquidation"], markersize=12,
            label=f"{leverage:g}x long liquidated here", zorder=5)
    ax.annotate("every close stays at the entry price", (minutes[row] + 3, entry_price),
                xytext=(minutes[row] + 5, entry_price * 0.95),
                arrowprops={"arrowstyle": "->", "color": COLORS["price"]}, fontsize=9)
    ax.set_ylim(entry_price * 0.62, entry_price * 1.04)
    ax.set_xlim(window[0] - 1, window[1])
    usdt_axis(ax.yaxis)
    ax.set_xlabel("minute of the scenario")
    ax.set_ylabel("price (USDT)")
    ax.set_title(f"A 30 % wick liquidates a {leverage:g}x long whose close price never moved")
    figure.set_size_inches(8, 3.9)
    figure.legend(loc="outside lower center", ncols=2)
    return Picture(figure)


#: Row labels of :func:`settlement_table`: on Binance the liquidation fee itself is paid into the
#: insurance fund (Binance FAQ "Insurance Fund": it "is designed to use the collateral from fees on
#: non-bankrupt clients to cover losses when the client accounts go below 0 in value"), so the fund
#: gets the fee *and* whatever is left over after it. The fee charged is the fee rate times the
#: notional liquidated, capped at what is left of the margin (the engine's rule).
FEE_ROW = "liquidation fee, to the insurance fund (USDT)"
LEFT_OVER_ROW = "left after the fee, to the insurance fund (USDT)"


def settlement_table(leverage=LEVERAGE, entry_price=ENTRY, size=SIZE, gap_price=None):
    """Where the money goes when the 10x long is liquidated: with and without a fee, and in a gap.

    Columns: the mark moves continuously to the liquidation price (no fee; Binance's
    1.25 % BTCUSDT fee), and the price gaps to ``gap_price`` (default: the
    ``gap_down_15`` scenario's level, 15 % lower) with the fee.
    """
    if gap_price is None:
        gap_price = float(scenario("gap_down_15", start_price=entry_price)["low"].min())
    cases = {}
    for label, fee, gap in (
        ("falls to the LP, no fee", 0.0, False),
        (f"falls to the LP, {BINANCE_LIQUIDATION_FEE * 100:g} % fee", BINANCE_LIQUIDATION_FEE, False),
        (f"gaps to {money(gap_price, 0)}, {BINANCE_LIQUIDATION_FEE * 100:g} % fee", BINANCE_LIQUIDATION_FEE, True),
    ):
        account, position = _isolated_account("long", leverage, entry_price, size, liquidation_fee=fee)
        lp = account.liquidation_price(position)
        (event,) = account.mark({SYMBOL: gap_price if gap else lp * 0.999}, gap=gap)
        cases[label] = {
            "executed at (USDT)": event.price,
            "bankruptcy price (USDT)": event.bankruptcy_price,
            "realized PnL (USDT)": event.realized_pnl,
            "left of the margin (USDT)": position.margin + event.realized_pnl,
            "fee rate x notional liquidated (USDT)": fee * size * event.price,
            FEE_ROW: event.liquidation_fee,
            LEFT_OVER_ROW: event.insurance_fund_contribution,
            "paid by the insurance fund (USDT)": event.insurance_fund_loss,
            "margin lost by the trader (USDT)": event.collateral_lost,
            "wallet after (USDT)": event.wallet_after,
        }
    return pd.DataFrame(cases).round(2)


#: Rows of :func:`settlement_table` that are prices (written on the tick); the others are USDT amounts.
PRICE_ROWS = ("executed at (USDT)", "bankruptcy price (USDT)")
#: The rows :func:`settlement_view` shows, with the short labels it gives them (all in USDT).
VIEW_ROWS = {
    "executed at (USDT)": "executed at",
    "realized PnL (USDT)": "realized PnL",
    "left of the margin (USDT)": "left of the margin",
    "fee rate x notional liquidated (USDT)": "fee rate x notional",
    FEE_ROW: "fee, to the insurance fund",
    LEFT_OVER_ROW: "left after it, to the fund",
    "paid by the insurance fund (USDT)": "paid by the fund",
    "margin lost by the trader (USDT)": "margin lost by the trader",
}


def settlement_view(**kwargs):
    """:func:`settlement_table` as the lesson shows it: prices on the tick, amounts with two decimals.

    Short row and column labels; the bankruptcy price and the wallet after (the same in
    every column, and said in the text) are left out.
    """
    table = settlement_table(**kwargs).loc[list(VIEW_ROWS)]
    view = pd.DataFrame(
        {column.replace("falls to the LP", "to the LP").replace("gaps to", "gap to"):
         [price(v) if row in PRICE_ROWS else money(v) for row, v in table[column].items()]
         for column in table.columns},
        index=list(VIEW_ROWS.values()),
    )
    view.columns.name = "in USDT"
    return view


def bybit_comparison(entry_price=20_000.0, size=1.0, leverage=50, mmr=0.005):
    """Bybit's worked example next to Binance's formula for the same trade."""
    margin = formulas.initial_margin(size, entry_price, leverage)
    binance = tier_table(SYMBOL, "binance")
    bybit = formulas.bybit_liquidation_price("long", entry_price, leverage, mmr)
    same_rate = formulas.liquidation_price("long", entry_price, size, margin, mmr)
    tiered = formulas.liquidation_price_for_tiers("long", entry_price, size, margin, binance)
    tier = binance.tier_for(size * tiered)
    rows = {
        f"Bybit: MM at the entry price, MMR {mmr * 100:g} %": (bybit, size * entry_price * mmr, entry_price),
        f"Binance formula, same MMR {mmr * 100:g} %": (same_rate, size * same_rate * mmr, same_rate),
        f"Binance with its BTCUSDT tiers (MMR {tier.mmr * 100:g} %)": (
            tiered, binance.maintenance_margin(size * tiered), tiered),
    }
    bankruptcy = formulas.bankruptcy_price("long", entry_price, size, margin)
    frame = pd.DataFrame(
        [
            {
                "rule": name,
                "maintenance margin measured at (USDT)": round(at, 2),
                "maintenance margin (USDT)": round(mm, 2),
                "liquidation price (USDT)": round(lp, 2),
                "above the bankruptcy price by (USDT)": round(lp - bankruptcy, 2),
            }
            for name, (lp, mm, at) in rows.items()
        ]
    ).set_index("rule")
    frame.attrs["bankruptcy price"] = bankruptcy
    return frame


def rule_comparison(entry_price=20_000.0, size=1.0, leverage=50, mmr=0.005):
    """Bybit's worked example, long and short, under Bybit's rule and under Binance's formula at the same rate.

    Bybit measures the maintenance margin at the entry price
    (:func:`margincourse.bybit_liquidation_price`), Binance at the liquidation price
    (:func:`margincourse.liquidation_price`).
    """
    margin = formulas.initial_margin(size, entry_price, leverage)
    rows = {
        side: {
            "Bybit: MM at the entry price": price(formulas.bybit_liquidation_price(side, entry_price, leverage, mmr)),
            "Binance: MM at the liquidation price": price(
                formulas.liquidation_price(side, entry_price, size, margin, mmr)),
        }
        for side in ("long", "short")
    }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = (f"liquidation price (USDT) of {number(size)} BTC at {price(entry_price)}, "
                        f"{leverage}x, MMR {percent(mmr, 1)}")
    return frame


# --------------------------------------------------------------------------- the dashboard


@lru_cache(maxsize=1)
def _relative_path():
    """A seeded week of hourly BTC-like candles, divided by its first open (so it starts at 1)."""
    path = generate_path(PATH_HOURS, interval="1h", seed=PATH_SEED, start_price=ENTRY)
    prices = path[["open", "high", "low", "close"]]
    relative = prices / float(prices["open"].iloc[0])
    relative.index = pd.RangeIndex(len(relative), name="hour")
    return relative


def path_candles(entry_price):
    """The dashboard's week of hourly candles, rescaled so the first candle opens at ``entry_price``."""
    return _relative_path() * entry_price


def path_outcome(side, entry_price, leverage, size=SIZE, exchange="binance"):
    """Run an isolated position over the dashboard's week: the liquidation event, or None."""
    margin = formulas.initial_margin(size, entry_price, leverage)
    account, _ = _isolated_account(side, leverage, entry_price, size, balance=max(BALANCE, 2 * margin),
                                   exchange=exchange)
    timeline = account.run(path_candles(entry_price))
    events = timeline.attrs["events"]
    return events[0] if events else None


def _price_text(value):
    return "none: price would have to reach 0 (exchanges show --)" if value is None else usdt(value, PRICE_DECIMALS)


def _readout(f, event, candles):
    side = f["side"]
    lp, bp = f["liquidation price"], f["bankruptcy price"]
    readout = {
        "initial margin (isolated)": usdt(f["initial margin"]),
        "liquidation price": _price_text(lp),
        "distance from entry": "price cannot fall that far" if lp is None
        else percent(f["move to liquidation"], sign=True),
        "bankruptcy price (margin balance = 0)": _price_text(bp),
    }
    if lp is not None and bp is not None:
        readout["gap liquidation -> bankruptcy"] = f"{usdt(abs(lp - bp), PRICE_DECIMALS)} per BTC"
    if lp is not None:
        readout["maintenance margin at the LP"] = (
            f"{usdt(f['maintenance margin at LP'])} (rate {percent(f['maintenance margin rate at LP'])})"
        )
    else:
        readout["maintenance margin at the LP"] = "none: no liquidation price"
    if event is not None:
        hour = int(candles.index.get_loc(event.time))
        extreme = "low" if side == "long" else "high"
        readout["this week's path"] = (
            f"liquidated in hour {hour} ({extreme} {price(candles[extreme].iloc[hour])}): "
            f"{usdt(event.collateral_lost)} lost"
        )
    else:
        extreme = candles["low"].min() if side == "long" else candles["high"].max()
        readout["this week's path"] = (
            f"survives all {len(candles)} hours ({'lowest low' if side == 'long' else 'highest high'} "
            f"{usdt(extreme, PRICE_DECIMALS)})"
        )
    return readout


@styled
def dashboard(side="long", entry_price=ENTRY, leverage=LEVERAGE, exchange="binance"):
    """Leverage, entry price, side and exchange; the liquidation line moves over a seeded week of prices."""
    spec = contract(SYMBOL)
    controls = {
        "side": choice("side", ["long", "short"], side),
        "entry_price": price_slider("entry price (USDT)", entry_price, *ENTRY_RANGE, spec.tick_size),
        "leverage": leverage_slider(leverage, int(spec.max_leverage)),
        "exchange": choice("exchange", ["binance", "bitget"], exchange),
    }
    relative = _relative_path()
    hours = np.arange(len(relative))
    figure, ax = new_figure(figsize=(8, 3.0))
    ax.vlines(hours, (relative["low"] - 1) * 100, (relative["high"] - 1) * 100, color=COLORS["price"],
              linewidth=1, alpha=0.6, label="hourly low-high")
    ax.plot(hours, (relative["close"] - 1) * 100, color=COLORS["price"], linewidth=1.2, label="close")
    ax.axhline(0, color=COLORS["entry"], linestyle="--", label="entry")
    (liq,) = ax.plot([0, hours[-1]], [np.nan, np.nan], color=COLORS["liquidation"], linewidth=2,
                     label="liquidation price")
    (bank,) = ax.plot([0, hours[-1]], [np.nan, np.nan], color=COLORS["bankruptcy"], linestyle=":", linewidth=2,
                      label="bankruptcy price")
    (hit,) = ax.plot([np.nan], [np.nan], "X", color=COLORS["liquidation"], markersize=11,
                     label="liquidated here", zorder=5)
    ax.set_xlim(-2, hours[-1] + 2)
    ax.set_ylim(-CHART_LIMIT, CHART_LIMIT)
    ax.set_xticks(np.arange(0, len(hours) + 1, 24))
    ax.set_xlabel("hours after entry")
    ax.set_ylabel("price vs entry (%)")
    ax.set_title("One week of BTC-like prices, drawn relative to your entry")
    figure.legend(loc="outside right center")

    def update(side, entry_price, leverage, exchange):
        f = position_figures(side, entry_price, leverage, SIZE, exchange)
        candles = path_candles(entry_price)
        event = path_outcome(side, entry_price, leverage, SIZE, exchange)
        lp, bp = f["liquidation price"], f["bankruptcy price"]
        liq.set_ydata([np.nan] * 2 if lp is None else [(lp / entry_price - 1) * 100] * 2)
        bank.set_ydata([np.nan] * 2 if bp is None else [(bp / entry_price - 1) * 100] * 2)
        if event is None:
            hit.set_data([np.nan], [np.nan])
        else:
            hour = candles.index.get_loc(event.time)
            hit.set_data([hour], [(event.price / entry_price - 1) * 100])
        return _readout(f, event, candles)

    return Dashboard(
        "Liquidation: move leverage, entry price, side and exchange",
        controls, figure, update, animated=[liq, bank, hit],
        note=f"An isolated position of {SIZE} BTC opened with its initial margin. Lines beyond "
             f"±{CHART_LIMIT:g} % are off the chart; the readout always has them.",
    )


# --------------------------------------------------------------------------- questions


def questions():
    """Check-your-understanding questions for lesson 3 (every number computed by the engine)."""
    story = position_figures("long", ENTRY, LEVERAGE)
    lp, bp = story["liquidation price"], story["bankruptcy price"]
    gap = settlement_table().iloc[:, 2]
    lost = gap["margin lost by the trader (USDT)"]
    buffer = ("Some margin is still left when the exchange closes you: the maintenance margin, "
              "which pays the liquidation fee and goes to the insurance fund.")
    return [
        Question(
            "Binance liquidates a position when which price reaches the liquidation price?",
            {
                "The last traded price on Binance": "The last trade on the exchange's own order book can spike "
                                                    "on one large order; the mark price is there to protect you "
                                                    "from that.",
                "The mark price": "An index-based fair price (a basket of spot exchanges plus funding data), so "
                                  "one wild trade on the exchange's own order book cannot liquidate you.",
                "The close of the current 1-minute candle": "Exchanges do not wait for a candle to close; the mark "
                                                            "price is checked all the time. (The course's "
                                                            "simulations use each candle's low or high, which is "
                                                            "closer to that.)",
            },
            answer="The mark price",
        ),
        Question(
            f"Your 10x isolated long ({SIZE} BTC at {usdt(ENTRY, 0)}) has its liquidation price at {money(lp)} and "
            f"its bankruptcy price at {money(bp)}. Why are they different?",
            {
                "The bankruptcy price includes the fee paid to open the trade.":
                    "The bankruptcy price is simply where the margin balance is zero; no fee is in it.",
                "They differ only by rounding to the 0.1 USDT tick.":
                    f"The gap is {usdt(lp - bp)} per BTC, far more than a tick: it is the maintenance margin "
                    "divided by the size.",
                buffer: "Between the two prices lies the maintenance margin buffer, so the exchange can close the "
                        "position before it owes more than your collateral.",
            },
            answer=buffer,
        ),
        Question(
            f"The price gaps from {money(ENTRY, 0)} to {usdt(gap['executed at (USDT)'], 0)}, past the bankruptcy "
            "price, before the exchange can act. How much does your isolated 10x long lose?",
            {
                usdt(-gap["realized PnL (USDT)"]): "That is the position's loss at the gap price; the part "
                                                            "beyond your margin is paid by the insurance fund.",
                usdt(lost): "The isolated margin and no more; the insurance fund pays the other "
                            f"{usdt(gap['paid by the insurance fund (USDT)'])}.",
                "Nothing: the gap skipped the liquidation price": "Skipping the price does not save the position: "
                                                                  "it is liquidated at the first price the exchange "
                                                                  "sees beyond it.",
            },
            answer=usdt(lost),
        ),
    ]
