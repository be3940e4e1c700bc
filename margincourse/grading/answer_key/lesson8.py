"""Exercise 8, funding: the payment, its sign, how often, what it costs the margin, and where it comes from.

Every expected value is computed by the engine (:func:`margincourse.funding_payment`, the
shipped Binance funding rule and tiers, :class:`margincourse.Account` settling funding).
The mistakes are the ones learners make with funding: the sign, the rate applied to the
margin instead of the position's value, the entry price instead of the mark, one funding
time a day instead of three, and the belief that isolated margin also caps funding.
"""

from functools import lru_cache

from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion
from ...engine import formulas as f
from ...engine.account import Account
from ...engine.funding import funding_payment, funding_rule
from ...engine.specs import tier_table

CENT = "(Answers within 0.01 USDT count.)"


def _per_day():
    """Funding times a day on Binance's schedule: 24 hours / 8."""
    return 24 / funding_rule("binance").interval_hours


# q1: one payment of a long.
L_SIZE, L_ENTRY, L_LEVERAGE, L_MARK, L_RATE = 0.3, 60_000, 20, 64_000, 0.000125
# q2: one payment of a short at a negative rate.
S_SIZE, S_MARK, S_LEVERAGE, S_RATE = 2, 3_100, 10, -0.0003
# q3: a month of funding.
M_SIZE, M_MARK, M_LEVERAGE, M_RATE, M_DAYS = 0.5, 58_000, 25, 0.0001, 30
# q4: half a year at 20x, as a share of the margin.
Y_LEVERAGE, Y_RATE, Y_DAYS = 20, 0.0002, 180
# q7: the cross liquidation price after 60 days of funding.
C_SIZE, C_ENTRY, C_LEVERAGE, C_WALLET, C_RATE, C_DAYS = 0.1, 50_000, 50, 1_000, 0.0005, 45


def _q1(price=L_MARK, size=L_SIZE, rate=L_RATE):
    return funding_payment("long", size, price, rate)


def _q3(per_day=None, value=M_SIZE * M_MARK):
    per_day = _per_day() if per_day is None else per_day
    return M_DAYS * per_day * value * M_RATE


def _q4(per_day=None, leverage=Y_LEVERAGE):
    per_day = _per_day() if per_day is None else per_day
    return Y_DAYS * per_day * Y_RATE * leverage * 100


@lru_cache(maxsize=None)
def _q7_expected():
    """The engine's account: the cross long, funding settled at each of its funding times."""
    account = Account(C_WALLET)
    position = account.open("BTCUSDT", "long", C_SIZE, C_ENTRY, leverage=C_LEVERAGE, mode="cross")
    for _ in range(round(C_DAYS * _per_day())):
        account.apply_funding({"BTCUSDT": C_RATE})
    return account.liquidation_price(position)


def _q7_with(paid):
    mmr = tier_table("BTCUSDT", "binance").tiers[0].mmr
    return f.liquidation_price("long", C_ENTRY, C_SIZE, C_WALLET - paid, mmr)


def _q7_paid(per_day=None, value=C_SIZE * C_ENTRY):
    per_day = _per_day() if per_day is None else per_day
    return C_DAYS * per_day * value * C_RATE


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


