"""Execute notebooks top to bottom in a fresh kernel and save them with their outputs.

    python tools/run_notebooks.py notebooks/*.ipynb

The committed lessons are the output of this script (nbval compares against it),
so run it after editing a lesson. It uses the current Python environment's kernel,
removes volatile metadata (execution timings), keeps the widget state
(so JupyterLab shows the widgets' last view before the notebook is run) and fails on the first cell error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from margincourse.grading.authoring import QUIET_KERNEL


def execute(path: Path, timeout: int = 120) -> float:
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=QUIET_KERNEL,
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        seconds = execute(path, args.timeout)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
