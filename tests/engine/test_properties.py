"""Property-based tests (hypothesis) of the margin formulas and the account engine.

What is checked, whatever the numbers:

* an isolated liquidation takes the position's own margin and nothing else: the cross
  wallet does not move (except by what auto-add margin moved out of it on purpose);
* the wallet never goes negative, whatever the sequence of opens, marks (with and
  without gaps), candles, margin additions, closes and auto-add switches;
* every USDT is accounted for: ``ledger().expected_wallet_balance() == wallet_balance``;
* a refused operation raises MarginInputError and changes nothing;
* a long's liquidation price is below its entry and a short's above, and it moves toward
  the entry as leverage rises;
* the formulas give element for element on numpy arrays what they give on scalars;
* at the liquidation price the margin balance equals the maintenance margin, with the
  shipped tier tables, also for positions that span several tiers;
* ``mc.run`` tells exactly the story that ``Account.step`` tells candle by candle;
* with funding, stepped liquidation and a finite insurance fund (ADL) in the mix, every USDT
  is still accounted for, the wallet still never goes negative, an ADL's shortfall equals what
  the fund paid plus what the deleveraged winners did not receive, and isolated funding moves
  no other position's bucket; ``mc.run(..., funding=...)`` still equals settling funding and
  stepping candle by candle.

Tests marked ``# Regression`` failed on the code before commit 29fa684 and pin its fix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import margincourse as mc
from margincourse import MarginInputError
from margincourse.engine.events import LiquidationEvent, MarginAddedEvent
from margincourse.engine.funding import funding_schedule

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]

BASE_PRICES = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0, "BNBUSDT": 600.0}
SYMBOLS = tuple(BASE_PRICES)
TABLES = {
    ("BTCUSDT", "binance"): mc.tier_table("BTCUSDT", "binance"),
    ("BTCUSDT", "bitget"): mc.tier_table("BTCUSDT", "bitget"),
    ("ETHUSDT", "binance"): mc.tier_table("ETHUSDT", "binance"),
}


# --------------------------------------------------------------------------- helpers


def snapshot(account):
    """Everything a refused call must leave untouched, as comparable plain data."""
    return {
        "wallet_balance": account.wallet_balance,
        "cross_wallet_balance": account.cross_wallet_balance,
        "positions": [
            (p.id, p.symbol, p.side, p.mode, p.leverage, p.auto_add_margin, p.size, p.entry_price, p.margin, p.is_open)
            for p in account.positions
        ],
        "closed": [(p.id, p.is_open) for p in account.closed_positions],
        "marks": account.marks,
        "marks_order": list(account.marks),
        "events": len(account.events),
        "ledger": account.ledger(),
    }


def assert_conserved(account):
    ledger = account.ledger()
    tolerance = 1e-6 * max(1.0, ledger.deposits)
    assert abs(ledger.expected_wallet_balance() - account.wallet_balance) < tolerance, (ledger, account.wallet_balance)


def assert_not_negative(account):
    tolerance = 1e-9 * max(1.0, account.ledger().deposits)  # rounding only
    assert account.wallet_balance >= -tolerance, account.wallet_balance
    assert account.cross_wallet_balance >= -tolerance, account.cross_wallet_balance
    for p in account.positions:
        if p.mode == "isolated":
            assert p.margin > 0


def draw_account(data, *, balance=None):
    balance = balance or data.draw(st.floats(200, 1_000_000), label="balance")
    return mc.Account(
        balance,
        taker_fee=data.draw(st.sampled_from([0.0, 0.0002, 0.0005, 0.01]) | st.floats(0, 0.01), label="taker_fee"),
        liquidation_fee=data.draw(st.sampled_from([0.0, 0.005, 0.0125, 0.1]) | st.floats(0, 0.1), label="liquidation_fee"),
        auto_add_rule=data.draw(st.sampled_from(["initial_margin", "maintenance_margin"]), label="auto_add_rule"),
    )


def price_of(account, symbol):
    return account.marks.get(symbol, BASE_PRICES[symbol])


def draw_size(data, account, symbol, price, leverage, *, fit_tier=True, fractions=st.floats(0.001, 1.3)):
    """``(size, leverage)``: a whole number of contracts whose initial margin is some fraction of the
    available balance; with ``fit_tier`` the leverage is lowered to what the notional's tier allows."""
    spec = mc.contract(symbol)
    fraction = data.draw(fractions, label="size fraction")

    def size_for(lev):
        budget = max(account.available_balance, 1.0) * lev
        contracts = min(max(1, int(budget * fraction / (price * spec.contract_size))), 10**9)
        return round(contracts * spec.contract_size, 10)

    size = size_for(leverage)
    if fit_tier:
        tiers = account.tiers(symbol)
        notional = min(size * price, tiers.max_notional() * 0.999)
        cap = tiers.tier_for(notional).max_leverage
        if leverage > cap:
            leverage = cap
            size = size_for(leverage)
    return size, leverage


