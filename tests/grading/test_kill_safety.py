"""A grader killed with SIGKILL halfway (issue 13): no worker or kernel survives it, the submissions finished
before the kill are in the gradebook, and the rerun removes the dead run's folders and grades only the rest."""

import functools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from margincourse.grading import running
from margincourse.grading.sandbox import sandbox_problem

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "ex01_initial_margin.ipynb"
COUNT = 4


def _ours(marker: bytes) -> list[int]:
    """Processes whose environment names ``marker`` (this test's temporary folder), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if marker in environ.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _described(pids) -> list[str]:
    """Each process as 'pid (state, parent pid): command line', for a failure message."""
    described = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                fields = stat.read().rsplit(")", 1)[1].split()
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:200]
                described.append(f"{pid} ({fields[0]}, parent {fields[1]}): {command}")
        except OSError:
            described.append(f"{pid} (gone)")
    return described


def _recorded(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.Error:
        return 0


def _wait(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc (Linux)")
@pytest.mark.parametrize("sandbox", ["off", "on"])
def test_a_killed_grader_leaves_no_kernel_and_the_rerun_finishes_the_rest(tmp_path, sandbox):
    if sandbox == "on" and sandbox_problem():
        pytest.skip(sandbox_problem())
    folder, scratch = tmp_path / "in", tmp_path / "tmp"
    folder.mkdir()
    scratch.mkdir()
    slow = nbformat.read(SOLUTION, as_version=4)
    slow.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(6)"))
    for i in range(COUNT):
        nbformat.write(slow, folder / f"s{i}_ex01_initial_margin.ipynb")
    out = tmp_path / "out" / "gradebook.csv"
    command = [sys.executable, "-m", "margincourse.cli", "grade", str(folder), "--out", str(out), "--jobs", "2",
               "--sandbox", sandbox, "--exercises", str(ROOT / "exercises")]
    environment = {**os.environ, "TMPDIR": str(scratch)}
    marker = str(scratch).encode()

    grader = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait(lambda: _recorded(out.with_suffix(".sqlite")) >= 1, 180), "nothing was graded"
        assert _wait(lambda: len(_ours(marker)) >= 3, 60)  # workers and kernels on the next submissions
        grader.send_signal(signal.SIGKILL)
        grader.wait()
    finally:
        if grader.poll() is None:
            grader.kill()
            grader.wait()
    done = _recorded(out.with_suffix(".sqlite"))
    assert 1 <= done < COUNT
    assert _wait(lambda: _ours(marker) == [], 20), f"left running: {_described(_ours(marker))}"
    left = list(scratch.glob(running.FOLDER_PREFIX + "*"))
    assert left  # the killed run could not clean up after itself ...

    rerun = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({done} unchanged, skipped)" in rerun.stderr
    assert not any(path.exists() for path in left)  # ... the next run did
    with sqlite3.connect(out.with_suffix(".sqlite")) as connection:
        rows = connection.execute("SELECT status, total FROM submissions").fetchall()
    assert rows == [("graded", 8.0)] * COUNT


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="prctl(2) is Linux's")
def test_die_with_parent_ends_a_process_whose_parent_is_not_the_one_named():
    """The race the kill test can lose: a worker killed between forking a kernel and the kernel's
    prctl leaves a kernel no signal will reach. die_with_parent(parent) sees another parent than the
    one it was given (here a pid that cannot be the parent) and exits before the command runs."""
    started = time.monotonic()
    orphan = subprocess.run(["sleep", "30"], preexec_fn=functools.partial(running.die_with_parent, 1 << 30))
    assert orphan.returncode == 1 and time.monotonic() - started < 10   # never ran the sleep
    child = subprocess.run([sys.executable, "-c", "print('ran')"], capture_output=True, text=True,
                           preexec_fn=functools.partial(running.die_with_parent, os.getpid()))
    assert child.returncode == 0 and child.stdout == "ran\n"   # with its parent alive it runs as usual


def test_grading_workers_are_the_graders_children_whatever_the_default_start_method():
    """Python 3.14 starts pools through a forkserver by default, whose workers are the server's
    children: _worker_start would end every one of them. The grader picks its own start method."""
    code = """
import multiprocessing, os
multiprocessing.set_start_method("forkserver", force=True)
from concurrent.futures import ProcessPoolExecutor
from margincourse.grading import grader
with ProcessPoolExecutor(1, initializer=grader._worker_start, initargs=(os.getpid(),),
                         mp_context=grader._WORKER_START) as pool:
    print(pool.submit(os.getppid).result() == os.getpid())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    assert "mp_context=_WORKER_START" in (ROOT / "margincourse" / "grading" / "grader.py").read_text()
