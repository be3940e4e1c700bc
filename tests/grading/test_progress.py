"""margincourse/grading/progress.py: the learner's progress file, named explicitly or through the environment."""

import json

from margincourse.grading import progress

NAME = "01_initial_margin"


def test_an_explicit_path_is_used_and_the_environment_is_not(tmp_path, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS, str(tmp_path / "from-the-environment.json"))
    path = tmp_path / "explicit" / "progress.json"
    progress.record(NAME, "q1", True, path=path)
    progress.record(NAME, "q2", False, path=path)
    assert not (tmp_path / "from-the-environment.json").exists()
    assert {q: v["correct"] for q, v in progress.load(path)[NAME].items()} == {"q1": True, "q2": False}
    assert progress.table(path).loc[NAME, "correct"] == 1
    assert progress.load() == {}  # the environment's file was never written


def test_without_a_path_the_environment_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS, str(tmp_path / "progress.json"))
    progress.record(NAME, "q1", True)
    assert json.loads((tmp_path / "progress.json").read_text())[NAME]["q1"]["correct"] is True
    assert progress.table().loc[NAME, "correct"] == 1


def test_a_file_that_cannot_be_written_never_breaks_a_check(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    progress.record(NAME, "q1", True, path=blocker / "progress.json")  # no folder can be made here: no error
    assert progress.load(blocker / "progress.json") == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_corrupted_file_is_started_afresh(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{ not json")
    assert progress.load(path) == {}
    progress.record(NAME, "q1", True, path=path)
    assert list(progress.load(path)[NAME]) == ["q1"]
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]  # no temporary file left