def draw_open(data, account, *, isolated_only=False, allow_auto_add=True):
    symbol = data.draw(st.sampled_from([s for s in SYMBOLS if account.exchange in mc.exchanges(s)]), label="symbol")
    price = round(price_of(account, symbol) * data.draw(st.floats(0.97, 1.03), label="open move"), 2)
    existing = next((p for p in account.positions if p.symbol == symbol), None)
    if existing is not None and data.draw(st.booleans(), label="add to existing"):
        side, mode, leverage, auto = existing.side, existing.mode, existing.leverage, existing.auto_add_margin
    else:
        side = data.draw(st.sampled_from(["long", "short"]), label="side")
        mode = "isolated" if isolated_only else data.draw(st.sampled_from(["isolated", "cross"]), label="mode")
        leverage = data.draw(
            st.sampled_from([1, 2, 5, 10, 20, 50, 75, 100, 125]) | st.floats(1, mc.contract(symbol).max_leverage), label="leverage"
        )
        auto = mode == "isolated" and allow_auto_add and data.draw(st.booleans(), label="auto_add")
    fit = existing is None and data.draw(st.integers(0, 4), label="fit leverage to tier") > 0
    size, leverage = draw_size(data, account, symbol, price, leverage, fit_tier=fit)
    margin = None
    if mode == "isolated" and data.draw(st.booleans(), label="explicit margin"):
        margin = size * price / leverage * data.draw(st.floats(1.0, 3.0), label="margin factor")
    return lambda: account.open(symbol, side, size, price, leverage, mode, margin=margin, auto_add_margin=auto)


def draw_mark(data, account):
    symbols = data.draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True), label="mark symbols")
    moves = st.floats(0.85, 1.18) | st.floats(0.6, 1.6)
    prices = {s: price_of(account, s) * data.draw(moves, label=f"move {s}") for s in symbols}
    gap = data.draw(st.booleans(), label="gap")
    return lambda: account.mark(prices, gap=gap)


def draw_step(data, account):
    symbols = data.draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True), label="step symbols")
    candles = {}
    for s in symbols:
        mark = price_of(account, s)
        o = mark * data.draw(st.floats(0.9, 1.1), label=f"open {s}")
        c = mark * data.draw(st.floats(0.85, 1.15), label=f"close {s}")
        h = max(o, c) * (1 + data.draw(st.floats(0, 0.2), label=f"wick up {s}"))
        l = min(o, c) * (1 - data.draw(st.floats(0, 0.3), label=f"wick down {s}"))
        candles[s] = (o, h, l, c)
    return lambda: account.step(candles)


def pick_position(data, account):
    choices = list(account.positions) + list(account.closed_positions[-2:])
    if not choices:
        return None
    return data.draw(st.sampled_from(choices), label="position")


def draw_operation(data, account):
    """One random operation on ``account``, as ``(name, thunk)``. Some are meant to be refused."""
    kinds = ["open", "open", "mark", "mark", "step", "step", "add_margin", "close", "set_auto_add_margin", "bad"]
    kind = data.draw(st.sampled_from(kinds), label="operation")
    if kind == "open" or (kind in ("add_margin", "close", "set_auto_add_margin") and not account.positions):
        return "open", draw_open(data, account)
    if kind == "mark":
        return kind, draw_mark(data, account)
    if kind == "step":
        return kind, draw_step(data, account)
    if kind == "add_margin":
        p = pick_position(data, account)
        amount = max(account.available_balance, 1.0) * data.draw(st.floats(0.0001, 1.3), label="amount fraction")
        return kind, lambda: account.add_margin(p, amount)
    if kind == "close":
        p = pick_position(data, account)
        price = price_of(account, p.symbol) * data.draw(st.floats(0.9, 1.1) | st.floats(0.5, 2.0), label="close move")
        return kind, lambda: account.close(p, price)
    if kind == "set_auto_add_margin":
        p = pick_position(data, account)
        enabled = data.draw(st.booleans(), label="enabled")
        return kind, lambda: account.set_auto_add_margin(p, enabled)
    # a wrong value somewhere: must always be refused
    bad = data.draw(st.sampled_from([0.0, -1.0, math.nan, math.inf, "100"]), label="bad value")
    which = data.draw(st.sampled_from(["open price", "open size", "mark", "step", "close", "add_margin", "leverage"]), label="bad where")
    p = account.positions[0] if account.positions else None
    thunks = {
        "open price": lambda: account.open("BTCUSDT", "long", 0.01, bad, 10, "isolated"),
        "open size": lambda: account.open("ETHUSDT", "short", bad, 3_000, 10, "cross"),
        "leverage": lambda: account.open("SOLUSDT", "long", 1, 150, bad if bad != 0.0 else 0.5, "isolated"),
        "mark": lambda: account.mark({"BTCUSDT": 50_000, "SOLUSDT": bad}),
        "step": lambda: account.step({"BNBUSDT": (600, 610, 590, 600), "ETHUSDT": (3_000, 3_100, bad, 3_000)}),
        "close": (lambda: account.close(p, bad)) if p else (lambda: account.mark({"ETHUSDT": bad})),
        "add_margin": (lambda: account.add_margin(p, bad)) if p else (lambda: account.mark({"ETHUSDT": bad})),
    }
    return "bad", thunks[which]


def run_random_operations(data, account, check, n_max=14, draw=draw_operation):
    """Apply random operations; after each one call ``check(account, refused)``."""
    # start with a portfolio of a few positions (as a trader would), then anything goes
    n_open = data.draw(st.integers(0, 4), label="opening positions")
    n = data.draw(st.integers(1, n_max), label="number of operations")
    for i in range(n_open + n):
        name, thunk = ("open", draw_open(data, account)) if i < n_open else draw(data, account)
        before = snapshot(account)
        try:
            thunk()
        except MarginInputError:
            assert snapshot(account) == before, f"refused {name} changed the account"
            check(account, True)
        else:
            assert name != "bad", "a NaN/inf/zero/negative/string value was accepted"
            check(account, False)


# --------------------------------------------------------------------------- random account operations


