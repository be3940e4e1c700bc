"""Grade a class's exercise submissions into a gradebook, without trusting the students' code.

``margincourse grade SUBMISSION... --out gradebook.csv`` runs this. For each
submission (a notebook, or every ``.ipynb`` in a folder):

1. The notebook is copied into an empty temporary folder and executed there, cell
   by cell, in a fresh kernel. The original file is only read.
2. After each check cell (``check("q1", <answer>)``) the grader asks the kernel for
   the *value* of ``<answer>`` (for a function question: the function's results on
   the test cases) and nothing else. Verdicts printed in the notebook are ignored.
3. Each value is judged in the grader's own process against the answer key
   (:mod:`margincourse.grading.answer_key`), which the kernel cannot change: redefining
   ``check``, patching ``margincourse`` inside the kernel, printing fake success or
   editing the notebook's metadata changes nothing. Points per question come from
   the instructor's exercise notebook, not from the submission.
4. Code that reaches for the answer key or the solutions (names such as
   ``answer_key`` or ``reference_function``, strings naming ``solutions/``, the
   grader's own markers) is not graded: the submission gets 0 and says why.

5. Where the machine allows it (``bwrap``, :mod:`margincourse.grading.sandbox`), the kernel runs in
   a sandbox: no network, a read-only system without home folders, the course's
   solutions or the answer key's questions, only its own temporary folder writable, a
   memory limit, a clean environment.
   The static check in 4. is then a second line, not the only one.

Cells tagged ``grader-skip`` (the progress chart at the end of each exercise) are
not run. Limits: a per-cell time limit (an endless loop costs that cell, the kernel is
interrupted and the rest still runs), a per-submission time limit, and a cap on
the output kept per cell. A broken, empty or non-notebook file gets a row with
its status; it never stops the batch. Submissions run in parallel (``jobs``).
Each result is committed to the gradebook database as it finishes
(:mod:`margincourse.grading.gradebook`); a rerun grades only what changed (:func:`plan`), and
the CSV is written from the database, atomically and sorted, so a re-run gives the same file.
Who handed in what, and when, is :mod:`margincourse.grading.students`.

:func:`grade_one` is a pipeline of steps, each a function of its own that can be called and
tested alone: :func:`load` (read the file, tell its exercise) -> :func:`screen` (the static
check of 4.) -> :func:`run_in_kernel` (1., calling :func:`probe` for each answer, 2.) ->
:func:`score` (3.) -> :func:`feedback_lines`. :func:`grade` runs it on every submission, then
writes the gradebook (:func:`gradebook_csv`) and the feedback files (:func:`write_feedback`).
"""

from __future__ import annotations

import ast
import csv
import functools
import hashlib
import io
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..basics.errors import MarginInputError
from ..basics.files import write_atomically, write_if_changed
from ..basics.questions import Raised
from . import gradebook as books
from . import running
from . import sandbox as sandboxing
from .feedback_html import write_feedback_html
from . import students as who
from .answer_key import EXERCISES
from .keys import exercise_names, notebook_file, questions_of
from .variants import check_variant_key, check_variants_match, class_questions, class_variant, variant_mismatch
from .running import (GRADER_SKIP, MARKER, STATUSES, Answer, CappedClient, Limits, Run, check_calls,  # noqa: F401
                      die_with_parent, probe, probe_code, read_probe, remove_stale_folders, run_in_kernel)

# Names that reach for the answers: functions and attributes anywhere in a cell (no learner names a
# variable so); the package's modules only where a cell imports them or reaches into ``margincourse``
FORBIDDEN_NAMES = {"answer_key", "reference_function", "questions_of", "MARKER", "class_questions",
                   "variant_questions", "varied_question", "varied_of", "scenario_questions"}
FORBIDDEN_ATTRIBUTES = {"reference", "expected", "grading", "variants"}  # check.questions[...].reference()
FORBIDDEN_MODULES = {"grading", "variants", "answer_key", "keys"}
FORBIDDEN_STRINGS = ("solutions", "answer_key", MARKER)
ANSWER_SHOWN = 200  # characters of an answer's repr kept in the gradebook


