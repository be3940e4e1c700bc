"""``mc.progress()``: the learner's progress as a table and a bar chart.

The numbers come from the progress record the exercises' checks keep
(:mod:`margincourse.grading.progress`); this module only shows them.
"""

from __future__ import annotations

from IPython.display import display

from ..grading.progress import table
from .plots import new_figure, style

__all__ = ["progress"]


def progress():
    """Show the learner's progress: a table and a bar chart, per exercise and overall."""
    frame = table()
    with style():
        figure, ax = new_figure(figsize=(7, 3))
        shares = frame["done"] * 100
        ax.barh(frame.index[::-1], shares[::-1], color=["#2ca02c" if s == 100 else "#1f77b4" for s in shares[::-1]])
        ax.set_xlim(0, 100)
        ax.set_xlabel("questions answered correctly (%)")
        ax.set_title("Your progress")
    shown = frame.copy()
    shown["done"] = [f"{share:.0%}" for share in frame["done"]]
    display(shown)
    display(figure)
    return None
