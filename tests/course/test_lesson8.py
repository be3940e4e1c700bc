"""Lesson 8, funding: the model against the engine's account, the tables, the dashboard, the questions,
and exercise 8's named mistakes (each recognised when a learner makes it)."""

import itertools
from pathlib import Path

import nbformat
import numpy as np
import pytest

import margincourse as mc
from margincourse.course.lessons import lesson8
from margincourse.grading.keys import questions_of
from lesson_page_checks import check_lesson_page, questions_name_no_internal_sources
from shared_checks import BAD_NUMBER, assert_one_right_answer, fastest_update, renderings

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_funding.ipynb"


# ----------------------------------------------------------------- the model against the engine


@pytest.mark.parametrize("mode, leverage, rate", [
    ("cross", 50, 0.0003), ("isolated", 50, 0.0003), ("cross", 125, 0.001), ("isolated", 10, 0.003),
    ("cross", 10, -0.0005), ("isolated", 50, -0.0001),
])
def test_funding_path_matches_the_account_settling_one_funding_time_after_another(mode, leverage, rate):
    days = 40
    path = lesson8.funding_path(mode, leverage, rate, days=days)
    for day in (0, 1, 7, 13, 25, 40):
        account, position, events = lesson8.account_after(mode, leverage, rate, day)
        k = 3 * day
        assert bool(path["open"][k]) is position.is_open, (day, mode)
        assert path["wallet"][k] == pytest.approx(account.wallet_balance, abs=1e-9)
        if position.is_open:
            backing = position.margin if mode == "isolated" else account.cross_wallet_balance
            assert path["backing"][k] == pytest.approx(backing, abs=1e-9)
            assert path["liquidation_price"][k] == pytest.approx(account.liquidation_price(position), abs=1e-6)
            assert path["paid"][k] == pytest.approx(-position.funding, abs=1e-9)
        assert account.ledger().expected_wallet_balance() == pytest.approx(account.wallet_balance, abs=1e-9)


@pytest.mark.parametrize("leverage, rate", [(50, 0.0003), (125, 0.001), (10, 0.003), (50, 0.003), (1, 0.0025)])
def test_funding_times_to_liquidation_is_when_the_engine_liquidates(leverage, rate):
    times = lesson8.funding_times_to_liquidation(leverage, rate)
    for mode in lesson8.MODES:
        before, position, _ = lesson8.account_after(mode, leverage, rate, (times - 1) / 3)
        assert position.is_open, mode
        after, position, events = lesson8.account_after(mode, leverage, rate, times / 3)
        assert not position.is_open and len(events) == times, mode
        assert after.wallet_balance == pytest.approx(0.0, abs=1e-9)  # funding, then the liquidation, took it all
        path = lesson8.funding_path(mode, leverage, rate, days=times / 3 + 1)
        assert path["liquidated_at"] == times


def test_a_long_receiving_funding_is_never_liquidated_by_it():
    assert lesson8.funding_times_to_liquidation(50, -0.0001) is None
    path = lesson8.funding_path("cross", 50, -0.0001)
    assert path["liquidated_at"] is None and path["open"].all()
    assert np.all(np.diff(path["liquidation_price"]) < 0)  # receipts move it away from the mark


def test_isolated_liquidation_price_stays_put_while_the_free_balance_pays():
    path = lesson8.funding_path("isolated", 50, 0.0003)
    free_paid = path["paid"] <= lesson8.WALLET - lesson8.MARGIN
    lps = path["liquidation_price"][free_paid]
    assert np.all(lps == lps[0])
    assert path["liquidation_price"][~free_paid & path["open"]].min() > lps[0]
    cross = lesson8.funding_path("cross", 50, 0.0003)
    assert np.all(np.diff(cross["liquidation_price"][cross["open"]]) > 0)  # cross creeps from the first payment
    assert cross["liquidated_at"] == path["liquidated_at"]


# ----------------------------------------------------------------- tables


def test_sign_table_longs_pay_shorts_at_a_positive_rate():
    table = lesson8.sign_table()
    assert list(table.iloc[0]) == ["pays 0.50 USDT", "receives 0.50 USDT"]
    assert list(table.iloc[1]) == ["receives 0.50 USDT", "pays 0.50 USDT"]


