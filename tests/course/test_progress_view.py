"""margincourse/course/progress_view.py: mc.progress() in points, as the grader counts them."""

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from margincourse.course import progress_view
from margincourse.grading import grader, progress
from margincourse.grading.keys import exercise_names, questions_of

ROOT = Path(__file__).resolve().parents[2]
NAME = "01_initial_margin"


@pytest.fixture
def shown(monkeypatch, tmp_path):
    """What mc.progress() displays, with its own progress file."""
    monkeypatch.setenv(progress.PROGRESS, str(tmp_path / "progress.json"))
    displayed = []
    monkeypatch.setattr(progress_view, "display", displayed.append)
    return displayed


def test_points_are_read_as_the_grader_reads_them():
    folder = ROOT / "exercises"
    points = progress_view.exercise_points(folder)
    assert points == {name: grader.instructor_points(name, folder) for name in exercise_names()}
    assert any(value != 1 for questions in points.values() for value in questions.values())  # not all 1 point


def test_without_an_exercises_folder_every_question_counts_one_point(tmp_path):
    assert progress_view.exercise_points(tmp_path / "missing") == {}
    assert progress_view.points_note(None) == "No exercises folder found: every question counts 1 point."


def test_progress_shows_points_earned_of_points_possible(shown, capsys):
    folder = ROOT / "exercises"
    points = progress_view.exercise_points(folder)
    progress.record(NAME, "q4", True)
    progress_view.progress()
    table, figure = shown
    assert list(table.columns) == ["correct", "questions", "earned", "possible", "share"]
    possible = sum(points[NAME].values())
    assert table.loc[NAME, "earned"] == f"{points[NAME]['q4']:g}"
    assert table.loc[NAME, "possible"] == f"{possible:g}"
    assert table.loc[NAME, "share"] == f"{points[NAME]['q4'] / possible:.0%}"
    assert table.loc["overall", "possible"] == f"{sum(sum(p.values()) for p in points.values()):g}"
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    bars = {label.get_text(): bar.get_width() for label, bar in zip(ax.get_yticklabels(), ax.patches)}
    assert bars[NAME] == pytest.approx(100 * points[NAME]["q4"] / possible)
    assert "points earned" in ax.get_xlabel()
    assert capsys.readouterr().out.startswith("Points per question as in the course's exercise notebooks (exercises/)")


def test_progress_says_when_every_question_counts_one_point(shown, capsys, monkeypatch):
    monkeypatch.setattr(progress_view, "exercises_folder", lambda: None)
    progress.record(NAME, "q1", True)
    progress_view.progress()
    table, _ = shown
    assert table.loc[NAME, "possible"] == str(len(questions_of(NAME)))
    assert table.loc[NAME, "earned"] == "1"
    assert capsys.readouterr().out == "No exercises folder found: every question counts 1 point.\n"
