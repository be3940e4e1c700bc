"""The gradebook in the columns a learning platform's grade import expects: Canvas, Moodle, or a plain CSV.

``margincourse export GRADEBOOK --format canvas|moodle|csv`` runs this. ``GRADEBOOK`` is the CSV
that ``margincourse grade --out`` wrote or the SQLite gradebook beside it (``gradebook.csv`` ->
``gradebook.sqlite``); the scores always come from the SQLite store (overrides and late
penalties applied, :func:`margincourse.grading.gradebook.totals`). One column per exercise holds
each student's final score for it; a student the roster lists but who submitted nothing has 0.

**Canvas** (Gradebook > Import): the layout of Canvas's own gradebook export, which its import
reads back. Canvas's source writes the header ``Student, ID, SIS User ID, SIS Login ID, Section``,
then one column per assignment titled ``Name (assignment id)``, and a second row ``Points
Possible`` with each assignment's maximum (``Course#gradebook_to_csv`` in
instructure/canvas-lms, ``app/models/course.rb``). Ohio State's guide "Import a CSV File to
Carmen Grades" (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades)
lists the columns the import requires: the student's name, ``ID`` or ``SIS User ID`` (one of the
three is enough), ``SIS Login ID``, ``Section`` and the assignment; an assignment column whose
name Canvas does not know creates a new assignment. We write the student's id from the roster
as ``SIS User ID`` (Canvas's own numeric ``ID`` is not known here), and ``Name (id)`` when you
give Canvas's assignment id (``--assignment-id ex01_initial_margin=1234``), else the plain name.

**Moodle** (Grades > Import > CSV file): MoodleDocs "Grade import"
(https://docs.moodle.org/311/en/Grade_import): a CSV whose columns are mapped at import, the
user by "Map from" one column "Map to" a user field ("Id Number" to ``useridnumber``, or
"Email Address" to ``useremail``), every other column to a grade item. We write the identifier
column first, the student's name, then one column per exercise. The same page warns that
e-mail addresses are matched case-sensitively, so the id number is the default key.

**csv**: one row per student: ``student, name, section``, one column per exercise, ``total``,
``max``; for a spreadsheet or another tool.

Every cell a student could influence is written so that a spreadsheet will not run it as a
formula (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from ..basics.errors import MarginInputError

FORMATS = ("canvas", "moodle", "csv")
MOODLE_IDENTIFIERS = {"idnumber": "ID number", "email": "Email address"}
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def gradebook_database(path) -> Path:
    """The SQLite gradebook for ``path``: the path itself if it ends in ``.sqlite``, else the file
    beside the CSV (``gradebook.csv`` -> ``gradebook.sqlite``); an error naming GRADEBOOK if missing."""
    path = Path(path)
    database = path if path.suffix == ".sqlite" else path.with_suffix(".sqlite")
    if not database.is_file():
        raise MarginInputError(
            f"gradebook must be the CSV written by 'margincourse grade --out' or the .sqlite beside it; "
            f"no gradebook store at {str(database)!r}")
    return database


def load_totals(path):
    """One row per student and exercise (:func:`margincourse.grading.gradebook.totals`) for a gradebook
    path, with the roster's ``email`` beside each student (empty where the roster has none)."""
    from . import gradebook

    database = gradebook_database(path)
    totals = gradebook.totals(database)
    if "email" not in totals.columns:
        connection = sqlite3.connect(f"file:{database.resolve()}?mode=ro", uri=True)
        try:
            emails = dict(connection.execute("SELECT student, email FROM roster").fetchall())
        except sqlite3.OperationalError:  # a gradebook without a roster table
            emails = {}
        finally:
            connection.close()
        totals["email"] = [emails.get(s, "") for s in totals["student"]]
    return totals


