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

Running a check cell before its answer cell would end in ``NameError: name
'answer_q1' is not defined`` and a traceback. Inside IPython, :func:`exercise` installs
a handler (:func:`explain_missing_answers`) that says instead, in one line, which cell
to run first; any other ``NameError`` keeps its usual traceback. The cell still counts
as failed, so "Run All" stops there as before.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass, field

from ..basics.errors import MarginInputError
from ..basics.questions import Verdict
from . import progress
from .variants import class_questions

__all__ = ["Exercise", "RecordedForGrading", "exercise", "GRADING", "explain_missing_answers", "missing_answer"]


@dataclass
class Exercise:
    """The ``check`` of one exercise notebook; remembers each latest verdict (see :mod:`progress`)."""

    name: str
    record: bool = True
    variant: str | None = None
    questions: dict = field(init=False)

    def __post_init__(self):
        self.questions = class_questions(self.name, self.variant)

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
        print(feedback_lines(verdict))
        if self.record:
            progress.record(self.name, question_id, verdict.correct)
        return None


FEEDBACK_WIDTH = 88  # characters: JupyterLab breaks longer output lines mid-word


def feedback_lines(verdict: Verdict) -> str:
    """What ``check`` prints: ✔ or ✘ and the verdict's message, wrapped at word boundaries to
    :data:`FEEDBACK_WIDTH` characters (a notebook's text output otherwise breaks inside a word).

    >>> print(feedback_lines(Verdict("q1", False, 0, 1, "q1: not yet. " + "a long hint " * 9)))
    ✘ q1: not yet. a long hint a long hint a long hint a long hint a long hint a long hint a
      long hint a long hint a long hint
    """
    text = ("✔ " if verdict.correct else "✘ ") + verdict.message
    return "\n".join(textwrap.fill(line, width=FEEDBACK_WIDTH, subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False) for line in text.splitlines())


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


_ANSWER = re.compile(r"answer_q\w+")
_NOT_DEFINED = re.compile(r"name '(\w+)' is not defined")


def missing_answer(error: BaseException) -> str | None:
    """The answer variable (``answer_q1`` ...) whose absence raised ``error``, or None.

    >>> missing_answer(NameError("name 'answer_q3' is not defined", name="answer_q3"))
    'answer_q3'
    >>> missing_answer(NameError("name 'pandas' is not defined", name="pandas")) is None
    True
    """
    if not isinstance(error, NameError):
        return None
    name = getattr(error, "name", None)
    if name is None:
        found = _NOT_DEFINED.search(str(error))
        name = found.group(1) if found else None
    return name if name and _ANSWER.fullmatch(name) else None


def _explain(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for a ``NameError``: one line for a missing answer, else the usual traceback."""
    name = missing_answer(value)
    if name is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    text = (f"{name} is not defined yet: write your answer in the cell above (replace None) "
            "and run that cell first.")
    shell._showtraceback(etype, value, [text])  # shown where a traceback would be (ipykernel: an error output)
    return None


def explain_missing_answers(shell=None) -> bool:
    """Make a check cell run before its answer cell say so in one line instead of a traceback.

    ``shell``: the IPython shell (default: the running one). Installs :func:`_explain` as the
    shell's handler for ``NameError`` unless another handler is installed already; returns
    whether ours is in place. Outside IPython it does nothing and returns False.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    ours = getattr(shell, "_margincourse_explains", False)
    if shell.custom_exceptions:  # ours already, or someone else's handler: leave it alone
        return ours and shell.custom_exceptions == (NameError,)
    shell.set_custom_exc((NameError,), _explain)
    shell._margincourse_explains = True
    return True


def exercise(name: str, *, record: bool = True, variant: str | None = None):
    """The ``check`` function of exercise notebook ``name`` (e.g. ``"01_initial_margin"``).

    ``variant``: the seed of an instructor's variant of the exercise (its notebooks name it, see
    :mod:`margincourse.grading.variants`): answers are judged on the variant's numbers.
    Inside IPython (not in the grader's sandbox) it also installs :func:`explain_missing_answers`.
    """
    if os.environ.get(GRADING) == "1":
        return RecordedForGrading(name)
    check = Exercise(name, record=record, variant=variant)
    explain_missing_answers()
    return check
