"""The copy-trading Monte Carlo engine (margincourse/engine/copytrading/).

The central check: for single paths, the vectorised engine gives exactly what the
same trades give when run through :class:`margincourse.Account` one price move at a
time (:func:`replay_with_account`), in every follower setup and every copy mode,
including hand-made paths that force the rare branches (a gap through the
liquidation price, a stop that slips past it, auto-add running out of money).
"""

import dataclasses
import time

import numpy as np
import pytest

import margincourse as mc
from margincourse.engine import copytrading as ct

SETUPS = {
    "cross, whole account": ct.FollowerSettings("cross", 10, None),
    "cross, 25x": ct.FollowerSettings("cross", 25, None),
    "isolated, budget 100": ct.FollowerSettings("isolated", 10, 100.0),
    "isolated, 50x": ct.FollowerSettings("isolated", 50, 300.0),
    "isolated + auto-add": ct.FollowerSettings("isolated", 10, 100.0, auto_add_margin=True),
    "isolated + auto-add, 30x": ct.FollowerSettings("isolated", 30, 200.0, auto_add_margin=True),
    "cross + stop-loss": ct.FollowerSettings("cross", 10, 100.0, stop_loss=1.0),
    "isolated + tight stop, big slippage": ct.FollowerSettings("isolated", 5, 200.0, stop_loss=0.2, stop_slippage=0.03),
}
# every setup in the two other copy modes too: a fixed margin per order, and a multiple of the master's
# quantity that is not a whole number (so the copy's contracts are rounded down on every order)
MODES = {
    "fixed amount": dict(copy_mode="fixed_amount", copy_amount=15.0),
    "multiplier": dict(copy_mode="multiplier", copy_multiplier=0.7),
}
EVERY_MODE = {**SETUPS, **{f"{name}, {mode}": dataclasses.replace(s, **extra)
                           for name, s in SETUPS.items() for mode, extra in MODES.items()}}
MASTER = ct.MasterStrategy()


@pytest.fixture(scope="module")
def paths():
    return ct.price_paths(24, 2_160, seed=11)


@pytest.fixture(scope="module")
def log(paths):
    return ct.master_trades(paths, MASTER)


def candles(opens, highs, lows, closes):
    return ct.Candles(*(np.array([x], dtype=float) for x in (opens, highs, lows, closes)))


def assert_same_as_account(candle_set, strategy, settings, log=None, paths=None):
    """Every path: the vectorised equity at each close and the books equal the account's."""
    log = log if log is not None else ct.master_trades(candle_set, strategy)
    result = ct.simulate(candle_set, strategy, settings, log=log)
    for p in range(candle_set.n_paths) if paths is None else paths:
        account, actions, equity = ct.replay_with_account(candle_set, p, strategy, settings, log=log)
        np.testing.assert_allclose(result.equity[p], equity, rtol=0, atol=1e-6)
        row = result.paths.loc[p]
        ledger = account.ledger()
        assert row["final_wallet"] == pytest.approx(account.wallet_balance, abs=1e-6)
        assert row["realized_pnl"] == pytest.approx(ledger.realized_pnl, abs=1e-6)
        assert row["trading_fees"] == pytest.approx(ledger.trading_fees, abs=1e-6)
        assert row["liquidation_fees"] == pytest.approx(ledger.liquidation_fees, abs=1e-6)
        assert row["insurance_fund_contribution"] == pytest.approx(ledger.insurance_fund_contribution, abs=1e-6)
        assert row["insurance_fund_loss"] == pytest.approx(ledger.insurance_fund_loss, abs=1e-6)
        kinds = [e.kind for e in account.events]
        assert row["liquidations"] == kinds.count("liquidation")
        assert row["margin_top_ups"] == kinds.count("margin_added")
        assert row["stop_outs"] == (list(actions["action"]).count("stop-loss") if len(actions) else 0)
    return result


# ----------------------------------------------------------------- the price paths


