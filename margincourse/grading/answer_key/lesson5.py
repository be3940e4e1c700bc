"""Exercise 5, the copy-trading trap: copying a martingale master in cross and in isolated mode, and
in the exchanges' copy modes.

Only the engine is used (:class:`margincourse.Account`, :func:`margincourse.scenario`, the
copy modes of :mod:`margincourse.engine.copytrading.modes`): a follower copies three orders
of a master who doubles down every 5 % lower, then the price keeps falling; the same orders
copied with a fixed amount of margin per order and with a multiplier of the master's size.
Every expected value comes from the engine.
"""

from functools import lru_cache

from ...engine import formulas as f
from ...engine.account import Account
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
from ...engine.copytrading import FollowerSettings, MasterStrategy, copy_ladder, copy_order_sizes
from ...engine.paths import scenario
from ...engine.specs import tier_table

TICK = "(Answers within 0.1 USDT count, so rounding to BTCUSDT's 0.1 tick is fine.)"
BALANCE = 1_000
LEVERAGE = 10
ORDERS = ((50_000, 0.01), (47_500, 0.02), (45_125, 0.04))  # (price, size): 5 % lower, twice as large
SCENARIO = "crash_50"
# copy modes (q8-q11): the same three orders are the master's martingale of MasterStrategy with a first
# order of 500 USDT of BTC at 50,000 (0.01 BTC), two doublings 5 % apart
MASTER = MasterStrategy(first_order=500.0, step=0.05, doublings=2, take_profit=0.05)
COPY_AMOUNT = 50.0  # USDT of margin per copied order (q8, q9)
MULTIPLIER, MULTIPLIER_LEVERAGE, MASTER_LEVERAGE = 0.2, 4, 25  # q10 (the builder _q10's defaults)
TAKE_PROFIT_PERCENT = 5  # q9: the master sells this many percent above its average entry (MASTER.take_profit)


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


# ----------------------------------------------------------------- copy modes (q8-q11)


def _fixed_amount_ladder():
    """The three orders copied with COPY_AMOUNT USDT of margin each at LEVERAGE (copy_ladder, whole contracts)."""
    settings = FollowerSettings("isolated", LEVERAGE, None, copy_mode="fixed_amount", copy_amount=COPY_AMOUNT)
    return copy_ladder(MASTER, settings, ORDERS[0][0])


def _fixed_amount_margin():
    """The copied orders' initial margins added up (unrounded; copy_ladder shows them to the cent)."""
    ladder = _fixed_amount_ladder()
    orders = zip(ladder["copy size (BTC)"], ladder["price"])
    return sum(f.initial_margin(size, price, LEVERAGE) for size, price in orders)


def _masters_take_profit(percent=TAKE_PROFIT_PERCENT):
    """The master sells ``percent`` % (MASTER's 5 %) above its own average entry (on the 0.1 tick)."""
    return f.round_to_tick(_average_entry() * (1 + percent / 100), 0.1)


def _copy_pnl_at_take_profit(sizes, prices, percent=TAKE_PROFIT_PERCENT):
    """What a copy of ``sizes`` at ``prices`` makes when the master takes profit (Account, no fees)."""
    account = Account(1e12)
    for size, price in zip(sizes, prices):
        position = account.open("BTCUSDT", "long", float(size), float(price), leverage=LEVERAGE, mode="cross")
    return account.unrealized_pnl(position, _masters_take_profit(percent))


def _fixed_amount_profit(percent=TAKE_PROFIT_PERCENT):
    ladder = _fixed_amount_ladder()
    return _copy_pnl_at_take_profit(ladder["copy size (BTC)"], ladder["price"], percent)


def _multiplied_order(multiplier=MULTIPLIER, leverage=MULTIPLIER_LEVERAGE):
    """The master's last order copied at ``multiplier`` x its size, rounded down to whole contracts."""
    settings = FollowerSettings(leverage=leverage, copy_mode="multiplier", copy_multiplier=multiplier)
    price, size = ORDERS[-1]
    return float(copy_order_sizes(settings, size, price)), price


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


def _q9(percent=TAKE_PROFIT_PERCENT):
    def sell():
        return _masters_take_profit(percent)

    return NumberQuestion(
        id="q9",
        prompt=f"The price then rises and the master sells everything at {sell():,.1f} USDT, in profit on **its "
               "own** average entry price (q1); your fixed-amount copy of q8 is closed at the same price. What "
               "is your copy's profit, in USDT (no fees)? (Answers within 0.01 USDT count.)",
        expected=lambda: _fixed_amount_profit(percent),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like you used the master's average entry price. Your copy's orders are not larger "
                    "lower down, so its own average entry is higher, and its profit at the master's take profit "
                    "smaller.",
                    lambda: float(_fixed_amount_ladder()["copy size (BTC)"].sum()) * (sell() - _average_entry())),
            Mistake("That is the profit of a copy that doubles with the master (a fixed ratio). Your fixed-amount "
                    "copy holds less.",
                    lambda: _copy_pnl_at_take_profit([s for _, s in ORDERS], [p for p, _ in ORDERS], percent)),
        ),
        hint="Your sizes from q8; your average entry = sum(size x price) / sum(size); profit = size x (sell price - "
             "average entry).",
    )