def test_leverage_table_same_funding_whatever_the_margin():
    table = lesson8.leverage_table()
    assert set(table["funding per 8 h"]) == {"0.50 USDT"}
    assert table["as a share of the margin"].nunique() == len(table)


def test_year_table_computes_the_documented_example():
    frame = lesson8.year_table().frame
    row = frame.loc["0.0100 %"]
    assert lesson8.payments_per_year() == 1_095
    assert row["per year (1,095 payments), of position value"] == "10.95 %"
    assert row["of the margin at 10x"] == "109.5 %"
    assert row["per day"] == "0.03 %"


def test_holding_table_comes_from_the_engine_and_conserves_money():
    table = lesson8.holding_table()
    assert table.loc["0", ("isolated", "liq. price")] == table.loc["180", ("isolated", "liq. price")]
    assert table.loc["180", ("isolated", "bucket")] == "100.00"
    assert table.loc["180", ("cross", "wallet")] == table.loc["180", ("isolated", "wallet")] == "190.00"
    assert table.loc["210", ("isolated", "liq. price")] == table.loc["210", ("cross", "liq. price")]


def test_worked_example_agrees_with_the_account():
    text = lesson8.worked_example(leverage=50, rate=0.0003)
    times = lesson8.funding_times_to_liquidation(50, 0.0003)
    assert f"liquidated at funding time {times:,}" in text
    assert f"liquidated after {times:,} funding times, wallet 0.00 USDT" in text


def test_rate_from_premium_is_binance_formula():
    assert lesson8.rate_from_premium(0.0) == pytest.approx(0.0001)
    assert lesson8.rate_from_premium(0.00055) == pytest.approx(0.00055 - 0.00045)
    assert lesson8.rate_from_premium(0.002) == pytest.approx(0.0015)
    assert lesson8.rate_from_premium(-0.001) == pytest.approx(-0.0005)


def test_caps_table_uses_the_shipped_caps():
    frame = lesson8.caps_table().frame
    assert frame.loc["BTCUSDT", "a computed 0.5000 % settles at"] == "0.3000 %"
    assert frame.loc["BNBUSDT", "a computed -0.5000 % settles at"] == "-0.3750 %"


def test_deeper_sections_are_complete_text():
    for section in lesson8.deeper():
        text = repr(section)
        assert text.startswith("Going deeper:") and "..." not in text


# ----------------------------------------------------------------- dashboard


@pytest.fixture(scope="module")
def dashboard():
    return lesson8.dashboard()


def test_dashboard_defaults_tell_the_story(dashboard):
    dashboard.set(days=180, rate_percent=0.03, leverage=50, mode="isolated")
    readout = dashboard.readout
    assert readout["funding per 8 h"] == "pays 1.50 USDT (0.0300 % of position value)"
    assert readout["funding paid so far"] == "810.00 USDT"
    assert readout["behind the position (bucket)"] == "100.00 USDT"
    assert readout["funding alone liquidates it at"] == "funding time 654, day 218"
    dashboard.set(mode="cross")
    assert readout is not dashboard.readout
    assert dashboard.readout["behind the position (cross wallet)"] == "190.00 USDT"


def test_dashboard_every_corner_is_quick_and_clean(dashboard):
    ends = {name: (c.min, c.max) if hasattr(c, "min") else tuple(c.options) for name, c in dashboard.controls.items()}
    for values in itertools.product(*ends.values()):
        values = dict(zip(ends, values))
        seconds = fastest_update(dashboard, values)
        assert dashboard.message == "", (values, dashboard.message)
        assert not BAD_NUMBER.search(dashboard.text()), (values, dashboard.text())
        assert seconds < 0.1, (values, seconds)


def test_dashboard_shows_liquidation_by_funding(dashboard):
    dashboard.set(days=365, rate_percent=0.3, leverage=125, mode="isolated")
    assert dashboard.readout["behind the position (bucket)"] == "gone"
    assert dashboard.readout["liquidation price"] == "liquidated by funding"
    assert dashboard.readout["funding alone liquidates it at"].startswith("funding time ")


# ----------------------------------------------------------------- questions and the page


