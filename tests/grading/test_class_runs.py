"""Grading a whole class (issue 13): the gradebook database, resuming, the lock, the preflight, --exercises,
files that respect the umask, the progress file under concurrent checks, and a cell that swallows interrupts."""

import csv
import multiprocessing
import os
import shutil
import sqlite3
import time
from pathlib import Path

import nbformat
import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.basics.files import write_atomically
from margincourse.cli import main
from margincourse.grading import gradebook, grader, progress

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"
EXERCISE = ROOT / "exercises" / "ex01_initial_margin.ipynb"
NAME = "01_initial_margin"


def _class(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"s{i}_ex01_initial_margin.ipynb"
        shutil.copyfile((SOLUTION, EXERCISE)[i % 2], path)
        paths.append(path)
    return paths


def _grade(folder, out, **options):
    options = {"progress": False, "sandbox": "off", **options}
    return grader.grade([folder], out, exercises_dir=ROOT / "exercises", jobs=2, cell_timeout=20,
                        total_timeout=120, **options)


def _graded_at(db):
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT submission_path, graded_at FROM submissions"))


def test_resume_grades_only_what_changed_and_regrade_grades_all(tmp_path, capsys):
    paths = _class(tmp_path / "in", 4)
    out = tmp_path / "out" / "gradebook.csv"
    first = {Path(r.submission).name: r for r in _grade(tmp_path / "in", out)}
    db = out.with_suffix(".sqlite")
    assert db.is_file() and not any(r.skipped for r in first.values())
    before = _graded_at(db)
    pages = sorted((out.parent / "gradebook-feedback").iterdir())
    for page in pages:
        os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    time.sleep(1.1)  # graded_at is kept to the second: a regrade shows as a later time

    changed = nbformat.read(paths[1], as_version=4)  # s1 hands in the solution after all
    changed.cells = nbformat.read(SOLUTION, as_version=4).cells
    nbformat.write(changed, paths[1])
    start = time.perf_counter()
    second = {Path(r.submission).name: r for r in _grade(tmp_path / "in", out, progress=True)}
    rerun = time.perf_counter() - start
    assert [n for n, r in sorted(second.items()) if not r.skipped] == ["s1_ex01_initial_margin.ipynb"]
    assert second["s1_ex01_initial_margin.ipynb"].total == 8
    after = _graded_at(db)
    assert {p for p in after if after[p] != before[p]} == {str(paths[1])}  # the others were not graded again
    assert rerun < 0.75 * sum(r.seconds for r in first.values())  # one kernel, not four
    assert "(3 unchanged, skipped)" in capsys.readouterr().err
    rewritten = {page.name for page in pages if page.stat().st_mtime_ns != 1_000_000_000}
    assert rewritten == {"s1_ex01_initial_margin_01_initial_margin.md", "s1_ex01_initial_margin_01_initial_margin.html"}
    rows = {r["submission"]: r for r in csv.DictReader(out.open())}
    assert rows[str(paths[1])]["total"] == "8" and rows[str(paths[0])]["total"] == "8"

    third = _grade(tmp_path / "in", out, regrade=True)
    assert not any(r.skipped for r in third)


def test_each_submission_is_in_the_database_before_the_batch_ends(tmp_path, monkeypatch):
    _class(tmp_path / "in", 2)
    out = tmp_path / "gradebook.csv"
    seen = []
    record = gradebook.record

    def recording(connection, row, answers=()):
        record(connection, row, answers)
        with sqlite3.connect(out.with_suffix(".sqlite")) as reader:  # another connection sees it committed
            seen.append(reader.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])

    monkeypatch.setattr(gradebook, "record", recording)
    _grade(tmp_path / "in", out)
    assert seen == [1, 2]
    long = gradebook.long_table(out.with_suffix(".sqlite"))
    assert set(long["question"]) == {"q1", "q2", "q3", "q4", "q5"} and len(long) == 10


