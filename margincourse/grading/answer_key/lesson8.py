"""Exercise 8, funding: the payment, its sign, how often, what it costs the margin, and where it comes from.

Every expected value is computed by the engine (:func:`margincourse.funding_payment`, the
shipped Binance funding rule and tiers, :class:`margincourse.Account` settling funding).
The mistakes are the ones learners make with funding: the sign, the rate applied to the
margin instead of the position's value, the entry price instead of the mark, one funding
time a day instead of three, and the belief that isolated margin also caps funding.
"""

from functools import lru_cache

from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
from ...engine import formulas as f
from ...engine.account import Account
from ...engine.funding import funding_payment, funding_rule
from ...engine.specs import tier_table

CENT = "(Answers within 0.01 USDT count.)"


def _per_day():
    """Funding times a day on Binance's schedule: 24 hours / 8."""
    return 24 / funding_rule("binance").interval_hours


# The published scenarios (the builders' defaults; a variant deals others, see VARIED).
# q1: one payment of a long.
L_SIZE, L_ENTRY, L_LEVERAGE, L_MARK, L_RATE = 0.3, 60_000, 20, 64_000, 0.000125
# q2: one payment of a short at a negative rate.
S_SIZE, S_MARK, S_LEVERAGE, S_RATE = 2, 3_100, 10, -0.0003
# q3: a month of funding.
M_SIZE, M_MARK, M_LEVERAGE, M_RATE, M_DAYS = 0.5, 58_000, 25, 0.0001, 30
# q4: half a year at 20x, as a share of the margin.
Y_LEVERAGE, Y_RATE, Y_DAYS = 20, 0.0002, 180
# q7: the cross liquidation price after 45 days of funding.
C_SIZE, C_ENTRY, C_LEVERAGE, C_WALLET, C_RATE, C_DAYS = 0.1, 50_000, 50, 1_000, 0.0005, 45


def _percent(rate):
    """A rate as the prompts write it: 0.000125 -> '0.0125' (followed by ' %')."""
    return f"{rate * 100:g}"


def _paid(days, value, rate, per_day=None):
    """Funding paid over ``days`` at a constant position value and rate (positive when paid)."""
    per_day = _per_day() if per_day is None else per_day
    return days * per_day * value * rate


def _margin_share(days, rate, leverage, per_day=None):
    """Funding paid over ``days``, in percent of the initial margin (the position's value / leverage)."""
    per_day = _per_day() if per_day is None else per_day
    return days * per_day * rate * leverage * 100


@lru_cache(maxsize=None)
def _cross_liquidation_after(size, entry, leverage, wallet, rate, days):
    """The engine's account: the cross long, funding settled at each of its funding times."""
    account = Account(wallet)
    position = account.open("BTCUSDT", "long", size, entry, leverage=leverage, mode="cross")
    for _ in range(round(days * _per_day())):
        account.apply_funding({"BTCUSDT": rate})
    return account.liquidation_price(position)


def _cross_liquidation_with(size, entry, wallet, paid):
    """Binance's long formula, tier 1, on the wallet less ``paid``."""
    mmr = tier_table("BTCUSDT", "binance").tiers[0].mmr
    return f.liquidation_price("long", entry, size, wallet - paid, mmr)


# q5: write the payment.
def _reference(side, size, mark_price, rate):
    return funding_payment(side, size, mark_price, rate)


def _always_long(side, size, mark_price, rate):
    return -size * mark_price * rate


def _paid_positive(side, size, mark_price, rate):
    return -funding_payment(side, size, mark_price, rate)


def _everyone_pays(side, size, mark_price, rate):
    return -abs(size * mark_price * rate)


PAYMENT_CASES = (
    ("long", 0.5, 60_000, 0.0001),
    ("short", 0.5, 60_000, 0.0001),
    ("short", 10, 3_000, -0.0005),
    ("long", 2, 150, -0.002),
    ("long", 0.02, 50_000, 0.003),
)


