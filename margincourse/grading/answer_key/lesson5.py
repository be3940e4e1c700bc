"""Exercise 5, the copy-trading trap: copying a martingale master in cross and in isolated mode.

Only the engine is used (:class:`margincourse.Account`, :func:`margincourse.scenario`):
a follower copies three orders of a master who doubles down every 5 % lower, then the
price keeps falling. Every expected value comes from the account engine.
"""

from functools import lru_cache

from ...engine import formulas as f
from ...engine.account import Account
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion
from ...engine.paths import scenario
from ...engine.specs import tier_table

TICK = "(Answers within 0.1 USDT count, so rounding to BTCUSDT's 0.1 tick is fine.)"
BALANCE = 1_000
LEVERAGE = 10
ORDERS = ((50_000, 0.01), (47_500, 0.02), (45_125, 0.04))  # (price, size): 5 % lower, twice as large
SCENARIO = "crash_50"


@lru_cache(maxsize=None)
def _follower(mode):
    """(account, position, liquidation price after the three orders, timeline of the crash)."""
    account = Account(BALANCE)
    for price, size in ORDERS:
        position = account.open("BTCUSDT", "long", size, price, leverage=LEVERAGE, mode=mode)
    lp = account.liquidation_price(position)
    entry, total, margin = position.entry_price, position.size, position.margin
    timeline = account.run(scenario(SCENARIO, start_price=ORDERS[-1][0]))
    return {"account": account, "lp": lp, "entry": entry, "size": total, "margin": margin, "timeline": timeline}


def _average_entry():
    return _follower("cross")["entry"]


def _mmr1():
    return tier_table("BTCUSDT", "binance").tiers[0].mmr


def _total_size():
    return _follower("cross")["size"]


# q4: write average_entry(sizes, prices), checked against the account engine's averaging.
def _average_reference(sizes, prices):
    account = Account(1e12)
    for size, price in zip(sizes, prices):
        position = account.open("BTCUSDT", "long", size, price, leverage=1, mode="cross")
    return position.entry_price


def _average_of_prices(sizes, prices):
    return sum(prices) / len(prices)


def _last_price(sizes, prices):
    return prices[-1]


def _price_per_size(sizes, prices):
    return sum(prices) / sum(sizes)


AVERAGE_CASES = (
    ((0.01, 0.02, 0.04), (50_000, 47_500, 45_125)),
    ((0.1, 0.1), (60_000, 40_000)),
    ((1.0,), (30_000,)),
    ((0.5, 1.0, 2.0, 4.0), (40_000, 38_000, 36_100, 34_295)),
    ((0.03, 0.01), (20_000, 24_000)),
)


