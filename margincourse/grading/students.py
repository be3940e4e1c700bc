"""Who handed in what, and when: students from folder layouts, the roster, due dates, overrides.

The grader names each submission's student from where the file lies, never from anything
written inside the notebook (a submission could claim a classmate's name):

* ``submitted/<student>/<assignment>/<notebook>.ipynb``: nbgrader's course folder, as its
  ``collect`` and JupyterHub's collection leave it (nbgrader documentation, "Exchanging
  assignment files", https://nbgrader.readthedocs.io/en/stable/user_guide/managing_assignment_files.html);
  pass the ``submitted`` folder or the course folder holding it;
* ``<student>/<notebook>.ipynb``: one folder per student, inside the folder you pass;
* files side by side: with ``--pattern "{student}_{notebook}.ipynb"`` the ``{student}`` part of
  the name, otherwise the whole file name without ``.ipynb``.

When a submission was made (:func:`submitted_at`): nbgrader's ``timestamp.txt`` beside the
notebook (or in a folder above it, up to the student's), else the file's modification time.
A late submission loses ``late_penalty`` of its points per started day late (:func:`lateness`).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..basics.errors import MarginInputError

__all__ = ["Submission", "find", "student_of", "submitted_at", "parse_time", "lateness", "read_roster",
           "read_overrides"]


@dataclass(frozen=True)
class Submission:
    """One handed-in file: where it is, whose it is, and when it was handed in (UTC)."""

    path: Path
    student: str
    submitted_at: datetime


def _pattern_regex(pattern: str) -> re.Pattern:
    if "{student}" not in pattern:
        raise MarginInputError(f"pattern must contain {{student}}, such as '{{student}}_{{notebook}}.ipynb', "
                               f"got {pattern!r}")
    parts = re.split(r"(\{student\}|\{notebook\}|\{assignment\})", pattern)
    regex = "".join({"{student}": r"(?P<student>.+?)", "{notebook}": r"(?P<notebook>.+)",
                     "{assignment}": r"(?P<assignment>.+?)"}.get(p, re.escape(p)) for p in parts)
    return re.compile(regex + r"\Z")


def student_of(path: Path, root: Path | None, pattern: str | None = None) -> str:
    """The student of the file ``path`` found in the folder ``root`` (None: the file was given itself).

    >>> student_of(Path("c/submitted/alice/ps1/ex01.ipynb"), Path("c"))
    'alice'
    >>> student_of(Path("in/bob/ex01.ipynb"), Path("in"))
    'bob'
    >>> student_of(Path("in/carol_ex01.ipynb"), Path("in"), "{student}_{notebook}.ipynb")
    'carol'
    >>> student_of(Path("in/carol_ex01.ipynb"), Path("in"))
    'carol_ex01'
    """
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    if "submitted" in parts[:-1]:
        after = parts[parts.index("submitted") + 1:]
        if len(after) >= 2:
            return after[0]
    if len(parts) >= 2:
        return parts[0]
    if pattern:
        match = _pattern_regex(pattern).match(path.name)
        if match is None:
            raise MarginInputError(f"pattern must match every submission's file name: {pattern!r} does not match "
                                   f"{path.name!r}")
        return match.group("student")
    return path.stem


def parse_time(text: str, what: str = "due") -> datetime:
    """An ISO 8601 time (or nbgrader's ``2026-12-01 17:00:00.123456 UTC``) as an aware UTC datetime;
    a time without a zone is taken as UTC."""
    cleaned = str(text).strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise MarginInputError(f"{what} must be an ISO 8601 date and time such as 2026-12-01T17:00:00+00:00, "
                               f"got {text!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def submitted_at(path: Path, root: Path | None = None) -> datetime:
    """When ``path`` was handed in: the first ``timestamp.txt`` found beside it or in a folder above
    it (not above ``root``), which nbgrader writes on submission; else the file's modification time."""
    folder = path.parent
    stop = root.resolve() if root is not None else path.parent.resolve()
    while True:
        stamp = folder / "timestamp.txt"
        if stamp.is_file():
            return parse_time(stamp.read_text(encoding="utf-8").strip(), what=f"timestamp in {stamp}")
        if folder.resolve() == stop or folder.parent == folder:
            break
        folder = folder.parent
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)