@settings(max_examples=50, **SETTINGS)
@given(st.data())
def test_refused_operations_change_nothing_and_money_is_conserved(data):
    account = draw_account(data)
    assert_conserved(account)

    def check(acct, refused):
        assert_conserved(acct)

    run_random_operations(data, account, check)


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_wallet_never_goes_negative(data):
    # A random walk over every operation rarely builds the state that broke this rule before
    # 29fa684 (it passed on the buggy code too); the next test builds that state on purpose.
    account = draw_account(data)

    def check(acct, refused):
        assert_not_negative(acct)

    run_random_operations(data, account, check)


@settings(max_examples=120, phases=NO_SHRINK, **SETTINGS)  # shrinking this one takes ~1 min
@given(st.data())
def test_closing_cross_positions_never_makes_the_wallet_negative(data):
    # Regression (fixed in 29fa684): Account.close booked a cross position's realised loss into the
    # cross wallet with no floor, so closing the losing leg of a cross portfolio whose other leg was in
    # profit drove wallet_balance below zero. This test failed on every seed tried on that code.
    account = draw_account(data)
    for symbol in data.draw(st.lists(st.sampled_from(SYMBOLS), min_size=2, max_size=4, unique=True), label="symbols"):
        side = data.draw(st.sampled_from(["long", "short"]), label="side")
        leverage = data.draw(st.sampled_from([10, 20, 50, 75]), label="leverage")
        size, leverage = draw_size(data, account, symbol, BASE_PRICES[symbol], leverage, fractions=st.floats(0.2, 0.7))
        try:
            account.open(symbol, side, size, BASE_PRICES[symbol], leverage, "cross")
        except MarginInputError:
            pass
    assume(len(account.positions) >= 2)
    for _ in range(data.draw(st.integers(1, 2), label="moves")):
        if not account.positions:
            break
        moves = {p.symbol: data.draw(st.floats(0.8, 1.25), label=f"move {p.symbol}") for p in account.positions}
        account.mark({s: account.marks[s] * f for s, f in moves.items()}, gap=data.draw(st.booleans(), label="gap"))
        assert_not_negative(account)
    if data.draw(st.booleans(), label="biggest loser first"):
        order = sorted(account.positions, key=account.unrealized_pnl)  # the adversarial order
    else:
        order = data.draw(st.permutations(list(account.positions)), label="closing order")
    for p in order:
        if not p.is_open:
            continue
        before = snapshot(account)
        try:
            account.close(p, account.marks[p.symbol] * data.draw(st.floats(0.98, 1.02), label="close move"))
        except MarginInputError:
            assert snapshot(account) == before
        assert_conserved(account)
        assert_not_negative(account)


def test_closing_a_losing_cross_position_with_profit_elsewhere_keeps_the_wallet_at_or_above_zero():
    # Regression (fixed in 29fa684). Before, Account.close did
    #     fee = min(fee, max(0.0, self._cross_wallet + freed + pnl))
    #     self._cross_wallet += freed + pnl - fee
    # so this close (a 2,000 USDT realised loss against a 1,000 USDT cross wallet, allowed because the
    # BTC long's 3,000 USDT unrealised profit kept the account safe) left wallet_balance ==
    # cross_wallet_balance == -1,000, and Account._lp then used max(cross_wallet, 1e-12) for the BTC
    # long, reporting a liquidation price of 60,240.96 while a mark at 65,000 liquidated it
    # (the true level was 70,281.12). Refusing the close is the fix; settling it against the
    # unrealised profit while keeping the wallet >= 0 would pass too.
    account = mc.Account(1_000)
    btc = account.open("BTCUSDT", "long", 0.1, 60_000, 100, "cross")
    account.mark({"BTCUSDT": 90_000})  # +3,000 unrealised
    eth = account.open("ETHUSDT", "short", 1, 3_000, 100, "cross")
    assert account.mark({"ETHUSDT": 5_000}) == []  # -2,000 unrealised; the account is still safe
    try:
        account.close(eth, 5_000)
    except MarginInputError:
        pass  # refusing is an acceptable fix
    assert account.wallet_balance >= 0
    assert account.cross_wallet_balance >= 0
    lp = account.liquidation_price(btc)
    events = account.copy().mark({"BTCUSDT": lp * 1.001})
    assert not events, f"liquidation_price says {lp:.2f} but a mark above it liquidates: {events}"


