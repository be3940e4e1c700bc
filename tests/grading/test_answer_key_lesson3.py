"""Exercise 3's stepped-liquidation and auto-deleveraging questions (q9-q15), one by one.

tests/grading/test_answer_keys.py checks every key in general (mistakes differ from the answer,
no message gives it away ...); here: each right answer passes, each named mistake is recognised
by its message, the answers agree with a hand computation from the documented rules, and the
money of the ADL questions adds up.
"""

from __future__ import annotations

import pytest

import margincourse as mc
from margincourse.grading.answer_key import lesson3 as key

Q = {q.id: q for q in key.QUESTIONS}
NEW = ("q9", "q10", "q11", "q12", "q13", "q14", "q15")


def test_at_least_three_new_questions_on_each_topic():
    stepped, adl = NEW[:3], NEW[3:]
    assert all(q in Q for q in NEW)
    assert len(stepped) >= 3 and len(adl) >= 3
    assert all(Q[q].kind == "choice" or Q[q].mistakes for q in NEW)


@pytest.mark.parametrize("qid", [q for q in NEW if Q[q].kind == "number"])
def test_number_answer_passes_and_each_mistake_is_named(qid):
    question = Q[qid]
    assert question.evaluate(question.reference()) == (True, "correct.")
    for mistake in question.mistakes:
        assert question.evaluate(float(mistake.value())) == (False, f"not yet. {mistake.message}")


@pytest.mark.parametrize("qid", [q for q in NEW if Q[q].kind == "choice"])
def test_choice_answer_passes_and_each_wrong_option_explains(qid):
    question = Q[qid]
    for letter, option in question.letters().items():
        correct, message = question.evaluate(letter)
        assert correct is (option == question.answer)
        assert message.endswith(question.options[option])


def test_function_question_reference_and_mistakes():
    question = Q["q15"]
    assert question.evaluate(question.reference_function)[0] is True
    for mistake in question.mistakes:
        assert question.evaluate(mistake.value) == (False, f"not yet. {mistake.message}")


def test_q9_q10_by_hand_from_the_documented_rule():
    # Binance tier 3 (0.65 %, cum 950) at the liquidation price; cut to whole contracts below tier 2's cap
    margin = 30 * 64_000 / 10
    lp = (margin + 950 - 30 * 64_000) / (30 * 0.0065 - 30)
    assert 600_000 <= 30 * lp < 3_000_000
    left = int(600_000 / lp / 0.0001) * 0.0001
    assert Q["q9"].evaluate(30 - left)[0] is True
    assert Q["q10"].evaluate(margin + (lp - 64_000) * (30 - left))[0] is True


def test_q11_follows_the_engine_and_the_rates():
    fee_step = key._big_step(0.0125)
    assert fee_step is None  # 1.25 % > tier 3's 0.65 %: no cut helps
    assert Q["q11"].answer.startswith("it closes all of it at once")
    assert key._big_step(0.0) is not None  # without the fee the same long is cut


def test_q12_is_not_the_largest_profit():
    first = mc.adl_ranking(key.A_LONGS, key.A_GAP_PRICE)["name"].iloc[0]
    assert first == "Q" and key._by_profit_only() == "P"
    assert Q["q12"].answer.startswith("Q:")
    richest = next(option for option in Q["q12"].options if option.startswith("P:"))
    assert "Not by profit alone" in Q["q12"].evaluate(
        next(letter for letter, option in Q["q12"].letters().items() if option == richest))[1]


def test_q13_q14_money_adds_up():
    result = key._a_result()
    bankruptcy = 40_000 * (1 + 1 / 25)
    gap = 43_000 - bankruptcy
    assert result.shortfall == pytest.approx(4 * gap)
    assert Q["q13"].reference() == pytest.approx(4 - 1_750 / gap)
    forgone = sum(f.forgone_profit for f in result.fills)
    assert result.insurance_fund_used + forgone + result.uncovered_shortfall == pytest.approx(result.shortfall)
    assert [f.name for f in result.fills] == ["Q", "R"]
    assert Q["q14"].reference() == pytest.approx((Q["q13"].reference() - 1) * gap)


def test_q15_cases_cover_both_sides_no_gap_and_a_fund_that_covers_all():
    sides = {case[0] for case in key.ADL_CASES}
    outputs = Q["q15"].reference()
    assert sides == {"long", "short"}
    assert 0.0 in outputs  # the fund covers it all: nothing for ADL
    assert any(case[4] == 0 for case in key.ADL_CASES)  # an empty fund: all of it
