"""Per-student feedback as a readable HTML page: each question, the student's answer, the verdict,
the named mistake and the hint.

The grader's Markdown feedback files say the same in one line per question; this page is for the
student to read. It is built from the gradebook's long table (one row per student, exercise and
question: ``points, max_points, correct, mistake, answer, hint``), so it shows what was recorded,
overrides included, and never the expected value (the gradebook does not hold it).

Everything a student wrote (their answer, their id) is escaped: a page never runs what a
submission put in it. A page is self-contained (no scripts, no external requests), so it opens
the same from a shared drive, an e-mail attachment or a learning platform.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..basics.files import write_if_changed

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1b1b1b; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
.summary { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { text-align: left; vertical-align: top; padding: 0.5rem 0.6rem; border-bottom: 1px solid #ddd; }
th { background: #f3f3f3; }
td.answer { font-family: ui-monospace, monospace; word-break: break-word; max-width: 16rem; }
.right { color: #16621f; font-weight: 600; }
.wrong { color: #9b1c1c; font-weight: 600; }
.mistake { font-weight: 600; }
"""

#: The columns a row must have (the gradebook's long table has these and more).
COLUMNS = ("student", "exercise", "question", "points", "max_points", "correct", "mistake", "answer", "hint")


def _rows(long_table_rows) -> list[dict]:
    """The rows as plain dicts, whether given as a pandas DataFrame or as an iterable of mappings."""
    if hasattr(long_table_rows, "to_dict"):
        return long_table_rows.to_dict("records")
    return [dict(row) for row in long_table_rows]


def _text(value) -> str:
    """A cell's text, escaped; an empty or missing value (None, NaN) is an empty string."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value))


def _number(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return _text(value)


def page_html(student: str, exercise: str, rows: list[dict]) -> str:
    """One student's page for one exercise: a heading with the score, then one table row per question.

    >>> page = page_html("<b>bob</b>", "ex01", [{"question": "q1", "points": 0, "max_points": 2,
    ...     "correct": 0, "mistake": "used the notional", "answer": "<script>", "hint": "divide"}])
    >>> "<script>" in page, "&lt;script&gt;" in page, "0 / 2 points" in page
    (False, True, True)
    """
    earned = sum(float(r.get("points") or 0) for r in rows)
    possible = sum(float(r.get("max_points") or 0) for r in rows)
    body = []
    for r in rows:
        right = bool(int(float(r.get("correct") or 0)))
        verdict = '<span class="right">Right</span>' if right else '<span class="wrong">Not yet</span>'
        mistake = _text(r.get("mistake"))
        notes = []
        if mistake and not right:
            notes.append(f'<span class="mistake">Likely mistake:</span> {mistake}')
        if _text(r.get("hint")):
            notes.append(f"<span class=\"mistake\">Hint:</span> {_text(r.get('hint'))}")
        body.append(
            f"<tr><td>{_text(r.get('question'))}</td><td class=\"answer\">{_text(r.get('answer'))}</td>"
            f"<td>{verdict}<br>{_number(r.get('points'))} / {_number(r.get('max_points'))} points</td>"
            f"<td>{'<br>'.join(notes)}</td></tr>")
    title = f"Feedback for {_text(student)}: {_text(exercise)}"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="summary">{earned:g} / {possible:g} points over {len(rows)} question(s).</p>',
        "<table><thead><tr><th>Question</th><th>Your answer</th><th>Verdict</th><th>What to look at</th></tr></thead>",
        "<tbody>", *body, "</tbody></table>", "</body></html>", ""])


def safe_name(text: str) -> str:
    """A file name made of letters, digits, ``-``, ``_`` and ``.`` only (a student id from a folder
    name may hold anything).

    >>> safe_name("../alice smith")
    '.._alice_smith'
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(text)) or "_"


def write_feedback_html(long_table_rows, folder) -> list[Path]:
    """Write one page per student and exercise, ``STUDENT_EXERCISE.html``, into ``folder``; the pages written.

    ``long_table_rows``: the gradebook's long table (a DataFrame, or an iterable of mappings with
    :data:`COLUMNS`), in the order the questions should appear. Two students whose ids give the
    same file name get ``-2``, ``-3`` ... so that each keeps a page of their own. Pages are written
    atomically, and only where they change (a resumed run leaves unchanged ones alone); the grader's other files in ``folder`` are left alone.
    """
    groups: dict[tuple, list] = {}
    for row in _rows(long_table_rows):
        groups.setdefault((str(row.get("student", "")), str(row.get("exercise", ""))), []).append(row)
    used, written = set(), []
    for (student, exercise), rows in sorted(groups.items()):
        stem = f"{safe_name(student)}_{safe_name(exercise or 'unknown')}"
        name, n = f"{stem}.html", 1
        while name in used:
            n += 1
            name = f"{stem}-{n}.html"
        used.add(name)
        path = Path(folder) / name
        write_if_changed(path, page_html(student, exercise, rows))
        written.append(path)
    return written
