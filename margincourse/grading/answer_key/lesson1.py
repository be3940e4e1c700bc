"""Exercise 1, initial margin."""

from ...engine import formulas as f
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied


def _pnl(side, size, entry_price, exit_price):
    return f.unrealized_pnl(side, entry_price, size, exit_price)


def _q1(balance=1_000, size=0.03, price=64_000, leverage=20):
    return NumberQuestion(
        id="q1",
        prompt=f"Your futures account holds {balance:,} USDT and no position. You open a short of {size:g} BTC of "
               f"BTCUSDT at {price:,} USDT with {leverage}x leverage. How many USDT of the account stay free for "
               "other positions (fees aside)?",
        expected=lambda: balance - f.initial_margin(size, price, leverage),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you took the whole notional out of the account: only the margin, the notional "
                    "divided by the leverage, is locked.",
                    lambda: balance - f.notional(size, price)),
            Mistake("That is the margin the short locks; the question asks what is left free in the account.",
                    lambda: f.initial_margin(size, price, leverage)),
            Mistake("It looks like you added the margin to the account: a short locks margin just as a long does.",
                    lambda: balance + f.initial_margin(size, price, leverage)),
            Mistake("It looks like you multiplied by the leverage instead of dividing by it.",
                    lambda: balance - f.notional(size, price) * leverage),
        ),
        hint="Free = account - initial margin, and initial margin = size x price / leverage, for a short as "
             "for a long.",
    )


def _q2(size=0.35, mark=64_250.5, entry=61_000):
    return NumberQuestion(
        id="q2",
        prompt=f"Notional, in USDT, of {size:g} BTC at a mark price of {mark:,} USDT (entry was {entry:,}). "
               "(The mark price is the price the exchange values open positions at, a fair price built mainly "
               "from spot prices on several exchanges; lesson 2 explains it. Here it is simply the current price.)",
        expected=lambda: f.notional(size, mark),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you used the entry price: the notional now uses the mark price.",
                    lambda: f.notional(size, entry)),
        ),
        hint="Notional = size x price, at the price the question names.",
    )


def _q3(leverage=20, move_percent=3):
    move = move_percent / 100
    return NumberQuestion(
        id="q3",
        prompt=f"Return on margin, as a fraction (0.05 means 5 %), of a {leverage}x long when BTC rises "
               f"{move_percent:g} %.",
        expected=lambda: f.unrealized_pnl("long", 50_000, 0.1, 50_000 * (1 + move)) / f.initial_margin(0.1, 50_000, leverage),
        tolerance=1e-4,
        mistakes=(
            Mistake("It looks like you left out the leverage: that is the price move itself.", lambda: move),
            Mistake("It looks like you divided by the leverage instead of multiplying.", lambda: move / leverage),
        ),
        hint="Return on margin = PnL / margin = price move x leverage.",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    _q3(),
    FunctionQuestion(
        id="q4",
        prompt="Write pnl(side, size, entry_price, exit_price): the profit (+) or loss (-) in USDT of closing "
               "a position of `size` BTC opened at `entry_price` at `exit_price`, for side 'long' or 'short'.",
        reference_function=_pnl,
        cases=(("long", 0.02, 50_000, 51_000), ("long", 0.5, 60_000, 57_000),
               ("short", 0.02, 50_000, 51_000), ("short", 1.2, 30_000, 27_500)),
        mistakes=(
            Mistake("Longs are right, shorts are not: a short gains when price falls (multiply by -1 for a short).",
                    lambda side, size, entry, exit: f.unrealized_pnl("long", entry, size, exit)),
            Mistake("It looks like the sign is reversed for both sides: PnL = side x size x (exit - entry).",
                    lambda side, size, entry, exit: -f.unrealized_pnl(side, entry, size, exit)),
        ),
        hint="PnL = size x (exit - entry) for a long, and the opposite for a short.",
    ),
    ChoiceQuestion(
        id="q5",
        prompt="Two traders each hold 0.1 BTC long, one at 5x and one at 50x leverage. BTC falls 1 %. "
               "Who loses more USDT?",
        options={
            "both lose the same amount of USDT": "Same size, same price move, same loss; leverage only sets how "
                                                 "much margin backs it (and so the return on margin).",
            "the 50x trader": "Leverage changes the margin behind the position, not the PnL: both lose "
                              "0.1 BTC x the price move. The 50x trader loses a larger share of a smaller margin.",
            "the 5x trader": "The 5x trader posted more margin, but the loss depends on size and price only.",
        },
        answer="both lose the same amount of USDT",
    ),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
VARIED = {
    "q1": Varied(_q1, {"balance": (800, 1_500, 2_000, 2_500), "size": (0.02, 0.04, 0.05, 0.06),
                       "price": (58_000, 61_500, 67_000, 70_000), "leverage": (10, 25, 40, 50)}),
    "q2": Varied(_q2, {"size": (0.15, 0.25, 0.45, 0.6), "mark": (58_740.5, 61_320.25, 66_875.5, 69_410.75),
                       "entry": (55_000, 60_000, 63_000)}),
    "q3": Varied(_q3, {"leverage": (5, 10, 25, 50), "move_percent": (1.5, 2, 4, 5)}),
}
