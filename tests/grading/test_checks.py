"""The ``check`` of an exercise notebook (margincourse/grading/checks.py).

``mc.exercise(name)`` gives the notebook its ``check``: one printed line per answer,
the latest verdict recorded in the progress file (``MARGINCOURSE_PROGRESS`` here, a
file in ``tmp_path``), a clear error for a question or exercise that does not exist,
no crash on a strange answer, and in the grader's sandbox a stand-in that only says
the answer was handed on.

Most tests use a small answer key of their own (``checks.class_questions`` patched), so
they pin the behaviour of ``checks.py`` and not the course's questions; one test runs
the real key of exercise 1 end to end.
"""

from __future__ import annotations

import json

import pytest

import margincourse as mc
from margincourse.basics.errors import MarginInputError
from margincourse.basics.questions import ChoiceQuestion, FunctionQuestion, Mistake, NumberQuestion
from margincourse.grading import checks
from margincourse.grading.keys import exercise_names, questions_of

NAME = "01_initial_margin"

KEY = {
    "q1": NumberQuestion(
        id="q1",
        prompt="Initial margin of 0.05 BTC at 60,000 USDT with 25x leverage.",
        expected=lambda: 120.0,
        unit="USDT",
        mistakes=(Mistake("It looks like you forgot to divide by the leverage.", lambda: 3_000.0),),
    ),
    "q2": ChoiceQuestion(
        id="q2",
        prompt="Who loses more?",
        options={"the 50x trader": "No: same size.", "both the same": "Yes: same size, same move."},
        answer="both the same",
    ),
    "q3": FunctionQuestion(
        id="q3",
        prompt="Write double(x).",
        reference_function=lambda x: 2 * x,
        cases=((1,), (2,), (3,)),
    ),
}


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    """Checks record into a fresh file; the sandbox switch is off."""
    path = tmp_path / "progress.json"
    monkeypatch.setenv("MARGINCOURSE_PROGRESS", str(path))
    monkeypatch.delenv(checks.GRADING, raising=False)
    return path


@pytest.fixture
def small_key(monkeypatch, progress_file):
    monkeypatch.setattr(checks, "class_questions", lambda name, seed: dict(KEY))
    return progress_file


def _recorded(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    return {exercise: {q: v["correct"] for q, v in questions.items()} for exercise, questions in data.items()}


# --------------------------------------------------------------------------- one line, one record


def test_exercise_returns_an_exercise_with_its_questions(small_key):
    check = checks.exercise(NAME)
    assert isinstance(check, checks.Exercise)
    assert check.name == NAME and check.record is True
    assert list(check.questions) == ["q1", "q2", "q3"]


def test_public_face_gives_the_same_check(small_key):
    assert mc.exercise is checks.exercise


def test_right_answer_prints_one_line_and_is_recorded(small_key, capsys):
    check = checks.exercise(NAME)
    assert check("q1", 120.0) is None
    assert capsys.readouterr().out == "✔ q1: correct.\n"
    assert _recorded(small_key) == {NAME: {"q1": True}}


def test_wrong_answer_prints_the_mistake_and_is_recorded_as_wrong(small_key, capsys):
    check = checks.exercise(NAME)
    check("q1", 3_000.0)
    assert capsys.readouterr().out == "✘ q1: not yet. It looks like you forgot to divide by the leverage.\n"
    assert _recorded(small_key) == {NAME: {"q1": False}}


def test_latest_verdict_wins_and_other_questions_are_kept(small_key, capsys):
    check = checks.exercise(NAME)
    check("q1", 3_000.0)
    check("q2", "b")
    check("q1", 120.0)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "✘ q1: not yet. It looks like you forgot to divide by the leverage.",
        "✔ q2: correct. Same size, same move.",
        "✔ q1: correct.",
    ]
    assert _recorded(small_key) == {NAME: {"q1": True, "q2": True}}


def test_unanswered_prints_not_answered_yet(small_key, capsys):
    checks.exercise(NAME)("q1", None)
    assert capsys.readouterr().out == "✘ q1: not answered yet: replace None with your answer.\n"
    assert _recorded(small_key) == {NAME: {"q1": False}}


