"""Lesson 0, start here: the course map, the vocabulary, and a first widget to try.

The course map and the vocabulary are data (:data:`COURSE`, :func:`vocabulary`); every number
in the vocabulary's examples is computed from the shipped contract spec and tier table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...basics.formatting import money, percent, usdt
from ...engine import formulas
from ...engine.funding import funding_payment
from ...grading.answer_key import EXERCISES
from ..plots import COLORS, new_figure, styled, usdt_axis
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, price_slider, size_slider

SYMBOL = "BTCUSDT"

#: The lessons in order: (number, file stem shared by notebook and exercise, title, one line).
COURSE = (
    (0, "00_start_here", "Start here",
     "How to use the notebooks, where things are, the course map and the vocabulary."),
    (1, "01_initial_margin", "Initial margin",
     "Long and short, notional, leverage and the margin you post to open a position; why leverage multiplies your "
     "return both ways."),
    (2, "02_maintenance_margin", "Maintenance margin",
     "Risk tiers, the maintenance amount, margin balance and margin ratio: the buffer the exchange keeps."),
    (3, "03_liquidation", "Liquidation",
     "Liquidation and bankruptcy prices, what you lose when a position is liquidated, the insurance fund."),
    (4, "04_cross_vs_isolated", "Cross vs isolated",
     "One shared pot or separate buckets: how each margin mode spreads or contains a loss."),
    (5, "05_copy_trading_trap", "The copy-trading trap",
     "Why following a trader who doubles down, in cross margin or with auto-add margin, can empty your account."),
    (6, "06_choosing_a_mode", "Choosing a mode",
     "A budget per trader, isolated margin, your own leverage: putting the pieces together."),
    (7, "07_beyond_crypto", "Beyond crypto",
     "The same ideas in traditional futures: daily settlement and margin calls instead of instant liquidation."),
    (8, "08_funding", "Funding: the cost of holding",
     "What holding a perpetual costs every 8 hours, who pays whom, and how funding moves a liquidation price."),
)


class MarkdownTable:
    """Rows shown as a Markdown table in JupyterLab and as aligned plain text elsewhere."""

    def __init__(self, rows):
        self.rows = [dict(row) for row in rows]
        self.columns = list(self.rows[0]) if self.rows else []

    def to_frame(self):
        """The rows as a pandas DataFrame."""
        return pd.DataFrame(self.rows, columns=self.columns)

    def _repr_markdown_(self):
        def cell(value):
            return str(value).replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(cell(row[c]) for c in self.columns) + " |" for row in self.rows]
        return "\n".join(lines)

    def __repr__(self):
        lines = [" | ".join(self.columns)] + [" | ".join(str(row[c]) for c in self.columns) for row in self.rows]
        return "\n".join(lines)

    def __len__(self):
        return len(self.rows)


def exercise_file(name):
    """The exercise notebook of an exercise name: ``ex01_initial_margin.ipynb`` for ``01_initial_margin``."""
    return f"ex{name}.ipynb"


def course_map():
    """The lessons 0 to 8, one line each, with links to each lesson and its exercises (paths from notebooks/).

    A lesson links to its exercise notebook when the answer key has one (lessons 1 to 8;
    lesson 0 is the introduction). An exercise notebook is named ``ex`` + the exercise's name:
    ``exercises/ex01_initial_margin.ipynb`` for lesson 1.
    """
    return MarkdownTable(
        {
            "lesson": number,
            "title": title,
            "what you learn": line,
            "notebook": f"[{stem}.ipynb]({stem}.ipynb)",
            "exercises": f"[{exercise_file(stem)}](../exercises/{exercise_file(stem)})" if stem in EXERCISES else "none",
        }
        for number, stem, title, line in COURSE
    )


def example_numbers(size=0.02, price=50_000.0, leverage=10, fallen_to=46_000.0, risen_to=51_000.0):
    """The numbers the vocabulary's examples use: the course's running position, computed.

    That position, 0.02 BTC bought at 50,000 USDT (1,000 USDT of notional) from a 1,000 USDT
    account, follows the examples of the course's two source articles, whose trades put 100 USDT
    of margin from a 1,000 USDT balance into one position.
    """
    spec = contract(SYMBOL)
    table = tier_table(SYMBOL, "binance")
    value = formulas.notional(size, price)
    margin = formulas.initial_margin(size, price, leverage)
    rate, amount, _ = (float(x) for x in table.lookup(value))
    fallen_value = formulas.notional(size, fallen_to)
    upnl = formulas.unrealized_pnl("long", price, size, fallen_to)
    balance = margin + upnl
    mm_fallen = table.maintenance_margin(fallen_value)
    tier3 = table.tiers[2]
    return {
        "size": size, "price": price, "leverage": leverage, "fallen to": fallen_to,
        "contract size": spec.contract_size, "tick": spec.tick_size, "base": spec.base,
        "max leverage": spec.max_leverage,
        "notional": value,
        "initial margin": margin,
        "tier": table.tier_for(value),
        "mmr": rate,
        "maintenance margin": formulas.maintenance_margin(size, price, rate, amount),
        "tier 3": tier3,
        "unrealized PnL": upnl,
        "risen to": risen_to,
        "long PnL": formulas.unrealized_pnl("long", price, size, risen_to),
        "short PnL": formulas.unrealized_pnl("short", price, size, risen_to),
        "margin balance": balance,
        "maintenance margin fallen": mm_fallen,
        "margin ratio": formulas.margin_ratio(mm_fallen, balance),
        "liquidation price": formulas.liquidation_price_for_tiers("long", price, size, margin, table),
        "bankruptcy price": formulas.bankruptcy_price("long", price, size, margin),
        "as of": table.as_of,
    }


def vocabulary():
    """The course's vocabulary: term, meaning, an example computed by the package, and where it is explained."""
    n = example_numbers()
    pos = f"{n['size']} {n['base']} long at {usdt(n['price'], 0)}"
    t1, t3 = n["tier"], n["tier 3"]
    rows = [
        ("long and short", "A long gains when the price rises, a short when it falls: PnL = side x size x "
                           "(exit - entry), with side +1 for a long and -1 for a short.",
         f"{n['size']} {n['base']} from {money(n['price'], 0)} to {money(n['risen to'], 0)}: long "
         f"{usdt(n['long PnL'], sign=True)}, short {usdt(n['short PnL'], sign=True)}", 1),
        ("margin", "Collateral you lock to back a futures position. It stays yours, but losses are paid out of it, "
                   "and a liquidation takes it.", f"{usdt(n['initial margin'])} locked for the {pos} at "
                                          f"{n['leverage']}x", 1),
        ("notional", "The size of the position in USDT: size x price. Also called position value.",
         f"{n['size']} x {money(n['price'], 0)} = {usdt(n['notional'])}", 1),
        ("leverage", "Notional divided by the margin you post. It multiplies your return on margin, in both "
                     "directions.", f"{n['leverage']}x: {usdt(n['notional'], 0)} of exposure for "
                                    f"{usdt(n['initial margin'], 0)} of margin", 1),
        ("initial margin", "The margin needed to open a position: notional / leverage.",
         f"{money(n['notional'], 0)} / {n['leverage']} = {usdt(n['initial margin'])}", 1),
        ("maintenance margin", "The minimum the position's margin balance must stay above; at or below it, the "
                               "exchange liquidates. Notional x MMR - maintenance amount.",
         f"{usdt(n['maintenance margin'])} for the {pos}", 2),
        ("maintenance margin rate (MMR)", "The rate of the position's risk tier used for the maintenance margin.",
         f"{percent(t1.mmr)} in Binance's BTCUSDT tier {t1.tier}", 2),
        ("maintenance amount", "A fixed amount each tier subtracts (Binance's 'cum'; zero in the first tier) so "
                               "the maintenance margin does not jump at a tier edge.",
         f"{usdt(t3.maintenance_amount, 0)} in Binance's BTCUSDT tier {t3.tier}", 2),
        ("risk tier", "A range of notional with its own MMR, maintenance amount and maximum leverage (Binance: "
                      "leverage bracket; Bitget: position tier). Bigger positions, stricter tiers.",
         f"Binance BTCUSDT tier {t1.tier}: up to {usdt(t1.cap, 0)}, {t1.max_leverage:g}x; tier {t3.tier}: "
         f"{money(t3.floor, 0)} to {usdt(t3.cap, 0)}, {t3.max_leverage:g}x (tiers of {n['as of']})", 2),
        ("unrealized PnL", "Profit or loss if the position were closed at the mark price now: side x size x "
                           "(mark - entry).",
         f"{usdt(n['unrealized PnL'])} when BTC falls to {money(n['fallen to'], 0)}", 2),
        ("margin balance", "The margin backing the position plus its unrealized PnL (in cross mode: the cross "
                           "wallet plus all cross positions' unrealized PnL).",
         f"{money(n['initial margin'])} + ({money(n['unrealized PnL'])}) = {usdt(n['margin balance'])}", 2),
        ("margin ratio", "Binance's gauge: maintenance margin / margin balance. Liquidation at 100 %. Other "
                         "exchanges may define their ratio differently; check how yours does.",
         f"{money(n['maintenance margin fallen'])} / {money(n['margin balance'])} = "
         f"{percent(n['margin ratio'], 1)}", 2),
        ("mark price vs last price", "The last price is the latest trade on the exchange. The mark price is the "
                                     "exchange's estimate of a fair price, built mainly from an index of spot prices "
                                     "on several exchanges, so a brief spike in the last price moves it less. "
                                     "Unrealized PnL, margin ratio and liquidation use the mark price.",
         "liquidation is triggered by the mark price, not the last price", 2),
        ("liquidation price", "The mark price at which the margin ratio reaches 100 % and the exchange closes the "
                              "position.", f"{usdt(n['liquidation price'])} for the {pos}, isolated", 3),
        ("bankruptcy price", "The price at which the margin behind the position is used up exactly. It lies beyond "
                             "the liquidation price; a liquidated position's loss is counted down to it.",
         f"{usdt(n['bankruptcy price'])} for the same position", 3),
        ("insurance fund", "The exchange's reserve that covers losses beyond a trader's collateral. Liquidations "
                           "feed it: on Bybit, what a liquidation saves above the bankruptcy price; on Binance, the "
                           "liquidation fee.", "fed by liquidations, pays shortfalls", 3),
        ("isolated margin", "A mode where each position has its own margin; a liquidation takes only that margin.",
         f"liquidation costs at most the {usdt(n['initial margin'], 0)} behind the position (plus fees)", 4),
        ("cross margin", "A mode where positions share the account's balance as margin: more room before "
                         "liquidation, but one position can use up the whole balance.",
         "the whole balance backs every cross position", 4),
        ("auto-add margin", "An isolated-mode option that moves more margin into a position near liquidation, "
                            "again and again while the balance lasts: it removes the isolated loss cap.",
         "keep it off if isolated margin is your loss cap", "4, 5"),
        ("USDT-margined linear perpetual", "A futures contract with no expiry date, whose margin, profit and "
                                           "loss are in USDT; PnL is linear in the price.",
         f"{SYMBOL}: the contract this course trades", 1),
        ("contract size", "How much of the base asset one contract stands for. Not to be confused with the "
                          "quantity step, the smallest change of position size an order may make (Binance, which "
                          "counts BTCUSDT sizes in BTC, lists a step of 0.001 BTC).",
         f"{n['contract size']} {n['base']} per contract for {SYMBOL} in this course (BitradeX's specification, "
         f"as CryptoEdTech's article quotes it); sizes are whole contracts, so they step by "
         f"{n['contract size']} {n['base']}", 1),
        ("tick", "The smallest step of price.", f"{n['tick']} USDT for {SYMBOL}", 1),
        ("funding", "What the holders of a perpetual pay each other at fixed times (every 8 hours on Binance): "
                    "position value at the mark price x the funding rate. A positive rate means longs pay shorts. "
                    "Margin and leverage do not enter, and isolated margin does not cap it.",
         f"{usdt(-funding_payment('long', n['size'], n['price'], 0.0001))} every 8 hours at a rate of 0.01 % "
         f"for the {pos}", 8),
    ]
    return MarkdownTable(
        {"term": term, "meaning": meaning, "example": example, "lesson": lesson}
        for term, meaning, example, lesson in rows
    )


