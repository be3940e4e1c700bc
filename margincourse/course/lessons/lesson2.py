"""Lesson 2, maintenance margin: risk tiers, the maintenance amount, margin balance and margin ratio.

Every number comes from the engine (:mod:`margincourse.engine.formulas`, :mod:`margincourse.engine.specs`);
this module only arranges it for the lesson: tables, the worked example, two figures, the dashboard
and the questions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ...basics.errors import MarginInputError
from ...basics.formatting import money, percent, usdt
from ...engine import formulas
from ..plots import COLORS, Picture, new_figure, plot_maintenance_curve, styled, usdt_axis
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, leverage_slider, price_slider, size_slider
from .lesson0 import MarkdownTable
from .reading import Deeper, Table
from .lesson1 import REFUSED_GREY, refusal_text

SYMBOL = "BTCUSDT"
PRICE_RANGE = (40_000.0, 80_000.0)  # entry and mark price sliders, USDT: narrow enough to see the ratio climb
SIZE_MAX = 50.0  # BTC; 50 BTC x 80,000 USDT = 4 million USDT notional (Binance tier 4)
RATIO_TOP = 150.0  # top of the margin-ratio axis, in %: above it the curve stops and an arrow says so

#: Exchanges whose shipped maintenance amounts were not published by the exchange but computed by the
#: course (see the tier file's "source"): Bitget's June 2025 article lists brackets and rates only, and
#: Bitget applied no offset before 2025-11-10. The course computes offsets for those brackets with the
#: rule of Bitget's November 2025 method (Binance's chain rule); the lesson's tables say so.
COMPUTED_OFFSETS = {"bitget": "offset, computed by the course (USDT)"}


def exchange_label(table):
    """The exchange's name as the lesson writes it, never with Binance's circled S ("USDⓈ-M" becomes
    "USD-M"): the glyph is missing from many fonts and shows as a box."""
    return table.exchange_name.replace("USDⓈ-M", "USD-M")


# --------------------------------------------------------------------------- the numbers of one position


def position_figures(size, entry_price, leverage, mark_price, exchange="binance", symbol=SYMBOL):
    """The maintenance-margin numbers of one isolated long, opened with margin = notional / leverage.

    The tier, rate and maintenance amount are those of the notional *at the mark price*;
    the leverage limit is checked at the entry notional, as when the order is placed.
    Raises :class:`MarginInputError` for a size or leverage the exchange would refuse.
    """
    spec = contract(symbol)
    table = tier_table(symbol, exchange)
    size = spec.check_size(size)
    entry_notional = formulas.notional(size, entry_price)
    table.check_leverage(leverage, entry_notional)
    margin = formulas.initial_margin(size, entry_price, leverage)
    mark_notional = formulas.notional(size, mark_price)
    tier = table.tier_for(mark_notional)
    rate, amount, _ = (float(x) for x in table.lookup(mark_notional))
    mm = formulas.maintenance_margin(size, mark_price, rate, amount)
    upnl = formulas.unrealized_pnl("long", entry_price, size, mark_price)
    balance = margin + upnl
    return {
        "entry notional": entry_notional,
        "margin": margin,
        "notional": mark_notional,
        "tier": tier,
        "rate": rate,
        "maintenance amount": amount,
        "maintenance margin": mm,
        "unrealized PnL": upnl,
        "margin balance": balance,
        "margin ratio": formulas.margin_ratio(mm, balance),
        "liquidation price": formulas.liquidation_price_for_tiers("long", entry_price, size, margin, table),
        "bankruptcy price": formulas.bankruptcy_price("long", entry_price, size, margin),
    }


def ratio_text(ratio):
    """The margin ratio as the readout shows it, with what it means at or past 100 %."""
    if not np.isfinite(ratio):
        return "no margin balance left (bankrupt): liquidated before this price"
    if ratio >= 1:
        return f"{percent(ratio, 1)} (at or past 100 %: liquidated)"
    return percent(ratio, 1)


def liquidation_text(lp, entry_price):
    """The liquidation price and its distance from entry, or why there is none."""
    if lp <= 0:
        return "none: price cannot fall far enough"
    return f"{usdt(lp)} ({percent(lp / entry_price - 1, sign=True)} from entry)"


def ratio_table(size=0.02, entry_price=50_000.0, leverage=10, marks=(50_000.0, 48_000.0, 46_000.0, 45_500.0)):
    """How the margin ratio of one isolated long climbs as the mark price falls, down to liquidation."""
    lp = position_figures(size, entry_price, leverage, entry_price)["liquidation price"]
    rows = []
    for label, mark in [(money(m, 0), m) for m in marks] + [(f"{money(lp)} (liquidation price)", lp)]:
        f = position_figures(size, entry_price, leverage, mark)
        rows.append({
            "mark price (USDT)": label,
            "unrealized PnL (USDT)": money(f["unrealized PnL"]),
            "margin balance (USDT)": money(f["margin balance"]),
            "maintenance margin (USDT)": money(f["maintenance margin"]),
            "margin ratio": percent(f["margin ratio"], 1),
        })
    return pd.DataFrame(rows).set_index("mark price (USDT)")


# --------------------------------------------------------------------------- tier tables


def tier_caption(exchange="binance", symbol=SYMBOL):
    """One line naming the table: exchange, symbol, date of the snapshot, and the fee term if there is one."""
    table = tier_table(symbol, exchange)
    fee = (f"; a fixed {percent(table.maintenance_fee_rate)} fee rate added to every rate"
           if table.maintenance_fee_rate else "")
    return f"{exchange_label(table)} {table.symbol} risk tiers, as of {table.as_of}{fee}"


def tier_frame(exchange="binance", symbol=SYMBOL, rows=None):
    """``tier_table(...).to_frame()`` with whole-number USDT columns and rates in percent, for reading.

    ``rows`` keeps only the first tiers (the lesson shows five; the rest continue the pattern). Beside
    the maximum leverage stands the initial margin rate it allows, 1 / leverage, so it can be read
    against the maintenance margin rate (why large positions get less leverage).
    """
    table = tier_table(symbol, exchange)
    frame = table.to_frame()
    for column in ("notional from (USDT)", "notional to (USDT)", "maintenance amount (USDT)"):
        frame[column] = frame[column].map(lambda value: money(value, 0))
    leverage = frame["max leverage"].astype("int64")
    frame["max leverage"] = leverage.map(lambda v: f"{v}x")
    frame.insert(frame.columns.get_loc("max leverage") + 1, "initial margin rate (1 / max leverage)",
                 (1 / leverage).map(percent))
    frame["maintenance margin rate"] = frame["maintenance margin rate"].map(percent)
    if exchange in COMPUTED_OFFSETS:
        frame = frame.rename(columns={"maintenance amount (USDT)": COMPUTED_OFFSETS[exchange]})
    if table.maintenance_fee_rate:
        _, _, rates, _ = table.columns()
        frame[f"rate applied (MMR + {percent(table.maintenance_fee_rate)} fee)"] = [percent(r) for r in rates]
    return frame if rows is None else frame.head(rows)


def chain_table(exchange="binance", symbol=SYMBOL):
    """Every maintenance amount rebuilt with ``cum_n = cum_(n-1) + floor_n x (MMR_n - MMR_(n-1))`` and compared."""
    tiers = tier_table(symbol, exchange).tiers
    rows, previous_rate, previous_amount = [], None, 0.0
    for t in tiers:
        if previous_rate is None:
            step, computed = 0.0, 0.0  # cum_1 = 0
        else:
            step = t.floor * (t.mmr - previous_rate)
            computed = previous_amount + step
        rows.append({
            "tier": t.tier,
            "floor (USDT)": money(t.floor, 0),
            "MMR": percent(t.mmr),
            "floor x (MMR - previous MMR)": money(step),
            "+ previous amount": money(previous_amount if previous_rate is not None else 0.0),
            "= computed amount": money(computed),
            "amount in the shipped table" if exchange in COMPUTED_OFFSETS else "published amount":
                money(t.maintenance_amount),
            "same?": bool(np.isclose(computed, t.maintenance_amount, rtol=0, atol=1e-6)),
        })
        previous_rate, previous_amount = t.mmr, computed
    return pd.DataFrame(rows).set_index("tier")


def edge_table(exchange="binance", symbol=SYMBOL, edges=(2, 3, 4, 5)):
    """At the floor of each tier in ``edges``: the requirement by the tier below's formula, by the tier
    above's formula, and what one rate for the whole notional with no amount would give (a jump)."""
    table = tier_table(symbol, exchange)
    fee = table.maintenance_fee_rate
    rows = []
    for n in edges:
        below, above = table.tiers[n - 2], table.tiers[n - 1]
        edge = above.floor
        by_below = edge * (below.mmr + fee) - below.maintenance_amount
        by_above = edge * (above.mmr + fee) - above.maintenance_amount
        no_amount = edge * (above.mmr + fee)
        rows.append({
            "tier edge (USDT)": money(edge, 0),
            "tiers": f"{below.tier} | {above.tier}",
            "lower tier's formula (USDT)": money(by_below),
            "upper tier's formula (USDT)": money(by_above),
            "difference (USDT)": money(by_above - by_below),
            "one rate, no amount (USDT)": money(no_amount),
            "jump without the amount (USDT)": money(no_amount - by_below),
        })
    return pd.DataFrame(rows).set_index("tier edge (USDT)")


