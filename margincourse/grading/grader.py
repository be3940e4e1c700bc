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
The gradebook is written atomically and sorted, so a re-run gives the same file.

:func:`grade_one` is a pipeline of steps, each a function of its own that can be called and
tested alone: :func:`load` (read the file, tell its exercise) -> :func:`screen` (the static
check of 4.) -> :func:`run_in_kernel` (1., calling :func:`probe` for each answer, 2.) ->
:func:`score` (3.) -> :func:`feedback_lines`. :func:`grade` runs it on every submission, then
writes the gradebook (:func:`gradebook_csv`) and the feedback files (:func:`write_feedback`).
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
from nbclient import NotebookClient
from traitlets import Integer

from ..basics.errors import MarginInputError
from ..basics.files import write_atomically
from ..basics.questions import Raised
from . import sandbox as sandboxing
from .keys import exercise_names, notebook_file, questions_of
from .progress import PROGRESS

MARKER = "<<MCGRADE>>"
FORBIDDEN_NAMES = {"answer_key", "reference_function", "questions_of", "MARKER", "grading"}
FORBIDDEN_STRINGS = ("solutions", "answer_key", MARKER)
STATUSES = ("graded", "timed out", "error", "not a notebook")
GRADER_SKIP = "grader-skip"  # a cell tag: not run when grading (e.g. the mc.progress() chart)


@dataclass
class Result:
    submission: str
    student: str = ""
    exercise: str = ""
    status: str = "graded"
    reason: str = ""
    points: dict = field(default_factory=dict)
    max_points: dict = field(default_factory=dict)
    feedback: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self):
        return sum(self.points.values())

    @property
    def maximum(self):
        return sum(self.max_points.values())


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, seconds in all, and bytes of output kept per cell."""

    cell_timeout: float = 30
    total_timeout: float = 300
    max_output_bytes: int = 100_000


class NotGradable(Exception):
    """A submission that cannot be graded at all; ``status`` and ``reason`` go into its gradebook row."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Answer:
    """One answer as the kernel handed it over: ``found`` is False when nothing could be read (its cell
    failed or timed out); ``by_name`` when it was read from ``answer_qN`` because its check cell was missing."""

    found: bool
    value: object = None
    by_name: bool = False


@dataclass
class Run:
    """What running a submission in a kernel gave: the answers read (question id -> :class:`Answer`) and how
    the run ended (``status`` one of :data:`STATUSES`, ``reason`` why, if not plainly)."""

    answers: dict = field(default_factory=dict)
    status: str = "graded"
    reason: str = ""


# --------------------------------------------------------------------------- reading notebooks

def check_calls(source: str):
    """``[(question_id, answer_expression_source)]`` for each ``check("qN", expr)`` in a cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            calls.append((node.args[0].value, ast.get_source_segment(source, node.args[1])))
    return calls


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
            if name in FORBIDDEN_NAMES:
                reasons.append(f"cell {number} uses '{name}'")
            if isinstance(node, ast.alias) and any(part in FORBIDDEN_NAMES for part in node.name.split(".")):
                reasons.append(f"cell {number} imports '{node.name}'")
            if isinstance(node, ast.ImportFrom) and node.module and "answer_key" in node.module:
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


# --------------------------------------------------------------------------- the kernel side

SERIALIZER = """
def __mcgrade_value(v):
    try:
        import numpy
        if isinstance(v, numpy.generic) or (isinstance(v, numpy.ndarray) and v.ndim == 0):
            v = v.item()
    except Exception:
        pass
    if v is Ellipsis:
        return None
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if callable(v):
        return {"callable": True}
    return {"repr": repr(v)[:200]}
