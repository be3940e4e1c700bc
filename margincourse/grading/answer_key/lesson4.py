"""Exercise 4, cross vs isolated: what backs a position, shared collateral, adding margin.

Every expected value is computed by the engine (:mod:`margincourse.engine.formulas`, the shipped
Binance tiers, :class:`margincourse.Account`, :func:`margincourse.scenario`).
"""

from functools import lru_cache

from ...engine import formulas as f
from ...engine.account import Account
from ...basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Varied
from ...engine.paths import scenario
from ...engine.specs import tier_table

TICK = "(Answers within 0.1 USDT count, so rounding to BTCUSDT's 0.1 tick is fine.)"
BALANCE = 1_000

# q1: one cross position (the builder _q1's defaults: 0.05 BTC at 60,000, 25x, a 1,000 USDT account).
# q2: the lesson's BTC + ETH cross pair; ETH falls (to 2,800, _q2's default), BTC does not move.
BTC_SIZE, BTC_ENTRY, BTC_LEVERAGE = 0.1, 50_000, 50
ETH_SIZE, ETH_ENTRY, ETH_LEVERAGE = 1, 3_000, 20
# q3: the 50x trade in cross through a wick.
W_SCENARIO = "wick_down_30"
# q5: add margin to the 50x isolated long until its liquidation price is this low (45,000, _q5's default).
# q8: hedge mode, cross: a long and a short of BTCUSDT side by side, both in Binance's tier 1 (_q8's defaults:
# a 2,000 USDT wallet, 0.2 BTC long at 40,000, 0.1 BTC short at 42,000).


def _mmr1(symbol="BTCUSDT"):
    return tier_table(symbol, "binance").tiers[0].mmr


def _q1_expected(balance, size, entry, leverage):
    account = Account(balance)
    position = account.open("BTCUSDT", "long", size, entry, leverage=leverage, mode="cross")
    return account.liquidation_price(position)


@lru_cache(maxsize=None)
def _pair(eth_mark):
    """The BTC + ETH cross account after ETH's mark moved: (BTC liq. price, ETH MM, ETH UPNL)."""
    account = Account(BALANCE)
    btc = account.open("BTCUSDT", "long", BTC_SIZE, BTC_ENTRY, leverage=BTC_LEVERAGE, mode="cross")
    eth = account.open("ETHUSDT", "long", ETH_SIZE, ETH_ENTRY, leverage=ETH_LEVERAGE, mode="cross")
    account.mark({"ETHUSDT": eth_mark})
    return account.liquidation_price(btc), account.maintenance_margin(eth), account.unrealized_pnl(eth)


def _pair_lp(other_mm, other_upnl):
    return f.liquidation_price("long", BTC_ENTRY, BTC_SIZE, BALANCE, _mmr1(), 0.0, other_mm, other_upnl)


@lru_cache(maxsize=None)
def _wick_wallets():
    """Wallet balance after the wick, for the isolated and the cross version of the 50x trade."""
    wallets = {}
    for mode in ("isolated", "cross"):
        account = Account(BALANCE)
        account.open("BTCUSDT", "long", BTC_SIZE, BTC_ENTRY, leverage=BTC_LEVERAGE, mode=mode)
        account.run(scenario(W_SCENARIO, start_price=BTC_ENTRY))
        wallets[mode] = account.wallet_balance
    return wallets


def _bucket_for(target_lp, mmr):
    """The isolated margin whose liquidation price is ``target_lp`` (the formula is linear in WB)."""
    at_1 = f.liquidation_price("long", BTC_ENTRY, BTC_SIZE, 1.0, mmr)
    at_2 = f.liquidation_price("long", BTC_ENTRY, BTC_SIZE, 2.0, mmr)
    return 1.0 + (target_lp - at_1) / (at_2 - at_1)


def _initial_margin():
    return f.initial_margin(BTC_SIZE, BTC_ENTRY, BTC_LEVERAGE)


def _add_expected(target_lp):
    return _bucket_for(target_lp, _mmr1()) - _initial_margin()


# q4: write cross_liquidation_price.
def _cross_reference(side, entry_price, size, wallet_balance, mmr, maintenance_amount,
                     other_maintenance_margin, other_unrealized_pnl):
    return f.liquidation_price(side, entry_price, size, wallet_balance, mmr, maintenance_amount,
                               other_maintenance_margin, other_unrealized_pnl)


