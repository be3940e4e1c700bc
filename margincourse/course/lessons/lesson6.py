"""Lesson 6, choosing a mode: the common mistakes, a stress test of your own settings, a checklist.

Everything here arranges the engine (:class:`margincourse.Account`, :func:`margincourse.run`,
:func:`margincourse.scenario`) for the lesson; no money math is re-derived. The trade is
always a BTCUSDT long opened at 50,000 USDT on Binance's risk tiers, without fees (the
lesson says so: fees would make every loss a little larger).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ...basics.formatting import money, number, percent, usdt
from ...engine import collateral, formulas
from ...engine.account import Account
from ...basics.errors import MarginInputError, check_choice, check_positive
from ...engine.paths import generate_path, scenario, scenarios
from ..plots import COLORS, new_figure, style, usdt_axis
from ...engine.replay import timeline_columns
from ...engine.specs import contract, tier_table
from ..widgets import Dashboard, Question, choice, leverage_slider, price_slider
from .reading import Deeper, Items, Table

SYMBOL = "BTCUSDT"
START_PRICE = 50_000.0
CANDLES = 120  # one-minute candles per stress scenario: two hours
STRESS_SCENARIOS = ("wick_down_30", "crash_50", "gap_down_15", "v_shape_35")
MODES = ("isolated", "cross")


@lru_cache(maxsize=None)
def _scenario_frame(name):
    check_choice("scenario", name, STRESS_SCENARIOS)
    return scenario(name, start_price=START_PRICE, n=CANDLES)


def scenario_candles(name):
    """The stress scenario ``name`` at 50,000 USDT: 120 one-minute candles (built once, a copy each call)."""
    return _scenario_frame(name).copy()


@lru_cache(maxsize=None)
def _lows(name):
    frame = _scenario_frame(name)
    return frame["low"].to_numpy(), frame["close"].to_numpy()


def scenario_table():
    """The stress scenarios the lesson uses, with what each does and how far it falls (a :class:`Table`)."""
    described = scenarios()
    rows = []
    for name in STRESS_SCENARIOS:
        frame = _scenario_frame(name)
        rows.append({
            "scenario": name,
            "what happens": described[name],
            "lowest price (USDT)": money(frame["low"].min(), 1),
            "deepest fall": percent(frame["low"].min() / START_PRICE - 1, 1, sign=True),
            "last close (USDT)": money(frame["close"].iloc[-1], 1),
        })
    return Table(pd.DataFrame(rows).set_index("scenario"))


def position_size(margin, leverage, price=START_PRICE, symbol=SYMBOL):
    """The largest whole number of contracts that ``margin`` USDT backs at ``leverage``.

    ``size = margin x leverage / price``, rounded down to the contract step (0.0001 BTC).

    >>> position_size(100, 10)
    0.02
    """
    margin = check_positive("margin", margin)
    leverage = check_positive("leverage", leverage)
    step = contract(symbol).contract_size
    contracts = np.floor(margin * leverage / price / step + 1e-9)
    if contracts < 1:
        raise MarginInputError(
            f"margin x leverage must buy at least one contract of {step} BTC at {usdt(price, 0)} "
            f"({usdt(step * price, 0)} notional), got {usdt(margin * leverage)}"
        )
    return round(float(contracts * step), 10)


@dataclass(frozen=True)
class StressResult:
    """What one set of settings went through in one scenario (all amounts in USDT)."""

    balance: float
    mode: str
    leverage: float
    margin: float
    auto_add: bool
    scenario: str
    size: float
    notional: float
    position_margin: float
    liquidation_price: float
    bankruptcy_price: float
    max_loss: float
    timeline: pd.DataFrame
    equity_at_low: np.ndarray
    events: tuple
    final_wallet: float
    final_equity: float
    worst_equity: float

    @property
    def liquidations(self):
        return tuple(e for e in self.events if e.kind == "liquidation")

    @property
    def auto_adds(self):
        return tuple(e for e in self.events if e.kind == "margin_added")

    @property
    def liquidated(self) -> bool:
        return bool(self.liquidations)

    @property
    def loss(self) -> float:
        """Starting balance minus equity at the end (open positions valued at the last close)."""
        return self.balance - self.final_equity

    @property
    def share_lost(self) -> float:
        return self.loss / self.balance

    @property
    def insurance_fund_loss(self) -> float:
        """Loss beyond the collateral (a gap past the bankruptcy price) that the exchange absorbed."""
        return sum(e.insurance_fund_loss for e in self.liquidations)

    def minute(self, event) -> int:
        """Minutes from the scenario's start to ``event``."""
        return int((event.time - self.timeline.index[0]) / pd.Timedelta(minutes=1))

    def what_happened(self) -> str:
        """One sentence for a readout or a table."""
        parts = []
        if self.auto_adds:
            added = sum(e.amount for e in self.auto_adds)
            times = "once" if len(self.auto_adds) == 1 else f"{len(self.auto_adds)} times"
            parts.append(f"auto-add moved {usdt(added)} in ({times})")
        if self.liquidated:
            event = self.liquidations[0]
            text = f"liquidated at minute {self.minute(event)}, at {money(event.price)}"
            if event.insurance_fund_loss > 0:
                text += f" (a gap: the insurance fund covered {money(event.insurance_fund_loss)})"
            parts.append(text)
        else:
            parts.append("still open at the end")
        return "; ".join(parts)


