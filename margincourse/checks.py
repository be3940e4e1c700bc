"""Exercise questions and the ``check`` that answers at once, naming the likely mistake.

An exercise notebook starts with ``check = mc.exercise("01_initial_margin")`` and
then, after each answer, calls ``check("q1", answer_q1)``. The verdict is printed
immediately: correct (with the points), or "not yet" with the misconception the
answer matches ("it looks like you forgot to divide by the leverage"), never the
expected value itself.

Questions live in ``margincourse/answer_key/``, one module per lesson, each a
tuple of :class:`NumberQuestion`, :class:`ChoiceQuestion` or
:class:`FunctionQuestion`. The same objects grade submissions in the grader's own
process (:mod:`margincourse.grading`): a verdict computed inside a student's
kernel is never trusted there.
"""

from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import MarginInputError

__all__ = [
    "Mistake",
    "NumberQuestion",
    "ChoiceQuestion",
    "FunctionQuestion",
    "Verdict",
    "Exercise",
    "exercise",
    "exercise_names",
]



def _unanswered(answer):
    return answer is None or answer is Ellipsis


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check."""

    question: str
    correct: bool
    points: float
    max_points: float
    message: str

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class Mistake:
    """A recognisable wrong answer: what it computes, and what to tell the learner."""

    message: str
    value: Callable[..., Any]


def _is_number(value):
    if isinstance(value, bool):
        return False
    try:
        import numpy as np

        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if isinstance(value, (np.integer, np.floating)):
            return math.isfinite(float(value))
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, (int, float)) and math.isfinite(float(value))


def _close(answer, expected, absolute, relative):
    return abs(float(answer) - float(expected)) <= max(absolute, relative * abs(float(expected)))


@dataclass(frozen=True)
class NumberQuestion:
    """A question whose answer is one number.

    ``expected`` computes the reference value; ``tolerance`` is absolute (in the
    answer's unit; say in the question when rounding to the tick is fine) and
    ``relative`` a fraction of the expected value; whichever is larger applies.
    ``mistakes`` are checked in order; then the generic ones: a sign error, and a
    percentage given where a fraction was asked (or the other way round).
    """

    id: str
    prompt: str
    expected: Callable[[], float]
    unit: str = ""
    tolerance: float = 0.005
    relative: float = 1e-6
    mistakes: tuple[Mistake, ...] = ()
    hint: str = ""
    kind = "number"

    def reference(self):
        return float(self.expected())

    def evaluate(self, answer) -> tuple[bool, str]:
        if _unanswered(answer):
            return False, "not answered yet: replace None with your answer."
        if not _is_number(answer):
            return False, f"the answer should be a number{' in ' + self.unit if self.unit else ''}, got {answer!r}."
        expected = self.reference()
        if _close(answer, expected, self.tolerance, self.relative):
            return True, "correct."
        for mistake in self.mistakes:
            wrong = mistake.value()
            if _close(answer, wrong, self.tolerance, self.relative) and not _close(wrong, expected, self.tolerance, self.relative):
                return False, f"not yet. {mistake.message}"
        if expected != 0 and _close(answer, -expected, self.tolerance, self.relative):
            return False, "not yet. The size is right but the sign is not: check the direction (long or short, gain or loss)."
        for factor, text in ((100, "a percentage where a fraction was asked (0.05, not 5)"),
                             (0.01, "a fraction where a percentage was asked (5, not 0.05)")):
            if expected != 0 and _close(answer, expected * factor, self.tolerance * factor, self.relative):
                return False, f"not yet. It looks like you gave {text}."
        return False, "not yet. " + (self.hint or "Check each step of the formula against the lesson.")


@dataclass(frozen=True)
class ChoiceQuestion:
    """A judgement question: pick one option (its text, or its letter a, b, c ...).

    ``options`` maps each option to the feedback for picking it; the right one's
    feedback is shown when correct, a wrong one's names the misconception.
    """

    id: str
    prompt: str
    options: dict
    answer: str
    kind = "choice"

    def __post_init__(self):
        if self.answer not in self.options:
            raise MarginInputError(f"answer must be one of the options of {self.id}, got {self.answer!r}")

    def letters(self):
        return {chr(ord("a") + i): option for i, option in enumerate(self.options)}

    def reference(self):
        return self.answer

    def evaluate(self, answer) -> tuple[bool, str]:
        if _unanswered(answer):
            return False, "not answered yet: replace None with the letter of your choice."
        if isinstance(answer, str):
            key = answer.strip()
            option = self.letters().get(key.lower()) or next(
                (o for o in self.options if o.lower() == key.lower()), None
            )
            if option is not None:
                if option == self.answer:
                    return True, f"correct. {self.options[option]}"
                return False, f"not yet. {self.options[option]}"
        allowed = ", ".join(f"'{letter}'" for letter in self.letters())
        return False, f"the answer should be one of the letters {allowed}, got {answer!r}."


@dataclass(frozen=True)
class FunctionQuestion:
    """Write a function: it is called on ``cases`` and compared with ``reference_function``.

    ``mistakes`` are alternative functions (a long's formula used for a short ...):
    if the learner's outputs match one of them on every case, its message is shown.
    """

    id: str
    prompt: str
    reference_function: Callable
    cases: tuple
    tolerance: float = 0.005
    relative: float = 1e-6
    mistakes: tuple[Mistake, ...] = ()
    hint: str = ""
    kind = "function"

    def reference(self):
        return [float(self.reference_function(*case)) for case in self.cases]

    def outputs(self, function):
        """Call the learner's function on every case; exceptions become their text."""
        results = []
        for case in self.cases:
            try:
                results.append(function(*case))
            except Exception as error:  # the learner's code: report, never crash
                results.append(f"{type(error).__name__}: {error}")
        return results

    def evaluate_outputs(self, outputs) -> tuple[bool, str]:
        expected = self.reference()
        if not isinstance(outputs, list) or len(outputs) != len(expected):
            return False, "not yet. The function could not be called on the test cases."
        if all(isinstance(o, str) and o.startswith("NotImplementedError") for o in outputs):
            return False, "not answered yet: write the function (it still raises NotImplementedError)."
        for output in outputs:
            if isinstance(output, str):
                return False, f"not yet. Your function raised {output}"
            if not _is_number(output):
                return False, f"not yet. Your function should return a number, it returned {output!r}."
        if all(_close(o, e, self.tolerance, self.relative) for o, e in zip(outputs, expected)):
            return True, f"correct on all {len(expected)} test cases."
        for mistake in self.mistakes:
            wrong = [float(mistake.value(*case)) for case in self.cases]
            if all(_close(o, w, self.tolerance, self.relative) for o, w in zip(outputs, wrong)):
                return False, f"not yet. {mistake.message}"
        passed = sum(_close(o, e, self.tolerance, self.relative) for o, e in zip(outputs, expected))
        return False, f"not yet. Right on {passed} of {len(expected)} test cases. " + (self.hint or "")

    def evaluate(self, answer) -> tuple[bool, str]:
        if _unanswered(answer):
            return False, "not answered yet: write the function."
        if not callable(answer):
            return False, f"the answer should be a function, got {answer!r}."
        return self.evaluate_outputs(self.outputs(answer))


def exercise_names() -> tuple[str, ...]:
    """The exercise notebooks that have an answer key, e.g. ``'01_initial_margin'``."""
    from . import answer_key

    return tuple(answer_key.EXERCISES)


def questions_of(name: str) -> dict:
    """The questions of exercise ``name``, by id."""
    from . import answer_key

    if name not in answer_key.EXERCISES:
        raise MarginInputError(f"exercise must be one of {', '.join(answer_key.EXERCISES)}, got {name!r}")
    module = importlib.import_module(f"margincourse.answer_key.{answer_key.EXERCISES[name]}")
    return {q.id: q for q in module.QUESTIONS}


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
            from .progress import record

            record(self.name, question_id, verdict.correct)
        return None


GRADING = "MARGINCOURSE_GRADING"  # set in the grader's sandbox, where the answer key is hidden


@dataclass
class RecordedForGrading:
    """The ``check`` of a notebook that is being graded in the sandbox: the answer key is not there.

    The grader reads each answer's value itself and judges it outside the kernel
    (:mod:`margincourse.grading`), so the notebook only needs a ``check`` that runs.
    """

    name: str

    def __call__(self, question_id, answer):
        print(f"{question_id}: handed to the grader.")


def exercise(name: str, *, record: bool = True):
    """The ``check`` function of exercise notebook ``name`` (e.g. ``"01_initial_margin"``)."""
    if os.environ.get(GRADING) == "1":
        return RecordedForGrading(name)
    return Exercise(name, record=record)
