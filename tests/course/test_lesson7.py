"""Lesson 7 (beyond crypto): the dashboard at every corner, the questions, the tables' numbers, exercise 7's path."""

import itertools
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import margincourse as mc
from margincourse.grading.answer_key import lesson7 as exercise7
from margincourse.grading.keys import questions_of
from margincourse.course.lessons import lesson7
from margincourse.course.plots import Picture
from margincourse.engine.settlement import margin_account, settlement_summary
from shared_checks import assert_one_right_answer, fastest_update
from lesson_page_checks import check_lesson_page, questions_name_no_internal_sources
from shared_checks import renderings

NOT_A_NUMBER = re.compile(r"\b(nan|inf|-inf)\b", re.IGNORECASE)




@pytest.fixture(scope="module")
def dashboard():
    return lesson7.dashboard()


def test_dashboard_every_corner(dashboard):
    corners = itertools.product(lesson7.DROPS, lesson7.RATIOS)
    for drop, percent in [*corners, (5.0, 75)]:
        seconds = fastest_update(dashboard, {"drop": drop, "maintenance_percent": percent})
        text = dashboard.text()
        assert not dashboard.message, (drop, percent, dashboard.message)
        assert not NOT_A_NUMBER.search(text), text
        assert "-0 " not in text
        assert seconds < 0.05, (drop, percent, seconds)


@pytest.mark.parametrize("drop, percent", [(0.0, 75), (5.0, 50), (12.5, 90), (20.0, 100)])
def test_the_dashboards_quick_columns_are_the_margin_account_table(drop, percent):
    """The dashboard settles with settlement.daily_settlement; it must be margin_account's table, column by column."""
    closes = lesson7.stylised_path(drop / 100)["close"]
    table = margin_account(closes, entry_price=lesson7.ENTRY, contracts=lesson7.CONTRACTS, multiplier=lesson7.OUNCES,
                           initial_margin=lesson7.INITIAL, maintenance_margin=lesson7.INITIAL * percent / 100)
    quick = lesson7._futures_columns(closes.to_numpy(), percent / 100)
    assert list(quick) == list(table.columns)
    for column in table.columns:
        np.testing.assert_array_equal(quick[column], table[column].to_numpy())


def test_dashboard_no_drop_means_nothing_happens(dashboard):
    dashboard.set(drop=0.0, maintenance_percent=75)
    assert dashboard.readout["futures: margin calls"] == "none"
    assert dashboard.readout["crypto twin (isolated, same margin)"] == "not liquidated"
    assert dashboard.readout["futures: gain (loss if negative)"] == "0 USD"


def test_dashboard_big_drop_costs_the_futures_trader_more_than_the_margin(dashboard):
    dashboard.set(drop=20.0, maintenance_percent=75)
    # the price falls 20 % of 2,000 = 400 USD/oz; 2 x 100 oz: 80,000 USD lost, paid through margin calls
    assert dashboard.readout["futures: gain (loss if negative)"] == "-80,000 USD"
    assert dashboard.readout["futures: total deposited"] == "92,000 USD"
    assert dashboard.readout["crypto twin: gain (loss if negative)"] == "-12,000 USDT"


def test_questions_have_exactly_one_right_answer():
    assert_one_right_answer(lesson7.questions())


def test_first_question_is_initial_minus_balance():
    question = lesson7.questions()[0]
    table = lesson7.futures_table()
    day = table.index[table["margin call"] > 0][0]
    assert question.answer == f"{12_000 - table.loc[day, 'margin account balance']:,.0f} USD"


def test_futures_table_is_hulls_setup_on_the_lessons_path():
    path = lesson7.gold_path()
    table = lesson7.futures_table()
    same = margin_account(path["close"], entry_price=2_000, contracts=2, multiplier=100,
                          initial_margin=6_000, maintenance_margin=4_500)
    assert table.equals(same)
    assert table.attrs["initial_margin"] == 12_000 and table.attrs["maintenance_margin"] == 9_000
    summary = settlement_summary(table)
    assert summary["margin calls"] >= 1  # the lesson's story needs at least one call ...
    assert summary["cumulative gain"] == pytest.approx(200 * (path["close"].iloc[-1] - 2_000))


def test_gold_path_is_seeded_and_on_the_tick():
    a, b = lesson7.gold_path(), lesson7.gold_path()
    assert a.equals(b)
    assert list(a.index) == list(range(1, 17))
    assert np.allclose(a.to_numpy() * 10, np.round(a.to_numpy() * 10))
    assert (a["low"] <= a[["open", "close"]].min(axis=1)).all()


def test_crypto_twin_matches_the_engine():
    twin = lesson7.crypto_twin()
    assert twin.size == 8 and twin.leverage == pytest.approx(400_000 / 12_000)
    lp = mc.liquidation_price_for_tiers("long", 50_000, 8, 12_000, mc.tier_table("BTCUSDT"))
    assert twin.liquidation_price == pytest.approx(lp)
    lows = lesson7.gold_path()["low"].to_numpy() * lesson7.SCALE
    first = int(np.argmax(lows <= lp)) + 1
    assert (lows <= lp).any() and twin.liquidation_day == first  # ... and the crypto twin to be liquidated
    assert twin.loss == pytest.approx(12_000)
    assert twin.liquidation_price_per_ounce == pytest.approx(lp / 25)


