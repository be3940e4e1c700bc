"""Lesson 5's dashboard, tables, figures and questions, and the claims its text makes about them."""

import itertools
import re

import numpy as np
import pytest

import margincourse as mc
from margincourse.engine import copytrading as ct
from margincourse.course.lessons import lesson5
from lesson_page_checks import check_lesson_page, questions_name_no_internal_sources


def _ends(control):
    if hasattr(control, "min"):
        return control.min, control.max
    options = [o[1] if isinstance(o, tuple) else o for o in control.options]
    return options[0], options[-1]


@pytest.fixture(scope="module")
def dashboard():
    return lesson5.dashboard()


def _set_timed(dashboard, values):
    readout = dashboard.set(**values)
    seconds = dashboard.last_update_seconds
    if seconds >= 0.05:  # a shared machine can stall once: measure the same update again
        readout = dashboard.set(**values)
        seconds = min(seconds, dashboard.last_update_seconds)
    return readout, seconds


def test_dashboard_survives_every_corner_of_its_controls(dashboard):
    ranges = {name: _ends(control) for name, control in dashboard.controls.items()}
    corners = [dict(zip(ranges, values)) for values in itertools.product(*ranges.values())]
    defaults = dict(doublings=5, leverage=10, budget=1_000, setup="cross", copy_mode="fixed_ratio")
    for values in corners + [defaults]:
        readout, seconds = _set_timed(dashboard, values)
        text = " ".join(readout.values()).lower()
        assert "note" not in readout, readout
        assert "nan" not in text and "inf" not in text, (values, readout)
        assert seconds < 0.05, (values, seconds)


def test_dashboard_offers_every_setup(dashboard):
    for setup in dashboard.controls["setup"].options:
        readout, _ = _set_timed(dashboard, dict(doublings=3, leverage=20, budget=250, setup=setup))
        assert setup in ("cross", "isolated", "isolated + auto-add", "cross + stop-loss")
        assert readout["your setup"].startswith("cross" if setup.startswith("cross") else "isolated")


def test_lab_numbers_are_the_engines():
    numbers = lesson5.lab_numbers(doublings=4, leverage=20, budget=250, setup="isolated + auto-add")
    master = ct.MasterStrategy(first_order=100.0, step=0.05, doublings=4, take_profit=0.05)
    settings = lesson5.setups(20, 250, cross_budget=250)["isolated + auto-add"]
    result = ct.simulate(lesson5.lab_paths(), master, settings, every=24)
    np.testing.assert_allclose(numbers["final"], result.paths["final_equity"], atol=1e-9)
    np.testing.assert_allclose(numbers["bands"], np.percentile(result.equity, lesson5.BANDS, axis=0), atol=1e-9)
    summary = result.summary()
    assert numbers["lost"] == pytest.approx(summary["P(lose the whole account)"])
    assert numbers["win_rate"] == pytest.approx(summary["win rate"])
    with pytest.raises(mc.MarginInputError, match="the lab bench has computed"):
        lesson5.lab_numbers(doublings=4, leverage=7, budget=250, setup="isolated")


def test_the_lab_bench_shows_what_its_try_this_list_says():
    cross = lesson5.lab_numbers(5, 10, 1_000, "cross")
    isolated = lesson5.lab_numbers(5, 10, 100, "isolated")
    auto = lesson5.lab_numbers(5, 10, 100, "isolated + auto-add")
    assert cross["lost"] > 0
    assert lesson5.lab_numbers(6, 10, 1_000, "cross")["lost"] > lesson5.lab_numbers(0, 10, 1_000, "cross")["lost"]
    assert isolated["lost"] == 0 and isolated["final"].min() >= 1_000 - 100 - 2
    assert auto["final"].min() < 1_000 - 100
    assert lesson5.lab_numbers(5, 50, 100, "isolated")["liquidations"] > isolated["liquidations"]


# ----------------------------------------------------------------- the tables


def _numbers(column):
    """A column of numbers written by basics.formatting (thousands separators), as floats."""
    return column.str.replace(",", "").astype(float).to_numpy()