@dataclass
class Result:
    """One submission's grade. ``answers``: one dict per question with the gradebook's ``answers``
    columns (points, max_points, correct, mistake, answer, hint, verdict); ``skipped``: taken from
    the gradebook unchanged instead of graded again (see :func:`grade`)."""

    submission: str
    student: str = ""
    exercise: str = ""
    status: str = "graded"
    reason: str = ""
    points: dict = field(default_factory=dict)
    max_points: dict = field(default_factory=dict)
    feedback: list = field(default_factory=list)
    seconds: float = 0.0
    answers: list = field(default_factory=list)
    skipped: bool = False

    @property
    def total(self):
        return sum(self.points.values())

    @property
    def maximum(self):
        return sum(self.max_points.values())


class NotGradable(Exception):
    """A submission that cannot be graded at all; ``status`` and ``reason`` go into its gradebook row."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


# --------------------------------------------------------------------------- reading notebooks

def load(submission: Path):
    """Step 1, load: ``(notebook, exercise)`` of a submission file, or :class:`NotGradable` saying why not.

    The file is only read. Its exercise comes from its metadata, else its name
    (:func:`identify_exercise`).
    """
    try:
        notebook = nbformat.read(submission, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # not JSON, not a notebook, unreadable: a row, not a crash
        raise NotGradable("not a notebook", f"{type(error).__name__}: {str(error)[:120]}") from None
    try:
        return notebook, identify_exercise(notebook, Path(submission))
    except MarginInputError as error:
        raise NotGradable("error", str(error)) from None


def screen(notebook) -> list[str]:
    """Step 2, screen: why the code cells look like they read the answer key or the solutions (empty if not).

    A static check of the source (names, imports, strings), made before anything runs; a
    flagged submission is not run at all.
    """
    reasons = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if name in FORBIDDEN_NAMES or (isinstance(node, ast.Attribute) and name in FORBIDDEN_ATTRIBUTES):
                reasons.append(f"cell {number} uses '{name}'")
            if isinstance(node, ast.alias) and any(part in FORBIDDEN_NAMES | FORBIDDEN_MODULES
                                                   for part in node.name.split(".")):
                reasons.append(f"cell {number} imports '{node.name}'")
            if isinstance(node, ast.ImportFrom) and node.module and any(
                    part in FORBIDDEN_MODULES for part in node.module.split(".")):
                reasons.append(f"cell {number} imports from '{node.module}'")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if any(word in node.value for word in FORBIDDEN_STRINGS):
                    reasons.append(f"cell {number} names the solutions or the answer key")
    return sorted(set(reasons))


def instructor_points(exercise: str, exercises_dir: Path) -> dict:
    """Points per question, from the instructor's exercise notebook (never the submission's)."""
    path = Path(exercises_dir) / notebook_file(exercise)
    questions = questions_of(exercise)
    points = {qid: 1.0 for qid in questions}
    if path.exists():
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            meta = cell.metadata.get("margincourse", {})
            if meta.get("question") in points:
                points[meta["question"]] = float(meta.get("points", 1))
    return points


def identify_exercise(notebook, path: Path) -> str:
    """Which exercise a submission answers: its metadata, else its file name."""
    names = exercise_names()
    declared = notebook.metadata.get("margincourse", {}).get("exercise")
    if declared in names:
        return declared
    for name in names:
        if name in path.name:
            return name
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for name in names:
                if name in cell.source:
                    return name
    raise MarginInputError(f"exercise must be one of {', '.join(names)}: could not tell which from {path.name}")


class _Shown:
    """A value the kernel could only describe: judged as not a number, shown by its description."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return self.text


def function_outputs(value):
    """A function answer's outputs as :func:`probe_code` sent them, back in the question's
    terms: an exception's text (the only bare strings) becomes :class:`Raised`, a described
    value (``{"repr": ...}``, ``{"callable": True}``) shows as what was returned."""
    if not isinstance(value, list):
        return value  # evaluate_outputs refuses it
    return [Raised(o) if isinstance(o, str) else _Shown(o.get("repr", "a function")) if isinstance(o, dict) else o
            for o in value]


