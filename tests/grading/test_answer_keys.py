"""Every registered exercise: its answer key is self-consistent, and its notebooks grade as they should.

For each question of each exercise in ``margincourse.grading.answer_key.EXERCISES``:

* a number question's expected value is finite; each of its mistakes gives a value that
  differs from it (so the feedback can trigger) and ``evaluate`` answers that value with
  that mistake's message; no message gives the expected value away;
* a choice question's answer is one of its options, and each wrong option gets its own
  feedback; the notebooks list its options in the order its letters follow, and across the
  exercises no letter holds half or more of the right answers;
* a function question's reference passes its own cases, and each mistake function is
  recognised as that mistake.

The notebooks are ``exNN_name.ipynb`` (never a lesson's file name) and end with a link back
to their lesson, one on to the next, and a pointer to ``mc.progress()``.

Then the solution notebook of each exercise, graded by ``margincourse.grading.grader.grade_one``,
gets full marks, and the generated exercise notebook gets 0 with status "graded" (slow:
a few seconds per notebook).
"""

import math
from pathlib import Path

import nbformat
import pytest
from shared_checks import renderings

from margincourse.grading import grader as grading
from margincourse.grading.answer_key import EXERCISES
from margincourse.grading.keys import notebook_file, questions_of

ROOT = Path(__file__).resolve().parents[2]
NAMES = tuple(EXERCISES)


def _questions(kind):
    return [pytest.param(name, q, id=f"{name}-{q.id}")
            for name in NAMES for q in questions_of(name).values() if q.kind == kind]


def _mistakes(kind):
    return [pytest.param(q, i, id=f"{name}-{q.id}-mistake{i + 1}")
            for name in NAMES for q in questions_of(name).values() if q.kind == kind
            for i in range(len(q.mistakes))]


def test_every_exercise_has_at_least_four_questions_of_several_kinds():
    for name in NAMES:
        questions = questions_of(name)
        assert len(questions) >= 4, name
        assert len({q.kind for q in questions.values()}) >= 2, name
        assert list(questions) == [f"q{i}" for i in range(1, len(questions) + 1)], name


@pytest.mark.parametrize("name, question", _questions("number"))
def test_number_question_expected_value_is_finite_and_right(name, question):
    expected = question.reference()
    assert math.isfinite(expected)
    assert question.evaluate(expected) == (True, "correct.")
    assert question.evaluate(None)[0] is False


@pytest.mark.parametrize("question, index", _mistakes("number"))
def test_number_mistake_differs_from_the_answer_and_triggers_its_message(question, index):
    mistake = question.mistakes[index]
    expected, wrong = question.reference(), float(mistake.value())
    assert math.isfinite(wrong)
    assert abs(wrong - expected) > max(question.tolerance, question.relative * abs(expected))
    assert question.evaluate(wrong) == (False, f"not yet. {mistake.message}")


@pytest.mark.parametrize("name, question", _questions("number"))
def test_number_feedback_never_gives_the_answer_away(name, question):
    expected = question.reference()
    texts = [m.message for m in question.mistakes] + [question.hint]
    for form in renderings(expected):
        for text in texts:
            assert form not in text, (form, text)


@pytest.mark.parametrize("name, question", _questions("choice"))
def test_choice_answer_is_an_option_and_each_option_has_feedback(name, question):
    assert question.answer in question.options
    assert len(question.options) >= 3
    assert all(feedback.strip() for feedback in question.options.values())
    for letter, option in question.letters().items():
        correct, message = question.evaluate(letter)
        assert correct is (option == question.answer)
        assert message.endswith(question.options[option])


@pytest.mark.parametrize("name, question", _questions("function"))
def test_function_reference_passes_its_own_cases(name, question):
    assert len(question.cases) >= 4
    assert all(math.isfinite(v) for v in question.reference())
    assert question.evaluate(question.reference_function)[0] is True