# --------------------------------------------------------------------------- isolated loss is capped


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_isolated_liquidation_never_touches_the_cross_wallet(data):
    account = draw_account(data)
    auto_add_allowed = data.draw(st.booleans(), label="auto add allowed")
    n_positions = data.draw(st.integers(1, 4), label="positions")
    for _ in range(n_positions * 3):
        if len(account.positions) >= n_positions:
            break
        try:
            draw_open(data, account, isolated_only=True, allow_auto_add=auto_add_allowed)()
        except MarginInputError:
            pass
    assume(account.positions)
    committed = sum(p.margin for p in account.positions)

    for _ in range(data.draw(st.integers(1, 10), label="moves")):
        move = data.draw(st.sampled_from([draw_mark, draw_step]), label="move kind")(data, account)
        margins = {p.id: p.margin for p in account.positions}
        max_loss = {p.id: account.max_loss(p) for p in account.positions}
        cross_before = account.cross_wallet_balance
        wallet_before = account.wallet_balance
        events = move()
        added = sum(e.amount for e in events if isinstance(e, MarginAddedEvent))
        assert all(e.automatic for e in events if isinstance(e, MarginAddedEvent))
        committed += added
        lost = 0.0
        for e in events:
            if isinstance(e, LiquidationEvent):
                assert e.mode == "isolated"
                # the margin it had, plus what auto-add moved in during this same move
                extra = sum(a.amount for a in events if isinstance(a, MarginAddedEvent) and a.position_id == e.position_id)
                assert e.collateral_lost == pytest.approx(margins[e.position_id] + extra, rel=1e-12, abs=1e-9)
                lost += e.collateral_lost
                # Account.max_loss, asked before the move, was an upper bound (the margin alone when auto-add is off)
                assert e.collateral_lost <= max_loss[e.position_id] * (1 + 1e-12) + 1e-9
                # the trader's loss is exactly the collateral: PnL, fee and insurance net to -margin
                net = e.realized_pnl - e.liquidation_fee - e.insurance_fund_contribution + e.insurance_fund_loss
                assert net == pytest.approx(-e.collateral_lost, rel=1e-9, abs=1e-6)
        scale = 1e-9 * max(1.0, account.ledger().deposits)
        # the cross wallet only pays for auto-added margin, never for a liquidation
        assert account.cross_wallet_balance == pytest.approx(cross_before - added, abs=scale)
        if not added:
            assert account.cross_wallet_balance == cross_before
        # the wallet loses exactly the collateral of the liquidated positions
        assert account.wallet_balance == pytest.approx(wallet_before - lost, abs=scale)
        ledger = account.ledger()
        assert account.wallet_balance >= ledger.deposits - committed - ledger.trading_fees - scale
        assert_conserved(account)
        assert_not_negative(account)


def test_isolated_gap_far_past_bankruptcy_costs_only_the_margin():
    account = mc.Account(10_000, taker_fee=0.0005, liquidation_fee=0.0125)
    p = account.open("BTCUSDT", "long", 0.5, 60_000, 100, "isolated")
    fee = account.ledger().trading_fees
    cross = account.cross_wallet_balance
    (event,) = account.mark({"BTCUSDT": 30_000}, gap=True)
    assert event.kind == "liquidation" and event.price == 30_000
    assert event.insurance_fund_loss == pytest.approx(0.5 * 30_000 - 300)
    assert account.cross_wallet_balance == cross
    assert account.wallet_balance == pytest.approx(10_000 - fee - p.margin)
    assert_conserved(account)


# --------------------------------------------------------------------------- liquidation price: side and leverage


def positions_in_tiers():
    """(table, side, entry, size, leverage) with a leverage the table allows at that notional."""

    @st.composite
    def build(draw):
        key = draw(st.sampled_from(sorted(TABLES)))
        table = TABLES[key]
        notional = draw(st.floats(10, table.max_notional() * 0.999))
        entry = draw(st.floats(1, 200_000))
        side = draw(st.sampled_from(["long", "short"]))
        cap = table.tier_for(notional).max_leverage
        leverage = draw(st.floats(1, cap))
        return table, side, entry, notional / entry, leverage

    return build()


@settings(max_examples=100, **SETTINGS)
@given(
    side=st.sampled_from(["long", "short"]),
    entry=st.floats(0.01, 1e6),
    size=st.floats(1e-4, 1e5),
    mmr=st.floats(0, 0.5),
    cum=st.floats(0, 1e6) | st.just(0.0),
    leverage_fraction=st.floats(0, 1),
)
def test_liquidation_price_on_the_losing_side_of_entry(side, entry, size, mmr, cum, leverage_fraction):
    # A position that may be opened has more margin than its maintenance margin at entry
    # (the initial rate 1/leverage is above the tier's mmr). With less than that it is liquidated
    # the moment it opens, and its "liquidation price" is on the other side of the entry: that is
    # arithmetic, not a bug, so the property is stated for margin > maintenance margin at entry.
    max_leverage = min(125.0, 0.999 / mmr) if mmr > 0 else 125.0
    leverage = 1 + leverage_fraction * (max_leverage - 1)
    wallet = size * entry / leverage
    assume(wallet > size * entry * mmr - cum + 1e-9 * size * entry)
    lp = mc.liquidation_price(side, entry, size, wallet, mmr, cum)
    if side == "long":
        assert lp < entry
    else:
        assert lp > entry


@settings(max_examples=100, **SETTINGS)
@given(positions_in_tiers())
def test_liquidation_price_for_tiers_on_the_losing_side_of_entry(position):
    table, side, entry, size, leverage = position
    lp = mc.liquidation_price_for_tiers(side, entry, size, size * entry / leverage, table)
    if side == "long":
        assert lp < entry  # may be <= 0: price can never get there
    else:
        assert lp > entry


@settings(max_examples=100, **SETTINGS)
@given(
    side=st.sampled_from(["long", "short"]),
    entry=st.floats(0.01, 1e6),
    size=st.floats(1e-4, 1e5),
    mmr=st.floats(0, 0.5),
    cum=st.floats(0, 1e4),
    leverages=st.tuples(st.floats(1, 125), st.floats(1, 125)),
)
def test_liquidation_price_moves_toward_entry_as_leverage_rises(side, entry, size, mmr, cum, leverages):
    low, high = sorted(leverages)
    assume(high > low * (1 + 1e-6))
    lp_low = mc.liquidation_price(side, entry, size, size * entry / low, mmr, cum)
    lp_high = mc.liquidation_price(side, entry, size, size * entry / high, mmr, cum)
    if side == "long":
        assert lp_high > lp_low
    else:
        assert lp_high < lp_low


