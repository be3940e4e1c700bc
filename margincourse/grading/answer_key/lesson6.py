"""Exercise 6, choosing a mode: what one trade can take, leverage against a wick, a stress run.

Every expected value is computed by the engine (:class:`margincourse.Account` and its
``max_loss``, :func:`margincourse.liquidation_price_for_tiers`, :func:`margincourse.scenario`).
"""

from functools import lru_cache

from ...engine import formulas as f
from ...engine.account import Account
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
from ...engine.paths import scenario
from ...engine.specs import tier_table

BALANCE = 1_000
ENTRY = 50_000

# The published scenarios (q1's and q2's are the builders' defaults; a variant deals others, see VARIED).

# q1: isolated, 100 USDT margin at 5x, auto-add on (Bybit's rule).
A_MARGIN, A_LEVERAGE = 100, 5
# q2: 0.02 BTC isolated long, a wick this far down.
W_SIZE, W_FALL = 0.02, 0.05
# q3: the course's running example in cross through a crash.
S_SIZE, S_LEVERAGE, S_SCENARIO = 0.02, 10, "crash_50"


def _size(margin, leverage, price=ENTRY):
    return round(margin * leverage / price, 8)


def _max_loss(mode, margin, leverage, wallet_balance, auto_add, entry=ENTRY):
    account = Account(wallet_balance)
    kwargs = {"auto_add_margin": True} if auto_add else {}
    position = account.open("BTCUSDT", "long", _size(margin, leverage, entry), entry, leverage=leverage, mode=mode,
                            **kwargs)
    return account.max_loss(position)


def _survives(leverage, size=W_SIZE, entry=ENTRY, fall=W_FALL):
    lp = f.liquidation_price_for_tiers("long", entry, size, f.initial_margin(size, entry, leverage),
                                       tier_table("BTCUSDT", "binance"))
    return lp < entry * (1 - fall)


def _highest_surviving_leverage(size=W_SIZE, entry=ENTRY, fall=W_FALL):
    return max(leverage for leverage in range(1, 126) if _survives(leverage, size, entry, fall))


@lru_cache(maxsize=None)
def _stress(mode):
    account = Account(BALANCE)
    account.open("BTCUSDT", "long", S_SIZE, ENTRY, leverage=S_LEVERAGE, mode=mode)
    timeline = account.run(scenario(S_SCENARIO, start_price=ENTRY))
    return {"equity": account.equity, "wallet": account.wallet_balance, "timeline": timeline}


# q4: write max_loss(mode, margin, leverage, wallet_balance, auto_add), checked against Account.max_loss.
def _max_loss_reference(mode, margin, leverage, wallet_balance, auto_add):
    return _max_loss(mode, margin, leverage, wallet_balance, auto_add)


def _ignores_auto_add(mode, margin, leverage, wallet_balance, auto_add):
    return _max_loss(mode, margin, leverage, wallet_balance, False)


def _auto_add_uncapped(mode, margin, leverage, wallet_balance, auto_add):
    if mode == "isolated" and auto_add:
        return float(wallet_balance)
    return _max_loss(mode, margin, leverage, wallet_balance, auto_add)


def _cross_is_margin(mode, margin, leverage, wallet_balance, auto_add):
    if mode == "cross":
        return float(margin)
    return _max_loss(mode, margin, leverage, wallet_balance, auto_add)


def _cross_is_always_the_wallet(mode, margin, leverage, wallet_balance, auto_add):
    if mode == "cross":
        return float(wallet_balance)
    return _max_loss(mode, margin, leverage, wallet_balance, auto_add)


MAX_LOSS_CASES = (
    ("isolated", 100, 10, 1_000, False),
    ("isolated", 100, 5, 1_000, True),
    ("isolated", 200, 10, 1_000, True),
    ("cross", 100, 10, 1_000, False),
    ("isolated", 50, 20, 400, True),
    ("isolated", 300, 2, 2_000, True),
    ("cross", 250, 4, 5_000, False),
)


