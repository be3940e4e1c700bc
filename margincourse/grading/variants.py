"""Per-class variants of the exercises: the same questions with other numbers, dealt from a key.

The answer keys ship with the package, so a student can read the published answers.
An instructor who grades with them picks a key (any text kept private, e.g.
``"fin305-spring"``) and runs ``margincourse make-exercises --variant KEY --out DIR``:

* every exercise gets a **seed**, :func:`variant_seed`, an HMAC-SHA256 of the exercise's
  name under the key (16 hex digits). The seed is written into the variant's notebooks,
  so a learner's ``check`` gives immediate feedback on their own numbers; the key is not,
  and without it another seed cannot be made;
* from the seed each question is dealt anew (:func:`varied_question`): a number question
  whose answer key declares a :class:`~margincourse.basics.questions.Varied` gets other
  numbers (its answer then differs from the published one: a deal that lands on the
  published answer is dealt again); a choice question shows its options in another order,
  with the right answer under another letter than in the published exercise; a function
  question stays as it is (what it asks is a formula, the same for any numbers).

The grader reads the seed from the instructor's exercise notebooks (``--exercises DIR``)
and judges each submission against that variant, never against a seed the submission
claims (:mod:`margincourse.grading.grader`).

What a variant does not do: a student who reads the package's answer key can still
compute their variant's answers with it, as they could with the course's own formulas.
A variant stops the copying of published answers, not the use of the package.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from pathlib import Path

import nbformat

from ..basics.errors import MarginInputError
from ..basics.questions import _close
from .keys import exercise_names, notebook_file, questions_of, varied_of

__all__ = ["MIN_KEY_LENGTH", "check_seed", "variant_seed", "varied_question", "scenario_questions",
           "variant_questions", "class_questions", "changes", "notebook_variant", "class_variant",
           "variant_mismatch", "check_variant_key", "check_variants_match"]

MIN_KEY_LENGTH = 4
SEED = re.compile(r"[0-9a-f]{16}")
ATTEMPTS = 64  # deals tried before giving up on a question whose every deal gives the published answer


def variant_seed(key: str, exercise: str) -> str:
    """The seed of ``exercise``'s variant under ``key``: 16 hex digits of HMAC-SHA256(key, exercise).

    >>> variant_seed("fin305-spring", "01_initial_margin") == variant_seed("fin305-spring", "01_initial_margin")
    True
    >>> variant_seed("fin305-spring", "01_initial_margin") != variant_seed("fin305-autumn", "01_initial_margin")
    True
    """
    if not isinstance(key, str) or len(key.strip()) < MIN_KEY_LENGTH:
        raise MarginInputError(f"variant (--variant) must be a key of {MIN_KEY_LENGTH} or more characters, "
                               f"e.g. 'fin305-spring', got {key!r}")
    message = f"margincourse-variant\x00{exercise}".encode("utf-8")
    return hmac.new(key.strip().encode("utf-8"), message, hashlib.sha256).hexdigest()[:16]


def check_seed(seed) -> str:
    """``seed`` if it is a variant's seed (16 lowercase hex digits), else a MarginInputError naming ``variant``."""
    if not isinstance(seed, str) or not SEED.fullmatch(seed):
        raise MarginInputError("variant must be the 16 hex digits an exercise notebook's check cell names "
                               f"(written by make-exercises --variant), got {seed!r}")
    return seed