def _q1(size=L_SIZE, entry=L_ENTRY, leverage=L_LEVERAGE, mark=L_MARK, rate=L_RATE):
    def flow(price=mark):
        return funding_payment("long", size, price, rate)

    return NumberQuestion(
        id="q1",
        prompt=f"A long of {size:g} BTC was opened at {entry:,} USDT with {leverage}x leverage. At the next "
               f"funding time the mark price is {mark:,} USDT and the funding rate is {_percent(rate)} %. What is the "
               f"long's funding cash flow at that time, in USDT (negative if it pays)? {CENT}",
        expected=flow,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value "
                    "(mark price x size), whatever the leverage.",
                    lambda: flow() / leverage),
            Mistake("It looks like you used the entry price. Funding is charged on the position's value at the "
                    "mark price of the funding time.", lambda: flow(price=entry)),
            Mistake("The sign: a positive rate means longs pay shorts, so the long's cash flow is negative.",
                    lambda: -flow()),
            Mistake(f"It looks like you used {_percent(rate)} as the rate: {_percent(rate)} % is {rate:g}.",
                    lambda: 100 * flow()),
        ),
        hint="Funding = position value at the mark price x rate; a long pays when the rate is positive.",
    )


def _q2(size=S_SIZE, leverage=S_LEVERAGE, mark=S_MARK, rate=S_RATE):
    return NumberQuestion(
        id="q2",
        prompt=f"A short of {size:g} ETH ({leverage}x leverage). At the funding time the mark price is "
               f"{mark:,} USDT and the funding rate is {_percent(rate)} %. What is the short's funding cash flow, in "
               f"USDT (negative if it pays)? {CENT}",
        expected=lambda: funding_payment("short", size, mark, rate),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("The sign: a negative rate means shorts pay longs, so the short's cash flow is negative.",
                    lambda: -funding_payment("short", size, mark, rate)),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: funding_payment("short", size, mark, rate) / leverage),
        ),
        hint="Cash flow = -side x size x mark price x rate, with side = -1 for a short.",
    )


def _q3(size=M_SIZE, leverage=M_LEVERAGE, days=M_DAYS, mark=M_MARK, rate=M_RATE):
    value = size * mark
    return NumberQuestion(
        id="q3",
        prompt=f"A long of {size:g} BTC ({leverage}x) is held for {days} days on Binance. The mark price stays "
               f"at {mark:,} USDT and the funding rate is {_percent(rate)} % at every funding time. How much funding "
               f"does it pay in total, in USDT (a positive number)? {CENT}",
        expected=lambda: _paid(days, value, rate),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: _paid(days, value, rate, per_day=1)),
            Mistake("It looks like you counted a funding time every hour. Binance's default is every 8 hours.",
                    lambda: _paid(days, value, rate, per_day=24)),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: _paid(days, value, rate) / leverage),
        ),
        hint="Payments = days x funding times a day; each one is position value x rate.",
    )


def _q4(leverage=Y_LEVERAGE, days=Y_DAYS, rate=Y_RATE):
    return NumberQuestion(
        id="q4",
        prompt=f"A long at {leverage}x is held for {days} days on Binance, the mark price unchanged, at a "
               f"funding rate of {_percent(rate)} % every 8 hours. What share of its initial margin does it pay in "
               "funding, in percent (25 for 25 %)? (Answers within 0.1 count.)",
        expected=lambda: _margin_share(days, rate, leverage),
        unit="%",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the share of the position's value. The margin is the position's value divided by "
                    "the leverage, so the share of the margin is that many times larger.",
                    lambda: _margin_share(days, rate, 1)),
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: _margin_share(days, rate, leverage, per_day=1)),
        ),
        hint="The funding paid, as a share of the position's value, is days x 3 x rate; the margin is the "
             "position's value / leverage.",
    )


