"""The question types (margincourse/basics/questions.py), judged on small questions of our own.

Each question's ``evaluate`` returns ``(correct, text)``; these tests pin both, text for
text, so a changed verdict or message shows up here:

* ``NumberQuestion``: absolute and relative tolerance (whichever is larger), named
  mistakes in order, then the generic sign and percent/fraction slips, then the hint;
  ``None`` and ``...`` are "not answered yet"; booleans, NaN and infinities are not numbers;
* ``ChoiceQuestion``: by letter or by text, case and surrounding spaces ignored; a bad
  answer names the allowed letters; an ``answer`` that is not an option is refused; the
  right answer's own "Right:" is dropped once; ``shuffle=True`` shows the options in a
  fixed order derived from the question (the same under any hash seed), letters follow it;
* ``FunctionQuestion``: the learner's exceptions are marked ``Raised(text)``, apart from a
  returned string (not a number); all-``NotImplementedError`` reads "not answered yet",
  mistake functions are recognised, partial credit is "Right on k of n test cases."
  followed by the hint, if any.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.basics.questions import (
    ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion, Raised, Verdict, without_verdict,
)

NOT_ANSWERED_NUMBER = (False, "not answered yet: replace None with your answer.")
SIGN = "not yet. The size is right but the sign is not: check the direction (long or short, gain or loss)."
PERCENT = "not yet. It looks like you gave a percentage where a fraction was asked (0.05, not 5)."
FRACTION = "not yet. It looks like you gave a fraction where a percentage was asked (5, not 0.05)."
GENERIC = "not yet. Check each step of the formula against the lesson."


def number(expected, **kwargs):
    return NumberQuestion(id="q1", prompt="How much?", expected=lambda: expected, **kwargs)


# --------------------------------------------------------------------------- NumberQuestion


def test_number_reference_is_a_float():
    question = number(120)
    assert question.reference() == 120.0 and type(question.reference()) is float
    assert question.kind == "number"


@pytest.mark.parametrize(
    "answer, correct",
    [
        (100.9, True),  # within the relative 1 % (1.0), beyond the absolute 0.5
        (99.0, True),  # the edge is included
        (101.1, False),
        (98.8, False),
    ],
)
def test_number_relative_tolerance_applies_when_larger(answer, correct):
    assert number(100.0, tolerance=0.5, relative=0.01).evaluate(answer)[0] is correct


@pytest.mark.parametrize(
    "answer, correct",
    [
        (10.45, True),  # within the absolute 0.5, beyond the relative 1 % (0.1)
        (9.5, True),
        (10.6, False),
        (9.4, False),
    ],
)
def test_number_absolute_tolerance_applies_when_larger(answer, correct):
    assert number(10.0, tolerance=0.5, relative=0.01).evaluate(answer)[0] is correct


def test_number_default_tolerance_is_half_a_cent():
    question = number(120.0)
    assert question.evaluate(120.004) == (True, "correct.")
    assert question.evaluate(120.006) == (False, GENERIC)


@pytest.mark.parametrize("answer", [120, 120.0, np.float64(120.0), np.int64(120), np.float32(120.0), np.array(120.0)])
def test_number_accepts_plain_and_numpy_numbers(answer):
    assert number(120.0).evaluate(answer) == (True, "correct.")


@pytest.mark.parametrize("answer", [None, ...])
def test_number_none_and_ellipsis_read_as_not_answered(answer):
    assert number(120.0).evaluate(answer) == NOT_ANSWERED_NUMBER


@pytest.mark.parametrize(
    "answer, shown",
    [
        (True, "True"),
        (False, "False"),
        (np.bool_(True), repr(np.bool_(True))),  # np.True_ under numpy 2
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (-float("inf"), "-inf"),
        (np.float64("nan"), repr(np.float64("nan"))),
        ("120", "'120'"),
        ([120.0], "[120.0]"),
        (np.array([120.0, 120.0]), "array([120., 120.])"),
    ],
)
def test_number_refuses_what_is_not_a_number(answer, shown):
    question = number(1.0)  # True == 1.0: a boolean must still not count
    assert question.evaluate(answer) == (False, f"the answer should be a number, got {shown}.")


def test_number_not_a_number_names_the_unit():
    assert number(120.0, unit="USDT").evaluate("a lot") == (False, "the answer should be a number in USDT, got 'a lot'.")


def test_number_named_mistakes_are_checked_in_order():
    question = number(
        120.0,
        mistakes=(
            Mistake("First: you forgot the leverage.", lambda: 3_000.0),
            Mistake("Second: the same value, never reached.", lambda: 3_000.0),
            Mistake("Third: you multiplied.", lambda: 75_000.0),
        ),
    )
    assert question.evaluate(3_000.0) == (False, "not yet. First: you forgot the leverage.")
    assert question.evaluate(3_000.004) == (False, "not yet. First: you forgot the leverage.")  # within tolerance
    assert question.evaluate(75_000.0) == (False, "not yet. Third: you multiplied.")
    assert question.evaluate(120.0) == (True, "correct.")


def test_number_named_mistake_comes_before_the_generic_sign_slip():
    question = number(120.0, mistakes=(Mistake("You took the short's side.", lambda: -120.0),))
    assert question.evaluate(-120.0) == (False, "not yet. You took the short's side.")


def test_number_mistake_too_close_to_the_answer_is_never_named():
    # the mistake's value lies within tolerance of the expected one: naming it would be unfair
    question = number(100.0, tolerance=1.0, relative=0.0, mistakes=(Mistake("Never shown.", lambda: 100.8),))
    assert question.evaluate(101.6) == (False, GENERIC)
    assert question.evaluate(100.8) == (True, "correct.")


def test_number_generic_sign_slip():
    assert number(120.0).evaluate(-120.0) == (False, SIGN)
    assert number(-35.5).evaluate(35.5) == (False, SIGN)


def test_number_zero_has_no_sign_or_percent_slip():
    question = number(0.0)
    assert question.evaluate(-0.0) == (True, "correct.")
    assert question.evaluate(0.5) == (False, GENERIC)


def test_number_percent_given_for_a_fraction():
    assert number(0.6, tolerance=1e-4).evaluate(60) == (False, PERCENT)
    assert number(0.6, tolerance=1e-4).evaluate(60.005) == (False, PERCENT)  # tolerance scales with the factor


def test_number_fraction_given_for_a_percent():
    assert number(60.0, unit="%").evaluate(0.6) == (False, FRACTION)


def test_number_sign_slip_comes_before_the_percent_slip():
    assert number(-0.6, tolerance=1e-4).evaluate(0.6) == (False, SIGN)
    assert number(-0.6, tolerance=1e-4).evaluate(-60) == (False, PERCENT)


def test_a_percentage_a_hundred_times_too_large_is_not_called_a_fraction_and_a_count_not_a_percentage():
    share = number(216.0, tolerance=0.1, unit="%")   # exercise 8's q4: 216 % of the margin
    assert share.evaluate(21_600) == (False, "not yet. Your answer is 100 times too large: was the percentage "
                                             "multiplied by 100 twice?")
    leverage = number(18.0, tolerance=0)           # exercise 6's q2: a whole leverage, no unit
    small = leverage.evaluate(0.18)
    assert small[0] is False and "100 times too small" in small[1] and "percentage" not in small[1]


def test_an_amount_a_hundred_times_off_points_at_a_rate_in_percent_not_at_the_answers_form():
    payment = number(-18.6, tolerance=0.01, unit="USDT")   # 0.3 BTC x 62,000 x 0.1 %, paid
    large, small = payment.evaluate(-1860), payment.evaluate(-0.186)
    assert large[0] is False and "100 times too large" in large[1] and "0.05 % is 0.0005" in large[1]
    assert small[0] is False and "100 times too small" in small[1]
    assert "fraction" not in large[1] + small[1]   # an amount in USDT is neither a fraction nor a percentage


def test_number_hint_replaces_the_generic_advice():
    question = number(120.0, hint="Initial margin = size x price / leverage.")
    assert question.evaluate(7.0) == (False, "not yet. Initial margin = size x price / leverage.")


# --------------------------------------------------------------------------- ChoiceQuestion

OPTIONS = {
    "the 50x trader": "No: leverage changes the margin, not the PnL.",
    "both lose the same amount": "Yes: same size, same move, same loss.",
    "the 5x trader": "No: the loss depends on size and price only.",
}


def choice(answer="both lose the same amount"):
    return ChoiceQuestion(id="q5", prompt="Who loses more?", options=dict(OPTIONS), answer=answer)


def test_choice_letters_follow_the_options_order():
    question = choice()
    assert question.letters() == {"a": "the 50x trader", "b": "both lose the same amount", "c": "the 5x trader"}
    assert question.reference() == "both lose the same amount"
    assert question.kind == "choice"


@pytest.mark.parametrize("answer", ["b", "B", " b ", "b\n", "both lose the same amount", "Both Lose The SAME amount", "  both lose the same amount "])
def test_choice_right_by_letter_or_text_case_insensitive(answer):
    assert choice().evaluate(answer) == (True, "correct. Same size, same move, same loss.")


# ---------------------------------------------------------------- one verdict: the right answer's "Yes:" dropped


def test_the_right_answers_own_verdict_is_dropped_once_and_wrong_feedback_is_kept():
    question = choice()
    assert question.options["both lose the same amount"] == "Same size, same move, same loss."
    assert question.options["the 50x trader"] == OPTIONS["the 50x trader"]  # a wrong one's "No:" is its content
    assert question.evaluate("b")[1].count("orrect") == 1


@pytest.mark.parametrize(
    "written, kept",
    [
        ("Right: 20 x 2 % = 40 % of the margin is gone.", "20 x 2 % = 40 % of the margin is gone."),
        ("Right. the wallet covers it.", "The wallet covers it."),
        ("Correct: top-ups keep going.", "Top-ups keep going."),
        ("yes, the budget caps it.", "The budget caps it."),
        ("Right: cum_3 = cum_2 + 600,000 x 0.15 %", "cum_3 = cum_2 + 600,000 x 0.15 %"),
        ("Rightly so: nothing to drop.", "Rightly so: nothing to drop."),
        ("Size x price.", "Size x price."),
        ("Yes.", ""),
    ],
)
def test_without_verdict(written, kept):
    assert without_verdict(written) == kept


# ---------------------------------------------------------------- shown order: fixed, shuffled on request


def test_without_shuffle_the_options_are_shown_as_written():
    question = choice()
    assert question.shuffle is False
    assert question.shown_options() == list(OPTIONS)
    assert question.options_markdown() == (
        "- **a**: the 50x trader\n- **b**: both lose the same amount\n- **c**: the 5x trader"
    )


def test_shuffled_letters_follow_the_shown_order():
    question = ChoiceQuestion("q5", "Who loses more?", dict(OPTIONS), "both lose the same amount", shuffle=True)
    shown = question.shown_options()
    assert sorted(shown) == sorted(OPTIONS)
    assert list(question.letters().values()) == shown
    assert question.letter_of(shown[2]) == "c"
    for letter, option in question.letters().items():
        assert question.evaluate(letter)[0] is (option == question.answer)
        assert question.evaluate(option)[0] is (option == question.answer)  # the text works in any order
    assert question.options_markdown().splitlines()[0] == f"- **a**: {shown[0]}"


def test_the_shuffled_order_is_the_same_in_another_interpreter_with_another_hash_seed():
    code = ("from margincourse.basics.questions import ChoiceQuestion\n"
            "q = ChoiceQuestion('', 'Which?', {o: '' for o in 'one two three four five'.split()}, 'one', shuffle=True)\n"
            "print(q.shown_options())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "random")}
    here = ChoiceQuestion("", "Which?", {o: "" for o in "one two three four five".split()}, "one", shuffle=True)
    assert runs == {f"{here.shown_options()}\n"}


def test_shuffling_spreads_the_right_answer_over_the_positions():
    """Written with the right answer first, 90 questions show it in each of three places about equally often."""
    positions = Counter()
    for n in range(90):
        question = ChoiceQuestion("", f"Question {n}?", {"right": "", "wrong": "", "also wrong": ""}, "right",
                                  shuffle=True)
        positions[question.shown_options().index("right")] += 1
    assert set(positions) == {0, 1, 2}
    assert max(positions.values()) < 45


@pytest.mark.parametrize(
    "answer, feedback",
    [
        ("a", "No: leverage changes the margin, not the PnL."),
        ("C", "No: the loss depends on size and price only."),
        ("The 5x Trader", "No: the loss depends on size and price only."),
    ],
)
def test_choice_wrong_option_gives_its_own_feedback(answer, feedback):
    assert choice().evaluate(answer) == (False, f"not yet. {feedback}")


@pytest.mark.parametrize(
    "answer, shown",
    [("d", "'d'"), ("", "''"), ("both", "'both'"), (2, "2"), (True, "True"), (["b"], "['b']")],
)
def test_choice_bad_answer_names_the_allowed_letters(answer, shown):
    assert choice().evaluate(answer) == (False, f"the answer should be one of the letters 'a', 'b', 'c', got {shown}.")


@pytest.mark.parametrize("answer", [None, ...])
def test_choice_none_and_ellipsis_read_as_not_answered(answer):
    assert choice().evaluate(answer) == (False, "not answered yet: replace None with the letter of your choice.")


@pytest.mark.parametrize("answer", ["b", "the 10x trader", "Both lose the same amount"])
def test_choice_answer_must_be_one_of_the_options(answer):
    # a letter or a differently cased text is how a learner answers, not how the key names its answer
    with pytest.raises(MarginInputError, match=rf"^answer must be one of the options of q5, got '{answer}'$"):
        choice(answer)


# --------------------------------------------------------------------------- FunctionQuestion


def double(x):
    return 2 * x


def function_question(**kwargs):
    return FunctionQuestion(id="q4", prompt="Write double(x).", reference_function=double, cases=((1,), (2.5,), (-3,)), **kwargs)


def test_function_reference_is_the_reference_on_every_case():
    assert function_question().reference() == [2.0, 5.0, -6.0]
    assert function_question().kind == "function"


def test_function_right_on_every_case():
    assert function_question().evaluate(lambda x: x + x) == (True, "correct on all 3 test cases.")
    assert function_question().evaluate(lambda x: np.float64(2 * x + 0.004)) == (True, "correct on all 3 test cases.")


def test_function_exceptions_are_marked_with_their_text():
    def learner(x):
        if x < 0:
            raise ValueError("x must not be negative")
        return 2 * x

    question = function_question()
    assert question.outputs(learner) == [2, 5.0, Raised("ValueError: x must not be negative")]
    assert question.evaluate(learner) == (False, "not yet. Your function raised ValueError: x must not be negative")


def test_function_exception_in_every_case_is_reported_once():
    assert function_question().evaluate(lambda x: 1 / 0) == (False, "not yet. Your function raised ZeroDivisionError: division by zero")


def test_function_that_still_raises_not_implemented_is_not_answered_yet():
    def stub(x):
        raise NotImplementedError("write this function")

    assert function_question().evaluate(stub) == (False, "not answered yet: write the function (it still raises NotImplementedError).")


def test_function_raising_not_implemented_on_some_cases_is_answered():
    def half_done(x):
        if x < 0:
            raise NotImplementedError("negative values")
        return 2 * x

    assert function_question().evaluate(half_done) == (False, "not yet. Your function raised NotImplementedError: negative values")


@pytest.mark.parametrize("answer", [None, ...])
def test_function_none_and_ellipsis_read_as_not_answered(answer):
    assert function_question().evaluate(answer) == (False, "not answered yet: write the function.")


@pytest.mark.parametrize("answer, shown", [(5.0, "5.0"), ("double", "'double'")])
def test_function_answer_must_be_callable(answer, shown):
    assert function_question().evaluate(answer) == (False, f"the answer should be a function, got {shown}.")


@pytest.mark.parametrize("value, shown", [(None, "None"), (True, "True"), (float("nan"), "nan"), ([2.0], "[2.0]")])
def test_function_must_return_numbers(value, shown):
    assert function_question().evaluate(lambda x: value) == (False, f"not yet. Your function should return a number, it returned {shown}.")


@pytest.mark.parametrize("text", ["long", "NotImplementedError: write this function", "ValueError: no"])
def test_function_returning_a_string_is_not_reported_as_raising(text):
    verdict = function_question().evaluate(lambda x: text)
    assert verdict == (False, f"not yet. Your function should return a number, it returned {text!r}.")


def test_function_mistakes_recognised_in_order():
    question = function_question(
        mistakes=(
            Mistake("It looks like you returned x itself.", lambda x: x),
            Mistake("It looks like the sign is reversed.", lambda x: -2 * x),
        ),
    )
    assert question.evaluate(lambda x: -2 * x) == (False, "not yet. It looks like the sign is reversed.")
    assert question.evaluate(lambda x: x) == (False, "not yet. It looks like you returned x itself.")


def test_function_mistake_must_match_on_every_case():
    question = function_question(mistakes=(Mistake("Never shown.", lambda x: -2 * x),), hint="Double it.")
    # matches the mistake on the negative case only, and the reference on the first two
    learner = lambda x: 2 * abs(x)  # noqa: E731
    assert question.evaluate(learner) == (False, "not yet. Right on 2 of 3 test cases. Double it.")


@pytest.mark.parametrize(
    "learner, passed",
    [(lambda x: 2 * x if x > 0 else 0, 2), (lambda x: 2 * x if x == 1 else 0, 1), (lambda x: 0.0, 0)],
)
def test_function_partial_credit_text(learner, passed):
    question = function_question(hint="Double it.")
    assert question.evaluate(learner) == (False, f"not yet. Right on {passed} of 3 test cases. Double it.")


def test_function_partial_credit_without_hint():
    verdict = function_question().evaluate(lambda x: 2 * x if x > 0 else 0)
    assert verdict == (False, "not yet. Right on 2 of 3 test cases.")


@pytest.mark.parametrize("outputs", [[2.0, 5.0], [2.0, 5.0, -6.0, 0.0], "2, 5, -6", None])
def test_function_outputs_of_the_wrong_shape(outputs):
    assert function_question().evaluate_outputs(outputs) == (False, "not yet. The function could not be called on the test cases.")


def test_function_evaluate_outputs_judges_recorded_outputs():
    # the grader judges outputs recorded in the sandbox, without the learner's function
    question = function_question()
    assert question.evaluate_outputs([2.0, 5.0, -6.0]) == (True, "correct on all 3 test cases.")
    assert question.evaluate_outputs([Raised("NotImplementedError: write this function")] * 3)[1].startswith("not answered yet")
    assert question.evaluate_outputs([2.0, Raised("KeyError: 'x'"), -6.0]) == (False, "not yet. Your function raised KeyError: 'x'")
    assert question.evaluate_outputs([2.0, "KeyError: 'x'", -6.0]) == (
        False, "not yet. Your function should return a number, it returned \"KeyError: 'x'\".")


# --------------------------------------------------------------------------- Verdict


def test_verdict_prints_as_its_message():
    verdict = Verdict("q1", True, 2, 2, "q1: correct.")
    assert str(verdict) == "q1: correct."
    with pytest.raises(AttributeError):
        verdict.correct = False  # frozen