def slices_table(notional, exchange="binance", symbol=SYMBOL):
    """The same maintenance margin computed slice by slice: each part of the notional at its own tier's rate.

    Because ``cum_1 = 0`` and the amounts chain, ``notional x MMR_n - cum_n`` equals the sum of
    ``(part of the notional inside tier k) x MMR_k`` over the tiers up to ``n``, the way income tax
    brackets work. Bitget's November 2025 announcement describes its new method exactly this way.
    """
    table = tier_table(symbol, exchange)
    fee = table.maintenance_fee_rate
    rows = []
    for t in table.tiers:
        part = min(notional, t.cap) - t.floor
        if part <= 0:
            break
        rows.append({
            "tier": t.tier,
            "part of the notional in this tier (USDT)": part,
            "rate": percent(t.mmr + fee),
            "part x rate (USDT)": part * (t.mmr + fee),
        })
    rows.append({"tier": "sum", "part of the notional in this tier (USDT)": sum(r["part of the notional in this tier (USDT)"] for r in rows),
                 "rate": "", "part x rate (USDT)": sum(r["part x rate (USDT)"] for r in rows)})
    for row in rows:
        row["part of the notional in this tier (USDT)"] = money(row["part of the notional in this tier (USDT)"])
        row["part x rate (USDT)"] = money(row["part x rate (USDT)"])
    return pd.DataFrame(rows).set_index("tier")


