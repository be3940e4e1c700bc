"""How long the course takes to validate: nbval over the lessons (and exercises, solutions).

    python benchmarks/bench_notebooks.py [--out benchmarks/results/notebooks.md]

Runs ``pytest --nbval`` (the project's own settings) on each notebook folder in a
subprocess and reports the wall time, plus each lesson's own execution time.
Target (issue "The course"): the whole nbval run over the lessons under 60 s on a
2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import report  # noqa: E402


def timed_pytest(*paths):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
                            cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    last = [line for line in result.stdout.strip().splitlines() if line.strip()][-1:] or ["(no output)"]
    return seconds, last[0], result.returncode


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    rows = []
    for folder in ("notebooks", "exercises", "solutions"):
        seconds, summary, code = timed_pytest(folder)
        target = "< 60 s" if folder == "notebooks" else ""
        rows.append((f"`pytest --nbval {folder}/`", f"{seconds:.1f} s", summary, target))
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        seconds, summary, code = timed_pytest(str(notebook.relative_to(ROOT)))
        rows.append((f"{notebook.name} alone", f"{seconds:.1f} s", summary, ""))
    report("Notebook validation times", ("run", "wall time", "result", "target"), rows,
           notes=("Each run includes pytest's start and one fresh kernel per notebook.",), out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