def test_ladder_table_recomputes_the_average_after_every_add():
    table = lesson5.ladder_table().frame
    prices = _numbers(table["master buys at"])
    sizes = _numbers(table["size (BTC)"])
    assert prices.tolist() == [60_000.0, 57_000.0, 54_150.0, 51_442.5, 48_870.4, 46_426.9]
    np.testing.assert_allclose(sizes, 0.0016 * 2.0 ** np.arange(6))
    average = np.cumsum(sizes * prices) / np.cumsum(sizes)
    np.testing.assert_allclose(_numbers(table["average entry"]), average.round(2))
    np.testing.assert_allclose(_numbers(table["takes profit at"]), np.round(average * 1.05, 1))
    np.testing.assert_allclose(_numbers(table["loss at this price (USDT)"]),
                               (np.cumsum(sizes) * (average - prices)).round(2), atol=0.011)


def test_follower_ladder_uses_the_exchange_formula():
    table = lesson5.follower_ladder()
    binance = mc.tier_table("BTCUSDT", "binance")
    # after add 5 the cross copy holds every order; its wallet is 1,000 minus the taker fees paid
    sizes = 0.0016 * 2.0 ** np.arange(6)
    prices = np.array([60_000.0, 57_000.0, 54_150.0, 51_442.5, 48_870.4, 46_426.9])
    wallet = 1_000 - (0.0005 * sizes * prices).sum()
    entry = (sizes * prices).sum() / sizes.sum()
    lp = mc.liquidation_price_for_tiers("long", entry, sizes.sum(), wallet, binance)
    assert table.loc["add 5", "cross: liquidation price"] == f"{lp:,.1f}"
    assert table.loc["first", "cross: liquidation price"] == "none"
    # the isolated copy: 100 USDT pays the first three orders at 10x, not the fourth
    costs = sizes * prices / 10 + 0.0005 * sizes * prices
    assert costs[:3].sum() <= 100 < costs[:4].sum()
    assert table.loc["add 3", "isolated: copied"] == "no: over the budget"
    bucket = (sizes[:3] * prices[:3] / 10).sum()
    iso_entry = (sizes[:3] * prices[:3]).sum() / sizes[:3].sum()
    iso_lp = mc.liquidation_price_for_tiers("long", iso_entry, sizes[:3].sum(), bucket, binance)
    assert table.loc["add 2", "isolated: liquidation price"] == f"{iso_lp:,.1f}"
    assert table.loc["add 4", "isolated: copied"].startswith(f"liquidated at {iso_lp:,.1f}")


def test_summary_table_is_the_engines_and_the_lesson_text_holds():
    results = lesson5.monte_carlo()
    table = lesson5.summary_table().frame
    s = {name: r.summary() for name, r in results.items()}
    lost = s["cross"]["P(lose the whole account)"]
    assert table.loc["cross", "lost the whole account"] == f"{round(lost * 1_000):,} of 1,000 ({lost * 100:.1f} %)"
    # a setup that never lost everything says so in words, not as "0.0 %"
    assert table.loc["isolated", "lost the whole account"] == "none of the 1,000"
    assert table.loc["isolated", "median final balance"] == f"{s['isolated']['median final equity']:,.2f}"
    # "Cross has the best median and the highest win rate, and it is the only setup that can lose everything."
    assert s["cross"]["median final equity"] == max(x["median final equity"] for x in s.values())
    assert s["cross"]["win rate"] == max(x["win rate"] for x in s.values())
    assert s["cross"]["P(lose the whole account)"] > 0
    assert all(s[name]["P(lose the whole account)"] == 0 for name in lesson5.SETUPS[1:])
    # "Isolated never loses more than the budget ... but its median ends below the start."
    assert s["isolated"]["P(lose more than the budget)"] == 0 and s["isolated"]["worst final equity"] >= 900 - 2
    assert s["isolated"]["median final equity"] < 1_000
    # auto-add removes the cap; the stop-loss's column is not zero
    assert s["isolated + auto-add"]["P(lose more than the budget)"] > 0
    assert s["cross + stop-loss"]["P(lose more than the budget)"] > 0
    # the average loss of the martingale is many average wins
    assert -s["cross"]["average loss"] > 10 * s["cross"]["average win"]
    # with the whole account as the budget the column cannot fire: "-", not a misleading 0.0 %
    assert table.loc["cross", "lost more than the budget"] == "-"
    over = s["cross + stop-loss"]["P(lose more than the budget)"]
    assert table.loc["cross + stop-loss", "lost more than the budget"] == (
        f"{round(over * 1_000):,} of 1,000 ({over * 100:.1f} %)")