@styled
def demo_dashboard(size=0.02, price=50_000.0):
    """A first widget: two sliders and the notional they make, to see a dashboard react."""
    spec = contract(SYMBOL)
    low, high, top_size = 10_000.0, 150_000.0, 0.1
    controls = {
        "size": size_slider(size, spec.contract_size, top_size, spec.contract_size),
        "price": price_slider("price (USDT)", price, low, high, spec.tick_size),
    }
    prices = np.linspace(low, high, 2)
    figure, ax = new_figure(figsize=(7, 3.4))
    (line,) = ax.plot(prices, prices * size, color=COLORS["equity"], label="notional of your size at each price")
    (dot,) = ax.plot([price], [size * price], "o", color=COLORS["cross"], markersize=8, label="your size and price")
    ax.set_xlim(low, high)
    ax.set_ylim(0, top_size * high * 1.05)
    ax.set_xlabel("price (USDT)")
    ax.set_ylabel("notional (USDT)")
    ax.set_title("Notional = size × price")
    usdt_axis(ax.xaxis)
    usdt_axis(ax.yaxis)
    ax.legend(loc="upper left")

    def update(size, price):
        size = spec.check_size(size)
        value = formulas.notional(size, price)
        line.set_ydata(prices * size)
        dot.set_data([price], [value])
        return {
            "size": f"{size:.4f} {spec.base}",
            "price": usdt(price, 1),
            "notional = size x price": usdt(value),
        }

    return Dashboard("Your first dashboard: move a slider", controls, figure, update, animated=[line, dot],
                     note="The readout and the orange dot follow the sliders once you have run this cell.")


def question():
    """A first check-your-understanding question."""
    size, price = 0.02, 50_000.0
    right = formulas.notional(size, price)
    return Question(
        f"What is the notional of a position of {size} BTC when BTC trades at {usdt(price, 0)}?",
        {
            usdt(right, 0): "Size x price.",
            usdt(price, 0): "That is the price of one whole BTC; the position holds a fraction of one.",
            usdt(price / size, 0): "The notional multiplies size and price; it does not divide them.",
        },
        answer=usdt(right, 0),
    )
