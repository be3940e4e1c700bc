"""margincourse/course/question_bank.py: every question of the course, one row each, as shown."""

import re
from collections import Counter
from pathlib import Path

import pytest

import margincourse as mc
from margincourse.basics.questions import without_verdict
from margincourse.course.question_bank import COLUMNS, lesson_questions
from margincourse.grading import grader
from margincourse.grading.keys import exercise_names, questions_of

ROOT = Path(__file__).resolve().parents[2]
VERDICT_WORD = re.compile(r"^\s*(right|yes|correct|exactly)\b\s*[:.,;!]", re.IGNORECASE)


@pytest.fixture(scope="module")
def lessons():
    return lesson_questions()


@pytest.fixture(scope="module")
def bank():
    return mc.question_bank(ROOT / "exercises")


def crowded(positions) -> bool:
    """Whether one answer position holds half or more of the questions."""
    counts = Counter(positions)
    return max(counts.values()) * 2 >= len(positions)


def test_the_bank_is_on_the_public_face():
    assert "question_bank" in mc.__all__


def test_columns(bank):
    assert tuple(bank.columns) == COLUMNS
    assert {"lesson", "source", "question", "kind", "options", "correct", "points", "mistakes"} <= set(bank.columns)
    assert set(bank["source"]) == {"lesson", "exercise"}
    assert set(bank["kind"]) <= {"choice", "number", "function"}


def test_one_row_per_question(bank, lessons):
    exercise_count = sum(len(questions_of(name)) for name in exercise_names())
    assert len(bank) == sum(len(questions) for questions in lessons.values()) + exercise_count
    assert not bank.duplicated(["source", "lesson", "exercise", "question"]).any()
    lesson_rows = bank[bank["source"] == "lesson"]
    assert sorted(set(lesson_rows["lesson"])) == sorted(lessons) == list(range(9))  # lesson 0's question() too
    for number, questions in lessons.items():
        rows = lesson_rows[lesson_rows["lesson"] == number]
        assert list(rows["prompt"]) == [q.prompt for q in questions]
        assert list(rows["question"]) == [f"q{i}" for i in range(1, len(questions) + 1)]
    for name in exercise_names():
        rows = bank[bank["exercise"] == name]
        assert list(rows["question"]) == list(questions_of(name))
        assert set(rows["lesson"]) == {int(name[:2])}


def test_options_in_the_order_shown_and_the_right_ones_place(bank, lessons):
    shown = {q.prompt: q for questions in lessons.values() for q in questions}
    for row in bank.itertuples():
        if row.kind == "choice":
            question = (shown[row.prompt].question if row.source == "lesson"
                        else questions_of(row.exercise)[row.question])
            assert row.options == question.shown_options()
            assert row.options[row.correct] == question.answer
            assert row.mistakes == [question.options[o] for o in row.options if o != question.answer]
        else:
            question = questions_of(row.exercise)[row.question]
            assert row.options == []
            assert row.correct == question.reference()
            assert row.mistakes == [mistake.message for mistake in question.mistakes]
    assert all(isinstance(c, float) for c in bank.loc[bank["kind"] == "number", "correct"])
    assert all(isinstance(c, list) and c for c in bank.loc[bank["kind"] == "function", "correct"])


def test_points_as_the_grader_reads_them_and_none_for_lesson_questions(bank):
    assert (bank.loc[bank["source"] == "lesson", "points"] == 0).all()
    for name in exercise_names():
        rows = bank[bank["exercise"] == name].set_index("question")
        assert rows["points"].to_dict() == grader.instructor_points(name, ROOT / "exercises")
    assert bank["points"].sum() > (bank["source"] == "exercise").sum()  # some questions are worth more than 1


def test_without_exercise_notebooks_each_exercise_question_is_one_point(tmp_path):
    bank = mc.question_bank(tmp_path / "nowhere")
    assert (bank.loc[bank["source"] == "exercise", "points"] == 1).all()


def test_no_answer_position_holds_half_of_the_lessons_choice_questions(bank):
    lesson_choices = bank[(bank["source"] == "lesson") & (bank["kind"] == "choice")]
    assert len(lesson_choices) >= 30
    assert not crowded(list(lesson_choices["correct"])), Counter(lesson_choices["correct"])


def test_no_answer_position_holds_half_of_all_choice_questions(bank):
    choices = bank[bank["kind"] == "choice"]
    assert not crowded(list(choices["correct"])), Counter(choices["correct"])


def test_the_spread_check_catches_options_shown_as_written(lessons):
    """The lessons write the right answer first more often than not: shown that way, the check fails."""
    written = [list(q.options).index(q.answer) for questions in lessons.values() for q in questions]
    assert crowded(written)


def test_one_verdict_no_explanation_of_a_right_answer_starts_with_its_own(lessons):
    for questions in lessons.values():
        for question in questions:
            explanation = question.options[question.answer]
            assert not VERDICT_WORD.match(explanation), question.prompt
            verdict = question.check(question.answer)
            assert verdict.startswith("Right.") and not VERDICT_WORD.match(verdict[len("Right."):]), verdict
    for name in exercise_names():
        for question in questions_of(name).values():
            if question.kind == "choice":
                assert without_verdict(question.options[question.answer]) == question.options[question.answer]
                assert not VERDICT_WORD.match(question.evaluate(question.answer)[1][len("correct. "):])
