"""Lesson 7, beyond crypto: daily settlement and margin calls on a traditional futures exchange.

The futures side uses :func:`margincourse.engine.settlement.margin_account` with the setup of
Hull's Table 2.1 (long 2 gold futures of 100 troy ounces; initial margin 6,000 and
maintenance margin 4,500 per contract) and the course's own illustrative price series
(simulated, the same on every run); Hull's own prices are not reproduced. The crypto side trades the same
path through :class:`margincourse.Account` as a BTCUSDT long with the same notional,
the same gain per 1 % move and the same margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ...basics.formatting import money, percent, usd, usdt
from ...engine.account import Account
from ...engine.paths import generate_path
from ..plots import COLORS, Picture, new_figure, style, usdt_axis
from ...engine.settlement import daily_settlement, margin_account, settlement_summary
from ..widgets import Dashboard, Question, leverage_slider, price_slider
from .reading import Deeper, Items, Table

# Hull's setup (section 2.4, Table 2.1): 2 contracts of 100 oz, margins per contract.
CONTRACTS = 2
OUNCES = 100
INITIAL = 6_000.0
MAINTENANCE = 4_500.0
# The course's own illustrative series: seeded, about 15 % annualised volatility, no jumps.
ENTRY = 2_000.0
DAYS = 16
SEED = 10
VOLATILITY = 0.15
# The crypto twin: the same path as BTCUSDT, 2,000 USD/oz -> 50,000 USDT (x 25), same notional.
BTC_ENTRY = 50_000.0
SCALE = BTC_ENTRY / ENTRY
BTC_SIZE = CONTRACTS * OUNCES / SCALE  # 8 BTC: gains 200 USDT per 1 USD/oz move, like 2 x 100 oz
INTRADAY = 0.004  # the dashboard's stylised path: each day's low is 0.4 % below its open or close


@lru_cache(maxsize=None)
def _gold_path(days, seed):
    path = generate_path(days, start_price=ENTRY, interval="1D", seed=seed, annual_volatility=VOLATILITY,
                         jumps_per_year=0.0, tick_size=0.1)
    path = path[["open", "high", "low", "close"]].round(1)
    path.index = pd.RangeIndex(1, days + 1, name="day")
    return path


def gold_path(days=DAYS, seed=SEED):
    """The lesson's illustrative daily candles for gold futures, in USD per troy ounce.

    Made by the course's seeded generator (:func:`margincourse.generate_path`, daily
    candles, 15 % annualised volatility, no jumps), starting at 2,000 USD/oz. It is
    *not* Hull's price series. ``close`` is the day's settlement price.
    """
    return _gold_path(days, seed).copy()


def futures_table(path=None, maintenance_ratio=MAINTENANCE / INITIAL):
    """Hull's 2-contract gold position settled daily on ``path`` (the lesson's path by default)."""
    path = gold_path() if path is None else path
    return margin_account(path["close"], entry_price=ENTRY, contracts=CONTRACTS, multiplier=OUNCES,
                          initial_margin=INITIAL, maintenance_margin=INITIAL * maintenance_ratio)


def show(table):
    """A :func:`margin_account` table formatted like Hull's: amounts with separators, blanks for no call."""
    def amounts(column, blank_zero=False):
        values = table[column].to_numpy()
        decimals = 0 if np.allclose(values, np.round(values)) else 2
        return ["" if blank_zero and v == 0 else money(v, decimals) for v in values]

    shown = pd.DataFrame({
        "settlement price (USD/oz)": [money(p, 1) for p in table["settlement price"]],
        "daily gain (USD)": amounts("daily gain"),
        "cumulative gain (USD)": amounts("cumulative gain"),
        "margin account balance (USD)": amounts("margin account balance"),
        "margin call (USD)": amounts("margin call", blank_zero=True),
    }, index=["0 (trade)"] + [str(d) for d in table.index[1:]])
    shown.iloc[0, 1:3] = ""
    shown.index.name = "day"
    return shown