def test_stop_loss_overshoot_is_what_the_lesson_says():
    paths = lesson5.monte_carlo()["cross + stop-loss"].paths
    readout = lesson5.stop_loss_overshoot()
    stopped = paths["stop_outs"] > 0
    over = paths["final_equity"] < 900 - 1e-9
    assert readout["paths that ended more than the budget down"].startswith(f"{over.sum():,} of 1,000")
    # "most of the accounts whose copy was stopped out ... ended above 1,000 minus the budget"
    assert (stopped & ~over).sum() > stopped.sum() / 2
    # "a stopped-out copy loses a little more than 100 USDT": slippage and fees, every time
    worst = -paths.loc[stopped, "worst_trade"]
    assert (worst > 100).all() and worst.max() < 100 * 1.2
    # "the typical one went a few USDT past it; the ones that went furthest had a second loss on top"
    excess = 900 - paths.loc[over, "final_equity"]
    assert 0 < excess.median() < 10
    second = (paths["stop_outs"] >= 2) | paths["still_open"]
    assert second[over].loc[excess.nlargest(10).index].all()


def test_leverage_table_is_the_lab_bench_and_says_what_the_lesson_says():
    table = lesson5.leverage_table()
    cross = {lev: lesson5.lab_numbers(5, lev, 1_000, "cross") for lev in lesson5.LAB_LEVERAGES}
    # cross, whole account: no leverage in the liquidation formula, so 10x, 20x and 50x are the same run
    for lev in (20, 50):
        np.testing.assert_allclose(cross[lev]["final"], cross[10]["final"])
    # at low leverage orders no longer fit and are skipped: less exposure, fewer accounts lost
    assert cross[2]["skipped"] > cross[5]["skipped"] > cross[10]["skipped"]
    assert cross[2]["lost"] < cross[10]["lost"]
    # isolated with a budget: thinner buckets, more and smaller liquidations
    iso = [lesson5.lab_numbers(5, lev, 100, "isolated") for lev in lesson5.LAB_LEVERAGES]
    assert [g["liquidations"] for g in iso] == sorted(g["liquidations"] for g in iso)
    assert table.loc["50x", "isolated (100 USDT): liquidations per path"] == f"{iso[-1]['liquidations']:.2f}"
    assert table.loc["10x", "cross (whole account): lost it all"] == (
        f"{round(cross[10]['lost'] * 100)} of 100 ({cross[10]['lost'] * 100:.1f} %)")
    assert table.loc["2x", "cross (whole account): lost it all"] == "none of the 100"


def test_example_path_is_what_the_lesson_says_and_the_engine_agrees_with_the_account():
    index = lesson5.example_path()
    results = lesson5.monte_carlo()
    cross, iso = results["cross"].paths.loc[index], results["isolated"].paths.loc[index]
    assert cross["lost_account"] and cross["wins"] >= 5 and iso["final_equity"] >= 900
    candles, log, replay, equity = lesson5.example_run(index)
    np.testing.assert_allclose(equity["cross"], replay[2], atol=1e-6)
    story = lesson5.example_story()
    assert story["cross account at the end"] == "0.00 USDT"
    cycle = lesson5.fatal_cycle()
    assert cycle["what happened"].iloc[0] == "copy open" and cycle["what happened"].iloc[-1] == "liquidated"
    numeric = [float(x.replace(",", "")) for x in cycle["liquidation price"] if x not in ("none", "-")]
    assert numeric == sorted(numeric)  # every add pulled the liquidation price up