def stress_test(balance=1_000.0, mode="isolated", leverage=10, margin=100.0, auto_add=False, scenario="crash_50"):
    """Open a BTCUSDT long with these settings at 50,000 USDT and run it through a stress scenario.

    ``margin`` is the margin per trade: in isolated mode the margin put in the position's
    bucket; in cross mode the initial margin (the size is ``margin x leverage / price``
    either way, so both modes hold the same position). Auto-add margin is an isolated
    feature; in cross mode it is ignored. Uses :class:`margincourse.Account` and
    :meth:`~margincourse.Account.run`; raises :class:`MarginInputError` for settings the
    exchange refuses (too much leverage for the size, margin above the balance).

    >>> result = stress_test(1_000, "isolated", 10, 100, False, "crash_50")
    >>> result.liquidated, round(result.loss, 2)
    (True, 100.0)
    """
    check_choice("mode", mode, MODES)
    check_choice("scenario", scenario, STRESS_SCENARIOS)
    if not isinstance(auto_add, (bool, np.bool_)):
        raise MarginInputError(f"auto_add must be True or False, got {auto_add!r}")
    auto_add = bool(auto_add) and mode == "isolated"
    size = position_size(margin, leverage)
    account = Account(balance)
    if mode == "isolated":
        position = account.open(SYMBOL, "long", size, START_PRICE, leverage, "isolated",
                                margin=margin, auto_add_margin=auto_add)
    else:
        position = account.open(SYMBOL, "long", size, START_PRICE, leverage, "cross")
    lp = account.liquidation_price(position)
    bp = account.bankruptcy_price(position)
    max_loss = account.max_loss(position)
    position_margin = position.margin  # auto-add changes it during the run
    ratio_column = timeline_columns(account)[position.id]
    timeline = account.run(_scenario_frame(scenario))
    events = tuple(timeline.attrs.pop("events"))  # pandas deep-copies attrs on every column read
    lows, closes = _lows(scenario)
    wallet = timeline["wallet_balance"].to_numpy()
    still_open = ~np.isnan(timeline[ratio_column].to_numpy())  # NaN once the position is gone
    equity_at_low = np.where(still_open, wallet + size * (lows - START_PRICE), wallet)
    return StressResult(
        balance=float(balance), mode=mode, leverage=float(leverage), margin=float(margin), auto_add=auto_add,
        scenario=scenario, size=size, notional=size * START_PRICE, position_margin=position_margin,
        liquidation_price=lp, bankruptcy_price=bp, max_loss=max_loss, timeline=timeline,
        equity_at_low=equity_at_low, events=events,
        final_wallet=float(wallet[-1]), final_equity=float(timeline["equity"].iloc[-1]),
        worst_equity=float(min(balance, equity_at_low.min())),
    )


def _settings_label(mode, leverage, margin, auto_add):
    label = f"{mode}, {leverage:g}x, {usdt(margin, 0)} margin"
    if mode == "isolated":
        label += ", auto-add " + ("on" if auto_add else "off")
    return label