def summary_table(table):
    """The totals of a margin account, as the lesson shows them."""
    s = settlement_summary(table)
    days = ", ".join(str(d) for d in s["call days"]) or "none"
    rows = [
        ("initial margin deposited", usd(s["initial deposit"], 0)),
        ("margin calls", f"{s['margin calls']} (days {days})" if s["margin calls"] else "none"),
        ("total of the margin calls", usd(s["total of margin calls"], 0)),
        ("total deposited", usd(s["total deposited"], 0)),
        ("balance at the end", usd(s["final balance"], 0)),
        ("gain (loss if negative) = cumulative gain", usd(s["cumulative gain"], 0)),
        ("check: balance at the end - total deposited", usd(s["final balance"] - s["total deposited"], 0)),
        (f"check: {CONTRACTS} x {OUNCES} x (last settlement - entry)",
         f"{CONTRACTS} x {OUNCES} x ({money(table['settlement price'].iloc[-1], 1)} - "
         f"{money(table['settlement price'].iloc[0], 1)}) = {usd(s['cumulative gain'], 0)}"),
    ]
    return pd.DataFrame(rows, columns=["", "value"]).set_index("")


@dataclass(frozen=True)
class CryptoTwin:
    """The same path traded as an isolated BTCUSDT long with the same margin, through the Account."""

    size: float
    leverage: float
    margin: float
    liquidation_price: float  # USDT per BTC
    timeline: pd.DataFrame
    events: tuple

    @property
    def liquidation_price_per_ounce(self) -> float:
        """The liquidation price translated back to the gold path (USD per ounce)."""
        return self.liquidation_price / SCALE

    @property
    def liquidation(self):
        return next((e for e in self.events if e.kind == "liquidation"), None)

    @property
    def liquidation_day(self):
        return None if self.liquidation is None else int(self.liquidation.time)

    @property
    def margin_balance(self) -> np.ndarray:
        """Margin plus open PnL at each day's close, day 0 first; 0 once liquidated."""
        return np.concatenate(([self.margin], self.timeline["equity"].to_numpy()))

    @property
    def loss(self) -> float:
        return self.margin - float(self.timeline["equity"].iloc[-1])


def crypto_twin(path=None, margin=INITIAL * CONTRACTS):
    """Trade ``path`` as a USDT-margined BTCUSDT long: 8 BTC at 50,000 USDT, isolated ``margin``.

    Prices are scaled by 25 so that 2,000 USD/oz becomes 50,000 USDT: the position has
    the same notional (400,000) and gains or loses the same 200 per 1 USD/oz move as 2
    contracts of 100 oz. The account holds exactly ``margin`` USDT (treat USDT as
    dollars), all of it in the isolated position, so leverage = notional / margin.
    Liquidation follows Binance's rules and risk tiers, against each day's low.
    """
    path = gold_path() if path is None else path
    leverage = BTC_SIZE * BTC_ENTRY / margin
    account = Account(margin)
    position = account.open("BTCUSDT", "long", BTC_SIZE, BTC_ENTRY, leverage, "isolated", margin=margin)
    lp = account.liquidation_price(position)
    timeline = account.run(path[["open", "high", "low", "close"]] * SCALE)
    events = tuple(timeline.attrs.pop("events"))
    return CryptoTwin(size=BTC_SIZE, leverage=leverage, margin=margin, liquidation_price=lp,
                      timeline=timeline, events=events)


def comparison_table(path=None, maintenance_ratio=MAINTENANCE / INITIAL):
    """Day by day: the futures margin account next to its crypto twin."""
    path = gold_path() if path is None else path
    table = futures_table(path, maintenance_ratio)
    twin = crypto_twin(path)
    balance = twin.margin_balance
    rows = []
    for day in table.index:
        if day == 0:
            crypto = "opened"
        elif twin.liquidation_day == day:
            crypto = f"LIQUIDATED at {money(twin.liquidation.price / SCALE, 1)}"
        elif twin.liquidation_day is not None and day > twin.liquidation_day:
            crypto = "closed"
        else:
            crypto = ""
        call = table.loc[day, "margin call"]
        rows.append({
            "day": "0 (trade)" if day == 0 else str(day),
            "lowest price (USD/oz)": "" if day == 0 else money(path.loc[day, "low"], 1),
            "settlement price (USD/oz)": money(table.loc[day, "settlement price"], 1),
            "futures: balance (USD)": money(table.loc[day, "margin account balance"], 0),
            "futures: margin call (USD)": money(call, 0) if call > 0 else "",
            "crypto: margin balance (USDT)": money(balance[day], 0),
            "crypto: event": crypto,
        })
    return pd.DataFrame(rows).set_index("day")


