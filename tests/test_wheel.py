"""The built wheel installs and works without the checkout (the JupyterHub recipe, ``pip install *.whl``).

Every other test runs on the editable install, which finds modules in the checkout
whatever ``pyproject.toml`` says ships. Here the wheel is built, installed into a
fresh folder, and used by a Python that starts outside the checkout and sees only
that folder and the dependencies.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

PROBE = r"""
import importlib, json, pkgutil, sys
import margincourse as mc
assert mc.__file__.startswith(sys.argv[1]), mc.__file__   # the installed copy, not the checkout
names = sorted(m.name for m in pkgutil.walk_packages(mc.__path__, "margincourse."))
for name in names:
    importlib.import_module(name)
table = mc.tier_table("BTCUSDT", "binance")
check = mc.exercise("01_initial_margin", record=False)
verdict = check.verdict("q1", 904.0)
print(json.dumps({"modules": names, "tiers": len(table.tiers), "q1": verdict.correct,
                  "style": mc.course.plots.STYLE}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    # From a clean copy of the sources: a build/ folder left in the checkout by an earlier
    # build would otherwise slip its stale modules into the wheel.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "margincourse", source / "margincourse",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in ("notebooks", "exercises", "solutions", "docs"):  # solutions/ too: the wheel must leave it out
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                   check=True, cwd=out)
    (built,) = out.glob("margincourse-*.whl")
    return built


def _installed(wheel, target):
    """Install ``wheel`` into the folder ``target``; the environment that runs its copy (and the
    dependencies), never the checkout's."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    site_packages = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MARGINCOURSE"))}
    env["PYTHONPATH"] = os.pathsep.join([str(target), *site_packages])
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_the_wheel_holds_every_subpackage_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {str(p.relative_to(ROOT)).replace(os.sep, "/") for p in (ROOT / "margincourse").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert sources - names == set()


def test_the_wheel_carries_the_lessons_and_exercises_but_not_the_solutions(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("margincourse/course_files/") for n in names if n.startswith("margincourse/course_files/")}
    wanted = {f"{folder}/{p.name}" for folder in ("notebooks", "exercises") for p in (ROOT / folder).glob("*.ipynb")}
    assert len(wanted) >= 15 and shipped == wanted | {"docs/jupyterhub.md"}
    assert not any("solutions" in n for n in names)


def test_the_installed_wheel_imports_every_module_and_runs_a_check(wheel, tmp_path):
    target = tmp_path / "site"
    env = _installed(wheel, target)   # the dependencies from this environment, the package only from the wheel
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env["MARGINCOURSE_PROGRESS"] = str(tmp_path / "progress.json")
    done = subprocess.run([sys.executable, "-s", "-c", PROBE, str(target)], cwd=outside, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "margincourse.course.lessons.lesson1" in report["modules"]
    assert "margincourse.grading.answer_key.lesson1" in report["modules"]
    assert report["tiers"] > 5
    assert report["style"].startswith(str(target))
    assert report["q1"] is True  # 1,000 - 0.03 BTC x 64,000 / 20 = 904 USDT, judged by the installed answer key


KERNEL_PROBE = "import margincourse, sys; print(margincourse.__file__); print(sys.executable)"


def test_start_from_the_installed_wheel_builds_a_workspace_that_runs(wheel, tmp_path):
    """pip install the wheel, ``margincourse start --no-browser``, then run a lesson and an exercise there."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    target = tmp_path / "site"
    env = _installed(wheel, target)
    home = tmp_path / "learner"
    home.mkdir()
    done = subprocess.run([str(target / "bin" / "margincourse"), "start", "--no-browser"], cwd=home, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    workspace = home / "margincourse-course"
    lab = subprocess.run([str(target / "bin" / "margincourse"), "lab", "--dry-run", "--course", str(workspace)],
                         cwd=home, env=env, capture_output=True, text=True, timeout=120)
    assert lab.returncode == 0 and f"--ServerApp.root_dir={workspace}" in lab.stdout   # lab opens the workspace too
    lost = subprocess.run([str(target / "bin" / "margincourse"), "lab", "--dry-run"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert lost.returncode == 2 and "margincourse start copies the course" in lost.stderr   # no clone: says what to do
    doctor = subprocess.run([str(target / "bin" / "margincourse"), "doctor"], cwd=home, env=env,
                            capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr   # the installed package finds its data and notebooks
    assert f"course notebooks in {target / 'margincourse' / 'course_files'}" in doctor.stdout
    shipped = len(list((ROOT / "notebooks").glob("*.ipynb"))) + len(list((ROOT / "exercises").glob("*.ipynb")))
    assert f"added {shipped} notebook(s)" in done.stdout
    assert {p.name for p in (workspace / "exercises").glob("*.ipynb")} == {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    assert not (workspace / "solutions").exists()
    for relative in ("notebooks/01_initial_margin.ipynb", "exercises/ex01_initial_margin.ipynb"):
        path = workspace / relative
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(KERNEL_PROBE))
        client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                         resources={"metadata": {"path": str(path.parent)}})
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # the kernel inherits the wheel's PYTHONPATH, not the checkout's
        try:
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(old)
        probe = notebook.cells[-1].outputs[0]["text"].splitlines()
        assert probe[0].startswith(str(target)), probe   # the kernel ran the installed copy
        errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert errors == []
    progress = json.loads((workspace / ".margincourse_progress.json").read_text())
    assert progress  # the exercise's checks recorded the learner's progress inside the workspace


def test_site_and_a_class_variant_from_the_installed_wheel(wheel, tmp_path):
    """What an instructor runs without a clone: ``margincourse site`` and ``make-exercises --variant``
    both read the lessons and exercises the wheel carries."""
    pytest.importorskip("jupyter_book", reason='the site needs Jupyter Book 1: pip install -e ".[site]"')
    target = tmp_path / "installed"
    env = _installed(wheel, target)
    home = tmp_path / "instructor"
    home.mkdir()
    command = str(target / "bin" / "margincourse")

    site = subprocess.run([command, "site", "book"], cwd=home, env=env, capture_output=True, text=True, timeout=600)
    assert site.returncode == 0, site.stdout + site.stderr
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert lessons and all((home / "book" / f"{name}.html").is_file() for name in lessons)
    assert (home / "book" / "index.html").is_file()

    made = subprocess.run([command, "make-exercises", "--variant", "fin305-spring", "--out", "class_exercises",
                           "--answers", "answers.md"], cwd=home, env=env, capture_output=True, text=True, timeout=900)
    assert made.returncode == 0, made.stdout + made.stderr
    written = {p.name for p in (home / "class_exercises").glob("*.ipynb")}
    assert written == {p.name for p in (ROOT / "exercises").glob("*.ipynb")}   # from the wheel's course files
    assert "answers.md" in made.stdout and (home / "answers.md").is_file()
    assert "WARNING" not in made.stderr
