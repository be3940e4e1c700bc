"""What the class got right and wrong: per question statistics, the misconceptions the class holds,
two charts, and one HTML page that puts them together.

``margincourse report GRADEBOOK [--out FOLDER]`` runs this. It reads the gradebook's store
(:func:`margincourse.grading.gradebook.long_table`: one row per student, exercise and question,
overrides applied; :func:`margincourse.grading.gradebook.totals`: one row per student and
exercise) and writes into ``FOLDER`` (default ``gradebook-report/`` beside the gradebook):

* ``report.html``: the page, self-contained (the charts are embedded, no scripts, nothing fetched
  from elsewhere; every text from the gradebook is escaped);
* ``totals.png``: a histogram of the students' final scores, one per exercise;
* ``questions.png``: per question, the share of students who got it fully right.

Per question: how many answered, the mean points out of the maximum, the share fully right
(points equal to the maximum), and the most common named mistakes with their counts. The
grader names a mistake when a wrong answer matches one the answer key knows (a long's formula
used for a short, a percentage given as a fraction ...): those counts say which misconception the
class holds, which a mean alone cannot.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from ..basics.errors import MarginInputError
from ..basics.files import write_atomically

#: Submissions whose answers count in the statistics (a missing student answered nothing).
COUNTED = ("graded", "timed out", "error")
TOP_MISTAKES = 3


def _counted(long):
    """The long table's rows of submissions that ran (see :data:`COUNTED`); all rows if no status is given."""
    if "status" in long.columns:
        long = long[long["status"].isin(COUNTED)]
    return long


def question_summary(long, top=TOP_MISTAKES):
    """One row per exercise and question: ``answered, mean_points, max_points, share_right, top_mistakes``.

    ``share_right`` is the fraction of answers that earned the question's full points;
    ``top_mistakes`` the ``top`` most common named mistakes as ``[(mistake, count), ...]``, most
    common first (ties by name).

    >>> long = pd.DataFrame({"exercise": ["ex"] * 3, "question": ["q1"] * 3, "points": [2, 0, 0],
    ...     "max_points": [2, 2, 2], "mistake": ["", "used the notional", "used the notional"]})
    >>> row = question_summary(long).iloc[0]
    >>> float(row["mean_points"]), round(float(row["share_right"]), 3), row["top_mistakes"]
    (0.6666666666666666, 0.333, [('used the notional', 2)])
    """
    long = _counted(long)
    rows = []
    for (exercise, question), group in long.groupby(["exercise", "question"], sort=True):
        points = pd.to_numeric(group["points"], errors="coerce").fillna(0.0)
        maxima = pd.to_numeric(group["max_points"], errors="coerce").fillna(0.0)
        mistakes = group["mistake"].fillna("").astype(str) if "mistake" in group else pd.Series([], dtype=str)
        counts = mistakes[mistakes != ""].value_counts()
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
        rows.append({"exercise": exercise, "question": question, "answered": len(group),
                     "mean_points": float(points.mean()), "max_points": float(maxima.max()),
                     "share_right": float(((points >= maxima) & (maxima > 0)).mean()),
                     "top_mistakes": [(str(m), int(c)) for m, c in ranked]})
    return pd.DataFrame(rows, columns=["exercise", "question", "answered", "mean_points", "max_points",
                                       "share_right", "top_mistakes"])


def mistake_counts(long):
    """Every named mistake with how many answers made it: ``exercise, question, mistake, count``, most common first."""
    long = _counted(long)
    named = long[long["mistake"].fillna("").astype(str) != ""]
    counts = named.groupby(["exercise", "question", "mistake"]).size().reset_index(name="count")
    return counts.sort_values(["count", "exercise", "question", "mistake"],
                              ascending=[False, True, True, True]).reset_index(drop=True)


def _final(totals):
    column = "final" if "final" in totals.columns else "total"
    return pd.to_numeric(totals[column], errors="coerce").fillna(0.0)


