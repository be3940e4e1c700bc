"""Lesson 4, cross vs isolated: the same trade behind a ring-fenced bucket or behind the whole wallet.

Every number comes from the account engine (:class:`margincourse.Account`). The
trade, the account after a move and the dashboard's curves (pure formulas, checked
against the engine) are the lesson's model, :mod:`.lesson4_model`; this module lays
them out in tables, figures, the dashboard and the questions. The model's names are
importable from here too (``lesson4.open_trade``, ``lesson4.snapshot`` ...).

The lesson's trade is the one of Richra's article: a 1,000 USDT account puts 100 USDT of margin
on a BTCUSDT long at 50,000 USDT, 0.02 BTC at 10x, 0.1 BTC at 50x, no trading fees.
A price on a slider or in a table means: BTC's mark price moved *straight* from the
entry price to there.
"""

from __future__ import annotations

from matplotlib.ticker import MultipleLocator

import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent, usdt
from ...engine import formulas
from ...engine.account import Account
from ...engine.paths import scenario
from ..plots import COLORS, Picture, new_figure, styled, usdt_axis
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, choice, leverage_slider, price_slider
from .lesson3 import BINANCE_LIQUIDATION_FEE
from .lesson4_model import (  # the model, importable from the lesson as before
    ENTRY, GRID, MARGIN, MODES, PRICE_HIGH, PRICE_LOW, SYMBOL, WALLET,
    curves, hedge_mode_liquidation_price, margin_steps, moved_account, open_trade, price_text, snapshot, trade_size,
)
from .reading import Deeper, Table

# The BTC + ETH examples: the lesson's 50x BTC long plus an ETH position.
ETH_ENTRY = 3_000.0
HEDGE_ETH_ENTRY = 2_500.0


# ----------------------------------------------------------------- tables


def _price_text(lp):
    return "none (0 or below)" if lp <= 0 else price_text(lp)


def _distance_text(lp, entry=ENTRY):
    return "never" if lp <= 0 else percent(lp / entry - 1, sign=True)


def compare_table(leverages=(10, 50)):
    """The lesson's trade in both modes at each leverage: what backs it, its liquidation price, its worst loss."""
    rows = []
    for leverage in leverages:
        for mode in MODES:
            account, position = open_trade(mode, leverage)
            lp = account.liquidation_price(position)
            backing = position.margin if mode == "isolated" else account.cross_wallet_balance
            rows.append({
                "leverage": f"{leverage}x",
                "mode": mode,
                "size (BTC)": f"{position.size:.4f}",
                "notional": money(position.entry_notional),
                "backed by": money(backing),
                "liquidation price": _price_text(lp),
                "fall to it": _distance_text(lp),
                "most it can lose": money(account.max_loss(position)),
            })
    return pd.DataFrame(rows).set_index(["leverage", "mode"])


def walk_table(leverage=50, prices=(50_000, 49_500, 49_000, 45_000, 41_000, 40_000, 30_000)):
    """Wallet and equity in both modes after BTC moves from 50,000 straight to each price."""
    rows = []
    for price in prices:
        row = {"BTC price": money(price, 0)}
        for mode in MODES:
            s = snapshot(mode, leverage, price)
            row[(mode, "wallet")] = money(s["wallet"])
            row[(mode, "equity")] = money(s["equity"])
            row[(mode, "position")] = "open" if s["open"] else f"liquidated at {price_text(s['liquidated_at'])}"
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("BTC price")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def breathing_room_table(leverages=(5, 10, 11, 20, 50, 100, 125)):
    """How far BTC must fall to liquidate the 100 USDT trade, isolated vs cross, at each leverage."""
    rows = []
    for leverage in leverages:
        row = {"leverage": f"{leverage}x", ("", "size (BTC)"): f"{trade_size(leverage):.4f}"}
        for mode in MODES:
            account, position = open_trade(mode, leverage)
            lp = account.liquidation_price(position)
            row[(mode, "liquidation price")] = _price_text(lp)
            row[(mode, "fall to it")] = _distance_text(lp)
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("leverage")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def liquidation_table(leverage=50, price=30_000):
    """What the engine records when the trade is liquidated on the way down to ``price``, in both modes."""
    columns = {}
    for mode in MODES:
        account, _ = open_trade(mode, leverage)
        event = [e for e in account.mark({SYMBOL: price}) if e.kind == "liquidation"][-1]
        columns[mode] = {
            "collateral behind the position": money(event.collateral_lost),
            "liquidation price (the mark price reached it)": price_text(event.liquidation_price),
            "margin balance still left at that price": money(event.collateral_lost + event.realized_pnl),
            "bankruptcy price (collateral used up)": price_text(event.bankruptcy_price),
            "went to the insurance fund": money(event.insurance_fund_contribution),
            "the trader lost": money(event.collateral_lost),
            "wallet balance after": money(event.wallet_after),
        }
    return pd.DataFrame(columns)