def test_twin_and_futures_gain_the_same_per_day_until_the_first_call():
    table = lesson7.futures_table()
    twin = lesson7.crypto_twin()
    first_call = int(table.index[table["margin call"] > 0][0])
    # same notional, same 200 per 1 USD/oz: before any top-up the two balances are equal
    for day in range(first_call + 1):
        assert twin.margin_balance[day] == pytest.approx(table.loc[day, "margin account balance"])


def test_comparison_table_marks_the_liquidation_day():
    table = lesson7.comparison_table()
    twin = lesson7.crypto_twin()
    day = str(twin.liquidation_day)
    assert table.loc[day, "crypto: event"].startswith("LIQUIDATED")
    assert table.loc[day, "crypto: margin balance (USDT)"] == "0"
    assert (table["crypto: event"].str.startswith("LIQUIDATED")).sum() == 1


def test_comparison_figure_is_a_picture_that_says_what_it_shows():
    picture = lesson7.comparison_figure()
    assert isinstance(picture, Picture)
    assert picture._repr_png_().startswith(b"\x89PNG")
    assert repr(picture).startswith("Figure: ") and "0x" not in repr(picture)
    assert f"liquidated on day {lesson7.crypto_twin().liquidation_day}" in repr(picture)


def test_margin_levels_table_numbers():
    table = lesson7.margin_levels_table().frame
    crypto = table["crypto twin, isolated"]
    futures = table["exchange-traded futures"]
    # Binance BTCUSDT tier 2 (50,000 - 600,000 USDT): MMR 0.5 %, maintenance amount 50
    assert crypto["maintenance margin"].startswith(f"{400_000 * 0.005 - 50:,.2f} USDT")
    assert futures["maintenance margin"] == "9,000 USD (2.25 % of notional)"
    assert futures["initial margin"] == "12,000 USD (3.0 % of notional)"
    assert crypto["initial margin"] == "12,000 USDT (33.3x leverage)"
    assert "negative balance that you owe" in futures["most you can lose"]


def test_stylised_path():
    flat = lesson7.stylised_path(0.0)
    assert (flat["close"] == 2_000).all()
    steep = lesson7.stylised_path(0.20)
    assert steep.loc[10, "close"] == 1_600 and (steep.loc[10:, "close"] == 1_600).all()
    assert np.allclose(steep["low"], np.round(steep[["open", "close"]].min(axis=1) * 0.996, 1))


def test_show_blanks_like_hull():
    shown = lesson7.show(lesson7.futures_table())
    assert shown.iloc[0]["daily gain (USD)"] == "" and shown.index[0] == "0 (trade)"
    assert (shown["margin call (USD)"] != "").sum() == settlement_summary(lesson7.futures_table())["margin calls"]


def test_summary_table_check_row_equals_cumulative_gain():
    summary = lesson7.summary_table(lesson7.futures_table())["value"]
    assert summary["check: balance at the end - total deposited"] == summary["gain (loss if negative) = cumulative gain"]


def test_exercise_uses_the_lessons_setup():
    assert (exercise7.CONTRACTS, exercise7.OUNCES, exercise7.INITIAL, exercise7.MAINTENANCE) == (
        lesson7.CONTRACTS, lesson7.OUNCES, lesson7.INITIAL, lesson7.MAINTENANCE)


def test_exercise_answers_are_not_printed_in_the_lesson():
    """Exercise 7's path is its own: no number answer appears in the lesson's text or outputs."""
    notebook = nbformat.read(Path(__file__).resolve().parents[2] / "notebooks" / "07_beyond_crypto.ipynb",
                             as_version=4)
    texts = [cell.source for cell in notebook.cells]
    for output in (output for cell in notebook.cells for output in cell.get("outputs", [])):
        texts += [output.get("text", ""), output.get("data", {}).get("text/plain", "")]  # not the images' base64
    text = "\n".join(texts)
    for question in questions_of("07_beyond_crypto").values():
        if question.kind == "number":
            for form in renderings(question.reference()):
                assert form not in text, (question.id, form)


def test_the_page_cites_its_sources_by_name_and_links_onwards():
    check_lesson_page("07_beyond_crypto", next_link="08_funding.ipynb",
                      exercise="../exercises/ex07_beyond_crypto.ipynb")


def test_the_rule_books_are_shown_whole():
    table = lesson7.margin_levels_table()
    text, html = repr(table), table._repr_html_()
    for cell in table.frame.to_numpy().ravel():
        assert cell in text and cell.replace("'", "&#x27;") in html
    assert "..." not in text


def test_worked_call_redoes_the_second_call_by_hand():
    table = lesson7.futures_table()
    steps = dict(lesson7.worked_call(table, call=2).entries)
    day = int(table.index[table["margin call"] > 0][1])
    assert f"day {day}, balance at the start of the day" in steps
    balance = table.loc[day, "margin account balance"]
    assert steps["balance after settlement"] == f"{balance:,.0f} USD"
    assert steps["margin call = initial margin - balance"].startswith(
        f"12,000 - {balance:,.0f} = {12_000 - balance:,.0f} USD")
    assert table.loc[day, "margin call"] == pytest.approx(12_000 - balance)


def test_summary_table_shows_the_gain_from_the_two_prices():
    table = lesson7.futures_table()
    row = lesson7.summary_table(table)["value"]["check: 2 x 100 x (last settlement - entry)"]
    assert row.endswith(f"= {settlement_summary(table)['cumulative gain']:,.0f} USD")


def test_the_questions_name_their_sources_by_name():
    questions_name_no_internal_sources("07_beyond_crypto")