def _pick(seed: str, question_id: str, name: str, attempt: int, count: int) -> int:
    digest = hashlib.sha256(f"{seed}\x00{question_id}\x00{name}\x00{attempt}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def _differs(question, published) -> bool:
    """Whether a dealt question's answer differs from the published one's (beyond its tolerance)."""
    if question.kind == "choice":
        return question.letter_of(question.answer) != published.letter_of(published.answer)
    if question.kind == "number":
        return not _close(question.reference(), published.reference(), published.tolerance, published.relative)
    return question.reference() != published.reference()


def _built(varied, values: dict, published):
    """``varied.build(**values)``, which must be ``published``'s question (same id, same kind)."""
    question = varied.build(**values)
    if question.id != published.id or question.kind != published.kind:
        raise MarginInputError(f"variant of {published.id} must build a {published.kind} question "
                               f"{published.id}, got a {question.kind} question {question.id}")
    return question


def varied_question(published, varied, seed: str):
    """The question ``published`` as variant ``seed`` asks it (see the module notes).

    ``varied``: the question's :class:`~margincourse.basics.questions.Varied`, or None when its
    answer key declares none (a choice question is then dealt a new order of its options).
    """
    check_seed(seed)
    if varied is None and published.kind != "choice":
        return published
    for attempt in range(ATTEMPTS):
        if varied is None:
            question = dataclasses.replace(published, shuffle=True, salt=f"\x00{seed}\x00{attempt}")
        else:
            values = {name: choices[_pick(seed, published.id, name, attempt, len(choices))]
                      for name, choices in varied.choices.items()}
            question = _built(varied, values, published)
        if _differs(question, published):
            return question
    raise MarginInputError(f"variant of {published.id}: {ATTEMPTS} deals all gave the published answer; "
                           "its choices must allow another")


def scenario_questions(published: list, varied: list, seed: str) -> list:
    """Questions about one scenario (their :class:`~margincourse.basics.questions.Varied` share a
    ``scenario`` name and its choices) as variant ``seed`` asks them: every one built from the
    same values, dealt again until every answer differs from its published one."""
    check_seed(seed)
    scenario, choices = varied[0].scenario, varied[0].choices
    for attempt in range(ATTEMPTS):
        values = {name: options[_pick(seed, f"scenario:{scenario}", name, attempt, len(options))]
                  for name, options in choices.items()}
        questions = [_built(how, values, original) for how, original in zip(varied, published)]
        if all(_differs(question, original) for question, original in zip(questions, published)):
            return questions
    raise MarginInputError(f"variant of scenario {scenario!r}: {ATTEMPTS} deals all gave a published answer; "
                           "its choices must allow another")


def _frozen(choices: dict) -> tuple:
    """``choices`` in a form two equal ones share, lists and tuples alike."""
    return tuple(sorted((name, tuple(values)) for name, values in choices.items()))


def variant_questions(published: dict, varied: dict, seed: str) -> dict:
    """Every question of an exercise (``published``, by id) as variant ``seed`` asks it.

    ``varied``: the answer key's ``VARIED``, a :class:`~margincourse.basics.questions.Varied` by
    question id (only questions whose numbers can change); questions whose Varied name one
    ``scenario`` are dealt together (:func:`scenario_questions`).
    """
    unknown = sorted(set(varied) - set(published))
    if unknown:
        raise MarginInputError(f"VARIED must name questions of the answer key, got {', '.join(unknown)}")
    alone = {qid: how for qid, how in varied.items() if not how.scenario}
    dealt = {qid: varied_question(question, alone.get(qid), seed) for qid, question in published.items()}
    scenarios = {}
    for qid, how in varied.items():
        if how.scenario:
            scenarios.setdefault(how.scenario, []).append(qid)
    for scenario, ids in scenarios.items():
        if len({_frozen(varied[qid].choices) for qid in ids}) > 1:
            raise MarginInputError(f"VARIED: the questions of scenario {scenario!r} ({', '.join(ids)}) must "
                                   "have the same choices")
        together = scenario_questions([published[qid] for qid in ids], [varied[qid] for qid in ids], seed)
        dealt.update(zip(ids, together))
    return dealt


def class_questions(name: str, seed: str | None) -> dict:
    """The questions of exercise ``name`` as variant ``seed`` deals them, by id (``None``: the
    published ones, :func:`~margincourse.grading.keys.questions_of`)."""
    if seed is None:
        return questions_of(name)
    return variant_questions(questions_of(name), varied_of(name), seed)


def changes(published: dict, variant: dict) -> dict:
    """What the variant changes, by question id: ``"numbers"``, ``"letters"`` or ``"nothing"``."""
    result = {}
    for qid, question in published.items():
        other = variant[qid]
        if other is question:
            result[qid] = "nothing"
        elif question.kind == "choice":
            result[qid] = "letters"
        else:
            result[qid] = "numbers"
    return result


# --------------------------------------------------------------------------- which variant a folder or a submission holds

def notebook_variant(notebook) -> str | None:
    """The variant seed an exercise notebook declares in its metadata (None: the published exercise)."""
    return notebook.metadata.get("margincourse", {}).get("variant")


def _class_seed(notebook) -> str | None:
    """:func:`notebook_variant` of an instructor's notebook, which must be a seed if it is there."""
    seed = notebook_variant(notebook)
    return None if seed is None else check_seed(seed)


def class_variant(exercise: str, exercises_dir: Path) -> str | None:
    """The seed of the variant the instructor's exercise notebook was made as (``make-exercises
    --variant``), or None for the published exercise. Read from ``--exercises``, never from a submission."""
    path = Path(exercises_dir) / notebook_file(exercise)
    return _class_seed(nbformat.read(path, as_version=4)) if path.is_file() else None


_SUBMITTED_VARIANT = re.compile(r"""mc\.exercise\(\s*["'][\w]+["']\s*,\s*variant\s*=\s*["']([0-9a-f]{16})["']""")


def variant_mismatch(notebook, exercise: str, variant: str | None) -> str:
    """A warning when the submission was made from another version of the exercise than the class's
    (the published one, or another variant): its numbers differ, so answers may be judged wrong."""
    claimed = notebook_variant(notebook)
    for cell in notebook.cells:
        found = _SUBMITTED_VARIANT.search(cell.source) if cell.cell_type == "code" else None
        if found:
            claimed = found.group(1)
            break
    if claimed == variant:
        return ""
    made = f"variant {claimed}" if claimed else "the published exercise"
    wanted = f"the class's variant {variant}" if variant else "the published exercise (--exercises holds no variant)"
    return f"warning: made from {made} of {exercise}, graded against {wanted}: its numbers may differ"


def check_variant_key(key: str, exercises_dir) -> None:
    """Refuse ``--variant KEY`` when an exercise notebook in ``--exercises`` is not that key's variant."""
    folder = Path(exercises_dir)
    for name in exercise_names():
        if not (folder / notebook_file(name)).is_file():
            continue
        seed = variant_seed(key, name)
        found = class_variant(name, folder)
        if found != seed:
            made = f"variant {found}" if found else "the published exercise"
            raise MarginInputError(f"variant (--variant) must be the key --exercises was made with: "
                                   f"{folder / notebook_file(name)} is {made}, this key's is {seed}")


def check_variants_match(exercises_dir) -> None:
    """Refuse an ``--exercises`` variant that this version of the package deals otherwise.

    A variant is dealt again from its seed wherever it is checked or graded; a later version of
    the answer keys may deal other numbers for the same seed. Each variant notebook shows the
    prompts and option lists it was made with: every one the variant changes must still be there,
    else the students' right answers would be judged against numbers they never saw.
    """
    folder = Path(exercises_dir)
    for name in exercise_names():
        path = folder / notebook_file(name)
        notebook = nbformat.read(path, as_version=4) if path.is_file() else None
        seed = None if notebook is None else _class_seed(notebook)
        if seed is None:
            continue
        shown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
        published, variant = questions_of(name), class_questions(name, seed)
        drifted = [qid for qid, change in changes(published, variant).items()
                   if (change == "letters" and variant[qid].options_markdown() not in shown)
                   or (change == "numbers" and variant[qid].prompt not in shown)]
        if drifted:
            made_by = notebook.metadata.get("margincourse", {}).get("made_by", "an earlier version")
            raise MarginInputError(
                f"exercises (--exercises): {path} was made by margincourse {made_by}, which dealt variant {seed} "
                f"otherwise than this version does ({', '.join(drifted)} differ): grade with the version that "
                "made it (pip install margincourse==VERSION), so that answers are judged on the numbers students saw")