def worked_example(leverage=50, wallets=(("isolated", MARGIN), ("cross", WALLET))):
    """The trade's liquidation price by hand in each mode: the tier, then Binance's formula with each WB.

    Returns the lines to print. A long, alone in its account: side = +1, TMM1 = UPNL1 = 0.
    """
    size = trade_size(leverage)
    tier = tier_table(SYMBOL).tier_for(size * ENTRY)
    q, ep, mmr, cum = number(size), number(ENTRY), number(tier.mmr), number(tier.maintenance_amount)
    lines = [f"tier {tier.tier} holds {usdt(size * ENTRY)} of notional: MMR {mmr}, cum {cum}"]
    lps = {}
    for mode, wb in wallets:
        lps[mode] = formulas.liquidation_price("long", ENTRY, size, wb, tier.mmr, tier.maintenance_amount)
        lines.append(f"{mode:>8}: LP = ({number(wb)} + {cum} - {q} x {ep}) / ({q} x {mmr} - {q}) "
                     f"= {price_text(lps[mode])} USDT")
    if {"isolated", "cross"} <= set(lps):
        deeper = (ENTRY - lps["cross"]) / (ENTRY - lps["isolated"])
        lines.append(f"cross survives a fall {number(deeper, 1)} times deeper than isolated")
    return "\n".join(lines)


def partial_close_check(leverage=50, fraction=0.1, fee_rate=BINANCE_LIQUIDATION_FEE):
    """Could Binance's partial close save the trade? Only where the maintenance rate is above the fee.

    At the liquidation price the margin balance equals the maintenance margin. Selling a
    ``fraction`` of the position there takes ``fee_rate x fraction x notional`` out of the
    margin balance as liquidation fee, and lowers the maintenance margin by the rate of the
    tier it sells from times the same notional. The account is compliant again only if the
    second is larger: ``MMR > fee rate``. Returns the lines to print.
    """
    tiers = tier_table(SYMBOL)
    account, position = open_trade("isolated", leverage)
    lp = account.liquidation_price(position)
    notional = position.size * lp
    sold = fraction * notional
    fee = fee_rate * sold
    freed = tiers.maintenance_margin(notional) - tiers.maintenance_margin(notional - sold)
    tier = tiers.tier_for(notional)
    above = next((t for t in tiers.tiers if t.mmr > fee_rate), None)
    lines = [
        f"Binance's {SYMBOL} liquidation fee: {percent(fee_rate)} of what a liquidation sells",
        f"the {leverage}x isolated trade at its liquidation price {price_text(lp)}: notional {usdt(notional)}, "
        f"tier {tier.tier}, MMR {percent(tier.mmr)}",
        f"selling {percent(fraction, 0)} of it there: fee {usdt(fee)}, maintenance margin "
        f"{usdt(freed)} lower: {'compliant again' if freed > fee else 'still short'}",
    ]
    if above is not None:
        lines.append(f"the maintenance rate is above the fee from tier {above.tier} on "
                     f"({money(above.floor, 0)} USDT of notional and more, MMR {percent(above.mmr)})")
    return "\n".join(lines)


