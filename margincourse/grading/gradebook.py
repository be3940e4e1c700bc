"""The class's gradebook: a SQLite file that records each submission the moment it is graded.

``margincourse grade ... --out gradebook.csv`` keeps its gradebook in ``gradebook.sqlite``
beside the CSV (:func:`database_path`: the ``--out`` path with its suffix replaced by
``.sqlite``). The database is the source of truth, the CSV an export written from it at the
end of a run (atomically, with the user's umask). As in nbgrader, whose gradebook is a SQLite
database, a run that dies (a SIGKILL, a full disk, a crashed worker) loses at most the
submissions still being graded: each finished one is committed in a transaction of its own,
in write-ahead-log mode (SQLite's "Write-Ahead Logging", https://www.sqlite.org/wal.html).

The schema (other tools read it; these names are kept):

``submissions`` one row per student x exercise (and per unreadable file):
    ``student, exercise, submission_path, content_sha256, exercises_hash, status, reason,
    total, max, submitted_at, late_days, penalty, final, seconds, graded_at``.
    ``status`` is one of the grader's statuses (``graded``, ``timed out``, ``error``,
    ``not a notebook``) or ``missing`` (a student of the roster who handed nothing in:
    ``submission_path`` is empty, ``total`` 0). ``total`` is the grader's score before any
    override and penalty; ``final`` is ``total x (1 - penalty)``.
``answers`` one row per student x exercise x question:
    ``student, exercise, question, points, max_points, correct (0/1), mistake (the named
    mistake the verdict gave, or ''), answer (the value read, as repr, cut to 200
    characters), hint, verdict (the whole feedback line)``.
``overrides`` the instructor's manual changes, never deleted:
    ``student, exercise, question, points, comment, who, applied_at``.
``roster`` ``student, name, email, section`` (from ``--roster``; may be empty).

Readers: :func:`long_table` (one row per student x exercise x question, overrides applied)
and :func:`totals` (one row per student x exercise, overrides and late penalties applied).
Writers: :func:`connect`, :func:`record`, :func:`record_missing`, :func:`record_overrides`,
:func:`record_roster`; :func:`previous` tells the grader what it may skip on a rerun.
:func:`lock` keeps a second grader off the same gradebook; :func:`preflight` finds an
unwritable folder or a full disk before grading starts.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..basics.errors import MarginInputError

__all__ = ["database_path", "connect", "record", "record_missing", "record_overrides", "record_roster",
           "previous", "update_lateness", "answers_of", "long_table", "totals", "lock", "preflight", "GradebookLocked"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL, exercise TEXT NOT NULL, submission_path TEXT NOT NULL,
    content_sha256 TEXT NOT NULL DEFAULT '', exercises_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    total REAL NOT NULL DEFAULT 0, max REAL NOT NULL DEFAULT 0,
    submitted_at TEXT NOT NULL DEFAULT '', late_days INTEGER NOT NULL DEFAULT 0,
    penalty REAL NOT NULL DEFAULT 0, final REAL NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0, graded_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, exercise, submission_path)
);
CREATE TABLE IF NOT EXISTS answers (
    student TEXT NOT NULL, exercise TEXT NOT NULL, question TEXT NOT NULL,
    points REAL NOT NULL, max_points REAL NOT NULL, correct INTEGER NOT NULL,
    mistake TEXT NOT NULL DEFAULT '', answer TEXT NOT NULL DEFAULT '', hint TEXT NOT NULL DEFAULT '',
    verdict TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, exercise, question)
);
CREATE TABLE IF NOT EXISTS overrides (
    student TEXT NOT NULL, exercise TEXT NOT NULL, question TEXT NOT NULL, points REAL NOT NULL,
    comment TEXT NOT NULL DEFAULT '', who TEXT NOT NULL DEFAULT '', applied_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS roster (
    student TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', email TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT ''
);
"""

SUBMISSION_COLUMNS = ("student", "exercise", "submission_path", "content_sha256", "exercises_hash", "status",
                      "reason", "total", "max", "submitted_at", "late_days", "penalty", "final", "seconds",
                      "graded_at")
ANSWER_COLUMNS = ("student", "exercise", "question", "points", "max_points", "correct", "mistake", "answer",
                  "hint", "verdict")
MIN_FREE_MB = 100  # what preflight asks of the output folder's disk, plus 1 MiB per submission


def database_path(out) -> Path:
    """The gradebook database of the CSV ``out``: ``gradebook.csv`` -> ``gradebook.sqlite``."""
    return Path(out).with_suffix(".sqlite")


def now() -> str:
    """The current time in UTC, ISO 8601 to the second (``2026-12-06T05:01:34Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def connect(db_path) -> sqlite3.Connection:
    """Open (creating if needed) the gradebook at ``db_path``, in WAL mode, with the schema in place."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(db_path, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")  # a committed submission survives a power cut too
    connection.executescript(SCHEMA)
    connection.commit()
    return connection