def test_record_false_records_nothing(small_key, capsys):
    check = checks.exercise(NAME, record=False)
    assert check.record is False
    check("q1", 120.0)
    check("q2", "a")
    assert capsys.readouterr().out == "✔ q1: correct.\n✘ q2: not yet. No: same size.\n"
    assert not small_key.exists()


def test_verdict_carries_points_only_when_correct(small_key):
    check = checks.exercise(NAME)
    right = check.verdict("q1", 120.0, points=2)
    wrong = check.verdict("q1", 119.0, points=2)
    assert (right.question, right.correct, right.points, right.max_points) == ("q1", True, 2, 2)
    assert (wrong.question, wrong.correct, wrong.points, wrong.max_points) == ("q1", False, 0, 2)
    assert str(right) == right.message == "q1: correct."


# --------------------------------------------------------------------------- what does not exist


def test_unknown_question_names_question_and_the_allowed_ids(small_key, capsys):
    check = checks.exercise(NAME)
    with pytest.raises(MarginInputError, match=r"^question must be one of q1, q2, q3 in 01_initial_margin, got 'q9'$"):
        check("q9", 1.0)
    assert capsys.readouterr().out == ""
    assert not small_key.exists()  # nothing recorded for a question that is not there


def test_unknown_exercise_names_exercise_and_the_allowed_names(progress_file):
    with pytest.raises(MarginInputError, match=r"^exercise must be one of .*got '99_nope'$") as info:
        checks.exercise("99_nope")
    assert all(name in str(info.value) for name in exercise_names())
    assert isinstance(info.value, ValueError)


# --------------------------------------------------------------------------- strange answers


class FloatThatRaises(float):
    def __float__(self):
        raise RuntimeError("no float for you")


class EqualityThatRaises:
    def __eq__(self, other):
        raise RuntimeError("no equality for you")

    __hash__ = object.__hash__

    def __repr__(self):
        return "<EqualityThatRaises>"


class StrThatRaises(str):
    def __eq__(self, other):
        raise RuntimeError("no equality for you")

    __hash__ = str.__hash__

    def lower(self):
        raise RuntimeError("no lower for you")


def test_answer_raising_in_float_is_reported_not_raised(small_key, capsys):
    checks.exercise(NAME)("q1", FloatThatRaises(120.0))
    assert capsys.readouterr().out == "✘ q1: could not check this answer (RuntimeError: no float for you).\n"
    assert _recorded(small_key) == {NAME: {"q1": False}}


@pytest.mark.parametrize(
    "question, text",
    [
        ("q1", "the answer should be a number in USDT, got <EqualityThatRaises>."),
        ("q2", "the answer should be one of the letters 'a', 'b', got <EqualityThatRaises>."),
        ("q3", "the answer should be a function, got <EqualityThatRaises>."),
    ],
)
def test_answer_raising_in_eq_never_crashes_the_check(small_key, capsys, question, text):
    checks.exercise(NAME)(question, EqualityThatRaises())
    assert capsys.readouterr().out == f"✘ {question}: {text}\n"
    assert _recorded(small_key) == {NAME: {question: False}}


def test_str_answer_raising_in_eq_and_lower_is_read_by_its_text(small_key, capsys):
    checks.exercise(NAME)("q2", StrThatRaises(" B "))
    assert capsys.readouterr().out == "✔ q2: correct. Same size, same move.\n"


def test_function_returning_a_strange_number_never_crashes_the_check(small_key, capsys):
    checks.exercise(NAME)("q3", lambda x: FloatThatRaises(2 * x))
    assert capsys.readouterr().out == "✘ q3: could not check this answer (RuntimeError: no float for you).\n"


def test_function_raising_is_reported_with_its_error(small_key, capsys):
    def double(x):
        raise ZeroDivisionError("division by zero")

    checks.exercise(NAME)("q3", double)
    assert capsys.readouterr().out == "✘ q3: not yet. Your function raised ZeroDivisionError: division by zero\n"


# --------------------------------------------------------------------------- in the grader's sandbox


def test_grading_gives_the_stand_in_that_only_hands_on(progress_file, monkeypatch, capsys):
    monkeypatch.setenv(checks.GRADING, "1")
    # in the sandbox the answer key is hidden: the stand-in must not look for it
    monkeypatch.setattr(checks, "class_questions", lambda name, seed: pytest.fail("the key was read while grading"))
    check = checks.exercise("any name at all")
    assert isinstance(check, checks.RecordedForGrading) and not isinstance(check, checks.Exercise)
    assert check("q1", 120.0) is None
    assert check("q42", object()) is None
    assert capsys.readouterr().out == "q1: handed to the grader.\nq42: handed to the grader.\n"
    assert not progress_file.exists()


