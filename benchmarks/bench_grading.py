"""Grading speed: N submissions of one exercise notebook, graded with the real grader.

    python benchmarks/bench_grading.py [--count 100] [--jobs 2] [--sandbox auto|on|off] [--out ...]

The submissions are copies of the lesson 1 solution (full marks) and of its
untouched exercise (zero), alternating, so half the class answered everything.
Target (issue "Exercises ... and a grader"): 100 submissions in under 3 minutes on
a 2-core machine; the table reports the per-submission cost too.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import report  # noqa: E402
from margincourse.grading import grader as grading  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto",
                        help="grade in the bubblewrap sandbox (as margincourse grade does by default)")
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mcbench-"))
    sources = [ROOT / "solutions" / "ex01_initial_margin.ipynb", ROOT / "exercises" / "ex01_initial_margin.ipynb"]
    for i in range(args.count):
        shutil.copyfile(sources[i % 2], folder / f"student{i:03d}_ex01_initial_margin.ipynb")
    sandboxed, why_not = grading.resolve_sandbox(args.sandbox)
    start = time.perf_counter()
    results = grading.grade([folder], folder / "gradebook.csv", exercises_dir=ROOT / "exercises",
                            jobs=args.jobs, progress=False, sandbox=args.sandbox)
    wall = time.perf_counter() - start
    statuses = {r.status for r in results}
    full = sum(r.total == r.maximum for r in results)
    shutil.rmtree(folder, ignore_errors=True)
    per = [r.seconds for r in results]
    report("Grading benchmark", ("what", "figure"), [
        ("submissions (exercise 01, half solved)", args.count),
        ("parallel jobs", args.jobs),
        ("kernels sandboxed (bubblewrap)", "yes" if sandboxed else f"no ({why_not})"),
        ("wall time for the whole batch", f"{wall:.1f} s (target < 180 s)"),
        ("wall time per submission (batch / count)", f"{wall / args.count:.2f} s"),
        ("one submission's own time, median (kernel start, run, probes)", f"{statistics.median(per):.2f} s"),
        ("statuses", f"{', '.join(sorted(statuses))}; {full} with full marks"),
    ], out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
