"""Writing a file so that nobody ever reads half of it.

:func:`write_atomically` is the one way the package writes a file that someone else may be
reading (the gradebook, the feedback files, the learner's progress, a README): the text goes
to a temporary file in the same folder, is flushed to the disk, then takes the file's place
in one rename. A reader sees the old file or the new one, never a mix; a failed write leaves
the old file as it was and no temporary file behind.

Nothing in the package sets environment variables for a while: a kernel that needs one
(the progress file of a graded or generated notebook) gets it in its own environment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically", "write_if_changed", "current_umask"]


def current_umask() -> int:
    """The process's umask, read without changing it where Linux tells it (``/proc/self/status``,
    Linux 4.7+); elsewhere set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path, text: str | bytes) -> None:
    """Replace the file at ``path`` with ``text`` (UTF-8, written as given: no newline translation;
    ``bytes``, a PNG for instance, are written as they are).

    The parent folders are made if missing (with the umask's permissions, as ``mkdir`` makes
    them). A file that exists keeps its permissions; a new one gets what any program creating
    a file would give it, ``0o666`` less the umask (``0o644`` with the usual umask 022, so that a
    teaching assistant can read a gradebook), not ``tempfile.mkstemp``'s owner-only ``0o600``.
    Raises ``OSError`` if the folder cannot be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~current_umask()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        os.fchmod(handle, mode)
        binary = isinstance(text, bytes)
        with os.fdopen(handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_if_changed(path, text: str | bytes) -> bool:
    """:func:`write_atomically`, unless the file holds ``text`` already; whether it wrote.

    A rerun that changes nothing (a resumed grading run's feedback pages) leaves the files,
    and their modification times, as they were.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomically(path, text)
    return True