def judge(question, answer: Answer) -> tuple[bool, str]:
    """``(correct, text)`` for one answer read from the kernel, by the question of the answer key."""
    if not answer.found:
        return False, "no answer could be read (the cell failed or timed out)."
    value = answer.value
    if question.kind == "function":
        if value is None:
            return question.evaluate(None)
        return question.evaluate_outputs(function_outputs(value))
    if isinstance(value, dict):
        return False, f"the answer should be a {'number' if question.kind == 'number' else 'choice'}, got {value.get('repr', 'a function')}."
    return question.evaluate(value)


def named_mistake(question, correct: bool, verdict: str) -> str:
    """The misconception a wrong answer's verdict names ('' when right, unanswered or plainly wrong).

    Named are: a mistake of the answer key (:class:`margincourse.basics.questions.Mistake`), a wrong
    option's feedback in a choice question, and the generic sign and percentage slips.
    """
    prefix = "not yet. "
    if correct or not verdict.startswith(prefix):
        return ""
    said = verdict[len(prefix):]
    named = [m.message for m in getattr(question, "mistakes", ())]
    if question.kind == "choice":
        named += [text for option, text in question.options.items() if option != question.answer]
    if said in named or said.startswith(("The size is right but the sign", "It looks like you gave")):
        return said
    return ""


def _shown(answer: Answer) -> str:
    """An answer as the gradebook keeps it: its repr, cut to :data:`ANSWER_SHOWN` characters ('' if none read)."""
    if not answer.found:
        return ""
    value = answer.value
    if isinstance(value, dict):
        text = value.get("repr", "a function")
    elif isinstance(value, list):
        text = repr(function_outputs(value))
    else:
        text = repr(value)
    return text[:ANSWER_SHOWN]


def score_details(questions: dict, max_points: dict, answers: dict) -> tuple[dict, dict, list]:
    """:func:`score`, plus one gradebook row per question (points, max_points, correct, mistake,
    answer, hint, verdict: the ``answers`` columns of :mod:`margincourse.grading.gradebook`)."""
    points = {qid: 0.0 for qid in questions}
    verdicts = {qid: "not answered (no check cell found)." for qid in questions}
    rows = {qid: {"question": qid, "correct": 0, "mistake": "", "answer": ""} for qid in questions}
    for qid, answer in answers.items():
        try:
            correct, text = judge(questions[qid], answer)
        except Exception as error:  # a value no question expects (an int too big for a float): this answer only
            correct, text = False, f"could not check this answer ({type(error).__name__}: {str(error)[:120]})."
        rows[qid].update(correct=int(correct), mistake=named_mistake(questions[qid], correct, text),
                         answer=_shown(answer))
        if answer.by_name:
            text += f" (read from answer_{qid}; its check cell was missing)"
        verdicts[qid] = text
        points[qid] = max_points[qid] if correct else 0.0
    for qid, row in rows.items():
        row.update(points=points[qid], max_points=max_points[qid], verdict=verdicts[qid],
                   hint=getattr(questions[qid], "hint", "") or "")
    return points, verdicts, list(rows.values())


def score(questions: dict, max_points: dict, answers: dict) -> tuple[dict, dict]:
    """Step 5, score: ``(points, verdicts)`` per question, judged in the grader's own process.

    ``answers`` maps question ids to what :func:`probe` read. A right answer earns the
    question's ``max_points``; a wrong one, an unreadable one or none at all earns 0, and the
    verdict says which (naming the likely mistake, never the expected value).
    """
    points, verdicts, _ = score_details(questions, max_points, answers)
    return points, verdicts


def feedback_lines(questions, points: dict, max_points: dict, verdicts: dict) -> list[str]:
    """Step 6, feedback: one line per question, in the exercise's order: points out of the maximum, then the verdict."""
    return [f"{qid}: {points[qid]:g}/{max_points[qid]:g} points. {verdicts[qid]}" for qid in questions]


