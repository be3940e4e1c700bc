"""The learner's own copy of the course: ``margincourse start``.

The package carries the course: the lessons (``notebooks/``) and the exercises
(``exercises/``), never the worked solutions. In a wheel they sit inside the package as
``margincourse/course_files/`` (``setup.py`` copies them there at build time); in a
checkout or an editable install they are the repository's own folders. Either way
:func:`shipped_course` finds them.

:func:`prepare_workspace` copies them into a folder the learner owns, with the same
layout (``notebooks/`` beside ``exercises/``, so the lessons' links and ``mc.progress()``
work there). Its one promise: a notebook already in the workspace is never overwritten.
A second call adds only what is missing and says what it kept. :func:`reset_notebook`
is the one way back to the course's copy of a notebook, and it first moves the learner's
copy to ``backups/`` under a timestamped name.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "course"
>>> first = prepare_workspace(folder)
>>> "notebooks/00_start_here.ipynb" in first.added and first.kept == ()
True
>>> prepare_workspace(folder).added
()
>>> shutil.rmtree(folder.parent)
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..basics.errors import MarginInputError

__all__ = ["COURSE_FOLDERS", "START_HERE", "WorkspaceReport", "shipped_course", "shipped_notebooks",
           "prepare_workspace", "reset_notebook", "DEFAULT_WORKSPACE"]

COURSE_FOLDERS = ("notebooks", "exercises")   # what ships; solutions/ never does
START_HERE = "notebooks/00_start_here.ipynb"
DEFAULT_WORKSPACE = "margincourse-course"
BACKUPS = "backups"
_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_course() -> Path:
    """The folder that holds the course's ``notebooks/`` and ``exercises/`` as shipped.

    ``margincourse/course_files/`` in an installed wheel, else the checkout the package runs
    from (an editable install). Raises :class:`MarginInputError` when neither has them.
    """
    for folder in (_PACKAGE / "course_files", _PACKAGE.parent):
        if (folder / START_HERE).is_file() and (folder / "exercises").is_dir():
            return folder
    raise MarginInputError(
        f"course notebooks must ship with the package (margincourse/course_files/{START_HERE}) or sit in its "
        f"checkout; neither was found under {_PACKAGE}: reinstall with pip install --force-reinstall margincourse")


def shipped_notebooks(source: Path | None = None) -> tuple[str, ...]:
    """The course's notebooks as paths relative to the course folder, lessons first.

    >>> shipped_notebooks()[0]
    'notebooks/00_start_here.ipynb'
    """
    source = shipped_course() if source is None else Path(source)
    return tuple(f"{folder}/{path.name}" for folder in COURSE_FOLDERS
                 for path in sorted((source / folder).glob("*.ipynb")))


@dataclass(frozen=True)
class WorkspaceReport:
    """What :func:`prepare_workspace` did: the notebooks it added and the ones it left alone."""

    workspace: Path
    added: tuple[str, ...]
    kept: tuple[str, ...]          # already there: never overwritten, whatever they hold
    changed: tuple[str, ...]       # of those kept, the ones that differ from the course's copy

    def summary(self) -> str:
        """The lines ``margincourse start`` prints."""
        lines = [f"course workspace: {self.workspace}"]
        if self.added:
            lines.append(f"added {len(self.added)} notebook(s): " + ", ".join(self.added))
        if self.kept:
            lines.append(f"kept {len(self.kept)} notebook(s) already there, untouched"
                         + (f" ({len(self.changed)} of them differ from the course's copy)" if self.changed else ""))
        if not self.added:
            lines.append("nothing was missing: every course notebook is already in the workspace")
        if self.changed:
            lines.append("to go back to the course's copy of one (yours is kept in backups/): "
                         f"margincourse start {self.workspace} --reset NOTEBOOK")
        return "\n".join(lines)


def _same(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def prepare_workspace(folder, source: Path | None = None) -> WorkspaceReport:
    """Copy every course notebook missing from ``folder`` into it; never touch one already there.

    ``folder`` is made if needed. ``source``: the shipped course (default :func:`shipped_course`).
    """
    source = shipped_course() if source is None else Path(source)
    workspace = Path(folder).expanduser().resolve()
    if workspace.exists() and not workspace.is_dir():
        raise MarginInputError(f"workspace must be a folder, got the file {str(workspace)!r}")
    added, kept, changed = [], [], []
    for relative in shipped_notebooks(source):
        target = workspace / relative
        if target.exists():
            kept.append(relative)
            if not _same(target, source / relative):
                changed.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)
        added.append(relative)
    return WorkspaceReport(workspace, tuple(added), tuple(kept), tuple(changed))


def _resolve_notebook(name: str, known: tuple[str, ...]) -> str:
    """``01_initial_margin``, ``01_initial_margin.ipynb`` or ``notebooks/01_initial_margin.ipynb``."""
    wanted = str(name).strip().replace("\\", "/")
    for relative in known:
        if wanted in (relative, relative.split("/", 1)[1], Path(relative).stem):
            return relative
    raise MarginInputError(
        f"reset must name a course notebook such as {Path(known[1]).name} or {Path(known[-1]).name}, got {name!r} "
        f"(the course's notebooks: {', '.join(Path(k).name for k in known)})")


def reset_notebook(folder, name: str, source: Path | None = None, now: datetime | None = None) -> tuple[str, Path | None]:
    """Restore the course's copy of one notebook in the workspace ``folder``.

    The learner's copy, if there is one, is first moved to
    ``backups/<folder>/<stem>-<YYYYmmdd-HHMMSS>.ipynb`` (UTC; a number is added if that
    name is taken), so nothing they wrote is lost. Returns the notebook's relative path and
    the backup's path (None when there was no copy to keep).
    """
    source = shipped_course() if source is None else Path(source)
    workspace = Path(folder).expanduser().resolve()
    relative = _resolve_notebook(name, shipped_notebooks(source))
    target = workspace / relative
    backup = None
    if target.exists():
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
        stem = Path(relative).stem
        backup = workspace / BACKUPS / Path(relative).parent / f"{stem}-{stamp}.ipynb"
        number = 1
        while backup.exists():
            number += 1
            backup = backup.with_name(f"{stem}-{stamp}-{number}.ipynb")
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
        if not _same(target, backup):  # never drop the learner's copy on a failed backup
            raise MarginInputError(f"reset could not keep a backup of {relative} at {backup}; nothing was changed")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.reset")
    shutil.copyfile(source / relative, temporary)
    temporary.replace(target)
    return relative, backup