def _row(result):
    return {
        "size (BTC)": money(result.size, 4),
        "most it can take (USDT)": money(result.max_loss),
        "what happened": result.what_happened(),
        "equity at the end (USDT)": money(result.final_equity),
        "share of the account lost": percent(result.share_lost, 1),
    }


def compare_settings(settings, scenario="crash_50", balance=1_000.0):
    """One row per ``(mode, leverage, margin, auto_add)``: the same account through one scenario (a :class:`Table`)."""
    rows = []
    for mode, leverage, margin, auto_add in settings:
        result = stress_test(balance, mode, leverage, margin, auto_add, scenario)
        rows.append({"settings": _settings_label(mode, leverage, margin, result.auto_add), **_row(result)})
    return Table(pd.DataFrame(rows).set_index("settings"))


def stress_table(balance=1_000.0, modes=MODES, leverage=10, margin=100.0, auto_add=False):
    """The same trade through every stress scenario of the lesson, once per margin mode (a :class:`Table`).

    One row per scenario; for each mode, what happened and the equity at the end (the size
    and the most the trade can take are the same in every scenario: the worked example
    states them once).
    """
    rows = []
    for name in STRESS_SCENARIOS:
        row = {"scenario": name}
        for mode in modes:
            result = stress_test(balance, mode, leverage, margin, auto_add, name)
            row[f"{mode}: what happened"] = result.what_happened()
            row[f"{mode}: equity at the end (USDT)"] = money(result.final_equity)
        rows.append(row)
    return Table(pd.DataFrame(rows).set_index("scenario"))


def worked_steps(balance=1_000.0, mode="isolated", leverage=10, margin=100.0, auto_add=False,
                 scenario="wick_down_30"):
    """The worked example, step by step: one set of settings through one scenario (an :class:`Items` list)."""
    r = stress_test(balance, mode, leverage, margin, auto_add, scenario)
    lp = r.liquidation_price
    return Items([
        ("1. size = margin x leverage / price",
         f"{money(margin, 0)} x {number(leverage)} / {money(START_PRICE, 0)} = {money(r.size, 4)} BTC "
         f"(notional {usdt(r.notional)})"),
        ("2. liquidation price at entry",
         f"{usdt(lp)} ({percent(lp / START_PRICE - 1, sign=True)})" if lp > 0 else "none: price cannot fall that far"),
        ("3. most this trade can take", usdt(r.max_loss)),
        ("4. lowest price in the scenario", usdt(_scenario_frame(scenario)["low"].min())),
        ("5. what happened", r.what_happened()),
        ("6. equity at the end", f"{usdt(r.final_equity)}: {percent(r.share_lost, 1)} of the account lost"),
    ])


def _day_lows(days, seed):
    """Lowest price of each of ``days`` seeded BTC-like days, each rescaled to open at 50,000 USDT."""
    path = generate_path(days * 1440, start_price=START_PRICE, seed=seed)
    lows = path["low"].to_numpy().reshape(days, 1440)
    opens = path["open"].to_numpy().reshape(days, 1440)[:, 0]
    return lows.min(axis=1) / opens * START_PRICE


def quiet_days_table(leverages=(5, 10, 25, 50, 100), margin=100.0, days=200, seed=6):
    """Isolated longs with the same margin at different leverages, over many ordinary simulated days.

    Each day comes from the course's seeded BTC-like generator (:func:`margincourse.generate_path`,
    about 60 % annualised volatility) and is rescaled to open at 50,000 USDT; the position
    opens at the day's open and is liquidated if the day's lowest price reaches its
    liquidation price (what :meth:`~margincourse.Account.run` does, minute by minute).
    """
    day_lows = _day_lows(days, seed)
    tiers = tier_table(SYMBOL)
    rows = []
    for leverage in leverages:
        size = position_size(margin, leverage)
        lp = formulas.liquidation_price_for_tiers("long", START_PRICE, size, margin, tiers)
        rows.append({
            "leverage": f"{leverage}x",
            "size (BTC)": money(size, 4),
            "liquidation price (USDT)": money(lp),
            "fall that liquidates it": percent(lp / START_PRICE - 1),
            "days liquidated": f"{int((day_lows <= lp).sum())} of {days}",
            "loss when liquidated (USDT)": money(margin),
        })
    return pd.DataFrame(rows).set_index("leverage")