def question_mismatch(notebook, questions: dict) -> str:
    """A warning when the submission's check cells name questions the exercise does not have (an
    older or another version of the exercise), or none of its questions; '' when they match."""
    named = {qid for cell in notebook.cells if cell.cell_type == "code" for qid, _ in check_calls(cell.source)}
    unknown = sorted(named - set(questions))
    if unknown:
        return (f"warning: the questions do not match the exercise set: {', '.join(unknown)} "
                f"{'is' if len(unknown) == 1 else 'are'} not in it (an older version of the exercise?)")
    if named.isdisjoint(questions) and any(cell.cell_type == "code" for cell in notebook.cells):
        return "warning: the questions do not match the exercise set: no check cell names one of its questions"
    return ""


def grade_one(submission, exercises_dir, cell_timeout=30, total_timeout=300, max_output_bytes=100_000,
              sandbox=False, memory_mb=None, student=None) -> Result:
    """Grade one submission (see the module notes); never raises.

    The steps: :func:`load`, :func:`screen`, :func:`run_in_kernel` (which probes the answers),
    :func:`score`, :func:`feedback_lines`. With ``sandbox`` the kernel runs under
    :mod:`margincourse.grading.sandbox` (no network, a read-only system, only its own folder
    writable, ``memory_mb`` MiB of memory at most, default
    :data:`margincourse.grading.sandbox.DEFAULT_MEMORY_MB`). ``student``: whose it is (default the
    file's name; :mod:`margincourse.grading.students` tells it from the folder layout).
    """
    submission = Path(submission)
    start = time.perf_counter()
    # The student comes from the file's place and name, never from what the notebook says about itself
    # (a submission could claim a classmate's name and overwrite their row's feedback).
    result = Result(submission=str(submission), student=student or submission.stem)
    try:
        notebook, result.exercise = load(submission)
    except NotGradable as refusal:
        result.status, result.reason = refusal.status, refusal.reason
        return result
    variant = class_variant(result.exercise, exercises_dir)
    questions = class_questions(result.exercise, variant)
    result.max_points = instructor_points(result.exercise, exercises_dir)
    result.points = {qid: 0.0 for qid in questions}
    flags = screen(notebook)
    if flags:
        result.reason = "not graded: answers must not come from the answer key or the solutions (" + "; ".join(flags) + ")"
        result.feedback = [f"{qid}: 0 points. {result.reason}" for qid in questions]
        result.answers = [{"question": q, "points": 0.0, "max_points": result.max_points[q], "correct": 0,
                           "mistake": "", "answer": "", "hint": "", "verdict": result.reason} for q in questions]
    else:
        run = run_in_kernel(submission, questions, Limits(cell_timeout, total_timeout, max_output_bytes),
                            sandbox=sandbox, memory_mb=memory_mb, start=start)
        result.status, result.reason = run.status, run.reason
        result.points, verdicts, result.answers = score_details(questions, result.max_points, run.answers)
        result.feedback = feedback_lines(questions, result.points, result.max_points, verdicts)
    warnings = [question_mismatch(notebook, questions), variant_mismatch(notebook, result.exercise, variant)]
    if not (Path(exercises_dir) / notebook_file(result.exercise)).is_file():
        warnings.append(f"warning: --exercises has no {notebook_file(result.exercise)}: each question counted 1 point")
    result.reason = "; ".join(text for text in (result.reason, *warnings) if text)
    result.seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- the batch

def find_submissions(paths) -> list[Path]:
    """Files as given, and every ``.ipynb`` inside given folders (sorted, no checkpoints)."""
    return [submission.path for submission in who.find(paths)]


def check_exercises_dir(exercises_dir) -> Path:
    """The instructor's exercises folder, refused (naming ``--exercises``) when it is not a folder or
    holds none of the exercise notebooks: points would silently fall back to 1 per question."""
    folder = Path(exercises_dir)
    first = notebook_file(exercise_names()[0])
    if not folder.is_dir():
        raise MarginInputError(f"exercises (--exercises) must be the folder of your exercise notebooks "
                               f"({first} ...), got {str(folder)!r}, which is not a folder")
    if not any((folder / notebook_file(name)).is_file() for name in exercise_names()):
        raise MarginInputError(f"exercises (--exercises) must be the folder of your exercise notebooks "
                               f"({first} ...), got {str(folder)!r}, which holds none of them")
    return folder