# ----------------------------------------------------------------- several positions


def btc_eth_account(mode):
    """The lesson's 50x BTC long plus a 20x long of 1 ETH at 3,000 USDT, in one 1,000 USDT account."""
    account = Account(WALLET)
    btc = account.open(SYMBOL, "long", trade_size(50), ENTRY, leverage=50, mode=mode)
    eth = account.open("ETHUSDT", "long", 1.0, ETH_ENTRY, leverage=20, mode=mode)
    return account, btc, eth


def shared_collateral_table(eth_prices=(3_000, 2_900, 2_800, 2_700, 2_600, 2_500)):
    """ETH falls, BTC does not move: the equity and BTC's liquidation price in cross and in isolated mode."""
    rows = []
    for eth_price in eth_prices:
        row = {"ETH price": money(eth_price, 0)}
        for mode in ("cross", "isolated"):
            account, btc, eth = btc_eth_account(mode)
            account.mark({"ETHUSDT": eth_price})
            row[(mode, "equity")] = money(account.equity)
            row[(mode, "BTC liq. price")] = price_text(account.liquidation_price(btc))
            row[(mode, "ETH position")] = "open" if eth.is_open else "liquidated"
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("ETH price")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    return frame


def mirrored(candles):
    """The same candles reflected around the first open: a fall becomes an equal rise (and back)."""
    start = float(candles["open"].iloc[0])
    out = candles.copy()
    out["open"] = (2 * start - candles["open"]).round(2)
    out["close"] = (2 * start - candles["close"]).round(2)
    out["high"] = (2 * start - candles["low"]).round(2)
    out["low"] = (2 * start - candles["high"]).round(2)
    return out


def hedge_scenarios(n=120):
    """Two market-wide moves for BTC and ETH together: 35 % down and back, and 35 % up and back."""
    down = {SYMBOL: scenario("v_shape_35", start_price=ENTRY, n=n),
            "ETHUSDT": scenario("v_shape_35", start_price=HEDGE_ETH_ENTRY, n=n)}
    up = {s: mirrored(c) for s, c in down.items()}
    return {"35 % down and back": down, "35 % up and back": up}


HEDGE_ACCOUNTS = {
    "BTC long alone, cross": (("BTCUSDT",), "cross"),
    "ETH short alone, cross": (("ETHUSDT",), "cross"),
    "BTC long + ETH short, cross": (("BTCUSDT", "ETHUSDT"), "cross"),
    "BTC long + ETH short, isolated": (("BTCUSDT", "ETHUSDT"), "isolated"),
}


def hedge_account(legs, mode):
    """A 1,000 USDT account with a 50x BTC long (0.1 BTC at 50,000) and/or a 50x ETH short (2 ETH at 2,500)."""
    account = Account(WALLET)
    if "BTCUSDT" in legs:
        account.open(SYMBOL, "long", trade_size(50), ENTRY, leverage=50, mode=mode)
    if "ETHUSDT" in legs:
        account.open("ETHUSDT", "short", 2.0, HEDGE_ETH_ENTRY, leverage=50, mode=mode)
    return account


def hedge_table(n=120):
    """Each account run over both market-wide moves with ``account.run``: final equity and what was liquidated."""
    rows = {name: {} for name in HEDGE_ACCOUNTS}
    for move, candles in hedge_scenarios(n).items():
        for name, (legs, mode) in HEDGE_ACCOUNTS.items():
            timeline = hedge_account(legs, mode).run(candles)
            events = timeline.attrs["events"]
            rows[name][(move, "final equity")] = money(float(timeline["equity"].iloc[-1]))
            rows[name][(move, "liquidated")] = "; ".join(
                f"{e.symbol[:3]} {e.side}, lost {money(e.collateral_lost)}" for e in events
            ) or "nothing"
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    frame.index.name = "1,000 USDT account"
    return frame


