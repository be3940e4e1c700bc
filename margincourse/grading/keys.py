"""The answer keys by exercise name: which exercises exist, and the questions of each.

The keys themselves are modules of ``margincourse/grading/answer_key/``, one per
exercise notebook, each a ``QUESTIONS`` tuple. In the grader's sandbox that folder
holds only its list of exercises, so :func:`questions_of` finds no question there.
"""

from __future__ import annotations

import importlib

from ..basics.errors import MarginInputError
from .answer_key import EXERCISES

__all__ = ["exercise_names", "notebook_file", "questions_of"]


def exercise_names() -> tuple[str, ...]:
    """The exercise notebooks that have an answer key, e.g. ``'01_initial_margin'``."""
    return tuple(EXERCISES)


def notebook_file(name: str) -> str:
    """The file of exercise ``name`` in ``exercises/`` and ``solutions/``, e.g. ``'ex01_initial_margin.ipynb'``.

    The ``ex`` keeps it apart from the lesson ``notebooks/01_initial_margin.ipynb`` (two tabs
    of the same name in JupyterLab); the exercise's name stays ``'01_initial_margin'``.
    """
    if name not in EXERCISES:
        raise MarginInputError(f"exercise must be one of {', '.join(EXERCISES)}, got {name!r}")
    return f"ex{name}.ipynb"


def questions_of(name: str) -> dict:
    """The questions of exercise ``name``, by id."""
    if name not in EXERCISES:
        raise MarginInputError(f"exercise must be one of {', '.join(EXERCISES)}, got {name!r}")
    module = importlib.import_module(f"{__package__}.answer_key.{EXERCISES[name]}")
    return {q.id: q for q in module.QUESTIONS}