def exercises_hash(exercise: str, exercises_dir) -> str:
    """SHA-256 of what a grade of ``exercise`` depends on besides the submission: its answer key's
    module and the instructor's exercise notebook (its points). A change to either regrades."""
    if exercise not in EXERCISES:
        return ""
    digest = hashlib.sha256()
    key = Path(__file__).resolve().parent / "answer_key" / f"{EXERCISES[exercise]}.py"
    for path in (key, Path(exercises_dir) / notebook_file(exercise)):
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"") + b"\0")
    return digest.hexdigest()


def exercise_of(path: Path) -> str:
    """The exercise a file answers ('' when it cannot be read or told), without running it."""
    try:
        return identify_exercise(nbformat.read(path, as_version=4), Path(path))
    except Exception:  # not a notebook, no exercise: grade_one records why
        return ""


@dataclass
class Job:
    """One submission of a batch: its :class:`~margincourse.grading.students.Submission`, its exercise,
    the hashes that say whether it changed, what the gradebook holds of it, and a warning for its row."""

    submission: who.Submission
    exercise: str
    content_sha256: str
    exercises_hash: str
    previous: dict | None = None
    skip: bool = False
    note: str = ""


def plan(connection, found, exercises_dir, regrade=False) -> list[Job]:
    """What to grade: one :class:`Job` per file, ``skip`` set where the gradebook already holds this
    student's grade of the same content (SHA-256) against the same exercise set (``regrade``: never
    skip). Of two files for one student and exercise only the newest is kept, with a warning."""
    jobs = []
    for submission in found:
        sha = hashlib.sha256(submission.path.read_bytes()).hexdigest()
        previous = books.previous(connection, submission.path)
        if (not regrade and previous and previous["content_sha256"] == sha and previous["student"] == submission.student
                and previous["exercises_hash"] == exercises_hash(previous["exercise"], exercises_dir)):
            jobs.append(Job(submission, previous["exercise"], sha, previous["exercises_hash"], previous, skip=True))
            continue
        exercise = exercise_of(submission.path)
        jobs.append(Job(submission, exercise, sha, exercises_hash(exercise, exercises_dir), previous))
    newest = {}
    for job in jobs:
        if job.exercise:
            newest.setdefault((job.submission.student, job.exercise), []).append(job)
    for group in newest.values():
        if len(group) > 1:
            group.sort(key=lambda j: (j.submission.submitted_at, str(j.submission.path)))
            kept, older = group[-1], group[:-1]
            kept.note = (f"warning: {len(group)} files for this student and exercise, the newest graded, not "
                         + ", ".join(str(j.submission.path) for j in older))
            kept.skip = kept.skip and kept.note in kept.previous["reason"]  # a new older file: its row is redone
            jobs = [j for j in jobs if j not in older]
    return jobs


def _row(job: Job, result: Result, exercises_dir, due, late_penalty: float) -> dict:
    """The gradebook's ``submissions`` row of a graded job."""
    late_days, penalty = who.lateness(job.submission.submitted_at, due, late_penalty)
    return {"student": result.student, "exercise": result.exercise, "submission_path": str(job.submission.path),
            "content_sha256": job.content_sha256, "exercises_hash": exercises_hash(result.exercise, exercises_dir),
            "status": result.status, "reason": result.reason, "total": result.total, "max": result.maximum,
            "submitted_at": job.submission.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "late_days": late_days,
            "penalty": penalty, "final": result.total * (1 - penalty), "seconds": round(result.seconds, 3)}


