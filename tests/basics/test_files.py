"""margincourse/basics/files.py: the one atomic writer."""

import os
import tempfile
import stat

import pytest

from margincourse.basics.files import write_atomically, write_if_changed


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_atomically_writes_the_text_as_given_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "new" / "deeper" / "gradebook.csv"  # the folders are made
    write_atomically(path, "a,b\r\n1,2\r\n")
    assert path.read_bytes() == b"a,b\r\n1,2\r\n"  # no newline translation: CSV keeps its \r\n
    write_atomically(str(path), "é\n")  # a str path too; replaces the file
    assert path.read_text(encoding="utf-8") == "é\n"
    assert _leftovers(path.parent) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_write_atomically_gives_the_file_the_mode_the_umask_allows(tmp_path, umask):
    """Not mkstemp's 0600: a teaching assistant in the group must be able to read a gradebook."""
    path = tmp_path / "feedback.md"
    old = os.umask(umask)
    try:
        write_atomically(path, "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_write_atomically_writes_bytes_as_they_are(tmp_path):
    """A report's PNG charts go through the same writer (and so follow the umask too)."""
    path = tmp_path / "totals.png"
    write_atomically(path, b"\x89PNG\r\n\x1a\n\x00\xff")
    assert path.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", ["encoding", "fsync", "rename"])
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch, failure):
    path = tmp_path / "progress.json"
    path.write_text("the old text")
    text = "half \udc80 written"  # a lone surrogate: cannot be encoded in UTF-8
    if failure != "encoding":
        text = "the new text"

        def broken(*args):
            raise OSError(f"{failure} failed")

        monkeypatch.setattr(os, "fsync" if failure == "fsync" else "replace", broken)
    with pytest.raises((OSError, UnicodeEncodeError)):
        write_atomically(path, text)
    assert path.read_text() == "the old text"
    assert _leftovers(tmp_path) == []


def test_write_atomically_into_a_read_only_folder_raises_oserror(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    if os.geteuid() == 0:  # root writes into read-only folders: let the folder refuse as it would anyone else
        def refused(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(folder))

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    try:
        with pytest.raises(OSError):
            write_atomically(folder / "file.txt", "x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_write_if_changed_leaves_an_unchanged_file_and_its_time_alone(tmp_path):
    path = tmp_path / "ada_01_initial_margin.html"
    assert write_if_changed(path, "<p>page</p>") is True
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(path, "<p>page</p>") is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert write_if_changed(path, "<p>new</p>") is True
    assert path.read_text() == "<p>new</p>"