def _cross_without_upnl(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price(side, ep, q, wb, mmr, cum, tmm1, 0.0)


def _cross_upnl_subtracted(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price(side, ep, q, wb, mmr, cum, tmm1, -upnl1)


def _cross_without_tmm(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price(side, ep, q, wb, mmr, cum, 0.0, upnl1)


def _cross_tmm_added(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price(side, ep, q, wb + 2 * tmm1, mmr, cum, tmm1, upnl1)


def _cross_always_long(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price("long", ep, q, wb, mmr, cum, tmm1, upnl1)


def _cross_without_amount(side, ep, q, wb, mmr, cum, tmm1, upnl1):
    return f.liquidation_price(side, ep, q, wb, mmr, 0.0, tmm1, upnl1)


CROSS_CASES = (
    ("long", 50_000, 0.1, 1_000, 0.004, 0, 11.2, -200),
    ("short", 3_000, 2, 800, 0.004, 0, 20, 150),
    ("long", 60_000, 0.05, 1_000, 0.004, 0, 0, 0),
    ("short", 50_000, 0.1, 1_000, 0.004, 0, 12, -300),
    # Binance FAQ's cross example: ETHUSDT next to a BTCUSDT long (liquidation price 1,153.26).
    ("long", 1_456.84, 3_683.979, 1_535_443.01, 0.10, 135_365, 71_200.81144, -56_354.57),
)


def _hedge(wallet, long_size, long_entry, short_size, short_entry):
    return f.hedge_mode_liquidation_price(long_size, long_entry, short_size, short_entry, wallet, _mmr1(),
                                          _mmr1())


def _hedge_net_maintenance_only(wallet, long_size, long_entry, short_size, short_entry):
    """The margin balance of both legs, but the maintenance margin of the net position only."""
    net = long_size - short_size
    numerator = wallet - long_size * long_entry + short_size * short_entry
    return numerator / (net * _mmr1() - net)


def _q1(balance=1_000, size=0.05, entry=60_000, leverage=25):
    return NumberQuestion(
        id="q1",
        prompt=f"A {balance:,} USDT account opens one position, a cross long of {size:g} BTC at {entry:,} USDT with "
               f"{leverage}x leverage (Binance's tier 1: MMR 0.4 %, maintenance amount 0; no fees). What is its "
               f"liquidation price, in USDT? {TICK}",
        expected=lambda: _q1_expected(balance, size, entry, leverage),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("That is the liquidation price in isolated mode, backed by the initial margin alone. In "
                    "cross mode WB is the cross wallet balance.",
                    lambda: f.liquidation_price("long", entry, size, f.initial_margin(size, entry, leverage),
                                                _mmr1())),
            Mistake("It looks like you took the initial margin out of the wallet. In cross mode nothing is set "
                    "aside: WB is the whole cross wallet balance.",
                    lambda: f.liquidation_price("long", entry, size,
                                                balance - f.initial_margin(size, entry, leverage), _mmr1())),
            Mistake("It looks like you used the short's formula: for a long, side = +1.",
                    lambda: f.liquidation_price("short", entry, size, balance, _mmr1())),
        ),
        hint="Binance's formula with WB = the cross wallet balance (TMM1 = UPNL1 = 0: there is no other position).",
    )


def _q2(eth_mark=2_800):
    return NumberQuestion(
        id="q2",
        prompt=f"The lesson's cross pair in a 1,000 USDT account: a long of {BTC_SIZE} BTC at {BTC_ENTRY:,} USDT "
               f"({BTC_LEVERAGE}x) and a long of {ETH_SIZE} ETH at {ETH_ENTRY:,} USDT ({ETH_LEVERAGE}x), both in "
               f"cross mode. ETH's mark price falls to {eth_mark:,} USDT; BTC's stays at {BTC_ENTRY:,}. Both "
               "positions are in their first Binance tier (MMR 0.4 %, maintenance amount 0). What is the BTC "
               f"position's liquidation price now, in USDT? {TICK}",
        expected=lambda: _pair(eth_mark)[0],
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you forgot the ETH position's unrealized PnL (UPNL1): its loss comes out of "
                    "the same cross wallet.", lambda: _pair_lp(_pair(eth_mark)[1], 0.0)),
            Mistake("It looks like the ETH PnL has the wrong sign: UPNL1 is added, and a loss is negative.",
                    lambda: _pair_lp(_pair(eth_mark)[1], -_pair(eth_mark)[2])),
            Mistake("It looks like you forgot the ETH position's maintenance margin (TMM1): the wallet must "
                    "keep that for ETH too.", lambda: _pair_lp(0.0, _pair(eth_mark)[2])),
            Mistake("It looks like you left the ETH position out altogether: in cross mode it shares BTC's "
                    "collateral (TMM1 and UPNL1).", lambda: _pair_lp(0.0, 0.0)),
            Mistake("That is the BTC position's isolated liquidation price. In cross mode WB is the whole "
                    "cross wallet, minus ETH's maintenance margin, plus ETH's PnL.",
                    lambda: f.liquidation_price("long", BTC_ENTRY, BTC_SIZE, _initial_margin(), _mmr1())),
        ),
        hint="LP = (WB - TMM1 + UPNL1 + cum - side x Q x EP) / (Q x MMR - side x Q), with TMM1 and UPNL1 "
             "those of the ETH position at its mark price.",
    )


def _q5(target=45_000):
    return NumberQuestion(
        id="q5",
        prompt=f"The {BTC_LEVERAGE}x trade in isolated mode ({BTC_SIZE} BTC long at {BTC_ENTRY:,} USDT, "
               "100 USDT in its bucket, Binance's tier 1). How many USDT must you add to the bucket, by hand, to "
               f"move its liquidation price down to {target:,} USDT? (Answers within 0.01 USDT count.)",
        expected=lambda: _add_expected(target),
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the whole bucket needed; the question asks how much to add to the 100 USDT "
                    "already in it.", lambda: _bucket_for(target, _mmr1())),
            Mistake("That moves the bankruptcy price, not the liquidation price, to the target: the maintenance "
                    "margin at the target price must stay in the bucket too.",
                    lambda: _bucket_for(target, 0.0) - _initial_margin()),
        ),
        hint="Solve Binance's formula for WB: WB = LP x (Q x MMR - Q) + Q x EP - cum; then subtract what is "
             "already in the bucket.",
    )