@settings(max_examples=100, **SETTINGS)
@given(positions_in_tiers(), st.floats(0, 1))
def test_liquidation_price_for_tiers_moves_toward_entry_as_leverage_rises(position, fraction):
    table, side, entry, size, high = position
    low = 1 + fraction * (high - 1)
    assume(high > low * (1 + 1e-6))
    lp_low = mc.liquidation_price_for_tiers(side, entry, size, size * entry / low, table)
    lp_high = mc.liquidation_price_for_tiers(side, entry, size, size * entry / high, table)
    if side == "long":
        assert lp_high > lp_low
    else:
        assert lp_high < lp_low


# --------------------------------------------------------------------------- arrays == scalars


@st.composite
def formula_arrays(draw):
    """Random broadcastable arguments: each is a scalar, a length-n array or a (1, n)/(m, 1) array."""
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))

    def shaped(elements, name):
        shape = draw(st.sampled_from([(), (n,), (m, 1), (1, n), (m, n)]), label=f"{name} shape")
        count = int(np.prod(shape)) if shape else 1
        values = draw(st.lists(elements, min_size=count, max_size=count), label=name)
        if shape == ():
            return values[0]
        return np.array(values, dtype=object if name == "side" else float).reshape(shape)

    args = dict(
        side=shaped(st.sampled_from(["long", "short"]), "side"),
        entry_price=shaped(st.floats(0.01, 1e6), "entry_price"),
        size=shaped(st.floats(1e-4, 1e4), "size"),
        wallet_balance=shaped(st.floats(1e-3, 1e7), "wallet_balance"),
        other_maintenance_margin=shaped(st.floats(0, 1e5), "other_maintenance_margin"),
        other_unrealized_pnl=shaped(st.floats(-1e5, 1e5), "other_unrealized_pnl"),
    )
    mmr = shaped(st.floats(0, 0.5), "mmr")
    amount = shaped(st.floats(0, 1e6), "maintenance_amount")
    if isinstance(args["side"], np.ndarray):
        args["side"] = args["side"].astype(str)
    return args, mmr, amount


def _element(value, index):
    if not isinstance(value, np.ndarray):
        return value
    value = np.broadcast_to(value, index[1])[index[0]]
    return str(value) if isinstance(value, np.str_) else float(value)


@settings(max_examples=60, **SETTINGS)
@given(formula_arrays())
def test_liquidation_price_arrays_equal_scalars(arrays):
    args, mmr, amount = arrays
    result = mc.liquidation_price(mmr=mmr, maintenance_amount=amount, **args)
    everything = dict(args, mmr=mmr, maintenance_amount=amount)
    shape = np.broadcast_shapes(*(np.shape(v) for v in everything.values()))
    if shape == ():
        assert isinstance(result, float)
        return
    assert isinstance(result, np.ndarray) and result.shape == shape
    for index in np.ndindex(shape):
        scalar = mc.liquidation_price(**{k: _element(v, (index, shape)) for k, v in everything.items()})
        assert isinstance(scalar, float)
        assert result[index] == pytest.approx(scalar, rel=1e-12, abs=1e-9)


@settings(max_examples=60, **SETTINGS)
@given(formula_arrays(), st.sampled_from(sorted(TABLES)))
def test_liquidation_price_for_tiers_arrays_equal_scalars(arrays, key):
    args, _, _ = arrays
    table = TABLES[key]
    result = mc.liquidation_price_for_tiers(tiers=table, **args)
    shape = np.broadcast_shapes(*(np.shape(v) for v in args.values()))
    if shape == ():
        assert isinstance(result, float)
        return
    assert isinstance(result, np.ndarray) and result.shape == shape
    for index in np.ndindex(shape):
        scalar = mc.liquidation_price_for_tiers(tiers=table, **{k: _element(v, (index, shape)) for k, v in args.items()})
        assert result[index] == pytest.approx(scalar, rel=1e-12, abs=1e-9)


def test_liquidation_price_broadcasts_a_scalar_against_arrays():
    sides = np.array(["long", "short", "long"])
    balances = np.array([100.0, 200.0, 500.0])
    result = mc.liquidation_price(sides, 50_000, 0.02, balances, 0.004)
    expected = [mc.liquidation_price(s, 50_000, 0.02, b, 0.004) for s, b in zip(sides.tolist(), balances.tolist())]
    assert result.tolist() == pytest.approx(expected, rel=1e-15)
    table = TABLES[("BTCUSDT", "binance")]
    result = mc.liquidation_price_for_tiers("short", [50_000.0, 60_000.0], [[0.02], [20.0]], 1_000.0, table)
    assert result.shape == (2, 2)
    for i, size in enumerate([0.02, 20.0]):
        for j, entry in enumerate([50_000.0, 60_000.0]):
            assert result[i, j] == pytest.approx(mc.liquidation_price_for_tiers("short", entry, size, 1_000.0, table), rel=1e-15)


# --------------------------------------------------------------------------- margin balance == maintenance margin at LP


@settings(max_examples=150, **SETTINGS)
@given(
    key=st.sampled_from(sorted(TABLES)),
    side=st.sampled_from(["long", "short"]),
    entry=st.floats(1, 200_000),
    notional_exp=st.floats(1, math.log10(1.2e9)),
    wallet_fraction=st.floats(0.002, 1.5),
    others=st.booleans(),
    tmm1_fraction=st.floats(0, 0.05),
    upnl1_fraction=st.floats(-0.2, 0.5),
)
def test_margin_balance_equals_maintenance_margin_at_liquidation_price(
    key, side, entry, notional_exp, wallet_fraction, others, tmm1_fraction, upnl1_fraction
):
    table = TABLES[key]
    notional = 10**notional_exp
    size = notional / entry
    wallet = notional * wallet_fraction
    tmm1 = notional * tmm1_fraction if others else 0.0
    upnl1 = notional * upnl1_fraction if others else 0.0
    lp = mc.liquidation_price_for_tiers(side, entry, size, wallet, table, tmm1, upnl1)
    assume(lp > 0)
    sign = 1 if side == "long" else -1
    balance = wallet - tmm1 + upnl1 + sign * size * (lp - entry)
    maintenance = table.maintenance_margin(size * lp)
    tolerance = 1e-6 * abs(maintenance) + 1e-9 * (notional + wallet + abs(upnl1))
    assert balance == pytest.approx(maintenance, abs=tolerance)


