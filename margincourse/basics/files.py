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

__all__ = ["write_atomically"]


def write_atomically(path, text: str) -> None:
    """Replace the file at ``path`` with ``text`` (UTF-8, written as given: no newline translation).

    The parent folders are made if missing. The file is readable and writable by its owner
    only (``tempfile.mkstemp``'s mode). Raises ``OSError`` if the folder cannot be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
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