def _q8(wallet=2_000, long=0.2, long_entry=40_000, short=0.1, short_entry=42_000):
    legs = (wallet, long, long_entry, short, short_entry)
    return NumberQuestion(
        id="q8",
        prompt=f"Hedge mode, cross margin, a wallet of {wallet:,} USDT: a long of {long:g} BTC at "
               f"{long_entry:,} USDT and a short of {short:g} BTC at {short_entry:,} USDT of the same "
               "contract, both in Binance's tier 1 (MMR 0.4 %, maintenance amount 0), no other positions. At what "
               f"mark price are they liquidated, in USDT? {TICK}",
        expected=lambda: _hedge(*legs),
        unit="USDT",
        tolerance=0.1,
        mistakes=(
            Mistake("It looks like you left the short out: in cross both legs share the wallet, and the short's "
                    "profit as the price falls holds the long up.",
                    lambda: _hedge(wallet, long, long_entry, 0.0, short_entry)),
            Mistake("It looks like you charged maintenance margin on the net position only: in hedge mode each "
                    "leg keeps its own maintenance margin.", lambda: _hedge_net_maintenance_only(*legs)),
            Mistake("It looks like you gave the short the long's sign: a short gains when the price falls "
                    "(+ S x EPS in the numerator, + S in the denominator).",
                    lambda: f.liquidation_price("long", (long * long_entry + short * short_entry) / (long + short),
                                                long + short, wallet, _mmr1())),
        ),
        hint="Binance's formula with both legs: LP = (WB + cumL + cumS - L x EPL + S x EPS) / "
             "(L x MMR_L + S x MMR_S - L + S).",
    )