def stop_loss_fill(candles, stop_price):
    """Where a stop-loss on a long fills: ``(row, price)``, or ``None`` if never triggered.

    A simple model: the stop triggers on the first candle whose low reaches it and fills
    at the stop price, unless the candle *opened* below it (a gap), in which case it fills
    at that open. Real stop-market orders can fill lower still, at whatever the order
    book offers.
    """
    lows = candles["low"].to_numpy()
    opens = candles["open"].to_numpy()
    hit = np.nonzero(lows <= stop_price)[0]
    if hit.size == 0:
        return None
    row = int(hit[0])
    return row, float(min(opens[row], stop_price))


def stop_loss_vs_isolated(balance=1_000.0, leverage=10, margin=100.0, stop_price=48_000.0, scenario="gap_down_15"):
    """A stop-loss in cross mode against isolated margin without a stop, through a gap."""
    size = position_size(margin, leverage)
    candles = _scenario_frame(scenario)
    fill = stop_loss_fill(candles, stop_price)
    planned = -formulas.unrealized_pnl("long", START_PRICE, size, stop_price)
    stop_loss = planned if fill is None else -formulas.unrealized_pnl("long", START_PRICE, size, fill[1])
    isolated = stress_test(balance, "isolated", leverage, margin, False, scenario)
    return pd.DataFrame([
        {
            "protection": f"cross, stop-loss at {money(stop_price, 0)}",
            "loss planned (USDT)": money(planned),
            "filled at (USDT)": money(fill[1]) if fill else "not triggered",
            "loss taken (USDT)": money(stop_loss),
        },
        {
            "protection": f"isolated, {usdt(margin, 0)} margin, no stop",
            "loss planned (USDT)": money(isolated.max_loss),
            "filled at (USDT)": (f"{money(isolated.liquidations[0].price)} (liquidated)"
                                 if isolated.liquidated else "not liquidated"),
            "loss taken (USDT)": money(isolated.loss),
        },
    ]).set_index("protection")


def loss_cap_table(balance=1_000.0, leverage=10, margin=100.0):
    """The most one trade can take from the account, for each way of margining it."""
    rows = []
    for mode, auto_add in (("isolated", False), ("isolated", True), ("cross", False)):
        size = position_size(margin, leverage)
        account = Account(balance)
        kwargs = {"margin": margin, "auto_add_margin": auto_add} if mode == "isolated" else {}
        position = account.open(SYMBOL, "long", size, START_PRICE, leverage, mode, **kwargs)
        cap = account.max_loss(position)
        lp = account.liquidation_price(position)
        rows.append({
            "settings": _settings_label(mode, leverage, margin, auto_add),
            "liquidation price at entry (USDT)": money(lp) if lp > 0 else "none (cannot fall that far)",
            "most this trade can take (USDT)": money(cap),
            "share of the account": percent(cap / balance, 1),
        })
    return pd.DataFrame(rows).set_index("settings")


def cross_cap_table(balance=1_000.0, margin=100.0, leverages=(2, 5, 10, 20)):
    """The most one cross trade can take, long and short, as its notional grows (``Account.max_loss``).

    The whole cross wallet backs a cross position either way. A short's loss has no
    ceiling (the price can rise without limit), so it can take the whole wallet at any
    size; a long cannot lose more than its notional (the price cannot fall below zero),
    so it takes the whole wallet only once its notional reaches the wallet.
    """
    rows = []
    for leverage in leverages:
        size = position_size(margin, leverage)
        row = {"settings": _settings_label("cross", leverage, margin, False),
               "notional (USDT)": money(size * START_PRICE)}
        for side in ("long", "short"):
            account = Account(balance)
            position = account.open(SYMBOL, side, size, START_PRICE, leverage, "cross")
            row[f"most a {side} can take (USDT)"] = money(account.max_loss(position))
        rows.append(row)
    return pd.DataFrame(rows).set_index("settings")