def worked_call(table, call=2):
    """The ``call``-th margin call of a :func:`margin_account` table, redone by hand (an :class:`Items` list)."""
    day = int(table.index[table["margin call"] > 0][call - 1])
    start = table.loc[day - 1, "margin account balance"] + table.loc[day - 1, "margin call"]
    change = table.loc[day, "settlement price"] - table.loc[day - 1, "settlement price"]
    gain = CONTRACTS * OUNCES * change
    balance = start + gain
    initial, maintenance = table.attrs["initial_margin"], table.attrs["maintenance_margin"]
    return Items([
        (f"day {day}, balance at the start of the day", usd(start, 0)),
        ("settlement price change", f"{money(change, 1, sign=True)} USD per ounce"),
        ("daily gain = contracts x ounces x change",
         f"{CONTRACTS} x {OUNCES} x {money(change, 1, sign=True)} = {usd(gain, 0, sign=True)}"),
        ("balance after settlement", usd(balance, 0)),
        (f"below the maintenance margin of {usd(maintenance, 0)}?", "yes" if balance < maintenance else "no"),
        ("margin call = initial margin - balance",
         f"{money(initial, 0)} - {money(balance, 0)} = {usd(initial - balance, 0)} "
         f"(topping up only to the maintenance margin would be {usd(maintenance - balance, 0)}: not enough)"),
    ])


def comparison_deeper(path=None, maintenance_ratio=MAINTENANCE / INITIAL):
    """:func:`comparison_table` as a collapsed "Going deeper" section (the figure shows the same days)."""
    return Deeper("the two accounts day by day",
                  "Each day's low and settlement price, the futures margin account with its calls, and the crypto "
                  "twin's margin balance (margin plus open profit or loss at the day's close):",
                  Table(comparison_table(path, maintenance_ratio)))


def margin_levels_table(margin=INITIAL * CONTRACTS):
    """The two rule books side by side, with the lesson's numbers (a :class:`Table`: its cells are prose)."""
    notional = CONTRACTS * OUNCES * ENTRY
    leverage = BTC_SIZE * BTC_ENTRY / margin
    account = Account(margin)
    position = account.open("BTCUSDT", "long", BTC_SIZE, BTC_ENTRY, leverage, "isolated", margin=margin)
    mm_entry = account.maintenance_margin(position)
    rows = [
        ("position", f"{CONTRACTS} contracts x {OUNCES} oz at {usd(ENTRY, 0)}/oz",
         f"{BTC_SIZE:g} BTC at {usdt(BTC_ENTRY, 0)}"),
        ("notional", usd(notional, 0), usdt(BTC_SIZE * BTC_ENTRY, 0)),
        ("initial margin", f"{usd(INITIAL * CONTRACTS, 0)} ({percent(INITIAL * CONTRACTS / notional, 1)} of notional)",
         f"{usdt(margin, 0)} ({money(leverage, 1)}x leverage)"),
        ("maintenance margin",
         f"{usd(MAINTENANCE * CONTRACTS, 0)} ({percent(MAINTENANCE * CONTRACTS / notional)} of notional)",
         f"{usdt(mm_entry)} at entry ({percent(mm_entry / notional)} of notional, Binance's tier)"),
        ("the account is checked", "at each settlement (once a day in Hull's model)",
         "all the time, at the mark price"),
        ("balance below maintenance", "margin call: pay back up to the INITIAL margin",
         "liquidation: the exchange closes the position at once"),
        ("a call is not met", "the broker closes out the position", "(there is no call to meet)"),
        ("most you can lose", "no cap: each call you meet puts more money at risk, and a gap before the "
                              "close-out leaves a negative balance that you owe",
         f"the isolated margin, {usdt(margin, 0)} (auto-add off), and the funding it pays while open: "
         "Binance takes that from the rest of the account first, then from the margin (lesson 8)"),
    ]
    return Table(pd.DataFrame(rows, columns=["", "exchange-traded futures", "crypto twin, isolated"]).set_index(""))


# ----------------------------------------------------------------------------- dashboard

