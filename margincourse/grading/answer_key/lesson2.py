"""Exercise 2, maintenance margin: tiers, maintenance amounts, margin ratio.

Every expected value is computed by the engine (:mod:`margincourse.engine.formulas` and the
shipped Binance BTCUSDT risk tiers of :mod:`margincourse.engine.specs`), never typed.
"""

from functools import lru_cache

from ...engine import formulas as f
from ...engine import mark_price as mp
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
from ...engine.specs import RiskTier, TierTable, tier_table


def _binance():
    return tier_table("BTCUSDT", "binance")


# q1: 15 BTC opened at 60,000, mark price now 62,000 (tier 3 of Binance's BTCUSDT table; a variant stays in tier 3).
def _q1_tier(notional):
    return _binance().tier_for(notional)


def _q1_expected(size, mark):
    return _binance().maintenance_margin(f.notional(size, mark))


def _q1_tier2_values(size, mark):
    """The tier below the right one (tier 2): its rate and amount applied to the same notional."""
    tier2 = _binance().tiers[_q1_tier(f.notional(size, mark)).tier - 2]
    return f.maintenance_margin(size, mark, tier2.mmr, tier2.maintenance_amount)


def _q1_no_amount(size, mark):
    tier = _q1_tier(f.notional(size, mark))
    return f.maintenance_margin(size, mark, tier.mmr)


def _q1_amount_added(size, mark):
    tier = _q1_tier(f.notional(size, mark))
    return f.maintenance_margin(size, mark, tier.mmr) + tier.maintenance_amount


def _q1(size=15, entry=60_000, mark=62_000):
    return NumberQuestion(
        id="q1",
        prompt=f"A BTCUSDT long of {size:g} BTC was opened at {entry:,} USDT; the mark price is now "
               f"{mark:,} USDT. Using Binance's tier table shown above, what is its maintenance margin, "
               "in USDT? (Answers within 0.01 USDT count.)",
        expected=lambda: _q1_expected(size, mark),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you left out the maintenance amount: maintenance margin = notional x MMR "
                    "- maintenance amount, with both taken from the same tier.", lambda: _q1_no_amount(size, mark)),
            Mistake("It looks like you added the maintenance amount: it is subtracted.",
                    lambda: _q1_amount_added(size, mark)),
            Mistake("It looks like you valued the position at the entry price: the maintenance margin uses the "
                    "notional at the mark price, now.",
                    lambda: _binance().maintenance_margin(f.notional(size, entry))),
            Mistake("It looks like you used the rate and amount of the tier below: find the tier whose range "
                    "holds the notional (floor included, cap excluded).", lambda: _q1_tier2_values(size, mark)),
        ),
        hint="Notional = size x mark price; find its tier; then notional x MMR - maintenance amount.",
    )


# q2: lesson 2's isolated 10x long (0.02 BTC at 50,000, margin 100) at a mark price of 46,000.
Q2_SIZE, Q2_ENTRY, Q2_LEVERAGE = 0.02, 50_000, 10


def _q2_parts(mark, price_for_mm=None):
    margin = f.initial_margin(Q2_SIZE, Q2_ENTRY, Q2_LEVERAGE)
    mm = _binance().maintenance_margin(f.notional(Q2_SIZE, mark if price_for_mm is None else price_for_mm))
    balance = margin + f.unrealized_pnl("long", Q2_ENTRY, Q2_SIZE, mark)
    return margin, mm, balance


def _q2_expected(mark):
    _, mm, balance = _q2_parts(mark)
    return f.margin_ratio(mm, balance)


def _q2(mark=46_000):
    return NumberQuestion(
        id="q2",
        prompt=f"Lesson 2's isolated long: {Q2_SIZE} BTC opened at {Q2_ENTRY:,} USDT with {Q2_LEVERAGE}x "
               f"leverage (margin = the initial margin), tier 1 of Binance's table. The mark price is now "
               f"{mark:,} USDT. What is its margin ratio, as a fraction (0.05 means 5 %)? "
               "(Answers within 0.0001 count.)",
        expected=lambda: _q2_expected(mark),
        tolerance=1e-4,
        mistakes=(
            Mistake("It looks like you divided by the margin alone: the margin ratio divides by the margin "
                    "balance, margin + unrealized PnL.",
                    lambda: f.margin_ratio(_q2_parts(mark)[1], _q2_parts(mark)[0])),
            Mistake("It looks like the ratio is upside down: margin ratio = maintenance margin / margin balance.",
                    lambda: _q2_parts(mark)[2] / _q2_parts(mark)[1]),
            Mistake("It looks like you computed the maintenance margin at the entry price: it uses the notional "
                    "at the mark price.",
                    lambda: f.margin_ratio(_q2_parts(mark, Q2_ENTRY)[1], _q2_parts(mark)[2])),
        ),
        hint="Margin balance = margin + unrealized PnL; maintenance margin at the mark price; "
             "margin ratio = maintenance margin / margin balance.",
    )


