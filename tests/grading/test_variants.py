"""Per-class variants (``make-exercises --variant KEY``): every dealt question is sound and differs.

For each exercise, under a dozen keys:

* each question with a ``Varied`` in its answer key gets other numbers: its prompt differs
  from the published one, and so does its answer (beyond the tolerance);
* each choice question puts its right answer under another letter than the published one;
* a function question is the same object (it asks for a formula, not numbers);
* a dealt number question is as sound as a published one: a finite answer judged correct,
  each named mistake differs from it and triggers its message, and no message gives it away.

And each ``Varied``'s build, called with no argument, is the published question itself.
"""

import math

import pytest
from shared_checks import renderings

from margincourse.basics.errors import MarginInputError
from margincourse.basics.questions import NumberQuestion, Varied
from margincourse.grading.answer_key import EXERCISES
from margincourse.grading.keys import questions_of, varied_of
from margincourse.grading.variants import check_seed, class_questions, variant_questions, variant_seed

NAMES = tuple(EXERCISES)
KEYS = ("fin305-spring", "fin305-autumn", "bootcamp-7", "section B", "2027 cohort", "abcd", "class-key-x",
        "MSc risk", "evening", "tutor-12", "demo-class", "another key")


def _varied():
    return [pytest.param(name, qid, id=f"{name}-{qid}") for name in NAMES for qid in varied_of(name)]


def test_keys_deal_different_seeds_and_bad_keys_are_refused():
    seeds = {variant_seed(key, name) for key in KEYS for name in NAMES}
    assert len(seeds) == len(KEYS) * len(NAMES)
    assert all(check_seed(seed) == seed for seed in seeds)
    for bad in ("", "abc", "   ", None, 1234):
        with pytest.raises(MarginInputError, match=r"variant \(--variant\) must be a key of 4"):
            variant_seed(bad, NAMES[0])
    for bad in ("xyz", "3F3C623E3C1D7A59", "3f3c623e3c1d7a5", None):
        with pytest.raises(MarginInputError, match="variant must be the 16 hex digits"):
            check_seed(bad)


def test_varied_refuses_choices_that_hold_the_published_value():
    def q(balance=1_000):
        return NumberQuestion(id="q1", prompt=f"{balance}", expected=lambda: balance)

    with pytest.raises(MarginInputError, match=r"choices\['balance'\] of q must hold two or more values other"):
        Varied(q, {"balance": (1_000, 2_000)})
    with pytest.raises(MarginInputError, match="choices must name arguments of q with a default"):
        Varied(q, {"size": (1, 2)})


@pytest.mark.parametrize("name, qid", _varied())
def test_varied_build_without_arguments_is_the_published_question(name, qid):
    published, built = questions_of(name)[qid], varied_of(name)[qid].build()
    assert built.prompt == published.prompt
    assert built.reference() == published.reference()
    assert [m.message for m in built.mistakes] == [m.message for m in published.mistakes]


@pytest.mark.parametrize("name", NAMES)
def test_every_question_of_a_variant_differs_where_it_can(name):
    published = questions_of(name)
    varied = varied_of(name)
    for key in KEYS:
        variant = class_questions(name, variant_seed(key, name))
        assert list(variant) == list(published)
        for qid, question in published.items():
            dealt = variant[qid]
            if question.kind == "choice":
                assert dealt.letter_of(dealt.answer) != question.letter_of(question.answer), (key, qid)
                assert set(dealt.options) == set(question.options)
            elif qid in varied:
                assert dealt.prompt != question.prompt, (key, qid)
                if question.kind == "number":
                    assert abs(dealt.reference() - question.reference()) > max(
                        question.tolerance, question.relative * abs(question.reference())), (key, qid)
            else:
                assert dealt is question, (key, qid)


@pytest.mark.parametrize("name, qid", _varied())
def test_a_dealt_number_question_is_as_sound_as_the_published_one(name, qid):
    if questions_of(name)[qid].kind != "number":
        pytest.skip("not a number question")  # a varied function question is checked by the test above
    for key in KEYS:
        question = class_questions(name, variant_seed(key, name))[qid]
        expected = question.reference()
        assert math.isfinite(expected)
        assert question.evaluate(expected) == (True, "correct."), key
        for mistake in question.mistakes:
            wrong = float(mistake.value())
            assert abs(wrong - expected) > max(question.tolerance, question.relative * abs(expected)), (key, mistake.message)
            assert question.evaluate(wrong) == (False, f"not yet. {mistake.message}"), key
        for form in renderings(expected):
            for text in [m.message for m in question.mistakes] + [question.hint]:
                assert form not in text, (key, form, text)


def test_a_variant_is_the_same_every_time():
    seed = variant_seed("fin305-spring", NAMES[0])
    first = class_questions(NAMES[0], seed)
    again = class_questions(NAMES[0], seed)
    assert [q.prompt for q in first.values()] == [q.prompt for q in again.values()]
    assert [q.reference() for q in first.values()] == [q.reference() for q in again.values()]


def _scenarios(name):
    found = {}
    for qid, how in varied_of(name).items():
        if how.scenario:
            found.setdefault(how.scenario, []).append(qid)
    return found


@pytest.mark.parametrize("name", [n for n in NAMES if _scenarios(n)])
def test_questions_about_one_scenario_are_dealt_the_same_numbers(name):
    """Exercise 3's q3 asks about "the short in q2" and restates it: both must state one short."""
    for scenario, ids in _scenarios(name).items():
        assert len(ids) >= 2, scenario
        for key in KEYS:
            variant = class_questions(name, variant_seed(key, name))
            built = [varied_of(name)[qid] for qid in ids]
            dealt = [variant[qid].prompt for qid in ids]
            assert any([how.build(**values).prompt for how in built] == dealt for values in _deals(built[0])), key


def _deals(varied):
    import itertools

    names = list(varied.choices)
    for combination in itertools.product(*varied.choices.values()):
        yield dict(zip(names, combination))


def test_a_scenario_whose_questions_have_different_choices_is_refused():
    def q1(size=1):
        return NumberQuestion(id="q1", prompt=f"{size} BTC", expected=lambda: size * 2.0)

    def q2(size=1):
        return NumberQuestion(id="q2", prompt=f"the {size} BTC of q1", expected=lambda: size * 3.0)

    published = {"q1": q1(), "q2": q2()}
    together = {"q1": Varied(q1, {"size": (2, 3)}, scenario="s"), "q2": Varied(q2, {"size": (2, 3)}, scenario="s")}
    dealt = variant_questions(published, together, variant_seed("fin305-spring", "x"))
    assert dealt["q1"].reference() / 2 == dealt["q2"].reference() / 3   # one size for both
    apart = {"q1": Varied(q1, {"size": (2, 3)}, scenario="s"), "q2": Varied(q2, {"size": (2, 4)}, scenario="s")}
    with pytest.raises(MarginInputError, match="the questions of scenario 's' .* must have the same choices"):
        variant_questions(published, apart, variant_seed("fin305-spring", "x"))
