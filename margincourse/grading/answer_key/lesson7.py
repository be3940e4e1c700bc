"""Exercise 7, beyond crypto: daily settlement, margin calls, and what differs from crypto liquidation.

Hull's setup of lesson 7 (2 gold futures of 100 troy ounces; initial margin 6,000 and
maintenance margin 4,500 per contract) on a six-day price path of its own, so that no
answer is printed in the lesson. Every expected value is computed by the engine
(:func:`margincourse.engine.settlement.margin_account`, :func:`~margincourse.engine.settlement.settlement_summary`).
"""

from functools import lru_cache

from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion
from ...engine.settlement import margin_account, settlement_summary

TOLERANCE = "(Answers within 0.01 USD count.)"

# Hull's setup (section 2.4, Table 2.1), as in lesson 7: margins are per contract.
CONTRACTS, OUNCES = 2, 100
INITIAL, MAINTENANCE = 6_000.0, 4_500.0
# The exercise's own path: entry and daily settlement prices, USD per troy ounce.
ENTRY = 2_140.0
PRICES = (2_128.5, 2_131.0, 2_113.4, 2_108.9, 2_095.3, 2_104.6)

SETUP = (f"{CONTRACTS} gold futures contracts of {OUNCES} troy ounces each, entered at {ENTRY:,.1f} USD per ounce, "
         f"initial margin {INITIAL:,.0f} USD and maintenance margin {MAINTENANCE:,.0f} USD per contract")
PATH = ", ".join(f"{price:,.1f}" for price in PRICES)


@lru_cache(maxsize=None)
def _table(side="long", contracts=CONTRACTS, multiplier=OUNCES, initial=INITIAL, maintenance=MAINTENANCE):
    """The margin account on the exercise's path (whole position; margins per contract)."""
    return margin_account(list(PRICES), entry_price=ENTRY, contracts=contracts, multiplier=multiplier,
                          initial_margin=initial, maintenance_margin=maintenance, side=side)


def _column(column, day, **setup):
    return float(_table(**setup).loc[day, column])


def _first_call_day(**setup):
    return settlement_summary(_table(**setup))["call days"][0]


# q1: the balance after day 1.
def _q1_per_contract_margin():
    """The position's loss taken from one contract's initial margin."""
    return INITIAL + _column("daily gain", 1)


# q2: the first margin call.
def _first_call():
    return _column("margin call", _first_call_day())


def _first_call_to_maintenance():
    day = _first_call_day()
    return MAINTENANCE * CONTRACTS - _column("margin account balance", day)


def _call_below_initial():
    """A 'call' as soon as the balance is below the initial margin: on day 1, back up to the initial margin."""
    return _column("margin call", 1, maintenance=INITIAL)


# q4: write variation_margin.
def _one_day_call(balance, initial_margin, maintenance_margin):
    """The engine's margin call on a day whose settlement leaves the account at ``balance``.

    One contract of one unit, entered at a price chosen so that the settlement price
    stays positive and the day's gain is ``balance - initial_margin``.
    """
    entry = initial_margin + abs(balance) + 1.0
    table = margin_account([entry + balance - initial_margin], entry_price=entry, contracts=1, multiplier=1,
                           initial_margin=initial_margin, maintenance_margin=maintenance_margin)
    return float(table["margin call"].iloc[-1])


def _to_maintenance(balance, initial_margin, maintenance_margin):
    return maintenance_margin - balance if balance < maintenance_margin else 0.0


def _at_or_below(balance, initial_margin, maintenance_margin):
    return initial_margin - balance if balance <= maintenance_margin else 0.0


def _below_initial(balance, initial_margin, maintenance_margin):
    return initial_margin - balance if balance < initial_margin else 0.0


def _always(balance, initial_margin, maintenance_margin):
    return initial_margin - balance


def _balance_after_top_up(balance, initial_margin, maintenance_margin):
    return balance + _one_day_call(balance, initial_margin, maintenance_margin)


VARIATION_CASES = (
    (7_450, 12_000, 9_000),      # below the maintenance margin: a call
    (9_000, 12_000, 9_000),      # at the maintenance margin: not below, no call
    (10_500, 12_000, 9_000),     # between the two margins: no call
    (13_200, 12_000, 9_000),     # above the initial margin
    (-1_250, 12_000, 9_000),     # a gap left the balance negative
    (2_900.5, 5_000, 3_750),     # other margins
)