def _stylised_arrays(drop, days=DAYS):
    day = np.arange(1, days + 1)
    close = np.round(ENTRY * (1 - drop * np.minimum(day, 10) / 10), 1)
    open_ = np.concatenate(([ENTRY], close[:-1]))
    low = np.round(np.minimum(open_, close) * (1 - INTRADAY), 1)
    high = np.round(np.maximum(open_, close) * (1 + INTRADAY), 1)
    return open_, high, low, close


def stylised_path(drop, days=DAYS):
    """A clearly illustrative path: a steady fall of ``drop`` (0.05 = 5 %) over 10 days, then flat.

    Each day's low is 0.4 % below the lower of its open and close (the high as much above).
    """
    open_, high, low, close = _stylised_arrays(drop, days)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close},
                        index=pd.RangeIndex(1, days + 1, name="day"))


def _futures_columns(closes, maintenance_ratio):
    """The futures margin account on ``closes``, as arrays by column name (quick, for the dashboard)."""
    return daily_settlement(closes, entry_price=ENTRY, contracts=CONTRACTS, multiplier=OUNCES,
                            initial_margin=INITIAL, maintenance_margin=INITIAL * maintenance_ratio)


DROPS = (0.0, 20.0)
RATIOS = (50, 100)


def _balance_limits():
    """Y-limits for the balance panel wide enough for every slider position (found once, at build time)."""
    low, high = 0.0, INITIAL * CONTRACTS  # the crypto twin's balance ends at 0 once liquidated
    for drop in (DROPS[0], DROPS[1] / 2, DROPS[1]):  # the path only falls: the largest drop goes lowest
        closes = _stylised_arrays(drop / 100)[3]
        for ratio in range(RATIOS[0], RATIOS[1] + 1, 5):
            account = _futures_columns(closes, ratio / 100)
            balances, calls = account["margin account balance"], account["margin call"]
            low, high = min(low, balances.min()), max(high, (balances + calls).max())
    return low - 1_000, high + 1_000


def _readout(account, ratio, twin):
    balances, calls = account["margin account balance"], account["margin call"]
    cumulative = account["cumulative gain"]
    call_days = [int(d) for d in np.nonzero(calls > 0)[0]]
    deposited = INITIAL * CONTRACTS + calls.sum()
    final = balances[-1] + calls[-1]
    if twin.liquidation is None:
        crypto = "not liquidated"
    else:
        crypto = (f"liquidated on day {twin.liquidation_day} at {usd(twin.liquidation.price / SCALE, 1)}/oz "
                  f"(BTCUSDT {money(twin.liquidation.price, 1)})")
    return {
        "futures: maintenance margin": f"{usd(INITIAL * CONTRACTS * ratio, 0)} ({percent(ratio, 0)} of the initial)",
        "futures: margin calls": (f"{len(call_days)}, on day{'s' if len(call_days) > 1 else ''} "
                                  f"{', '.join(map(str, call_days))}") if call_days else "none",
        "futures: total deposited": usd(deposited, 0),
        "futures: balance at the end": usd(final, 0),
        "futures: gain (loss if negative)": usd(cumulative[-1], 0),
        "crypto twin (isolated, same margin)": crypto,
        "crypto twin: gain (loss if negative)": usdt(-twin.loss, 0),
    }


def _sawtooth(balances, calls):
    """The balance as a line that jumps back up on each call day (the top-up), for plotting."""
    x, y = [], []
    for day, (balance, call) in enumerate(zip(balances, calls)):
        x.append(day)
        y.append(balance)
        if call > 0:
            x.append(day)
            y.append(balance + call)
    return x, y