def hedge_lowest_equity(n=120):
    """The cross pair's lowest equity in each move (the worst moment inside any candle)."""
    legs, mode = HEDGE_ACCOUNTS["BTC long + ETH short, cross"]
    return {move: float(hedge_account(legs, mode).run(candles)["equity"].min())
            for move, candles in hedge_scenarios(n).items()}


def margin_to_survive(side, entry_price, size, worst_price, symbol=SYMBOL):
    """The smallest isolated margin that keeps a position open at ``worst_price``.

    The position survives while ``margin + UPNL > maintenance margin``, so it needs
    ``margin > maintenance margin(worst) - side x Q x (worst - EP)``.

    >>> round(margin_to_survive("long", 50_000, 0.1, 40_000), 2)
    1016.0
    """
    upnl = formulas.unrealized_pnl(side, entry_price, size, worst_price)
    maintenance = tier_table(symbol).maintenance_margin(formulas.notional(size, worst_price))
    return float(maintenance - upnl)


def hedge_margin_needs(n=120):
    """Isolated margin each leg of the pair would need to ride out its bad move (the V's low or the mirror's high)."""
    moves = hedge_scenarios(n)
    down, up = moves["35 % down and back"], moves["35 % up and back"]
    btc = margin_to_survive("long", ENTRY, trade_size(50), float(down[SYMBOL]["low"].min()))
    eth = margin_to_survive("short", HEDGE_ETH_ENTRY, 2.0, float(up["ETHUSDT"]["high"].max()), "ETHUSDT")
    return {"BTC long through the fall": btc, "ETH short through the rise": eth}


# ----------------------------------------------------------------- adding margin


def hedge_mode_table(long_size=0.1, short_size=0.05, short_entry=52_000.0):
    """The lesson's 50x long, then a sell of ``short_size`` at ``short_entry``: in one-way mode, in hedge mode,
    and a fully hedged pair, each with its cross liquidation price (Binance's formula, tiers at that price)."""
    banked = formulas.unrealized_pnl("short", short_entry, short_size, ENTRY)  # the sell closes part of the long
    net = long_size - short_size
    one_way = formulas.liquidation_price_for_tiers("long", ENTRY, net, WALLET + banked, tier_table(SYMBOL))
    rows = {
        "one-way mode: the sell reduces the long": (
            f"long {number(net)} BTC at {money(ENTRY, 0)}; {money(banked, 0)} USDT of profit banked",
            WALLET + banked, one_way),
        "hedge mode: long and short side by side": (
            f"long {number(long_size)} BTC at {money(ENTRY, 0)} and short {number(short_size)} BTC at "
            f"{money(short_entry, 0)}", WALLET,
            hedge_mode_liquidation_price(long_size, ENTRY, short_size, short_entry)),
        "hedge mode, fully hedged": (
            f"long and short {number(long_size)} BTC, both at {money(ENTRY, 0)}", WALLET,
            hedge_mode_liquidation_price(long_size, ENTRY, long_size, ENTRY)),
    }
    frame = pd.DataFrame({label: {"positions": what, "cross wallet (USDT)": money(wallet),
                                  "liquidation price (USDT)": _price_text(lp)}
                          for label, (what, wallet, lp) in rows.items()}).T
    frame.index.name = f"after a sell of {number(short_size)} BTC at {money(short_entry, 0)}"
    return frame