def _from_book(connection, job: Job, due, late_penalty: float) -> Result:
    """The :class:`Result` the gradebook holds for a skipped job (its lateness brought up to date)."""
    row = job.previous
    late_days, penalty = who.lateness(job.submission.submitted_at, due, late_penalty)
    books.update_lateness(connection, row["student"], row["exercise"], row["submission_path"], late_days, penalty)
    answers = books.answers_of(connection, row["student"], row["exercise"])
    return Result(submission=row["submission_path"], student=row["student"], exercise=row["exercise"],
                  status=row["status"], reason=row["reason"], seconds=row["seconds"], answers=answers, skipped=True,
                  points={a["question"]: a["points"] for a in answers},
                  max_points={a["question"]: a["max_points"] for a in answers},
                  feedback=[f"{a['question']}: {a['points']:g}/{a['max_points']:g} points. {a['verdict']}"
                            for a in answers])


# Workers are the grader's own children (what _worker_start checks): forked where the platform can,
# never through Python 3.14's default forkserver, whose workers are the server's children.
_WORKER_START = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _worker_start(grader_pid: int) -> None:
    """Each grading worker dies with the grader (SIGKILL included), and so do its kernels (theirs too)."""
    die_with_parent(grader_pid)


def _grade_all(connection, jobs, exercises_dir, limits: Limits, use_sandbox, memory_mb, workers, progress, due,
               late_penalty, runner=None) -> list[Result]:
    """Grade the jobs not skipped (:func:`run_locally` in ``workers`` processes, or ``runner``, see
    :func:`grade`), committing each result to the gradebook as it arrives; the results of all jobs
    (skipped ones read back from the gradebook)."""
    skipped = [job for job in jobs if job.skip]
    results = [_from_book(connection, job, due, late_penalty) for job in skipped]
    pending = [job for job in jobs if not job.skip]
    if progress:
        _show_progress(len(skipped), len(jobs), len(skipped))
    if not pending:
        return results

    def arrived(job, result):
        result.reason = "; ".join(text for text in (result.reason, job.note) if text)
        books.record(connection, _row(job, result, exercises_dir, due, late_penalty), result.answers)
        results.append(result)
        if progress:
            _show_progress(len(results), len(jobs), len(skipped))

    # a lost submission (its worker died) is reported, not recorded: a rerun grades it again
    run = runner or functools.partial(run_locally, workers)
    run(pending, exercises_dir, limits, use_sandbox, memory_mb, arrived, results.append)
    return results


