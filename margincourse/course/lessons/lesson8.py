"""Lesson 8, funding: what holding a perpetual costs, and how it moves a liquidation price.

The lesson's trade is lesson 4's: a 1,000 USDT account puts 100 USDT of margin on a
BTCUSDT long at 50,000 USDT (0.1 BTC at 50x). The mark price then stays at 50,000, so
that funding is the only thing that moves; every 8 hours the long pays (or receives)
position value x rate [BINANCE-FUNDING, BYBIT-FUNDING] (:func:`margincourse.funding_payment`).

Where a charge is taken from follows Binance's and Bybit's rule as the engine ships it
(:func:`margincourse.funding_rule`): the available balance first, then the position's
margin. In cross mode both are the cross wallet; in isolated mode the rest of the wallet
pays first and the bucket after it. The dashboard's curves (:func:`funding_path`) are
those rules written out with the engine's formulas, all at once for every funding time;
``tests/course/test_lesson8.py`` checks them against :class:`margincourse.Account`
settling one funding time after another (:func:`account_after`), which the lesson's
tables use.

Sources
-------
[BINANCE-FUNDING] Binance FAQ, "Introduction to Binance Futures Funding Rates",
    https://www.binance.com/en/support/faq/360033525031 (the funding amount, the schedule,
    the interest rate of 0.01 % per interval, the premium and the clamp, caps and floors,
    where a charge is taken from).
[BYBIT-FUNDING] Bybit Help Center, "Funding Fee Calculation" (2024-12-19),
    https://www.bybit.com/ro-RO/help-center/article/Funding-fee-calculationDerivatives_Trading_Mechanism_UTA
    (funding anchors the contract's price to spot; positive rate: longs pay shorts; the
    available balance first, then the position margin, "the liquidation price of the
    position will be more prone to the mark price").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import ipywidgets as w

from ...basics.formatting import money, number, percent, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine.funding import cap_funding_rate, funding_payment, funding_rule, funding_times
from ...engine.specs import tier_table
from ..plots import COLORS, new_figure, styled, usdt_axis
from ..widgets import Dashboard, Question, choice, leverage_slider
from .reading import Deeper, Table

SYMBOL = "BTCUSDT"
ENTRY = 50_000.0
WALLET = 1_000.0
MARGIN = 100.0
DAYS = 365
MODES = ("isolated", "cross")
DEFAULT_INTEREST = 0.0001   # Binance: 0.01 % per funding interval (0.03 % a day) [BINANCE-FUNDING]
PREMIUM_BAND = 0.0005       # Binance: clamp(interest - premium, 0.05 %, -0.05 %) [BINANCE-FUNDING]
STORY_RATE = 0.0003         # the lesson's story: a long stretch at three times the default rate


def trade_size(leverage):
    """The lesson's trade: 100 USDT of margin at ``leverage`` on BTC at 50,000 (0.1 BTC at 50x)."""
    return MARGIN * leverage / ENTRY


def payments_per_day(exchange="binance"):
    """Funding times in a day on the exchange's default schedule: 24 hours / the interval (3 on Binance)."""
    return 24 / funding_rule(exchange).interval_hours


def payments_per_year(exchange="binance", year=2025):
    """How many funding times a 365-day year holds, counted on the exchange's schedule (1,095 on Binance)."""
    return len(funding_times(f"{year}-01-01", f"{year + 1}-01-01", exchange))


def rate_text(rate):
    """A funding rate per interval as the exchanges show it: ``0.0100 %``."""
    return percent(rate, 4, sign=rate < 0)


# ----------------------------------------------------------------- the model: every funding time at once