def test_stop_loss_example_by_hand():
    table = lesson5.stop_loss_example()
    sizes = np.array([0.0016, 0.0032, 0.0064])
    prices = np.array([60_000.0, 57_000.0, 54_150.0])
    size, entry = sizes.sum(), (sizes * prices).sum() / sizes.sum()
    trigger = entry - 100 / size
    assert table.attrs["trigger"] == pytest.approx(trigger)
    open_fees = (0.0005 * sizes * prices).sum()
    losses = _numbers(table["loss (USDT)"])
    for row, fill in ((0, trigger * 0.995), (1, trigger * 0.92 * 0.995)):
        loss = size * (entry - fill) + open_fees + 0.0005 * size * fill
        assert losses[row] == pytest.approx(round(loss, 2), abs=0.011)
    bucket = (sizes * prices / 10).sum()
    assert losses[2] == pytest.approx(round(bucket + open_fees, 2), abs=0.011)
    assert losses[0] > 100 and losses[1] > losses[0]
    assert table.attrs["isolated_liquidation_price"] > trigger  # the lesson: isolated is liquidated earlier


def test_figures_draw_and_describe_themselves():
    for picture in (lesson5.example_figure(), lesson5.outcome_figure()):
        assert picture._repr_png_().startswith(b"\x89PNG")
        assert "0x" not in repr(picture)


@pytest.mark.parametrize("index", range(5))
def test_questions_have_one_right_answer(index):
    question = lesson5.questions()[index]
    verdicts = [question.check(option).split()[0] for option in question.options]
    assert verdicts.count("Right.") == 1
    assert question.check(question.answer).startswith("Right.")
    wrong = [o for o in question.options if o != question.answer]
    assert all(question.check(o).startswith("Not quite.") for o in wrong)


# ----------------------------------------------------------------- the Going-deeper sections and the page


def test_copy_modes_table_a_fixed_amount_does_not_double_and_can_lose_at_the_masters_take_profit():
    table = lesson5.copy_modes_table()
    assert list(table.index) == ["fixed ratio", "fixed amount", "multiplier"]
    ladder = lesson5.MASTER.ladder(60_000)
    prices = ladder["price"].to_numpy()
    sizes = ladder["size (BTC)"].to_numpy()
    # a fixed 10 USDT of margin at 10x: 100 USDT of BTC per order, in whole 0.0001 BTC contracts
    fixed = np.floor(100 / (prices * 0.0001) + 1e-9) * 0.0001
    # 0.01 x the master's own orders: 10,000 USDT of BTC first (1,666 contracts), doubling, each copy rounded down
    multiplied = np.floor(0.01 * 1_666 * 2.0 ** np.arange(6) + 1e-9) * 0.0001
    for mode, copied in (("fixed ratio", sizes), ("fixed amount", fixed), ("multiplier", multiplied)):
        assert table.loc[mode, "position (BTC)"] == f"{copied.sum():.4f}"
        assert table.loc[mode, "margin behind it (USDT)"] == f"{(copied * prices).sum() / 10:,.2f}"
        assert table.loc[mode, "your orders (BTC)"] == " + ".join(f"{x:.4f}" for x in copied)
    assert np.all(np.diff(fixed) < 0.0003)  # a fixed amount: about the same size each time
    np.testing.assert_allclose(multiplied[1:] / multiplied[:-1], 2, rtol=0.04)  # a multiplier doubles
    take_profit = table.attrs["take_profit"]
    entry = (fixed * prices).sum() / fixed.sum()
    column = [c for c in table.columns if c.startswith("at the master's take profit")][0]
    assert table.loc["fixed amount", column] == f"{fixed.sum() * (take_profit - entry):+,.2f}"
    assert table.loc["fixed amount", column].startswith("-")  # the master's take profit closes your copy at a loss
    assert table.loc["fixed ratio", column].startswith("+") and table.loc["multiplier", column].startswith("+")
    text = repr(lesson5.copy_modes())
    assert text.startswith("Going deeper: ") and "Fixed Amount" in text and "multiplier" in text
    for source in ("How to Use Copy Trading on Binance Futures?", "Binance Copy Trading Rules",
                   "Bitget copy trading: Follower's margin (Copy mode)",
                   "Copy traders: Introduction to proportional copy trading",
                   "How to Get Started With Copy Trading (Followers)"):
        assert source in text, source