def hedge_mode_deeper(long_size=0.1, short_size=0.05, short_entry=52_000.0):
    """Going deeper: hedge mode and one-way mode, and how a long and a short share one cross wallet."""
    frame = hedge_mode_table(long_size, short_size, short_entry)
    one_way, hedged, full = frame["liquidation price (USDT)"]
    return Deeper(
        "hedge mode: a long and a short of the same contract",
        "The course's account runs in **one-way mode**: one position per contract, and a sell against a long "
        "reduces it. In **hedge mode** an account holds a LONG and a SHORT of the same contract side by side. "
        "Binance's FAQ *\"How to Calculate Liquidation Price of USD-M Futures Contracts\"* writes its formula "
        "with both legs (cumL, cumS, the LONG and SHORT sizes), and its COIN-M version of the FAQ says that in "
        "cross mode \"both long and short position share the same liquidation price\": one wallet, one mark "
        "price, one price where the margin balance meets the two legs' maintenance margins together. "
        f"The lesson's 50x long of {number(long_size)} BTC, after BTC rose to {money(short_entry, 0)} and you "
        f"sold {number(short_size)} BTC:",
        Table(frame),
        f"Both modes leave the same net exposure ({number(long_size - short_size)} BTC long) and the same margin "
        f"balance at every price, yet hedge mode is liquidated a little sooner ({hedged} against {one_way}): "
        "the account keeps a maintenance margin for *both* legs (and pays trading fees on both). A fully "
        f"hedged pair loses nothing when the price moves; only the two maintenance margins grow with it, "
        f"so its liquidation price is far off ({full}); funding nets to zero between its legs, and what wears it "
        "down is the trading fees. "
        "`mc.hedge_mode_liquidation_price(...)` computes it. Exchanges differ in the tier: Binance gives "
        "each leg the tier of its own notional; Bitget's *\"Position Tier\"* page combines the long and the "
        "short of a cross account into one tier, and its *\"Estimated liquidation price\"* article gives "
        "hedge mode and one-way mode different formulas. The course's account does not model hedge mode.",
    )


def add_margin_table(amounts=(0, 100, 200, 400, 900), leverage=50):
    """Margin added by hand to the isolated 50x trade: the new liquidation price and the new loss cap."""
    rows = []
    for amount in amounts:
        account, position = open_trade("isolated", leverage)
        if amount:
            account.add_margin(position, amount)
        lp = account.liquidation_price(position)
        rows.append({
            "margin added": money(amount),
            "bucket": money(position.margin),
            "liquidation price": _price_text(lp),
            "fall to it": _distance_text(lp),
            "most it can lose": money(account.max_loss(position)),
            "rest of the wallet, out of reach": money(account.wallet_balance - account.max_loss(position)),
        })
    return pd.DataFrame(rows).set_index("margin added")


def event_line(event):
    """One engine event as the lesson writes it: amounts in USDT, prices on the contract's tick."""
    if event.kind == "margin_added":
        how = "auto-added" if event.automatic else "added"
        return (f"{how} {usdt(event.amount)} at {price_text(event.price, event.symbol)}: liquidation price "
                f"{price_text(event.liquidation_price_before, event.symbol)} -> "
                f"{price_text(event.liquidation_price_after, event.symbol)}")
    if event.kind == "liquidation":
        return (f"{event.symbol} {event.side} {event.mode} liquidated at {price_text(event.price, event.symbol)}: "
                f"lost {usdt(event.collateral_lost)}")
    return event.describe()


def auto_add_events(leverage=50, mark=30_000):
    """The isolated trade with auto-add margin on, marked straight down to ``mark``: each event, in order."""
    account, _ = open_trade("isolated", leverage, auto_add=True)
    return [event_line(e) for e in account.mark({SYMBOL: mark})]


CRASH_ACCOUNTS = {
    "isolated": ("isolated", False),
    "isolated + auto-add margin": ("isolated", True),
    "cross": ("cross", False),
}


def crash_runs(name="crash_50", leverage=50, n=120):
    """Run the trade in each setting over a named scenario: ``{setting: timeline}``."""
    candles = scenario(name, start_price=ENTRY, n=n)
    runs = {}
    for label, (mode, auto_add) in CRASH_ACCOUNTS.items():
        account, _ = open_trade(mode, leverage, auto_add=auto_add)
        runs[label] = account.run(candles)
    return runs