def funding_path(mode, leverage, rate, days=DAYS):
    """The lesson's trade through ``days`` of funding at ``rate`` per 8 hours, the mark fixed at 50,000.

    One row per funding time ``k = 0 .. 3 x days`` (``k = 0``: just opened). Funding paid
    so far is ``k x`` the payment (position value x rate). Binance and Bybit take a charge
    from the available balance first, then from the position's margin [BINANCE-FUNDING,
    BYBIT-FUNDING]: in cross mode both are the cross wallet; in isolated mode the 900
    USDT outside the bucket pay first, then the bucket. A receipt goes to the wallet.
    The position is liquidated at the first funding time that leaves the collateral behind
    it at or below its maintenance margin (then it is gone with that collateral).

    Returns a dict of arrays: ``day``, ``paid`` (funding paid so far, negative when
    received), ``wallet``, ``free`` (balance outside the position's collateral; 0 in cross),
    ``backing`` (the bucket, or the cross wallet), ``maintenance`` and ``liquidation_price``
    (both NaN once liquidated) and ``open``; and ``liquidated_at``, the funding time ``k`` that
    liquidated it (None within ``days``).
    """
    size = trade_size(leverage)
    tiers = tier_table(SYMBOL)
    payment = -funding_payment("long", size, ENTRY, rate)   # what the long pays at each funding time
    k = np.arange(int(round(days * payments_per_day())) + 1)
    paid = k * payment
    maintenance = float(tiers.maintenance_margin(size * ENTRY))
    if mode == "cross":
        free = np.zeros_like(paid)
        backing = WALLET - paid
    else:
        outside = WALLET - MARGIN
        free = np.where(paid <= outside, outside - paid, 0.0)
        backing = MARGIN - np.maximum(paid - outside, 0.0)
    breached = backing <= maintenance
    liquidated_at = int(np.argmax(breached)) if breached.any() else None
    is_open = k < (liquidated_at if liquidated_at is not None else k.size)
    lp = formulas.liquidation_price_for_tiers("long", ENTRY, size, np.maximum(backing, 1e-12), tiers)
    last = k.size - 1 if liquidated_at is None else liquidated_at
    return {
        "day": k / payments_per_day(),
        "paid": np.minimum(k, last) * payment,
        "wallet": np.where(is_open, free + backing, free),
        "free": free,
        "backing": np.where(is_open, backing, np.nan),
        "maintenance": np.where(is_open, maintenance, np.nan),
        "liquidation_price": np.where(is_open, lp, np.nan),
        "open": is_open,
        "liquidated_at": liquidated_at,
    }


def funding_times_to_liquidation(leverage, rate):
    """How many funding times at ``rate`` liquidate the trade with the mark unchanged (None if never).

    Either mode: the position goes when the funding paid reaches the wallet minus the
    maintenance margin (in isolated mode the 900 USDT outside the bucket go first, then
    the bucket down to maintenance): ``ceil((1,000 - MM) / payment)``.
    """
    size = trade_size(leverage)
    payment = -funding_payment("long", size, ENTRY, rate)
    if payment <= 0:
        return None
    room = WALLET - float(tier_table(SYMBOL).maintenance_margin(size * ENTRY))
    return max(1, math.ceil(room / payment - 1e-9))


def account_after(mode, leverage, rate, days, *, exchange="binance"):
    """The engine's account after ``days`` of funding: ``(account, position, funding events)``.

    :class:`margincourse.Account` settles one funding time after another
    (:meth:`~margincourse.Account.apply_funding`) and looks at the unchanged mark after each
    (:meth:`~margincourse.Account.mark`), which liquidates a position that funding has left
    at or below its maintenance margin.
    """
    account = Account(WALLET, exchange=exchange)
    position = account.open(SYMBOL, "long", trade_size(leverage), ENTRY, leverage, mode)
    events = []
    for _ in range(int(round(days * payments_per_day()))):
        if not position.is_open:
            break
        events += account.apply_funding({SYMBOL: rate})
        account.mark({SYMBOL: ENTRY})
    return account, position, events


# ----------------------------------------------------------------- tables


def sign_table(rates=(DEFAULT_INTEREST, -DEFAULT_INTEREST), leverage=50):
    """Who pays whom: the lesson's 0.1 BTC long and an equal short, at a positive and a negative rate."""
    size = trade_size(leverage)
    rows = []
    for rate in rates:
        row = {"funding rate (per 8 h)": rate_text(rate)}
        for side in ("long", "short"):
            flow = funding_payment(side, size, ENTRY, rate)
            row[f"{number(size)} BTC {side}"] = f"{'pays' if flow < 0 else 'receives'} {usdt(abs(flow))}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("funding rate (per 8 h)")


def leverage_table(rate=DEFAULT_INTEREST, size=0.1, leverages=(5, 10, 50)):
    """The same position at several leverages: the same funding in USDT, a different share of the margin."""
    rows = []
    for leverage in leverages:
        margin = formulas.initial_margin(size, ENTRY, leverage)
        paid = -funding_payment("long", size, ENTRY, rate)
        rows.append({
            "leverage": f"{leverage}x",
            "position value": usdt(size * ENTRY, 0),
            "margin": usdt(margin),
            "funding per 8 h": usdt(paid),
            "as a share of the margin": percent(paid / margin, 3),
        })
    return pd.DataFrame(rows).set_index("leverage")


