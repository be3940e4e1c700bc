"""Lesson 1, initial margin: long and short, notional, leverage, and return on margin."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ...basics.errors import MarginInputError
from ...basics.formatting import money, percent, usdt
from ...engine import formulas
from ..plots import COLORS, new_figure, styled
from ...engine.specs import contract, tier_table
from .lesson0 import MarkdownTable
from .reading import Deeper, Table
from ..widgets import Dashboard, Question, leverage_slider, price_slider, size_slider

MOVES = np.linspace(-0.15, 0.15, 301)  # price moves from -15 % to +15 %
REFUSED_GREY = "#bbbbbb"  # the colour of a figure the exchange would refuse to compute


def figures(size, price, leverage, symbol="BTCUSDT"):
    """The numbers of one position, as the lesson shows them."""
    spec = contract(symbol)
    size = spec.check_size(size)
    tier_table(symbol).check_leverage(leverage, size * price)
    value = formulas.notional(size, price)
    margin = formulas.initial_margin(size, price, leverage)
    one_percent = formulas.unrealized_pnl("long", price, size, price * 1.01)
    return {
        "notional": value,
        "initial margin": margin,
        "PnL if price moves 1 %": one_percent,
        "return on margin for a 1 % move": one_percent / margin,
        "price move that equals the whole margin": 1 / leverage,
    }


def long_and_short(size=0.02, entry_price=50_000.0, exits=(49_500.0, 50_500.0)):
    """The profit or loss of a long and of a short of ``size`` BTC opened at ``entry_price``, closed at each exit.

    PnL = side x size x (exit - entry), side +1 for a long and -1 for a short
    (:func:`margincourse.unrealized_pnl`).
    """
    rows = []
    for exit_price in exits:
        rows.append({
            "BTC moves to (USDT)": money(exit_price, 0),
            "price move": percent(exit_price / entry_price - 1, sign=True),
            "long PnL, +1 x size x (exit - entry)": usdt(formulas.unrealized_pnl("long", entry_price, size, exit_price),
                                                         sign=True),
            "short PnL, -1 x size x (exit - entry)": usdt(formulas.unrealized_pnl("short", entry_price, size, exit_price),
                                                          sign=True),
        })
    return pd.DataFrame(rows).set_index("BTC moves to (USDT)")


def contract_facts(symbol="BTCUSDT"):
    """The contract specification the course ships, one line per fact."""
    spec = contract(symbol)
    rows = [
        ("contract size", f"{spec.contract_size:g} {spec.base}", "whole contracts only: also the size step"),
        ("price tick", f"{spec.tick_size:g} {spec.quote}", "prices move in whole ticks"),
        ("maximum leverage", f"{spec.max_leverage:g}x", "for small positions (lesson 2)"),
    ]
    return pd.DataFrame(rows, columns=[symbol, "value", "what it means"]).set_index(symbol)


def leverage_table(size=0.02, price=50_000.0, leverages=(1, 2, 5, 10, 20, 50, 100, 125), exchange="binance"):
    """Initial margin and return on margin across leverages, for one position.

    The -1 % column is the price move times the leverage. The last column says whether an
    isolated long opened with that margin would be liquidated before the price has fallen 1 %
    (its liquidation price from :func:`margincourse.liquidation_price_for_tiers`, lesson 3): then
    the -1 % is never reached and the loss stops at the margin, -100 %.
    """
    tiers = tier_table("BTCUSDT", exchange)
    rows = []
    for leverage in leverages:
        f = figures(size, price, leverage)
        lp = formulas.liquidation_price_for_tiers("long", price, size, f["initial margin"], tiers)
        fall = lp / price - 1
        rows.append({
            "leverage": f"{leverage}x",
            "initial margin (USDT)": money(f["initial margin"]),
            "return on margin, price +1 %": percent(f["return on margin for a 1 % move"], 0, sign=True),
            "return on margin, price -1 %": percent(-f["return on margin for a 1 % move"], 0, sign=True),
            "move that wipes out the margin": percent(-f["price move that equals the whole margin"], 1),
            "isolated long liquidated before -1 %?": (f"yes, at {percent(fall, sign=True)}: loss stops at -100 %"
                                                      if fall > -0.01 else "no"),
        })
    return pd.DataFrame(rows).set_index("leverage")


def worked_example(size=0.05, price=60_000.0, leverage=25, move=0.02):
    """A position step by step: notional, initial margin, and the PnL and return on margin of a move each way."""
    value = formulas.notional(size, price)
    margin = formulas.initial_margin(size, price, leverage)
    rows = [
        ("1. notional = size x price", f"{size:g} x {money(price, 0)}", usdt(value)),
        ("2. initial margin = notional / leverage", f"{money(value)} / {leverage}", usdt(margin)),
    ]
    for n, step in ((3, move), (4, -move)):
        exit_price = price * (1 + step)
        pnl = formulas.unrealized_pnl("long", price, size, exit_price)
        rows.append((f"{n}. BTC {percent(step, 0, sign=True)}: PnL of the long",
                     f"{size:g} x ({money(exit_price, 0)} - {money(price, 0)})",
                     f"{usdt(pnl, sign=True)}, return on margin {percent(pnl / margin, 0, sign=True)}"))
    return MarkdownTable({"step": step, "computation": computation, "result": result}
                         for step, computation, result in rows)


def _readout(f):
    return {
        "notional": usdt(f["notional"]),
        "initial margin = notional / leverage": usdt(f["initial margin"]),
        "PnL if price moves 1 %": usdt(f["PnL if price moves 1 %"]),
        "return on margin for a 1 % move": percent(f["return on margin for a 1 % move"]),
        "price move that equals the whole margin": percent(f["price move that equals the whole margin"]),
    }


def refusal_text(error, width=46):
    """What a refused figure says, short enough to read at a glance (the readout gives the whole reason):
    ``leverage must be between 1 and 100 for BTCUSDT at ... got 125`` is written up to its "for"."""
    reason = str(error).split(" for ")[0]
    return "Refused by the exchange:\n" + textwrap.fill(reason, width)


@styled
def dashboard(size=0.02, price=50_000.0, leverage=10):
    """Sliders for size, price and leverage; the return on margin for every price move.

    A combination the exchange would refuse (a leverage above what the size's tier allows)
    greys the figure out and writes the refusal across it, so no number is left standing as if
    it were current; the readout says the same.
    """
    spec = contract("BTCUSDT")
    controls = {
        "size": size_slider(size, spec.contract_size, 1.0, spec.contract_size),
        "price": price_slider("entry price (USDT)", price, 10_000.0, 150_000.0, spec.tick_size),
        "leverage": leverage_slider(leverage, int(spec.max_leverage)),
    }
    figure, ax = new_figure()
    (line,) = ax.plot(MOVES * 100, MOVES * 100 * leverage, color=COLORS["equity"], label="your leverage")
    ax.plot(MOVES * 100, MOVES * 100, color="#7f7f7f", linewidth=1, label="1x (no leverage)")
    ax.axhline(-100, color=COLORS["liquidation"], linestyle=":", label="whole margin lost (-100 %)")
    ax.axvline(0, color=COLORS["entry"], linestyle="--", linewidth=1, label="no move (entry price)")
    margin_gone = ax.axvline(-100 / leverage, color=COLORS["liquidation"], label="fall that uses up the margin")
    refusal = figure.text(0.5, 0.6, "", ha="center", va="center", fontsize=12, color=COLORS["liquidation"],
                          bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": COLORS["liquidation"]},
                          visible=False)
    ax.set_xlabel("price move (%)")
    ax.set_ylabel("return on margin (%)")
    ax.set_ylim(-200, 200)
    ax.set_title("Leverage multiplies the price move, both ways")
    figure.legend(loc="outside lower center", ncol=3)  # below the axes: no line ever runs under it

    def show(refused_by=None):
        """Colour the moving lines (grey when refused) and show or hide the refusal."""
        line.set_color(REFUSED_GREY if refused_by else COLORS["equity"])
        margin_gone.set_color(REFUSED_GREY if refused_by else COLORS["liquidation"])
        refusal.set_text(refusal_text(refused_by) if refused_by else "")
        refusal.set_visible(refused_by is not None)

    def update(size, price, leverage):
        try:
            f = figures(size, price, leverage)
        except MarginInputError as error:
            show(refused_by=error)
            raise
        show()
        line.set_ydata(MOVES * 100 * leverage)
        margin_gone.set_xdata([-100 / leverage] * 2)
        return _readout(f)

    return Dashboard("Initial margin: move size, price and leverage", controls, figure, update,
                     animated=[line, margin_gone, refusal],
                     note="Return on margin is the PnL divided by the margin you put up.")


def questions():
    """Check-your-understanding questions for lesson 1."""
    f = figures(0.02, 50_000, 20)
    return [
        Question(
            "You open 0.02 BTC of BTCUSDT at 50,000 USDT with 20x leverage. What initial margin does the exchange lock?",
            {
                usdt(f["initial margin"], 0): "Notional 1,000 USDT divided by 20.",
                usdt(f["notional"], 0): "That is the notional. Leverage means you only post a fraction of it.",
                usdt(f["notional"] * 20, 0): "Leverage divides the notional; it does not multiply it.",
            },
            answer=usdt(f["initial margin"], 0),
        ),
        Question(
            "At 20x, BTC falls 2 %. What happens to the return on your margin?",
            {
                "-40 %": "Right: 20 x 2 % = 40 % of the margin is gone.",
                "-2 %": "That is the move of the position's value; measured against the margin it is 20 times larger.",
                "-0.1 %": "Leverage multiplies the move, it does not divide it.",
            },
            answer="-40 %",
        ),
        Question(
            "You hold 0.02 BTC. Had you opened the same 0.02 BTC with a higher leverage, would the same price "
            "move give you a larger profit or loss in USDT?",
            {
                "No: PnL depends on size and price only; leverage only sets how much margin backs it.":
                    "Same size, same PnL per dollar of price move, at any leverage.",
                "Yes: higher leverage means a larger PnL for the same size.":
                    "For a fixed size the PnL is size x price move. Leverage changes the margin, so the *return on margin*.",
            },
            answer="No: PnL depends on size and price only; leverage only sets how much margin backs it.",
        ),
    ]


# --------------------------------------------------------------------------- going deeper: fees inside margin

#: Bybit's base taker fee used in the order-cost example (its help page "Order Cost (USDT Contract)").
BYBIT_TAKER_FEE = 0.00055


def order_cost_table(size=0.02, price=50_000.0, leverages=(10, 50), taker_fee=BYBIT_TAKER_FEE):
    """Bybit's order cost of the same long at each leverage: margin, fee to open, fee to close, total."""
    rows = {}
    for leverage in leverages:
        margin, to_open, to_close, cost = formulas.order_cost("long", size, price, leverage, taker_fee)
        rows[f"{leverage}x"] = {
            "initial margin (USDT)": money(margin, 3),
            "fee to open (USDT)": money(to_open, 3),
            "fee to close, at the bankruptcy price (USDT)": money(to_close, 3),
            "order cost (USDT)": money(cost, 3),
            "fees as a share of the margin": percent((to_open + to_close) / margin, 1),
        }
    return pd.DataFrame(rows)


def fees_in_margin_deeper(size=0.02, price=50_000.0, leverages=(10, 50), taker_fee=BYBIT_TAKER_FEE):
    """Going deeper: what an order reserves on Bybit, initial margin plus the fees to open and to close."""
    table = order_cost_table(size, price, leverages, taker_fee)
    low, high = leverages[0], leverages[-1]
    return Deeper(
        "fees inside margin: what an order really reserves",
        "Exchanges charge a trading fee on every open and close, a rate times the notional. Bybit reserves "
        "both fees when you place the order. Its help page *\"Order Cost (USDT Contract)\"*: order cost = "
        "initial margin + fee to open + fee to close, with the fee to close priced at the **bankruptcy "
        "price**, where a liquidated long is closed: price × (1 − 1 / leverage). "
        f"The 0.02 BTC long at {usdt(price, 0)} with a taker fee of {percent(taker_fee, 3)}:",
        Table(table),
        f"The fees hardly change between {low}x and {high}x (only the bankruptcy price behind the fee to close "
        "moves), but the margin does: the share of the margin they take grows with the leverage, to about "
        "twice the fee rate × leverage. "
        "`mc.order_cost(side, size, price, leverage, taker_fee)` computes the four numbers. "
        "The course's account charges a `taker_fee` on every open and close out of the wallet "
        "(`mc.Account(1_000, taker_fee=0.0005)`) but reserves no fee to close in advance; "
        "Bitget instead adds a fee rate to its maintenance margin (lesson 2).",
    )