QUESTIONS = (
    _q1(),
    _q2(),
    NumberQuestion(
        id="q3",
        prompt=f"The {BTC_LEVERAGE}x trade of the lesson ({BTC_SIZE} BTC long at {BTC_ENTRY:,} USDT, 1,000 USDT "
               f"account) in cross mode runs through the `{W_SCENARIO}` scenario (the cell above runs it). What is "
               "the wallet balance at the end, in USDT? (Answers within 0.01 USDT count.)",
        expected=lambda: _wick_wallets()["cross"],
        unit="USDT",
        tolerance=0.01,
        mistakes=(
            Mistake("That is the isolated result: the bucket of 100 USDT lost, the rest untouched. In cross "
                    "mode the whole wallet backs the position.", lambda: _wick_wallets()["isolated"]),
            Mistake("The last close is back at the entry price, but the wick's low came first: check whether "
                    "it reached the cross liquidation price.", lambda: float(BALANCE)),
        ),
        hint="Compute the cross liquidation price and compare it with the lowest low of the scenario.",
    ),
    FunctionQuestion(
        id="q4",
        prompt="Write cross_liquidation_price(side, entry_price, size, wallet_balance, mmr, maintenance_amount, "
               "other_maintenance_margin, other_unrealized_pnl): Binance's one-way-mode liquidation price of a "
               "cross position, side 'long' or 'short', where the last two arguments are TMM1 and UPNL1 of the "
               "other cross positions. (One of the test cases is the ETHUSDT example of Binance's FAQ.)",
        reference_function=_cross_reference,
        cases=CROSS_CASES,
        tolerance=0.01,
        mistakes=(
            Mistake("Right without other positions, wrong with them: the other positions' unrealized PnL "
                    "(UPNL1) is missing.", _cross_without_upnl),
            Mistake("The other positions' unrealized PnL has the wrong sign: it is added (a loss is negative).",
                    _cross_upnl_subtracted),
            Mistake("The other positions' maintenance margin (TMM1) is missing: it is subtracted from WB.",
                    _cross_without_tmm),
            Mistake("The other positions' maintenance margin (TMM1) is added: it is subtracted from WB.",
                    _cross_tmm_added),
            Mistake("Longs are right, shorts are not: use side = -1 for a short, in both places.",
                    _cross_always_long),
            Mistake("The maintenance amount (cum) is missing: it is added in the numerator.",
                    _cross_without_amount),
        ),
        hint="LP = (WB - TMM1 + UPNL1 + cum - side x Q x EP) / (Q x MMR - side x Q), side = +1 long, -1 short.",
    ),
    _q5(),
    ChoiceQuestion(
        id="q6",
        prompt="Your only position is a 10x cross long of 0.02 BTC at 50,000 USDT in a 1,000 USDT account. The "
               "exchange shows its liquidation price as \"--\". What is true?",
        options={
            "the position cannot lose money: there is no liquidation price":
                "It loses 0.02 USDT for every dollar BTC falls, all of it out of your wallet. \"--\" only means "
                "the formula gives a price of 0 or less, which BTC cannot reach.",
            "it cannot be liquidated while nothing else draws on the wallet, but it can lose the whole wallet":
                "Right: the wallet covers the whole notional, so only a fall to zero would use it up. Fees, "
                "funding or a losing second cross position would lift the liquidation price above zero.",
            "the exchange has not computed it yet; it appears after the first price move":
                "The formula gives it at once: with WB = 1,000 and a notional of 1,000 it is 0 or less, and "
                "exchanges show that as \"--\" (Binance's FAQ says so).",
        },
        answer="it cannot be liquidated while nothing else draws on the wallet, but it can lose the whole wallet",
    ),
    ChoiceQuestion(
        id="q7",
        prompt="The same 50x isolated long (100 USDT bucket) in a 1,000 USDT account, now with auto-add margin "
               "switched on (Bybit's rule: the initial margin each time, until the position is at 1x). BTC falls "
               "steadily to half its price. What can this one position take from the account?",
        options={
            "everything that auto-add can move in, here the whole 1,000 USDT: the same as cross":
                "Right: the top-ups keep going until the available balance is empty, then the position is "
                "liquidated with all of it (lesson 4's table: same result as cross).",
            "only its 100 USDT: it is isolated":
                "That is the cap auto-add margin removes: each time the price reaches the liquidation price, "
                "more of the available balance is moved into the bucket, and the bucket is what is lost.",
            "nothing: auto-add margin prevents liquidation":
                "It only postpones it while there is balance to move in; the loss keeps growing and, once the "
                "balance is used up, the position is liquidated anyway.",
        },
        answer="everything that auto-add can move in, here the whole 1,000 USDT: the same as cross",
    ),
    _q8(),
)

#: What an instructor's variant may change (``make-exercises --variant``, :mod:`margincourse.grading.variants`).
#: q3 stays: the notebook's code cell above it runs that trade through its scenario.
VARIED = {
    "q1": Varied(_q1, {"balance": (600, 800, 1_200, 1_500), "size": (0.04, 0.06, 0.08, 0.1),
                       "entry": (55_000, 58_000, 63_000, 66_000), "leverage": (20, 30, 50, 75)}),
    "q2": Varied(_q2, {"eth_mark": (2_650, 2_700, 2_750, 2_850, 2_900)}),
    "q5": Varied(_q5, {"target": (42_000, 43_500, 46_000, 47_000)}),
    "q8": Varied(_q8, {"wallet": (1_200, 1_500, 2_500, 3_000), "long": (0.25, 0.3, 0.35),
                       "long_entry": (38_000, 39_000, 41_000, 42_000), "short": (0.05, 0.08, 0.12),
                       "short_entry": (39_500, 41_000, 43_000, 44_000)}),
}
