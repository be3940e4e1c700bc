"""CONTRIBUTING.md tells the truth: its derived-file table matches the Makefile, and its
module map names every module of the package."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "margincourse"


def _makefile_targets() -> dict[str, str]:
    """Each target of the Makefile and its recipe (the lines after it, tab-indented)."""
    targets, current = {}, None
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([a-z][\w-]*):(.*)$", line)
        if match:
            current = match.group(1)
            targets[current] = match.group(2).strip()
        elif line.startswith("\t") and current:
            targets[current] += "\n" + line.strip()
    return targets


def _derived_rows():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    table = text.split("## Derived files", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| `") or line.startswith("| executed")]
    return [[cell.strip() for cell in row] for row in rows]


def test_every_derived_file_has_a_make_target_that_writes_it():
    targets = _makefile_targets()
    rows = _derived_rows()
    assert len(rows) >= 9
    for derived, source, command in rows:
        target = re.fullmatch(r"`make ([\w-]+)`", command).group(1)
        assert target in targets, f"{command} is not a Makefile target"
        recipe = targets[target]
        for path in re.findall(r"`([^`]+)`", derived):
            if path.startswith("benchmarks/results/"):
                assert path in recipe, f"make {target} does not write {path}"
        for path in re.findall(r"`([^`]+)`", source):
            assert (ROOT / path.split("*")[0].rstrip("/")).exists() or "*" in path, f"{path} does not exist"


def test_every_benchmark_script_has_its_row():
    rows = " ".join(" ".join(r) for r in _derived_rows())
    for script in (ROOT / "benchmarks").glob("bench_*.py"):
        assert f"benchmarks/{script.name}" in rows, f"{script.name} has no row in CONTRIBUTING.md"


def test_the_module_map_names_every_module():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    table = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([\w./]+)`", table))
    missing = []
    for room in ("basics", "engine", "course", "grading", "delivery"):
        for entry in sorted((PACKAGE / room).iterdir()):
            if entry.name.startswith(("_", ".")):
                continue
            name = entry.name + ("/" if entry.is_dir() else "")
            if name not in named:
                missing.append(f"{room}/{name}")
    assert missing == []
