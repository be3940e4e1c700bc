"""The learner's progress: the latest verdict per question, kept in a small JSON file.

Every ``check(...)`` in an exercise notebook records whether the answer was right.
The file is ``.margincourse_progress.json`` in the course folder (the nearest folder
above the notebook that holds ``notebooks/`` or ``exercises/``; else the current
folder), or wherever ``MARGINCOURSE_PROGRESS`` points; :func:`load`, :func:`record` and
:func:`table` also take the file as ``path=``. It is written atomically
(:func:`margincourse.basics.files.write_atomically`) under a lock, so two checks at once keep
both verdicts, and a missing or corrupted file is
simply started afresh: a progress file can never break a check. The grader never reads it.

The record is ``{exercise: {question: {"correct": bool, "time": "..."}}}`` and holds no points:
:func:`table` weighs each question by the points given to it (``points=``, read by
``mc.progress()`` from the exercise notebooks as the grader reads them), 1 point each otherwise.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..basics.files import write_atomically
from .keys import exercise_names, questions_of

FILENAME = ".margincourse_progress.json"
PROGRESS = "MARGINCOURSE_PROGRESS"  # the environment variable that names the file (the grader sets it for a kernel)


def course_folder() -> Path | None:
    """The nearest folder at or above the current one that holds ``notebooks/`` or ``exercises/``."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() or (folder / "exercises").is_dir():
            return folder
    return None


def progress_path() -> Path:
    """Where this learner's progress is kept."""
    if os.environ.get(PROGRESS):
        return Path(os.environ[PROGRESS])
    return (course_folder() or Path.cwd()) / FILENAME


def exercises_folder() -> Path | None:
    """The exercise notebooks that say how many points each question is worth.

    ``exercises/`` of the course folder (:func:`course_folder`), else of the source checkout
    the package runs from; None when there is neither (the package installed and used
    elsewhere: then every question counts 1 point).
    """
    course = course_folder()
    for folder in (course / "exercises" if course else None, Path(__file__).resolve().parents[2] / "exercises"):
        if folder is not None and folder.is_dir():
            return folder
    return None


def load(path=None) -> dict:
    """The recorded verdicts: ``{exercise: {question: {"correct": bool, "time": ...}}}``.

    ``path``: the progress file (default :func:`progress_path`).
    """
    path = progress_path() if path is None else Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        return {}
    return data


def record(exercise: str, question: str, correct: bool, path=None) -> None:
    """Remember the latest verdict of one question (atomically; never raises on a bad file).

    ``path``: the progress file (default :func:`progress_path`).
    """
    path = progress_path() if path is None else Path(path)
    with _locked(path.parent):  # two checks at once (two notebooks, two kernels): each read-modify-write whole
        data = load(path)
        data.setdefault(exercise, {})[question] = {"correct": bool(correct),
                                                   "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        try:
            write_atomically(path, json.dumps(data, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only folder: the check still printed its verdict


@contextmanager
def _locked(folder: Path):
    """Hold an exclusive ``flock`` on ``folder`` (the progress file's; the file itself is replaced on
    each write, so it cannot carry the lock) while the block runs. Without ``fcntl`` (Windows) or
    a readable folder, the block runs unlocked: the write itself stays atomic."""
    try:
        import fcntl

        handle = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def table(path=None, points=None) -> pd.DataFrame:
    """Progress per exercise, then ``overall``: questions and points.

    Columns: ``correct`` of ``questions`` (questions answered correctly, out of the
    exercise's questions), ``earned`` of ``possible`` (their points) and ``share``
    (``earned / possible``, 0 to 1). ``points``: ``{exercise: {question: points}}``,
    what each question is worth (the grader's points, see ``mc.progress()``); a question
    not in it counts 1 point. ``path``: the progress file (see :func:`load`).
    """
    data, points = load(path), points or {}
    rows = []
    for name in exercise_names():
        questions = questions_of(name)
        weight = {q: float(points.get(name, {}).get(q, 1.0)) for q in questions}
        right = [q for q, v in data.get(name, {}).items()
                 if q in questions and isinstance(v, dict) and v.get("correct")]
        earned, possible = float(sum(weight[q] for q in right)), float(sum(weight.values()))
        rows.append({"exercise": name, "correct": len(right), "questions": len(questions),
                     "earned": earned, "possible": possible, "share": earned / possible if possible else 0.0})
    frame = pd.DataFrame(rows).set_index("exercise")
    total = frame[["correct", "questions", "earned", "possible"]].sum()
    frame.loc["overall"] = [*total, total["earned"] / total["possible"] if total["possible"] else 0.0]
    frame[["correct", "questions"]] = frame[["correct", "questions"]].astype(int)
    return frame
