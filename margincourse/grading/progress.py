"""The learner's progress: the latest verdict per question, kept in a small JSON file.

Every ``check(...)`` in an exercise notebook records whether the answer was right.
The file is ``.margincourse_progress.json`` in the course folder (the nearest folder
above the notebook that holds ``notebooks/`` or ``exercises/``; else the current
folder), or wherever ``MARGINCOURSE_PROGRESS`` points; :func:`load`, :func:`record` and
:func:`table` also take the file as ``path=``. It is written atomically
(:func:`margincourse.basics.files.write_atomically`), and a missing or corrupted file is
simply started afresh: a progress file can never break a check. The grader never reads it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd

from ..basics.files import write_atomically
from .keys import exercise_names, questions_of

FILENAME = ".margincourse_progress.json"
PROGRESS = "MARGINCOURSE_PROGRESS"  # the environment variable that names the file (the grader sets it for a kernel)


def progress_path() -> Path:
    """Where this learner's progress is kept."""
    if os.environ.get(PROGRESS):
        return Path(os.environ[PROGRESS])
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() or (folder / "exercises").is_dir():
            return folder / FILENAME
    return here / FILENAME


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
    data = load(path)
    data.setdefault(exercise, {})[question] = {"correct": bool(correct), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    try:
        write_atomically(path, json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only folder: the check still printed its verdict


def table(path=None) -> pd.DataFrame:
    """Questions answered correctly per exercise, out of the questions it has (``path``: see :func:`load`)."""
    data = load(path)
    rows = []
    for name in exercise_names():
        total = len(questions_of(name))
        done = sum(1 for q, v in data.get(name, {}).items() if v.get("correct") and q in questions_of(name))
        rows.append({"exercise": name, "correct": done, "questions": total, "done": done / total if total else 0.0})
    frame = pd.DataFrame(rows).set_index("exercise")
    overall = frame[["correct", "questions"]].sum()
    frame.loc["overall"] = [overall["correct"], overall["questions"], overall["correct"] / max(overall["questions"], 1)]
    frame[["correct", "questions"]] = frame[["correct", "questions"]].astype(int)
    return frame