def leverage_cap_table(exchange="binance", symbol=SYMBOL, tiers=None):
    """Why bigger positions get less leverage: at each tier's maximum leverage, the initial margin rate
    (1 / leverage) against the maintenance margin rate."""
    table = tier_table(symbol, exchange)
    _, _, rates, _ = table.columns()
    rows = []
    for t, rate in zip(table.tiers, rates):
        if tiers is not None and t.tier not in tiers:
            continue
        imr = 1 / t.max_leverage
        rows.append({
            "tier": t.tier,
            "notional (USDT)": f"{money(t.floor, 0)} to {money(t.cap, 0)}",
            "max leverage": f"{t.max_leverage:g}x",
            "initial margin rate at max leverage": percent(imr, 3),
            "maintenance margin rate": percent(rate, 3),
            "maintenance / initial": f"{rate / imr:.2f}",
        })
    return pd.DataFrame(rows).set_index("tier")


def compare_exchanges(notionals=(10_000.0, 300_000.0, 1_200_000.0, 5_000_000.0), symbol=SYMBOL):
    """Maintenance margin of the same notionals with Binance's and Bitget's shipped tables.

    For an exchange in :data:`COMPUTED_OFFSETS` (Bitget) two numbers are shown: the rule it applied
    to these brackets (one rate for the whole notional, no offset) and the course's computation
    with offsets (its November 2025 method applied to these brackets, what the package uses).
    """
    rows = []
    for value in notionals:
        row = {"notional (USDT)": money(value, 0)}
        for exchange in ("binance", "bitget"):
            table = tier_table(symbol, exchange)
            t = table.tier_for(value)
            rate, amount, _ = (float(x) for x in table.lookup(value))
            name = table.exchange_name.split()[0]
            row[f"{name} tier"] = t.tier
            row[f"{name} rate"] = percent(rate)
            if exchange in COMPUTED_OFFSETS:
                row[f"{name}, one rate, no offset (USDT)"] = money(value * rate)
                row[f"{name} offset, computed (USDT)"] = money(amount)
                row[f"{name}, rate minus computed offset (USDT)"] = money(table.maintenance_margin(value))
            else:
                row[f"{name} amount (USDT)"] = money(amount)
                row[f"{name} maintenance margin (USDT)"] = money(table.maintenance_margin(value))
        rows.append(row)
    return pd.DataFrame(rows).set_index("notional (USDT)")