def test_copy_modes_outcomes_are_the_engines_and_the_section_says_what_they_show():
    frame = lesson5.copy_modes_outcomes()
    runs = {mode: lesson5.monte_carlo(copy_mode=mode) for mode in lesson5.COPY_MODES}
    for mode, label in lesson5.COPY_MODES.items():
        for setup in ("cross", "isolated"):
            s = runs[mode][setup].summary()
            assert frame.loc[f"{label}, {setup}", "median final balance"] == f"{s['median final equity']:,.2f}"
    ratio, amount, multiplier = (runs[m] for m in ("fixed_ratio", "fixed_amount", "multiplier"))
    # the multiplier doubles like the fixed ratio: the trap is the same
    assert multiplier["cross"].summary()["P(lose the whole account)"] > 0.1
    assert ratio["cross"].summary()["P(lose the whole account)"] > 0.1
    # "the cross copy was not liquidated on any of these paths ... fewer cycles win and the wins are small ...
    # the worst account still ended more than 100 USDT down, one small losing cycle at a time"
    cross = amount["cross"]
    assert cross.paths["liquidations"].sum() == 0
    assert cross.summary()["win rate"] < ratio["cross"].summary()["win rate"]
    assert cross.summary()["average win"] < ratio["cross"].summary()["average win"] / 2
    assert cross.summary()["worst final equity"] < 900 and cross.paths["worst_trade"].min() > -50
    # "in isolated mode ... liquidated more often, each time for less"
    assert amount["isolated"].paths["liquidations"].mean() > ratio["isolated"].paths["liquidations"].mean()
    assert amount["isolated"].paths["worst_trade"].min() > ratio["isolated"].paths["worst_trade"].min() / 5
    # the simulations and summaries take the mode: the same settings as the engine's, mode included
    settings = lesson5.setups(copy_mode="multiplier")["isolated"]
    assert settings.copy_mode == "multiplier" and settings.copy_multiplier == 0.01
    table = lesson5.summary_table(copy_mode="fixed_amount").frame
    assert table.loc["cross", "lost the whole account"] == "none of the 1,000"
    assert table.index.name == "1,000 paths, 90 days, fixed amount"
    assert lesson5.summary_table().frame.index.name == "1,000 paths, 90 days"


def test_a_bad_copy_mode_is_refused_naming_copy_mode():
    for call in (lambda: lesson5.setups(copy_mode="proportional"), lambda: lesson5.master_for("fixed"),
                 lambda: lesson5.monte_carlo(copy_mode="ratio"), lambda: lesson5.cycle_margin(5, 10, "amount")):
        with pytest.raises(mc.MarginInputError, match="copy_mode must be 'fixed_ratio' or 'fixed_amount' or"):
            call()
    with pytest.raises(mc.MarginInputError, match="copy modes"):
        lesson5.lab_numbers(5, 10, 1_000, "cross", "proportional")