def _q7(size=C_SIZE, entry=C_ENTRY, leverage=C_LEVERAGE, wallet=C_WALLET, rate=C_RATE, days=C_DAYS):
    value = size * entry

    def with_paid(paid):
        return _cross_liquidation_with(size, entry, wallet, paid)

    return NumberQuestion(
        id="q7",
        prompt=f"A cross long of {size:g} BTC at {entry:,} USDT ({leverage}x) is the only position of a "
               f"{wallet:,} USDT Binance account (tier 1: MMR 0.4 %, maintenance amount 0; no fees). The mark "
               f"price stays at {entry:,} for {days} days, and the funding rate is {_percent(rate)} % at every "
               "funding time. What is the position's liquidation price after those days, in USDT? (Answers within "
               "0.1 USDT count.)",
        expected=lambda: _cross_liquidation_after(size, entry, leverage, wallet, rate, days),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the liquidation price at opening. The funding paid comes out of the cross wallet, "
                    "and WB is what is left of it.", lambda: with_paid(0.0)),
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: with_paid(_paid(days, value, rate, per_day=1))),
            Mistake("The sign: at a positive rate the long pays, so the wallet goes down, not up.",
                    lambda: with_paid(-_paid(days, value, rate))),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: with_paid(_paid(days, value, rate) / leverage)),
        ),
        hint="WB = the wallet minus the funding paid; then Binance's formula LP = (WB + cum - Q x EP) / "
             "(Q x MMR - Q) for a long.",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    _q3(),
    _q4(),
    FunctionQuestion(
        id="q5",
        prompt="Write funding_cash_flow(side, size, mark_price, rate): the funding a position receives at one "
               "funding time, in USDT, negative when it pays. side is 'long' or 'short', size in the base asset, "
               "rate a fraction (0.0001 for 0.01 %). (Results within 0.01 USDT count.)",
        reference_function=_reference,
        cases=PAYMENT_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("Longs are right, shorts are not: a short receives what a long pays (side = -1).",
                    _always_long),
            Mistake("The sign is turned round: the cash flow is negative when the position pays (a long at a "
                    "positive rate).", _paid_positive),
            Mistake("Funding is not a fee every position pays: at each funding time one side pays and the other "
                    "receives, by the sign of the rate.", _everyone_pays),
        ),
        hint="Cash flow = -side x size x mark price x rate, side = +1 for a long, -1 for a short.",
    ),
    ChoiceQuestion(
        id="q6",
        prompt="On Binance, an isolated 20x BTC long has 200 USDT in its bucket; the account holds 2,000 USDT in "
               "all. The funding rate stays positive for months, and BTC does not move. What can this position "
               "cost?",
        options={
            "at most the 200 USDT in its bucket: isolated margin caps every loss, funding included":
                "Isolation caps what a liquidation takes, not funding: Binance takes funding from the available "
                "balance first, and the other 1,800 USDT are available balance.",
            "nothing while BTC does not move: funding is only charged when the position is losing":
                "Funding is paid at every funding time by every open position on the paying side, whatever its "
                "profit or loss: it is the cost of holding.",
            "all 2,000 USDT: the free 1,800 USDT pay the funding first, then the bucket, until it is liquidated":
                "Binance: the available balance first, then the position margin. Once the bucket is down to the "
                "maintenance margin the position is liquidated, with the price unchanged.",
        },
        answer="all 2,000 USDT: the free 1,800 USDT pay the funding first, then the bucket, until it is liquidated",
    ),
    _q7(),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: Only the trader's numbers; Binance's 8-hour schedule and tier 1 (MMR 0.4 %) stay. Every combination is
#: checked: rates keep their sign (the mistakes name it), q1's mark stays above its entry, q3's funding stays
#: below the initial margin, q7's notional stays in tier 1 and its liquidation price below the mark.
VARIED = {
    "q1": Varied(_q1, {"size": (0.2, 0.4, 0.5, 0.8), "entry": (56_000, 58_000, 61_000, 62_000),
                       "leverage": (5, 10, 25, 50), "mark": (63_000, 65_500, 67_000, 70_000),
                       "rate": (0.0001, 0.00015, 0.0002, 0.0003)}),
    "q2": Varied(_q2, {"size": (1.5, 3, 4, 5), "leverage": (5, 8, 15, 20), "mark": (2_450, 2_800, 3_350, 3_600),
                       "rate": (-0.0001, -0.0002, -0.0005, -0.00075)}),
    "q3": Varied(_q3, {"size": (0.2, 0.3, 0.8, 1.2), "leverage": (5, 10, 15, 20), "days": (14, 21, 45, 60),
                       "mark": (52_000, 61_500, 64_000, 67_000), "rate": (0.00005, 0.000075, 0.00015, 0.0002)}),
    "q4": Varied(_q4, {"leverage": (5, 10, 15, 25), "days": (90, 120, 270, 365),
                       "rate": (0.0001, 0.00015, 0.0003)}),
    "q7": Varied(_q7, {"size": (0.08, 0.12, 0.15), "entry": (42_000, 46_000, 55_000, 58_000),
                       "leverage": (20, 25, 75, 100), "wallet": (1_200, 1_500, 2_000),
                       "rate": (0.0001, 0.0002, 0.0003), "days": (20, 30, 60)}),
}