def _comparison_figure(price_limits, balance_limits, title, price_legend="lower left"):
    """Two panels: the price path above, the futures margin account and the crypto twin below."""
    days = np.arange(DAYS + 1)
    lp_per_ounce = crypto_twin(stylised_path(0.0)).liquidation_price_per_ounce
    figure, (price_ax, money_ax) = new_figure(2, 1, figsize=(8, 6.0), sharex=True)
    with style():
        (settle_line,) = price_ax.plot(days, days * 0.0, "o-", color=COLORS["price"], markersize=3,
                                       label="settlement price")
        (low_line,) = price_ax.plot(days[1:], days[1:] * 0.0, color=COLORS["price"], linewidth=0.8, alpha=0.5,
                                    label="day's low")
        price_ax.axhline(ENTRY, color=COLORS["entry"], linestyle="--", linewidth=1, label="entry")
        price_ax.axhline(lp_per_ounce, color=COLORS["liquidation"], linewidth=1.2,
                         label="crypto twin's liquidation price")
        (liq_mark,) = price_ax.plot([], [], "X", color=COLORS["liquidation"], markersize=10,
                                    label="crypto twin liquidated")
        price_ax.set_ylim(*price_limits)
        price_ax.set_xlim(0, DAYS)
        price_ax.set_ylabel("price (USD per ounce)")
        usdt_axis(price_ax.yaxis)
        price_ax.set_title(title)
        price_ax.legend(loc=price_legend, ncols=2, fontsize=10)
        (balance_line,) = money_ax.plot(days, days * 0.0, "-", color=COLORS["wallet"],
                                        label="futures: margin account balance")
        (call_marks,) = money_ax.plot([], [], "v", color=COLORS["cross"], markersize=8,
                                      label="margin call (then topped up)")
        (crypto_line,) = money_ax.plot(days, days * 0.0, color=COLORS["liquidation"], linewidth=1.2,
                                       label="crypto twin: margin balance")
        money_ax.axhline(INITIAL * CONTRACTS, color=COLORS["entry"], linestyle="--", linewidth=1,
                         label="initial margin")
        maintenance_line = money_ax.axhline(np.nan, color=COLORS["bankruptcy"], linestyle=":", linewidth=1.4,
                                            label="maintenance margin")
        money_ax.set_ylim(*balance_limits)
        money_ax.set_ylabel("USD (USDT for the twin)")
        money_ax.set_xlabel("trading day")
        usdt_axis(money_ax.yaxis)
        money_ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, fontsize=10)
    artists = dict(settle=settle_line, low=low_line, liq=liq_mark, balance=balance_line, calls=call_marks,
                   crypto=crypto_line, maintenance=maintenance_line)

    def draw(path, ratio):
        account = _futures_columns(path["close"].to_numpy(), ratio)
        twin = crypto_twin(path)
        settle_line.set_ydata(np.concatenate(([ENTRY], path["close"].to_numpy())))
        low_line.set_ydata(path["low"].to_numpy())
        event = twin.liquidation
        liq_mark.set_data(([event.time], [event.price / SCALE]) if event else ([], []))
        balances, calls = account["margin account balance"], account["margin call"]
        balance_line.set_data(*_sawtooth(balances, calls))
        call_days = np.nonzero(calls > 0)[0]
        call_marks.set_data(call_days, balances[call_days])
        crypto_line.set_ydata(twin.margin_balance)
        maintenance_line.set_ydata([INITIAL * CONTRACTS * ratio] * 2)
        return account, twin

    return figure, artists, draw


def comparison_figure(path=None, maintenance_ratio=MAINTENANCE / INITIAL):
    """The lesson's seeded path: the futures margin account and its crypto twin, as one :class:`Picture`."""
    path = gold_path() if path is None else path
    table = futures_table(path, maintenance_ratio)
    top = float((table["margin account balance"] + table["margin call"]).max())
    bottom = min(0.0, float(table["margin account balance"].min()))
    prices = np.concatenate((path["low"].to_numpy(), path["high"].to_numpy(), [ENTRY]))
    spread = prices.max() - prices.min()
    figure, _, draw = _comparison_figure(  # room above the prices for the legend
        (prices.min() - 0.05 * spread, prices.max() + 0.6 * spread), (bottom - 1_000, top + 1_000),
        "Daily settlement versus automatic liquidation, on the lesson's path", price_legend="upper right",
    )
    _, twin = draw(path, maintenance_ratio)
    ending = "not liquidated" if twin.liquidation is None else f"liquidated on day {twin.liquidation_day}"
    return Picture(figure, "Figure: the lesson's gold path with its settlement prices and lows (top); the futures "
                           f"margin account balance with its margin calls, and the crypto twin's margin balance, "
                           f"{ending} (bottom)")


