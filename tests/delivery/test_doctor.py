"""``margincourse doctor``: each broken setup, made on purpose, is found, explained and given its fix."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest

from margincourse.cli import main
from margincourse.delivery import doctor


def run_doctor():
    out = StringIO()
    code = main(["doctor"], out=out)
    return code, out.getvalue()


def line(text, check):
    (found,) = [l for l in text.splitlines() if l[5:].startswith(check + " ")]
    return found


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """This environment as it is, without a kernel or backend set by the caller's shell."""
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    return tmp_path


def fake_kernel(folder: Path, argv, env=None) -> Path:
    """A ``python3`` kernelspec in ``folder/kernels/python3`` (put ``folder`` on JUPYTER_PATH to make it win)."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [*argv, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python", "env": env or {}}))
    return spec


def test_this_environment_is_well_and_exits_0(clean):
    code, text = run_doctor()
    assert code == 0, text
    assert text.strip().endswith("all is well: margincourse start opens the course")
    for check in ("package", "data", "notebooks", "jupyterlab", "widgets", "kernel", "matplotlib"):
        assert line(text, check).startswith("ok ")


def test_a_kernel_from_another_environment_is_found_and_the_fix_named(clean, monkeypatch):
    other = clean / "other-env"   # a real second environment: its own prefix, no margincourse in it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(other)], check=True)
    spec = fake_kernel(clean / "jupyter", [str(other / "bin" / "python")])
    monkeypatch.setenv("JUPYTER_PATH", str(clean / "jupyter"))
    code, text = run_doctor()
    assert code == 1
    bad = line(text, "kernel")
    assert bad.startswith("BAD") and "from another environment" in bad and str(other) in bad
    assert "cannot import margincourse" in bad and str(spec) in bad
    assert f"{sys.executable} -m ipykernel install --sys-prefix --name python3" in text
    assert "problem(s) found" in text.splitlines()[-1]


def test_a_kernel_whose_python_is_gone_is_found(clean, monkeypatch):
    fake_kernel(clean / "jupyter", [str(clean / "deleted-env" / "bin" / "python")])
    monkeypatch.setenv("JUPYTER_PATH", str(clean / "jupyter"))
    code, text = run_doctor()
    assert code == 1 and "cannot be run" in line(text, "kernel")


def test_a_kernel_of_this_environment_named_by_its_path_is_well(clean, monkeypatch):
    fake_kernel(clean / "jupyter", [sys.executable])
    monkeypatch.setenv("JUPYTER_PATH", str(clean / "jupyter"))
    finding = doctor.check_kernel()
    assert finding.ok, finding.detail


@pytest.mark.parametrize("versions, expected", [
    ({"ipywidgets": "8.1.5", "jupyterlab_widgets": "1.1.7"}, "ipywidgets 8.1.5 needs jupyterlab_widgets 3.x, but jupyterlab_widgets is 1.1.7"),
    ({"ipywidgets": "7.8.1", "jupyterlab_widgets": "3.0.13"}, "ipywidgets 7.8.1 needs jupyterlab_widgets 1.x"),
    ({"ipywidgets": "8.1.5", "jupyterlab_widgets": None}, "jupyterlab_widgets is not installed"),
    ({"ipywidgets": None, "jupyterlab_widgets": "3.0.13"}, "ipywidgets is not installed"),
])
def test_mismatched_widget_packages_are_found(clean, monkeypatch, versions, expected):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda name: versions[name] if name in versions else real(name))
    code, text = run_doctor()
    assert code == 1
    bad = line(text, "widgets")
    assert bad.startswith("BAD") and expected in bad
    assert "-m pip install" in text


def test_a_missing_jupyterlab_widget_extension_is_found():
    finding = doctor.check_widgets(version={"ipywidgets": "8.1.5", "jupyterlab_widgets": "3.0.13"}.get,
                                   lab_manager=lambda: None)
    assert not finding.ok and "jupyterlab-manager) is missing" in finding.detail
    assert "--force-reinstall jupyterlab_widgets==3.0.13" in finding.fix


@pytest.mark.parametrize("backend, expected", [
    ("Agg", "is not interactive"),
    ("pdf", "is not interactive"),
    ("TkAgg", "is a desktop backend"),
    ("not-a-backend", "is not a backend matplotlib knows"),
    ("module://no_such_backend_module", "names a module that is not installed"),
])
def test_a_backend_that_hides_figures_is_found(clean, monkeypatch, backend, expected):
    monkeypatch.setenv("MPLBACKEND", backend)
    code, text = run_doctor()
    assert code == 1
    bad = line(text, "matplotlib")
    assert bad.startswith("BAD") and f"MPLBACKEND={backend} (from the environment)" in bad and expected in bad
    assert "unset MPLBACKEND" in text


@pytest.mark.parametrize("backend", ["inline", "module://matplotlib_inline.backend_inline"])
def test_the_inline_backend_is_well(clean, monkeypatch, backend):
    monkeypatch.setenv("MPLBACKEND", backend)
    assert doctor.check_backend().ok


def test_a_backend_set_in_the_kernelspec_is_found_there(clean, monkeypatch):
    spec = fake_kernel(clean / "jupyter", ["python"], env={"MPLBACKEND": "Agg"})
    monkeypatch.setenv("JUPYTER_PATH", str(clean / "jupyter"))
    code, text = run_doctor()
    assert code == 1
    assert "MPLBACKEND=Agg (from the kernelspec's env)" in line(text, "matplotlib")
    assert f"remove MPLBACKEND from the env of {spec}/kernel.json" in text


def test_an_old_jupyterlab_is_found(clean, monkeypatch):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version", lambda name: "3.6.7" if name == "jupyterlab" else real(name))
    code, text = run_doctor()
    assert code == 1
    assert "JupyterLab 3.6.7 is older than 4" in line(text, "jupyterlab")
    assert "-m pip install 'jupyterlab>=4'" in text


def test_missing_course_notebooks_and_unreadable_tier_data_are_found(clean, monkeypatch):
    from margincourse.basics.errors import MarginInputError
    from margincourse.delivery import workspace
    from margincourse.engine import specs

    def no_course():
        raise MarginInputError("course notebooks must ship with the package")

    def broken_table(symbol, exchange="binance"):
        raise ValueError("unreadable JSON")

    monkeypatch.setattr(workspace, "shipped_course", no_course)
    monkeypatch.setattr(specs, "tier_table", broken_table)
    code, text = run_doctor()
    assert code == 1
    assert "course notebooks must ship" in line(text, "notebooks")
    assert "risk-tier tables do not load: binance BTCUSDT: unreadable JSON" in line(text, "data")
    assert "--force-reinstall margincourse" in text
