"""``mc.progress()``: the learner's progress as a table and a bar chart, in points.

The verdicts come from the progress record the exercises' checks keep
(:mod:`margincourse.grading.progress`). Each question is weighed by its points as the
grader reads them: from the exercise notebooks' cell metadata (``margincourse.points``,
:func:`margincourse.grading.grader.instructor_points`), found in the course's
``exercises/`` folder. Without that folder (the package installed and used elsewhere)
every question counts 1 point, and the output says so.
"""

from __future__ import annotations

from pathlib import Path

from IPython.display import display

from ..basics.formatting import number
from ..grading.keys import exercise_names
from ..grading.progress import exercises_folder, table
from .plots import new_figure, style

__all__ = ["progress", "exercise_points", "points_note"]


def exercise_points(folder: Path | None = None) -> dict:
    """Points per question of every exercise, ``{exercise: {question: points}}``, as the grader reads them.

    ``folder``: the exercise notebooks (default: the course's, see
    :func:`margincourse.grading.progress.exercises_folder`). No folder: ``{}``, every question
    1 point; an exercise whose notebook cannot be read counts 1 point a question too.
    """
    folder = exercises_folder() if folder is None else Path(folder)
    if folder is None or not folder.is_dir():
        return {}
    from ..grading.grader import instructor_points  # the grader imports nbclient and zmq: only when needed

    points = {}
    for name in exercise_names():
        try:
            points[name] = instructor_points(name, folder)
        except Exception:  # a broken or foreign notebook: its questions count 1 point each
            continue
    return points


def points_note(folder: Path | None) -> str:
    """Where the points per question come from, in a sentence."""
    if folder is None:
        return "No exercises folder found: every question counts 1 point."
    # The folder's name only: a full path would differ on every machine (and in every committed output).
    return f"Points per question as in the course's exercise notebooks ({folder.name}/)."


def progress():
    """Show the learner's progress: points earned of points possible, per exercise and overall.

    A table (``correct`` of ``questions``, ``earned`` of ``possible`` points, ``share``)
    and a horizontal bar chart of each exercise's share of its points.
    """
    folder = exercises_folder()
    frame = table(points=exercise_points(folder) if folder else {})
    with style():
        figure, ax = new_figure(figsize=(7, 3.2))
        names = list(frame.index[::-1])
        shares = frame["share"][::-1] * 100
        colours = ["#7f7f7f" if name == "overall" else "#2ca02c" if share >= 100 else "#1f77b4"
                   for name, share in zip(names, shares)]
        ax.barh(names, shares, color=colours)
        for y, (name, row) in enumerate(frame[::-1].iterrows()):
            ax.text(min(row["share"] * 100, 100) + 1, y, f"{number(row['earned'], 2)} / {number(row['possible'], 2)}",
                    va="center", fontsize=8)
        ax.set_xlim(0, 115)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("points earned (% of the points possible)")
        ax.set_title("Your progress")
    shown = frame.copy()
    shown["earned"] = [number(value, 2) for value in frame["earned"]]
    shown["possible"] = [number(value, 2) for value in frame["possible"]]
    shown["share"] = [f"{share:.0%}" for share in frame["share"]]
    print(points_note(folder))
    display(shown)
    display(figure)
    return None