def _q10(multiplier=MULTIPLIER, leverage=MULTIPLIER_LEVERAGE, master_leverage=MASTER_LEVERAGE):
    def order():
        return _multiplied_order(multiplier, leverage)

    price, size = ORDERS[-1]
    return NumberQuestion(
        id="q10",
        prompt=f"A **multiplier** copy: your order is {multiplier} times the master's order size (OKX applies its "
               "multiplier to the lead trader's order value), rounded down to whole contracts of 0.0001 BTC, and "
               f"your own leverage, {leverage}x, sets its margin. The master trades at {master_leverage}x and buys "
               f"{size} BTC at {price:,} USDT. What initial margin, in USDT, does your copied order put up? "
               "(Answers within 0.01 USDT count.)",
        expected=lambda: f.initial_margin(*order(), leverage),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake(f"That is {multiplier} times the master's margin, as if the multiplier applied to margin (or "
                    f"you used the master's leverage). The multiplier scales the size; your margin then follows "
                    f"from your own leverage.",
                    lambda: multiplier * f.initial_margin(size, price, master_leverage)),
            Mistake("That is your order's notional: divide by your leverage for its margin.",
                    lambda: f.notional(*order())),
            Mistake("That is the master's whole order at your leverage: multiply its size first.",
                    lambda: f.initial_margin(size, price, leverage)),
        ),
        hint="Your size = multiplier x the master's size; margin = your size x price / your leverage.",
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
    NumberQuestion(
        id="q8",
        prompt=f"You copy the same three master orders in **fixed amount** mode: "
               f"{COPY_AMOUNT:,.0f} USDT of margin per copied order at your {LEVERAGE}x, each copied order rounded "
               "down to whole contracts of 0.0001 BTC. How much margin, in USDT, backs your copy after the three "
               "orders (the three orders' margins together)? (Answers within 0.01 USDT count.)",
        expected=_fixed_amount_margin,
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("It looks like your amount doubled with the master's orders. In fixed-amount mode every copied "
                    "order gets the same margin, whatever the master's size.",
                    lambda: COPY_AMOUNT * (1 + 2 + 4)),
            Mistake("That is the margin of a copy of the master's own orders (a fixed ratio). In fixed-amount mode "
                    "your orders do not follow the master's sizes.",
                    lambda: sum(f.initial_margin(size, price, LEVERAGE) for price, size in ORDERS)),
            Mistake("Close, but each copied order must be a whole number of contracts: its size is rounded down, so "
                    "a later order's margin comes out a little under the fixed amount.",
                    lambda: COPY_AMOUNT * len(ORDERS)),
        ),
        hint="Each order: size = amount x leverage / price, rounded down to 0.0001 BTC; its margin = size x price "
             "/ leverage.",
    ),
    _q9(),
    _q10(),
    ChoiceQuestion(
        id="q11",
        prompt="On Binance you copy a lead trader with a copy amount of 300 USDT, in cross margin; your Binance "
               "Futures wallet holds another 2,000 USDT. The lead trader's martingale runs into a crash and your "
               "copied position is liquidated. What money is at risk?",
        options={
            "your whole exchange balance, 2,300 USDT: in cross margin every USDT you hold backs the position":
                "Which balance is 'cross' here? Copied trades on Binance do not run in your Futures wallet: see "
                "what Binance's Frequently Asked Questions on Binance Futures Copy Trading say about the Copy "
                "Trading account.",
            "only the margin of the last copied order: cross margin limits each order to its own margin":
                "That describes no margin mode: in cross margin a position is backed by the whole balance of the "
                "account it runs in, not by its own margin.",
            "what you put into copy trading (the 300 USDT and whatever it has earned), not the Futures wallet":
                "Right: Binance's Frequently Asked Questions on Binance Futures Copy Trading: the Copy Trading "
                "account is independent from the Binance Futures account. Cross margin there means the copy "
                "trading money, not your whole exchange balance.",
            "nothing: a lead trader's liquidation is not copied, only their orders are":
                "Your copied position is your own, with its own liquidation price: when the price reaches it, "
                "your position is liquidated, whatever happens to the lead trader's.",
        },
        answer="what you put into copy trading (the 300 USDT and whatever it has earned), not the Futures wallet",
    ),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: Only q9's take profit (the master's sell price, stated in the prompt) and q10's multiplier and
#: leverages. The three orders, the 1,000 USDT account, the 10x and the crash are the notebook's own code cells
#: (orders, cross, isolated), which q1-q3, q5 and q6 ask about; q8's 50 USDT fixed amount stays because q9 closes
#: "your fixed-amount copy of q8" without restating it. Every combination is checked: q9's copy still ends in
#: profit; q10's leverages stay apart and no multiplier / leverage pair gives the published 0.2 / 4, so the
#: answer differs from the published one and each mistake from the answer and from the others.
VARIED = {
    "q9": Varied(_q9, {"percent": (3, 4, 6, 7, 8, 10)}),
    "q10": Varied(_q10, {"multiplier": (0.3, 0.35, 0.6, 0.75), "leverage": (2, 3, 5, 8),
                         "master_leverage": (10, 20, 50, 75)}),
}
