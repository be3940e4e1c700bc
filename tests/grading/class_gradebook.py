"""A small class's gradebook database, written with plain sqlite3 in the documented schema
(margincourse/grading/gradebook.py's notes), for the export, report and feedback tests."""

import sqlite3

SCHEMA = """
CREATE TABLE submissions (student TEXT, exercise TEXT, submission_path TEXT, content_sha256 TEXT,
    exercises_hash TEXT, status TEXT, reason TEXT, total REAL, max REAL, submitted_at TEXT, late_days INTEGER,
    penalty REAL, final REAL, seconds REAL, graded_at TEXT);
CREATE TABLE answers (student TEXT, exercise TEXT, question TEXT, points REAL, max_points REAL, correct INTEGER,
    mistake TEXT, answer TEXT, hint TEXT, verdict TEXT);
CREATE TABLE overrides (student TEXT, exercise TEXT, question TEXT, points REAL, comment TEXT, who TEXT,
    applied_at TEXT);
CREATE TABLE roster (student TEXT PRIMARY KEY, name TEXT, email TEXT, section TEXT);
"""

NOTIONAL = "used the notional instead of the margin"

#: student -> (status, [(question, points, max, correct, mistake, answer)], late penalty)
CLASS = {
    "alice": ("graded", [("q1", 2, 2, 1, "", "96.0"), ("q2", 1, 1, 1, "", "'a'")], 0.0),
    "bob": ("graded", [("q1", 0, 2, 0, NOTIONAL, "1920.0"), ("q2", 1, 1, 1, "", "'a'")], 0.0),
    "=cmd|evil": ("graded", [("q1", 0, 2, 0, NOTIONAL, "<script>alert(1)</script>"), ("q2", 0, 1, 0, "", "'b'")], 0.0),
    "dora": ("graded", [("q1", 2, 2, 1, "", "96"), ("q2", 0, 1, 0, "", "'c'")], 0.5),
}
ROSTER = [("alice", "Liddell, Alice", "alice@example.org", "A"), ("bob", "Dylan, Bob", "bob@example.org", "B"),
          ("=cmd|evil", "Tables, Bobby", "bobby@example.org", "B"), ("dora", "Explorer, Dora", "dora@example.org", "A"),
          ("emil", "Zola, Emil", "emil@example.org", "A")]


def make_gradebook(folder, exercise="01_initial_margin"):
    """Write ``gradebook.sqlite`` (and an empty ``gradebook.csv`` beside it) for :data:`CLASS`; the CSV's path."""
    database = folder / "gradebook.sqlite"
    connection = sqlite3.connect(database)
    connection.executescript(SCHEMA)
    for student, (status, answers, penalty) in CLASS.items():
        total = sum(a[1] for a in answers)
        connection.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           (student, exercise, f"submitted/{student}/{exercise}.ipynb", "sha", "hash", status, "",
                            total, 3, "2026-12-01T10:00:00Z", 1 if penalty else 0, penalty, total * (1 - penalty),
                            1.0, "2026-12-02T10:00:00Z"))
        for question, points, maximum, correct, mistake, answer in answers:
            connection.execute("INSERT INTO answers VALUES (?,?,?,?,?,?,?,?,?,?)",
                               (student, exercise, question, points, maximum, correct, mistake, answer,
                                "Margin is notional / leverage." if not correct else "", ""))
    connection.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       ("emil", exercise, "", "", "", "missing", "nothing handed in", 0, 3, "", 0, 0, 0, 0, ""))
    connection.executemany("INSERT INTO roster VALUES (?,?,?,?)", ROSTER)
    connection.commit()
    connection.close()
    csv_path = folder / "gradebook.csv"
    csv_path.write_text("")
    return csv_path
