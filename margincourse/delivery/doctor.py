"""``margincourse doctor``: the setups that break a widget course, found before a learner meets them.

A dashboard that shows "Error displaying widget", or a figure that never appears, almost
always comes from one of a few setups. Each check below looks for one, and when it finds
it says what is wrong and the command that fixes it:

* **the kernel** JupyterLab starts for the notebooks (their kernelspec is ``python3``) must
  run this environment's Python: a kernel from another environment has another
  ``ipywidgets`` (or no ``margincourse`` at all). A kernelspec whose command is plain
  ``python`` is run by JupyterLab with its own Python (jupyter_client's
  ``KernelManager.format_kernel_cmd``), which is this one when ``margincourse lab`` or
  ``start`` opens it; any other command is run and asked for its ``sys.prefix``.
* **the widget versions**: ``ipywidgets`` 8 speaks to the JupyterLab extension of
  ``jupyterlab_widgets`` 3 (``@jupyter-widgets/jupyterlab-manager`` 5), ``ipywidgets`` 7 to
  ``jupyterlab_widgets`` 1 (ipywidgets' documentation, "Installation" and "Migrating user
  code": "ipywidgets 8 ... jupyterlab_widgets 3"). Any other pair shows "Error displaying widget".
* **matplotlib's backend** in the kernel's environment (``MPLBACKEND``, from the shell or the
  kernelspec's ``env``). The course draws its figures to PNG itself (``course/plots.py``), so
  its dashboards work under any valid backend; what breaks is the learner's own
  ``plt.plot(...)``. Our decision: unset, ``inline`` or ``ipympl`` (when installed) is well;
  a non-interactive backend such as ``Agg`` is a problem, because ipykernel turns on the
  inline backend only when ``MPLBACKEND`` is unset (ipykernel's ``kernelapp.init_gui_pylab``),
  so a figure made in a notebook cell never shows; a desktop backend (``TkAgg``, ``QtAgg`` ...)
  opens windows on the server instead; a name matplotlib does not know makes
  ``import matplotlib``, and so ``import margincourse``, fail.
* **JupyterLab 4 or newer** (the course's widgets and its browser tests are built for it).
* **the package, its data and the course notebooks**: every risk-tier table loads, and the
  lessons and exercises ``margincourse start`` copies are found.

:func:`examine` runs every check and returns :class:`Finding` rows; the command line prints
them and exits 0 only when all are well.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

__all__ = ["Finding", "examine", "installed_version", "check_kernel", "check_widgets", "check_backend",
           "check_jupyterlab", "check_package", "report"]

KERNEL = "python3"                   # the kernelspec every course notebook names
WIDGETS_PAIRS = {8: 3, 7: 1}         # ipywidgets major -> the jupyterlab_widgets major it needs
LAB_MANAGER = {3: 5, 1: 3}           # jupyterlab_widgets major -> its @jupyter-widgets/jupyterlab-manager major
MINIMUM_LAB = 4
_PYTHON_NAMES = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
_INLINE = {"inline", "module://matplotlib_inline.backend_inline"}
_IPYMPL = {"widget", "ipympl", "module://ipympl.backend_nbagg"}
_PROBE = ("import json, sys\nreport = {'prefix': sys.prefix}\n"
          "for name in ('margincourse', 'ipywidgets'):\n"
          "    try:\n        report[name] = __import__(name).__version__\n"
          "    except Exception as error:\n        report[name] = None\n"
          "print(json.dumps(report))\n")


@dataclass(frozen=True)
class Finding:
    """One check's verdict: what was looked at, what was found, and the command that fixes it."""

    check: str
    ok: bool
    detail: str
    fix: str = ""


def installed_version(name: str) -> str | None:
    """The installed version of the distribution ``name`` in this environment, None if absent."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def _pip(requirement: str) -> str:
    return f"{shlex.quote(sys.executable)} -m pip install {shlex.quote(requirement)}"


def _kernel_spec(name=KERNEL):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return None


def check_kernel(spec=None, timeout: float = 60) -> Finding:
    """The ``python3`` kernel runs this environment's Python (and can import the course)."""
    spec = _kernel_spec() if spec is None else spec
    fix = f"{shlex.quote(sys.executable)} -m ipykernel install --sys-prefix --name {KERNEL}"
    if spec is None:
        return Finding("kernel", False, f"no '{KERNEL}' kernel is installed: the notebooks cannot run", fix)
    where = getattr(spec, "resource_dir", "") or "its kernelspec"
    command = spec.argv[0] if spec.argv else ""
    if command in _PYTHON_NAMES:
        return Finding("kernel", True, f"'{KERNEL}' runs the Python that runs JupyterLab: {sys.executable}")
    try:
        done = subprocess.run([command, "-c", _PROBE], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(spec.env or {})})
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return Finding("kernel", False, f"the '{KERNEL}' kernel's Python {command!r} (from {where}) cannot be run",
                       f"{fix}   (or remove {where})")
    if Path(found["prefix"]).resolve() != Path(sys.prefix).resolve():
        missing = "" if found.get("margincourse") else "; it cannot import margincourse"
        return Finding("kernel", False,
                       f"the '{KERNEL}' kernel runs {command} from another environment ({found['prefix']}, not "
                       f"{sys.prefix}){missing}: its widgets and packages are not this environment's (defined in {where})",
                       f"{fix}   (and remove {where} if it still wins: jupyter kernelspec list)")
    return Finding("kernel", True, f"'{KERNEL}' runs this environment's Python: {command}")


