"""The ``check`` of an exercise notebook: it answers at once, naming the likely mistake.

An exercise notebook starts with ``check = mc.exercise("01_initial_margin")`` and
then, after each answer, calls ``check("q1", answer_q1)``. The verdict is printed
immediately: correct (with the points), or "not yet" with the misconception the
answer matches ("it looks like you forgot to divide by the leverage"), never the
expected value itself.

Questions live in ``margincourse/grading/answer_key/``, one module per exercise,
each a tuple of the question types of :mod:`margincourse.basics.questions`. The
same objects grade submissions in the grader's own process
(:mod:`margincourse.grading.grader`): a verdict computed inside a student's kernel
is never trusted there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..basics.errors import MarginInputError
from ..basics.questions import Verdict
from . import progress
from .keys import questions_of

__all__ = ["Exercise", "RecordedForGrading", "exercise", "GRADING"]


@dataclass
class Exercise:
    """The ``check`` of one exercise notebook; remembers each latest verdict (see :mod:`progress`)."""

    name: str
    record: bool = True
    questions: dict = field(init=False)

    def __post_init__(self):
        self.questions = questions_of(self.name)

    def verdict(self, question_id, answer, points=1.0) -> Verdict:
        if question_id not in self.questions:
            raise MarginInputError(
                f"question must be one of {', '.join(self.questions)} in {self.name}, got {question_id!r}"
            )
        question = self.questions[question_id]
        try:
            correct, text = question.evaluate(answer)
        except Exception as error:  # a strange answer must never crash the check
            correct, text = False, f"could not check this answer ({type(error).__name__}: {error})."
        return Verdict(question_id, correct, points if correct else 0, points, f"{question_id}: {text}")

    def __call__(self, question_id, answer):
        verdict = self.verdict(question_id, answer)
        print(("✔ " if verdict.correct else "✘ ") + verdict.message)
        if self.record:
            progress.record(self.name, question_id, verdict.correct)
        return None


GRADING = "MARGINCOURSE_GRADING"  # set in the grader's sandbox, where the answer key is hidden


@dataclass
class RecordedForGrading:
    """The ``check`` of a notebook that is being graded in the sandbox: the answer key is not there.

    The grader reads each answer's value itself and judges it outside the kernel
    (:mod:`margincourse.grading.grader`), so the notebook only needs a ``check`` that runs.
    """

    name: str

    def __call__(self, question_id, answer):
        print(f"{question_id}: handed to the grader.")


def exercise(name: str, *, record: bool = True):
    """The ``check`` function of exercise notebook ``name`` (e.g. ``"01_initial_margin"``)."""
    if os.environ.get(GRADING) == "1":
        return RecordedForGrading(name)
    return Exercise(name, record=record)
