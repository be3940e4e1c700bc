"""The answer keys by exercise name: which exercises exist, and the questions of each.

The keys themselves are modules of ``margincourse/grading/answer_key/``, one per
exercise notebook, each a ``QUESTIONS`` tuple. In the grader's sandbox that folder
holds only its list of exercises, so :func:`questions_of` finds no question there.
"""

from __future__ import annotations

import importlib

from ..basics.errors import MarginInputError
from .answer_key import EXERCISES

__all__ = ["exercise_names", "questions_of"]


def exercise_names() -> tuple[str, ...]:
    """The exercise notebooks that have an answer key, e.g. ``'01_initial_margin'``."""
    return tuple(EXERCISES)


def questions_of(name: str) -> dict:
    """The questions of exercise ``name``, by id."""
    if name not in EXERCISES:
        raise MarginInputError(f"exercise must be one of {', '.join(EXERCISES)}, got {name!r}")
    module = importlib.import_module(f"{__package__}.answer_key.{EXERCISES[name]}")
    return {q.id: q for q in module.QUESTIONS}