def run_locally(workers: int, jobs, exercises_dir, limits: Limits, sandbox: bool, memory_mb, arrived, lost) -> None:
    """Grade ``jobs`` (:class:`Job`) in ``workers`` processes of this machine, each dying with the grader
    (:func:`_worker_start`); ``arrived(job, result)`` for each result as it comes, ``lost(result)`` for a
    submission whose worker died (out of memory, killed). The default runner of :func:`grade`."""
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_worker_start,
                             initargs=(os.getpid(),), mp_context=_WORKER_START) as pool:
        futures = {pool.submit(grade_one, job.submission.path, exercises_dir, limits.cell_timeout,
                               limits.total_timeout, limits.max_output_bytes, sandbox, memory_mb,
                               job.submission.student): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # the worker died: not recorded, a rerun retries
                lost(Result(str(job.submission.path), job.submission.student, job.exercise, "error",
                            f"not recorded, rerun to grade it: the grading process failed "
                            f"({type(error).__name__}: {str(error)[:120]})"))
                continue
            arrived(job, result)


def _settings(sandbox, memory_mb, progress, late_penalty):
    """``(use_sandbox, memory_mb)``, checked, with the sandbox's line said on stderr."""
    use_sandbox, why_not = resolve_sandbox(sandbox)
    memory_mb = sandboxing.DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or not 1024 <= memory_mb <= 1_048_576:
        raise MarginInputError(f"memory_mb must be a whole number of MiB between 1,024 and 1,048,576 (a kernel "
                               f"needs about 1 GiB), got {memory_mb!r}")
    if not 0 <= late_penalty <= 1:
        raise MarginInputError(f"late_penalty must be a fraction of the points per day between 0 and 1, "
                               f"got {late_penalty!r}")
    if not use_sandbox:  # said even when progress is off: nobody should miss it
        print(f"WARNING: kernels run WITHOUT a sandbox ({why_not}); students' code runs with your rights",
              file=sys.stderr)
    elif progress:
        print("kernels run in a sandbox: no network, read-only system, no privileges, only their own folder "
              f"writable, {memory_mb:,} MiB of memory", file=sys.stderr)
    return use_sandbox, memory_mb


def _finish(connection, results, roster, overrides, exercises_dir) -> None:
    """After grading: the roster and its ``missing`` rows, then the overrides (kept with who and when)."""
    if roster is not None:
        books.record_roster(connection, roster)
        exercises = sorted({r.exercise for r in results if r.exercise})
        books.record_missing(connection, [r["student"] for r in roster], exercises,
                             {e: sum(instructor_points(e, exercises_dir).values()) for e in exercises})
    if overrides is not None:
        graded = {}
        for student, exercise, question, max_points in connection.execute(
                "SELECT student, exercise, question, max_points FROM answers"):
            graded.setdefault(student, {}).setdefault(exercise, {})[question] = max_points
        import getpass  # who applied the overrides: the account running the grader

        books.record_overrides(connection, who.read_overrides(overrides, graded), who=getpass.getuser())


def grade(submissions, out, *, exercises_dir, jobs=None, cell_timeout=30, total_timeout=300,
          max_output_bytes=100_000, feedback_dir=None, progress=True, sandbox="auto", memory_mb=None,
          regrade=False, pattern=None, roster=None, due=None, late_penalty=0.0, overrides=None,
          runner=None, variant_key=None) -> list[Result]:
    """Grade submissions in parallel into the gradebook database beside ``out``, then write the
    gradebook CSV ``out`` from it (and one feedback file each).

    Each result is committed to the database (:mod:`margincourse.grading.gradebook`) as it finishes;
    a rerun skips what is recorded unchanged (:func:`plan`; ``regrade`` grades everything again).
    A second grader on the same ``out`` is refused (:func:`margincourse.grading.gradebook.lock`);
    an unwritable folder or a full disk is found first (:func:`margincourse.grading.gradebook.preflight`).
    ``sandbox``: ``"auto"`` (default), ``"on"`` or ``"off"``, see :func:`resolve_sandbox`;
    ``memory_mb``: the sandboxed kernel's memory limit (default
    :data:`margincourse.grading.sandbox.DEFAULT_MEMORY_MB`). ``pattern``, ``roster``, ``due``
    (ISO 8601), ``late_penalty`` (fraction per started day) and ``overrides`` (a CSV): see
    :mod:`margincourse.grading.students`. ``runner``: grades the submissions that need it somewhere
    else than this machine's processes (:func:`run_locally`), called as
    ``runner(jobs, exercises_dir, limits, sandbox, memory_mb, arrived, lost)``; a Dask cluster's is
    ``functools.partial(margincourse.grading.cluster.grade_jobs, scheduler)`` (the command line's
    ``--scheduler``; passed in, so that the grader does not import the cluster, which imports it).
    Each exercise is judged as the instructor's notebook in ``exercises_dir`` asks it: the published
    exercise, or the variant ``make-exercises --variant`` made (:func:`class_variant`);
    ``variant_key``, if given, must be the key that variant was made with (:func:`check_variant_key`).
    """
    exercises_dir = check_exercises_dir(exercises_dir)
    if variant_key is not None:
        check_variant_key(variant_key, exercises_dir)
    check_variants_match(exercises_dir)
    use_sandbox, memory_mb = _settings(sandbox, memory_mb, progress, late_penalty)
    due = who.parse_time(due) if isinstance(due, str) else due
    found = who.find(submissions, pattern)
    roster = who.read_roster(roster) if roster is not None else None
    out = Path(out)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.parent / f"{out.stem}-feedback"
    books.preflight(out, len(found))
    with books.lock(out):
        remove_stale_folders()
        connection = books.connect(books.database_path(out))
        try:
            work = plan(connection, found, exercises_dir, regrade)
            results = _grade_all(connection, work, exercises_dir, Limits(cell_timeout, total_timeout, max_output_bytes),
                                 use_sandbox, memory_mb, jobs or os.cpu_count() or 1, progress, due, late_penalty,
                                 runner)
            _finish(connection, results, roster, overrides, exercises_dir)
        finally:
            connection.close()
        if progress:
            print(file=sys.stderr)
        results.sort(key=lambda r: r.submission)
        write_atomically(out, gradebook_csv(books.database_path(out)))
        write_feedback(results, feedback_dir)
        write_feedback_html(books.long_table(books.database_path(out)), feedback_dir)
    return results


def _cell(text) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv(db_path) -> str:
    """The gradebook CSV, from the database: one row per student and exercise (overrides and late
    penalties applied), one column per exercise's question, sorted."""
    totals, long = books.totals(db_path), books.long_table(db_path)
    columns = sorted({f"{e}:{q}" for e, q in zip(long["exercise"], long["question"])})
    points = {(s, f"{e}:{q}"): p for s, e, q, p in zip(long["student"], long["exercise"], long["question"],
                                                        long["points"])}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "name", "section", "submission", "exercise", "status", *columns, "total", "max",
                     "late_days", "penalty", "final", "submitted_at", "reason"])
    for r in totals.itertuples(index=False):
        cells = [f"{points[(r.student, c)]:g}" if (r.student, c) in points and c.startswith(f"{r.exercise}:") else ""
                 for c in columns]
        writer.writerow([_cell(r.student), _cell(r.name), _cell(r.section), _cell(r.submission_path), r.exercise,
                         r.status, *cells, f"{r.total:g}", f"{r.max:g}", r.late_days, f"{r.penalty:g}",
                         f"{r.final:g}", r.submitted_at, _cell(r.reason)])
    return buffer.getvalue()