def cross_exposure(balance=1_000.0, leverage=10, margin=100.0, leverages=(2, 5, 10, 20)):
    """Mistake 1 in numbers, as a collapsed "Going deeper" section: what one trade can take, by mode and by side."""
    return Deeper(
        "how much one trade can take, by mode and by side",
        "The package's `Account.max_loss` says how much each setting puts at risk. In isolated mode it is the "
        "margin in the position's bucket, unless auto-add margin refills it; in cross mode the whole cross "
        "wallet backs the position:",
        Table(loss_cap_table(balance, leverage, margin)),
        "How much of the wallet a cross trade can take depends on its side. A short can lose the whole wallet at "
        "any size, because the price has no ceiling. A long cannot lose more than its notional, because the price "
        "cannot fall below zero: it can take the whole wallet once its notional is as large as the wallet. The "
        f"same {usdt(margin, 0)} of margin in cross mode, at several leverages:",
        Table(cross_cap_table(balance, margin, leverages)),
    )


def stop_loss_gap(balance=1_000.0, leverage=10, margin=100.0, stop_price=48_000.0, scenario="gap_down_15"):
    """Trap 2 in numbers, as a collapsed "Going deeper" section: a stop-loss and an isolated margin through a gap."""
    table = stop_loss_vs_isolated(balance, leverage, margin, stop_price, scenario)
    return Deeper(
        "a stop-loss and an isolated margin through the same gap",
        f"The {number(leverage)}x long with {usdt(margin, 0)} of margin meets `{scenario}` (the price jumps "
        f"{percent(1 - _scenario_frame(scenario)['low'].min() / START_PRICE, 0)} lower between two candles), once "
        f"in cross with a stop-loss at {money(stop_price, 0)} and once isolated with no stop:",
        Table(table),
        "The stop filled at the first price after the gap and lost far more than planned (a simple model: a real "
        "stop-market order can fill lower still, at whatever the order book offers). The isolated position was "
        "liquidated through the same gap, past its bankruptcy price, yet cost exactly its margin: the insurance "
        "fund absorbs a loss beyond the collateral (Bybit, *Bankruptcy Price (USDT Contract)*; Binance, "
        "*Binance Futures Liquidation Protocols*).",
    )


def checklist(balance=1_000.0, mode="isolated", leverage=10, margin=100.0, auto_add=False):
    """The pre-trade checklist, filled in with the numbers of one trade (an :class:`Items` list)."""
    auto_add = bool(auto_add) and mode == "isolated"
    results = [stress_test(balance, mode, leverage, margin, auto_add, name) for name in STRESS_SCENARIOS]
    first = results[0]
    lp = first.liquidation_price
    hit = [r.scenario for r in results if r.liquidated]
    if mode == "isolated":
        mode_text = f"isolated: {usdt(first.position_margin)} in the position's own bucket"
    else:
        mode_text = f"cross: the whole cross wallet ({usdt(balance)}) backs this trade"
    auto_text = {
        ("isolated", False): "off: the isolated margin is a hard cap",
        ("isolated", True): "on: the cap is gone, the available balance tops the position up",
        ("cross", False): "not applicable (cross already uses the whole wallet)",
    }[(mode, auto_add)]
    rows = [
        ("margin mode checked", mode_text),
        ("leverage chosen on purpose",
         f"{leverage:g}x: a {percent(1 / leverage)} fall equals the whole initial margin"),
        ("liquidation price known",
         f"{usdt(lp)}, a {percent(lp / START_PRICE - 1)} move" if lp > 0 else "none: price cannot fall that far"),
        ("far enough from the entry",
         f"liquidated in {len(hit)} of {len(results)} stress scenarios" + (f" ({', '.join(hit)})" if hit else "")),
        ("auto-add margin", auto_text),
        ("budget: the most this trade can take",
         f"{usdt(first.max_loss)}, {percent(first.max_loss / balance, 1)} of the account"),
    ]
    return Items(rows)


# ----------------------------------------------------------------------------- dashboard

#: Binance's haircut for BTC, ETH and BNB in Multi-Assets Mode (FAQ "What Is Multi-Assets Mode and Which
#: Assets Are Supported?": "a 5% value haircut").
BINANCE_BTC_HAIRCUT = 0.05