def test_the_named_mistake_and_the_answer_are_recorded(tmp_path):
    notebook = nbformat.read(EXERCISE, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("answer_q1 ="):
            cell.source = "answer_q1 = 1_000 - 0.03 * 64_000 / 20"
        if cell.cell_type == "code" and cell.source.startswith("answer_q2 ="):
            cell.source = "answer_q2 = 0.35 * 61_000"
    (tmp_path / "in").mkdir()
    nbformat.write(notebook, tmp_path / "in" / "carol_ex01_initial_margin.ipynb")
    out = tmp_path / "gradebook.csv"
    _grade(tmp_path / "in", out)
    long = gradebook.long_table(out.with_suffix(".sqlite")).set_index("question")
    assert long.loc["q1", "correct"] == 1 and long.loc["q1", "answer"] == "904.0" and long.loc["q1", "mistake"] == ""
    assert long.loc["q2", "correct"] == 0 and long.loc["q2", "answer"] == "21350.0"
    assert long.loc["q2", "mistake"] and long.loc["q2", "mistake"] in long.loc["q2", "verdict"]
    assert long.loc["q3", "answer"] == "None" and long.loc["q3", "mistake"] == ""  # not answered: no mistake named


def test_a_second_grader_on_the_same_out_is_refused(tmp_path, capsys):
    _class(tmp_path / "in", 1)
    out = tmp_path / "gradebook.csv"
    with gradebook.lock(out):
        code = main(["grade", str(tmp_path / "in"), "--out", str(out), "--sandbox", "off",
                     "--exercises", str(ROOT / "exercises")])
    assert code == 2
    assert "out must not be in use by another grader" in capsys.readouterr().err
    assert not out.exists()


def test_an_unwritable_out_is_an_error_before_grading(tmp_path, capsys):
    _class(tmp_path / "in", 1)
    (tmp_path / "a_file").write_text("")
    code = main(["grade", str(tmp_path / "in"), "--out", str(tmp_path / "a_file" / "g.csv"), "--sandbox", "off",
                 "--exercises", str(ROOT / "exercises")])
    assert code == 2 and "out must be in a folder you can write to" in capsys.readouterr().err


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_wrong_exercises_folder_is_refused_naming_the_option(tmp_path, capsys, make):
    _class(tmp_path / "in", 1)
    folder = tmp_path / "exercises"
    if make == "empty":
        folder.mkdir()
        (folder / "notes.txt").write_text("no notebooks here")
    code = main(["grade", str(tmp_path / "in"), "--out", str(tmp_path / "g.csv"), "--exercises", str(folder)])
    assert code == 2
    assert "--exercises" in capsys.readouterr().err
    with pytest.raises(MarginInputError, match="exercises"):
        grader.check_exercises_dir(folder)


def test_questions_that_do_not_match_the_exercise_set_get_a_warning():
    notebook = nbformat.read(SOLUTION, as_version=4)
    questions = grader.questions_of(NAME)
    assert grader.question_mismatch(notebook, questions) == ""
    notebook.cells.append(nbformat.v4.new_code_cell('check("q9", 1.0)'))
    assert "q9 is not in it" in grader.question_mismatch(notebook, questions)
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('x = 1')])
    assert "no check cell names one of its questions" in grader.question_mismatch(other, questions)


def test_output_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644
        (tmp_path / "kept.txt").write_text("x")
        (tmp_path / "kept.txt").chmod(0o640)
        write_atomically(tmp_path / "kept.txt", "y")  # an existing file keeps its permissions
        assert (tmp_path / "kept.txt").stat().st_mode & 0o777 == 0o640
        os.umask(0o077)
        write_atomically(tmp_path / "private.txt", "x")
        assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_the_gradebook_and_feedback_are_readable_by_the_group(tmp_path):
    _class(tmp_path / "in", 1)
    old = os.umask(0o022)
    try:
        _grade(tmp_path / "in", tmp_path / "out" / "gradebook.csv")
    finally:
        os.umask(old)
    for path in [tmp_path / "out" / "gradebook.csv", *(tmp_path / "out" / "gradebook-feedback").iterdir()]:
        assert path.stat().st_mode & 0o044 == 0o044, path


def _record_many(path, exercise, count):
    for i in range(count):
        progress.record(exercise, f"q{i}", True, path=path)


def test_two_checks_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    workers = [multiprocessing.get_context("fork").Process(target=_record_many, args=(path, name, 40))
               for name in ("a", "b", "c")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    data = progress.load(path)
    assert {name: len(data.get(name, {})) for name in "abc"} == {"a": 40, "b": 40, "c": 40}


SWALLOWER = "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except:\n        pass"


@pytest.mark.parametrize("sandbox", [False, True])
def test_a_cell_that_swallows_interrupts_costs_only_that_cell(tmp_path, sandbox):
    if sandbox and grader.sandboxing.sandbox_problem():
        pytest.skip(grader.sandboxing.sandbox_problem())
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["margincourse"] = {"exercise": NAME}
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in (
        "base = 60.0", 'check("q1", base * 2)', SWALLOWER, "answer_q2 = base + 1", 'check("q2", answer_q2)')]
    path = tmp_path / f"x_{NAME}.ipynb"
    nbformat.write(notebook, path)
    start = time.perf_counter()
    run = grader.run_in_kernel(path, grader.questions_of(NAME), grader.Limits(cell_timeout=3, total_timeout=100),
                               sandbox=sandbox)
    took = time.perf_counter() - start
    assert run.status == "graded" and run.restarts == 1
    assert "restarted 1 time" in run.reason
    assert run.answers["q1"].value == 120.0
    assert run.answers["q2"].value == 61.0  # "base" was set again after the restart
    assert took < 60  # not the whole submission's time