"""


def probe_code(question, expression: str) -> str:
    """The code the grader runs in the kernel to read one answer's value.

    A function answer is called on every case; each output is what it returned (a plain
    value, a returned string as ``{"repr": "'long'"}`` like any other non-number) or, when
    it raised, the exception's text as a bare string: :func:`function_outputs` reads
    that back.
    """
    lines = [SERIALIZER, f"__mcgrade_answer = ({expression})"]
    if question.kind == "function":
        lines += [
            "__mcgrade_out = []",
            f"for __mcgrade_case in {list(question.cases)!r}:",
            "    try:",
            "        __mcgrade_v = __mcgrade_value(__mcgrade_answer(*__mcgrade_case))",
            "        __mcgrade_out.append({'repr': repr(__mcgrade_v)[:200]} if isinstance(__mcgrade_v, str) else __mcgrade_v)",
            "    except Exception as __mcgrade_error:",
            "        __mcgrade_out.append(f'{type(__mcgrade_error).__name__}: {__mcgrade_error}')",
            "__mcgrade_answer = __mcgrade_out if callable(__mcgrade_answer) else None",
        ]
    else:
        lines.append("__mcgrade_answer = __mcgrade_value(__mcgrade_answer)")
    lines.append(f"print({MARKER!r} + __import__('json').dumps(__mcgrade_answer))")
    return "\n".join(lines)


def read_probe(cell) -> Answer:
    """The value a probe cell printed after the grader's marker (``found`` is False if it printed none)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in output.get("text", "").splitlines():
                if line.startswith(MARKER):
                    try:
                        return Answer(True, json.loads(line[len(MARKER):]))
                    except ValueError:
                        return Answer(False)
    return Answer(False)


def probe(client, scratch: int, question, expression: str) -> Answer:
    """Step 4, probe: the value of one answer, read from the running kernel.

    Runs :func:`probe_code` in the notebook's scratch cell (index ``scratch``: an empty cell
    :func:`run_in_kernel` appends, where nbclient keeps the probe's outputs) and reads what it
    printed (:func:`read_probe`). The kernel hands over a value, never a verdict.
    """
    cell = nbformat.v4.new_code_cell(probe_code(question, expression))
    client.execute_cell(cell, scratch)
    return read_probe(cell)