# q3: a made-up tier table; tier 1's amount is 0. The amounts follow from continuity.
Q3_FLOORS = (0, 100_000, 1_000_000)
Q3_RATES = (0.005, 0.01, 0.025)


@lru_cache(maxsize=None)
def _chained_amounts(floors, rates):
    """Maintenance amounts that make ``notional x rate - amount`` continuous at every floor.

    At tier n's floor the previous tier's requirement, ``maintenance_margin(floor, 1,
    rate_(n-1), amount_(n-1))``, must equal ``floor x rate_n - amount_n``.
    """
    amounts = [0.0]
    for n in range(1, len(floors)):
        below = f.maintenance_margin(floors[n], 1, rates[n - 1], amounts[n - 1])
        amounts.append(f.notional(floors[n], 1) * rates[n] - below)
    return tuple(amounts)


def _q3_expected():
    return _chained_amounts(Q3_FLOORS, Q3_RATES)[-1]


def _q3_step_only():
    return Q3_FLOORS[-1] * (Q3_RATES[-1] - Q3_RATES[-2])


def _q3_previous_subtracted():
    return _q3_step_only() - _chained_amounts(Q3_FLOORS, Q3_RATES)[-2]


# q4: write maintenance_margin(notional, floors, rates, amounts).
BINANCE_FLOORS = (0, 50_000, 600_000, 3_000_000)
BINANCE_RATES = (0.004, 0.005, 0.0065, 0.01)
BINANCE_AMOUNTS = (0, 50, 950, 11_450)
Q3_AMOUNTS = (0, 500, 15_500)


@lru_cache(maxsize=None)
def _table(floors, rates, amounts):
    caps = tuple(floors[1:]) + (float("inf"),)
    tiers = tuple(
        RiskTier(tier=i + 1, floor=float(lo), cap=float(hi), max_leverage=1.0, mmr=float(rate),
                 maintenance_amount=float(amount))
        for i, (lo, hi, rate, amount) in enumerate(zip(floors, caps, rates, amounts))
    )
    return TierTable(exchange="exercise", exchange_name="exercise", symbol="EXERCISE",
                     source="exercise 2", as_of="", tiers=tiers)


def _mm_reference(notional, floors, rates, amounts):
    return _table(tuple(floors), tuple(rates), tuple(amounts)).maintenance_margin(notional)


def _tier_index(notional, floors):
    return max(i for i, floor in enumerate(floors) if notional >= floor)


def _mm_no_amount(notional, floors, rates, amounts):
    return notional * rates[_tier_index(notional, floors)]


def _mm_first_rate(notional, floors, rates, amounts):
    return notional * rates[0]


def _mm_amount_added(notional, floors, rates, amounts):
    i = _tier_index(notional, floors)
    return notional * rates[i] + amounts[i]


def _mm_tier_below(notional, floors, rates, amounts):
    i = max(0, _tier_index(notional, floors) - 1)
    return notional * rates[i] - amounts[i]


def _cases():
    binance = (BINANCE_FLOORS, BINANCE_RATES, BINANCE_AMOUNTS)
    made_up = (Q3_FLOORS, Q3_RATES, Q3_AMOUNTS)
    return (
        (30_000, *binance),
        (250_000, *binance),
        (930_000, *binance),
        (5_000_000, *binance),
        (600_000, *binance),
        (400_000, *made_up),
        (2_500_000, *made_up),
    )


# q6: a mark price from its three parts (Binance "Mark Price", Bybit "Mark Price Calculation (Perpetual Contract)").
def _m_parts(index, rate, hours, basis, last):
    return (mp.funding_basis_price(index, rate, hours), mp.moving_average_basis_price(index, basis), float(last))