@pytest.mark.parametrize("key", sorted(TABLES))
@pytest.mark.parametrize("side", ["long", "short"])
def test_margin_balance_at_lp_for_positions_spanning_tiers(key, side):
    table = TABLES[key]
    entry = 60_000.0 if key[0] == "BTCUSDT" else 3_000.0
    crossed = set()
    for tier in table.tiers:
        notional = min(tier.floor * 1.05 + 1_000, table.max_notional() * 0.99)
        size = notional / entry
        for leverage in (1.0, 2.0, tier.max_leverage):
            wallet = notional / leverage
            lp = mc.liquidation_price_for_tiers(side, entry, size, wallet, table)
            if lp <= 0:
                continue
            crossed.add(table.tier_for(size * lp).tier)
            sign = 1 if side == "long" else -1
            balance = wallet + sign * size * (lp - entry)
            maintenance = table.maintenance_margin(size * lp)
            assert balance == pytest.approx(maintenance, rel=1e-6, abs=1e-9 * notional)
    assert len(crossed) >= 3  # the sweep really exercised several tiers


# --------------------------------------------------------------------------- run() == step() per candle


@st.composite
def portfolios(draw):
    seed = draw(st.integers(0, 2**31 - 1), label="seed")
    n = draw(st.integers(10, 150), label="candles")
    interval = draw(st.sampled_from(["1min", "15min", "1h", "4h"]), label="interval")
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True), label="symbols")
    specs = []
    for s in symbols:
        specs.append(
            dict(
                symbol=s,
                side=draw(st.sampled_from(["long", "short"])),
                mode=draw(st.sampled_from(["isolated", "cross"])),
                leverage=draw(st.sampled_from([5, 10, 20, 50, 75]) | st.floats(1, 75)),
                fraction=draw(st.floats(0.02, 0.4)),
                auto=draw(st.booleans()),
                margin_factor=draw(st.sampled_from([1.0, 1.0, 1.5])),
            )
        )
    options = dict(
        balance=draw(st.floats(1_000, 200_000)),
        taker_fee=draw(st.sampled_from([0.0, 0.0005, 0.001])),
        liquidation_fee=draw(st.sampled_from([0.0, 0.005, 0.0125])),
        auto_add_rule=draw(st.sampled_from(["initial_margin", "maintenance_margin"])),
    )
    leave_out = draw(st.booleans()) and len(symbols) > 1  # one symbol without candles keeps its mark
    return seed, n, interval, specs, options, leave_out


def _build(specs, options, **account_options):
    account = mc.Account(
        options["balance"], taker_fee=options["taker_fee"], liquidation_fee=options["liquidation_fee"], auto_add_rule=options["auto_add_rule"],
        **account_options,
    )
    for spec in specs:
        contract = mc.contract(spec["symbol"])
        price = BASE_PRICES[spec["symbol"]]
        budget = options["balance"] * spec["fraction"] * spec["leverage"]
        size = round(max(1, int(budget / (price * contract.contract_size))) * contract.contract_size, 10)
        isolated = spec["mode"] == "isolated"
        margin = size * price / spec["leverage"] * spec["margin_factor"] if isolated else None
        try:
            account.open(spec["symbol"], spec["side"], size, price, spec["leverage"], spec["mode"], margin=margin,
                         auto_add_margin=isolated and spec["auto"])
        except MarginInputError:
            pass
    return account


def _event_tuple(event):
    return (event.kind, event.position_id, event.symbol, event.time)


def _assert_same_event(a, b):
    assert _event_tuple(a) == _event_tuple(b)
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, float):
            assert value == pytest.approx(other, rel=1e-9, abs=1e-9), name
        else:
            assert value == other, name


@settings(max_examples=30, **SETTINGS)
@given(portfolios())
def test_run_equals_step_per_candle(portfolio):
    seed, n, interval, specs, options, leave_out = portfolio
    account = _build(specs, options)
    assume(account.positions)
    held = [p.symbol for p in account.positions]
    candle_symbols = held[:-1] if leave_out and len(held) > 1 else held
    candles = {
        s: mc.generate_path(
            n, start_price=BASE_PRICES[s], interval=interval, seed=seed + i, annual_volatility=3.0,
            tick_size=mc.contract(s).tick_size,
        )
        for i, s in enumerate(candle_symbols)
    }
    stepped = account.copy()
    before = len(account.events)

    timeline = mc.run(account, candles)

    step_events = []
    index = next(iter(candles.values())).index
    for row in range(n):
        candle = {s: tuple(float(frame[c].iloc[row]) for c in ("open", "high", "low", "close")) for s, frame in candles.items()}
        step_events.extend(stepped.step(candle, time=index[row]))

    run_events = list(account.events[before:])
    assert [_event_tuple(e) for e in run_events] == [_event_tuple(e) for e in step_events]
    assert [_event_tuple(e) for e in timeline.attrs["events"]] == [_event_tuple(e) for e in step_events]
    for a, b in zip(run_events, step_events):
        _assert_same_event(a, b)
    assert account.wallet_balance == pytest.approx(stepped.wallet_balance, rel=1e-12, abs=1e-9)
    assert account.cross_wallet_balance == pytest.approx(stepped.cross_wallet_balance, rel=1e-12, abs=1e-9)
    assert account.ledger() == stepped.ledger()
    assert account.marks == stepped.marks
    assert [(p.id, p.size, p.entry_price, p.margin) for p in account.positions] == [
        (p.id, p.size, p.entry_price, p.margin) for p in stepped.positions
    ]
    assert [p.id for p in account.closed_positions] == [p.id for p in stepped.closed_positions]
    assert timeline["wallet_balance"].iloc[-1] == pytest.approx(stepped.wallet_balance, rel=1e-12, abs=1e-9)
    assert_conserved(account)