def test_paths_are_seeded_and_consistent():
    a, b = ct.price_paths(5, 300, seed=3), ct.price_paths(5, 300, seed=3)
    for name in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.close, ct.price_paths(5, 300, seed=4).close)
    assert (a.low <= np.minimum(a.open, a.close)).all() and (a.high >= np.maximum(a.open, a.close)).all()
    assert (a.open[:, 0] == 60_000).all()
    np.testing.assert_allclose(a.close / 0.1, np.round(a.close / 0.1), atol=1e-6)  # on the 0.1 tick


def test_paths_have_the_documented_calibration():
    paths = ct.price_paths(400, 2_160, seed=0)
    years = 2_160 / (365 * 24)
    returns = np.diff(np.log(paths.close), axis=1)
    assert returns.std() * np.sqrt(365 * 24) == pytest.approx(0.6 + 0.0, abs=0.06)  # diffusion plus jumps
    gaps = paths.open[:, 1:] != paths.close[:, :-1]
    assert gaps.sum() / (400 * years) == pytest.approx(6.0, rel=0.2)  # jumps are gaps, about 6 a year


# ----------------------------------------------------------------- the master


def test_order_sizes_double():
    sizes = ct.MasterStrategy(first_order=100, doublings=4).order_sizes(60_000)
    assert sizes.round(4).tolist() == [0.0016, 0.0032, 0.0064, 0.0128, 0.0256]


def falling_then_rising():
    """Falls 4 % per candle from 60,000 for 5 candles, then climbs 3 % per candle."""
    closes = [57_600.0, 55_296.0, 53_084.2, 50_960.8, 48_922.4] + [48_922.4 * 1.03**k for k in range(1, 9)]
    opens = [60_000.0] + closes[:-1]
    highs = [max(o, c) for o, c in zip(opens, closes)]
    lows = [min(o, c) for o, c in zip(opens, closes)]
    return candles(opens, highs, lows, closes)


def test_master_doubles_down_every_five_percent_and_takes_profit_on_the_average():
    path = falling_then_rising()
    strategy = ct.MasterStrategy(first_order=100, step=0.05, doublings=3, take_profit=0.05)
    log = ct.master_trades(path, strategy)
    kinds = [int(k) for k in log.kind[: log.count[0], 0]]
    assert kinds[:5] == [ct.OPEN, ct.ADD, ct.ADD, ct.ADD, ct.ROLL] and kinds[-1] == ct.END
    buys = log.buy_price[1:4, 0]
    assert buys.tolist() == [57_000.0, 54_150.0, 51_442.5]  # 5 % below the last buy, on the tick
    assert log.buy_size[:4, 0].round(4).tolist() == [0.0016, 0.0032, 0.0064, 0.0128]
    # the average entry is recomputed after every add: sum(size x price) / sum(size)
    sizes, prices = log.buy_size[:4, 0], np.concatenate([[60_000.0], buys])
    assert log.master_entry[3, 0] == pytest.approx((sizes * prices).sum() / sizes.sum(), rel=1e-12)
    assert log.price[4, 0] == pytest.approx(round(log.master_entry[3, 0] * 1.05, 1), abs=1e-6)


def test_master_adds_at_most_doublings_times(log):
    per_cycle = np.diff(np.flatnonzero(np.isin(log.kind[:, 0], [ct.OPEN, ct.ROLL])))
    assert (per_cycle - 1 <= MASTER.doublings).all()
    assert log.cycles().mean() > 3


# ----------------------------------------------------------------- the follower equals the account engine


@pytest.mark.parametrize("name", EVERY_MODE)
def test_vectorised_engine_equals_the_account_on_seeded_paths(paths, log, name):
    # the paths where the most happens (liquidations, stops, top-ups, skipped orders), and a quiet one
    frame = ct.simulate(paths, MASTER, EVERY_MODE[name], log=log, every=24).paths
    busy = frame[["liquidations", "stop_outs", "margin_top_ups", "skipped_orders"]].sum(axis=1)
    chosen = list(busy.sort_values(ascending=False, kind="stable").index[:3]) + [int(busy.idxmin())]
    assert_same_as_account(paths, MASTER, EVERY_MODE[name], log=log, paths=sorted(set(chosen)))