@pytest.mark.parametrize("question, index", _mistakes("function"))
def test_function_mistake_is_recognised(question, index):
    mistake = question.mistakes[index]
    outputs = [float(mistake.value(*case)) for case in question.cases]
    assert outputs != pytest.approx(question.reference(), abs=question.tolerance)
    assert question.evaluate_outputs(outputs) == (False, f"not yet. {mistake.message}")
    assert question.evaluate(mistake.value) == (False, f"not yet. {mistake.message}")


def test_exercise_files_are_named_apart_from_the_lessons():
    """exercises/ex01_initial_margin.ipynb, not 01_initial_margin.ipynb: two JupyterLab tabs with
    the same title (the lesson's and the exercise's) are easy to mix up."""
    files = sorted(notebook_file(name) for name in NAMES)
    for folder in ("solutions", "exercises"):
        assert sorted(p.name for p in (ROOT / folder).glob("*.ipynb")) == files, folder
    lessons = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert lessons.isdisjoint(files)


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_exist_and_declare_their_exercise(name):
    for folder in ("solutions", "exercises"):
        notebook = nbformat.read(ROOT / folder / notebook_file(name), as_version=4)
        assert notebook.metadata["margincourse"]["exercise"] == name
        checked = [c.metadata["margincourse"]["question"] for c in notebook.cells
                   if "question" in c.metadata.get("margincourse", {})]
        assert checked == list(questions_of(name)), (folder, checked)
        first_code = next(c for c in notebook.cells if c.cell_type == "code")
        assert f'check = mc.exercise("{name}")' in first_code.source
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        for question in questions_of(name).values():  # the notebook shows the answer key's current prompt
            assert question.prompt in markdown, (folder, question.id)
        assert f"../notebooks/{name}.ipynb" in markdown  # a link back to the lesson


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_list_each_choice_question_options_in_letter_order(name):
    """The letters a learner types follow the answer key's order; the notebook must show that order."""
    for folder in ("solutions", "exercises"):
        notebook = nbformat.read(ROOT / folder / notebook_file(name), as_version=4)
        markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        for question in questions_of(name).values():
            if question.kind == "choice":
                listed = "\n".join(f"- **{letter}**: {option}" for letter, option in question.letters().items())
                assert listed in markdown, (folder, question.id)


def test_right_answers_of_choice_questions_are_spread_over_the_letters():
    """No letter holds half or more of the right answers across the exercises: "always b" is no strategy."""
    letters = [next(letter for letter, option in q.letters().items() if option == q.answer)
               for name in NAMES for q in questions_of(name).values() if q.kind == "choice"]
    assert len(letters) >= 4
    assert max(letters.count(letter) for letter in set(letters)) < len(letters) / 2, sorted(letters)


@pytest.mark.parametrize("index, name", list(enumerate(NAMES)))
def test_each_exercise_ends_with_the_way_back_and_onward(index, name):
    for folder in ("solutions", "exercises"):
        last = nbformat.read(ROOT / folder / notebook_file(name), as_version=4).cells[-1]
        assert last.cell_type == "markdown", folder
        assert last.source.startswith("Back to [Lesson "), folder
        assert f"(../notebooks/{name}.ipynb)" in last.source
        onward = NAMES[index + 1] if index + 1 < len(NAMES) else "00_start_here"  # after the last: the map
        assert f"(../notebooks/{onward}.ipynb)" in last.source
        assert "`mc.progress()`" in last.source


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_gets_full_marks_and_exercise_gets_zero(name):
    solution = grading.grade_one(ROOT / "solutions" / notebook_file(name), ROOT / "exercises", cell_timeout=20)
    assert solution.status == "graded", solution.reason
    assert solution.total == solution.maximum > 0, solution.feedback
    assert solution.reason == ""

    exercise = grading.grade_one(ROOT / "exercises" / notebook_file(name), ROOT / "exercises", cell_timeout=20)
    assert exercise.status == "graded", exercise.reason
    assert exercise.total == 0
    assert exercise.maximum == solution.maximum