def crash_table(name="crash_50", leverage=50, n=120):
    """The three settings over the scenario: final wallet, what was lost, and how many margin top-ups happened."""
    rows = []
    for label, timeline in crash_runs(name, leverage, n).items():
        events = timeline.attrs["events"]
        liquidation = [e for e in events if e.kind == "liquidation"]
        rows.append({
            "setting": label,
            "auto-adds": sum(e.kind == "margin_added" for e in events),
            "liquidated at": price_text(liquidation[-1].price) if liquidation else "not liquidated",
            "lost": money(WALLET - float(timeline["wallet_balance"].iloc[-1])),
            "final wallet": money(float(timeline["wallet_balance"].iloc[-1])),
        })
    return pd.DataFrame(rows).set_index("setting")


@styled
def crash_figure(name="crash_50", leverage=50, n=120):
    """Price and equity over the scenario for isolated, isolated + auto-add, and cross; liquidations marked."""
    runs = crash_runs(name, leverage, n)
    figure, (price_ax, money_ax) = new_figure(2, 1, figsize=(8, 5.6), sharex=True)
    first = next(iter(runs.values()))
    minutes = np.arange(len(first))
    price_ax.plot(minutes, first[SYMBOL], color=COLORS["price"], linewidth=1.2, label="BTC price (close)")
    price_ax.axhline(ENTRY, color=COLORS["entry"], linestyle="--", linewidth=1, label="entry 50,000")
    price_ax.set_ylabel("price (USDT)")
    price_ax.set_title(f"The 100 USDT trade at {leverage}x through '{name}', three ways")
    usdt_axis(price_ax.yaxis)
    styles = {
        "isolated": dict(color=COLORS["isolated"], linewidth=2.4),
        "isolated + auto-add margin": dict(color="#9467bd", linewidth=2.0, linestyle=(0, (5, 3))),
        "cross": dict(color=COLORS["cross"], linewidth=3.4, alpha=0.6),
    }
    for label, timeline in runs.items():
        money_ax.plot(minutes, timeline["equity"], label=label, **styles[label], zorder=3 if "auto" in label else 2)
        rows = np.flatnonzero(timeline["events"].str.contains("liquidated").to_numpy())
        for ax, values in ((money_ax, timeline["equity"]), (price_ax, first[SYMBOL])):
            ax.plot(minutes[rows], values.to_numpy()[rows], "o", color=styles[label]["color"], markersize=8,
                    zorder=4)
    money_ax.plot([], [], "o", color="#555555", label="liquidated here")
    money_ax.set_ylim(-60, WALLET * 1.15)
    money_ax.set_ylabel("equity (USDT)")
    money_ax.set_xlabel("minutes into the scenario")
    usdt_axis(money_ax.yaxis)
    price_ax.legend(loc="lower left")
    handles, labels = money_ax.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=4)
    return Picture(figure, f"Figure: equity through {name!r} at {leverage}x: isolated, isolated + auto-add, cross")


# ----------------------------------------------------------------- dashboard

_LINES = {
    "equity": dict(color=COLORS["equity"], linewidth=2.4, label="equity (wallet + unrealized PnL)"),
    "wallet": dict(color=COLORS["wallet"], linewidth=1.6, linestyle="--", label="wallet balance"),
    "margin_balance": dict(color="#9467bd", linewidth=1.6, linestyle=":", label="margin balance behind it"),
    "maintenance": dict(color=COLORS["liquidation"], linewidth=1.0, label="maintenance margin"),
}
_TITLES = {
    "isolated": "Isolated: only the bucket backs the trade",
    "cross": "Cross: the whole wallet backs the trade",
}


def _liq_readout(s):
    if not s["open"]:
        return f"hit at {price_text(s['liquidated_at'])}"
    lp = s["liquidation_price"]
    return f"{price_text(lp)} ({percent(lp / ENTRY - 1, sign=True)})" if lp > 0 else "none (0 or below)"


def _pair(iso, cross, sign=False):
    return f"{money(iso, sign=sign)} | {usdt(cross, sign=sign)}"


