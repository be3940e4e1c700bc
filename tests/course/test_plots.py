"""Every lesson figure is drawn in the course style (margincourse/course/plots.py, course.mplstyle)."""

import importlib

import matplotlib as mpl
import pytest

from margincourse.course.lessons import lesson0, lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7, lesson8
from margincourse.course.plots import STYLE, styled

progress_module = importlib.import_module("margincourse.course.progress_view")  # the package exports a function of that name

COURSE = mpl.rc_params_from_file(STYLE, use_default_template=False)

FIGURES = {
    "lesson 0 demo dashboard": lambda: lesson0.demo_dashboard(),
    "lesson 1 dashboard": lambda: lesson1.dashboard(),
    "lesson 2 continuity figure": lambda: lesson2.continuity_figure(),
    "lesson 2 dashboard": lambda: lesson2.dashboard(),
    "lesson 3 distance figure": lambda: lesson3.distance_figure(),
    "lesson 3 wick figure": lambda: lesson3.wick_figure(),
    "lesson 3 dashboard": lambda: lesson3.dashboard(),
    "lesson 4 crash figure": lambda: lesson4.crash_figure(),
    "lesson 4 dashboard": lambda: lesson4.dashboard(),
    "lesson 5 lab dashboard": lambda: lesson5.dashboard(),
    "lesson 6 dashboard": lambda: lesson6.dashboard(),
    "lesson 7 dashboard": lambda: lesson7.dashboard(),
    "lesson 8 dashboard": lambda: lesson8.dashboard(),
}


@pytest.mark.parametrize("name", FIGURES)
def test_titles_and_legends_follow_the_course_style(name):
    """matplotlib reads most settings when a title, line or legend is made: all of it must be in style."""
    assert mpl.rcParams["axes.titleweight"] != COURSE["axes.titleweight"]  # outside, matplotlib's defaults
    figure = FIGURES[name]().figure
    titled = [ax for ax in figure.axes if ax.get_title()]
    assert titled, f"{name} has no titled axes"
    for ax in titled:
        assert ax.title.get_fontweight() == COURSE["axes.titleweight"], f"{name}: {ax.get_title()!r} is not bold"
        if ax.title.get_fontsize() != 10:  # a few small titles set their own size
            assert ax.title.get_fontsize() == COURSE["axes.titlesize"], f"{name}: {ax.get_title()!r}"
        legend = ax.get_legend()
        if legend is not None:
            assert legend.get_frame().get_alpha() == COURSE["legend.framealpha"], f"{name}: legend frame"


def test_styled_leaves_the_global_settings_as_they_were():
    before = dict(mpl.rcParams)

    @styled
    def build():
        return mpl.rcParams["axes.titleweight"]

    assert build() == COURSE["axes.titleweight"]
    assert dict(mpl.rcParams) == before
    assert build.__name__ == "build"


def test_the_progress_chart_is_in_style(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setenv("MARGINCOURSE_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setattr(progress_module, "display", lambda thing: shown.append(thing))
    progress_module.progress()
    figure = shown[-1]
    assert figure.axes[0].title.get_fontweight() == COURSE["axes.titleweight"]