def bitget_announcement_example(size=3.0, mark_price=110_000.0, tier1_cap=200_000.0, mmr1=0.004, mmr2=0.005,
                                fee=0.0006):
    """Bitget's own example from its announcement of the tiered method (effective 2025-11-10).

    3 BTC at a mark price of 110,000 USDT: before, the whole notional took tier 2's rate plus
    the 0.06 % fee; after, the first 200,000 USDT take tier 1's rate and only the rest tier 2's.
    The "pre-calculated offset" of the new method is Binance's maintenance amount.
    """
    value = formulas.notional(size, mark_price)
    offset = tier1_cap * (mmr2 - mmr1)
    return {
        "notional": value,
        "old: whole notional at tier 2's rate": formulas.maintenance_margin(size, mark_price, mmr2 + fee),
        "new: slice by slice": tier1_cap * (mmr1 + fee) + (value - tier1_cap) * (mmr2 + fee),
        "offset": offset,
        "new: one rate minus the offset": formulas.maintenance_margin(size, mark_price, mmr2 + fee, offset),
    }


def _slices(notional, table):
    """``(part of the notional inside tier k, tier k's rate)`` for the tiers up to the notional's."""
    fee = table.maintenance_fee_rate
    return [(min(notional, t.cap) - t.floor, t.mmr + fee) for t in table.tiers if notional > t.floor]


def sum_of_slices(notional, table):
    """The maintenance margin charged slice by slice, each part of the notional at its own tier's rate."""
    return sum(part * rate for part, rate in _slices(notional, table))


def _slices_text(notional, table):
    return " + ".join(f"{money(part, 0)} x {percent(rate)}" for part, rate in _slices(notional, table))


def worked_example(size=20.0, entry_price=60_000.0, leverage=10, mark_price=57_000.0, exchange="binance",
                   symbol=SYMBOL):
    """An isolated long step by step: its tier and maintenance margin, then margin balance and margin ratio
    after the mark price has moved. Every number from :func:`position_figures` and the engine."""
    table = tier_table(symbol, exchange)
    at_entry = position_figures(size, entry_price, leverage, entry_price, exchange, symbol)
    now = position_figures(size, entry_price, leverage, mark_price, exchange, symbol)
    t = at_entry["tier"]
    rows = [
        ("1. notional = size x price", f"{size:g} x {money(entry_price, 0)}", usdt(at_entry["notional"])),
        ("2. its risk tier", f"tier {t.tier}: {money(t.floor, 0)} to {money(t.cap, 0)} USDT",
         f"MMR {percent(t.mmr)}, amount {usdt(t.maintenance_amount, 0)}"),
        ("3. maintenance margin (notional x MMR - amount)",
         f"{money(at_entry['notional'], 0)} x {percent(t.mmr)} - {money(t.maintenance_amount, 0)}",
         usdt(table.maintenance_margin(at_entry["notional"]))),
        ("3b. the same, slice by slice", _slices_text(at_entry["notional"], table), usdt(sum_of_slices(
            at_entry["notional"], table))),
        (f"4. margin at {leverage}x = notional / leverage", f"{money(at_entry['notional'], 0)} / {leverage}",
         usdt(now["margin"])),
        (f"5. unrealized PnL at {money(mark_price, 0)}",
         f"{size:g} x ({money(mark_price, 0)} - {money(entry_price, 0)})", usdt(now["unrealized PnL"])),
        ("6. margin balance = margin + PnL", f"{money(now['margin'])} + ({money(now['unrealized PnL'])})",
         usdt(now["margin balance"])),
        (f"7. maintenance margin at {money(mark_price, 0)}",
         f"{money(now['notional'], 0)} x {percent(now['rate'])} - {money(now['maintenance amount'], 0)}",
         usdt(now["maintenance margin"])),
        ("8. margin ratio = MM / margin balance",
         f"{money(now['maintenance margin'])} / {money(now['margin balance'])}", ratio_text(now["margin ratio"])),
        ("9. liquidation price (lesson 3)", "where the margin ratio reaches 100 %",
         liquidation_text(now["liquidation price"], entry_price)),
    ]
    return MarkdownTable({"step": step, "computation": computation, "result": result}
                         for step, computation, result in rows)


# --------------------------------------------------------------------------- figures


def _tier_curve(ax, table, max_notional):
    """:func:`~margincourse.course.plots.plot_maintenance_curve` with the notional axis in millions of USDT."""
    curve = plot_maintenance_curve(ax, table, max_notional)["curve"]
    curve.set_label(f"{table.exchange_name.split()[0]} {table.symbol} tiers ({table.as_of})")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:g}"))
    ax.set_xlabel("position notional (million USDT)")
    ax.set_xlim(0, max_notional)
    return curve


