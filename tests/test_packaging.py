"""The project's own files: dependencies in sync, README quick start, CI script."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement):
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment_dependencies():
    """Package names under ``dependencies:`` in environment.yml (conda and pip entries)."""
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        item = line.strip()
        if not item.startswith("- ") or item in ("- pip:", "- pip", "- -e ."):
            continue
        names.add(_name(item[2:]))
    return names


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = _pyproject()["project"]
    wanted = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["test"]}
    have = _environment_dependencies() - {"python"}
    assert have == wanted


def test_environment_yml_pins_the_same_python():
    text = (ROOT / "environment.yml").read_text()
    assert "python>=3.11" in text.replace(" ", "")
    assert _pyproject()["project"]["requires-python"] == ">=3.11"


def test_readme_starts_with_a_two_command_quick_start():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:bash|sh)?\n(.*?)```", quick, flags=re.S)
    lines = [l for block in commands for l in block.strip().splitlines() if l.strip()]
    assert len(lines) == 2
    assert "jupyter lab" in lines[0] or "margincourse lab" in lines[0]
    assert "pytest" in lines[1]


def test_ci_runs_the_readme_test_command():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    test_command = [l for l in re.findall(r"```(?:bash|sh)?\n(.*?)```", quick, flags=re.S)[-1].splitlines() if l.strip()][-1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.strip() in ci
    assert "set -e" in ci


def test_readme_python_example_runs_and_its_comments_are_true():
    text = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    mc = namespace["mc"]
    assert round(mc.liquidation_price("long", 50_000, 0.02, wallet_balance=100, mmr=0.004), 2) == 45_180.72
    assert namespace["timeline"]["events"].eq("").all()
    assert namespace["account"].equity == 1_000