def test_the_seeded_paths_exercise_every_branch(paths, log):
    results = {name: ct.simulate(paths, MASTER, s, log=log).paths for name, s in SETUPS.items()}
    assert results["cross, whole account"]["liquidations"].sum() > 0
    assert results["isolated, budget 100"]["liquidations"].sum() > 0
    assert results["isolated, budget 100"]["skipped_orders"].sum() > 0
    assert results["isolated + auto-add"]["margin_top_ups"].sum() > 0
    assert results["cross + stop-loss"]["stop_outs"].sum() > 0
    for mode in MODES:
        frames = {name: ct.simulate(paths, MASTER, EVERY_MODE[f"{name}, {mode}"], log=log).paths
                  for name in ("isolated, budget 100", "isolated + auto-add", "cross + stop-loss")}
        assert frames["isolated, budget 100"]["liquidations"].sum() > 0
        assert frames["isolated, budget 100"]["skipped_orders"].sum() > 0
        assert frames["isolated + auto-add"]["margin_top_ups"].sum() > 0
        assert frames["cross + stop-loss"]["stop_outs"].sum() > 0


GAP_CRASH = dict(  # a long slide, then a candle that opens 20 % lower: a gap through everything
    opens=[60_000.0, 59_500.0, 58_000.0, 56_500.0, 45_200.0, 45_000.0],
    highs=[60_100.0, 59_600.0, 58_100.0, 56_600.0, 45_300.0, 46_000.0],
    lows=[59_400.0, 57_900.0, 56_400.0, 56_400.0, 44_000.0, 44_800.0],
    closes=[59_500.0, 58_000.0, 56_500.0, 56_500.0, 45_000.0, 45_900.0],
)


@pytest.mark.parametrize("name", EVERY_MODE)
def test_a_gap_through_every_level_gives_the_accounts_result(name):
    path = candles(**GAP_CRASH)
    assert_same_as_account(path, ct.MasterStrategy(doublings=3), EVERY_MODE[name])


def test_a_gap_liquidates_at_the_open_and_isolated_loses_its_bucket_only():
    path = candles(**GAP_CRASH)
    strategy = ct.MasterStrategy(doublings=0)  # one order: 0.0016 BTC at 60,000
    settings = ct.FollowerSettings("isolated", 5, 100.0, taker_fee=0.0005)  # liquidation price about 48,240
    result = assert_same_as_account(path, strategy, settings)
    row = result.paths.loc[0]
    margin = 0.0016 * 60_000 / 5  # 19.20 USDT in the bucket
    fee = 0.0005 * 0.0016 * 60_000
    assert row["liquidations"] == 1
    assert row["final_wallet"] == pytest.approx(1_000 - margin - fee, abs=1e-9)
    # the gap went past the bankruptcy price: the insurance fund paid the rest, not the follower
    assert row["realized_pnl"] == pytest.approx(0.0016 * (45_200 - 60_000), abs=1e-9)
    assert row["insurance_fund_loss"] > 0


def test_a_stop_in_a_gap_fills_at_the_open_minus_slippage():
    path = candles(**GAP_CRASH)
    strategy = ct.MasterStrategy(doublings=0)
    settings = ct.FollowerSettings("cross", 2, 100.0, stop_loss=0.1, stop_slippage=0.01)  # stop at a 10 USDT loss
    result = assert_same_as_account(path, strategy, settings)
    row = result.paths.loc[0]
    assert row["stop_outs"] == 1
    size = 0.0016
    trigger = 60_000 - 10 / size  # 53,750: the gap opens below it, at 45,200
    assert 45_200 < trigger
    fill = 45_200 * (1 - 0.01)
    assert row["realized_pnl"] == pytest.approx(size * (fill - 60_000), abs=1e-9)
    assert -row["realized_pnl"] > 2 * 10  # the stop meant to lose 10 USDT lost more than twice that


def test_auto_add_drains_the_account_and_the_vectorised_count_matches():
    fall = [60_000.0 * (1 - 0.01 * k) for k in range(60)]  # a slow slide to 60 % of the price
    opens, closes = fall[:-1], fall[1:]
    path = candles(opens, opens, closes, closes)
    strategy = ct.MasterStrategy(first_order=3_000, doublings=0)
    settings = ct.FollowerSettings("isolated", 20, 200.0, auto_add_margin=True)
    result = assert_same_as_account(path, strategy, settings)
    row = result.paths.loc[0]
    assert row["margin_top_ups"] > 5
    assert row["final_equity"] < 1_000 - 200  # the budget no longer caps the loss