def _label_tiers(ax, table, max_notional, y):
    """Write "tier n" over each tier that is wide enough on the axis to hold the label."""
    for t in table.tiers:
        left, right = t.floor, min(t.cap, max_notional)
        if left < max_notional and (right - left) > 0.1 * max_notional:
            ax.text((left + right) / 2, y, f"tier {t.tier}", ha="center", va="top", fontsize=9,
                    color=COLORS["bankruptcy"])


@styled
def continuity_figure(max_notional=4_000_000.0, exchange="binance", symbol=SYMBOL):
    """The real requirement (continuous) against one rate for the whole notional with no amount (jumps)."""
    table = tier_table(symbol, exchange)
    figure, ax = new_figure(figsize=(8, 4.6))
    _tier_curve(ax, table, max_notional)
    notional = np.linspace(0, max_notional, 2001)
    rate, _, _ = table.lookup(notional)
    jumpy = notional * rate
    for t in table.tiers[1:]:  # break the line at each edge so the jumps show as gaps, not steep lines
        if t.floor < max_notional:
            jumpy[np.searchsorted(notional, t.floor)] = np.nan
    ax.plot(notional, jumpy, color=COLORS["bankruptcy"], linestyle="--",
            label="one rate for the whole notional, no amount")
    ax.plot([], [], color=COLORS["bankruptcy"], linestyle=":", linewidth=0.8, label="tier edges")
    top = np.nanmax(jumpy)
    ax.set_ylim(0, top * 1.1)
    _label_tiers(ax, table, max_notional, top * 1.08)
    ax.set_title("The maintenance amount removes the jump at each tier edge")
    figure.legend(loc="outside lower center", ncol=2)
    return Picture(figure, f"Figure: maintenance margin against notional, {exchange_label(table)} {symbol}, 0 to "
                           f"{usdt(max_notional, 0)}, with and without the maintenance amount")


# --------------------------------------------------------------------------- the dashboard


def _readout(f, entry_price, leverage):
    t = f["tier"]
    return {
        "notional at entry": usdt(f["entry notional"]),
        "margin = entry notional / leverage": usdt(f["margin"]),
        "notional at the mark price": usdt(f["notional"]),
        "risk tier of that notional": (f"tier {t.tier}: {money(t.floor, 0)} to {usdt(t.cap, 0)}, "
                                       f"up to {t.max_leverage:g}x"),
        "maintenance margin rate (MMR)": percent(f["rate"]),
        "maintenance amount": usdt(f["maintenance amount"]),
        "maintenance margin (MM)": usdt(f["maintenance margin"]),
        "unrealized PnL at the mark price": usdt(f["unrealized PnL"]),
        "margin balance = margin + PnL": usdt(f["margin balance"]),
        "margin ratio = MM / margin balance": ratio_text(f["margin ratio"]),
        "liquidation price (ratio at 100 %)": liquidation_text(f["liquidation price"], entry_price),
    }


def _ratio_curve(table, size, entry_price, margin, grid, top=RATIO_TOP):
    """The margin ratio in % over ``grid`` mark prices, drawn up to ``top`` and no further.

    Returns ``(prices, ratios, exit_price)``: the curve stops where it reaches ``top`` (that
    point is interpolated and added, so the line ends on the axis' top edge) and is NaN beyond,
    where it keeps rising without limit towards the bankruptcy price; ``exit_price`` is where it
    leaves the chart (NaN when it stays below ``top`` over the whole grid).
    """
    mm = table.maintenance_margin(size * grid)
    balance = margin + size * (grid - entry_price)
    ratio = np.full_like(grid, np.inf)
    ok = balance > 0
    ratio[ok] = mm[ok] / balance[ok] * 100
    above = ratio > top
    if not above.any():
        return grid, ratio, np.nan
    i = int(np.flatnonzero(above).max())  # the highest price still above the top
    if i + 1 < len(grid):
        # where the curve crosses the top, interpolated in 1 / ratio = balance / maintenance margin,
        # which is close to a straight line in the price (the ratio itself is not)
        x0, x1 = grid[i], grid[i + 1]
        inv0, inv1 = 1 / ratio[i], 1 / ratio[i + 1]  # 1 / inf = 0 where the balance is gone
        exit_price = x0 + (1 / top - inv0) * (x1 - x0) / (inv1 - inv0)
    else:
        exit_price = grid[i]
    prices = np.insert(grid, i + 1, exit_price)
    ratios = np.insert(np.where(above, np.nan, ratio), i + 1, top)
    return prices, ratios, exit_price


