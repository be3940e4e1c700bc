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


# ---------------------------------------------------------------- points, not only questions


def test_the_table_weighs_questions_by_their_points(tmp_path):
    path = tmp_path / "progress.json"
    progress.record(NAME, "q1", True, path=path)
    progress.record(NAME, "q4", True, path=path)
    progress.record(NAME, "q2", False, path=path)
    points = {NAME: {"q1": 1.0, "q2": 1.0, "q3": 2.0, "q4": 3.0, "q5": 1.0}}
    row = progress.table(path, points=points).loc[NAME]
    assert (row["correct"], row["questions"]) == (2, 5)
    assert (row["earned"], row["possible"], row["share"]) == (4.0, 8.0, 0.5)
    overall = progress.table(path, points=points).loc["overall"]
    assert overall["earned"] == 4.0 and overall["possible"] == 8.0 + sum(
        len(progress.questions_of(name)) for name in progress.exercise_names() if name != NAME)


def test_without_points_every_question_counts_one(tmp_path):
    path = tmp_path / "progress.json"
    progress.record(NAME, "q1", True, path=path)
    frame = progress.table(path)
    assert list(frame.columns) == ["correct", "questions", "earned", "possible", "share"]
    assert (frame["possible"] == frame["questions"]).all()
    assert frame.loc[NAME, "earned"] == 1.0 and frame.loc[NAME, "share"] == 1 / frame.loc[NAME, "questions"]
    assert frame.index[-1] == "overall"


def test_an_old_record_still_reads_and_strange_entries_are_ignored(tmp_path):
    """The record format is unchanged: {exercise: {question: {"correct": ..., "time": ...}}}."""
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({NAME: {"q1": {"correct": True, "time": "2024-01-01T00:00:00"},
                                       "q2": "not a verdict", "q9": {"correct": True}},
                                "not_an_exercise": {"q1": {"correct": True}}}))
    frame = progress.table(path)
    assert frame.loc[NAME, "correct"] == 1 and frame.loc["overall", "correct"] == 1
    progress.record(NAME, "q3", True, path=path)
    assert json.loads(path.read_text())[NAME]["q1"] == {"correct": True, "time": "2024-01-01T00:00:00"}


def test_the_exercises_folder_is_the_course_folders_or_none(tmp_path, monkeypatch):
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True)
    (course / "notebooks" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(course / "notebooks" / "deeper")
    monkeypatch.delenv(progress.PROGRESS, raising=False)
    assert progress.course_folder() == course
    assert progress.exercises_folder() == course / "exercises"
    assert progress.progress_path() == course / progress.FILENAME
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    installed = tmp_path / "site-packages" / "margincourse" / "grading" / "progress.py"
    monkeypatch.setattr(progress, "__file__", str(installed))
    assert progress.course_folder() is None
    assert progress.exercises_folder() is None
    assert progress.progress_path() == elsewhere / progress.FILENAME
