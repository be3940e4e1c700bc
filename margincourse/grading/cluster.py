"""Grading on a Dask cluster: ``margincourse grade ... --scheduler tcp://HOST:8786``.

One machine grades a class of a few hundred in minutes; a course with thousands of students, or
a deadline evening, may want more. With ``--scheduler`` each submission's grading (the same
:func:`margincourse.grading.grader.grade_one`, in the same sandbox) becomes one task of a
`Dask distributed <https://distributed.dask.org>`_ cluster (the optional extra
``pip install "margincourse[distributed]"``), and each result is handed back, and recorded in
the gradebook, the moment it arrives.

What travels: the submission's bytes and file name, and once per run the instructor's exercise
notebooks (broadcast to every worker). A worker writes them into a temporary folder of its own,
grades there and sends back the :class:`~margincourse.grading.grader.Result`; the workers need
the same ``margincourse`` installed (and ``bwrap`` for the sandbox), not the instructor's files
or a shared disk. The submission's path in the result is put back to the instructor's.

Faults: if a worker dies (killed, out of memory, its machine gone) the scheduler gives the tasks
it was running to other workers; only those in-flight submissions are graded again. Each death
raises the "suspiciousness" of the tasks the worker held, and a task past the threshold
(``distributed.scheduler.allowed-failures``, 3 by default) is given up as broken (Dask's example
"Resilience against hardware failures", dask/dask-examples ``resilience.ipynb``,
https://examples.dask.org/resilience.html): that submission gets an ``error`` row saying so and
the rest go on. A task that raises in the worker (a full disk there) is retried ``retries`` times.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from ..basics.errors import MarginInputError

RETRIES = 2


def exercise_bundle(exercises_dir) -> dict:
    """``{file name: bytes}`` of the instructor's exercise notebooks (what a worker needs for the points)."""
    folder = Path(exercises_dir)
    if not folder.is_dir():
        raise MarginInputError(f"exercises must be the instructor's exercises folder, got {str(folder)!r}")
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.ipynb"))}


def grade_shipped(name: str, content: bytes, bundle: dict, options: dict):
    """On a worker: write the submission (as ``name``) and the exercise notebooks into a fresh
    temporary folder, grade with :func:`~margincourse.grading.grader.grade_one` and remove the folder."""
    from .grader import grade_one

    folder = Path(tempfile.mkdtemp(prefix="mcgrade-task-"))
    try:
        exercises = folder / "exercises"
        exercises.mkdir()
        for file_name, data in bundle.items():
            (exercises / Path(file_name).name).write_bytes(data)
        submission = folder / "submission" / Path(name).name
        submission.parent.mkdir()
        submission.write_bytes(content)
        return grade_one(submission, exercises, **options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sandbox_problem_here():
    from .sandbox import sandbox_problem

    return sandbox_problem()


def check_workers(client, sandboxed: bool) -> int:
    """The number of workers; an error naming ``--scheduler`` if there are none, and naming
    ``--sandbox`` if kernels are to be sandboxed and a worker cannot run the sandbox."""
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        client.wait_for_workers(1, timeout=60)
        workers = client.scheduler_info().get("workers", {})
    if not workers:
        raise MarginInputError("scheduler must have at least one worker, got none")
    if sandboxed:
        problems = {w: p for w, p in client.run(_sandbox_problem_here).items() if p}
        if problems:
            worker, problem = next(iter(problems.items()))
            raise MarginInputError(f"sandbox cannot run on {len(problems)} of the cluster's workers (e.g. {worker}: "
                                   f"{problem}); install bubblewrap there or grade with --sandbox off")
    return len(workers)


def _lost(path: Path, student, error: BaseException):
    """The result of a submission the cluster could not grade (its workers kept dying, or it raised)."""
    from .grader import Result

    return Result(submission=str(path), student=student or path.stem, status="error",
                  reason=f"the cluster could not grade it: {type(error).__name__}: {str(error)[:160]}")


def grade_on_cluster(scheduler, paths, exercises_dir, options: dict, on_result=None, retries=RETRIES,
                     connect_timeout=30, students=None, on_lost=None) -> list:
    """Grade ``paths`` on the Dask cluster at ``scheduler`` (an address such as ``tcp://host:8786``,
    or a ``distributed.Client``); the results in the order they finished.

    ``options``: keyword arguments of :func:`~margincourse.grading.grader.grade_one` (time limits,
    ``sandbox``, ``memory_mb``). ``on_result(result)`` is called for each result as it arrives, in
    this process (that is where the gradebook records it). A submission lost with its workers is
    graded again elsewhere; one the cluster gives up on gets an ``error`` result. ``connect_timeout``:
    seconds to wait for the scheduler; ``students``: ``{path: student}`` where the folder layout
    tells whose a submission is (handed to ``grade_one`` as ``student``); ``on_lost(result)``, if given,
    is called instead of ``on_result`` for a submission the cluster gave up on (not worth recording:
    a rerun grades it again).
    """
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MarginInputError('scheduler needs Dask distributed: pip install "margincourse[distributed]"') from None
    paths = [Path(p) for p in paths]
    students = {Path(p): s for p, s in (students or {}).items()}
    own = not hasattr(scheduler, "submit")
    try:
        client = Client(scheduler, timeout=connect_timeout) if own else scheduler
    except (OSError, TimeoutError) as error:
        raise MarginInputError(f"scheduler must be the address of a running Dask scheduler, got {scheduler!r} "
                               f"({type(error).__name__}: {error})") from None
    results = []
    futures = []
    try:
        check_workers(client, bool(options.get("sandbox")))
        [bundle] = client.scatter([exercise_bundle(exercises_dir)], broadcast=True, hash=False)
        by_key = {}
        for path in paths:
            task_options = dict(options, student=students[path]) if students.get(path) else dict(options)
            future = client.submit(grade_shipped, path.name, path.read_bytes(), bundle, task_options,
                                   key=f"grade-{path.name}-{uuid.uuid4().hex}", retries=retries, pure=False)
            futures.append(future)
            by_key[future.key] = path
        for future in as_completed(futures, raise_errors=False):
            path = by_key[future.key]
            lost = False
            try:
                result = future.result()
                result.submission = str(path)
            except Exception as error:  # KilledWorker, or an error that outlived its retries
                result, lost = _lost(path, students.get(path), error), True
            results.append(result)
            callback = on_lost if lost and on_lost is not None else on_result
            if callback is not None:
                callback(result)
    finally:
        if futures:
            client.cancel(futures)
        if own:
            client.close()
    return results


def grade_jobs(scheduler, jobs, exercises_dir, limits, sandbox: bool, memory_mb, arrived, lost) -> None:
    """The grader's side (:func:`margincourse.grading.grader.grade` with ``scheduler``): grade ``jobs``
    (each with ``submission.path``, ``submission.student`` and ``exercise``) on the cluster within
    ``limits``; ``arrived(job, result)`` is called for each result as it arrives, ``lost(result)`` for
    each submission the cluster gave up on."""
    by_path = {str(job.submission.path): job for job in jobs}

    def given_up(result):
        result.exercise = by_path[result.submission].exercise
        lost(result)

    grade_on_cluster(scheduler, [job.submission.path for job in jobs], exercises_dir,
                     {"cell_timeout": limits.cell_timeout, "total_timeout": limits.total_timeout,
                      "max_output_bytes": limits.max_output_bytes, "sandbox": sandbox, "memory_mb": memory_mb},
                     on_result=lambda result: arrived(by_path[result.submission], result), on_lost=given_up,
                     students={job.submission.path: job.submission.student for job in jobs})