@pytest.mark.parametrize("value", ["0", "", "true", "yes"])
def test_grading_switch_is_exactly_1(small_key, monkeypatch, value):
    monkeypatch.setenv(checks.GRADING, value)
    assert isinstance(checks.exercise(NAME), checks.Exercise)


# --------------------------------------------------------------------------- the real key, end to end


def test_real_exercise_one_end_to_end(progress_file, capsys):
    check = mc.exercise(NAME)
    q1 = questions_of(NAME)["q1"]
    check("q1", q1.reference())
    check("q1", None)
    assert capsys.readouterr().out == "✔ q1: correct.\n✘ q1: not answered yet: replace None with your answer.\n"
    assert _recorded(progress_file) == {NAME: {"q1": False}}


# ---------------------------------------------------------------- a check cell run before its answer cell

FRIENDLY = "answer_q1 is not defined yet: write your answer in the cell above (replace None) and run that cell first."


@pytest.fixture
def shell(progress_file):
    """A real IPython shell, as a notebook's kernel has (removed again afterwards)."""
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance(colors="nocolor")
    yield shell
    InteractiveShell.clear_instance()


def _run(shell, capsys, source):
    result = shell.run_cell(source, store_history=True)
    return result, capsys.readouterr().out


def test_a_check_before_its_answer_says_which_cell_to_run_first(shell, capsys):
    _run(shell, capsys, f"import margincourse as mc\ncheck = mc.exercise({NAME!r})")
    result, out = _run(shell, capsys, 'check("q1", answer_q1)')
    assert out.strip() == FRIENDLY
    assert "Traceback" not in out and "NameError" not in out
    assert isinstance(result.error_in_exec, NameError)  # still a failed cell: "Run All" stops here
    assert not result.success
    result, out = _run(shell, capsys, "answer_q1 = None\ncheck('q1', answer_q1)")
    assert result.success and out.startswith("✘ q1: not answered yet")


def test_any_other_name_error_keeps_its_traceback(shell, capsys):
    _run(shell, capsys, f"import margincourse as mc\ncheck = mc.exercise({NAME!r})")
    result, out = _run(shell, capsys, "margin_of(answer)")
    assert "NameError" in out and "margin_of" in out and "answer_q" not in out
    assert "Traceback" in out or "Cell In[" in out
    assert not result.success
    result, out = _run(shell, capsys, "def f():\n    return answer_q1_helper\nf()")
    assert "is not defined yet" in out  # answer_q... names only


def test_the_handler_is_installed_once_and_never_over_someone_elses(shell, capsys):
    assert checks.explain_missing_answers(shell) is True
    assert checks.explain_missing_answers(shell) is True
    assert shell.custom_exceptions == (NameError,)
    shell.set_custom_exc((), None)
    shell._margincourse_explains = False
    shell.set_custom_exc((ValueError,), lambda *args, **kwargs: None)
    assert checks.explain_missing_answers(shell) is False
    assert shell.custom_exceptions == (ValueError,)


def test_outside_ipython_and_in_the_grader_no_handler_is_installed(progress_file, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    assert checks.explain_missing_answers() is False
    shell = InteractiveShell.instance()
    try:
        monkeypatch.setenv(checks.GRADING, "1")
        checks.exercise(NAME)
        assert shell.custom_exceptions == ()
        monkeypatch.delenv(checks.GRADING)
        checks.exercise(NAME)
        assert shell.custom_exceptions == (NameError,)
    finally:
        InteractiveShell.clear_instance()


@pytest.mark.parametrize("error, name", [
    (NameError("name 'answer_q12' is not defined", name="answer_q12"), "answer_q12"),
    (NameError("name 'answer_q2' is not defined"), "answer_q2"),  # no .name: read from the message
    (NameError("name 'answer' is not defined", name="answer"), None),
    (NameError("name 'my_answer_q1' is not defined", name="my_answer_q1"), None),
    (ValueError("answer_q1"), None),
])
def test_missing_answer(error, name):
    assert checks.missing_answer(error) == name