def record(connection, row: dict, answers=()) -> None:
    """Record one finished submission (``row``: the ``submissions`` columns; ``answers``: dicts of
    the ``answers`` columns) in one transaction, replacing what was recorded before for the same
    student and exercise (or, for a file of no known exercise, the same path)."""
    row = {column: row.get(column, "" if column not in ("total", "max", "late_days", "penalty", "final",
                                                        "seconds") else 0) for column in SUBMISSION_COLUMNS}
    row["graded_at"] = row["graded_at"] or now()
    with connection:  # one transaction: all of it, or (after a crash) none of it
        for student, exercise in connection.execute(  # the same file graded under another name before
                "SELECT student, exercise FROM submissions WHERE submission_path = ?", (row["submission_path"],)).fetchall():
            connection.execute("DELETE FROM answers WHERE student = ? AND exercise = ?", (student, exercise))
        connection.execute("DELETE FROM submissions WHERE submission_path = ?", (row["submission_path"],))
        if row["exercise"]:
            connection.execute("DELETE FROM submissions WHERE student = ? AND exercise = ?",
                               (row["student"], row["exercise"]))
        else:
            connection.execute("DELETE FROM submissions WHERE submission_path = ? AND exercise = ''",
                               (row["submission_path"],))
        connection.execute("DELETE FROM answers WHERE student = ? AND exercise = ?", (row["student"], row["exercise"]))
        connection.execute(f"INSERT INTO submissions ({', '.join(SUBMISSION_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(SUBMISSION_COLUMNS))})", [row[c] for c in SUBMISSION_COLUMNS])
        connection.executemany(
            f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) VALUES ({', '.join('?' * len(ANSWER_COLUMNS))})",
            [[{**a, "student": row["student"], "exercise": row["exercise"]}.get(c, "") for c in ANSWER_COLUMNS]
             for a in answers])


def record_missing(connection, students, exercises, max_points: dict) -> int:
    """A ``missing`` row (0 points) for every student of ``students`` without a row for an exercise of
    ``exercises`` (``max_points``: exercise -> its maximum); how many rows were added."""
    added = 0
    with connection:
        for student in students:
            for exercise in exercises:
                found = connection.execute("SELECT 1 FROM submissions WHERE student = ? AND exercise = ?",
                                           (student, exercise)).fetchone()
                if found is None:
                    connection.execute(
                        "INSERT INTO submissions (student, exercise, submission_path, status, reason, max, graded_at) "
                        "VALUES (?, ?, '', 'missing', 'nothing handed in', ?, ?)",
                        (student, exercise, float(max_points.get(exercise, 0.0)), now()))
                    added += 1
    return added


def record_roster(connection, roster) -> None:
    """Keep the roster (dicts with ``student, name, email, section``), replacing an earlier one."""
    with connection:
        connection.execute("DELETE FROM roster")
        connection.executemany("INSERT OR REPLACE INTO roster (student, name, email, section) VALUES (?, ?, ?, ?)",
                               [(r["student"], r.get("name", ""), r.get("email", ""), r.get("section", ""))
                                for r in roster])


def record_overrides(connection, overrides, who: str) -> int:
    """Add manual overrides (dicts with ``student, exercise, question, points, comment``), each kept with
    ``who`` made it and when. An override already recorded with the same points and comment is not
    added twice (rerunning the same command changes nothing); the number added."""
    added = 0
    with connection:
        for o in overrides:
            key = (o["student"], o["exercise"], o["question"], float(o["points"]), o.get("comment", ""))
            latest = connection.execute(
                "SELECT points, comment FROM overrides WHERE student = ? AND exercise = ? AND question = ? "
                "ORDER BY rowid DESC LIMIT 1", key[:3]).fetchone()
            if latest is not None and (float(latest[0]), latest[1]) == key[3:]:
                continue
            connection.execute("INSERT INTO overrides (student, exercise, question, points, comment, who, applied_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", (*key, who, now()))
            added += 1
    return added


def update_lateness(connection, student: str, exercise: str, submission_path: str, late_days: int,
                    penalty: float) -> None:
    """Set a recorded submission's lateness (a rerun with another ``--due`` or ``--late-penalty``)."""
    with connection:
        connection.execute("UPDATE submissions SET late_days = ?, penalty = ?, final = total * (1 - ?) "
                           "WHERE student = ? AND exercise = ? AND submission_path = ?",
                           (late_days, penalty, penalty, student, exercise, submission_path))


def previous(connection, submission_path) -> dict | None:
    """What was recorded for the file ``submission_path`` (its ``submissions`` row as a dict), or None."""
    cursor = connection.execute(f"SELECT {', '.join(SUBMISSION_COLUMNS)} FROM submissions WHERE submission_path = ?",
                                (str(submission_path),))
    row = cursor.fetchone()
    return dict(zip(SUBMISSION_COLUMNS, row)) if row else None


def answers_of(connection, student: str, exercise: str) -> list[dict]:
    """The recorded ``answers`` rows of one student's exercise, in question order."""
    cursor = connection.execute(f"SELECT {', '.join(ANSWER_COLUMNS)} FROM answers WHERE student = ? AND exercise = ? "
                                "ORDER BY rowid", (student, exercise))
    return [dict(zip(ANSWER_COLUMNS, row)) for row in cursor.fetchall()]