def test_questions_have_one_right_answer_each():
    assert_one_right_answer(lesson8.questions(), minimum=4)


def test_year_question_is_computed():
    question = lesson8.questions()[3]
    assert question.answer.startswith("About 110 %")


def test_the_page_cites_its_sources_by_name_and_links_onwards():
    check_lesson_page("08_funding", next_link="00_start_here.ipynb#Course-map",
                      exercise="../exercises/ex08_funding.ipynb")
    questions_name_no_internal_sources("08_funding")


def test_exercise_answers_are_not_printed_in_the_lesson():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    texts = [cell.source for cell in notebook.cells]
    for output in (output for cell in notebook.cells for output in cell.get("outputs", [])):
        texts += [output.get("text", ""), output.get("data", {}).get("text/plain", "")]
    text = "\n".join(texts)
    for question in questions_of("08_funding").values():
        if question.kind == "number":
            for form in renderings(question.reference()):
                assert form not in text, (question.id, form)


# ----------------------------------------------------------------- exercise 8: each named mistake


EXERCISE = questions_of("08_funding")


@pytest.mark.parametrize("qid, wrong, words", [
    ("q1", 2.4, "a positive rate means longs pay shorts"),                   # the sign of funding
    ("q1", -0.12, "applied the rate to the margin"),                         # margin instead of position value
    ("q1", -2.25, "entry price"),                                            # entry instead of mark
    ("q1", -240, "0.0125 % is 0.000125"),                                    # percent as a fraction
    ("q2", 1.86, "a negative rate means shorts pay longs"),
    ("q3", 87, "one funding time a day"),                                    # funding times per day
    ("q3", 2_088, "every hour"),
    ("q3", 10.44, "applied the rate to the margin"),
    ("q4", 10.8, "share of the position's value"),
    ("q4", 72, "one funding time a day"),
    ("q7", 40_160.64, "liquidation price at opening"),
    ("q7", -1, "one funding time a day"),
    ("q7", -2, "the wallet goes down, not up"),
])
def test_each_named_mistake_is_recognised(qid, wrong, words):
    question = EXERCISE[qid]
    if wrong == -1:    # q7 with one funding time a day, computed by hand
        wrong = mc.liquidation_price("long", 50_000, 0.1, 1_000 - 45 * 0.1 * 50_000 * 0.0005, 0.004)
    elif wrong == -2:  # q7 with the funding added to the wallet
        wrong = mc.liquidation_price("long", 50_000, 0.1, 1_000 + 135 * 0.1 * 50_000 * 0.0005, 0.004)
    correct, message = question.evaluate(wrong)
    assert correct is False and words in message, message


def test_expected_values_are_the_documented_arithmetic():
    assert EXERCISE["q1"].reference() == pytest.approx(-0.3 * 64_000 * 0.000125)
    assert EXERCISE["q2"].reference() == pytest.approx(-2 * 3_100 * 0.0003)
    assert EXERCISE["q3"].reference() == pytest.approx(30 * 3 * 0.5 * 58_000 * 0.0001)
    assert EXERCISE["q4"].reference() == pytest.approx(216)
    assert EXERCISE["q7"].reference() == pytest.approx(
        mc.liquidation_price("long", 50_000, 0.1, 1_000 - 135 * 2.5, 0.004), abs=1e-6)


def test_isolation_caps_funding_is_a_named_mistake():
    question = EXERCISE["q6"]
    capped = next(option for option in question.options if option.startswith("at most the 200 USDT"))
    correct, message = question.evaluate(capped)
    assert correct is False and "Isolation caps what a liquidation takes, not funding" in message
    assert question.evaluate(question.answer)[0] is True


def test_function_question_recognises_the_sign_and_side_mistakes():
    question = EXERCISE["q5"]

    def pays_positive(side, size, mark_price, rate):
        return (1 if side == "long" else -1) * size * mark_price * rate

    def ignores_side(side, size, mark_price, rate):
        return -size * mark_price * rate

    assert "turned round" in question.evaluate(pays_positive)[1]
    assert "shorts are not" in question.evaluate(ignores_side)[1]
    assert question.evaluate(lambda side, size, mark_price, rate: mc.funding_payment(side, size, mark_price, rate))[0]