def year_table(rates=(DEFAULT_INTEREST, STORY_RATE, 0.001), leverages=(1, 10, 50)):
    """What holding a long for a year costs at a steady rate: of the position's value, and of its margin.

    A year of funding = payments per year (1,095 on Binance's 8-hour schedule) x rate x
    position value; as a share of the margin that is multiplied by the leverage, because the
    margin is position value / leverage.
    """
    per_year = payments_per_year()
    rows = []
    for rate in rates:
        year = per_year * rate
        row = {
            "rate per 8 h": rate_text(rate),
            "per day": percent(payments_per_day() * rate, 2),
            f"per year ({number(per_year)} payments), of position value": percent(year, 2),
        }
        for leverage in leverages:
            row[f"of the margin at {leverage}x"] = percent(year * leverage, 1)
        rows.append(row)
    return Table(pd.DataFrame(rows).set_index("rate per 8 h"))


def holding_table(rate=STORY_RATE, leverage=50, days=(0, 60, 120, 180, 210)):
    """The engine's account after some days at ``rate``, in both modes: where the funding came from."""
    rows = []
    for day in days:
        row = {"days held": str(day)}
        for mode in MODES:
            account, position, _ = account_after(mode, leverage, rate, day)
            if position.is_open:
                backing = position.margin if mode == "isolated" else account.cross_wallet_balance
                lp = money(account.liquidation_price(position), 1)
            else:
                backing, lp = 0.0, "liquidated"
            row[(mode, "wallet")] = money(account.wallet_balance)
            row[(mode, "bucket" if mode == "isolated" else "cross wallet")] = money(backing)
            row[(mode, "liq. price")] = lp
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("days held")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def worked_example(leverage=50, rate=STORY_RATE):
    """By hand: how long funding alone takes to liquidate the trade, checked against the engine's account."""
    size = trade_size(leverage)
    value = size * ENTRY
    payment = -funding_payment("long", size, ENTRY, rate)
    mm = float(tier_table(SYMBOL).maintenance_margin(value))
    times = funding_times_to_liquidation(leverage, rate)
    account, position, events = account_after("cross", leverage, rate, times / payments_per_day() + 1)
    lines = [
        f"position value = {number(size)} BTC x {money(ENTRY, 0)} = {usdt(value)}",
        f"funding per 8 h = {usdt(value)} x {rate_text(rate)} = {usdt(payment)} "
        f"({usdt(payment * payments_per_day())} a day, 3 funding times)",
        f"maintenance margin = {usdt(value)} x {percent(tier_table(SYMBOL).tier_for(value).mmr, 1)} = {usdt(mm)}",
        f"funding can take {money(WALLET)} - {money(mm)} = {usdt(WALLET - mm)} before the wallet reaches it",
        f"{money(WALLET - mm)} / {money(payment)} = {number((WALLET - mm) / payment, 2)}"
        f" -> liquidated at funding time {number(times)}, day {number(times / payments_per_day(), 1)}",
        f"the engine's account: {'liquidated' if not position.is_open else 'still open'} after "
        f"{number(len(events))} funding times, wallet {usdt(account.wallet_balance)}",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------- going deeper


def rate_from_premium(premium, interest=DEFAULT_INTEREST, band=PREMIUM_BAND):
    """Binance's funding rate from its two parts: ``F = P + clamp(I - P, -0.05 %, 0.05 %)`` [BINANCE-FUNDING].

    ``P`` is the average premium index of the interval (how far the contract trades above
    the index), ``I`` the interest rate (0.01 % per interval on Binance). While the premium
    stays within 0.05 % of the interest rate the rate is the interest rate itself.

    >>> [round(rate_from_premium(p) * 100, 4) for p in (0.0, 0.0003, 0.002, -0.001)]
    [0.01, 0.01, 0.15, -0.05]
    """
    return premium + float(np.clip(interest - premium, -band, band))


def premium_table(premiums=(-0.001, 0.0, 0.0003, 0.002)):
    """The rate Binance's formula gives for a few premiums, with the interest rate at 0.01 %."""
    rows = [{"average premium index P": rate_text(p), "clamp(I - P, -0.05 %, 0.05 %)":
             rate_text(float(np.clip(DEFAULT_INTEREST - p, -PREMIUM_BAND, PREMIUM_BAND))),
             "funding rate F": rate_text(rate_from_premium(p))} for p in premiums]
    return Table(pd.DataFrame(rows).set_index("average premium index P"))


def caps_table(rate=0.005, symbols=("BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT")):
    """Binance's cap and floor per symbol, and what a computed rate of ``rate`` is settled at."""
    rule = funding_rule("binance")
    rows = [{"symbol": s, "cap": rate_text(rule.cap(s)), "floor": rate_text(-rule.cap(s)),
             f"a computed {rate_text(rate)} settles at": rate_text(cap_funding_rate(rate, s)),
             f"a computed {rate_text(-rate)} settles at": rate_text(cap_funding_rate(-rate, s))} for s in symbols]
    return Table(pd.DataFrame(rows).set_index("symbol"))


def deeper():
    """The collapsed sections: where the rate comes from, and how far it may go."""
    at_cap = -funding_payment("long", trade_size(50), ENTRY, funding_rule("binance").cap(SYMBOL))
    return [
        Deeper(
            "where the rate comes from: interest and premium",
            "Binance's *Introduction to Binance Futures Funding Rates* builds the rate from two parts: an "
            f"**interest rate** I, fixed at {rate_text(DEFAULT_INTEREST)} per interval "
            f"({rate_text(DEFAULT_INTEREST * payments_per_day())} a day), and a **premium index** P that measures "
            "how far the contract trades from the index price, averaged over the interval:",
            "> F = P + clamp(I − P, 0.05 %, −0.05 %)",
            "When the contract trades close to the index, the clamp gives back I − P and the rate is the interest "
            "rate. A contract far above the index (many buyers) gives a large positive rate: longs pay, which "
            "pulls the price back. Computed by `lesson8.rate_from_premium`:",
            premium_table(),
        ),
        Deeper(
            "caps and floors",
            "The same page clamps the rate once more, between a floor and a cap: for the largest contracts "
            "0.75 × their maintenance margin rate, for the others ±2 %. The caps the package ships, applied by "
            "`mc.cap_funding_rate`:",
            caps_table(),
            "A cap limits one payment, not the total: at the BTCUSDT cap a 50x long pays its whole 100 USDT "
            f"margin in funding in {number(math.ceil(MARGIN / at_cap))} funding times. Bybit's page adds that "
            "\"every trading symbol will have its own funding time interval and funding rate limit\": look at "
            "the contract's page before you hold a position for long.",
        ),
    ]


# ----------------------------------------------------------------- dashboard

RATE_LOW, RATE_HIGH = -0.1, 0.3   # the rate slider, in % per 8 h (0.3 %: Binance's BTCUSDT cap)


def rate_slider(value):
    """The funding rate per 8 hours, in percent (0.01 = 0.01 %)."""
    return w.FloatSlider(value=value, min=RATE_LOW, max=RATE_HIGH, step=0.005, readout_format=".3f",
                         description="funding rate per 8 h (%)", style={"description_width": "initial"},
                         layout=w.Layout(width="420px"))


def days_slider(value):
    """Days the position has been held."""
    return w.IntSlider(value=value, min=0, max=DAYS, step=1, description="days held",
                       style={"description_width": "initial"}, layout=w.Layout(width="420px"))


PRICE_LIMITS = (0.0, 56_000.0)     # fixed axes: a slider only moves lines, never redraws the frame
MONEY_LIMITS = (-40.0, 1_150.0)    # (a negative rate's receipts run off the top: the readout has them)


def _liquidation_text(path):
    k = path["liquidated_at"]
    if k is None:
        return None
    return f"funding time {number(k)}, day {number(path['day'][k], 1)}"


def _state(mode, leverage, rate_percent, days):
    """The numbers the readout shows, from :func:`funding_path` (``days`` cut to the path)."""
    rate = rate_percent / 100
    path = funding_path(mode, leverage, rate)
    k = min(int(round(days * payments_per_day())), path["day"].size - 1)
    return path, k, rate


def _readout(mode, leverage, rate, path, k):
    size = trade_size(leverage)
    payment = -funding_payment("long", size, ENTRY, rate)
    paid = path["paid"][k]
    is_open = bool(path["open"][k])
    lp = path["liquidation_price"][k]
    times = funding_times_to_liquidation(leverage, rate)
    when = _liquidation_text(path)
    if when is None:
        when = ("never: it receives funding" if times is None
                else f"later, at funding time {number(times)} (day {number(times / payments_per_day(), 1)})")
    backing_label = "bucket" if mode == "isolated" else "cross wallet"
    return {
        "trade": f"{number(size)} BTC long at 50,000: position value {usdt(size * ENTRY)}, "
                 f"margin {usdt(MARGIN)} ({int(leverage)}x), {mode}",
        "funding per 8 h": f"{'pays' if payment >= 0 else 'receives'} {usdt(abs(payment))} "
                           f"({rate_text(rate)} of position value)",
        "after": f"{number(path['day'][k], 1)} days, {number(k)} funding times",
        "funding paid so far": usdt(paid, sign=paid < 0),
        "wallet balance": usdt(path["wallet"][k]),
        "outside the position (free)": usdt(path["free"][k]) if mode == "isolated" else "(cross: all one wallet)",
        f"behind the position ({backing_label})": usdt(path["backing"][k]) if is_open else "gone",
        "maintenance margin": usdt(path["maintenance"][k]) if is_open else "gone",
        "liquidation price": (f"{money(lp, 1)} (entry: {money(path['liquidation_price'][0], 1)})"
                              if is_open and lp > 0 else ("0 or below" if is_open else "liquidated by funding")),
        "funding alone liquidates it at": when,
    }


@styled
def dashboard(days=180, rate_percent=0.03, leverage=50, mode="isolated"):
    """Days held, rate, leverage, mode: the liquidation price and the money behind the position, day by day.

    The mark stays at 50,000: only funding moves. The chosen mode is drawn bold; the
    other mode's liquidation price is drawn thin, for comparison.
    """
    controls = {
        "days": days_slider(days),
        "rate_percent": rate_slider(rate_percent),
        "leverage": leverage_slider(leverage, int(tier_table(SYMBOL).tiers[0].max_leverage)),
        "mode": choice("margin mode", list(MODES), mode),
    }
    figure, (price_ax, money_ax) = new_figure(2, 1, figsize=(8.4, 5.8), sharex=True)
    price_ax.axhline(ENTRY, color=COLORS["price"], linewidth=1.2, label="BTC mark price (held at 50,000)")
    (lp_line,) = price_ax.plot([], [], color=COLORS["liquidation"], linewidth=2.4, label="liquidation price")
    (other_line,) = price_ax.plot([], [], color="#7f7f7f", linewidth=1.2, linestyle="--", label="other mode")
    (lp_dot,) = price_ax.plot([np.nan], [np.nan], "o", color=COLORS["liquidation"], markersize=8, zorder=5)
    lines = {
        "wallet": money_ax.plot([], [], color=COLORS["wallet"], linewidth=1.6, linestyle="--",
                                label="wallet balance")[0],
        "backing": money_ax.plot([], [], color="#9467bd", linewidth=2.4, label="behind the position")[0],
        "maintenance": money_ax.plot([], [], color=COLORS["liquidation"], linewidth=1.0,
                                     label="maintenance margin")[0],
        "paid": money_ax.plot([], [], color=COLORS["cross"], linewidth=1.4, linestyle=":",
                              label="funding paid so far")[0],
    }
    held = [ax.axvline(np.nan, color=COLORS["entry"], linewidth=1, alpha=0.8) for ax in (price_ax, money_ax)]
    gone = [ax.axvline(np.nan, color=COLORS["liquidation"], linewidth=1.2, linestyle=(0, (2, 2))) for ax in
            (price_ax, money_ax)]
    price_ax.set_ylabel("price (USDT)")
    price_ax.set_title("Funding moves the liquidation price towards the mark")
    money_ax.set_ylabel("USDT")
    money_ax.set_xlabel("days held")
    money_ax.set_xlim(0, DAYS)
    for ax in (price_ax, money_ax):
        usdt_axis(ax.yaxis)
    price_ax.set_ylim(*PRICE_LIMITS)
    money_ax.set_ylim(*MONEY_LIMITS)
    handles, labels = [], []
    for ax in (price_ax, money_ax):
        h, l = ax.get_legend_handles_labels()
        handles, labels = handles + h, labels + l
    handles.append(gone[0])
    labels.append("funding liquidates it")
    figure.legend(handles, labels, loc="outside lower center", ncol=4)
    animated = [lp_line, other_line, lp_dot, *lines.values(), *held, *gone]

    def update(days, rate_percent, leverage, mode):
        path, k, rate = _state(mode, leverage, rate_percent, days)
        other, _, _ = _state(MODES[1 - MODES.index(mode)], leverage, rate_percent, days)
        lp_line.set_data(path["day"], path["liquidation_price"])
        other_line.set_data(other["day"], other["liquidation_price"])
        lp_dot.set_data([path["day"][k]], [path["liquidation_price"][k]])
        for name, line in lines.items():
            line.set_data(path["day"], path[name])
        end = path["liquidated_at"]
        for line in held:
            line.set_xdata([path["day"][k]] * 2)
        for line in gone:
            line.set_xdata([path["day"][end] if end is not None else np.nan] * 2)
        return _readout(mode, leverage, rate, path, k)

    return Dashboard(
        "Funding: what holding costs", controls, figure, update, animated=animated,
        note="1,000 USDT account, 100 USDT of margin, BTC held at 50,000; funding every 8 hours, taken as "
             "Binance does (free balance first, then the position's margin).",
    )


# ----------------------------------------------------------------- questions


def questions():
    """Check-your-understanding questions for lesson 8."""
    size = trade_size(50)
    short_flow = funding_payment("short", size, ENTRY, -DEFAULT_INTEREST)
    year_10x = payments_per_year() * DEFAULT_INTEREST * 10
    year_value = payments_per_year() * DEFAULT_INTEREST
    return [
        Question(
            f"You hold a short of {number(size)} BTC (position value {usdt(size * ENTRY, 0)}). The funding rate "
            f"is {rate_text(-DEFAULT_INTEREST)}. What happens at the next funding time?",
            {
                f"You pay {usdt(abs(short_flow))}.":
                    "A negative rate means shorts pay longs: position value x rate.",
                f"You receive {usdt(abs(short_flow))}.":
                    "That holds for a positive rate, when longs pay shorts. A negative rate turns it round.",
                "Nothing: funding is only charged to longs.":
                    "Both sides take part: longs and shorts pay each other, and the sign of the rate says who pays.",
            },
            answer=f"You pay {usdt(abs(short_flow))}.",
        ),
        Question(
            "Two traders hold the same 0.1 BTC long at 50,000, one at 10x, one at 50x. At a rate of 0.01 %, who "
            "pays more funding in USDT?",
            {
                "Both pay the same: funding is position value x rate, whatever the margin.":
                    f"{usdt(-funding_payment('long', 0.1, ENTRY, DEFAULT_INTEREST))} each. At 50x it is five "
                    "times more of the margin, though.",
                "The 50x trader: funding is charged on the margin, times the leverage.":
                    "Leverage does not enter the payment. It is the share of the margin that grows with leverage.",
                "The 10x trader: more margin means more funding.":
                    "Funding is not charged on the margin at all, but on the position's value at the mark price.",
            },
            answer="Both pay the same: funding is position value x rate, whatever the margin.",
        ),
        Question(
            "The lesson's 50x long is ISOLATED: 100 USDT in its bucket, 900 USDT free in the same Binance "
            "account. The rate stays positive for months. Where is the funding taken from?",
            {
                "From the 900 USDT free balance first, then from the bucket, until funding alone liquidates it.":
                    "Binance and Bybit take funding from the available balance first. Isolation caps what a "
                    "liquidation takes, not what funding takes.",
                "From the bucket only: an isolated position can never cost more than its 100 USDT.":
                    "The cap is on the liquidation, not on funding: the free balance pays first.",
                "From nowhere: isolated positions do not pay funding.":
                    "Every position open at a funding time pays or receives, in either mode.",
            },
            answer="From the 900 USDT free balance first, then from the bucket, until funding alone liquidates it.",
        ),
        Question(
            f"A rate of {rate_text(DEFAULT_INTEREST)} every 8 hours for a whole year, on a long at 10x. Roughly "
            "how much of the margin does it cost?",
            {
                f"About {percent(year_10x, 0)}: more than the margin itself.":
                    f"{number(payments_per_year())} payments x {rate_text(DEFAULT_INTEREST)} = "
                    f"{percent(year_value, 2)} of the position's value, and the margin is a tenth of that value.",
                f"About {percent(year_value, 2)}.":
                    "That is the share of the position's value. The margin is only a tenth of it at 10x.",
                f"About {percent(year_10x / 3, 0)}.":
                    "That counts one payment a day. Funding is paid every 8 hours: three times a day.",
            },
            answer=f"About {percent(year_10x, 0)}: more than the margin itself.",
        ),
    ]