def _read(db_path, query: str) -> pd.DataFrame:
    if not Path(db_path).is_file():
        raise MarginInputError(f"gradebook must be an existing gradebook database, got {str(db_path)!r}")
    connection = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(query, connection)
    finally:
        connection.close()


# The latest override of each (student, exercise, question).
_LATEST_OVERRIDES = """
    SELECT o.* FROM overrides o JOIN (SELECT student, exercise, question, MAX(rowid) AS id FROM overrides
                                      GROUP BY student, exercise, question) last ON o.rowid = last.id
"""


def long_table(db_path) -> pd.DataFrame:
    """One row per student x exercise x question: the ``answers`` columns, the submission's ``status``,
    and the latest override applied (``points`` is the overridden points; ``grader_points`` what the
    grader gave, ``overridden`` True/False, ``comment``, ``who``, ``applied_at`` the override's)."""
    frame = _read(db_path, f"""
        SELECT a.student, a.exercise, a.question, COALESCE(o.points, a.points) AS points, a.max_points,
               a.correct, a.mistake, a.answer, a.hint, a.verdict, s.status, a.points AS grader_points,
               o.points IS NOT NULL AS overridden, COALESCE(o.comment, '') AS comment, COALESCE(o.who, '') AS who,
               COALESCE(o.applied_at, '') AS applied_at
        FROM answers a JOIN submissions s ON s.student = a.student AND s.exercise = a.exercise
        LEFT JOIN ({_LATEST_OVERRIDES}) o
               ON o.student = a.student AND o.exercise = a.exercise AND o.question = a.question
        ORDER BY a.student, a.exercise, a.rowid""")
    frame["overridden"] = frame["overridden"].astype(bool)
    frame["correct"] = frame["correct"].astype(int)
    return frame


def totals(db_path) -> pd.DataFrame:
    """One row per student x exercise: ``student, name, section, exercise, status, total, max,
    late_days, penalty, final, submitted_at`` (then ``submission_path`` and ``reason``).

    ``total`` includes the overrides (the grader's total plus each override's change);
    ``final = total x (1 - penalty)``, ``penalty`` being the late penalty as a fraction.
    """
    return _read(db_path, f"""
        SELECT s.student, COALESCE(r.name, '') AS name, COALESCE(r.section, '') AS section, s.exercise, s.status,
               s.total + COALESCE((SELECT SUM(o.points - a.points) FROM ({_LATEST_OVERRIDES}) o
                                   JOIN answers a ON a.student = o.student AND a.exercise = o.exercise
                                                 AND a.question = o.question
                                   WHERE o.student = s.student AND o.exercise = s.exercise), 0) AS total,
               s.max, s.late_days, s.penalty,
               (s.total + COALESCE((SELECT SUM(o.points - a.points) FROM ({_LATEST_OVERRIDES}) o
                                    JOIN answers a ON a.student = o.student AND a.exercise = o.exercise
                                                  AND a.question = o.question
                                    WHERE o.student = s.student AND o.exercise = s.exercise), 0))
                   * (1 - s.penalty) AS final,
               s.submitted_at, s.submission_path, s.reason
        FROM submissions s LEFT JOIN roster r ON r.student = s.student
        ORDER BY s.student, s.exercise, s.submission_path""")


# --------------------------------------------------------------------------- one grader per gradebook

class GradebookLocked(MarginInputError):
    """Another grader holds the gradebook's lock."""


@contextmanager
def lock(out):
    """Hold an exclusive lock on the gradebook of ``out`` (``fcntl.flock`` on ``<out stem>.lock``
    beside it) while the block runs; a second grader on the same ``out`` gets :class:`GradebookLocked`
    at once instead of waiting or overwriting. The lock goes with the process, even on SIGKILL."""
    import fcntl  # Unix only: imported here so that the rest of the gradebook reads anywhere

    path = Path(out).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise GradebookLocked(f"out must not be in use by another grader: {str(out)!r} is being graded by "
                                  f"{holder} (lock {path}); wait for it to finish or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"margincourse grade, pid {os.getpid()}, since {now()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()


def preflight(out, count: int, *, min_free_mb: int = MIN_FREE_MB) -> None:
    """Refuse to start when the gradebook cannot be written: the folder of ``out`` (made if missing)
    must take a test file, and its disk and the temporary folder's must have ``min_free_mb`` MiB plus
    1 MiB per submission (``count``) free. Raises :class:`MarginInputError` naming ``--out``."""
    folder = Path(out).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".mcgrade-write-test-"):
            pass
    except OSError as error:
        raise MarginInputError(f"out must be in a folder you can write to: cannot write in {folder} "
                               f"({error.strerror or error})") from None
    need = (min_free_mb + count) * 1024 * 1024
    for place, what in ((folder, "--out's folder"), (Path(tempfile.gettempdir()), "the temporary folder")):
        free = shutil.disk_usage(place).free
        if free < need:
            raise MarginInputError(f"out needs at least {need // 2 ** 20:,} MiB free on the disk of {what} ({place}) "
                                   f"to grade {count} submissions, only {free // 2 ** 20:,} MiB are free")
