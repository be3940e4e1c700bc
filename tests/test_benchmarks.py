"""The benchmark scripts still run (at small sizes); their figures are reported, not asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_benchmark_runs_quick():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_engine.py"), "--quick"],
                            capture_output=True, text=True, check=True)
    assert "| `liquidation_price`, numpy arrays |" in result.stdout
    assert "Machine:" in result.stdout