QUESTIONS = (
    NumberQuestion(
        id="q1",
        prompt=f"A long of {L_SIZE} BTC was opened at {L_ENTRY:,} USDT with {L_LEVERAGE}x leverage. At the next "
               f"funding time the mark price is {L_MARK:,} USDT and the funding rate is 0.0125 %. What is the "
               f"long's funding cash flow at that time, in USDT (negative if it pays)? {CENT}",
        expected=_q1,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value "
                    "(mark price x size), whatever the leverage.",
                    lambda: _q1() / L_LEVERAGE),
            Mistake("It looks like you used the entry price. Funding is charged on the position's value at the "
                    "mark price of the funding time.", lambda: _q1(price=L_ENTRY)),
            Mistake("The sign: a positive rate means longs pay shorts, so the long's cash flow is negative.",
                    lambda: -_q1()),
            Mistake("It looks like you used 0.0125 as the rate: 0.0125 % is 0.000125.", lambda: 100 * _q1()),
        ),
        hint="Funding = position value at the mark price x rate; a long pays when the rate is positive.",
    ),
    NumberQuestion(
        id="q2",
        prompt=f"A short of {S_SIZE} ETH ({S_LEVERAGE}x leverage). At the funding time the mark price is "
               f"{S_MARK:,} USDT and the funding rate is -0.03 %. What is the short's funding cash flow, in USDT "
               f"(negative if it pays)? {CENT}",
        expected=lambda: funding_payment("short", S_SIZE, S_MARK, S_RATE),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("The sign: a negative rate means shorts pay longs, so the short's cash flow is negative.",
                    lambda: -funding_payment("short", S_SIZE, S_MARK, S_RATE)),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: funding_payment("short", S_SIZE, S_MARK, S_RATE) / S_LEVERAGE),
        ),
        hint="Cash flow = -side x size x mark price x rate, with side = -1 for a short.",
    ),
    NumberQuestion(
        id="q3",
        prompt=f"A long of {M_SIZE} BTC ({M_LEVERAGE}x) is held for {M_DAYS} days on Binance. The mark price stays "
               f"at {M_MARK:,} USDT and the funding rate is 0.01 % at every funding time. How much funding does "
               f"it pay in total, in USDT (a positive number)? {CENT}",
        expected=_q3,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: _q3(per_day=1)),
            Mistake("It looks like you counted a funding time every hour. Binance's default is every 8 hours.",
                    lambda: _q3(per_day=24)),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: _q3() / M_LEVERAGE),
        ),
        hint="Payments = days x funding times a day; each one is position value x rate.",
    ),
    NumberQuestion(
        id="q4",
        prompt=f"A long at {Y_LEVERAGE}x is held for {Y_DAYS} days on Binance, the mark price unchanged, at a "
               "funding rate of 0.02 % every 8 hours. What share of its initial margin does it pay in funding, "
               "in percent (25 for 25 %)? (Answers within 0.1 count.)",
        expected=_q4,
        unit="%",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the share of the position's value. The margin is the position's value divided by "
                    "the leverage, so the share of the margin is that many times larger.",
                    lambda: _q4(leverage=1)),
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: _q4(per_day=1)),
        ),
        hint="The funding paid, as a share of the position's value, is days x 3 x rate; the margin is the "
             "position's value / leverage.",
    ),
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
    NumberQuestion(
        id="q7",
        prompt=f"A cross long of {C_SIZE} BTC at {C_ENTRY:,} USDT ({C_LEVERAGE}x) is the only position of a "
               f"{C_WALLET:,} USDT Binance account (tier 1: MMR 0.4 %, maintenance amount 0; no fees). The mark "
               f"price stays at {C_ENTRY:,} for {C_DAYS} days, and the funding rate is 0.05 % at every funding "
               "time. What is the position's liquidation price after those days, in USDT? (Answers within 0.1 "
               "USDT count.)",
        expected=_q7_expected,
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the liquidation price at opening. The funding paid comes out of the cross wallet, "
                    "and WB is what is left of it.", lambda: _q7_with(0.0)),
            Mistake("It looks like you counted one funding time a day. Binance settles funding every 8 hours: "
                    "three times a day.", lambda: _q7_with(_q7_paid(per_day=1))),
            Mistake("The sign: at a positive rate the long pays, so the wallet goes down, not up.",
                    lambda: _q7_with(-_q7_paid())),
            Mistake("It looks like you applied the rate to the margin. Funding is charged on the position's value, "
                    "whatever the leverage.", lambda: _q7_with(_q7_paid() / C_LEVERAGE)),
        ),
        hint="WB = the wallet minus the funding paid; then Binance's formula LP = (WB + cum - Q x EP) / "
             "(Q x MMR - Q) for a long.",
    ),
)