QUESTIONS = (
    NumberQuestion(
        id="q1",
        prompt="The master buys 0.01 BTC at 50,000 USDT, then 0.02 BTC at 47,500, then 0.04 BTC at 45,125 "
               "(each order 5 % lower and twice as large). Your copy merges the three into one position "
               "(one-way mode). What is its average entry price, in USDT? (Answers within 0.01 USDT count.)",
        expected=_average_entry,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you averaged the three prices. The entry price is weighted by size: the "
                    "larger, later orders count more.", lambda: _average_of_prices(None, [price for price, _ in ORDERS])),
            Mistake("That is the last order's price. The exchange averages all the orders, weighted by size.",
                    lambda: float(ORDERS[-1][0])),
        ),
        hint="Average entry = sum of (size x price) / sum of sizes.",
    ),
    NumberQuestion(
        id="q2",
        prompt=f"You copy the three orders in cross mode at {LEVERAGE}x in a 1,000 USDT account (no fees; the "
               "position stays in Binance's tier 1: MMR 0.4 %, maintenance amount 0). What is the liquidation "
               f"price of the merged position, in USDT? {TICK}",
        expected=lambda: _follower("cross")["lp"],
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the isolated liquidation price, backed only by the three orders' margins. In cross "
                    "mode WB is the whole cross wallet.", lambda: _follower("isolated")["lp"]),
            Mistake("It looks like you used the last order's price as the entry price: after every add the "
                    "entry price is the size-weighted average.",
                    lambda: f.liquidation_price("long", ORDERS[-1][0], _total_size(), BALANCE, _mmr1())),
            Mistake("It looks like you used only the last order's size: the merged position holds all three.",
                    lambda: f.liquidation_price("long", _average_entry(), ORDERS[-1][1], BALANCE, _mmr1())),
        ),
        hint="Binance's formula with Q = the total size, EP = the average entry price, WB = the cross wallet.",
    ),
    NumberQuestion(
        id="q3",
        prompt="The master does not stop the loss, and the price keeps falling: the cell above runs your cross "
               f"copy through the `{SCENARIO}` scenario, starting at the last order's price. What is left of your "
               "1,000 USDT (the wallet balance at the end), in USDT? (Answers within 0.01 USDT count.)",
        expected=lambda: _follower("cross")["account"].wallet_balance,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is what an isolated copy would keep, as if the orders' margins were a cap. In cross "
                    "mode the copied position is backed by the whole wallet, and takes it all when it is "
                    "liquidated.",
                    lambda: _follower("isolated")["account"].wallet_balance),
        ),
        hint="Compare the scenario's lowest price with the cross liquidation price of q2.",
    ),
    FunctionQuestion(
        id="q4",
        prompt="Write average_entry(sizes, prices): the average entry price, in USDT, of a position built from "
               "orders of sizes[i] BTC at prices[i] (all on the same side), as the exchange computes it after "
               "each add.",
        reference_function=_average_reference,
        cases=AVERAGE_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("That is the plain average of the prices: weight each price by its order's size.",
                    _average_of_prices),
            Mistake("That is the last order's price: the exchange averages all of them, weighted by size.",
                    _last_price),
            Mistake("Sum of the prices divided by the sum of the sizes is not an average price: multiply each "
                    "price by its size first, then divide by the total size.", _price_per_size),
        ),
        hint="sum(size x price) / sum(size).",
    ),
    NumberQuestion(
        id="q5",
        prompt="This is the martingale's lure. After the third order, by how many percent must BTC rise from the "
               "last order's price (45,125 USDT) for the merged position to break even (back to its average "
               "entry price, ignoring fees)? Give a percentage, e.g. 2.5 for 2.5 %. "
               "(Answers within 0.01 percentage points count.)",
        expected=lambda: (_average_entry() / ORDERS[-1][0] - 1) * 100,
        unit="%",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the rise back to the first order's price. Breaking even only needs the average "
                    "entry price, which the doubled orders pulled down.",
                    lambda: (ORDERS[0][0] / ORDERS[-1][0] - 1) * 100),
            Mistake("It looks like you divided by the average entry price: the rise is measured from the last "
                    "order's price, (average - last) / last.",
                    lambda: (1 - ORDERS[-1][0] / _average_entry()) * 100),
        ),
        hint="(average entry - last price) / last price x 100.",
    ),
    NumberQuestion(
        id="q6",
        prompt="Now the same three orders copied in isolated mode (each order's initial margin moves into the "
               "position's bucket; auto-add margin off), through the same scenario (the cell above). What is "
               "your wallet balance at the end, in USDT? (Answers within 0.01 USDT count.)",
        expected=lambda: _follower("isolated")["account"].wallet_balance,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you thought the copy keeps the margin balance left at the liquidation price "
                    "(margin minus maintenance margin). An isolated position loses its whole margin.",
                    lambda: BALANCE - _follower("isolated")["margin"]
                    + _follower("isolated")["size"] * _follower("isolated")["lp"] * _mmr1()),
            Mistake("Only the last order's margin? The three orders merged into one position, and its bucket "
                    "holds all three margins.",
                    lambda: BALANCE - f.initial_margin(ORDERS[-1][1], ORDERS[-1][0], LEVERAGE)),
            Mistake("That is the cross result. In isolated mode only the bucket is lost.",
                    lambda: _follower("cross")["account"].wallet_balance),
        ),
        hint="What is in the isolated bucket after three orders, and what does a liquidation take?",
    ),
    ChoiceQuestion(
        id="q7",
        prompt="You want to copy a master trader who doubles down on losing longs and uses cross margin. Your "
               "account holds 1,000 USDT. Which follower setup limits what this trader can cost you to an amount "
               "you chose?",
        options={
            "copy in cross margin, like the master: the whole account gives the copies breathing room":
                "In cross mode your whole wallet backs the master's growing position: you are tied to their "
                "worst decision, up to the whole account.",
            "copy in cross margin, but at 2x instead of the master's leverage":
                "In cross mode the leverage only sets the initial margin needed to open; the whole wallet still "
                "backs the position, so the loss can still reach all of it.",
            "isolated margin with auto-add margin on, so the copies are not liquidated too early":
                "Auto-add margin refills the bucket from your available balance every time the position nears "
                "liquidation: the isolated loss cap is gone.",
            "a fixed budget for this trader and isolated margin, with auto-add margin off":
                "Right: the budget caps what the copies may use, and isolated margin caps each position at its "
                "bucket. That is the 'risk reconstruction' of Richra's article on isolated vs cross margin risk in "
                "copy trading.",
        },
        answer="a fixed budget for this trader and isolated margin, with auto-add margin off",
    ),
)