def coin_collateral_table(size=0.1, entry=50_000.0, backing=1_000.0, haircut=BINANCE_BTC_HAIRCUT, mmr=None):
    """The lesson's 50x trade in cross, backed by ``backing`` USD as USDT or as BTC counted with ``haircut``:
    what the backing counts for at entry, and the long's and the short's liquidation prices."""
    if mmr is None:
        mmr = float(tier_table("BTCUSDT").lookup(size * entry)[0])
    coin = backing / entry
    rows = {}
    for label, usdt_part, coin_part, cut in (("1,000 USDT", backing, 0.0, 0.0),
                                             (f"{number(coin)} BTC, {percent(haircut, 0)} haircut", 0.0, coin, haircut)):
        counted = usdt_part + collateral.collateral_value(coin_part, entry, cut)
        lps = [collateral.liquidation_price_with_coin_collateral(side, entry, size, usdt_part, coin_part, cut, mmr)
               for side in ("long", "short")]
        rows[label] = {"counts as margin at entry (USD)": money(counted),
                       f"liquidation price of a {number(size)} BTC long": money(lps[0], 1),
                       f"... of a {number(size)} BTC short": money(lps[1], 1)}
    frame = pd.DataFrame(rows).T
    frame.index.name = "cross wallet"
    return frame


def multi_asset_deeper(size=0.1, entry=50_000.0, backing=1_000.0, haircut=BINANCE_BTC_HAIRCUT):
    """Going deeper: multi-asset and unified accounts, collateral counted with a haircut, and what is not modelled."""
    frame = coin_collateral_table(size, entry, backing, haircut)
    bnb = collateral.collateral_value(1, 1_000, haircut)
    return Deeper(
        "multi-asset and unified accounts: collateral with a haircut",
        "Everywhere else in the course the cross wallet holds USDT. Multi-asset modes also count other coins as "
        "margin, at a discount. Binance's FAQ *\"What Is Multi-Assets Mode and Which Assets Are Supported?\"* "
        "(cross margin only): BTC, ETH and BNB \"will receive a 5% value haircut\"; BNB worth 1,000 USD "
        f"counts as {money(bnb, 0)} (`mc.collateral_value(1, 1_000, 0.05)`). Bybit's *\"Understanding Collateral "
        "Value Ratios in Unified Trading Account\"* counts each asset at quantity × USD index price × collateral "
        "value ratio, the ratio falling in tiers as a holding grows (0.98 for the first 10 BTC in its example "
        f"table). Lesson 4's 50x trade of {number(size)} BTC at {money(entry, 0)} in cross, the wallet worth "
        f"{money(backing, 0)} USD either way:",
        Table(frame),
        "BTC behind a BTC long falls exactly when the long loses: collateral and position lose together, and "
        "the liquidation price comes closer. Behind a short the same BTC gains when the short loses, and the "
        "liquidation price moves away despite the haircut. These prices are the course's model (Binance's "
        "liquidation condition, with the coin valued at the mark price after the haircut, "
        "`mc.liquidation_price_with_coin_collateral`), not a formula an exchange publishes. Not modelled: "
        "tiered ratios, Binance's automatic exchange of a negative USDT balance into the collateral coin, "
        "borrowing and interest in unified accounts, and **portfolio margin**, which Bybit's *\"Margin "
        "Calculations under Portfolio Margin (Unified Trading Account)\"* describes as a risk-based policy "
        "that stress-tests the whole portfolio instead of charging each position its tier's rate.",
    )


def _readout(r):
    lp = r.liquidation_price
    lp_text = (f"{usdt(lp)} ({percent(lp / START_PRICE - 1, sign=True)})" if lp > 0
               else "none: price cannot fall that far")
    if r.mode == "isolated":
        backing = f"its own {usdt(r.position_margin)}, auto-add {'on' if r.auto_add else 'off'}"
    else:
        backing = f"the whole cross wallet, {usdt(r.balance)}"
    return {
        "margin per trade": f"{usdt(r.margin)} ({percent(r.margin / r.balance, 0)} of the account)",
        "position": f"{money(r.size, 4)} BTC long at {money(START_PRICE, 0)} (notional {usdt(r.notional)})",
        "margin behind it": backing,
        "liquidation price at entry": lp_text,
        "most this trade can take": f"{usdt(r.max_loss)} ({percent(r.max_loss / r.balance, 1)} of the account)",
        "what happened": r.what_happened(),
        "worst equity": f"{usdt(r.worst_equity)} ({percent(r.worst_equity / r.balance, 1)} of the start)",
        "equity at the end": usdt(r.final_equity),
        "share of the account lost": percent(r.share_lost, 1),
    }


