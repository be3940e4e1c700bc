"""Lesson 1, initial margin: notional, leverage, and return on margin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...basics.formatting import percent, usdt
from ...engine import formulas
from ..plots import new_figure, styled
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, leverage_slider, price_slider, size_slider

MOVES = np.linspace(-0.15, 0.15, 301)  # price moves from -15 % to +15 %


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
            "initial margin (USDT)": round(f["initial margin"], 2),
            "return on margin, price +1 %": percent(f["return on margin for a 1 % move"], 0, sign=True),
            "return on margin, price -1 %": percent(-f["return on margin for a 1 % move"], 0, sign=True),
            "move that wipes out the margin": percent(f["price move that equals the whole margin"], 1),
            "isolated long liquidated before -1 %?": (f"yes, at {percent(fall, sign=True)}: loss stops at -100 %"
                                                      if fall > -0.01 else "no"),
        })
    return pd.DataFrame(rows).set_index("leverage")


def _readout(f):
    return {
        "notional": usdt(f["notional"]),
        "initial margin = notional / leverage": usdt(f["initial margin"]),
        "PnL if price moves 1 %": usdt(f["PnL if price moves 1 %"]),
        "return on margin for a 1 % move": percent(f["return on margin for a 1 % move"], 1),
        "price move that equals the whole margin": percent(f["price move that equals the whole margin"]),
    }


@styled
def dashboard(size=0.02, price=50_000.0, leverage=10):
    """Sliders for size, price and leverage; the return on margin for every price move."""
    spec = contract("BTCUSDT")
    controls = {
        "size": size_slider(size, spec.contract_size, 1.0, spec.contract_size),
        "price": price_slider("entry price (USDT)", price, 10_000.0, 150_000.0, spec.tick_size),
        "leverage": leverage_slider(leverage, int(spec.max_leverage)),
    }
    figure, ax = new_figure()
    (line,) = ax.plot(MOVES * 100, MOVES * 100 * leverage, label="your leverage")
    ax.plot(MOVES * 100, MOVES * 100, color="#7f7f7f", linewidth=1, label="1x (no leverage)")
    ax.axhline(-100, color="#d62728", linestyle=":", label="whole margin lost (-100 %)")
    ax.axvline(0, color="#1f77b4", linestyle="--", linewidth=1, label="no move (entry price)")
    margin_gone = ax.axvline(-100 / leverage, color="#d62728", label="fall that uses up the margin")
    ax.set_xlabel("price move (%)")
    ax.set_ylabel("return on margin (%)")
    ax.set_ylim(-200, 200)
    ax.set_title("Leverage multiplies the price move, both ways")
    ax.legend(loc="upper left")

    def update(size, price, leverage):
        f = figures(size, price, leverage)
        line.set_ydata(MOVES * 100 * leverage)
        margin_gone.set_xdata([-100 / leverage] * 2)
        return _readout(f)

    return Dashboard("Initial margin: move size, price and leverage", controls, figure, update,
                     animated=[line, margin_gone],
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