def dashboard(drop=5.0, maintenance_percent=75):
    """Move the size of the price drop and the maintenance margin (as % of the initial margin)."""
    controls = {
        "drop": price_slider("price drop over 10 days (%)", drop, DROPS[0], DROPS[1], 0.5),
        "maintenance_percent": leverage_slider(maintenance_percent, RATIOS[1], RATIOS[0],
                                               description="maintenance margin (% of initial)"),
    }
    price_limits = (ENTRY * (1 - DROPS[1] / 100) * (1 - INTRADAY) - 20, ENTRY * (1 + 2 * INTRADAY) + 20)
    figure, artists, draw = _comparison_figure(price_limits, _balance_limits(),
                                               "The same fall: daily settlement versus automatic liquidation")

    def update(drop, maintenance_percent):
        ratio = maintenance_percent / 100
        account, twin = draw(stylised_path(drop / 100), ratio)
        return _readout(account, ratio, twin)

    return Dashboard(
        "Daily settlement or automatic liquidation?", controls, figure, update,
        animated=list(artists.values()),
        note="Long 2 gold futures (100 oz each, initial margin 6,000 per contract) and its crypto twin "
             "(8 BTC isolated, 12,000 USDT). The price falls steadily for 10 days, then stays flat.",
    )


# ----------------------------------------------------------------------------- questions

def questions():
    """Check-your-understanding questions for lesson 7."""
    table = futures_table()
    call_day = int(table.index[table["margin call"] > 0][0])
    balance = float(table.loc[call_day, "margin account balance"])
    call = INITIAL * CONTRACTS - balance
    to_maintenance = MAINTENANCE * CONTRACTS - balance
    step = 10.0
    gain = -CONTRACTS * OUNCES * step
    return [
        Question(
            f"On day {call_day} the margin account balance is {usd(balance, 0)}. The initial margin is "
            f"{money(INITIAL * CONTRACTS, 0)} and the maintenance margin {money(MAINTENANCE * CONTRACTS, 0)}. "
            "How large is the margin call?",
            {
                usd(to_maintenance, 0): "That only brings the balance back to the maintenance margin. "
                                              "A call restores the INITIAL margin.",
                usd(call, 0): "The balance must go back up to the initial margin: initial minus balance.",
                "No call: the broker closes the position at once.":
                    "The broker closes out only if the call is not met. First comes the call.",
            },
            answer=usd(call, 0),
        ),
        Question(
            f"Long 2 gold futures of 100 oz each. Today's settlement price is {usd(step, 0)} per ounce below "
            "yesterday's. What is today's daily gain?",
            {
                usd(gain / OUNCES, 0): "That counts one ounce per contract. Each contract is 100 oz.",
                usd(gain, 0): "contracts x ounces x price change = 2 x 100 x (-10).",
                usd(-gain, 0): "A long loses when the price falls.",
            },
            answer=usd(gain, 0),
        ),
        Question(
            "A futures trader does not pay a margin call. What happens?",
            {
                "The exchange liquidates the position automatically the moment the balance touches the "
                "maintenance margin.": "That is how crypto exchanges work. On a futures exchange a call comes "
                                       "first, and the broker acts only if it is not met.",
                "Nothing: the balance can stay below the maintenance margin.":
                    "A call must be met. Otherwise the position is closed.",
                "The broker closes out the position.":
                    "Hull 2.4: if the variation margin is not provided, the broker closes out the position.",
            },
            answer="The broker closes out the position.",
        ),
        Question(
            "Which of the two traders in this lesson can lose more than the margin they first put up?",
            {
                "The futures trader: each margin call met is more money at risk, with no cap.":
                    "The initial margin is not a limit on losses; it is a deposit that must be kept topped up.",
                "The crypto trader with isolated margin.":
                    "Isolated margin (auto-add off) caps the loss at the margin; a gap beyond it is covered by "
                    "the exchange's insurance fund.",
                "Neither: both lose at most their initial margin.":
                    "The futures trader keeps paying calls as long as the price falls.",
            },
            answer="The futures trader: each margin call met is more money at risk, with no cap.",
        ),
        Question(
            "How often is the account marked to market?",
            {
                "Only crypto accounts are marked to market.":
                    "Marking to market is the heart of daily settlement on futures exchanges.",
                "Futures once a day at the settlement price; crypto all the time at the mark price.":
                    "Daily settlement versus continuous marking: the main difference of the two rule books.",
                "Both once a day, at midnight UTC.":
                    "Crypto exchanges check the margin against the mark price continuously.",
            },
            answer="Futures once a day at the settlement price; crypto all the time at the mark price.",
        ),
    ]
