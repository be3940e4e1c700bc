"""Writing a file so that nobody ever reads half of it, and setting environment variables for a while.

:func:`write_atomically` is the one way the package writes a file that someone else may be
reading (the gradebook, the feedback files, the learner's progress, a README): the text goes
to a temporary file in the same folder, is flushed to the disk, then takes the file's place
in one rename. A reader sees the old file or the new one, never a mix; a failed write leaves
the old file as it was and no temporary file behind.

:func:`environment` sets environment variables for the length of a ``with`` block and puts
back what was there before, unsetting again what was unset.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["write_atomically", "environment"]


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


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set the environment variables in ``values`` (``None`` unsets one) while the block runs.

    Afterwards each variable is back to what it was, and one that was unset is unset again,
    whether the block ends normally or with an exception.
    """
    saved = {name: os.environ.get(name) for name in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
