"""The grader's sandbox (margincourse/grading/sandbox.py): a submission's code cannot act on the machine.

The same hostile submission is graded with and without the sandbox: without it, it writes
outside its folder, reaches a local server, reads the grader's environment and sees the
course's solutions; with it, none of that works and it still gets its marks.
"""

import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest

from margincourse.grading import grader as grading
from margincourse.basics.errors import MarginInputError
from margincourse.grading.sandbox import Sandbox, sandbox_problem

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"


def _need_sandbox():
    problem = sandbox_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sandbox tests: {problem}")
        pytest.skip(f"no sandbox on this machine: {problem}")


class Listener:
    """A TCP server on the host's loopback that counts the connections it gets."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.server.close()


HOSTILE = """
import os, socket, pathlib
leaks = []
try:
    pathlib.Path({marker!r}).write_text("written by a submission")
    leaks.append("wrote outside its folder")
except OSError:
    pass
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    leaks.append("reached the network")
except OSError:
    pass
if os.environ.get("MC_TEST_SECRET"):
    leaks.append("read the grader's environment")
if os.path.exists(os.path.join({root!r}, "sol" + "utions")):
    leaks.append("saw the course's worked answers")
try:
    import importlib
    importlib.import_module("margincourse." + "answer" + "_key.lesson1")
    leaks.append("read the answer key")
except ImportError:
    pass
try:
    open("/etc/shadow").close()
    leaks.append("read /etc/shadow")
except OSError:
    pass
if os.getppid() > 1:
    leaks.append("saw the grader's processes")
try:
    hog = bytearray(64 * 1024 ** 3)  # 64 GiB
    leaks.append("took 64 GiB of memory")
    del hog
except MemoryError:
    pass
print("leaks:", leaks)
"""


def _hostile_submission(folder, marker, port):
    notebook = nbformat.read(SOLUTION, as_version=4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE.format(marker=str(marker), port=port, root=str(ROOT))))
    for cell in notebook.cells:  # the q1 answer counts only if nothing leaked
        if cell.cell_type == "code" and cell.source.startswith("### BEGIN SOLUTION") and "answer_q1 =" in cell.source:
            cell.source += "\nanswer_q1 = answer_q1 if not leaks else -1.0"
    path = folder / "mallet_01_initial_margin.ipynb"
    nbformat.write(notebook, path)
    return path


def _grade(tmp_path, monkeypatch, sandbox):
    monkeypatch.setenv("MC_TEST_SECRET", "hunter2")
    listener = Listener()
    marker = tmp_path / "outside" / "pwned.txt"
    marker.parent.mkdir()
    try:
        submission = _hostile_submission(tmp_path, marker, listener.port)
        results = grading.grade([submission], tmp_path / "gradebook.csv", exercises_dir=ROOT / "exercises", jobs=1,
                                cell_timeout=20, total_timeout=120, progress=False, sandbox=sandbox)
    finally:
        listener.close()
    return results[0], marker, listener


def test_in_the_sandbox_a_hostile_submission_changes_nothing_and_keeps_its_marks(tmp_path, monkeypatch):
    _need_sandbox()
    result, marker, listener = _grade(tmp_path, monkeypatch, "on")
    assert not marker.exists()
    assert listener.connections == 0
    assert result.status == "graded" and result.points["q1"] == 1 and result.total == result.maximum == 8


def test_without_the_sandbox_the_same_submission_gets_through(tmp_path, monkeypatch):
    """The contrast that shows the test above can fail."""
    result, marker, listener = _grade(tmp_path, monkeypatch, "off")
    assert marker.read_text() == "written by a submission"
    assert listener.connections == 1
    assert result.points["q1"] == 0


def test_sandbox_on_refuses_to_grade_where_it_cannot_run(monkeypatch, tmp_path):
    monkeypatch.setattr("margincourse.grading.sandbox.sandbox_problem", lambda: "bwrap is not installed")
    with pytest.raises(MarginInputError, match="sandbox is 'on' but cannot run here: bwrap is not installed"):
        grading.resolve_sandbox("on")
    assert grading.resolve_sandbox("auto") == (False, "bwrap is not installed")
    assert grading.resolve_sandbox("off")[0] is False
    with pytest.raises(MarginInputError, match="sandbox must be 'auto', 'on' or 'off'"):
        grading.resolve_sandbox("yes")


@pytest.mark.parametrize("memory_mb", [0, 512, True, 2.5, "4096"])
def test_memory_limit_is_checked(tmp_path, memory_mb):
    with pytest.raises(MarginInputError, match="memory_mb must be a whole number of MiB between 1,024"):
        grading.grade([SOLUTION], tmp_path / "g.csv", exercises_dir=ROOT / "exercises", progress=False,
                      sandbox="off", memory_mb=memory_mb)


def test_the_kernel_gets_a_clean_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-pass-on")
    monkeypatch.setenv("MARGINCOURSE_PROGRESS", str(tmp_path / "progress.json"))
    env = Sandbox(tmp_path).environment()
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == str(tmp_path) and env["MARGINCOURSE_PROGRESS"] == str(tmp_path / "progress.json")
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    command = Sandbox(tmp_path, memory_mb=1024).wrap(["python", "-m", "ipykernel_launcher"])
    assert command[:2][1] == "--clearenv" and "--unshare-all" in command and "--new-session" in command
    assert str(1024 * 1024 * 1024) in command


def test_the_kernel_records_progress_where_the_sandbox_says_never_where_the_grader_points(monkeypatch, tmp_path):
    monkeypatch.setenv("MARGINCOURSE_PROGRESS", str(tmp_path / "the-graders-own.json"))
    assert Sandbox(tmp_path / "run").environment()["MARGINCOURSE_PROGRESS"] == str(tmp_path / "run" / "progress.json")
    chosen = Sandbox(tmp_path, progress=tmp_path / "chosen.json").environment()
    assert chosen["MARGINCOURSE_PROGRESS"] == str(tmp_path / "chosen.json")


def test_the_kernel_can_read_python_and_the_package_but_not_the_course_around_them():
    from margincourse.grading.sandbox import readable_paths

    paths = [Path(p) for p in readable_paths()]
    assert Path(__import__("margincourse").__file__).resolve().parent in paths
    solutions = ROOT / "solutions"
    assert not any(solutions == p or solutions.is_relative_to(p) for p in paths), paths


def test_inside_the_sandbox_the_answer_key_lists_the_exercises_but_holds_no_question(tmp_path):
    import subprocess
    import sys

    _need_sandbox()
    sandbox = Sandbox(tmp_path, memory_mb=None)
    sandbox.prepare()
    probe = (
        "import importlib, margincourse as mc, margincourse.grading.keys\n"
        "from margincourse.grading.answer_key import EXERCISES\n"
        "print(sorted(EXERCISES) == sorted(mc.grading.keys.exercise_names()), len(EXERCISES) >= 7)\n"
        "try:\n    importlib.import_module('margincourse.grading.answer_key.lesson1'); print('questions visible')\n"
        "except ImportError:\n    print('questions hidden')\n"
        "check = mc.exercise('01_initial_margin'); check('q1', 120.0)\n"
    )
    result = subprocess.run(sandbox.wrap([sys.executable, "-c", probe]), capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["True True", "questions hidden", "q1: handed to the grader."], result.stderr
    # outside the sandbox the same key is there, for the learner's immediate feedback
    from margincourse.grading.keys import questions_of

    assert "q1" in questions_of("01_initial_margin")


def _notebook_with(tmp_path, name, *sources):
    """Solution 01 with extra code cells after the first one (as a student might add them)."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    for offset, source in enumerate(sources):
        notebook.cells.insert(2 + offset, nbformat.v4.new_code_cell(source))
    path = tmp_path / f"{name}_01_initial_margin.ipynb"
    nbformat.write(notebook, path)
    return path