@styled
def dashboard(price=46_000.0, leverage=50, auto_add="off"):
    """One price slider, two panels: the 100 USDT trade in isolated mode (left) and in cross mode (right)."""
    spec = contract(SYMBOL)
    controls = {
        "price": price_slider("BTC mark price (USDT)", price, PRICE_LOW, PRICE_HIGH, spec.tick_size),
        "leverage": leverage_slider(leverage, int(tier_table(SYMBOL).tiers[0].max_leverage)),
        "auto_add": choice("isolated auto-add margin", ["off", "on"], auto_add),
    }
    figure, axes = new_figure(1, 2, figsize=(9.2, 4.1), sharey=True)
    artists, animated = {}, []
    for ax, mode in zip(axes, MODES):
        lines = {key: ax.plot([], [], **style)[0] for key, style in _LINES.items()}
        ax.axvline(ENTRY, color=COLORS["entry"], linestyle="--", linewidth=1, label="entry 50,000")
        liq = ax.axvline(np.nan, color=COLORS["liquidation"], linewidth=1.6, label="liquidation price")
        now = ax.axvline(np.nan, color=COLORS["price"], linewidth=1, alpha=0.7, label="current price")
        (dot,) = ax.plot([np.nan], [np.nan], "o", color=COLORS["equity"], markersize=9, zorder=5)
        (bucket_dot,) = ax.plot([np.nan], [np.nan], "o", color="#9467bd", markersize=6, zorder=5)
        ax.set_title(_TITLES[mode])
        ax.set_xlim(PRICE_LOW - 500, PRICE_HIGH + 500)
        ax.xaxis.set_major_locator(MultipleLocator(5_000))
        ax.set_ylim(-60, 1_620)
        ax.set_xlabel("BTC mark price (USDT)")
        usdt_axis(ax.xaxis)
        usdt_axis(ax.yaxis)
        artists[mode] = dict(lines=lines, liq=liq, now=now, dot=dot, bucket_dot=bucket_dot)
        animated += [*lines.values(), liq, now, dot, bucket_dot]
    axes[0].set_ylabel("USDT")
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncol=4)
    shown = {}

    def update(price, leverage, auto_add):
        added = auto_add == "on"
        key = (int(leverage), added)
        snaps = {}
        for mode in MODES:
            a = artists[mode]
            if shown.get(mode) != key:
                c = curves(mode, leverage, auto_add=added and mode == "isolated")
                for name, line in a["lines"].items():
                    line.set_data(c["price"], c[name])
                shown[mode] = key
            s = snapshot(mode, leverage, price, auto_add=added and mode == "isolated")
            snaps[mode] = s
            lp = s["liquidation_price"]
            a["liq"].set_xdata([lp if lp > 0 else np.nan] * 2)
            a["now"].set_xdata([price] * 2)
            a["dot"].set_data([price], [s["equity"]])
            a["bucket_dot"].set_data([price], [s["margin_balance"] if s["open"] else np.nan])
        iso, cross = snaps["isolated"], snaps["cross"]
        size = trade_size(leverage)

        def balance(s):
            return money(s["margin_balance"]) if s["open"] else "gone"

        def maintenance(s):
            return money(s["maintenance"]) if s["open"] else "gone"

        def bucket(s):
            return money(s["margin"]) if s["open"] else "gone"

        return {
            "trade": f"{size:.4f} BTC long at 50,000.0: notional {usdt(size * ENTRY)}, "
                     f"margin {usdt(MARGIN)} ({int(leverage)}x)",
            "mark price": f"{usdt(price, 1)} ({percent(price / ENTRY - 1, sign=True)} from entry)",
            "": "isolated | cross",
            "wallet balance": _pair(iso["wallet"], cross["wallet"]),
            "equity": _pair(iso["equity"], cross["equity"]),
            "profit (+) or loss (-) so far": _pair(-iso["loss"], -cross["loss"], sign=True),
            "position's margin (bucket | initial margin)": f"{bucket(iso)} | {bucket(cross)} USDT",
            "margin balance behind the position": f"{balance(iso)} | {balance(cross)} USDT",
            "maintenance margin": f"{maintenance(iso)} | {maintenance(cross)} USDT",
            "liquidation price": f"{_liq_readout(iso)} | {_liq_readout(cross)}",
            "auto-added into the isolated bucket": (usdt(iso["auto_added"]) if added else "off"),
        }

    return Dashboard(
        "Cross vs isolated: one trade, two kinds of collateral", controls, figure, update, animated=animated,
        note="Each price means BTC moved straight there from the 50,000 entry. 1,000 USDT account, "
             "100 USDT of margin, no fees.",
    )


