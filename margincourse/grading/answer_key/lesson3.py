"""Exercise 3, liquidation: Binance's liquidation price, bankruptcy price, tiers, a wick, steps, ADL.

Every expected value is computed by the engine (:mod:`margincourse.engine.formulas`, the shipped
Binance BTCUSDT tiers, :class:`margincourse.Account` over :func:`margincourse.scenario`; stepped
liquidation by :func:`margincourse.reduce_to_lower_tier`, after Bybit's "Liquidation Process (USDT
Contract)" and "Binance Futures Liquidation Protocols"; auto-deleveraging by
:func:`margincourse.adl_ranking` and :func:`margincourse.deleverage`, after Binance's "What Is
Auto-Deleveraging (ADL) and How Does It Work?").
"""

from functools import lru_cache

import numpy as np

from ...engine import formulas as f
from ...engine.account import Account
from ...engine.adl import Counterparty, adl_ranking, deleverage
from ...engine.liquidation import reduce_to_lower_tier
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
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
# q9-q11: a large isolated long (tier 3 at entry) liquidated in steps.
P_SIZE, P_ENTRY, P_LEVERAGE, P_CONTRACT = 30, 64_000, 10, 0.0001
# q12-q15: a bankrupt isolated short, the insurance fund, and three longs on the other side.
A_SIZE, A_ENTRY, A_LEVERAGE, A_GAP_PRICE, A_FUND = 4, 40_000, 25, 43_000, 1_750
A_LONGS = (
    Counterparty("P", "long", 2, 30_000, 20_000),
    Counterparty("Q", "long", 1, 38_000, 1_900),
    Counterparty("R", "long", 2, 41_000, 8_200),
)


def _margin(size, entry, leverage):
    return f.initial_margin(size, entry, leverage)


def _tier1():
    return _binance().tiers[0]


def _isolated_lp(side, size, entry, leverage):
    """Binance's liquidation price of an isolated position opened with its initial margin, in the tier
    of its notional at that price (every question's position: q1's long, q2's short, q5's tier 3 long)."""
    return f.liquidation_price_for_tiers(side, entry, size, _margin(size, entry, leverage), _binance())


def _tier_at_entry_lp(size=T_SIZE, entry=T_ENTRY, leverage=T_LEVERAGE):
    tier = _binance().tier_for(f.notional(size, entry))
    return f.liquidation_price("long", entry, size, _margin(size, entry, leverage), tier.mmr,
                               tier.maintenance_amount)


def _tier_no_amount_lp(size=T_SIZE, entry=T_ENTRY, leverage=T_LEVERAGE):
    tier = _binance().tier_for(f.notional(size, _isolated_lp("long", size, entry, leverage)))
    return f.liquidation_price("long", entry, size, _margin(size, entry, leverage), tier.mmr)


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


# q9-q11: stepped liquidation.
def _big_margin():
    return _margin(P_SIZE, P_ENTRY, P_LEVERAGE)


def _big_lp():
    return f.liquidation_price_for_tiers("long", P_ENTRY, P_SIZE, _big_margin(), _binance())


def _big_step(fee=0.0):
    return reduce_to_lower_tier("long", P_ENTRY, P_SIZE, _big_margin(), _big_lp(), _binance(), P_CONTRACT, fee)


def _cut_to(cap, price):
    """BTC closed when the long is cut to the whole contracts below ``cap`` at ``price``."""
    return P_SIZE - np.floor(cap / price / P_CONTRACT + 1e-9) * P_CONTRACT


# q12-q15: auto-deleveraging.
def _a_bankruptcy():
    return f.bankruptcy_price("short", A_ENTRY, A_SIZE, _margin(A_SIZE, A_ENTRY, A_LEVERAGE))


@lru_cache(maxsize=None)
def _a_result():
    return deleverage("short", A_SIZE, _a_bankruptcy(), A_GAP_PRICE, A_FUND, A_LONGS)


def _a_first():
    return adl_ranking(A_LONGS, A_GAP_PRICE)["name"].iloc[0]


def _a_fill(rank):
    return _a_result().fills[rank - 1]


def _by_profit_only():
    return max(A_LONGS, key=lambda c: c.unrealized_pnl(A_GAP_PRICE)).name


def _long_text(c):
    leverage = round(c.size * c.entry_price / c.wallet_balance)
    return (f"{c.name}: {c.size:g} BTC long from {c.entry_price:,.0f} at {leverage}x, "
            f"{c.unrealized_pnl(A_GAP_PRICE):,.0f} USDT in profit at the mark")


