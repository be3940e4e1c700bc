"""The grader's steps one at a time (margincourse/grading/grader.py): load, screen, run, probe, score, feedback.

tests/grading/test_grader.py grades whole submissions; here each step is called on its own,
most of them without a kernel.
"""

import contextlib
import io
import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pytest

from margincourse.grading import grader
from margincourse.grading.grader import Answer, NotGradable, Result
from margincourse.grading.keys import questions_of
from margincourse.grading.progress import PROGRESS
from margincourse.grading.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"
NAME = "01_initial_margin"
QUESTIONS = questions_of(NAME)
MAX_POINTS = {"q1": 1.0, "q2": 1.0, "q3": 2.0, "q4": 3.0, "q5": 1.0}


def _notebook(*sources, exercise=NAME):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["margincourse"] = {"exercise": exercise}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return notebook


# --------------------------------------------------------------------------- 1. load

def test_load_gives_the_notebook_and_its_exercise():
    notebook, exercise = grader.load(SOLUTION)
    assert exercise == NAME and notebook.cells


@pytest.mark.parametrize("text, status, reason", [
    ("{ this is not json", "not a notebook", "NotJSONError"),
    (json.dumps({"cells": "not a list"}), "not a notebook", ""),
    (json.dumps(nbformat.v4.new_notebook()), "error", "could not tell which from mystery.ipynb"),
])
def test_load_refuses_what_cannot_be_graded(tmp_path, text, status, reason):
    path = tmp_path / "mystery.ipynb"
    path.write_text(text)
    with pytest.raises(NotGradable) as refusal:
        grader.load(path)
    assert refusal.value.status == status and reason in refusal.value.reason


# --------------------------------------------------------------------------- 2. screen

@pytest.mark.parametrize("source, reason", [
    ("import margincourse.grading.answer_key", "cell 2 imports 'margincourse.grading.answer_key'"),
    ("from margincourse.grading.answer_key import lesson1", "cell 2 imports from 'margincourse.grading.answer_key'"),
    ("q = mc.grading.keys.questions_of('01_initial_margin')", "cell 2 uses 'questions_of'"),
    ("from margincourse.grading.variants import class_questions",
     "cell 2 imports from 'margincourse.grading.variants'"),
    ("from margincourse.grading import keys", "cell 2 imports from 'margincourse.grading'"),
    ("q = class_questions('01_initial_margin', '3f3c623e3c1d7a59')", "cell 2 uses 'class_questions'"),
    ("answer_q1 = check.questions['q1'].reference()", "cell 2 uses 'reference'"),
    ("import margincourse.grading", "cell 2 imports 'margincourse.grading'"),
    ("text = open('../solutions/ex01_initial_margin.ipynb').read()", "cell 2 names the solutions or the answer key"),
    ("print('<<MCGRADE>>120.0')", "cell 2 names the solutions or the answer key"),
])
def test_screen_flags_code_that_reaches_for_the_answers(source, reason):
    assert reason in grader.screen(_notebook("answer_q1 = 120.0", source))


@pytest.mark.parametrize("source", [
    "variants = [0.01, 0.02]\nanswer_q1 = max(variants)",   # a learner's own names, not the package's
    "grading = 'A'\nkeys = ['a', 'b']\nquestions = 3",
    "reference = 120.0\nanswer_q1 = reference",
])
def test_screen_leaves_a_learners_own_variables_alone(source):
    assert grader.screen(_notebook("answer_q1 = 120.0", source)) == []


def test_screen_passes_honest_code_and_ignores_markdown_and_broken_cells():
    notebook = nbformat.read(SOLUTION, as_version=4)
    assert grader.screen(notebook) == []
    notebook.cells.append(nbformat.v4.new_markdown_cell("import margincourse.grading.answer_key"))
    notebook.cells.append(nbformat.v4.new_code_cell("this is not python ("))
    assert grader.screen(notebook) == []


# --------------------------------------------------------------------------- 4. probe (without a kernel)

