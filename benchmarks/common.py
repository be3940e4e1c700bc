"""What every benchmark script shares: the machine's description and the report's shape."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np


def machine() -> str:
    """CPU model, cores, OS, Python and numpy versions: the context of every figure."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def report(title, columns, rows, *, notes=(), out=None) -> str:
    """Print a dated markdown table headed by the machine; also write it to ``out`` if given."""
    lines = [
        f"{title}, {time.strftime('%Y-%m-%d')}",
        "",
        f"Machine: {machine()}",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
        *["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows],
    ]
    if notes:
        lines += ["", *notes]
    table = "\n".join(lines)
    print(table)
    if out:
        Path(out).write_text(table + "\n")
    return table
