"""``margincourse start``: the learner's own copy of the course, never overwritten."""

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.cli import main
from margincourse.delivery import workspace

ROOT = Path(__file__).resolve().parents[2]


def run(*args):
    from io import StringIO

    out = StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_the_course_found_from_a_checkout_is_the_lessons_and_exercises_without_solutions():
    names = workspace.shipped_notebooks()
    assert names[0] == workspace.START_HERE
    assert set(names) == {f"{f}/{p.name}" for f in ("notebooks", "exercises") for p in (ROOT / f).glob("*.ipynb")}
    assert not any(n.startswith("solutions/") for n in names)


def test_start_copies_the_course_then_adds_only_what_is_missing_and_says_so(tmp_path):
    folder = tmp_path / "course"
    code, text = run("start", str(folder), "--no-browser")
    assert code == 0
    shipped = workspace.shipped_notebooks()
    assert f"added {len(shipped)} notebook(s)" in text
    assert f"margincourse lab --course {folder}" in text
    for relative in shipped:
        assert (folder / relative).read_bytes() == (workspace.shipped_course() / relative).read_bytes()

    lesson = folder / "notebooks" / "01_initial_margin.ipynb"
    mine = json.loads(lesson.read_text())
    mine["cells"][0]["source"] = "My own notes: initial margin = notional / leverage."
    lesson.write_text(json.dumps(mine))
    (folder / "exercises" / "ex03_liquidation.ipynb").unlink()

    code, text = run("start", str(folder), "--no-browser")
    assert code == 0
    assert "added 1 notebook(s): exercises/ex03_liquidation.ipynb" in text
    assert f"kept {len(shipped) - 1} notebook(s) already there, untouched (1 of them differ" in text
    assert "--reset NOTEBOOK" in text
    assert json.loads(lesson.read_text())["cells"][0]["source"].startswith("My own notes")

    code, text = run("start", str(folder), "--no-browser")
    assert "nothing was missing" in text and "added" not in text


def test_reset_restores_one_notebook_and_keeps_the_learners_copy_as_a_backup(tmp_path):
    folder = tmp_path / "course"
    workspace.prepare_workspace(folder)
    exercise = folder / "exercises" / "ex01_initial_margin.ipynb"
    exercise.write_text('{"my": "answers"}')
    other = folder / "notebooks" / "02_maintenance_margin.ipynb"
    other.write_text('{"also": "mine"}')
    when = datetime(2026, 12, 6, 5, 30, 0, tzinfo=timezone.utc)

    relative, backup = workspace.reset_notebook(folder, "ex01_initial_margin", now=when)
    assert relative == "exercises/ex01_initial_margin.ipynb"
    assert backup == folder / "backups" / "exercises" / "ex01_initial_margin-20261206-053000.ipynb"
    assert backup.read_text() == '{"my": "answers"}'
    assert exercise.read_bytes() == (workspace.shipped_course() / relative).read_bytes()
    assert other.read_text() == '{"also": "mine"}'   # only the named notebook

    exercise.write_text('{"second": "try"}')          # a second reset in the same second keeps both backups
    _, second = workspace.reset_notebook(folder, "exercises/ex01_initial_margin.ipynb", now=when)
    assert second.name == "ex01_initial_margin-20261206-053000-2.ipynb"
    assert backup.read_text() == '{"my": "answers"}' and second.read_text() == '{"second": "try"}'


def test_reset_from_the_command_line_names_the_backup(tmp_path):
    folder = tmp_path / "course"
    workspace.prepare_workspace(folder)
    (folder / "notebooks" / "00_start_here.ipynb").write_text("{}")
    code, text = run("start", str(folder), "--reset", "00_start_here.ipynb", "--no-browser")
    assert code == 0
    assert "restored notebooks/00_start_here.ipynb from the course; your copy is kept as" in text
    (backup,) = (folder / "backups" / "notebooks").glob("00_start_here-*.ipynb")
    assert backup.read_text() == "{}"


def test_reset_of_a_notebook_the_course_does_not_have_is_a_clear_error(tmp_path, capsys):
    code, _ = run("start", str(tmp_path / "course"), "--reset", "solutions/ex01_initial_margin.ipynb", "--no-browser")
    assert code == 2
    assert "reset must name a course notebook such as" in capsys.readouterr().err
    with pytest.raises(MarginInputError, match="reset must name"):
        workspace.reset_notebook(tmp_path, "99_missing")


def test_a_file_where_the_folder_should_be_is_refused(tmp_path, capsys):
    (tmp_path / "course").write_text("not a folder")
    assert run("start", str(tmp_path / "course"), "--no-browser")[0] == 2
    assert "workspace must be a folder" in capsys.readouterr().err


def test_start_opens_jupyterlab_in_the_workspace(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("subprocess.call", lambda command, cwd: calls.append((command, cwd)) or 0)
    monkeypatch.chdir(tmp_path)
    code, _ = run("start")
    assert code == 0
    ((command, cwd),) = calls
    assert cwd == tmp_path / "margincourse-course"
    assert "-m" in command and "jupyterlab" in command
    assert f"--ServerApp.root_dir={cwd}" in command and command[-1] == os.path.join("notebooks", "00_start_here.ipynb")