def _grade_one_sandboxed(path, **limits):
    return grading.grade_one(path, ROOT / "exercises", sandbox=True, memory_mb=4096, **limits)


def test_a_kernel_that_ignores_the_interrupt_still_ends_its_cell(tmp_path):
    _need_sandbox()
    path = _notebook_with(tmp_path, "stubborn", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)",
                          "while True:\n    pass")
    result = _grade_one_sandboxed(path, cell_timeout=3, total_timeout=20)
    assert result.seconds < 80
    assert result.status in ("graded", "timed out", "error")


@pytest.mark.parametrize("name, source, reason", [
    ("forker", "import subprocess\nkids = [subprocess.Popen(['sleep', '60']) for _ in range(400)]",
     "more than 256 processes"),
    ("filler", "for i in range(20_000):\n    open(f'f{i}', 'w').close()", "more than 10,000 files"),
])
def test_the_watchdog_stops_a_submission_that_forks_or_fills_its_folder(tmp_path, name, source, reason):
    _need_sandbox()
    path = _notebook_with(tmp_path, name, source + "\nimport time\ntime.sleep(10)")
    result = _grade_one_sandboxed(path, cell_timeout=20, total_timeout=60)
    assert result.status == "error" and reason in result.reason


def test_a_huge_output_is_cut_not_kept(tmp_path):
    _need_sandbox()
    path = _notebook_with(tmp_path, "shouter", "import sys\nsys.stdout.write('x' * 50_000_000)\nsys.stdout.flush()")
    result = _grade_one_sandboxed(path, cell_timeout=20, total_timeout=60)
    assert result.status == "graded" and result.total == result.maximum


def test_students_are_named_by_their_file_and_cells_cannot_be_formulas(tmp_path):
    impostor = nbformat.read(SOLUTION, as_version=4)
    impostor.metadata.setdefault("margincourse", {})["student"] = "alice"
    nbformat.write(impostor, tmp_path / "=HYPERLINK(x)_01_initial_margin.ipynb")
    other = tmp_path / "second"
    other.mkdir()
    nbformat.write(impostor, other / "=HYPERLINK(x)_01_initial_margin.ipynb")
    out = tmp_path / "gradebook.csv"
    results = grading.grade([tmp_path], out, exercises_dir=ROOT / "exercises", jobs=1, progress=False,
                            sandbox="off")
    # a file on its own is named after the file, one in a folder after the folder (<student>/<notebook>.ipynb)
    assert [r.student for r in results] == ["=HYPERLINK(x)_01_initial_margin", "second"]
    text = out.read_text()
    assert "alice" not in text and "\n'=HYPERLINK(x)_01_initial_margin," in text
    assert len(list((tmp_path / "gradebook-feedback").glob("*.md"))) == 2
