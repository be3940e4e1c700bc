"""Running one submission in a kernel: its cells in order, then the value of each answer.

The kernel side of :mod:`margincourse.grading.grader` (see its notes): :func:`run_in_kernel`
copies the submission into an empty temporary folder, executes it cell by cell in a fresh
kernel (sandboxed with :mod:`margincourse.grading.sandbox` when asked), and after each check
cell asks the kernel for the value of the answer (:func:`probe`). It hands back values,
never verdicts: those are made in the grader's own process.
"""

from __future__ import annotations

import ast
import ctypes
import functools
import json
import os
import re
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from traitlets import Integer

from . import sandbox as sandboxing
from .progress import PROGRESS

MARKER = "<<MCGRADE>>"
STATUSES = ("graded", "timed out", "error", "not a notebook")
GRADER_SKIP = "grader-skip"  # a cell tag: not run when grading (e.g. the mc.progress() chart)
FOLDER_PREFIX = "mcgrade-run-"  # + the grading process's pid + "-": a run's temporary folder
BUSY_GRACE = 5  # seconds an interrupted kernel has to answer again before it is restarted
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, seconds in all, and bytes of output kept per cell."""

    cell_timeout: float = 30
    total_timeout: float = 300
    max_output_bytes: int = 100_000



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
    restarts: int = 0  # times the kernel was restarted because it ignored an interrupt



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



# --------------------------------------------------------------------------- processes and folders that die with the grader

def _libc():
    """The C library, loaded once here: :func:`die_with_parent` runs between a fork and an exec,
    where finding it (``ctypes.util.find_library`` starts ``ldconfig``) would take time and start a
    process. None where there is no ``prctl`` (not Linux)."""
    if not os.path.isdir("/proc"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)   # the running process's own C library (glibc or musl)
        libc.prctl  # noqa: B018  (raises AttributeError where there is none)
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def die_with_parent(parent: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when the process that started it dies (``prctl(2)``,
    ``PR_SET_PDEATHSIG``); run in a new process (a kernel's ``preexec_fn``, a worker's initializer).
    Elsewhere than Linux it does nothing.

    ``parent``: the pid of the process that started this one. A parent that died between the fork
    and the ``prctl`` never sends the signal (``prctl(2)``: the setting takes effect for a parent
    that dies later), so if this process has another parent by then it ends at once.
    """
    if _LIBC is None:
        return
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(parent=None) -> list[Path]:
    """Remove the temporary folders that grading processes now dead left behind (a grader killed
    with SIGKILL cannot clean up): those named :data:`FOLDER_PREFIX` + a pid that no longer runs.
    ``parent``: where to look (default the temporary folder); the folders removed."""
    parent = Path(parent or tempfile.gettempdir())
    pattern = re.compile(re.escape(FOLDER_PREFIX) + r"(\d+)-")
    removed = []
    for folder in parent.glob(FOLDER_PREFIX + "*"):
        match = pattern.match(folder.name)
        if match and folder.is_dir() and not _pid_alive(int(match.group(1))):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


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


def _execute(client, cell, index: int) -> bool:
    """Run one cell; whether it hit the time limit. A kernel that obeyed the interrupt leaves a
    ``KeyboardInterrupt`` in the cell; one that ignored it leaves nothing, only the time it took."""
    began = time.monotonic()
    client.execute_cell(cell, index)
    return _timed_out(cell) or time.monotonic() - began >= client.timeout


def _kernel_stuck(client, scratch: int) -> bool:
    """Whether the kernel still runs a cell it was told to interrupt: a cell that does nothing
    gets no answer within :data:`BUSY_GRACE` seconds (a loop that catches ``KeyboardInterrupt``)."""
    saved, client.timeout = client.timeout, BUSY_GRACE
    try:
        return _execute(client, nbformat.v4.new_code_cell("pass"), scratch)
    finally:
        client.timeout = saved


def _restart(client, watchdog) -> None:
    """Restart the client's kernel (the old one is killed) and wait until the new one answers;
    the watchdog goes on watching the new one."""
    run_sync(client.km.restart_kernel)(now=True)
    if watchdog is not None:
        watchdog.process = client.km.provisioner.process
    run_sync(client.kc.wait_for_ready)(timeout=60)


def _replay(client, completed, limits: Limits, start: float) -> None:
    """Run again, in order, the cells that had completed, so that a restarted kernel holds what
    the later answers need (imports, inputs, helper functions); their outputs are not read."""
    for index, cell in completed:
        if time.perf_counter() - start > limits.total_timeout:
            return
        if _execute(client, cell, index):
            return


def _run_cells(client, cells, scratch: int, questions: dict, run: Run, limits: Limits, start: float,
               watchdog=None) -> int:
    """Execute the code cells in order (not those tagged ``grader-skip``), probing each question's answer
    after its first check cell, until the submission's time is up; the number of cells that hit the
    per-cell limit.

    A cell that hits the limit is interrupted. If the kernel is still busy :data:`BUSY_GRACE` seconds
    later (the cell catches ``KeyboardInterrupt``), the kernel is restarted (:func:`_restart`) and
    the cells that had completed are run again (:func:`_replay`); the timed-out cell is not. What
    is lost: whatever the timed-out cell did before it was stopped, and any value an earlier cell
    drew from the clock or an unseeded random generator (computed afresh).
    """
    timed_out_cells, completed = 0, []
    for index, cell in enumerate(cells):
        if time.perf_counter() - start > limits.total_timeout:
            run.status = "timed out"
            run.reason = f"stopped after {limits.total_timeout} s; cells after cell {index} were not run"
            break
        if cell.cell_type != "code" or GRADER_SKIP in cell.metadata.get("tags", []):
            continue
        if _execute(client, cell, index):
            timed_out_cells += 1
            if _kernel_stuck(client, scratch):
                _restart(client, watchdog)
                run.restarts += 1
                _replay(client, completed, limits, start)
            continue
        completed.append((index, cell))
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
    workdir = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
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
        dies_with_this_worker = functools.partial(die_with_parent, os.getpid())
        with (client.setup_kernel(cleanup_kc=True, env=environment, preexec_fn=dies_with_this_worker),
              _watched(client, workdir, limits.total_timeout + 30) as watchdog):
            timed_out_cells = _run_cells(client, cells, scratch, questions, run, limits, start, watchdog)
            if run.status == "graded":
                _probe_by_name(client, scratch, questions, run)
        if timed_out_cells and not run.reason:
            run.reason = f"{timed_out_cells} cell(s) hit the {limits.cell_timeout} s limit and were interrupted"
            if run.restarts:
                run.reason += (f"; the kernel ignored the interrupt and was restarted {run.restarts} time(s), "
                               "the cells before it run again")
    except Exception as error:  # a dead kernel, a broken environment: keep what was read
        run.status = "error"
        run.reason = f"{type(error).__name__}: {str(error)[:160]}"
        if watchdog is not None and watchdog.reason:
            run.status = "timed out" if watchdog.timed_out else "error"
            run.reason = f"stopped by the grader: {watchdog.reason}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return run
