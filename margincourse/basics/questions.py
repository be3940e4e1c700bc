"""The question types of the course: one number, one choice, or a function to write.

The lessons' "check your understanding" questions and the exercises' answer keys
are built from the same types, so a question is judged the same way wherever it
is asked. Each question judges an answer with :meth:`evaluate`, which returns
``(correct, text)``: the text names the likely mistake when the answer is wrong,
never the expected value.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import MarginInputError

__all__ = ["Mistake", "NumberQuestion", "ChoiceQuestion", "FunctionQuestion", "Raised", "Varied", "Verdict",
           "without_verdict"]


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
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (np.integer, np.floating)):
        return math.isfinite(float(value))
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
        for factor in (100, 0.01):
            if expected != 0 and _close(answer, expected * factor, self.tolerance * factor, self.relative):
                return False, f"not yet. {self._off_by_a_hundred(factor)}"
        return False, "not yet. " + (self.hint or "Check each step of the formula against the lesson.")

    def _off_by_a_hundred(self, factor) -> str:
        """What an answer ``factor`` (100 or 0.01) times the right one probably means, by the unit
        asked: ``"%"`` a fraction given for a percentage, or a percentage multiplied by 100 twice;
        ``""`` (a fraction, e.g. a return on margin, or a count) a percentage given for a fraction;
        an amount (USDT, BTC ...) a rate in percent used as a number (0.05 % is 0.0005)."""
        if self.unit == "%":
            return ("It looks like you gave a fraction where a percentage was asked (5, not 0.05)." if factor < 1 else
                    "Your answer is 100 times too large: was the percentage multiplied by 100 twice?")
        if self.unit == "" and factor > 1:
            return "It looks like you gave a percentage where a fraction was asked (0.05, not 5)."
        if factor > 1:
            return ("Your answer is 100 times too large: was a rate in percent used as it is written? "
                    "0.05 % is 0.0005 as a number.")
        return "Your answer is 100 times too small: was a number divided by 100 once too often?"


#: A verdict an explanation may start with ("Right: ...", "Yes. ..."): the check says it already.
_VERDICT = re.compile(r"^\s*(?:right|yes|correct|exactly)\s*[:.,;!]\s*", re.IGNORECASE)


def without_verdict(explanation: str) -> str:
    """The explanation of a right answer without a verdict of its own at the start.

    The check already says "Right." (lessons) or "correct." (exercises), so an explanation
    written as "Right: 20 x 2 % = 40 %" would say it twice. A plain first word is
    capitalised again; a name such as ``cum_3`` is left as written.

    >>> without_verdict("Right: the wallet covers the whole notional.")
    'The wallet covers the whole notional.'
    >>> without_verdict("Right: cum_3 = cum_2 + 600,000 x (0.65 % - 0.5 %)")
    'cum_3 = cum_2 + 600,000 x (0.65 % - 0.5 %)'
    >>> without_verdict("Rightly so, because ...")
    'Rightly so, because ...'
    """
    rest = _VERDICT.sub("", explanation, count=1)
    if rest != explanation and re.match(r"[a-z]+(?![\w])", rest):
        rest = rest[0].upper() + rest[1:]
    return rest


#: Mixed into every shuffle: changing it deals every shuffled question's options anew. With this
#: one the lessons' right answers are spread over the positions (tests/course/test_question_bank.py
#: checks that no position holds half of them).
SHUFFLE_SALT = "margincourse"


def _shuffle_key(prompt: str, option: str, salt: str = "") -> bytes:
    """A position for ``option`` that depends on the question (and ``salt``) only, never on Python's
    salted ``hash``."""
    return hashlib.sha256(f"{SHUFFLE_SALT}{salt}\x00{prompt}\x00{option}".encode("utf-8")).digest()


@dataclass(frozen=True)
class ChoiceQuestion:
    """A judgement question: pick one option (its text, or its letter a, b, c ...).

    ``options`` maps each option to the feedback for picking it; the right one's
    feedback is shown when correct, a wrong one's names the misconception. A verdict
    at the start of the right one's feedback ("Right: ...") is dropped once, here
    (:func:`without_verdict`): the check says it already.

    ``shuffle``: show the options in a fixed shuffled order instead of the order they are
    written in, so that the right answer is not always first. The order is derived from
    the prompt and the option texts (SHA-256, with :data:`SHUFFLE_SALT`), so it is the same on every
    run and machine. ``salt`` deals a different order (an instructor's variant of an exercise,
    :mod:`margincourse.grading.variants`); with the default ``""`` the order is the published one.
    :meth:`shown_options` is that order, and the letters follow it: with ``shuffle=True``
    letter ``"a"`` is the first option *shown*, not the first one written. The lessons'
    "check your understanding" questions shuffle
    (:class:`margincourse.course.widgets.Question` adds the widget; they have no
    ``id``, ``""``); the exercises' answer keys opt in per question.
    """

    id: str
    prompt: str
    options: dict
    answer: str
    shuffle: bool = False
    salt: str = ""
    kind = "choice"

    def __post_init__(self):
        if self.answer not in self.options:
            where = f" of {self.id}" if self.id else ""
            raise MarginInputError(f"answer must be one of the options{where}, got {self.answer!r}")
        options = dict(self.options)
        options[self.answer] = without_verdict(options[self.answer])
        object.__setattr__(self, "options", options)

    def shown_options(self) -> list:
        """The options in the order a learner sees them (see ``shuffle``)."""
        if not self.shuffle:
            return list(self.options)
        return sorted(self.options, key=lambda option: _shuffle_key(self.prompt, option, self.salt))

    def letters(self):
        """``{"a": option, "b": ...}`` in the shown order."""
        return {chr(ord("a") + i): option for i, option in enumerate(self.shown_options())}

    def letter_of(self, option) -> str:
        """The letter ``option`` is shown with."""
        return chr(ord("a") + self.shown_options().index(option))

    def options_markdown(self) -> str:
        """The options as a Markdown list in the shown order, e.g. ``- **a**: ...`` (for an exercise's text)."""
        return "\n".join(f"- **{letter}**: {option}" for letter, option in self.letters().items())

    def reference(self):
        return self.answer

    def judge(self, option) -> tuple[bool, str]:
        """Whether ``option`` (one of the options, exactly as written) is the answer, and its feedback."""
        return option == self.answer, self.options[option]

    def evaluate(self, answer) -> tuple[bool, str]:
        if _unanswered(answer):
            return False, "not answered yet: replace None with the letter of your choice."
        if isinstance(answer, str):
            key = answer.strip()
            option = self.letters().get(key.lower()) or next(
                (o for o in self.options if o.lower() == key.lower()), None
            )
            if option is not None:
                correct, feedback = self.judge(option)
                return correct, f"{'correct' if correct else 'not yet'}. {feedback}".rstrip()
        allowed = ", ".join(f"'{letter}'" for letter in self.letters())
        return False, f"the answer should be one of the letters {allowed}, got {answer!r}."


@dataclass(frozen=True)
class Raised:
    """What a learner's function did instead of returning: it raised, ``text`` says what
    (``"ValueError: x must not be negative"``). Kept apart from a returned string, which is
    a wrong answer of its own."""

    text: str

    @classmethod
    def of(cls, error: BaseException) -> "Raised":
        return cls(f"{type(error).__name__}: {error}")


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
        """Call the learner's function on every case: what it returned, or :class:`Raised`."""
        results = []
        for case in self.cases:
            try:
                results.append(function(*case))
            except Exception as error:  # the learner's code: report, never crash
                results.append(Raised.of(error))
        return results

    def evaluate_outputs(self, outputs) -> tuple[bool, str]:
        """Judge what the learner's function gave on each case (see :meth:`outputs`)."""
        expected = self.reference()
        if not isinstance(outputs, list) or len(outputs) != len(expected):
            return False, "not yet. The function could not be called on the test cases."
        if all(isinstance(o, Raised) and o.text.startswith("NotImplementedError") for o in outputs):
            return False, "not answered yet: write the function (it still raises NotImplementedError)."
        for output in outputs:
            if isinstance(output, Raised):
                return False, f"not yet. Your function raised {output.text}"
            if not _is_number(output):
                return False, f"not yet. Your function should return a number, it returned {output!r}."
        if all(_close(o, e, self.tolerance, self.relative) for o, e in zip(outputs, expected)):
            return True, f"correct on all {len(expected)} test cases."
        for mistake in self.mistakes:
            wrong = [float(mistake.value(*case)) for case in self.cases]
            if all(_close(o, w, self.tolerance, self.relative) for o, w in zip(outputs, wrong)):
                return False, f"not yet. {mistake.message}"
        passed = sum(_close(o, e, self.tolerance, self.relative) for o, e in zip(outputs, expected))
        return False, f"not yet. Right on {passed} of {len(expected)} test cases." + (f" {self.hint}" if self.hint else "")

    def evaluate(self, answer) -> tuple[bool, str]:
        if _unanswered(answer):
            return False, "not answered yet: write the function."
        if not callable(answer):
            return False, f"the answer should be a function, got {answer!r}."
        return self.evaluate_outputs(self.outputs(answer))


@dataclass(frozen=True)
class Varied:
    """How an instructor's variant of an exercise changes the numbers of one question.

    ``build(**values)`` makes the question; called with no argument it makes the published
    one (its defaults are the published numbers), which is what ``QUESTIONS`` holds.
    ``choices`` names, for each argument of ``build``, the values a variant picks from; the
    published value must not be among them, so every varied number differs from the
    published question's. A variant that happens to land on the published answer is dealt
    again (:func:`margincourse.grading.variants.varied_question`).

    ``scenario``: a name shared by questions about one position (q2's short and q3's "the short
    in q2"): they are dealt the same values, so their choices must be the same.

    >>> def q1(balance=1_000, leverage=20):
    ...     return NumberQuestion(id="q1", prompt=f"{balance:,} USDT at {leverage}x: margin of 0.1 BTC at 60,000?",
    ...                           expected=lambda: 0.1 * 60_000 / leverage)
    >>> Varied(q1, {"balance": (2_000, 5_000), "leverage": (10, 25)}).build(leverage=10).reference()
    600.0
    """

    build: Callable[..., Any]
    choices: dict
    scenario: str = ""

    def __post_init__(self):
        import inspect

        defaults = {name: p.default for name, p in inspect.signature(self.build).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        for name, values in self.choices.items():
            if name not in defaults:
                raise MarginInputError(f"choices must name arguments of {self.build.__name__} with a default "
                                       f"(the published value), got {name!r}")
            if len(values) < 2 or defaults[name] in values:
                raise MarginInputError(f"choices[{name!r}] of {self.build.__name__} must hold two or more values "
                                       f"other than the published {defaults[name]!r}, got {tuple(values)!r}")