def totals_figure(totals):
    """A histogram of the final scores, one panel per exercise (a matplotlib Figure, Agg backend)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    exercises = sorted(totals["exercise"].dropna().astype(str).unique()) or [""]
    figure = Figure(figsize=(7, 2.4 * len(exercises) + 0.6), layout="constrained")
    axes = figure.subplots(len(exercises), 1, squeeze=False)[:, 0]
    for ax, exercise in zip(axes, exercises):
        rows = totals[totals["exercise"].astype(str) == exercise]
        scores = _final(rows)
        maximum = float(pd.to_numeric(rows["max"], errors="coerce").max()) if len(rows) else 0.0
        top = maximum if maximum == maximum and maximum > 0 else max(float(scores.max()) if len(scores) else 1.0, 1.0)
        ax.hist(scores, bins=min(20, max(int(2 * top), 4)), range=(0, top), color="#3b6ea5", edgecolor="white")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{exercise}: final scores of {len(rows)} students (out of {top:g})", fontsize=12)
        ax.set_xlabel("points")
        ax.set_ylabel("students")
    return figure


def questions_figure(summary):
    """Per question, the share of answers fully right, as horizontal bars (a matplotlib Figure)."""
    from matplotlib.figure import Figure

    labels = [f"{e} {q}" for e, q in zip(summary["exercise"], summary["question"])]
    figure = Figure(figsize=(7, 0.35 * len(labels) + 1.4), layout="constrained")
    ax = figure.subplots()
    shares = [100 * s for s in summary["share_right"]]
    ax.barh(range(len(labels)), shares, color="#3b6ea5")
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("answers fully right (%)")
    ax.set_title("Share of the class fully right, per question", fontsize=12)
    for y, share in enumerate(shares):
        ax.text(min(share + 1, 92), y, f"{share:.0f} %", va="center", fontsize=9)
    return figure


def png_bytes(figure) -> bytes:
    """The figure as PNG bytes (rendered with the Agg canvas: no display needed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _e(value) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value))


def report_html(summary, mistakes, totals, totals_png: bytes, questions_png: bytes) -> str:
    """The report page: the class in numbers, the two charts (embedded), the question table and the mistakes."""
    final = _final(totals)
    ran = totals[totals["status"].isin(COUNTED)] if "status" in totals.columns else totals
    rows = "".join(
        f"<tr><td>{_e(r.exercise)}</td><td>{_e(r.question)}</td><td>{r.answered}</td>"
        f"<td>{r.mean_points:.2f} / {r.max_points:g}</td><td>{100 * r.share_right:.0f} %</td>"
        f"<td>{'<br>'.join(f'{_e(m)} ({c})' for m, c in r.top_mistakes) or '—'}</td></tr>"
        for r in summary.itertuples())
    mistake_rows = "".join(
        f"<tr><td>{_e(r.exercise)}</td><td>{_e(r.question)}</td><td>{_e(r.mistake)}</td><td>{r.count}</td></tr>"
        for r in mistakes.itertuples()) or '<tr><td colspan="4">No named mistakes.</td></tr>'

    def image(data, alt):
        return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'

    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Class report</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}",
        "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;vertical-align:top;"
        "padding:.4rem .6rem;border-bottom:1px solid #ddd}th{background:#f3f3f3}img{max-width:100%}",
        "</style></head><body>", "<h1>Class report</h1>",
        f"<p>{len(totals)} student-exercise rows, {len(ran)} with a submission that ran; "
        f"mean final score {final.mean() if len(final) else 0:.2f} points.</p>",
        "<h2>Scores</h2>", image(totals_png, "Histogram of final scores per exercise"),
        "<h2>Per question</h2>", image(questions_png, "Share of answers fully right per question"),
        "<table><thead><tr><th>Exercise</th><th>Question</th><th>Answers</th><th>Mean points</th>"
        "<th>Fully right</th><th>Most common named mistakes</th></tr></thead><tbody>", rows, "</tbody></table>",
        "<h2>Every named mistake</h2>",
        "<table><thead><tr><th>Exercise</th><th>Question</th><th>Mistake</th><th>Answers</th></tr></thead><tbody>",
        mistake_rows, "</tbody></table>", "</body></html>", ""])


def write_report(long, totals, folder) -> Path:
    """Write ``report.html``, ``totals.png`` and ``questions.png`` into ``folder``; the page's path."""
    if len(totals) == 0:
        raise MarginInputError("gradebook must hold at least one graded submission or roster entry, got none")
    folder = Path(folder)
    summary = question_summary(long)
    mistakes = mistake_counts(long)
    totals_png = png_bytes(totals_figure(totals))
    questions_png = png_bytes(questions_figure(summary))
    write_atomically(folder / "totals.png", totals_png)
    write_atomically(folder / "questions.png", questions_png)
    page = folder / "report.html"
    write_atomically(page, report_html(summary, mistakes, totals, totals_png, questions_png))
    return page


def report_for(gradebook, folder=None) -> Path:
    """:func:`write_report` for a gradebook path (the CSV or its ``.sqlite``); default folder
    ``<gradebook>-report`` beside it."""
    from . import gradebook as store
    from .export import gradebook_database

    database = gradebook_database(gradebook)
    folder = Path(folder) if folder else Path(gradebook).with_name(f"{Path(gradebook).stem}-report")
    return write_report(store.long_table(database), store.totals(database), folder)