def _q1(balance=BALANCE, entry=ENTRY, margin=A_MARGIN, leverage=A_LEVERAGE):
    return NumberQuestion(
        id="q1",
        prompt=f"A {balance:,} USDT account opens an isolated BTCUSDT long at {entry:,} USDT with {margin} USDT of "
               f"margin at {leverage}x, with auto-add margin ON (Bybit's rule: each time the price reaches the "
               "liquidation price, the initial margin is moved in again from the available balance, until the "
               "position is at 1x leverage). It is the only position. What is the most this trade can take from "
               "the account, in USDT (fees aside)? (Answers within 0.01 USDT count.)",
        expected=lambda: _max_loss("isolated", margin, leverage, balance, True, entry),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the cap of an isolated position with auto-add margin OFF. Auto-add keeps moving "
                    "your balance into the bucket, and the bucket is what is lost.",
                    lambda: float(margin)),
            Mistake("Auto-add stops when the position is at 1x: the bucket never holds more than the notional. "
                    "Check whether the available balance or that limit runs out first.",
                    lambda: float(balance)),
        ),
        hint="The bucket can grow until margin = notional (1x) or until the available balance is used up.",
    )


def _q2(size=W_SIZE, entry=ENTRY, fall=W_FALL):
    return NumberQuestion(
        id="q2",
        prompt=f"An isolated long of {size} BTC at {entry:,} USDT, opened with its initial margin "
               "(notional / leverage), Binance's tier 1 (MMR 0.4 %, maintenance amount 0). A one-minute wick "
               f"takes the mark price {fall * 100:g} % lower and straight back. What is the highest whole-number "
               "leverage at which the position survives the wick (its liquidation price stays below the wick's "
               "low)?",
        expected=lambda: _highest_surviving_leverage(size, entry, fall),
        tolerance=0.0,
        relative=0.0,
        mistakes=(
            Mistake("At that leverage the fall uses up the margin exactly (1 / leverage = the fall). The "
                    "exchange liquidates earlier, when the maintenance margin is all that is left: the "
                    "liquidation price sits a little closer to the entry.",
                    lambda: round(1 / fall)),
            Mistake("One too high: at that leverage the liquidation price is already above the wick's low. "
                    "Round the limit down, not to the nearest whole number.",
                    lambda: _highest_surviving_leverage(size, entry, fall) + 1),
        ),
        hint="With margin = notional / L and cum = 0, LP / EP = (1 - 1/L) / (1 - MMR). Find the largest L with "
             "LP below the wick's low.",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    NumberQuestion(
        id="q3",
        prompt=f"The course's running example, {S_SIZE} BTC long at {ENTRY:,} USDT with {S_LEVERAGE}x in a "
               f"1,000 USDT account, in cross mode, runs through the `{S_SCENARIO}` scenario (the cell above). What "
               "is the account's equity (wallet balance + unrealized PnL) at the end, in USDT? (Answers within "
               "0.01 USDT count.)",
        expected=lambda: _stress("cross")["equity"],
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the wallet balance: the position is still open, and its unrealized loss is not in "
                    "the wallet yet. Equity adds the unrealized PnL.", lambda: _stress("cross")["wallet"]),
            Mistake("That is the isolated result, the 100 USDT of margin lost. In cross mode there is no such "
                    "cap: the loss follows the price.", lambda: _stress("isolated")["equity"]),
            Mistake("Was the cross position liquidated? Compare its liquidation price with the scenario's "
                    "lowest price.", lambda: 0.0),
        ),
        hint="Equity = 1,000 + size x (last close - entry), if the position was never liquidated.",
    ),
    FunctionQuestion(
        id="q4",
        prompt="Write max_loss(mode, margin, leverage, wallet_balance, auto_add): the most one BTCUSDT long can "
               "take from an account holding `wallet_balance` USDT and no other position, fees aside. `mode` is "
               "'isolated' or 'cross'; `margin` is its initial margin, so its notional is margin x leverage; "
               "`auto_add` (True or False, always False for cross) follows Bybit's rule: top-ups from the "
               "available balance until the bucket holds the whole notional (1x).",
        reference_function=_max_loss_reference,
        cases=MAX_LOSS_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("Right without auto-add, wrong with it: auto-add margin moves more of the balance into the "
                    "bucket, so the bucket can grow beyond the initial margin.", _ignores_auto_add),
            Mistake("With auto-add, the bucket stops growing at 1x leverage (margin = notional): take the "
                    "smaller of that limit and the balance.", _auto_add_uncapped),
            Mistake("In cross mode the margin is not a cap: the whole wallet backs the position.",
                    _cross_is_margin),
            Mistake("Right for a large cross long, wrong for a small one: the whole wallet backs it, but the "
                    "price cannot fall below zero, so a long can never lose more than its notional.",
                    _cross_is_always_the_wallet),
        ),
        hint="cross: the whole wallet or the notional, whichever is smaller (a long loses at most what it paid "
             "for); isolated: the margin; isolated with auto-add: the margin plus min(rest of the wallet, "
             "notional - margin).",
    ),
    ChoiceQuestion(
        id="q5",
        prompt="You hold a BTC long and an ETH short of the same notional as a hedge: when the market falls, one "
               "gains about what the other loses. Which mode makes the best use of your collateral, and what "
               "risk remains?",
        options={
            "isolated for each leg: that is always the safest":
                "Each bucket sees only its own loss: the losing leg can be liquidated while the winning leg's "
                "profit sits elsewhere, and then you hold an unhedged bet (lesson 4's hedge table).",
            "cross: one leg's unrealized profit backs the other; but if the two coins diverge, both can lose "
            "and the loss reaches the whole wallet":
                "Right: that is cross margin's capital efficiency, and its shared damage when the hedge stops "
                "working.",
            "it makes no difference: a hedge cannot be liquidated":
                "A hedge can be liquidated: in isolated mode one leg at a time, in cross mode when the two "
                "coins move apart enough.",
        },
        answer="cross: one leg's unrealized profit backs the other; but if the two coins diverge, both can lose "
               "and the loss reaches the whole wallet",
    ),
    ChoiceQuestion(
        id="q6",
        prompt="A 10x long at 50,000 USDT with 100 USDT of margin in a 1,000 USDT account, with a stop-loss at "
               "48,000. Overnight the price gaps from 50,000 straight to 42,500. What is true?",
        options={
            "the stop fills at 48,000 in either mode, so the loss is what was planned":
                "A stop is a market order triggered at 48,000; after a gap the first price available is far "
                "lower, and it fills there.",
            "isolated margin and a stop-loss are the same protection, so one is enough":
                "A stop-loss is an order that can slip in a gap; isolated margin is a structural cap on what "
                "the position can take, whatever the price does.",
            "the stop fills near 42,500: in cross mode the loss is larger than planned, in isolated mode it "
            "is still capped at the 100 USDT margin":
                "Right: the stop can slip, the isolated margin cannot. Use both: a stop for the exit you plan, "
                "isolated margin for the loss you can never exceed.",
        },
        answer="the stop fills near 42,500: in cross mode the loss is larger than planned, in isolated mode it "
               "is still capped at the 100 USDT margin",
    ),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: Only the trader's numbers; Bybit's auto-add rule and Binance's tier 1 (MMR 0.4 %) stay. Every combination is
#: checked: q1's notional (margin x leverage) stays below the balance at 2x or more, so the 1x limit, not the
#: balance, stops auto-add (its two mistakes stay apart from the answer) and the size is a whole number of
#: contracts; q2's size x entry stays in tier 1 (its answer then depends on the fall only), and each fall is
#: 1 / a whole number at least two above the answer, so both mistakes stay apart from it and from each other.
#: q3 is not varied: its numbers are the scenario the exercise's code cell runs (a prompt-only change would
#: contradict it).
VARIED = {
    "q1": Varied(_q1, {"balance": (1_200, 1_500, 2_000, 2_500), "entry": (20_000, 25_000, 100_000),
                       "margin": (50, 80, 120, 150), "leverage": (2, 3, 4, 6, 7)}),
    "q2": Varied(_q2, {"size": (0.01, 0.03, 0.05, 0.1), "entry": (40_000, 45_000, 55_000, 60_000),
                       "fall": (0.01, 0.02, 0.025, 0.04)}),
}
