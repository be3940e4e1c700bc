"""The grader, on submissions made from the real solution and exercise notebooks."""

import csv
import json
from pathlib import Path

import nbformat
import pytest

from margincourse.grading import authoring
from margincourse.grading import grader as grading
from margincourse.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"
EXERCISE = ROOT / "exercises" / "ex01_initial_margin.ipynb"


def _answer_cell(notebook, name):
    for cell in notebook.cells:
        if cell.cell_type == "code" and (f"{name} =" in cell.source or f"def {name}(" in cell.source):
            return cell
    raise AssertionError(name)


def _write(folder, student, notebook):
    path = folder / f"{student}_ex01_initial_margin.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    solution = nbformat.read(SOLUTION, as_version=4)
    exercise = nbformat.read(EXERCISE, as_version=4)

    _write(folder, "alice", solution)                      # full marks
    _write(folder, "bob", exercise)                        # untouched: zero, no crash

    carol = nbformat.read(EXERCISE, as_version=4)          # partial, with recognisable mistakes
    _answer_cell(carol, "answer_q1").source = "answer_q1 = 1_000 - 0.03 * 64_000 / 20"
    _answer_cell(carol, "answer_q2").source = "answer_q2 = 0.35 * 61_000"
    _answer_cell(carol, "pnl").source = "def pnl(side, size, entry_price, exit_price):\n    return size * (exit_price - entry_price)"
    _write(folder, "carol", carol)

    dave = nbformat.read(SOLUTION, as_version=4)           # an endless loop in one answer
    _answer_cell(dave, "answer_q3").source = "while True:\n    pass"
    _write(folder, "dave", dave)

    eve = nbformat.read(EXERCISE, as_version=4)            # tampering: fake check, patched package, edited points
    eve.cells[1].source += (
        "\nimport margincourse.basics.questions\n"
        "def check(qid, answer):\n    print(f'✔ {qid}: correct.')\n"
        "mc.initial_margin = lambda *a, **k: 42\n"
        "margincourse.basics.questions.NumberQuestion.evaluate = lambda self, answer: (True, 'correct.')\n"
    )
    _answer_cell(eve, "answer_q1").source = "answer_q1 = 42"
    for cell in eve.cells:
        if cell.metadata.get("margincourse", {}).get("question"):
            cell.metadata["margincourse"]["points"] = 100
    _write(folder, "eve", eve)

    mallory = nbformat.read(EXERCISE, as_version=4)        # copies answers out of the solutions
    _answer_cell(mallory, "answer_q1").source = (
        "import json, pathlib\n"
        "sol = json.loads(pathlib.Path(mc.__file__).parent.parent.joinpath('solutions', 'ex01_initial_margin.ipynb').read_text())\n"
        "answer_q1 = 120.0"
    )
    _write(folder, "mallory", mallory)

    (folder / "zed_ex01_initial_margin.ipynb").write_text("{ this is not json")
    (folder / "empty_ex01_initial_margin.ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))

    out = tmp_path_factory.mktemp("out") / "gradebook.csv"
    results = grading.grade([folder], out, exercises_dir=ROOT / "exercises", jobs=2, cell_timeout=5,
                            total_timeout=120, progress=False)
    return {Path(r.submission).name.split("_")[0]: r for r in results}, out


def test_solution_gets_full_marks(graded):
    results, _ = graded
    alice = results["alice"]
    assert alice.status == "graded" and alice.total == alice.maximum == 8


def test_untouched_exercise_gets_zero_without_crashing(graded):
    bob = graded[0]["bob"]
    assert bob.status == "graded" and bob.total == 0
    assert any("not answered yet" in line for line in bob.feedback)


def test_partial_submission_and_its_feedback_names_the_mistakes(graded):
    carol = graded[0]["carol"]
    assert carol.points == {"q1": 1, "q2": 0, "q3": 0, "q4": 0, "q5": 0}
    text = "\n".join(carol.feedback)
    assert "used the entry price" in text
    assert "shorts are not" in text
    assert "904" not in text.replace("q1: 1/1", "")  # never reveals an expected value


def test_endless_loop_costs_only_its_own_answer(graded):
    dave = graded[0]["dave"]
    assert dave.points["q3"] == 0
    assert dave.total == dave.maximum - 2
    assert "hit the 5 s limit" in dave.reason


def test_tampering_earns_nothing(graded):
    eve = graded[0]["eve"]
    assert eve.total == 0
    assert eve.maximum == 8  # points come from the instructor's notebook


def test_reading_the_solutions_is_refused(graded):
    mallory = graded[0]["mallory"]
    assert mallory.total == 0
    assert "solutions" in mallory.reason


def test_broken_and_empty_files_get_rows(graded):
    results, _ = graded
    assert results["zed"].status == "not a notebook"
    assert results["empty"].status == "graded" and results["empty"].total == 0


def test_gradebook_and_feedback_files(graded):
    results, out = graded
    rows = list(csv.DictReader(out.open()))
    assert [r["student"] for r in rows] == sorted(r["student"] for r in rows)
    assert {r["status"] for r in rows} == {"graded", "not a notebook"}
    alice = next(r for r in rows if r["student"].startswith("alice"))
    assert alice["total"] == "8" and alice["max"] == "8" and alice["01_initial_margin:q4"] == "3"
    feedback = out.parent / "gradebook-feedback"
    assert len(list(feedback.glob("*.md"))) == len(rows)
    assert "Checks that ran, in order:" in (feedback / "alice_ex01_initial_margin_01_initial_margin.md").read_text()


def test_originals_are_never_modified(graded, tmp_path):
    before = SOLUTION.read_bytes()
    grading.grade_one(SOLUTION, ROOT / "exercises", cell_timeout=10)
    assert SOLUTION.read_bytes() == before


def test_exercises_are_generated_from_the_solutions():
    assert authoring.generate(ROOT / "solutions", ROOT / "exercises", check_only=True) == []


def test_stub_generation():
    source = "x = 1\n### BEGIN SOLUTION\nanswer_q1 = 2 * 3\ndef f(a, b=2):\n    '''Doc.'''\n    return a\n### END SOLUTION\nprint(x)"
    assert authoring.strip_code(source) == (
        "x = 1\nanswer_q1 = None  # YOUR ANSWER HERE\ndef f(a, b=2):\n    '''Doc.'''\n"
        "    # YOUR ANSWER HERE\n    raise NotImplementedError(\"write this function\")\nprint(x)"
    ).replace("'''Doc.'''", '"""Doc."""')


def test_unbalanced_markers_are_refused():
    with pytest.raises(ValueError, match="BEGIN SOLUTION without END"):
        authoring.strip_code("### BEGIN SOLUTION\nx = 1")


def test_cli_grade_refuses_missing_paths(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope.ipynb"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "submission must be an existing file or folder" in capsys.readouterr().err
