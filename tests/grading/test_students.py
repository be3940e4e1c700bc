"""Who is who (margincourse/grading/students.py, issue 13): layouts, --pattern, timestamps, the roster,
duplicates, due dates and late penalties, overrides; then all of them in one graded class."""

import csv
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.cli import main
from margincourse.grading import gradebook, students

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"
EXERCISE = ROOT / "exercises" / "ex01_initial_margin.ipynb"
NB = "ex01_initial_margin.ipynb"


def _put(path: Path, source=SOLUTION, mtime=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_students_from_each_layout(tmp_path):
    _put(tmp_path / "course" / "submitted" / "alice" / "ps1" / NB)
    _put(tmp_path / "by_student" / "bob" / NB)
    _put(tmp_path / "flat" / f"carol_{NB}")
    assert [s.student for s in students.find([tmp_path / "course"])] == ["alice"]
    assert [s.student for s in students.find([tmp_path / "course" / "submitted"])] == ["alice"]
    assert [s.student for s in students.find([tmp_path / "by_student"])] == ["bob"]
    assert [s.student for s in students.find([tmp_path / "flat"], "{student}_{notebook}.ipynb")] == ["carol"]
    assert [s.student for s in students.find([tmp_path / "flat"])] == [f"carol_{NB[:-6]}"]
    with pytest.raises(MarginInputError, match="pattern must match"):
        students.find([tmp_path / "flat"], "{student}-{notebook}.ipynb")
    with pytest.raises(MarginInputError, match="pattern must contain"):
        students.find([tmp_path / "flat"], "{notebook}.ipynb")


def test_the_submission_time_is_nbgraders_timestamp_else_the_file_time(tmp_path):
    stamped = _put(tmp_path / "submitted" / "alice" / "ps1" / NB)
    (stamped.parent / "timestamp.txt").write_text("2026-12-02 09:30:00.123456 UTC")
    plain = _put(tmp_path / "submitted" / "bob" / "ps1" / NB, mtime=1_796_000_000)
    assert students.submitted_at(stamped, tmp_path) == datetime(2026, 12, 2, 9, 30, 0, 123456, tzinfo=timezone.utc)
    assert students.submitted_at(plain, tmp_path) == datetime.fromtimestamp(1_796_000_000, tz=timezone.utc)


def test_lateness_counts_started_days():
    due = students.parse_time("2026-12-01T17:00:00Z")
    assert students.lateness(due, due, 0.1) == (0, 0.0)
    assert students.lateness(students.parse_time("2026-12-01T17:00:01Z"), due, 0.1) == (1, 0.1)
    assert students.lateness(students.parse_time("2026-12-01T18:00:00+02:00"), due, 0.1) == (0, 0.0)  # 16:00 UTC
    assert students.lateness(students.parse_time("2026-12-01T18:00:00"), None, 0.1) == (0, 0.0)
    with pytest.raises(MarginInputError, match="due must be an ISO 8601"):
        students.parse_time("next tuesday")


def test_roster_and_overrides_files_are_checked(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("ID,Name,Email,Section\nalice,Alice A.,a@x.org,B\n,nobody,,\n")
    assert students.read_roster(roster) == [{"student": "alice", "name": "Alice A.", "email": "a@x.org",
                                             "section": "B"}]
    (tmp_path / "bad.csv").write_text("name,email\nx,y\n")
    with pytest.raises(MarginInputError, match="roster must have the columns id"):
        students.read_roster(tmp_path / "bad.csv")
    graded = {"alice": {"01_initial_margin": {"q1": 1.0, "q4": 3.0}}}
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,question,points,comment\nalice,q4,2,partial credit\n")
    assert students.read_overrides(overrides, graded) == [
        {"student": "alice", "exercise": "01_initial_margin", "question": "q4", "points": 2.0,
         "comment": "partial credit"}]
    for line, message in (("alice,q4,5,", "points must be between 0 and 3"), ("bob,q1,1,", "graded student"),
                          ("alice,q9,1,", "graded student"), ("alice,q1,one,", "points must be between")):
        overrides.write_text("student,question,points,comment\n" + line + "\n")
        with pytest.raises(MarginInputError, match=message):
            students.read_overrides(overrides, graded)


def test_a_class_with_roster_duplicates_due_date_and_overrides(tmp_path, capsys):
    submitted = tmp_path / "course" / "submitted"
    alice = _put(submitted / "alice" / "ps1" / NB)
    (alice.parent / "timestamp.txt").write_text("2026-12-02T23:00:00Z")  # 30 hours late: 2 started days
    _put(submitted / "bob" / "ps1" / NB, EXERCISE, mtime=1_700_000_000)  # older: not graded
    _put(submitted / "bob" / "ps1" / f"again_{NB}", SOLUTION, mtime=1_700_000_100)
    roster, overrides = tmp_path / "roster.csv", tmp_path / "overrides.csv"
    roster.write_text("id,name,email,section\nalice,Alice A.,a@x.org,B\nbob,Bob B.,b@x.org,A\ncarol,Carol C.,,A\n")
    overrides.write_text("student,question,points,comment\nbob,q4,1,only the first part\n")
    out = tmp_path / "out" / "gradebook.csv"
    command = ["grade", str(tmp_path / "course"), "--out", str(out), "--sandbox", "off", "--jobs", "2",
               "--exercises", str(ROOT / "exercises"), "--roster", str(roster), "--due", "2026-12-01T17:00:00Z",
               "--late-penalty", "0.1", "--overrides", str(overrides)]
    assert main(command) == 0
    rows = {r["student"]: r for r in csv.DictReader(out.open())}
    assert sorted(rows) == ["alice", "bob", "carol"]
    assert rows["alice"]["name"] == "Alice A." and rows["alice"]["late_days"] == "2"
    assert rows["alice"]["total"] == "8" and rows["alice"]["final"] == "6.4"
    assert rows["bob"]["submission"].endswith(f"again_{NB}") and "2 files for this student" in rows["bob"]["reason"]
    assert rows["bob"]["01_initial_margin:q4"] == "1" and rows["bob"]["total"] == "6"  # 8 - 3 + 1
    assert rows["carol"]["status"] == "missing" and rows["carol"]["total"] == "0" and rows["carol"]["max"] == "8"
    record = gradebook.long_table(out.with_suffix(".sqlite")).set_index(["student", "question"])
    assert record.loc[("bob", "q4"), "grader_points"] == 3 and record.loc[("bob", "q4"), "who"]
    assert record.loc[("bob", "q4"), "comment"] == "only the first part"

    assert main(command) == 0  # the same command again: nothing graded again, nothing added twice
    assert "(2 unchanged since the last run, not graded again)" in capsys.readouterr().out
    assert list(csv.DictReader(out.open())) == list(rows.values())