def _options_ranking():
    """The four options of q12 (the right one, computed by the engine's ranking, last in the list)."""
    by_name = {c.name: c for c in A_LONGS}
    first, richest = by_name[_a_first()], by_name[_by_profit_only()]
    others = [c for c in A_LONGS if c is not first and c is not richest]
    fund = "none: the insurance fund pays the winners in full"
    options = {
        _long_text(richest): "Not by profit alone: Binance ranks by profit as a share of the collateral times the "
                             "margin ratio. A big profit on a low-leverage position (lots of collateral) ranks low.",
        fund: f"The fund holds only {A_FUND:,} USDT, less than the loss past the short's margin: ADL takes the rest, "
              "from the best-ranked winners.",
        _long_text(others[0]): "Its profit and its leverage are both in the middle: Leverage Pnl puts it second.",
        _long_text(first): "Its profit is small in USDT, but large next to its thin collateral at high leverage: "
                           "Leverage Pnl = Pnl Percent x Margin Ratio is the highest of the three.",
    }
    return options


def _adl_reference(side, quantity, bankruptcy_price, price, insurance_fund):
    return deleverage(side, quantity, bankruptcy_price, price, insurance_fund, []).quantity_deleveraged


def _adl_ignoring_the_fund(side, quantity, bankruptcy_price, price, insurance_fund):
    return quantity if f.side_sign(side) * (bankruptcy_price - price) > 0 else 0.0


def _adl_long_formula_for_shorts(side, quantity, bankruptcy_price, price, insurance_fund):
    return _adl_reference("long", quantity, bankruptcy_price, price, insurance_fund)


def _adl_fund_always_pays(side, quantity, bankruptcy_price, price, insurance_fund):
    return 0.0


def _adl_fund_at_the_price(side, quantity, bankruptcy_price, price, insurance_fund):
    if f.side_sign(side) * (bankruptcy_price - price) <= 0:
        return 0.0
    return max(quantity - insurance_fund / price, 0.0)


ADL_CASES = (
    ("long", 2, 47_500, 45_000, 0),
    ("short", 4, 41_600, 43_000, 1_750),
    ("long", 1, 49_000, 48_000, 5_000),
    ("short", 0.5, 30_000, 30_600, 100),
    ("long", 3, 20_000, 19_000, 1_500),
)


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


def _q1(size=L_SIZE, entry=L_ENTRY):
    # The leverage stays: q4 asks about "q1's long", and its answer, (LP / entry - 1) x 100 in tier 1 with
    # cum = 0, depends on the leverage and the MMR only, so it holds for every size and entry dealt here.
    leverage = L_LEVERAGE
    return NumberQuestion(
        id="q1",
        prompt=f"An isolated long of {size:g} BTC at {entry:,} USDT with {leverage}x leverage, opened with "
               "its initial margin, in Binance's tier 1 (MMR 0.4 %, maintenance amount 0). What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=lambda: _isolated_lp("long", size, entry, leverage),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin (put the MMR in).",
                    lambda: f.bankruptcy_price("long", entry, size, _margin(size, entry, leverage))),
            Mistake("It looks like you used the short's formula: for a long, side = +1.",
                    lambda: f.liquidation_price("short", entry, size, _margin(size, entry, leverage),
                                                _tier1().mmr)),
            Mistake("It looks like you used the notional as the wallet balance: the isolated margin is the "
                    "notional divided by the leverage.",
                    lambda: f.liquidation_price("long", entry, size, f.notional(size, entry), _tier1().mmr)),
            Mistake("It looks like you computed the maintenance margin at the entry price (Bybit's way). "
                    "Binance's formula takes it at the liquidation price itself.",
                    lambda: f.bybit_liquidation_price("long", entry, leverage, _tier1().mmr)),
        ),
        hint="LP = (WB + cum - side x Q x EP) / (Q x MMR - side x Q), with WB = the isolated margin and side = +1.",
    )


def _q5(size=T_SIZE, entry=T_ENTRY, leverage=T_LEVERAGE):
    return NumberQuestion(
        id="q5",
        prompt=f"An isolated long of {size:g} BTC at {entry:,} USDT with {leverage}x leverage, opened with its "
               "initial margin, on Binance (tier table above). Its notional at entry is in tier 3. What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=lambda: _isolated_lp("long", size, entry, leverage),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the tier at entry. Binance's FAQ: if the notional at the "
                    "liquidation price falls in another tier, recompute with that tier's MMR and maintenance "
                    "amount. Check the notional Q x LP.", lambda: _tier_at_entry_lp(size, entry, leverage)),
            Mistake("Right tier, but the maintenance amount is missing (cum = 0): every tier above the first "
                    "has one, and it goes into the numerator.", lambda: _tier_no_amount_lp(size, entry, leverage)),
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin.",
                    lambda: f.bankruptcy_price("long", entry, size, _margin(size, entry, leverage))),
        ),
        hint="Compute LP with the entry's tier, look at the notional Q x LP, and recompute if it is in another tier.",
    )