def _q6(index=60_000, rate=0.0002, hours=6, basis=-12, last=59_000):
    return NumberQuestion(
        id="q6",
        prompt=f"The BTCUSDT index is {index:,} USDT. The last funding rate was {rate * 100:.2f} %, with "
               f"{hours} of the 8 hours still to run until the next funding; the moving average of the basis "
               f"(mid price of the book minus the index) is {basis} USDT. A large sell order prints a last trade "
               f"at {last:,} USDT. What is the mark price, by Binance's and Bybit's rule, in USDT? "
               "(Answers within 0.01 USDT count.)",
        expected=lambda: mp.mark_price(index, rate, hours, basis, last),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the last traded price: the mark price is the median of Price 1, Price 2 and the last "
                    "price, so a wick alone does not set it.", lambda: float(last)),
            Mistake("That is the average of the three prices: the rule takes their median, the middle one.",
                    lambda: sum(_m_parts(index, rate, hours, basis, last)) / 3),
            Mistake("That is Price 1 (index plus the funding term): compare it with Price 2 and the last price "
                    "and take the middle one.", lambda: _m_parts(index, rate, hours, basis, last)[0]),
            Mistake("That is the index alone: the mark price adds a funding term (Price 1) or the average basis "
                    "(Price 2), then takes the median with the last price.", lambda: float(index)),
        ),
        hint="Price 1 = index x (1 + rate x hours to go / 8); Price 2 = index + average basis; the mark price is "
             "the middle one of Price 1, Price 2 and the last price.",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    NumberQuestion(
        id="q3",
        prompt="An exchange publishes these tiers for a coin: tier 1 from 0 to 100,000 USDT of notional at an "
               "MMR of 0.5 %, tier 2 from 100,000 to 1,000,000 USDT at 1 %, tier 3 from 1,000,000 USDT at 2.5 %. "
               "Tier 1's maintenance amount is 0. With Binance's rule, what is tier 3's maintenance amount, "
               "in USDT? (Answers within 0.01 USDT count.)",
        expected=_q3_expected,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you left out tier 2's own amount: cum_n = cum_(n-1) + floor_n x "
                    "(MMR_n - MMR_(n-1)), so the amounts build up tier by tier.", _q3_step_only),
            Mistake("It looks like you subtracted the previous tier's amount: it is added.",
                    _q3_previous_subtracted),
            Mistake("It looks like you multiplied the floor by tier 3's whole rate: only the step up in rate "
                    "counts, floor_n x (MMR_n - MMR_(n-1)).",
                    lambda: Q3_FLOORS[-1] * Q3_RATES[-1]),
        ),
        hint="Start with tier 2's amount (its floor times the step in rate), then add tier 3's step.",
    ),
    FunctionQuestion(
        id="q4",
        prompt="Write maintenance_margin(notional, floors, rates, amounts): the maintenance margin, in USDT, of "
               "a position of `notional` USDT, given a tier table as three lists of the same length (tier n "
               "holds notionals from floors[n], included, up to floors[n + 1], excluded; the last tier has no "
               "cap). Example: maintenance_margin(930_000, (0, 50_000, 600_000, 3_000_000), "
               "(0.004, 0.005, 0.0065, 0.01), (0, 50, 950, 11_450)) is Binance's tier 3.",
        reference_function=_mm_reference,
        cases=_cases(),
        tolerance=0.01,
        mistakes=(
            Mistake("Right tier, but the maintenance amount is missing: subtract amounts[n] of the same tier.",
                    _mm_no_amount),
            Mistake("The maintenance amount is added: it is subtracted.", _mm_amount_added),
            Mistake("Every notional gets the first tier's rate: look the tier up from the notional.",
                    _mm_first_rate),
            Mistake("The tier is one too low: tier n starts at floors[n] (included).", _mm_tier_below),
        ),
        hint="Find the last floor that is <= notional; use that tier's rate and amount.",
    ),
    ChoiceQuestion(
        id="q5",
        prompt="A BTCUSDT position on Binance grows from 599,000 to 601,000 USDT of notional, crossing from tier 2 "
               "(MMR 0.5 %) into tier 3 (MMR 0.65 %). What happens to its maintenance margin?",
        options={
            "it jumps up, because the whole notional is now charged the higher rate":
                "That is what would happen with one rate and no maintenance amount. Tier 3's amount is chosen "
                "so that both tiers' formulas give the same requirement at the edge.",
            "it falls, because a larger maintenance amount is subtracted":
                "The larger amount is subtracted, but the rate applied to the whole notional rises by more "
                "above the edge; at the edge the two exactly cancel, so nothing falls.",
            "it rises only a little and without a jump: the maintenance amount cancels the step in rate at the edge":
                "Right: cum_3 = cum_2 + 600,000 x (0.65 % - 0.5 %), so notional x MMR - cum is continuous; only "
                "the slope changes at the edge.",
        },
        answer="it rises only a little and without a jump: the maintenance amount cancels the step in rate at the edge",
    ),
    _q6(),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: q3 stays: it asks about a tier table as an exchange would publish it (a table, not a trader's numbers).
VARIED = {
    "q1": Varied(_q1, {"size": (12, 18, 20, 25), "entry": (56_000, 59_000, 63_500, 65_000),
                       "mark": (55_000, 58_500, 64_000, 67_500)}),
    "q2": Varied(_q2, {"mark": (45_500, 47_000, 47_500, 48_000, 48_500)}),
    "q6": Varied(_q6, {"index": (59_000, 60_500, 61_000, 62_000), "rate": (0.0001, 0.0003, 0.0004, 0.0005),
                       "hours": (2, 3, 5, 7), "basis": (-8, -15, -20, -25),
                       "last": (57_800, 58_200, 58_500, 58_900)}),
}