def find(paths, pattern: str | None = None) -> list[Submission]:
    """Every submission in ``paths`` (files as given, every ``.ipynb`` inside folders, no checkpoints),
    with its student and time, sorted by path."""
    found = {}
    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(given.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in path.parts:
                    found[path] = Submission(path, student_of(path, given, pattern), submitted_at(path, given))
        elif given.exists():
            found[given] = Submission(given, student_of(given, None, pattern), submitted_at(given))
        else:
            raise MarginInputError(f"submission must be an existing file or folder, got {str(given)!r}")
    return [found[path] for path in sorted(found)]


def lateness(when: datetime, due: datetime | None, per_day: float) -> tuple[int, float]:
    """``(late_days, penalty)``: days late, each started day counting whole, and the fraction of the
    points lost, ``min(1, late_days x per_day)``. On time (or no due date): ``(0, 0.0)``.

    >>> due = datetime(2026, 12, 1, 17, tzinfo=timezone.utc)
    >>> lateness(datetime(2026, 12, 2, 9, tzinfo=timezone.utc), due, 0.25)  # 16 hours late
    (1, 0.25)
    >>> lateness(datetime(2026, 12, 3, 18, tzinfo=timezone.utc), due, 0.25)  # 49 hours late
    (3, 0.75)
    >>> lateness(datetime(2026, 12, 9, 18, tzinfo=timezone.utc), due, 0.25)  # all points lost, no more
    (9, 1.0)
    """
    if due is None or when <= due:
        return 0, 0.0
    days = math.ceil((when - due).total_seconds() / 86_400)
    return days, min(1.0, days * per_day)


def _rows(path, what: str, required: tuple) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
            columns = {c.strip().lower() for c in (rows[0].keys() if rows else [])}
    except OSError as error:
        raise MarginInputError(f"{what} must be a readable CSV file, got {str(path)!r}: {error.strerror}") from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise MarginInputError(f"{what} must have the columns {', '.join(required)}; {str(path)!r} lacks "
                               f"{', '.join(missing)}")
    return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in rows]


def read_roster(path) -> list[dict]:
    """The roster CSV (columns ``id, name, email, section``; ``id`` is the student as the grader names
    them) as dicts with ``student, name, email, section``."""
    roster = []
    for row in _rows(path, "roster", ("id",)):
        if row["id"]:
            roster.append({"student": row["id"], "name": row.get("name", ""), "email": row.get("email", ""),
                           "section": row.get("section", "")})
    return roster


def read_overrides(path, graded: dict) -> list[dict]:
    """The overrides CSV (columns ``student, question, points, comment``; ``question`` as ``q3``, or
    ``01_initial_margin:q3`` when the student handed in more than one exercise; an ``exercise`` column
    works too) as dicts with ``student, exercise, question, points, comment``. ``graded``:
    ``{student: {exercise: {question: max_points}}}``, what the overrides may name."""
    overrides = []
    for number, row in enumerate(_rows(path, "overrides", ("student", "question", "points")), 2):
        where = f"overrides line {number}"
        exercise, _, question = row["question"].rpartition(":")
        exercise = exercise or row.get("exercise", "")
        exercises = graded.get(row["student"], {})
        if not exercise and len(exercises) == 1:
            exercise = next(iter(exercises))
        if exercise not in exercises or question not in exercises[exercise]:
            raise MarginInputError(f"{where} must name a graded student's question (student, and question as q3 "
                                   f"or exercise:q3), got {row['student']!r}, {row['question']!r}")
        try:
            points = float(row["points"])
        except ValueError:
            points = math.nan
        limit = exercises[exercise][question]
        if not 0 <= points <= limit:
            raise MarginInputError(f"{where} points must be between 0 and {limit:g} for {question}, "
                                   f"got {row['points']!r}")
        overrides.append({"student": row["student"], "exercise": exercise, "question": question, "points": points,
                          "comment": row.get("comment", "")})
    return overrides
