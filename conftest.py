"""Test-wide setup: checks run by the tests (and the notebooks nbval executes) record
progress in a temporary file, never in the course folder."""

import os
import tempfile

os.environ.setdefault(
    "MARGINCOURSE_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="margincourse-tests-"), "progress.json")
)