def _q2(size=S_SIZE, entry=S_ENTRY, leverage=S_LEVERAGE):
    margin = _margin(size, entry, leverage)
    return NumberQuestion(
        id="q2",
        prompt=f"An isolated short of {size} BTC at {entry:,} USDT with {leverage}x leverage, opened with "
               "its initial margin, in Binance's tier 1 (MMR 0.4 %, maintenance amount 0). What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=lambda: _isolated_lp("short", size, entry, leverage),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the long's formula: for a short, side = -1, so both signs in "
                    "the formula flip (and the liquidation price is above the entry).",
                    lambda: f.liquidation_price("long", entry, size, margin, _tier1().mmr)),
            Mistake("That is the bankruptcy price, where the margin balance is zero. The exchange liquidates "
                    "earlier, when the margin balance falls to the maintenance margin.",
                    lambda: f.bankruptcy_price("short", entry, size, margin)),
            Mistake("It looks like you computed the maintenance margin at the entry price (Bybit's way). "
                    "Binance's formula takes it at the liquidation price itself.",
                    lambda: f.bybit_liquidation_price("short", entry, leverage, _tier1().mmr)),
            Mistake("It looks like you used the notional as the wallet balance: the isolated margin is the "
                    "notional divided by the leverage.",
                    lambda: f.liquidation_price("short", entry, size, f.notional(size, entry), _tier1().mmr)),
        ),
        hint="For a short, side = -1: LP = (WB + cum + Q x EP) / (Q x MMR + Q).",
    )