def _cell(text) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV Injection")."""
    text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _score(value) -> str:
    """A score as written in the file: ``3``, ``2.5`` (no trailing zeros); empty becomes 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = 0.0
    return f"{0.0 if number != number else number:g}"


def _final_column(totals) -> str:
    return "final" if "final" in totals.columns else "total"


def score_table(totals):
    """``(students, exercises, scores, maxima)``: students in id order with their name and section,
    exercises in name order, ``scores[(student, exercise)]`` the final score (0 if none) and
    ``maxima[exercise]`` the points possible (the largest maximum recorded for it)."""
    if len(totals) == 0:
        raise MarginInputError("gradebook must hold at least one graded submission or roster entry, got none")
    final = _final_column(totals)
    students: dict[str, dict] = {}
    scores, maxima = {}, {}
    for row in totals.to_dict("records"):
        student = str(row["student"])
        info = students.setdefault(student, {"name": "", "section": ""})
        for key in ("name", "section"):
            value = row.get(key)
            if value is not None and value == value and str(value):
                info[key] = str(value)
        exercise = str(row.get("exercise") or "")
        if not exercise:
            continue
        scores[(student, exercise)] = float(row.get(final) or 0) if row.get(final) == row.get(final) else 0.0
        maximum = row.get("max")
        if maximum is not None and maximum == maximum:
            maxima[exercise] = max(maxima.get(exercise, 0.0), float(maximum))
    exercises = sorted(maxima) or sorted({e for _, e in scores})
    return dict(sorted(students.items())), exercises, scores, maxima


def canvas_csv(totals, assignment_ids=None) -> str:
    """The Canvas gradebook import file (see the module notes for the documented layout).

    ``assignment_ids``: ``{exercise: Canvas assignment id}``; a column is ``Name (id)`` for those,
    the plain exercise name (a new assignment in Canvas) for the others.
    """
    assignment_ids = dict(assignment_ids or {})
    students, exercises, scores, maxima = score_table(totals)
    unknown = sorted(set(assignment_ids) - set(exercises))
    if unknown:
        raise MarginInputError(f"assignment-id must name an exercise of the gradebook ({', '.join(exercises)}), "
                               f"got {', '.join(unknown)}")
    titles = [f"{e} ({assignment_ids[e]})" if e in assignment_ids else e for e in exercises]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, *titles])
    writer.writerow(["Points Possible", "", "", "", "", *[_score(maxima.get(e, 0)) for e in exercises]])
    for student, info in students.items():
        writer.writerow([_cell(info["name"] or student), "", _cell(student), "", _cell(info["section"]),
                         *[_score(scores.get((student, e), 0)) for e in exercises]])
    return buffer.getvalue()


def moodle_csv(totals, identifier="idnumber") -> str:
    """The Moodle CSV grade import file: the identifier column, ``Full name``, one column per exercise.

    ``identifier``: ``"idnumber"`` (column ``ID number`` holding the student's id: map it to
    ``useridnumber``) or ``"email"`` (column ``Email address`` from the roster's ``email``: map it
    to ``useremail``; every student needs one).
    """
    if identifier not in MOODLE_IDENTIFIERS:
        raise MarginInputError(f"identifier must be one of {', '.join(MOODLE_IDENTIFIERS)}, got {identifier!r}")
    students, exercises, scores, _ = score_table(totals)
    if identifier == "email":
        emails = _emails(totals)
        lacking = [s for s in students if not emails.get(s)]
        if lacking:
            raise MarginInputError(f"identifier 'email' needs every student's e-mail from the roster (--roster with an "
                                   f"email column); none for {', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([MOODLE_IDENTIFIERS[identifier], "Full name", *exercises])
    for student, info in students.items():
        key = student if identifier == "idnumber" else emails[student]
        writer.writerow([_cell(key), _cell(info["name"]),
                         *[_score(scores.get((student, e), 0)) for e in exercises]])
    return buffer.getvalue()


def _emails(totals) -> dict:
    """``{student: email}`` where the gradebook holds an ``email`` column (from the roster)."""
    if "email" not in totals.columns:
        return {}
    return {str(r["student"]): str(r["email"]) for r in totals.to_dict("records")
            if r.get("email") is not None and r.get("email") == r.get("email") and str(r.get("email"))}


def plain_csv(totals) -> str:
    """One row per student: ``student, name, section``, one column per exercise, ``total``, ``max``."""
    students, exercises, scores, maxima = score_table(totals)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "name", "section", *exercises, "total", "max"])
    possible = sum(maxima.get(e, 0) for e in exercises)
    for student, info in students.items():
        row = [scores.get((student, e), 0.0) for e in exercises]
        writer.writerow([_cell(student), _cell(info["name"]), _cell(info["section"]), *map(_score, row),
                         _score(sum(row)), _score(possible)])
    return buffer.getvalue()


def export_text(totals, fmt: str, *, assignment_ids=None, identifier="idnumber") -> str:
    """The export file's text in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "canvas":
        return canvas_csv(totals, assignment_ids)
    if fmt == "moodle":
        return moodle_csv(totals, identifier)
    if fmt == "csv":
        return plain_csv(totals)
    raise MarginInputError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def default_export_path(gradebook, fmt: str) -> Path:
    """Where the export goes when no ``--out`` is given: ``gradebook-canvas.csv`` beside the gradebook."""
    gradebook = Path(gradebook)
    return gradebook.with_name(f"{gradebook.stem}-{fmt}.csv")


def parse_assignment_ids(pairs) -> dict:
    """``["ex01=123", ...]`` -> ``{"ex01": "123"}``; an error naming ``--assignment-id`` for a malformed pair."""
    ids = {}
    for pair in pairs or ():
        name, sep, number = str(pair).partition("=")
        if not sep or not name.strip() or not number.strip():
            raise MarginInputError(f"assignment-id must be EXERCISE=CANVAS_ID, got {pair!r}")
        ids[name.strip()] = number.strip()
    return ids
