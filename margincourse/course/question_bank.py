"""``mc.question_bank()``: every question of the course in one table, as learners meet it.

Two sources:

* the lessons' "check your understanding" questions: each ``course/lessons/lessonN.py``
  has a ``questions()`` function returning its :class:`~margincourse.course.widgets.Question`
  widgets (lesson 0, with a single question, has ``question()``);
* the exercises' questions: the answer keys (:func:`margincourse.grading.keys.questions_of`).

One row per question. Multiple-choice options are listed in the order they are shown
(:meth:`~margincourse.basics.questions.ChoiceQuestion.shown_options`), and ``correct`` is
the right option's place in that order, so the table shows at a glance whether right
answers give themselves away by their position.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pandas as pd

from ..grading.keys import exercise_names, questions_of
from . import lessons
from .progress_view import exercise_points

__all__ = ["question_bank", "lesson_questions", "COLUMNS"]

#: The columns of :func:`question_bank`.
COLUMNS = ("lesson", "source", "exercise", "question", "prompt", "kind", "options", "correct", "points",
           "mistakes")


def lesson_questions() -> dict:
    """Every lesson's "check your understanding" questions: ``{lesson number: [Question, ...]}``."""
    found = {}
    for module in pkgutil.iter_modules(lessons.__path__):
        number = re.fullmatch(r"lesson(\d+)", module.name)
        if not number:
            continue
        lesson = importlib.import_module(f"{lessons.__name__}.{module.name}")
        if hasattr(lesson, "questions"):
            found[int(number.group(1))] = list(lesson.questions())
        elif hasattr(lesson, "question"):
            found[int(number.group(1))] = [lesson.question()]
    return dict(sorted(found.items()))


def _row(item, **where) -> dict:
    """The columns a question fills itself: prompt, kind, options, correct, mistakes."""
    if item.kind == "choice":
        shown = item.shown_options()
        return {**where, "prompt": item.prompt, "kind": "choice", "options": shown,
                "correct": shown.index(item.answer),
                "mistakes": [item.options[option] for option in shown if option != item.answer]}
    return {**where, "prompt": item.prompt, "kind": item.kind, "options": [], "correct": item.reference(),
            "mistakes": [mistake.message for mistake in item.mistakes]}


def question_bank(exercises_dir=None) -> pd.DataFrame:
    """Every question of the lessons and the exercises, one row each.

    Columns (:data:`COLUMNS`):

    * ``lesson``: the lesson's number; ``source``: ``"lesson"`` or ``"exercise"``;
      ``exercise``: the exercise's name (``""`` for a lesson question);
    * ``question``: the id (``q1`` ...; a lesson's questions are numbered in their order)
      and ``prompt``: the question's text;
    * ``kind``: ``"choice"``, ``"number"`` or ``"function"``;
    * ``options``: a choice question's options in the order they are shown (``[]`` otherwise);
    * ``correct``: the 0-based place of the right option in ``options``; the expected number;
      or, for a function question, the reference function's outputs on the test cases;
    * ``points``: an exercise question's points as the grader reads them from the exercise
      notebooks (``exercises_dir``, default the course's; 1 each without them); a lesson
      question is worth 0 points: it is a self-check, never recorded or graded;
    * ``mistakes``: what the question tells a learner who gives a recognised wrong answer:
      the named mistakes' messages, or a choice question's wrong options' explanations
      (in the order shown).
    """
    rows = []
    for number, widgets in lesson_questions().items():
        for index, widget in enumerate(widgets, start=1):
            rows.append({**_row(widget.question, lesson=number, source="lesson", exercise="", question=f"q{index}"),
                         "points": 0.0})
    points = exercise_points(exercises_dir)
    for name in exercise_names():
        number = int(re.match(r"\d+", name).group())
        for qid, question in questions_of(name).items():
            rows.append({**_row(question, lesson=number, source="exercise", exercise=name, question=qid),
                         "points": float(points.get(name, {}).get(qid, 1.0))})
    return pd.DataFrame(rows, columns=list(COLUMNS))