# ----------------------------------------------------------------- money, caps, bookkeeping


@pytest.mark.parametrize("name", EVERY_MODE)
def test_money_is_conserved_on_every_path(paths, log, name):
    frame = ct.simulate(paths, MASTER, EVERY_MODE[name], log=log).paths
    expected = (1_000 + frame["realized_pnl"] - frame["trading_fees"] - frame["liquidation_fees"]
                - frame["insurance_fund_contribution"] + frame["insurance_fund_loss"])
    np.testing.assert_allclose(frame["final_wallet"], expected, atol=1e-7)
    open_positions = frame["still_open"]
    np.testing.assert_allclose(frame.loc[~open_positions, "final_equity"], frame.loc[~open_positions, "final_wallet"],
                               atol=1e-7)


def test_isolated_without_auto_add_never_loses_more_than_the_budget_and_a_closing_fee():
    paths = ct.price_paths(300, 2_160, seed=2)
    for leverage in (2, 10, 50):
        frame = ct.simulate(paths, MASTER, ct.FollowerSettings("isolated", leverage, 100.0), every=24).paths
        assert frame["final_equity"].min() >= 1_000 - 100 - 2.0
        assert not frame["lost_account"].any()


def test_a_cross_liquidation_takes_the_whole_account():
    paths = ct.price_paths(300, 2_160, seed=2)
    frame = ct.simulate(paths, MASTER, ct.FollowerSettings("cross", 10, None), every=24).paths
    ruined = frame[frame["liquidations"] > 0]
    assert len(ruined) > 0
    assert (ruined["final_equity"] == 0).all() and ruined["lost_account"].all()


def test_simulating_settings_together_equals_one_by_one(paths, log):
    settings = list(EVERY_MODE.values())  # the copy modes mixed in one batch
    together = ct.simulate_many(paths, MASTER, settings, log=log, every=24)
    for s, result in zip(settings, together):
        alone = ct.simulate(paths, MASTER, s, log=log, every=24)
        np.testing.assert_array_equal(alone.equity, result.equity)
        assert alone.paths.equals(result.paths)


def test_several_strategies_run_together_equal_one_by_one(paths):
    strategies = [ct.MasterStrategy(doublings=d) for d in (0, 3, 5)]
    settings = [SETUPS["isolated, budget 100"], EVERY_MODE["isolated + auto-add, fixed amount"],
                SETUPS["cross + stop-loss"], EVERY_MODE["cross + stop-loss, multiplier"]]
    together = ct.outcomes(paths, strategies, settings, every=24)
    P = paths.n_paths
    for k, setting in enumerate(settings):
        for j, strategy in enumerate(strategies):
            alone = ct.outcomes(paths, strategy, [setting], every=24)
            lanes = slice((k * len(strategies) + j) * P, (k * len(strategies) + j + 1) * P)
            np.testing.assert_array_equal(together["equity"][lanes], alone["equity"])
            for name in ("trades", "wins", "liquidations", "stop_outs", "trading_fees", "realized_pnl"):
                np.testing.assert_array_equal(together[name][lanes], alone[name])


