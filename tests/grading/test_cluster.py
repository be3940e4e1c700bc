"""Grading on a Dask cluster: a LocalCluster with two worker processes grades like the local pool,
hands each result back as it finishes, and a worker killed mid-run costs only its in-flight
submissions, which are graded again on the other worker."""

import functools
import os
import shutil
import signal
import threading
from pathlib import Path

import pytest

from margincourse.grading import cluster, gradebook, grader

if os.environ.get("CI"):  # CI installs the [distributed] extra: a missing one is a failure there
    import distributed  # noqa: F401
else:
    distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
EX = "ex01_initial_margin"  # the notebook file's stem
EX_NAME = "01_initial_margin"  # the exercise's name
OPTIONS = {"cell_timeout": 30, "total_timeout": 120, "sandbox": False}


@pytest.fixture(scope="module")
def local_cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            Client(c) as client:
        yield client


def _class(folder: Path, count: int):
    sources = [ROOT / "solutions" / f"{EX}.ipynb", ROOT / "exercises" / f"{EX}.ipynb"]
    paths = []
    for i in range(count):
        path = folder / f"student{i}_{EX}.ipynb"
        shutil.copyfile(sources[i % 2], path)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_the_cluster_grades_like_the_local_grader(local_cluster, tmp_path):
    paths = _class(tmp_path, 2)
    arrived = []
    results = cluster.grade_on_cluster(local_cluster, paths, ROOT / "exercises", OPTIONS, on_result=arrived.append)
    assert arrived == results and len(results) == 2
    by_path = {r.submission: r for r in results}
    assert set(by_path) == {str(p) for p in paths}  # the instructor's paths, not the workers' copies
    local = grader.grade_one(paths[0], ROOT / "exercises", **OPTIONS)
    remote = by_path[str(paths[0])]
    assert (remote.student, remote.exercise, remote.status, remote.points) == \
        (local.student, local.exercise, local.status, local.points)
    assert remote.total == remote.maximum > 0
    assert by_path[str(paths[1])].total == 0


@pytest.mark.slow
def test_a_worker_killed_mid_run_costs_only_its_in_flight_submissions(local_cluster, tmp_path):
    paths = _class(tmp_path, 4)
    pids = local_cluster.run(os.getpid)
    killed = threading.Event()

    def kill_a_busy_worker():
        """Once a submission is running on a worker, SIGKILL that worker's process (its nanny restarts it)."""
        for _ in range(600):
            busy = [w for w, keys in local_cluster.processing().items() if keys]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.set()
                return
            threading.Event().wait(0.05)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    results = cluster.grade_on_cluster(local_cluster, paths, ROOT / "exercises", OPTIONS)
    killer.join()
    assert killed.is_set()
    assert sorted(r.submission for r in results) == sorted(map(str, paths))
    assert {r.status for r in results} == {"graded"}
    assert [r.total == r.maximum for r in sorted(results, key=lambda r: r.submission)] == \
        [int(p.stem[7]) % 2 == 0 for p in sorted(paths, key=str)]


def test_a_wrong_scheduler_address_is_an_error_naming_it(tmp_path):
    from margincourse.basics.errors import MarginInputError

    with pytest.raises(MarginInputError, match="scheduler must be the address"):
        cluster.grade_on_cluster("tcp://127.0.0.1:9", _class(tmp_path, 1), ROOT / "exercises", OPTIONS,
                                 connect_timeout=2)


def test_the_exercise_bundle_needs_the_exercises_folder(tmp_path):
    from margincourse.basics.errors import MarginInputError

    assert f"{EX}.ipynb" in cluster.exercise_bundle(ROOT / "exercises")
    with pytest.raises(MarginInputError, match="exercises must be"):
        cluster.exercise_bundle(tmp_path / "nowhere")


@pytest.mark.slow
def test_grade_with_a_scheduler_records_each_result_writes_html_feedback_and_resumes(local_cluster, tmp_path):
    for student, source in (("alice", "solutions"), ("bob", "exercises")):
        folder = tmp_path / "submitted" / student
        folder.mkdir(parents=True)
        shutil.copyfile(ROOT / source / f"ex{EX_NAME}.ipynb", folder / f"ex{EX_NAME}.ipynb")
    out = tmp_path / "gradebook.csv"
    runner = functools.partial(cluster.grade_jobs, local_cluster)  # what --scheduler passes
    results = grader.grade([tmp_path / "submitted"], out, exercises_dir=ROOT / "exercises", sandbox="off",
                           progress=False, runner=runner)
    assert sorted((r.student, r.total == r.maximum) for r in results) == [("alice", True), ("bob", False)]
    assert sorted(gradebook.totals(out.with_suffix(".sqlite"))["student"]) == ["alice", "bob"]
    page = (tmp_path / "gradebook-feedback" / f"bob_{EX_NAME}.html").read_text()
    assert "Not yet" in page and "Feedback for bob" in page
    again = grader.grade([tmp_path / "submitted"], out, exercises_dir=ROOT / "exercises", sandbox="off",
                         progress=False, runner=runner)
    assert sorted(r.student for r in again) == ["alice", "bob"] and all(r.skipped for r in again)