def _lab_manager_version() -> str | None:
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("labextensions"):
        package = Path(folder, "@jupyter-widgets", "jupyterlab-manager", "package.json")
        if package.is_file():
            try:
                return json.loads(package.read_text(encoding="utf-8"))["version"]
            except (OSError, ValueError, KeyError):
                return None
    return None


def check_widgets(version=None, lab_manager=None) -> Finding:
    """``ipywidgets`` and ``jupyterlab_widgets`` (and its JupyterLab extension) are a matching pair.

    ``version(name)`` and ``lab_manager()`` default to what is installed here (the tests pass others).
    """
    version, lab_manager = version or installed_version, lab_manager or _lab_manager_version
    widgets, lab = version("ipywidgets"), version("jupyterlab_widgets")
    if widgets is None:
        return Finding("widgets", False, "ipywidgets is not installed: no dashboard can show", _pip("ipywidgets>=8.1"))
    wanted = WIDGETS_PAIRS.get(_major(widgets))
    if wanted is None:
        return Finding("widgets", False, f"ipywidgets {widgets} is not a version the course knows (it needs 8)",
                       _pip("ipywidgets>=8.1"))
    pair = f'ipywidgets=={_major(widgets)}.* "jupyterlab_widgets=={wanted}.*"'
    if lab is None or _major(lab) != wanted:
        have = "is not installed" if lab is None else f"is {lab}"
        return Finding("widgets", False,
                       f"ipywidgets {widgets} needs jupyterlab_widgets {wanted}.x, but jupyterlab_widgets {have}: "
                       f"dashboards would show 'Error displaying widget'",
                       f"{shlex.quote(sys.executable)} -m pip install {pair}   (then restart JupyterLab)")
    extension = lab_manager()
    if extension is None or _major(extension) != LAB_MANAGER[wanted]:
        have = "is missing" if extension is None else f"is {extension}"
        return Finding("widgets", False,
                       f"JupyterLab's widget extension (@jupyter-widgets/jupyterlab-manager) {have}, "
                       f"jupyterlab_widgets {lab} brings {LAB_MANAGER[wanted]}.x",
                       f"{shlex.quote(sys.executable)} -m pip install --force-reinstall jupyterlab_widgets=={lab}")
    return Finding("widgets", True, f"ipywidgets {widgets} with jupyterlab_widgets {lab} (extension {extension})")