def _q3(size=S_SIZE, entry=S_ENTRY, leverage=S_LEVERAGE):
    margin = _margin(size, entry, leverage)
    return NumberQuestion(
        id="q3",
        prompt=f"The bankruptcy price of the short in q2 ({size} BTC at {entry:,} USDT, {leverage}x, "
               f"isolated), in USDT. {TICK}",
        expected=lambda: f.bankruptcy_price("short", entry, size, margin),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you used the long's version: a short loses when the price rises, so its "
                    "bankruptcy price is above the entry.",
                    lambda: f.bankruptcy_price("long", entry, size, margin)),
            Mistake("That is the liquidation price. The bankruptcy price is where the margin is used up "
                    "completely: margin + unrealized PnL = 0, with no maintenance margin left.",
                    lambda: _isolated_lp("short", size, entry, leverage)),
        ),
        hint="Margin balance = margin + side x Q x (P - EP) = 0, solved for P.",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    _q3(),
    NumberQuestion(
        id="q4",
        prompt="How far is the liquidation price of q1's long from its entry price, as a percentage of the entry "
               "price, negative for a fall, with two decimals (for example -7.25 for a fall of 7.25 %)? "
               "(Answers within 0.01 percentage points count.)",
        expected=lambda: (_isolated_lp("long", L_SIZE, L_ENTRY, L_LEVERAGE) / L_ENTRY - 1) * 100,
        unit="%",
        tolerance=0.01,
        mistakes=(
            Mistake("That is 1 / leverage, the fall that uses up the whole margin (the distance to the "
                    "bankruptcy price). Liquidation comes a little earlier.",
                    lambda: -100 / L_LEVERAGE),
            Mistake("It looks like you divided by the liquidation price: measure the move relative to the "
                    "entry price, (LP - EP) / EP.",
                    lambda: -(L_ENTRY / _isolated_lp("long", L_SIZE, L_ENTRY, L_LEVERAGE) - 1) * 100),
        ),
        hint="(LP - entry) / entry x 100.",
    ),
    _q5(),
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
    NumberQuestion(
        id="q9",
        prompt=f"An isolated long of {P_SIZE} BTC at {P_ENTRY:,} USDT with {P_LEVERAGE}x, opened with its initial "
               "margin on Binance (tier table above: tier 3 at entry), is liquidated in steps. At its liquidation "
               "price the engine cuts it to the largest whole number of contracts (0.0001 BTC each) whose notional "
               "at that price is below tier 2's cap of 600,000 USDT. How many BTC does this first step close? "
               "(Answers within 0.0001 BTC count.)",
        expected=lambda: _big_step().size_closed,
        unit="BTC",
        tolerance=0.0001,
        relative=0.0,
        mistakes=(
            Mistake("That is the whole position: above the lowest tier the exchange first cuts the position to a "
                    "lower tier, and closes the rest only if it is still in liquidation.", lambda: float(P_SIZE)),
            Mistake("It looks like you measured tier 2's cap at the entry price. The cut happens at the "
                    "liquidation price, so the size that fits under 600,000 USDT is larger.",
                    lambda: _cut_to(_binance().tiers[1].cap, P_ENTRY)),
            Mistake("It looks like you cut straight down to tier 1. The first step goes one tier down, to the "
                    "highest lower tier that makes the position margin compliant again.",
                    lambda: _cut_to(_binance().tiers[0].cap, _big_lp())),
            Mistake("That is the size left after the step; the question asks how much is closed.",
                    lambda: _big_step().size_after),
        ),
        hint="Find the liquidation price (the tier at the liquidation price!), then the size left = whole "
             "contracts below 600,000 / LP; the step closes the rest.",
    ),
    NumberQuestion(
        id="q10",
        prompt="After that first step, how much margin (USDT) is left in the position's isolated bucket? The part "
               "closed is sold at the liquidation price, no liquidation fee. (Answers within 0.01 USDT count.)",
        expected=lambda: _big_step().margin_after,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("The margin cannot stay as it was: the part closed realizes its loss, and that loss is paid "
                    "out of the bucket.", _big_margin),
            Mistake("It looks like you split the margin in proportion to the size left. The bucket keeps all of "
                    "the margin minus the loss realized on the part closed.",
                    lambda: _big_margin() * _big_step().size_after / P_SIZE),
            Mistake("That is what is left if the whole position were closed at the liquidation price. A stepped "
                    "liquidation closes only the part above tier 2's cap; the rest stays open.",
                    lambda: _big_margin() + P_SIZE * (_big_lp() - P_ENTRY)),
        ),
        hint="Margin after = margin + (LP - entry) x size closed.",
    ),
    ChoiceQuestion(
        id="q11",
        prompt=f"The same {P_SIZE} BTC long, now with Binance's 1.25 % liquidation fee charged on the part "
               "closed. What does the engine do when the mark reaches the liquidation price?",
        options={
            "it still cuts the position to tier 2: a liquidation fee is charged only when a position is closed "
            "whole": "Binance charges it \"on the amount liquidated only\": a partial close pays it too, and the "
                     "check after a step counts it.",
            "it closes all of it at once: the fee on the part sold would take more than the maintenance margin "
            "the cut frees, so no cut leaves it margin compliant": "Tier 3's rate is 0.65 %, the fee 1.25 %: each "
                                                                  "BTC sold frees less requirement than the fee "
                                                                  "costs.",
            "it closes all of it at the liquidation price and pays the trader what is left of the margin":
                "A position closed whole is settled at the bankruptcy price: the whole margin is gone, the buffer "
                "pays the fee and goes to the insurance fund.",
        },
        answer=("it closes all of it at once: the fee on the part sold would take more than the maintenance margin "
                "the cut frees, so no cut leaves it margin compliant") if _big_step(0.0125) is None else
               "it still cuts the position to tier 2: a liquidation fee is charged only when a position is closed "
               "whole",
    ),
    ChoiceQuestion(
        id="q12",
        prompt=f"A {A_LEVERAGE}x isolated short of {A_SIZE} BTC at {A_ENTRY:,} USDT gaps past its bankruptcy price: "
               f"the mark is {A_GAP_PRICE:,}. The insurance fund holds {A_FUND:,} USDT, less than the loss past the "
               "short's margin. Three longs are open on the other side (collateral = size x entry / leverage). "
               "By Binance's ranking, whose position is deleveraged first?",
        options=_options_ranking(),
        answer=_long_text(next(c for c in A_LONGS if c.name == _a_first())),
    ),
    NumberQuestion(
        id="q13",
        prompt="In q12, how many BTC of the bankrupt short are passed to auto-deleveraging? The fund takes over "
               "as much as its balance covers, each BTC costing it the gap between the bankruptcy price and the "
               "mark. (Answers within 0.0001 BTC count.)",
        expected=lambda: _a_result().quantity_deleveraged,
        unit="BTC",
        tolerance=0.0001,
        mistakes=(
            Mistake("That is the whole short: the insurance fund pays first, as far as its balance goes; only "
                    "the rest goes to ADL.", lambda: float(A_SIZE)),
            Mistake("The insurance fund does not always cover the loss: when its balance is smaller than the "
                    "loss past the margin, ADL closes profitable opposite positions for the rest.", lambda: 0.0),
            Mistake("That is the part the insurance fund takes over; the question asks for the rest.",
                    lambda: _a_result().quantity_to_fund),
            Mistake("It looks like you turned the fund into BTC at the mark price. Each BTC the fund takes over "
                    "costs it only the gap between the bankruptcy price and the mark.",
                    lambda: A_SIZE - A_FUND / A_GAP_PRICE),
        ),
        hint="Bankruptcy price = entry x (1 + 1 / leverage); loss per BTC past it = mark - bankruptcy price; the "
             "fund covers fund / (loss per BTC) BTC.",
    ),
    NumberQuestion(
        id="q14",
        prompt="The first-ranked long takes what it can; the second-ranked long takes the rest of q13's BTC. Both "
               "are closed at the short's bankruptcy price, not at the mark. How much of the profit its mark "
               "showed on the part closed does the second-ranked long not receive, in USDT? (Answers within "
               "0.01 USDT count.)",
        expected=lambda: _a_fill(2).forgone_profit,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you closed its whole position. ADL takes from it only the BTC the first-ranked "
                    "long could not take.",
                    lambda: _a_fill(2).size_before * abs(A_GAP_PRICE - _a_bankruptcy())),
            Mistake("That is the profit it does receive: closed at the bankruptcy price, it still realizes "
                    "(bankruptcy price - its entry) on each BTC.", lambda: _a_fill(2).realized_pnl),
            Mistake("That is its whole profit at the mark on the part closed: it keeps the part up to the "
                    "bankruptcy price.",
                    lambda: _a_fill(2).quantity * (A_GAP_PRICE - [c for c in A_LONGS
                                                                  if c.name == _a_fill(2).name][0].entry_price)),
            Mistake("That is everything passed to ADL; the first-ranked long pays its share of it too.",
                    lambda: _a_result().quantity_deleveraged * abs(A_GAP_PRICE - _a_bankruptcy())),
        ),
        hint="Profit not received = BTC closed x (mark - bankruptcy price).",
    ),
    FunctionQuestion(
        id="q15",
        prompt="Write adl_quantity(side, quantity, bankruptcy_price, price, insurance_fund): how many BTC of a "
               "bankrupt position (`side` \"long\" or \"short\", `quantity` BTC) are passed to auto-deleveraging "
               "when the mark is `price` and the insurance fund holds `insurance_fund` USDT. The fund takes over "
               "what its balance covers; nothing goes to ADL when the mark has not passed the bankruptcy price.",
        reference_function=_adl_reference,
        cases=ADL_CASES,
        tolerance=0.0001,
        mistakes=(
            Mistake("These pass the whole position to ADL whenever there is a gap: the insurance fund pays first, "
                    "as far as its balance goes.", _adl_ignoring_the_fund),
            Mistake("Right for longs, wrong for shorts: a short's loss past its bankruptcy price comes when the "
                    "mark is above it (loss per BTC = price - bankruptcy price).", _adl_long_formula_for_shorts),
            Mistake("These are all 0: the insurance fund does not always make the winners whole; past its "
                    "balance, ADL takes over.", _adl_fund_always_pays),
            Mistake("It looks like you turned the fund into BTC at the mark price; each BTC it takes over costs "
                    "it only the gap between the bankruptcy price and the mark.", _adl_fund_at_the_price),
        ),
        hint="gap = (bankruptcy_price - price) for a long, (price - bankruptcy_price) for a short; if gap <= 0: 0; "
             "else max(quantity - insurance_fund / gap, 0).",
    ),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: q1 and q5 state a scenario no other question or cell builds on (q1 keeps its 20x, all q4 needs);
#: q2 and q3 state one short, dealt together. q7 (the cell above), q9 (q10, q11) and the questions
#: that build on them stay.
SHORT_CHOICES = {"size": (0.2, 0.3, 0.4, 0.6), "entry": (58_000, 61_000, 67_000, 70_000), "leverage": (10, 20, 50)}

VARIED = {
    "q1": Varied(_q1, {"size": (0.02, 0.03, 0.05, 0.08), "entry": (56_000, 58_500, 62_000, 66_500)}),
    # q3 asks about q2's short: one scenario, dealt the same numbers (tier 1 at entry and at the liquidation price)
    "q2": Varied(_q2, SHORT_CHOICES, scenario="short"),
    "q3": Varied(_q3, SHORT_CHOICES, scenario="short"),
    "q5": Varied(_q5, {"size": (12.5, 13, 13.5), "entry": (48_500, 49_500, 50_500, 51_500), "leverage": (4, 5, 6)}),
}