def _stress_figure():
    """The dashboard's figure: the scenario's price above, the account (in % of the start) below."""
    minutes = np.arange(CANDLES)
    figure, (price_ax, money_ax) = new_figure(2, 1, figsize=(8.4, 5.2), sharex=True)
    with style():
        (low_line,) = price_ax.plot(minutes, minutes * 0.0, color=COLORS["price"], linewidth=0.8, alpha=0.5,
                                    label="candle low")
        (close_line,) = price_ax.plot(minutes, minutes * 0.0, color=COLORS["price"], linewidth=1.4, label="close")
        price_ax.axhline(START_PRICE, color=COLORS["entry"], linestyle="--", linewidth=1, label="entry 50,000")
        liq_line = price_ax.axhline(np.nan, color=COLORS["liquidation"], linewidth=1.2,
                                    label="liquidation price at entry")
        (liq_marks,) = price_ax.plot([], [], "X", color=COLORS["liquidation"], markersize=10, label="liquidated")
        (add_marks,) = price_ax.plot([], [], "^", color=COLORS["cross"], markersize=7, label="margin auto-added")
        price_ax.set_ylim(20_000, 56_000)
        price_ax.set_xlim(0, CANDLES - 1)
        price_ax.set_ylabel("BTCUSDT (USDT)")
        usdt_axis(price_ax.yaxis)
        price_ax.set_title("Your settings through a stress scenario")
        figure.legend(*price_ax.get_legend_handles_labels(), loc="outside right upper", fontsize=10)  # off the data
        (wallet_line,) = money_ax.plot(minutes, minutes * 0.0, color=COLORS["wallet"], drawstyle="steps-post",
                                       label="wallet balance")
        (equity_line,) = money_ax.plot(minutes, minutes * 0.0, color=COLORS["equity"], linewidth=1.2,
                                       label="equity at each candle's low")
        money_ax.axhline(100, color=COLORS["bankruptcy"], linestyle=":", linewidth=1)
        money_ax.set_ylim(-5, 110)
        money_ax.set_ylabel("% of the starting balance")
        money_ax.set_xlabel("time (minutes)")
        figure.legend(*money_ax.get_legend_handles_labels(), loc="outside right lower", fontsize=10)
    artists = dict(low=low_line, close=close_line, liq=liq_line, liq_marks=liq_marks, add_marks=add_marks,
                   wallet=wallet_line, equity=equity_line)
    return figure, artists


MARGIN_PERCENT = (5.0, 100.0)  # margin per trade, % of the account: at 5 % auto-add can fire at most 19 times


def dashboard(balance=1_000.0, mode="isolated", leverage=10, margin_percent=10.0, auto_add="off",
              scenario="crash_50"):
    """Stress-test your own settings: balance, mode, leverage, margin per trade, auto-add, scenario.

    The margin per trade is a share of the account (5 % to 100 %), the way a budget is set.
    """
    controls = {
        "balance": price_slider("account balance (USDT)", balance, 100.0, 10_000.0, 100.0),
        "mode": choice("margin mode", list(MODES), mode),
        "leverage": leverage_slider(leverage, int(contract(SYMBOL).max_leverage)),
        "margin_percent": price_slider("margin per trade (% of the account)", margin_percent, *MARGIN_PERCENT, 1.0),
        "auto_add": choice("auto-add margin", ["off", "on"], auto_add),
        "scenario": choice("scenario", list(STRESS_SCENARIOS), scenario),
    }
    for name in STRESS_SCENARIOS:  # build every scenario once, before the first slider move
        _lows(name)
    figure, a = _stress_figure()

    def update(balance, mode, leverage, margin_percent, auto_add, scenario):
        r = stress_test(balance, mode, leverage, round(balance * margin_percent / 100, 2), auto_add == "on", scenario)
        lows, closes = _lows(scenario)
        a["low"].set_ydata(lows)
        a["close"].set_ydata(closes)
        lp = r.liquidation_price
        a["liq"].set_ydata([lp if lp > 0 else np.nan] * 2)
        a["liq_marks"].set_data([r.minute(e) for e in r.liquidations], [e.price for e in r.liquidations])
        a["add_marks"].set_data([r.minute(e) for e in r.auto_adds], [e.price for e in r.auto_adds])
        a["wallet"].set_ydata(r.timeline["wallet_balance"].to_numpy() / r.balance * 100)
        a["equity"].set_ydata(r.equity_at_low / r.balance * 100)
        readout = _readout(r)
        if mode == "cross" and auto_add == "on":
            readout["margin behind it"] += " (auto-add is an isolated-margin feature: ignored)"
        return readout

    return Dashboard(
        "Stress-test your settings", controls, figure, update,
        animated=list(a.values()),
        note="A BTCUSDT long opened at 50,000 USDT; size = margin x leverage / price, in whole contracts. No fees.",
    )