def check_backend(environ=None, spec=None) -> Finding:
    """``MPLBACKEND`` as the kernel will see it: the shell's, overridden by the kernelspec's ``env``."""
    from matplotlib import rcsetup
    from matplotlib.backends import BackendFilter, backend_registry

    kernel_env = dict(getattr(spec, "env", None) or {})
    environ = dict(os.environ if environ is None else environ)
    name = kernel_env.get("MPLBACKEND", environ.get("MPLBACKEND"))
    source = "the kernelspec's env" if "MPLBACKEND" in kernel_env else "the environment"
    unset = ("unset MPLBACKEND   (before starting JupyterLab)" if source == "the environment"
             else f"remove MPLBACKEND from the env of {getattr(spec, 'resource_dir', 'the kernelspec')}/kernel.json")
    if name is None or name.strip() == "":
        if util.find_spec("matplotlib_inline") is None:
            return Finding("matplotlib", False, "matplotlib-inline is missing: figures made in a cell cannot show",
                           _pip("matplotlib-inline"))
        return Finding("matplotlib", True, "MPLBACKEND is not set: the kernel draws figures inline")
    if name in _INLINE:
        return Finding("matplotlib", True, f"MPLBACKEND={name}: figures show inline")
    if name in _IPYMPL:
        if util.find_spec("ipympl") is None:
            return Finding("matplotlib", False, f"MPLBACKEND={name} (from {source}) needs ipympl, which is not installed",
                           f"{_pip('ipympl')}   (or {unset})")
        return Finding("matplotlib", True, f"MPLBACKEND={name}: interactive figures through ipympl")
    if name.startswith("module://"):
        if util.find_spec(name.removeprefix("module://").split(".")[0]) is None:
            return Finding("matplotlib", False, f"MPLBACKEND={name} (from {source}) names a module that is not installed",
                           unset)
        return Finding("matplotlib", True, f"MPLBACKEND={name}: a backend module that is installed")
    try:
        rcsetup.validate_backend(name)
    except ValueError:
        return Finding("matplotlib", False,
                       f"MPLBACKEND={name} (from {source}) is not a backend matplotlib knows: import matplotlib, "
                       f"and so import margincourse, fails in the kernel", unset)
    if name.lower() in backend_registry.list_builtin(BackendFilter.INTERACTIVE):
        return Finding("matplotlib", False,
                       f"MPLBACKEND={name} (from {source}) is a desktop backend: a figure made in a cell opens a "
                       f"window on the server (or fails there) instead of showing in the notebook", unset)
    return Finding("matplotlib", False,
                   f"MPLBACKEND={name} (from {source}) is not interactive: the course's own figures still show, but a "
                   f"figure you make with plt.plot(...) never does (ipykernel turns on the inline backend only "
                   f"when MPLBACKEND is unset)", unset)


def check_jupyterlab(version=None) -> Finding:
    """JupyterLab 4 or newer (``version(name)`` defaults to what is installed here)."""
    version = version or installed_version
    lab = version("jupyterlab")
    fix = _pip(f"jupyterlab>={MINIMUM_LAB}")
    if lab is None:
        return Finding("jupyterlab", False, "JupyterLab is not installed", fix)
    if _major(lab) < MINIMUM_LAB:
        return Finding("jupyterlab", False, f"JupyterLab {lab} is older than {MINIMUM_LAB}: the course's widgets need 4",
                       fix)
    return Finding("jupyterlab", True, f"JupyterLab {lab}")


def check_package() -> list[Finding]:
    """The package imports, every risk-tier table it ships loads, and the course notebooks are found."""
    fix = f"{shlex.quote(sys.executable)} -m pip install --force-reinstall margincourse"
    try:
        from ..engine.specs import exchanges, symbols, tier_table
    except Exception as error:  # noqa: BLE001 - any failure to import is what this check reports
        return [Finding("package", False, f"margincourse does not import: {error}", fix)]
    version = installed_version("margincourse") or "(not installed: run from a checkout)"
    findings = [Finding("package", True, f"margincourse {version} at {Path(__file__).resolve().parents[1]}")]
    loaded, broken = 0, []
    try:
        pairs = [(symbol, exchange) for symbol in symbols() for exchange in exchanges(symbol)]
    except Exception as error:  # noqa: BLE001 - a missing or unreadable data folder
        pairs, broken = [], [f"the data folder: {error}"]
    for symbol, exchange in pairs:
        try:
            tier_table(symbol, exchange)
            loaded += 1
        except Exception as error:  # noqa: BLE001
            broken.append(f"{exchange} {symbol}: {error}")
    if broken or loaded == 0:
        findings.append(Finding("data", False, "risk-tier tables do not load: " + ("; ".join(broken) or "none found"), fix))
    else:
        findings.append(Finding("data", True, f"{loaded} risk-tier tables load"))
    from .workspace import shipped_course, shipped_notebooks

    try:
        source = shipped_course()
        findings.append(Finding("notebooks", True, f"{len(shipped_notebooks(source))} course notebooks in {source}"))
    except ValueError as error:
        findings.append(Finding("notebooks", False, str(error), fix))
    return findings


def examine() -> list[Finding]:
    """Every check, in the order a learner's setup is built."""
    spec = _kernel_spec()
    return [*check_package(), check_jupyterlab(), check_widgets(), check_kernel(spec), check_backend(spec=spec)]


def report(findings) -> tuple[str, int]:
    """The text ``margincourse doctor`` prints and its exit status (0 only when all is well)."""
    lines = []
    for finding in findings:
        lines.append(f"{'ok ' if finding.ok else 'BAD'}  {finding.check:<11} {finding.detail}")
        if not finding.ok and finding.fix:
            lines.append(f"     {'fix:':<11} {finding.fix}")
    bad = [f for f in findings if not f.ok]
    lines.append("all is well: margincourse start opens the course" if not bad
                 else f"{len(bad)} problem(s) found: run the fix lines above, then margincourse doctor again")
    return "\n".join(lines), 0 if not bad else 1
