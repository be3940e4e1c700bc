"""Callback time of every lesson dashboard: how long one slider change takes in Python.

    python benchmarks/bench_dashboards.py [--out benchmarks/results/dashboards.md]

For each dashboard found in margincourse.course.lessons (a module with a ``dashboard()``
function), every control is moved to its minimum, its maximum and back to its
default, one change at a time, as a learner dragging sliders would; each change is
timed (numbers + figure redraw + PNG encode). Target (issue "The course"): under
50 ms per change.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import margincourse.course.lessons  # noqa: E402
from common import report  # noqa: E402


def control_values(control):
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max, control.value]
    options = list(getattr(control, "options", []))
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    return values + [control.value]


def measure(module):
    build_start = time.perf_counter()
    dashboard = module.dashboard()
    build = time.perf_counter() - build_start
    times = []
    for name, control in dashboard.controls.items():
        for value in control_values(control):
            dashboard.set(**{name: value})
            times.append(dashboard.last_update_seconds)
    return build, times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    rows = []
    for info in sorted(pkgutil.iter_modules(margincourse.course.lessons.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"margincourse.course.lessons.{info.name}")
        if not hasattr(module, "dashboard"):
            continue
        build, times = measure(module)
        rows.append((info.name, len(times), f"{statistics.median(times) * 1e3:.1f} ms",
                     f"{max(times) * 1e3:.1f} ms", f"{build * 1e3:.0f} ms"))
    report("Dashboard callback times",
           ("dashboard", "slider changes", "median per change", "slowest change", "first build"), rows,
           notes=("Target: under 50 ms per change (Python time: numbers, artists, PNG encode).",), out=args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
