"""The gradebook database (margincourse/grading/gradebook.py): records, readers, overrides, lock, preflight."""

import os
import sqlite3
import subprocess
import sys
from collections import namedtuple

import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.grading import gradebook


def _answers(points):
    return [{"question": q, "points": p, "max_points": m, "correct": int(p == m),
             "mistake": "" if p == m else "used the entry price", "answer": "1.0", "hint": "", "verdict": "..."}
            for q, (p, m) in points.items()]


@pytest.fixture
def book(tmp_path):
    db = gradebook.database_path(tmp_path / "gradebook.csv")
    connection = gradebook.connect(db)
    gradebook.record(connection, {"student": "alice", "exercise": "01_initial_margin", "submission_path": "a.ipynb",
                                  "status": "graded", "total": 3.0, "max": 4.0, "penalty": 0.25, "late_days": 1,
                                  "final": 2.25}, _answers({"q1": (1, 1), "q2": (0, 1), "q3": (2, 2)}))
    gradebook.record_roster(connection, [{"student": "alice", "name": "Alice A.", "section": "B"},
                                         {"student": "bob", "name": "Bob", "section": "A"}])
    gradebook.record_missing(connection, ["alice", "bob"], ["01_initial_margin"], {"01_initial_margin": 4.0})
    yield db, connection
    connection.close()


def test_the_database_sits_beside_the_csv_in_wal_mode(book, tmp_path):
    db, connection = book
    assert db == tmp_path / "gradebook.sqlite"
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_totals_one_row_per_student_and_exercise_with_roster_and_missing(book):
    db, _ = book
    frame = gradebook.totals(db).set_index("student")
    assert list(frame.index) == ["alice", "bob"]
    assert frame.loc["alice", "name"] == "Alice A." and frame.loc["alice", "total"] == 3.0
    assert frame.loc["alice", "final"] == pytest.approx(2.25)
    assert frame.loc["bob", "status"] == "missing" and frame.loc["bob", "total"] == 0 and frame.loc["bob", "max"] == 4


def test_long_table_and_overrides_are_applied_and_kept(book):
    db, connection = book
    row = {"student": "alice", "exercise": "01_initial_margin", "question": "q2", "points": 1.0, "comment": "ok"}
    assert gradebook.record_overrides(connection, [row], who="ta") == 1
    assert gradebook.record_overrides(connection, [row], who="ta") == 0  # the same override is not added twice
    long = gradebook.long_table(db).set_index("question")
    assert long.loc["q2", "points"] == 1 and long.loc["q2", "grader_points"] == 0
    assert long.loc["q2", "overridden"] and long.loc["q2", "who"] == "ta" and not long.loc["q1", "overridden"]
    assert long.loc["q2", "mistake"] == "used the entry price" and long.loc["q2", "status"] == "graded"
    assert gradebook.totals(db).set_index("student").loc["alice", "total"] == 4.0
    assert gradebook.totals(db).set_index("student").loc["alice", "final"] == pytest.approx(3.0)


def test_a_new_grade_replaces_the_old_and_a_missing_row(book):
    db, connection = book
    gradebook.record(connection, {"student": "bob", "exercise": "01_initial_margin", "submission_path": "b.ipynb",
                                  "status": "graded", "total": 4.0, "max": 4.0}, _answers({"q1": (1, 1)}))
    frame = gradebook.totals(db).set_index("student")
    assert frame.loc["bob", "status"] == "graded" and len(frame) == 2
    assert gradebook.previous(connection, "b.ipynb")["total"] == 4.0


def test_a_second_grader_is_refused(tmp_path):
    out = tmp_path / "gradebook.csv"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from margincourse.grading import gradebook\n"
        f"with gradebook.lock({str(out)!r}):\n    print('locked', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(gradebook.GradebookLocked, match=f"out must not be in use.*pid {holder.pid}"):
            with gradebook.lock(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with gradebook.lock(out):  # the lock went with the killed process
        pass


def test_preflight_finds_an_unwritable_folder_and_a_full_disk(tmp_path, monkeypatch):
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(MarginInputError, match="out must be in a folder you can write to"):
        gradebook.preflight(tmp_path / "a_file" / "gradebook.csv", 10)
    if os.geteuid() != 0:  # root writes in a read-only folder all the same
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        with pytest.raises(MarginInputError, match="out must be in a folder you can write to"):
            gradebook.preflight(folder / "gradebook.csv", 10)
        folder.chmod(0o700)
    gradebook.preflight(tmp_path / "gradebook.csv", 10)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(gradebook.shutil, "disk_usage", lambda path: usage(10 ** 9, 10 ** 9, 5 * 2 ** 20))
    with pytest.raises(MarginInputError, match="out needs at least 110 MiB free"):
        gradebook.preflight(tmp_path / "gradebook.csv", 10)


def test_a_record_is_one_transaction(book):
    db, connection = book
    with pytest.raises(sqlite3.Error):
        gradebook.record(connection, {"student": "carol", "exercise": "01_initial_margin", "submission_path": "c",
                                      "status": "graded"}, _answers({"q1": (1, 1)}) * 2)  # q1 twice: refused
    assert "carol" not in set(gradebook.totals(db)["student"])


def test_a_file_graded_again_under_another_name_keeps_one_row(book):
    db, connection = book
    row = {"exercise": "01_initial_margin", "submission_path": "flat/dan_ex01.ipynb", "status": "graded", "total": 1.0}
    gradebook.record(connection, {**row, "student": "dan_ex01"}, _answers({"q1": (1, 1)}))
    gradebook.record(connection, {**row, "student": "dan"}, _answers({"q1": (1, 1)}))  # now with --pattern
    assert "dan_ex01" not in set(gradebook.totals(db)["student"]) and "dan" in set(gradebook.totals(db)["student"])
    assert "dan_ex01" not in set(gradebook.long_table(db)["student"])