def feedback_text(result) -> str:
    """The feedback file of one submission (Markdown): status, score, the note, then one line per question."""
    lines = [f"# Feedback for {result.student}", "",
             f"Exercise: {result.exercise or 'unknown'}", f"Status: {result.status}",
             f"Score: {result.total:g} / {result.maximum:g}", ""]
    if result.reason:
        lines += [f"Note: {result.reason}", ""]
    if result.feedback:
        lines += ["Checks that ran, in order:", ""] + [f"- {line}" for line in result.feedback]
    return "\n".join(lines) + "\n"


def resolve_sandbox(mode="auto"):
    """``(use_sandbox, why_not)`` for ``--sandbox auto|on|off``.

    ``auto`` sandboxes when this machine can (:func:`margincourse.grading.sandbox.sandbox_problem`),
    ``on`` refuses to grade without it, ``off`` never sandboxes.
    """
    if mode not in ("auto", "on", "off"):
        raise MarginInputError(f"sandbox must be 'auto', 'on' or 'off', got {mode!r}")
    if mode == "off":
        return False, "switched off (--sandbox off)"
    problem = sandboxing.sandbox_problem()
    if problem and mode == "on":
        raise MarginInputError(f"sandbox is 'on' but cannot run here: {problem}")
    return problem is None, problem or ""


def _show_progress(done: int, total: int, skipped: int = 0, width=30) -> None:
    """Redraw the progress bar on stderr: ``grading [#####.....] 5/10 (3 unchanged, skipped)``."""
    filled = int(width * done / max(total, 1))
    note = f" ({skipped} unchanged, skipped)" if skipped else ""
    print(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{note}", end="", file=sys.stderr,
          flush=True)


def write_feedback(results, feedback_dir: Path) -> list[Path]:
    """Write one feedback file per result (:func:`feedback_text`) into ``feedback_dir``; the files written.

    Each is named ``STUDENT_EXERCISE.md``; two submissions of the same name (from different
    folders) get ``-2``, ``-3`` ... so that each keeps a file of its own.
    """
    used, written = set(), []
    for r in results:
        stem = f"{r.student}_{r.exercise or 'unknown'}".replace(os.sep, "_")
        name, n = f"{stem}.md", 1
        while name in used:  # two files of the same name in different folders: one feedback file each
            n += 1
            name = f"{stem}-{n}.md"
        used.add(name)
        write_if_changed(Path(feedback_dir) / name, feedback_text(r))
        written.append(Path(feedback_dir) / name)
    return written