def _stdout_cell(text):
    return {"outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}


def test_read_probe_finds_the_value_after_the_marker():
    assert grader.read_probe(_stdout_cell(f"noise\n{grader.MARKER}120.5\n")) == Answer(True, 120.5)
    assert grader.read_probe(_stdout_cell(f"{grader.MARKER}null\n")) == Answer(True, None)


@pytest.mark.parametrize("cell", [
    {"outputs": []},
    _stdout_cell("120.5\n"),  # no marker
    _stdout_cell(f"{grader.MARKER}not json\n"),
    {"outputs": [{"output_type": "stream", "name": "stderr", "text": f"{grader.MARKER}120.5\n"}]},
])
def test_read_probe_finds_nothing_where_there_is_no_readable_value(cell):
    assert grader.read_probe(cell) == Answer(False)


def _probe_here(question, expression, namespace):
    """Run the probe code in this process (as the kernel would) and read it back as the grader does."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(grader.probe_code(question, expression), dict(namespace))  # noqa: S102 - our own probe code
    return grader.read_probe(_stdout_cell(printed.getvalue()))


def test_probe_code_hands_over_plain_values_never_objects():
    assert _probe_here(QUESTIONS["q1"], "answer_q1", {"answer_q1": np.float64(120.0)}) == Answer(True, 120.0)
    assert _probe_here(QUESTIONS["q1"], "answer_q1", {"answer_q1": ...}) == Answer(True, None)
    assert _probe_here(QUESTIONS["q1"], "answer_q1", {"answer_q1": [1, 2]}) == Answer(True, {"repr": "[1, 2]"})


def test_probe_code_calls_a_function_answer_on_the_test_cases():
    def pnl(side, size, entry_price, exit_price):
        if side == "short":
            raise ValueError("no shorts")
        return size * (exit_price - entry_price)

    answer = _probe_here(QUESTIONS["q4"], "pnl", {"pnl": pnl})
    assert answer.found and answer.value[:2] == [20.0, -1500.0]
    assert answer.value[2] == "ValueError: no shorts"


# --------------------------------------------------------------------------- 5. score

def test_score_from_probed_values():
    answers = {
        "q1": Answer(True, QUESTIONS["q1"].reference()),               # right
        "q2": Answer(True, 0.35 * 61_000),                             # a known mistake
        "q3": Answer(False),                                           # its cell failed
        "q4": Answer(True, QUESTIONS["q4"].reference(), by_name=True),  # read from its name
    }                                                                  # q5: no answer at all
    points, verdicts = grader.score(QUESTIONS, MAX_POINTS, answers)
    assert points == {"q1": 1.0, "q2": 0.0, "q3": 0.0, "q4": 3.0, "q5": 0.0}
    assert verdicts["q1"] == "correct."
    assert "used the entry price" in verdicts["q2"]
    assert verdicts["q3"] == "no answer could be read (the cell failed or timed out)."
    assert verdicts["q4"].endswith("(read from answer_q4; its check cell was missing)")
    assert verdicts["q5"] == "not answered (no check cell found)."
    assert "22487" not in " ".join(verdicts.values())  # never the expected value


def test_score_judges_what_no_question_expects_without_stopping():
    answers = {"q1": Answer(True, {"repr": "[1, 2]"}), "q2": Answer(True, 10 ** 400), "q4": Answer(True, None),
               "q5": Answer(True, {"callable": True})}
    points, verdicts = grader.score(QUESTIONS, MAX_POINTS, answers)
    assert sum(points.values()) == 0
    assert verdicts["q1"] == "the answer should be a number, got [1, 2]."
    assert verdicts["q2"].startswith("could not check this answer (OverflowError")
    assert verdicts["q4"] == "not answered yet: write the function."
    assert verdicts["q5"] == "the answer should be a choice, got a function."


# --------------------------------------------------------------------------- 6. feedback

def test_feedback_lines_and_the_feedback_file():
    points, verdicts = grader.score(QUESTIONS, MAX_POINTS, {"q1": Answer(True, QUESTIONS["q1"].reference())})
    lines = grader.feedback_lines(QUESTIONS, points, MAX_POINTS, verdicts)
    assert lines[0] == "q1: 1/1 points. correct."
    assert lines[3] == "q4: 0/3 points. not answered (no check cell found)."
    result = Result("subs/ann_01.ipynb", "ann_01", NAME, reason="1 cell(s) hit the 5 s limit and were interrupted",
                    points=points, max_points=MAX_POINTS, feedback=lines)
    assert grader.feedback_text(result) == "\n".join([
        "# Feedback for ann_01", "", f"Exercise: {NAME}", "Status: graded", "Score: 1 / 8", "",
        "Note: 1 cell(s) hit the 5 s limit and were interrupted", "", "Checks that ran, in order:", "",
        *[f"- {line}" for line in lines],
    ]) + "\n"


def test_write_feedback_gives_each_submission_a_file_of_its_own(tmp_path):
    results = [Result("a/ann.ipynb", "ann", NAME), Result("b/ann.ipynb", "ann", NAME), Result("zed.ipynb", "zed")]
    written = grader.write_feedback(results, tmp_path / "feedback")
    assert [p.name for p in written] == [f"ann_{NAME}.md", f"ann_{NAME}-2.md", "zed_unknown.md"]
    assert written[2].read_text().startswith("# Feedback for zed\n\nExercise: unknown\n")
    assert not [p for p in (tmp_path / "feedback").iterdir() if p.suffix == ".tmp"]


# --------------------------------------------------------------------------- 3. run (in a kernel)

RECORDER = (
    "import os, pathlib, margincourse as mc\n"
    "check = mc.exercise('01_initial_margin')\n"
    "answer_q1 = 120.0\n"
    "check('q1', answer_q1)\n"
    "recorded = pathlib.Path(os.environ['MARGINCOURSE_PROGRESS'])\n"
    "answer_q2 = f'{recorded}|{recorded.exists()}'"
)


@pytest.mark.parametrize("sandbox", [False, True])
@pytest.mark.parametrize("outside", [None, "elsewhere/progress.json"])
def test_run_passes_the_progress_file_to_the_kernel_and_leaves_the_graders_environment_alone(
        tmp_path, monkeypatch, sandbox, outside):
    if sandbox and sandbox_problem():
        pytest.skip(f"no sandbox on this machine: {sandbox_problem()}")
    if outside is None:
        monkeypatch.delenv(PROGRESS, raising=False)
    else:
        monkeypatch.setenv(PROGRESS, str(tmp_path / outside))
    before = dict(os.environ)
    during = []
    run_cells = grader.running._run_cells

    def watching(*args):  # what the grader's own environment holds while the kernel runs
        during.append(dict(os.environ))
        return run_cells(*args)

    monkeypatch.setattr(grader.running, "_run_cells", watching)
    path = tmp_path / f"ann_{NAME}.ipynb"
    nbformat.write(_notebook(RECORDER), path)
    run = grader.run_in_kernel(path, QUESTIONS, grader.Limits(cell_timeout=60), sandbox=sandbox)
    assert during == [before] and dict(os.environ) == before
    assert run.status == "graded" and run.answers["q1"] == Answer(True, 120.0)
    recorded, exists = run.answers["q2"].value.split("|")
    assert Path(recorded).name == "progress.json" and Path(recorded).parent.name.startswith("mcgrade-")
    assert not Path(recorded).parent.exists()  # the run's folder is gone
    assert exists == str(not sandbox)  # in the sandbox check() only hands answers on, it records nothing
    assert run.answers["q2"].by_name and "q3" not in run.answers  # q3 has no value under its name
    assert not (tmp_path / "elsewhere").exists()


def test_run_stops_when_the_submissions_time_is_up(tmp_path):
    path = tmp_path / f"ann_{NAME}.ipynb"
    nbformat.write(_notebook("answer_q1 = 120.0", "answer_q2 = 1.0"), path)
    run = grader.run_in_kernel(path, QUESTIONS, grader.Limits(total_timeout=0), start=0.0)
    assert run.status == "timed out" and run.reason == "stopped after 0 s; cells after cell 0 were not run"
    assert run.answers == {}  # and no answer read by name once the time is up