def test_summary_statistics(paths, log):
    result = ct.simulate(paths, MASTER, SETUPS["cross, whole account"], log=log)
    summary = result.summary()
    final = result.paths["final_equity"]
    assert summary["P(lose the whole account)"] == pytest.approx((final < 10).mean())
    assert summary["median final equity"] == pytest.approx(np.median(final))
    assert summary["p5 final equity"] == pytest.approx(np.percentile(final, 5))
    wins, trades = result.paths["wins"].sum(), result.paths["trades"].sum()
    assert summary["win rate"] == pytest.approx(wins / trades)
    bands = result.equity_percentiles(every=24)
    assert bands.shape == (90, 5) and (bands.diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_equity_every_keeps_the_last_close(paths, log):
    full = ct.simulate(paths, MASTER, SETUPS["isolated, budget 100"], log=log)
    daily = ct.simulate(paths, MASTER, SETUPS["isolated, budget 100"], log=log, every=24)
    np.testing.assert_array_equal(daily.equity, full.equity[:, 23::24])
    np.testing.assert_array_equal(daily.paths["final_equity"], full.paths["final_equity"])


def test_a_thousand_paths_run_well_under_a_second():
    paths = ct.price_paths(1_000, 2_160, seed=0)
    log = ct.master_trades(paths, MASTER)
    for extra in [{}, *MODES.values()]:  # the default (fixed ratio), then the other copy modes
        start = time.perf_counter()
        ct.simulate(paths, MASTER, ct.FollowerSettings("isolated", 10, 100.0, **extra), log=log, every=24)
        assert time.perf_counter() - start < 1.0, extra


# ----------------------------------------------------------------- copy modes


def copied_orders(path, strategy, settings):
    """The follower's copied orders on one path, from the replay through the account: (price, size, margin)."""
    account, actions, _ = ct.replay_with_account(path, 0, strategy, settings)
    buys = actions[actions["action"].isin(["copy open", "copy add"])]
    sizes = np.diff(np.concatenate([[0.0], buys["size"].to_numpy()]))
    prices = buys["price"].to_numpy()
    return prices, sizes, sizes * prices / settings.leverage


def test_a_fixed_amount_puts_up_the_same_margin_on_every_order_and_does_not_double():
    path = falling_then_rising()
    strategy = ct.MasterStrategy(first_order=100, doublings=3)  # 0.0016, 0.0032, 0.0064, 0.0128 BTC
    settings = ct.FollowerSettings("isolated", 5, 200.0, copy_mode="fixed_amount", copy_amount=20.0)
    assert_same_as_account(path, strategy, settings)
    prices, sizes, margins = copied_orders(path, strategy, settings)
    assert prices[:4].tolist() == [60_000.0, 57_000.0, 54_150.0, 51_442.5]
    # 20 x 5 / price, rounded down to whole contracts of 0.0001 BTC
    np.testing.assert_allclose(sizes[:4], [0.0016, 0.0017, 0.0018, 0.0019], atol=1e-12)
    one_contract = 0.0001 * prices[:4] / 5
    assert ((margins[:4] <= 20.0) & (margins[:4] > 20.0 - one_contract)).all()
    # the master's orders double; the copy's stay about the same size
    assert sizes[3] / sizes[0] < 1.2 and strategy.order_sizes(60_000)[3] / strategy.order_sizes(60_000)[0] == 8


def test_a_multiplier_copies_a_multiple_of_the_masters_own_quantity():
    path = falling_then_rising()
    strategy = ct.MasterStrategy(first_order=1_000, doublings=3)  # the master's own orders: 166 contracts first
    settings = ct.FollowerSettings("isolated", 10, 500.0, copy_mode="multiplier", copy_multiplier=0.15)
    assert_same_as_account(path, strategy, settings)
    _, sizes, _ = copied_orders(path, strategy, settings)
    master = strategy.order_sizes(60_000)
    np.testing.assert_allclose(master, [0.0166, 0.0332, 0.0664, 0.1328], atol=1e-12)
    # 0.15 x 166 = 24.9 -> 24 contracts; 0.15 x 332 = 49.8 -> 49 ...: rounded down on every order
    np.testing.assert_allclose(sizes[:4], [0.0024, 0.0049, 0.0099, 0.0199], atol=1e-12)
    np.testing.assert_allclose(ct.copy_order_sizes(settings, master, [60_000.0] * 4), sizes[:4], atol=1e-12)


def test_a_multiplier_of_one_gives_the_fixed_ratio_result_bit_for_bit(paths, log):
    for name in ("cross, whole account", "isolated + auto-add", "isolated + tight stop, big slippage"):
        ratio = ct.outcomes(paths, MASTER, [SETUPS[name]], log=log)
        one = ct.outcomes(paths, MASTER, [dataclasses.replace(SETUPS[name], copy_mode="multiplier",
                                                              copy_multiplier=1.0)], log=log)
        for key in ratio:
            np.testing.assert_array_equal(ratio[key], one[key])


def test_an_order_below_one_contract_is_not_copied(paths, log):
    # 0.5 USDT at 1x buys 0.5 / 6 of a contract at 60,000: nothing is copied, nothing is spent
    settings = ct.FollowerSettings("isolated", 1, 100.0, copy_mode="fixed_amount", copy_amount=0.5)
    frame = assert_same_as_account(paths, MASTER, settings, log=log, paths=[0, 1]).paths
    assert (frame["trades"] == 0).all() and (frame["final_wallet"] == 1_000).all()
    first_orders = np.isin(log.kind, [ct.OPEN, ct.ROLL]).sum(axis=0)
    np.testing.assert_array_equal(frame["skipped_orders"], first_orders)  # each cycle's first order, skipped
    assert ct.copy_order_sizes(settings, [0.0016], [60_000.0]).tolist() == [0.0]


def test_a_fixed_amount_caps_the_loss_of_a_cycle_where_a_fixed_ratio_doubles():
    """Same seeded paths, isolated 10x, the whole account behind the copies (no budget skips an order):
    a fixed-ratio copy's worst cycle costs hundreds, a 10 USDT fixed amount's at most its margins."""
    paths = ct.price_paths(300, 2_160, seed=2)
    ratio = ct.FollowerSettings("isolated", 10, None)
    amount = ct.FollowerSettings("isolated", 10, None, copy_mode="fixed_amount", copy_amount=10.0)
    by_ratio, by_amount = (r.paths for r in ct.simulate_many(paths, MASTER, [ratio, amount], every=24))
    orders = MASTER.doublings + 1  # six orders a cycle
    fees = orders * 0.0005 * 10.0 * 10  # an opening fee on at most copy_amount x leverage of notional each
    # fixed amount: at most six margins of 10 USDT (and their fees) in a cycle
    assert by_amount["worst_trade"].min() >= -(orders * 10.0 + fees)
    assert by_amount["worst_trade"].min() == pytest.approx(-39.68, abs=0.01)
    # fixed ratio: 100 USDT first orders doubling, margins up to 10 x (1 + 2 + ... + 32) = 630 USDT
    assert by_ratio["worst_trade"].min() == pytest.approx(-514.11, abs=0.01)
    assert by_ratio["worst_trade"].min() >= -(630 + 0.0005 * 6_300)
    assert by_ratio["worst_trade"].min() < 10 * by_amount["worst_trade"].min()
    # the price of the cap: more, smaller liquidations (the copy's adds barely move its average entry)
    assert (by_amount["liquidations"].sum(), by_ratio["liquidations"].sum()) == (512, 144)
    assert by_amount["final_equity"].min() > 850 > by_ratio["final_equity"].min()
    assert not by_ratio["skipped_orders"].any() and not by_amount["skipped_orders"].any()


def test_copy_ladder_shows_the_margins_of_a_cycle():
    fixed = ct.FollowerSettings("isolated", 10, copy_mode="fixed_amount", copy_amount=10.0)
    ratio = ct.copy_ladder(MASTER, ct.FollowerSettings("isolated", 10), 60_000)
    amount = ct.copy_ladder(MASTER, fixed, 60_000)
    assert ratio["margin in the cycle (USDT)"].iloc[-1] == pytest.approx(491.16)
    assert amount["margin in the cycle (USDT)"].iloc[-1] == pytest.approx(58.33)
    assert (amount["copy margin (USDT)"] <= 10).all()
    np.testing.assert_array_equal(ratio["copy size (BTC)"], ratio["master size (BTC)"])


def test_summaries_and_compare_take_the_mode(paths, log):
    setups = {"fixed ratio": SETUPS["isolated, budget 100"],
              "fixed amount": EVERY_MODE["isolated, budget 100, fixed amount"]}
    table = ct.compare(paths, MASTER, setups, every=24)
    for name, setting in setups.items():
        result = ct.simulate(paths, MASTER, setting, log=log, every=24)
        assert result.settings.copy_mode == setting.copy_mode
        assert table[name].equals(result.summary())
    assert table.loc["mean final equity", "fixed ratio"] != table.loc["mean final equity", "fixed amount"]
    assert EVERY_MODE["isolated, budget 100, fixed amount"].describe() == (
        "isolated, 10x, budget 100 USDT, fixed amount: 15 USDT of margin per order")
    assert EVERY_MODE["cross, 25x, multiplier"].describe() == (
        "cross, 25x, whole account, multiplier: 0.7 x the master's quantity")
    assert SETUPS["cross, 25x"].describe() == "cross, 25x, whole account"  # the default mode says nothing new


# ----------------------------------------------------------------- refusals


@pytest.mark.parametrize("kwargs, message", [
    (dict(margin_mode="portfolio"), "margin_mode must be"),
    (dict(leverage=0.5), "leverage must be between 1 and 125"),
    (dict(leverage=200), "leverage must be between 1 and 125"),
    (dict(budget_per_trader=2_000.0), "budget_per_trader must be between"),
    (dict(margin_mode="cross", auto_add_margin=True), "auto_add_margin must be False in cross mode"),
    (dict(stop_loss=0.5, auto_add_margin=True), "stop_loss must be None when auto_add_margin is on"),
    (dict(stop_slippage=0.9), "stop_slippage must be between 0 and 0.5"),
    (dict(auto_add_margin=1), "auto_add_margin must be True or False"),
    (dict(copy_mode="proportional"), "copy_mode must be 'fixed_ratio' or 'fixed_amount' or 'multiplier', got"),
    (dict(copy_mode="fixed_amount"), "copy_amount must be given .* when copy_mode is 'fixed_amount'"),
    (dict(copy_mode="fixed_amount", copy_amount=0.0), "copy_amount must be greater than 0"),
    (dict(copy_mode="fixed_amount", copy_amount=-5.0), "copy_amount must be greater than 0"),
    (dict(copy_mode="fixed_amount", copy_amount="10"), "copy_amount must be a number"),
    (dict(copy_amount=10.0), "copy_amount must be None unless copy_mode is 'fixed_amount'"),
    (dict(copy_mode="multiplier", copy_amount=10.0, copy_multiplier=1.0), "copy_amount must be None unless"),
    (dict(copy_mode="multiplier"), "copy_multiplier must be given .* when copy_mode is 'multiplier'"),
    (dict(copy_mode="multiplier", copy_multiplier=0), "copy_multiplier must be greater than 0"),
    (dict(copy_mode="multiplier", copy_multiplier=float("inf")), "copy_multiplier must be finite"),
    (dict(copy_multiplier=2.0), "copy_multiplier must be None unless copy_mode is 'multiplier'"),
    (dict(copy_mode="fixed_amount", copy_amount=5.0, copy_multiplier=2.0), "copy_multiplier must be None unless"),
])
def test_bad_follower_settings_are_refused(kwargs, message):
    with pytest.raises(mc.MarginInputError, match=message):
        ct.FollowerSettings(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(doublings=-1), "doublings must be a whole number"),
    (dict(doublings=2.5), "doublings must be a whole number"),
    (dict(step=0.9), "step must be between"),
    (dict(first_order=0), "first_order must be greater than 0"),
])
def test_bad_strategies_are_refused(kwargs, message):
    with pytest.raises(mc.MarginInputError, match=message):
        ct.MasterStrategy(**kwargs)


def test_bad_paths_and_logs_are_refused(paths):
    with pytest.raises(mc.MarginInputError, match="n_paths must be a whole number"):
        ct.price_paths(0, 10)
    with pytest.raises(mc.MarginInputError, match="low <= open, close <= high"):
        candles([100.0], [101.0], [100.5], [100.2])
    other = ct.master_trades(paths, ct.MasterStrategy(doublings=1))
    with pytest.raises(mc.MarginInputError, match="log must be master_trades"):
        ct.simulate(paths, MASTER, SETUPS["isolated, budget 100"], log=other)
    with pytest.raises(mc.MarginInputError, match="settings run together must share starting_balance"):
        ct.simulate_many(paths, MASTER, [ct.FollowerSettings(), ct.FollowerSettings(starting_balance=500.0)])
