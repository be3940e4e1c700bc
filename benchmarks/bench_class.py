"""Grading a whole class: our grader against plain serial notebook execution, the resume, a cluster.

    python benchmarks/bench_class.py [--count 200] [--jobs 2] [--sandbox auto|on|off]
                                     [--cluster-count 40] [--out benchmarks/results/class.md]

The class: ``--count`` submissions made from the solutions of exercises 01-03 (rotating), each
with varied answers: per question a seeded coin decides whether the student keeps the solution's
answer or writes a wrong one (a number the answer key names as a known mistake, where it has one,
else 10 % off; another option's letter; a function that returns 0). So the gradebook holds a
realistic mix of full, partial and zero scores and of named mistakes.

Measured in one run, on this machine:

1. ``margincourse grade`` (sandboxed where bubblewrap works, ``--jobs`` kernels at once), from an
   empty gradebook;
2. the baseline: every notebook executed top to bottom, one after the other, in a fresh kernel with
   plain nbclient, which is what nbgrader's autograde amounts to (it executes the notebook with
   nbclient and reads the test cells' outputs), without grading anything;
3. the resume: one submission changed, the same command run again (the others unchanged are skipped);
4. throughput on a ``distributed.LocalCluster`` with ``--jobs`` worker processes (``--cluster-count``
   submissions; skipped without the ``[distributed]`` extra).
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import report  # noqa: E402
from margincourse.grading.grader import grade, resolve_sandbox  # noqa: E402
from margincourse.grading.keys import notebook_file, questions_of  # noqa: E402
from margincourse.grading.progress import PROGRESS  # noqa: E402

EXERCISES = ("01_initial_margin", "02_maintenance_margin", "03_liquidation")


def wrong_source(question, name: str, rng: random.Random) -> str:
    """The source of an answer cell holding a wrong answer to ``question`` under the variable ``name``."""
    if question.kind == "function":
        return f"def {name}(*args):\n    return 0.0"
    if question.kind == "choice":
        wrong = [letter for letter, option in question.letters().items() if option != question.answer]
        return f"{name} = {rng.choice(wrong)!r}"
    named = []
    for mistake in question.mistakes:
        try:
            named.append(float(mistake.value()))
        except Exception:  # a mistake that needs arguments: not usable as a plain number here
            continue
    value = rng.choice(named) if named else question.reference() * 1.1
    return f"{name} = {value!r}"


def _answer_name(check_source: str):
    """``("q1", "answer_q1")`` from a check cell ``check("q1", answer_q1)``."""
    for node in ast.walk(ast.parse(check_source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check" and len(node.args) == 2:
            return node.args[0].value, ast.get_source_segment(check_source, node.args[1])
    return None, None


def student_notebook(exercise: str, rng: random.Random, right=0.6):
    """The solution of ``exercise`` with each answer kept with probability ``right``, else made wrong."""
    notebook = nbformat.read(ROOT / "solutions" / notebook_file(exercise), as_version=4)
    questions = questions_of(exercise)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "check(" not in cell.source or index == 0:
            continue
        qid, name = _answer_name(cell.source)
        answer_cell = notebook.cells[index - 1]
        if qid in questions and name and "BEGIN SOLUTION" in answer_cell.source and rng.random() > right:
            answer_cell.source = wrong_source(questions[qid], name, rng)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def make_class(folder: Path, count: int, seed=13) -> list[Path]:
    """``count`` submissions ``studentNNN_exNN_name.ipynb`` in ``folder``."""
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        exercise = EXERCISES[i % len(EXERCISES)]
        path = folder / f"student{i:03d}_{notebook_file(exercise)}"
        nbformat.write(student_notebook(exercise, rng), path)
        paths.append(path)
    return paths


def run_plain(paths, timeout=30) -> float:
    """Seconds to execute every notebook in turn with plain nbclient (the nbgrader-autograde baseline)."""
    scratch = Path(tempfile.mkdtemp(prefix="mcbench-plain-"))
    os.environ[PROGRESS] = str(scratch / "progress.json")  # the checks' progress goes to scratch, not $HOME
    start = time.perf_counter()
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(scratch)}}).execute()
    seconds = time.perf_counter() - start
    os.environ.pop(PROGRESS, None)
    shutil.rmtree(scratch, ignore_errors=True)
    return seconds


def run_cluster(paths, workers: int, sandbox: bool):
    """``(seconds, results)`` grading ``paths`` on a LocalCluster of ``workers`` processes, or None without Dask."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return None
    from margincourse.grading.cluster import grade_on_cluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        start = time.perf_counter()
        results = grade_on_cluster(client, paths, ROOT / "exercises", {"sandbox": sandbox})
        return time.perf_counter() - start, results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--cluster-count", type=int, default=40)
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mcbench-class-"))
    submissions = folder / "submitted"
    submissions.mkdir()
    paths = make_class(submissions, args.count)
    sandboxed, why_not = resolve_sandbox(args.sandbox)
    out = folder / "gradebook.csv"

    start = time.perf_counter()
    results = grade([submissions], out, exercises_dir=ROOT / "exercises", jobs=args.jobs,
                            progress=False, sandbox=args.sandbox)
    ours = time.perf_counter() - start
    plain = run_plain(paths)

    changed = paths[len(paths) // 2]
    notebook = nbformat.read(changed, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("One more thought, handed in late."))
    nbformat.write(notebook, changed)
    start = time.perf_counter()
    grade([submissions], out, exercises_dir=ROOT / "exercises", jobs=args.jobs, progress=False,
                  sandbox=args.sandbox)
    resume = time.perf_counter() - start

    on_cluster = run_cluster(paths[:args.cluster_count], args.jobs, sandboxed)
    shutil.rmtree(folder, ignore_errors=True)

    full = sum(r.total == r.maximum for r in results)
    zero = sum(r.total == 0 for r in results)
    rows = [
        ("submissions (exercises 01-03 rotating, answers varied)", f"{args.count}: {full} full marks, {zero} zero, "
                                                                     f"{args.count - full - zero} partial"),
        ("statuses", ", ".join(sorted({r.status for r in results}))),
        ("kernels sandboxed (bubblewrap)", "yes" if sandboxed else f"no ({why_not})"),
        (f"our grader, {args.jobs} jobs, empty gradebook", f"{ours:.1f} s ({ours / args.count:.2f} s a submission)"),
        ("plain nbclient, serial (what nbgrader autograde amounts to)", f"{plain:.1f} s ({plain / args.count:.2f} s a submission)"),
        ("ratio plain / ours", f"{plain / ours:.2f}"),
        ("resume after one submission changed (same command again)", f"{resume:.1f} s"),
    ]
    if on_cluster is None:
        rows.append(("LocalCluster throughput", "not measured: pip install \"margincourse[distributed]\""))
    else:
        seconds, cluster_results = on_cluster
        rows.append((f"LocalCluster, {args.jobs} worker processes, {len(cluster_results)} submissions",
                     f"{seconds:.1f} s ({len(cluster_results) / seconds:.2f} submissions a second; statuses "
                     f"{', '.join(sorted({r.status for r in cluster_results}))})"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    report("Class grading benchmark", ("what", "figure"), rows, out=args.out, notes=(
        f"Command: python benchmarks/bench_class.py {' '.join(argv if argv is not None else sys.argv[1:])}",
        "",
        f"Load average when the run ended: {load:.1f} on {os.cpu_count()} cores (other work on the machine slows "
        "every figure alike; the ratio is the figure to compare). The baseline runs every cell, as nbgrader "
        "does, the progress chart included; the grader skips cells tagged grader-skip.",))
    return 0


if __name__ == "__main__":
    sys.exit(main())