# --------------------------------------------------------------------------- funding, stepped liquidation, ADL


def draw_counterparties(data):
    """A few opposing traders in the symbols the tests use, some in profit, some not."""
    out = []
    for i in range(data.draw(st.integers(0, 6), label="counterparties")):
        symbol = data.draw(st.sampled_from(SYMBOLS), label="counterparty symbol")
        entry = BASE_PRICES[symbol] * data.draw(st.floats(0.5, 2.0), label="counterparty entry")
        size = data.draw(st.floats(0.001, 50), label="counterparty size") * 60_000 / BASE_PRICES[symbol]
        leverage = data.draw(st.floats(1, 100), label="counterparty leverage")
        side = data.draw(st.sampled_from(["long", "short"]), label="counterparty side")
        out.append(mc.Counterparty(f"c{i}", side, size, entry, size * entry / leverage, symbol))
    return out


def draw_full_account(data):
    """An account with every new feature switched on at random (funding comes with the operations)."""
    fund = data.draw(st.none() | st.floats(0, 5_000), label="insurance fund")
    return mc.Account(
        data.draw(st.floats(200, 1_000_000), label="balance"),
        taker_fee=data.draw(st.sampled_from([0.0, 0.0005, 0.01]), label="taker_fee"),
        liquidation_fee=data.draw(st.sampled_from([0.0, 0.005, 0.0125, 0.1]), label="liquidation_fee"),
        auto_add_rule=data.draw(st.sampled_from(["initial_margin", "maintenance_margin"]), label="auto_add_rule"),
        exchange=data.draw(st.sampled_from(["binance", "binance", "bitget"]), label="exchange"),
        liquidation=data.draw(st.sampled_from(["whole", "stepped"]), label="liquidation"),
        insurance_fund=fund,
        counterparties=draw_counterparties(data) if fund is not None else (),
    )


RATES = st.sampled_from([0.0001, -0.0001, 0.003, -0.003, 0.02, -0.02, 0.2]) | st.floats(-0.05, 0.05)


def draw_funding(data, account):
    if data.draw(st.integers(0, 5), label="bad funding") == 0:
        bad = data.draw(st.sampled_from([math.nan, math.inf, 1.5, -3.0, "0.01"]), label="bad rate")
        return "bad", lambda: account.apply_funding({"BTCUSDT": 0.0001, "ETHUSDT": bad})
    if data.draw(st.booleans(), label="one rate"):
        rate = data.draw(RATES, label="rate")
        return "funding", lambda: account.apply_funding(rate)
    rates = {s: data.draw(RATES, label=f"rate {s}") for s in
             data.draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=4, unique=True), label="funded")}
    return "funding", lambda: account.apply_funding(rates)


def draw_operation_with_funding(data, account):
    if data.draw(st.integers(0, 2), label="funding now") == 0:
        return draw_funding(data, account)
    return draw_operation(data, account)


def check_everything(account, refused):
    assert_conserved(account)
    tolerance = 1e-9 * max(1.0, account.ledger().deposits)
    assert account.wallet_balance >= -tolerance and account.cross_wallet_balance >= -tolerance
    assert all(p.margin >= -tolerance for p in account.positions if p.mode == "isolated")
    assert account.insurance_fund_balance is None or account.insurance_fund_balance >= -tolerance
    ledger = account.ledger()
    assert ledger.insurance_fund_loss >= -tolerance and ledger.adl_shortfall >= -tolerance
    for event in account.events:
        if event.kind == "auto_deleveraging":
            covered = event.insurance_fund_used + sum(f.forgone_profit for f in event.fills) + event.uncovered
            assert covered == pytest.approx(event.shortfall, rel=1e-9, abs=1e-9)
            assert all(f.price == event.bankruptcy_price and f.side != event.side for f in event.fills)
        if event.kind == "liquidation":
            assert event.insurance_fund_loss + event.adl_shortfall >= -tolerance


@settings(max_examples=60, **SETTINGS)
@given(st.data())
def test_money_is_conserved_with_funding_stepped_liquidation_and_adl(data):
    account = draw_full_account(data)
    run_random_operations(data, account, check_everything, n_max=18, draw=draw_operation_with_funding)