# ----------------------------------------------------------------------------- questions

def questions():
    """Check-your-understanding questions for lesson 6."""
    cross_loss = stress_test(1_000, "cross", 10, 100, False, "crash_50").loss
    auto_loss = stress_test(1_000, "isolated", 10, 100, True, "crash_50").loss
    hundred = stress_test(1_000, "isolated", 100, 100, False, "crash_50")
    fall = percent(1 - hundred.liquidation_price / START_PRICE)
    capped = f"The loss is still capped at 100 USDT, but a fall of only {fall} liquidates the position."
    structural = ("A stop-loss is an order that fills at the market price, which can gap past it; the isolated "
                  "margin limits what the position can take from your account whatever the price does.")
    inference = "The CryptoEdTech article infers it from the trade-offs; no exchange states it as a rule."
    return [
        Question(
            "Your exchange opened your 100 USDT, 10x BTC long in cross mode (its default) in a 1,000 USDT "
            "account. BTC then halves (the crash_50 scenario). How much of the account is gone at the end?",
            {
                "100 USDT": "That would be the cap in isolated mode. In cross the whole wallet backs the trade.",
                usdt(cross_loss, 0): "Cross is never liquidated here, so the position keeps losing, "
                                           "paid from the whole wallet.",
                "0 USDT": "Not being liquidated is not the same as not losing: the loss is still there, "
                          "unrealized.",
            },
            answer=usdt(cross_loss, 0),
        ),
        Question(
            "You use isolated margin, so you raise the leverage to 100x with 100 USDT of margin. What is true?",
            {
                "Isolated margin makes the leverage harmless: the position cannot lose more than 100 USDT, "
                "so it is as safe as 10x.":
                    "The cap is the same, but at 100x an ordinary minute can take it all.",
                capped: "Isolation caps the loss; leverage decides how little it takes to lose it.",
                "At 100x the position can take the whole account.":
                    "Not in isolated mode with auto-add off: only its own bucket is at risk.",
            },
            answer=capped,
        ),
        Question(
            "An isolated 100 USDT, 10x position has auto-add margin switched on, in a 1,000 USDT account. "
            "BTC halves. How much does the account lose?",
            {
                "100 USDT": "That is the cap with auto-add off. Auto-add keeps refilling the bucket from your balance.",
                "1,000 USDT": "Auto-add could move up to 1,000 USDT in (it stops at 1x leverage), but a fall "
                              "to half the price loses half of the position's value, not all of it.",
                usdt(auto_loss, 0): "Each time the liquidation price is reached, the exchange moves more of "
                                          "your balance in, until the position is at 1x: the cap is gone.",
            },
            answer=usdt(auto_loss, 0),
        ),
        Question(
            "Why does Richra's article call isolated margin a structural cap, and a stop-loss not?",
            {
                "Stop-losses are not allowed in isolated mode.":
                    "They are allowed in both modes; the two protections work together.",
                structural: "A gap can fill a stop far below its price; the isolated bucket is all the exchange "
                            "can take (plus fees), and the insurance fund covers a gap beyond it.",
                "Isolated positions are never liquidated.":
                    "They are liquidated, sooner than cross ones; the point is that the loss stops at the bucket.",
            },
            answer=structural,
        ),
        Question(
            "\"Learn with isolated, move to cross only when you understand account-level exposure.\" "
            "Where does this rule come from?",
            {
                "It is an exchange rule: beginners must use isolated margin.":
                    "Exchanges let anyone pick either mode, and some default to cross.",
                "It is a law of margin math.":
                    "It is a judgement about risk, drawn from the trade-offs of the two modes.",
                inference: "The article says so itself: an inference from the trade-offs, not a rule from one "
                           "exchange. It is sensible advice, not an exchange requirement.",
            },
            answer=inference,
        ),
    ]
