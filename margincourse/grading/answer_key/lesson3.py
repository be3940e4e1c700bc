"""Exercise 3, liquidation: Binance's liquidation price, bankruptcy price, tiers, a wick.

Every expected value is computed by the engine (:mod:`margincourse.engine.formulas`, the shipped
Binance BTCUSDT tiers, :class:`margincourse.Account` over :func:`margincourse.scenario`).
"""

from functools import lru_cache

import numpy as np

from ...engine import formulas as f
from ...engine.account import Account
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion
from ...engine.paths import scenario
from ...engine.specs import tier_table

TICK = "(Answers within 0.1 USDT count, so rounding to BTCUSDT's 0.1 tick is fine.)"


def _binance():
    return tier_table("BTCUSDT", "binance")


# q1, q4: isolated long, 0.04 BTC at 60,000, 20x.
L_SIZE, L_ENTRY, L_LEVERAGE = 0.04, 60_000, 20
# q2, q3: isolated short, 0.5 BTC at 64,000, 25x.
S_SIZE, S_ENTRY, S_LEVERAGE = 0.5, 64_000, 25
# q5: isolated long whose notional at the liquidation price falls into a lower tier.
T_SIZE, T_ENTRY, T_LEVERAGE = 12, 52_000, 10
# q7, q8: the lesson's 10x long through crash_50, with Binance's liquidation fee.
R_SIZE, R_ENTRY, R_LEVERAGE, R_FEE, R_SCENARIO = 0.02, 50_000, 10, 0.0125, "crash_50"


def _margin(size, entry, leverage):
    return f.initial_margin(size, entry, leverage)


def _tier1():
    return _binance().tiers[0]


def _long_lp():
    return f.liquidation_price_for_tiers("long", L_ENTRY, L_SIZE, _margin(L_SIZE, L_ENTRY, L_LEVERAGE), _binance())


def _short_lp():
    return f.liquidation_price_for_tiers("short", S_ENTRY, S_SIZE, _margin(S_SIZE, S_ENTRY, S_LEVERAGE), _binance())


def _tier_lp():
    return f.liquidation_price_for_tiers("long", T_ENTRY, T_SIZE, _margin(T_SIZE, T_ENTRY, T_LEVERAGE), _binance())


def _tier_at_entry_lp():
    tier = _binance().tier_for(f.notional(T_SIZE, T_ENTRY))
    return f.liquidation_price("long", T_ENTRY, T_SIZE, _margin(T_SIZE, T_ENTRY, T_LEVERAGE), tier.mmr,
                               tier.maintenance_amount)


def _tier_no_amount_lp():
    tier = _binance().tier_for(f.notional(T_SIZE, _tier_lp()))
    return f.liquidation_price("long", T_ENTRY, T_SIZE, _margin(T_SIZE, T_ENTRY, T_LEVERAGE), tier.mmr)


@lru_cache(maxsize=None)
def _run():
    """(timeline, liquidation price at entry, account) of the crash_50 run."""
    account = Account(1_000, liquidation_fee=R_FEE)
    position = account.open("BTCUSDT", "long", R_SIZE, R_ENTRY, leverage=R_LEVERAGE, mode="isolated")
    lp = account.liquidation_price(position)
    timeline = account.run(scenario(R_SCENARIO, start_price=R_ENTRY))
    return timeline, lp, account


def _liquidation_row():
    timeline = _run()[0]
    return int(np.flatnonzero(timeline["events"].to_numpy() != "")[0])


def _margin_minus_maintenance_lost():
    lp = _run()[1]
    margin = _margin(R_SIZE, R_ENTRY, R_LEVERAGE)
    return 1_000 - (margin - _binance().maintenance_margin(f.notional(R_SIZE, lp)))


def _fee_on_top():
    lp = _run()[1]
    return _run()[2].wallet_balance - R_FEE * f.notional(R_SIZE, lp)


# q6: write liquidation_price_short.
def _short_reference(entry_price, size, margin, mmr, maintenance_amount):
    return f.liquidation_price("short", entry_price, size, margin, mmr, maintenance_amount)


def _short_with_long_formula(entry_price, size, margin, mmr, maintenance_amount):
    return f.liquidation_price("long", entry_price, size, margin, mmr, maintenance_amount)


def _short_without_amount(entry_price, size, margin, mmr, maintenance_amount):
    return f.liquidation_price("short", entry_price, size, margin, mmr)


def _short_amount_subtracted(entry_price, size, margin, mmr, maintenance_amount):
    return (margin - maintenance_amount + size * entry_price) / (size * mmr + size)


def _short_bankruptcy(entry_price, size, margin, mmr, maintenance_amount):
    return f.bankruptcy_price("short", entry_price, size, margin)