class CappedClient(NotebookClient):
    """A notebook client that keeps at most ``max_output_bytes`` of output per cell; the rest is dropped."""

    max_output_bytes = Integer(100_000, help="Output kept per cell, in bytes of JSON.")

    def output(self, outs, msg, display_id, cell_index):
        size = sum(len(json.dumps(o)) for o in outs) + len(json.dumps(msg.get("content", {})))
        if size > self.max_output_bytes:
            if not any(o.get("name") == "stderr" and "[output cut" in o.get("text", "") for o in outs):
                outs.append(nbformat.v4.new_output("stream", name="stderr",
                                                   text=f"[output cut by the grader at {self.max_output_bytes} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)


def _client(notebook, workdir: Path, limits: Limits, km=None) -> CappedClient:
    """The client that runs ``notebook``'s cells in ``workdir`` within ``limits`` (``km``: a sandboxed kernel's)."""
    return CappedClient(
        notebook, km=km, timeout=limits.cell_timeout, max_output_bytes=limits.max_output_bytes,
        kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        # a kernel that ignores the interrupt still ends the cell: an error output, not an endless wait
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "Cell execution timed out", "traceback": []},
        resources={"metadata": {"path": str(workdir)}}, record_timing=False,
    )


def _sandboxed_kernel(workdir: Path, memory_mb, max_output_bytes=100_000, progress: Path | None = None):
    """A kernel manager whose kernel will run in a sandbox with ``workdir`` as its only writable folder
    (``progress``: where its checks record, see :class:`margincourse.grading.sandbox.Sandbox`)."""
    km = sandboxing.SandboxedKernelManager(kernel_name="python3", transport="ipc", ip=str(workdir / "kernel"))
    km.connection_file = str(workdir / "kernel.json")
    # one message may not be larger than this: the grader's memory is not the kernel's to fill
    km.context.setsockopt(zmq.MAXMSGSIZE, max(16 * 1024 * 1024, 8 * max_output_bytes))
    km.sandbox = sandboxing.Sandbox(workdir, memory_mb, progress=progress)
    km.sandbox.prepare()
    return km


@contextmanager
def _watched(client, folder: Path, seconds: float):
    """Watch the client's kernel while the block runs (:class:`margincourse.grading.sandbox.Watchdog`);
    gives the watchdog, which says why it stopped the kernel if it did (None: no process to watch)."""
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    watchdog = sandboxing.Watchdog(process, folder, seconds) if process is not None else None
    try:
        yield watchdog
    finally:
        if watchdog is not None:
            watchdog.stop()


def _timed_out(cell) -> bool:
    """Whether an executed cell was stopped by the per-cell time limit."""
    return any(o.get("ename") in ("CellTimeoutError", "KeyboardInterrupt")
               or "Cell execution timed out" in str(o.get("evalue", ""))
               for o in cell.outputs if o.get("output_type") == "error")


def _run_cells(client, cells, scratch: int, questions: dict, run: Run, limits: Limits, start: float) -> int:
    """Execute the code cells in order (not those tagged ``grader-skip``), probing each question's answer
    after its first check cell, until the submission's time is up; the number of cells that hit the
    per-cell limit."""
    timed_out_cells = 0
    for index, cell in enumerate(cells):
        if time.perf_counter() - start > limits.total_timeout:
            run.status = "timed out"
            run.reason = f"stopped after {limits.total_timeout} s; cells after cell {index} were not run"
            break
        if cell.cell_type != "code" or GRADER_SKIP in cell.metadata.get("tags", []):
            continue
        client.execute_cell(cell, index)
        timed_out_cells += _timed_out(cell)
        for qid, expression in check_calls(cell.source):
            if qid in questions and qid not in run.answers and expression:
                run.answers[qid] = probe(client, scratch, questions[qid], expression)
    return timed_out_cells


def _probe_by_name(client, scratch: int, questions: dict, run: Run) -> None:
    """For each question whose check cell was deleted, read the conventional name ``answer_qN`` (if it holds a value)."""
    for qid in questions:
        if qid not in run.answers:
            answer = probe(client, scratch, questions[qid], f"answer_{qid}")
            if answer.found and answer.value is not None:
                run.answers[qid] = Answer(True, answer.value, by_name=True)


def run_in_kernel(submission: Path, questions: dict, limits: Limits = Limits(), *, sandbox=False, memory_mb=None,
                  start: float | None = None) -> Run:
    """Step 3, run: execute a copy of the submission cell by cell in a fresh kernel, probing its answers.

    The copy sits in an empty temporary folder, removed afterwards; the original is only read.
    The kernel's checks record progress in that folder: the path is put in the kernel's own
    environment, the grader's ``os.environ`` is never changed. With ``sandbox`` the kernel runs
    under :mod:`margincourse.grading.sandbox` with ``memory_mb`` MiB (default
    :data:`margincourse.grading.sandbox.DEFAULT_MEMORY_MB`). ``start`` is the
    ``time.perf_counter()`` at which the submission's time began (default: now).

    Never raises: a dead kernel or a broken environment ends the run with status ``"error"``,
    keeping the answers read so far.
    """
    start = time.perf_counter() if start is None else start
    run = Run()
    watchdog = None  # set once the kernel runs; says why it stopped the kernel, if it did
    workdir = Path(tempfile.mkdtemp(prefix="mcgrade-"))
    progress = workdir / "progress.json"  # the kernel's checks write here
    try:
        copy_path = workdir / "submission.ipynb"
        shutil.copyfile(submission, copy_path)
        notebook = nbformat.read(copy_path, as_version=4)
        cells = list(notebook.cells)
        notebook.cells.append(nbformat.v4.new_code_cell(""))  # nbclient stores each probe at this index
        scratch = len(notebook.cells) - 1
        km = None
        if sandbox:
            km = _sandboxed_kernel(workdir, memory_mb or sandboxing.DEFAULT_MEMORY_MB, limits.max_output_bytes,
                                   progress)
        client = _client(notebook, workdir, limits, km)
        # the sandbox gives its kernel an environment of its own (Sandbox.environment); without it the
        # kernel inherits the grader's, plus where to record progress
        environment = {**os.environ, PROGRESS: str(progress)}
        with (client.setup_kernel(cleanup_kc=True, env=environment),
              _watched(client, workdir, limits.total_timeout + 30) as watchdog):
            timed_out_cells = _run_cells(client, cells, scratch, questions, run, limits, start)
            if run.status == "graded":
                _probe_by_name(client, scratch, questions, run)
        if timed_out_cells and not run.reason:
            run.reason = f"{timed_out_cells} cell(s) hit the {limits.cell_timeout} s limit and were interrupted"
    except Exception as error:  # a dead kernel, a broken environment: keep what was read
        run.status = "error"
        run.reason = f"{type(error).__name__}: {str(error)[:160]}"
        if watchdog is not None and watchdog.reason:
            run.status = "timed out" if watchdog.timed_out else "error"
            run.reason = f"stopped by the grader: {watchdog.reason}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return run


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


def score(questions: dict, max_points: dict, answers: dict) -> tuple[dict, dict]:
    """Step 5, score: ``(points, verdicts)`` per question, judged in the grader's own process.

    ``answers`` maps question ids to what :func:`probe` read. A right answer earns the
    question's ``max_points``; a wrong one, an unreadable one or none at all earns 0, and the
    verdict says which (naming the likely mistake, never the expected value).
    """
    points = {qid: 0.0 for qid in questions}
    verdicts = {qid: "not answered (no check cell found)." for qid in questions}
    for qid, answer in answers.items():
        try:
            correct, text = judge(questions[qid], answer)
        except Exception as error:  # a value no question expects (an int too big for a float): this answer only
            correct, text = False, f"could not check this answer ({type(error).__name__}: {str(error)[:120]})."
        if answer.by_name:
            text += f" (read from answer_{qid}; its check cell was missing)"
        verdicts[qid] = text
        points[qid] = max_points[qid] if correct else 0.0
    return points, verdicts


def feedback_lines(questions, points: dict, max_points: dict, verdicts: dict) -> list[str]:
    """Step 6, feedback: one line per question, in the exercise's order: points out of the maximum, then the verdict."""
    return [f"{qid}: {points[qid]:g}/{max_points[qid]:g} points. {verdicts[qid]}" for qid in questions]


def grade_one(submission, exercises_dir, cell_timeout=30, total_timeout=300, max_output_bytes=100_000,
              sandbox=False, memory_mb=None) -> Result:
    """Grade one submission (see the module notes); never raises.

    The steps: :func:`load`, :func:`screen`, :func:`run_in_kernel` (which probes the answers),
    :func:`score`, :func:`feedback_lines`. With ``sandbox`` the kernel runs under
    :mod:`margincourse.grading.sandbox` (no network, a read-only system, only its own folder
    writable, ``memory_mb`` MiB of memory at most, default
    :data:`margincourse.grading.sandbox.DEFAULT_MEMORY_MB`).
    """
    submission = Path(submission)
    start = time.perf_counter()
    # The student is the file's name, never what the notebook says about itself (a submission could
    # claim a classmate's name and overwrite their row's feedback).
    result = Result(submission=str(submission), student=submission.stem)
    try:
        notebook, result.exercise = load(submission)
    except NotGradable as refusal:
        result.status, result.reason = refusal.status, refusal.reason
        return result
    questions = questions_of(result.exercise)
    result.max_points = instructor_points(result.exercise, exercises_dir)
    result.points = {qid: 0.0 for qid in questions}
    flags = screen(notebook)
    if flags:
        result.reason = "not graded: answers must not come from the answer key or the solutions (" + "; ".join(flags) + ")"
        result.feedback = [f"{qid}: 0 points. {result.reason}" for qid in questions]
    else:
        run = run_in_kernel(submission, questions, Limits(cell_timeout, total_timeout, max_output_bytes),
                            sandbox=sandbox, memory_mb=memory_mb, start=start)
        result.status, result.reason = run.status, run.reason
        result.points, verdicts = score(questions, result.max_points, run.answers)
        result.feedback = feedback_lines(questions, result.points, result.max_points, verdicts)
    result.seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- the batch

def find_submissions(paths) -> list[Path]:
    """Files as given, and every ``.ipynb`` inside given folders (sorted, no checkpoints)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts)
        elif path.exists():
            found.append(path)
        else:
            raise MarginInputError(f"submission must be an existing file or folder, got {str(path)!r}")
    return sorted(set(found))


def _cell(text) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv(results) -> str:
    """The gradebook: one row per submission, one column per exercise's question, in the order given."""
    columns = sorted({f"{r.exercise}:{q}" for r in results for q in r.max_points})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "submission", "exercise", "status", *columns, "total", "max", "reason"])
    for r in results:
        cells = [f"{r.points[c.split(':')[1]]:g}" if c.split(":")[0] == r.exercise and c.split(":")[1] in r.points
                 else "" for c in columns]
        writer.writerow([_cell(r.student), _cell(r.submission), r.exercise, r.status, *cells,
                         f"{r.total:g}", f"{r.maximum:g}", _cell(r.reason)])
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