# ----------------------------------------------------------------- questions


def questions():
    """Check-your-understanding questions for lesson 4."""
    iso50 = snapshot("isolated", 50, 30_000)
    cross10 = snapshot("cross", 10, 35_000)
    cross50 = snapshot("cross", 50, 30_000)
    auto = snapshot("isolated", 50, 30_000, auto_add=True)
    before = shared_collateral_table((3_000, 2_700))
    lp_before = before.loc["3,000", ("cross", "BTC liq. price")]
    lp_after = before.loc["2,700", ("cross", "BTC liq. price")]
    return [
        Question(
            "A 1,000 USDT account opens the 100 USDT, 50x BTC long in ISOLATED mode. BTC crashes from 50,000 to "
            "30,000. What is left in the wallet?",
            {
                usdt(iso50["wallet"], 0): f"The bucket's {usdt(iso50['lost'], 0)} is lost; the other "
                                          f"{money(iso50['wallet'], 0)} were never at risk.",
                usdt(cross50["wallet"], 0): "That is what happens in cross mode, where the whole wallet backs the trade.",
                "1,000 USDT": "The position was liquidated: its margin is gone.",
            },
            answer=usdt(iso50["wallet"], 0),
        ),
        Question(
            "The 100 USDT trade at 10x (0.02 BTC, 1,000 USDT notional) in CROSS mode, with a 1,000 USDT wallet. "
            "BTC falls 30 %, to 35,000. What is true?",
            {
                f"It is not liquidated, and the account is down {usdt(cross10['loss'], 0)}.":
                    "The wallet covers the whole notional, so the liquidation price is 0, but every dollar of the "
                    "fall is still a loss.",
                "It is not liquidated and has lost nothing, because cross protects it.":
                    "Cross only postpones liquidation. The loss is real: equity falls with the price.",
                f"It was liquidated and lost {usdt(MARGIN, 0)}.":
                    "Only an isolated position loses just its margin; and this one cannot be liquidated at all.",
            },
            answer=f"It is not liquidated, and the account is down {usdt(cross10['loss'], 0)}.",
        ),
        Question(
            "You hold the 50x BTC long and a 1 ETH long in ONE cross account. ETH falls from 3,000 to 2,700; BTC "
            "does not move. What happens to BTC's liquidation price?",
            {
                f"It rises from {lp_before} to {lp_after}: closer to the price.":
                    "ETH's loss comes out of the shared wallet, so less is left to back BTC.",
                "Nothing: BTC's price did not move.":
                    "That is isolated mode. In cross, every position's loss eats the same collateral.",
                "It falls: the account is more diversified.":
                    "Both positions are longs on falling markets; ETH's loss leaves BTC less room.",
            },
            answer=f"It rises from {lp_before} to {lp_after}: closer to the price.",
        ),
        Question(
            "The isolated 50x trade with AUTO-ADD MARGIN switched on. BTC crashes from 50,000 to 30,000. "
            "What is left in the 1,000 USDT wallet?",
            {
                usdt(auto["wallet"], 0): "Auto-add kept feeding the bucket from the wallet until nothing "
                                         "was left, and then the position was liquidated anyway.",
                usdt(iso50["wallet"], 0): "That would be true with auto-add off. With it on, the loss cap is gone.",
                usdt(WALLET, 0): "Auto-add only moves the liquidation price; a big enough fall still "
                                 "liquidates the position, now with everything that was moved in.",
            },
            answer=usdt(auto["wallet"], 0),
        ),
    ]