@styled
def dashboard(size=20.0, entry_price=60_000.0, leverage=20, mark_price=58_000.0):
    """Sliders for size, entry price, leverage and mark price of an isolated BTCUSDT long on Binance.

    Left: maintenance margin against notional across the tiers, the position marked at its
    notional at the mark price. Right: the margin ratio for every mark price, 100 % marked. The
    ratio grows without limit towards the bankruptcy price, so its axis stops at ``RATIO_TOP``: the
    curve ends there, an arrow says it goes on rising, and a mark price beyond the top shows as a
    triangle at the top of the axis. A combination the exchange would refuse greys the figure
    out and writes the refusal across it.
    """
    spec = contract(SYMBOL)
    table = tier_table(SYMBOL, "binance")
    low, high = PRICE_RANGE
    controls = {
        "size": size_slider(size, spec.contract_size, SIZE_MAX, spec.contract_size),
        "entry_price": price_slider("entry price (USDT)", entry_price, low, high, spec.tick_size),
        "leverage": leverage_slider(leverage, int(spec.max_leverage)),
        "mark_price": price_slider("mark price now (USDT)", mark_price, low, high, spec.tick_size),
    }
    top_notional = SIZE_MAX * high
    base_grid = np.linspace(low, high, 701)
    pad = 0.03 * (high - low)  # room so a marker at either end of the price range is drawn whole

    figure, (left, right) = new_figure(1, 2, figsize=(9, 4.4))
    _tier_curve(left, table, top_notional)
    left.set_title("Maintenance margin by notional")
    top_mm = table.maintenance_margin(top_notional)
    left.set_ylim(0, top_mm * 1.1)
    _label_tiers(left, table, top_notional, top_mm * 1.08)
    left.plot([], [], color=COLORS["bankruptcy"], linestyle=":", linewidth=0.8, label="tier edges")
    (position_dot,) = left.plot([], [], "o", color=COLORS["price"], markersize=7, clip_on=False,
                                label="your position, at the mark price")

    (ratio_line,) = right.plot([], [], color=COLORS["equity"], label="margin ratio at each mark price")
    right.axhline(100, color=COLORS["liquidation"], linestyle=":", label="100 %: liquidation")
    entry_line = right.axvline(entry_price, color=COLORS["entry"], linestyle="--", linewidth=1, label="entry price")
    lp_line = right.axvline(entry_price, color=COLORS["liquidation"], linewidth=1.2, label="liquidation price")
    (mark_dot,) = right.plot([], [], "o", color=COLORS["cross"], markersize=7, clip_on=False, label="mark price now")
    off_scale = right.text(0, RATIO_TOP * 0.97, "", va="top", fontsize=9, color=COLORS["equity"])
    right.set_xlim(low - pad, high + pad)
    right.set_ylim(0, RATIO_TOP)
    right.set_xlabel("mark price (USDT)")
    right.set_ylabel("margin ratio (%)")
    right.set_title("Margin ratio as the mark price moves")
    usdt_axis(right.xaxis)
    right.xaxis.set_major_locator(MaxNLocator(5))
    handles = [*left.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
    figure.legend(handles=handles, loc="outside lower center", ncol=3)
    refusal = figure.text(0.5, 0.6, "", ha="center", va="center", fontsize=12, color=COLORS["liquidation"],
                          bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": COLORS["liquidation"]},
                          visible=False)
    colours = {position_dot: COLORS["price"], ratio_line: COLORS["equity"], entry_line: COLORS["entry"],
               lp_line: COLORS["liquidation"], mark_dot: COLORS["cross"]}

    def show(refused_by=None):
        """Colour the moving artists (grey when refused) and show or hide the refusal."""
        for artist, colour in colours.items():
            artist.set_color(REFUSED_GREY if refused_by else colour)
        refusal.set_text(refusal_text(refused_by, width=60) if refused_by else "")
        refusal.set_visible(refused_by is not None)
        off_scale.set_visible(refused_by is None and bool(off_scale.get_text()))

    def update(size, entry_price, leverage, mark_price):
        try:
            f = position_figures(size, entry_price, leverage, mark_price)
        except MarginInputError as error:
            show(refused_by=error)
            raise
        position_dot.set_data([f["notional"]], [f["maintenance margin"]])
        bp, lp = f["bankruptcy price"], f["liquidation price"]
        extra = [entry_price, mark_price] + ([bp + (high - low) * step for step in np.geomspace(1e-7, 2e-2, 80)]
                                             if bp > 0 else [])
        grid = np.unique(np.concatenate([base_grid, np.clip(extra, low, high)]))
        prices, ratios, exit_price = _ratio_curve(table, size, entry_price, f["margin"], grid)
        ratio_line.set_data(prices, ratios)
        if np.isfinite(exit_price) and low < exit_price < high:
            right_half = exit_price > (low + high) / 2  # write the label on the side with room
            off_scale.set_position((exit_price, RATIO_TOP * 0.97))
            off_scale.set_horizontalalignment("right" if right_half else "left")
            off_scale.set_text(f"rises above {RATIO_TOP:g} % ↑  " if right_half else f"  ↑ rises above {RATIO_TOP:g} %")
        else:
            off_scale.set_text("")
        entry_line.set_xdata([entry_price] * 2)
        lp_line.set_xdata([lp] * 2 if lp > 0 else [np.nan] * 2)
        ratio = f["margin ratio"] * 100
        on_scale = np.isfinite(ratio) and ratio <= RATIO_TOP
        mark_dot.set_marker("o" if on_scale else "^")
        mark_dot.set_data([mark_price], [ratio if on_scale else RATIO_TOP * 0.96])
        show()
        return _readout(f, entry_price, leverage)

    return Dashboard(
        "Maintenance margin: an isolated BTCUSDT long on Binance",
        controls, figure, update,
        animated=[position_dot, ratio_line, entry_line, lp_line, mark_dot, off_scale, refusal],
        note="Margin = initial margin. The leverage limit is checked at the entry notional; tier, rate and "
             "maintenance margin follow the notional at the mark price.",
    )


# --------------------------------------------------------------------------- questions


def questions():
    """Check-your-understanding questions for lesson 2 (every number computed)."""
    table = tier_table(SYMBOL, "binance")
    value = formulas.notional(20, 60_000)
    t = table.tier_for(value)
    right_mm = table.maintenance_margin(value)
    no_amount = value * t.mmr
    tier1_rate = value * table.tiers[0].mmr

    mm, balance = 50.0, 200.0
    ratio = formulas.margin_ratio(mm, balance)

    before = position_figures(0.02, 50_000, 10, 50_000)
    after = position_figures(0.02, 50_000, 10, 47_500)

    small_value = 10_000.0
    small = table.tier_for(small_value)
    return [
        Question(
            f"A BTCUSDT position on Binance has a notional of {usdt(value, 0)}. What is its maintenance margin?",
            {
                usdt(right_mm, 0): f"Tier {t.tier}: {money(value, 0)} x {percent(t.mmr)} - "
                                   f"{money(t.maintenance_amount, 0)} (the tier's maintenance amount).",
                usdt(no_amount, 0): "That is notional x MMR without subtracting the tier's maintenance amount.",
                usdt(tier1_rate, 0): f"That uses tier 1's rate ({percent(table.tiers[0].mmr)}); this notional "
                                          f"is in tier {t.tier}.",
            },
            answer=usdt(right_mm, 0),
        ),
        Question(
            f"Your margin balance is {usdt(balance, 0)} and your maintenance margin {usdt(mm, 0)}. "
            "What margin ratio does Binance show?",
            {
                percent(ratio, 0): "Maintenance margin / margin balance. Liquidation comes when it reaches 100 %.",
                percent(1 / ratio, 0): "That is the ratio upside down (balance / maintenance margin). Some venues show "
                                    "it that way; Binance divides the maintenance margin by the margin balance.",
                percent(1 - ratio, 0): "The ratio compares the two amounts by division, not subtraction.",
            },
            answer=percent(ratio, 0),
        ),
        Question(
            "Why does every tier above the first have a maintenance amount?",
            {
                "So the maintenance margin does not jump where one tier ends and the next begins.":
                    "With one rate for the whole notional, crossing a tier edge would raise the requirement at once; "
                    "the amount subtracts exactly that jump, so each rate only applies to the part of the notional "
                    "inside its tier.",
                "It is a fee the exchange charges for large positions.":
                    "It is subtracted from the requirement, not charged: it makes the requirement smaller.",
                "It is the margin you must add when you move into a higher tier.":
                    "Nothing is added: it is a constant in the formula that keeps the requirement continuous.",
            },
            answer="So the maintenance margin does not jump where one tier ends and the next begins.",
        ),
        Question(
            f"Binance lets a {usdt(small_value, 0)} BTCUSDT position use {small.max_leverage:g}x, "
            f"but a {usdt(value, 0)} one only {t.max_leverage:g}x. Why?",
            {
                "Larger positions have a higher maintenance rate, so the initial margin rate (1 / leverage) must be "
                "larger to stay above it.":
                    "At each tier's maximum leverage the maintenance rate is about half the initial margin rate; a "
                    "higher rate needs a lower leverage. Large positions get higher rates because liquidating them "
                    "moves the market more.",
                "Large traders are charged more to discourage them.":
                    "The limit is about risk, not price: the requirement must cover the cost of closing a large "
                    "position.",
                "Leverage limits only depend on the account balance.":
                    "They depend on the position's notional, tier by tier.",
            },
            answer="Larger positions have a higher maintenance rate, so the initial margin rate (1 / leverage) must be "
                   "larger to stay above it.",
        ),
        Question(
            f"Your isolated 10x long of 0.02 BTC opened at 50,000 USDT. The mark price falls to 47,500. "
            "What happens?",
            {
                "The maintenance margin falls a little, but the margin ratio rises.":
                    f"Maintenance margin {money(before['maintenance margin'])} -> {money(after['maintenance margin'])} "
                    f"USDT (smaller notional), margin balance {money(before['margin balance'])} -> "
                    f"{usdt(after['margin balance'])}: the ratio goes from {ratio_text(before['margin ratio'])} "
                    f"to {ratio_text(after['margin ratio'])}.",
                "Both the maintenance margin and the margin ratio rise.":
                    "The maintenance margin follows the notional at the mark price, which fell.",
                "Nothing changes until the liquidation price is reached.":
                    "The margin balance (and so the ratio) moves with every change of the mark price.",
            },
            answer="The maintenance margin falls a little, but the margin ratio rises.",
        ),
    ]


# --------------------------------------------------------------------------- going deeper: the mark price

def mark_price_rows(index=50_000.0, funding_rate=0.0001, hours=2.0, basis=15.0, lasts=(50_030.0, 48_000.0)):
    """Price 1, Price 2, the last price and the mark price for each last price (engine.mark_price)."""
    from ...engine import mark_price as mp

    price_1 = mp.funding_basis_price(index, funding_rate, hours)
    price_2 = mp.moving_average_basis_price(index, basis)
    return [{"last": last, "price 1": price_1, "price 2": price_2,
             "mark": mp.mark_price(index, funding_rate, hours, basis, last)} for last in lasts]


def mark_price_deeper(index=50_000.0, funding_rate=0.0001, hours=2.0, basis=15.0, lasts=(50_030.0, 48_000.0)):
    """Going deeper: how Binance and Bybit build the mark price, with a quiet market and a wick."""
    rows = mark_price_rows(index, funding_rate, hours, basis, lasts)
    labels = ["a quiet market", "a wick: one large sell order"]
    frame = pd.DataFrame({
        label: {
            "index (spot average, USDT)": money(index),
            f"Price 1 = index × (1 + {percent(funding_rate, 2)} × {hours:g} / 8)": money(r["price 1"]),
            f"Price 2 = index + average basis ({money(basis, 0)})": money(r["price 2"]),
            "last traded price (USDT)": money(r["last"]),
            "mark price = the median of the three": money(r["mark"]),
        } for label, r in zip(labels, rows)
    })
    wick = rows[-1]
    return Deeper(
        "how the mark price is built",
        "Binance's FAQ *\"Mark Price\"* and Bybit's *\"Mark Price Calculation (Perpetual Contract)\"* build it "
        "the same way. **Price 1** is the index plus the share of the last funding rate still to run until "
        "the next funding time (it shrinks to the index as funding approaches). **Price 2** is the index "
        "plus a moving average of the basis, the middle of the contract's own order book minus the index "
        "(Bybit averages over 5 minutes; Binance over 30 seconds for USD-M perpetuals since 18 September "
        "2025). The **mark price** is the median of Price 1, Price 2 and the last traded price. "
        f"The index at {money(index, 0)} USDT, a last funding rate of {percent(funding_rate, 2)} with "
        f"{hours:g} of 8 hours to run:",
        Table(frame),
        f"In the wick the last trade is {money(index - wick['last'], 0)} USDT below the index; the median "
        f"drops it, and the mark stays at {money(wick['mark'])}. A position whose liquidation price lies "
        "between the two is not liquidated by the wick. `mc.mark_price(index, last_funding_rate, "
        "hours_until_funding, moving_average_basis, last_price)` computes it; the exchanges also change the "
        "rule when an index source fails or a contract is new, which the course does not model.",
    )