SHORT_CASES = (
    (64_000, 0.5, 1_280, 0.004, 0),
    (50_000, 0.02, 100, 0.004, 0),
    (60_000, 12, 72_000, 0.0065, 950),
    (30_000, 2, 60_000, 0.005, 50),
    (52_000, 12, 62_400, 0.005, 50),
)


QUESTIONS = (
    NumberQuestion(
        id="q1",
        prompt=f"An isolated long of {L_SIZE} BTC at {L_ENTRY:,} USDT with {L_LEVERAGE}x leverage, opened with "
               "its initial margin, in Binance's tier 1 (MMR 0.4 %, maintenance amount 0). What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=_long_lp,
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin (put the MMR in).",
                    lambda: f.bankruptcy_price("long", L_ENTRY, L_SIZE, _margin(L_SIZE, L_ENTRY, L_LEVERAGE))),
            Mistake("It looks like you used the short's formula: for a long, side = +1.",
                    lambda: f.liquidation_price("short", L_ENTRY, L_SIZE, _margin(L_SIZE, L_ENTRY, L_LEVERAGE),
                                                _tier1().mmr)),
            Mistake("It looks like you used the notional as the wallet balance: the isolated margin is the "
                    "notional divided by the leverage.",
                    lambda: f.liquidation_price("long", L_ENTRY, L_SIZE, f.notional(L_SIZE, L_ENTRY), _tier1().mmr)),
            Mistake("It looks like you computed the maintenance margin at the entry price (Bybit's way). "
                    "Binance's formula takes it at the liquidation price itself.",
                    lambda: f.bybit_liquidation_price("long", L_ENTRY, L_LEVERAGE, _tier1().mmr)),
        ),
        hint="LP = (WB + cum - side x Q x EP) / (Q x MMR - side x Q), with WB = the isolated margin and side = +1.",
    ),
    NumberQuestion(
        id="q2",
        prompt=f"An isolated short of {S_SIZE} BTC at {S_ENTRY:,} USDT with {S_LEVERAGE}x leverage, opened with "
               "its initial margin, in Binance's tier 1 (MMR 0.4 %, maintenance amount 0). What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=_short_lp,
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the long's formula: for a short, side = -1, so both signs in "
                    "the formula flip (and the liquidation price is above the entry).",
                    lambda: f.liquidation_price("long", S_ENTRY, S_SIZE, _margin(S_SIZE, S_ENTRY, S_LEVERAGE),
                                                _tier1().mmr)),
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin.",
                    lambda: f.bankruptcy_price("short", S_ENTRY, S_SIZE, _margin(S_SIZE, S_ENTRY, S_LEVERAGE))),
            Mistake("It looks like you computed the maintenance margin at the entry price (Bybit's way). "
                    "Binance's formula takes it at the liquidation price itself.",
                    lambda: f.bybit_liquidation_price("short", S_ENTRY, S_LEVERAGE, _tier1().mmr)),
            Mistake("It looks like you used the notional as the wallet balance: the isolated margin is the "
                    "notional divided by the leverage.",
                    lambda: f.liquidation_price("short", S_ENTRY, S_SIZE, f.notional(S_SIZE, S_ENTRY),
                                                _tier1().mmr)),
        ),
        hint="For a short, side = -1: LP = (WB + cum + Q x EP) / (Q x MMR + Q).",
    ),
    NumberQuestion(
        id="q3",
        prompt=f"The bankruptcy price of the short in q2 ({S_SIZE} BTC at {S_ENTRY:,} USDT, {S_LEVERAGE}x, "
               f"isolated), in USDT. {TICK}",
        expected=lambda: f.bankruptcy_price("short", S_ENTRY, S_SIZE, _margin(S_SIZE, S_ENTRY, S_LEVERAGE)),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the long's version: a short loses when the price rises, so its "
                    "bankruptcy price is above the entry.",
                    lambda: f.bankruptcy_price("long", S_ENTRY, S_SIZE, _margin(S_SIZE, S_ENTRY, S_LEVERAGE))),
            Mistake("That is the liquidation price. The bankruptcy price is where the margin is used up "
                    "completely: margin + unrealized PnL = 0, with no maintenance margin left.", _short_lp),
        ),
        hint="Margin balance = margin + side x Q x (P - EP) = 0, solved for P.",
    ),
    NumberQuestion(
        id="q4",
        prompt="How far is the liquidation price of q1's long from its entry price, as a percentage of the entry "
               "price, negative for a fall, with two decimals (for example -7.25 for a fall of 7.25 %)? "
               "(Answers within 0.01 percentage points count.)",
        expected=lambda: (_long_lp() / L_ENTRY - 1) * 100,
        unit="%",
        tolerance=0.01,
        mistakes=(
            Mistake("That is 1 / leverage, the fall that uses up the whole margin (the distance to the "
                    "bankruptcy price). Liquidation comes a little earlier.",
                    lambda: -100 / L_LEVERAGE),
            Mistake("It looks like you divided by the liquidation price: measure the move relative to the "
                    "entry price, (LP - EP) / EP.",
                    lambda: -(L_ENTRY / _long_lp() - 1) * 100),
        ),
        hint="(LP - entry) / entry x 100.",
    ),
    NumberQuestion(
        id="q5",
        prompt=f"An isolated long of {T_SIZE} BTC at {T_ENTRY:,} USDT with {T_LEVERAGE}x leverage, opened with its "
               "initial margin, on Binance (tier table above). Its notional at entry is in tier 3. What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=_tier_lp,
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the tier at entry. Binance's FAQ: if the notional at the "
                    "liquidation price falls in another tier, recompute with that tier's MMR and maintenance "
                    "amount. Check the notional Q x LP.", _tier_at_entry_lp),
            Mistake("Right tier, but the maintenance amount is missing (cum = 0): every tier above the first "
                    "has one, and it goes into the numerator.", _tier_no_amount_lp),
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin.",
                    lambda: f.bankruptcy_price("long", T_ENTRY, T_SIZE, _margin(T_SIZE, T_ENTRY, T_LEVERAGE))),
        ),
        hint="Compute LP with the entry's tier, look at the notional Q x LP, and recompute if it is in another tier.",
    ),
    FunctionQuestion(
        id="q6",
        prompt="Write liquidation_price_short(entry_price, size, margin, mmr, maintenance_amount): Binance's "
               "liquidation price, in USDT, of an isolated short of `size` BTC with `margin` USDT of isolated "
               "margin, in the tier with rate `mmr` and maintenance amount `maintenance_amount`.",
        reference_function=_short_reference,
        cases=SHORT_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("These are a long's liquidation prices: for a short, side = -1, so LP = (WB + cum + Q x EP) "
                    "/ (Q x MMR + Q).", _short_with_long_formula),
            Mistake("Right when the maintenance amount is 0, wrong otherwise: it is added in the numerator.",
                    _short_without_amount),
            Mistake("The maintenance amount has the wrong sign: it is added in the numerator.",
                    _short_amount_subtracted),
            Mistake("These are bankruptcy prices: the maintenance margin rate and amount are missing.",
                    _short_bankruptcy),
        ),
        hint="LP = (margin + maintenance_amount + size x entry_price) / (size x mmr + size).",
    ),
    NumberQuestion(
        id="q7",
        prompt=f"The lesson's account (1,000 USDT, Binance's {R_FEE * 100:g} % liquidation fee) opens an isolated long "
               f"of {R_SIZE} BTC at {R_ENTRY:,} USDT with {R_LEVERAGE}x and runs through the `{R_SCENARIO}` "
               "scenario (the cell above). In which candle is the position liquidated? Give the row number of "
               "the timeline, counting from 0.",
        expected=_liquidation_row,
        tolerance=0.0,
        relative=0.0,
        mistakes=(
            Mistake("One row too late. Count the rows from 0 (the first candle is row 0), and look at each "
                    "candle's low, not its close: the mark price passes through the low, and that triggers the "
                    "liquidation.", lambda: _liquidation_row() + 1),
        ),
        hint="Find the first row whose `events` text is not empty (or the first candle whose low reaches the "
             "liquidation price).",
    ),
    NumberQuestion(
        id="q8",
        prompt="In the same run, what is the account's wallet balance after the liquidation, in USDT? "
               "(Answers within 0.01 USDT count.)",
        expected=lambda: _run()[2].wallet_balance,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you thought the trader keeps the margin balance left at the liquidation price "
                    "(margin minus maintenance). The position is settled at the bankruptcy price: the whole "
                    "isolated margin is lost, the remainder pays the fee and goes to the insurance fund.",
                    _margin_minus_maintenance_lost),
            Mistake("The liquidation fee is not charged on top: it is paid out of the liquidated margin, never "
                    "from the rest of the wallet.", _fee_on_top),
            Mistake("That is what the position would have lost had it stayed open to the end. The isolated "
                    "position stops losing when it is liquidated.",
                    lambda: 1_000 + f.unrealized_pnl("long", R_ENTRY, R_SIZE,
                                                     float(scenario(R_SCENARIO, start_price=R_ENTRY)["close"].iloc[-1]))),
        ),
        hint="What backs an isolated position, and what happens to all of it at liquidation?",
    ),
)