def grade(submissions, out, *, exercises_dir, jobs=None, cell_timeout=30, total_timeout=300,
          max_output_bytes=100_000, feedback_dir=None, progress=True, sandbox="auto",
          memory_mb=None) -> list[Result]:
    """Grade submissions in parallel and write the gradebook CSV (and one feedback file each).

    ``sandbox``: ``"auto"`` (default), ``"on"`` or ``"off"``, see :func:`resolve_sandbox`;
    ``memory_mb``: the sandboxed kernel's memory limit (default
    :data:`margincourse.grading.sandbox.DEFAULT_MEMORY_MB`).
    """
    use_sandbox, why_not = resolve_sandbox(sandbox)
    memory_mb = sandboxing.DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or not 1024 <= memory_mb <= 1_048_576:
        raise MarginInputError(f"memory_mb must be a whole number of MiB between 1,024 and 1,048,576 (a kernel "
                               f"needs about 1 GiB), got {memory_mb!r}")
    if not use_sandbox:  # said even when progress is off: nobody should miss it
        print(f"WARNING: kernels run WITHOUT a sandbox ({why_not}); students' code runs with your rights",
              file=sys.stderr)
    elif progress:
        print("kernels run in a sandbox: no network, read-only system, no privileges, only their own folder "
              f"writable, {memory_mb:,} MiB of memory", file=sys.stderr)
    paths = find_submissions(submissions)
    jobs = jobs or os.cpu_count() or 1
    out = Path(out)
    feedback_dir = Path(feedback_dir) if feedback_dir else out.with_suffix("").parent / f"{out.stem}-feedback"
    results = []
    done = 0
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_one, p, exercises_dir, cell_timeout, total_timeout, max_output_bytes,
                               use_sandbox, memory_mb): p
                   for p in paths}
        for future in as_completed(futures):
            results.append(future.result())
            done += 1
            if progress:
                _show_progress(done, len(paths))
    if progress:
        print(file=sys.stderr)
    results.sort(key=lambda r: r.submission)
    write_atomically(out, gradebook_csv(results))
    write_feedback(results, feedback_dir)
    return results


def _show_progress(done: int, total: int, width=30) -> None:
    """Redraw the progress bar on stderr: ``grading [#####.....] 5/10``."""
    filled = int(width * done / max(total, 1))
    print(f"\rgrading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


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
        write_atomically(Path(feedback_dir) / name, feedback_text(r))
        written.append(Path(feedback_dir) / name)
    return written
