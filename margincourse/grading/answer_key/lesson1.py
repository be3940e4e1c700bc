"""Exercise 1, initial margin."""

from ...engine import formulas as f
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion


def _pnl(side, size, entry_price, exit_price):
    return f.unrealized_pnl(side, entry_price, size, exit_price)


QUESTIONS = (
    NumberQuestion(
        id="q1",
        prompt="Your futures account holds 1,000 USDT and no position. You open a short of 0.03 BTC of BTCUSDT "
               "at 64,000 USDT with 20x leverage. How many USDT of the account stay free for other positions "
               "(fees aside)?",
        expected=lambda: 1_000 - f.initial_margin(0.03, 64_000, 20),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you took the whole notional out of the account: only the margin, the notional "
                    "divided by the leverage, is locked.",
                    lambda: 1_000 - f.notional(0.03, 64_000)),
            Mistake("That is the margin the short locks; the question asks what is left free in the account.",
                    lambda: f.initial_margin(0.03, 64_000, 20)),
            Mistake("It looks like you added the margin to the account: a short locks margin just as a long does.",
                    lambda: 1_000 + f.initial_margin(0.03, 64_000, 20)),
            Mistake("It looks like you multiplied by the leverage instead of dividing by it.",
                    lambda: 1_000 - f.notional(0.03, 64_000) * 20),
        ),
        hint="Free = account - initial margin, and initial margin = size x price / leverage, for a short as "
             "for a long.",
    ),
    NumberQuestion(
        id="q2",
        prompt="Notional, in USDT, of 0.35 BTC at a mark price of 64,250.5 USDT (entry was 61,000). "
               "(The mark price is the price the exchange values open positions at, a fair price built mainly "
               "from spot prices on several exchanges; lesson 2 explains it. Here it is simply the current price.)",
        expected=lambda: f.notional(0.35, 64_250.5),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you used the entry price: the notional now uses the mark price.",
                    lambda: f.notional(0.35, 61_000)),
        ),
        hint="Notional = size x price, at the price the question names.",
    ),
    NumberQuestion(
        id="q3",
        prompt="Return on margin, as a fraction (0.05 means 5 %), of a 20x long when BTC rises 3 %.",
        expected=lambda: f.unrealized_pnl("long", 50_000, 0.1, 51_500) / f.initial_margin(0.1, 50_000, 20),
        tolerance=1e-4,
        mistakes=(
            Mistake("It looks like you left out the leverage: that is the price move itself.", lambda: 0.03),
            Mistake("It looks like you divided by the leverage instead of multiplying.", lambda: 0.03 / 20),
        ),
        hint="Return on margin = PnL / margin = price move x leverage.",
    ),
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
                              "0.1 BTC x the price move. The 50x trader loses a larger *share* of a smaller margin.",
            "the 5x trader": "The 5x trader posted more margin, but the loss depends on size and price only.",
        },
        answer="both lose the same amount of USDT",
    ),
)