@settings(max_examples=60, **SETTINGS)
@given(st.data())
def test_isolated_funding_moves_no_other_positions_bucket(data):
    account = draw_full_account(data)
    for _ in range(data.draw(st.integers(1, 5), label="positions")):
        try:
            draw_open(data, account)()
        except MarginInputError:
            pass
    assume(account.positions)
    if data.draw(st.booleans(), label="move first"):
        draw_mark(data, account)()
    rule = mc.funding_rule(account.exchange).charged_from
    for p in list(account.positions):
        if not p.is_open:
            continue
        margins = {q.id: q.margin for q in account.positions}
        cross_before = account.cross_wallet_balance
        mark = account.marks[p.symbol]
        safe_before = account.margin_ratio(p) < 1
        [event] = account.apply_funding({p.symbol: data.draw(RATES, label="rate")})
        for q in account.positions:  # one-way mode: one position per symbol, so only p is funded
            expected = margins[q.id] + (event.margin_change if q is p else 0.0)
            if q.mode == "isolated":
                assert q.margin == expected
        assert account.cross_wallet_balance == pytest.approx(cross_before + event.wallet_change, abs=1e-9)
        assert event.amount == pytest.approx(event.wallet_change + event.margin_change, abs=1e-12)
        owed = -mc.funding_payment(p.side, p.size, mark, event.funding_rate)
        if owed > 0:
            assert -event.amount + event.unpaid == pytest.approx(owed, rel=1e-9, abs=1e-9)
        else:
            assert event.amount == pytest.approx(-owed) and event.margin_change == 0
        if p.mode == "cross":
            assert event.margin_change == 0
        elif rule == "available_balance_then_position_margin" and event.margin_change < 0:
            assert account.available_balance == pytest.approx(0, abs=1e-6)  # the wallet paid all it could first
        elif rule == "position_margin_down_to_maintenance" and owed > 0:
            assert event.wallet_change == 0  # Bitget: from the position's margin only ...
            if safe_before:
                assert account.margin_ratio(p) <= 1 + 1e-9  # ... and never below maintenance
        assert_conserved(account)


@settings(max_examples=25, **SETTINGS)
@given(portfolios(), st.sampled_from([0.0001, -0.0003, 0.003, 0.02]), st.sampled_from(["whole", "stepped"]))
def test_run_with_funding_equals_settling_and_stepping_candle_by_candle(portfolio, rate, liquidation):
    seed, n, interval, specs, options, leave_out = portfolio
    account = _build(specs, options, liquidation=liquidation)
    assume(account.positions)
    held = [p.symbol for p in account.positions]
    candles = {
        s: mc.generate_path(n, start_price=BASE_PRICES[s], interval=interval, seed=seed + i, annual_volatility=3.0,
                            tick_size=mc.contract(s).tick_size)
        for i, s in enumerate(held[:-1] if leave_out and len(held) > 1 else held)
    }
    stepped = account.copy()
    timeline = mc.run(account, candles, funding=rate)
    index = next(iter(candles.values())).index
    schedule = {row: (time, rates) for row, time, rates in funding_schedule(index, rate)}
    for row in range(n):
        if row in schedule:
            stepped.apply_funding(schedule[row][1], time=schedule[row][0])
        candle = {s: tuple(float(f[c].iloc[row]) for c in ("open", "high", "low", "close")) for s, f in candles.items()}
        stepped.step(candle, time=index[row])
    assert [_event_tuple(e) for e in account.events] == [_event_tuple(e) for e in stepped.events]
    for a, b in zip(account.events, stepped.events):
        _assert_same_event(a, b)
    assert account.ledger() == stepped.ledger()
    assert timeline["funding"].iloc[-1] == pytest.approx(stepped.ledger().funding, abs=1e-9)
    assert_conserved(account)


@settings(max_examples=200, **SETTINGS)
@given(st.data())
def test_deleverage_conserves_money_and_follows_the_ranking(data):
    side = data.draw(st.sampled_from(["long", "short"]), label="side")
    sign = 1 if side == "long" else -1
    quantity = data.draw(st.floats(0.001, 100), label="quantity")
    bankruptcy = data.draw(st.floats(1_000, 100_000), label="bankruptcy price")
    price = bankruptcy * (1 - sign * data.draw(st.floats(-0.05, 0.3), label="gap"))
    fund = data.draw(st.floats(0, 1e6), label="fund")
    counterparties = draw_counterparties(data)
    symbol = data.draw(st.sampled_from(SYMBOLS), label="symbol")
    rule = data.draw(st.sampled_from(["binance", "bybit"]), label="rule")
    result = mc.deleverage(side, quantity, bankruptcy, price, fund, counterparties, symbol=symbol, rule=rule)
    forgone = sum(f.forgone_profit for f in result.fills)
    assert result.insurance_fund_used + forgone + result.uncovered_shortfall == pytest.approx(
        result.shortfall, rel=1e-9, abs=1e-9)
    assert result.insurance_fund_after == pytest.approx(fund - result.insurance_fund_used)
    assert result.insurance_fund_used <= fund + 1e-9
    if result.fills:
        assert result.insurance_fund_after == pytest.approx(0, abs=1e-6)  # ADL only once the fund is empty
    by_name = {c.name: c for c in counterparties}
    scores = [f.score for f in result.fills]
    assert scores == sorted(scores, reverse=True)
    for f in result.fills:
        c = by_name[f.name]
        assert c.side != side and c.symbol == symbol and c.unrealized_pnl(price) > 0
        assert f.price == bankruptcy and 0 < f.quantity <= c.size * (1 + 1e-12)
        # closed at the bankruptcy price: the mark's profit minus what it forgoes
        assert f.realized_pnl == pytest.approx(c.unrealized_pnl(price) * f.quantity / c.size - f.forgone_profit,
                                               rel=1e-9, abs=1e-6)
    assert sum(f.quantity for f in result.fills) + result.uncovered_quantity == pytest.approx(
        result.quantity_deleveraged, rel=1e-9, abs=1e-9)
