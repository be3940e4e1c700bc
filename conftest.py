"""Test-wide setup.

Checks run by the tests (and the notebooks nbval executes) record progress in a
temporary file, never in the course folder. Tests mirror the package (tests/engine,
tests/course, tests/grading, and whole-project checks in tests/); helpers they share
live in tests/shared_checks.py, importable from every test folder.
"""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault(
    "MARGINCOURSE_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="margincourse-tests-"), "progress.json")
)
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
