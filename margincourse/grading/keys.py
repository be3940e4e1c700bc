"""The answer keys by exercise name: which exercises exist, and the questions of each.

The keys themselves are modules of ``margincourse/grading/answer_key/``, one per
exercise notebook, each a ``QUESTIONS`` tuple. In the grader's sandbox that folder
holds only its list of exercises, so :func:`questions_of` finds no question there.
"""

from __future__ import annotations

import importlib

from ..basics.errors import MarginInputError
from .answer_key import EXERCISES

__all__ = ["exercise_names", "notebook_file", "questions_of", "varied_of"]


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


def _key_module(name: str):
    if name not in EXERCISES:
        raise MarginInputError(f"exercise must be one of {', '.join(EXERCISES)}, got {name!r}")
    return importlib.import_module(f"{__package__}.answer_key.{EXERCISES[name]}")


def varied_of(name: str) -> dict:
    """How a variant may change the numbers of exercise ``name``'s questions: the answer key's
    ``VARIED``, a :class:`~margincourse.basics.questions.Varied` by question id ({} if it has none)."""
    return dict(getattr(_key_module(name), "VARIED", {}))


def questions_of(name: str) -> dict:
    """The published questions of exercise ``name``, by id (an instructor's variant of them:
    :func:`margincourse.grading.variants.class_questions`)."""
    return {q.id: q for q in _key_module(name).QUESTIONS}