QUESTIONS = (
    NumberQuestion(
        id="q1",
        prompt=f"A trader buys (goes long) {SETUP}, and deposits the initial margin in the margin account. "
               f"Day 1's settlement price is {PRICES[0]:,.1f} USD per ounce. What is the margin account balance "
               f"after day 1's settlement (before any top-up), in USD? {TOLERANCE}",
        expected=lambda: _column("margin account balance", 1),
        unit="USD",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you added the day's change as a gain: a long loses when the settlement price "
                    "falls.", lambda: _column("margin account balance", 1, side="short")),
            Mistake("It looks like you settled one contract only: the position is 2 contracts of 100 oz, so "
                    "it gains or loses 200 USD per 1 USD/oz.",
                    lambda: INITIAL * CONTRACTS + _column("daily gain", 1, contracts=1)),
            Mistake("It looks like you started from one contract's initial margin: the account holds the initial "
                    "margin of both contracts.", _q1_per_contract_margin),
            Mistake("That is one contract's share of the account: the question asks for the balance of the whole "
                    "position (both contracts, both initial margins).",
                    lambda: _column("margin account balance", 1) / CONTRACTS),
            Mistake("It looks like you forgot the contract size: each contract is for 100 troy ounces, so the "
                    "price change is multiplied by contracts x 100.",
                    lambda: _column("margin account balance", 1, multiplier=1)),
        ),
        hint="Balance = initial margin of the position + daily gain, with daily gain = contracts x 100 oz x "
             "(day 1's settlement price - the entry price).",
    ),
    NumberQuestion(
        id="q2",
        prompt=f"The same long position ({SETUP}). The settlement prices of days 1 to {len(PRICES)} are {PATH} USD "
               "per ounce. The first time the balance falls below the maintenance margin, the broker makes a margin "
               "call. How much variation margin must the trader pay in on that call, in USD? " + TOLERANCE,
        expected=_first_call,
        unit="USD",
        tolerance=0.01,
        mistakes=(
            Mistake("That only brings the balance back up to the maintenance margin. A margin call restores the "
                    "INITIAL margin.", _first_call_to_maintenance),
            Mistake("That is the day's loss. The call is what brings the balance back up to the initial margin, "
                    "and the balance had moved before that day.",
                    lambda: -_column("daily gain", _first_call_day())),
            Mistake("That is the call of one contract: the account holds both contracts, with twice the margins.",
                    lambda: _first_call() / CONTRACTS),
            Mistake("A balance below the initial margin is not enough for a call: the call comes only when the "
                    "balance falls below the MAINTENANCE margin.", _call_below_initial),
        ),
        hint="Settle day by day: balance = previous balance + daily gain; on the first day it is below the "
             "maintenance margin of the position, the call is the initial margin of the position minus the balance.",
    ),
    NumberQuestion(
        id="q3",
        prompt=f"A second trader sold (went short) the same {CONTRACTS} contracts at the same price, with the same "
               f"margins, on the same path (settlement prices {PATH} USD per ounce on days 1 to {len(PRICES)}). "
               f"What is the short's cumulative gain at the end of day {len(PRICES)}, in USD (negative for a loss)? "
               + TOLERANCE,
        expected=lambda: _column("cumulative gain", len(PRICES), side="short"),
        unit="USD",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the long's result. A short gains when the price falls: its daily gain is the "
                    "opposite of the long's.", lambda: _column("cumulative gain", len(PRICES))),
            Mistake("It looks like you counted one contract only: the short is 2 contracts of 100 oz.",
                    lambda: _column("cumulative gain", len(PRICES), side="short", contracts=1)),
            Mistake("That is the margin account balance at the end; the gain is the balance minus what was "
                    "deposited.", lambda: _column("margin account balance", len(PRICES), side="short")),
            Mistake("That is only the last day's gain: the cumulative gain adds up every day's.",
                    lambda: _column("daily gain", len(PRICES), side="short")),
            Mistake("It looks like you forgot the contract size: each contract is for 100 troy ounces.",
                    lambda: _column("cumulative gain", len(PRICES), side="short", multiplier=1)),
        ),
        hint="The daily gains add up to side x contracts x 100 oz x (last settlement price - entry price), "
             "with side = -1 for a short.",
    ),
    FunctionQuestion(
        id="q4",
        prompt="Write variation_margin(balance, initial_margin, maintenance_margin): the margin call, in USD, of a "
               "futures margin account whose balance after the day's settlement is `balance`, all three amounts "
               "for the whole position. Return 0 when there is no call. (Results within 0.01 USD count.)",
        reference_function=_one_day_call,
        cases=VARIATION_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("Your function tops the balance up to the maintenance margin. A margin call restores the "
                    "INITIAL margin.", _to_maintenance),
            Mistake("Your function makes a call when the balance equals the maintenance margin: a call comes only "
                    "when the balance is BELOW it.", _at_or_below),
            Mistake("Your function makes a call whenever the balance is below the initial margin: the trigger is "
                    "the maintenance margin, the target is the initial margin.", _below_initial),
            Mistake("Your function always returns initial margin - balance: with no call (the balance at or above "
                    "the maintenance margin) it must return 0.", _always),
            Mistake("Your function returns the balance after the top-up; the question asks for the amount paid in.",
                    _balance_after_top_up),
            Mistake("Your call has the wrong sign: it is money the trader pays IN, initial margin - balance, a "
                    "positive amount.", lambda *case: -_one_day_call(*case)),
        ),
        hint="Two questions: is the balance below the maintenance margin (the trigger)? If so, how much brings it "
             "back to the initial margin (the target)?",
    ),
    ChoiceQuestion(
        id="q5",
        prompt="In Hull's model of a futures margin account: the same evening, two accounts reach their "
               "maintenance level. A futures trader, long gold futures, "
               "finds the balance below the maintenance margin after the day's settlement. A crypto trader's "
               "isolated BTCUSDT long sees the mark price reach its liquidation price. What happens next?",
        options={
            "both get a margin call and have until the next day to pay; whoever does not pay is closed out":
                "Only the futures trader is asked. A crypto exchange may warn as the margin ratio climbs, but it "
                "does not wait for money: at the liquidation price the position is closed at once.",
            "the futures broker asks for variation margin back to the initial margin and closes out only if the "
            "call is not met; the crypto exchange closes the crypto position at once, without asking":
                "Right: the futures broker asks and the trader decides whether to pay; the crypto exchange "
                "decides alone, at the mark price, day or night.",
            "the futures exchange also liquidates automatically at the maintenance level; daily settlement only "
            "sets the price it closes at":
                "In Hull's model nothing is liquidated at a price: the account is settled once a day, a margin call "
                "asks for money, and only an unmet call leads the broker to close out the position.",
        },
        answer="the futures broker asks for variation margin back to the initial margin and closes out only if "
               "the call is not met; the crypto exchange closes the crypto position at once, without asking",
    ),
    ChoiceQuestion(
        id="q6",
        prompt="A futures trader long 2 gold contracts does not meet a margin call. Before the broker closes out "
               "the position, the price gaps down, and the next settlement leaves the margin account at −1,250 "
               "USD. What is true?",
        options={
            "the trader owes the broker the 1,250 USD: a futures loss is not capped at the margin":
                "Right: each day's loss is taken from the account whatever the balance, so a gap before the "
                "close-out leaves a debt to the broker. Nothing caps the loss at the margin, unlike an isolated "
                "crypto position.",
            "the loss stops at the money in the account: the exchange's insurance fund covers the rest, as on a "
            "crypto exchange":
                "That is the crypto rule (lesson 3): the insurance fund takes what a liquidation beyond the "
                "bankruptcy price leaves. In futures, the day's loss is taken from the account whatever the "
                "balance, and a negative balance is the trader's debt.",
            "nothing is owed: the broker should have closed out sooner, so the shortfall is the broker's":
                "Closing out takes time, and the trader chose not to pay the call. The day's loss is settled "
                "whatever the balance, and the trader owes the negative balance to the broker.",
        },
        answer="the trader owes the broker the 1,250 USD: a futures loss is not capped at the margin",
    ),
)