def test_the_lab_bench_shows_what_its_copy_mode_item_says(dashboard):
    """Try-this item 4: cross, 1,000: a fixed amount stops doubling, loses no account, wins fewer copies;
    a multiplier doubles like the fixed ratio."""
    ratio = lesson5.lab_numbers(5, 10, 1_000, "cross", "fixed_ratio")
    amount = lesson5.lab_numbers(5, 10, 1_000, "cross", "fixed_amount")
    multiplier = lesson5.lab_numbers(5, 10, 1_000, "cross", "multiplier")
    assert ratio["lost"] > 0 and amount["lost"] == 0 and multiplier["lost"] > 0
    assert amount["win_rate"] < ratio["win_rate"]
    assert abs(multiplier["lost"] - ratio["lost"]) <= 0.03
    total_ratio, last_ratio = lesson5.cycle_margin(5, 10, "fixed_ratio")
    total_amount, last_amount = lesson5.cycle_margin(5, 10, "fixed_amount")
    assert last_ratio > 20 * last_amount and total_amount < 10 * 6 + 1
    readout = dashboard.set(doublings=5, leverage=10, budget=1_000, setup="cross", copy_mode="fixed_amount")
    menu = dashboard.controls["copy_mode"]
    assert menu.label == "fixed amount: 10 USDT of margin per order"
    assert [value for _, value in menu.options] == list(lesson5.COPY_MODES)
    assert readout["one full cycle as BTC falls"] == f"{total_amount:,.2f} USDT of margin, the last order " \
                                                       f"{last_amount:,.2f} USDT"
    assert readout["lost the whole account"] == "none of the 100 paths"
    dashboard.set(copy_mode="multiplier")
    assert menu.label == "multiplier: 0.01 x the master's size (10,000 USDT first)"  # 0.01 x 10,000 = 100 USDT
    dashboard.set(copy_mode="fixed_ratio")


def test_lab_numbers_in_each_copy_mode_are_the_engines():
    for mode in ("fixed_amount", "multiplier"):
        numbers = lesson5.lab_numbers(doublings=3, leverage=20, budget=250, setup="isolated", copy_mode=mode)
        settings = lesson5.setups(20, 250, cross_budget=250, copy_mode=mode)["isolated"]
        result = ct.simulate(lesson5.lab_paths(), lesson5.master_for(mode, 3), settings, every=24)
        np.testing.assert_allclose(numbers["final"], result.paths["final_equity"], atol=1e-9)
        assert numbers["liquidations"] == pytest.approx(result.paths["liquidations"].mean())


def test_going_deeper_sections_render_collapsed_and_read_whole():
    for section in (lesson5.copy_modes(), lesson5.last_cycle(), lesson5.stop_loss_section(),
                    lesson5.leverage_section()):
        markdown = section._repr_markdown_()
        assert markdown.startswith("<details><summary><b>Going deeper: ") and markdown.endswith("</details>")
        assert "..." not in repr(section) and not re.search(r"0x[0-9a-f]{6}", repr(section))


def test_stop_loss_steps_are_the_worked_examples_numbers():
    table = lesson5.stop_loss_example()
    steps = dict(lesson5.stop_loss_steps().entries)
    assert steps["2. stop trigger = entry - 100 / size"].endswith(f"{table.attrs['trigger']:,.2f} USDT")
    losses = [v for k, v in steps.items() if k.startswith(("4.", "5.", "6."))]
    assert [f"loses {x} USDT" in text for x, text in zip(table["loss (USDT)"], losses)] == [True] * 3


def test_the_outcome_figure_keeps_its_legend_off_the_data_and_says_none_in_words():
    picture = lesson5.outcome_figure()
    figure = picture.figure
    assert figure.legends and not any(ax.get_legend() for ax in figure.axes)  # one legend, outside the panels
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_title(loc="left")]
    assert len(titles) == 4 and any("none of the 1,000 paths" in t for t in titles)
    assert all("0.0 %" not in t for t in titles)
    assert figure.get_size_inches()[0] <= 10.5  # shown at its own size in JupyterLab: fonts are not scaled down


def test_the_dashboard_says_how_many_paths_lost_everything_in_words(dashboard):
    readout = dashboard.set(doublings=5, leverage=10, budget=100, setup="isolated")
    assert readout["lost the whole account"] == "none of the 100 paths"
    readout = dashboard.set(doublings=5, leverage=10, budget=1_000, setup="cross")
    assert readout["lost the whole account"].endswith("%)") and " of 100 paths" in readout["lost the whole account"]


def test_the_page_cites_its_sources_by_name_and_links_onwards():
    check_lesson_page("05_copy_trading_trap", next_link="06_choosing_a_mode.ipynb",
                      exercise="../exercises/ex05_copy_trading_trap.ipynb")


def test_the_questions_name_their_sources_by_name():
    questions_name_no_internal_sources("05_copy_trading_trap")
