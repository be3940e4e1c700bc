"""The building blocks of the lessons' dashboards and quick questions.

A dashboard is a *model* (a function that turns control values into numbers and
updates a figure's artists) plus a *view* (sliders, a readout table and the
figure as an image). The update function runs without a browser, so the tests
call it directly; the benchmarks time it.

Displaying a dashboard gives three representations at once: the live widget
(JupyterLab), a PNG of the figure for the default values (static HTML, GitHub,
a notebook opened without a kernel) and a plain-text readout of the default
numbers (which nbval compares strictly).
"""

from __future__ import annotations

import base64
import html
import time

import ipywidgets as w

from ..basics.errors import MarginInputError
from ..basics.questions import ChoiceQuestion
from .plots import FastRenderer

__all__ = ["Dashboard", "Question", "price_slider", "leverage_slider", "size_slider", "choice"]


def price_slider(description, value, low, high, tick=0.1):
    """A price slider on the contract's tick (0.1 USDT for BTCUSDT)."""
    return w.FloatSlider(
        value=value, min=low, max=high, step=tick, description=description, readout_format=",.1f",
        continuous_update=True, style={"description_width": "initial"}, layout=w.Layout(width="420px"),
    )


def leverage_slider(value=10, high=125, low=1, description="leverage"):
    """Whole-number leverage from ``low`` to ``high`` (the tier's limit)."""
    return w.IntSlider(
        value=value, min=low, max=high, step=1, description=description, readout_format="d",
        style={"description_width": "initial"}, layout=w.Layout(width="420px"),
    )


def size_slider(value, low, high, step, description="size (BTC)"):
    """Position size in whole contracts."""
    return w.FloatSlider(
        value=value, min=low, max=high, step=step, description=description, readout_format=".4f",
        style={"description_width": "initial"}, layout=w.Layout(width="420px"),
    )


def choice(description, options, value=None):
    """A row of toggle buttons (side, margin mode ...)."""
    return w.ToggleButtons(options=options, value=value or options[0], description=description,
                           style={"description_width": "initial"})


def _readout_html(readout):
    rows = "".join(
        f"<tr><td style='padding:2px 12px 2px 0'>{html.escape(str(k))}</td>"
        f"<td style='text-align:right;font-family:monospace'>{html.escape(str(v))}</td></tr>"
        for k, v in readout.items()
    )
    return f"<table>{rows}</table>"


def _readout_text(readout):
    width = max((len(str(k)) for k in readout), default=0)
    return "\n".join(f"{str(k):<{width}}  {v}" for k, v in readout.items())


class Dashboard:
    """Controls, a readout and one figure that an update function keeps in step.

    ``update(**values)`` receives the controls' values, changes the data of the
    figure's ``animated`` artists (the ones that move; the rest is drawn once, see
    :class:`~margincourse.course.plots.FastRenderer`) and returns the readout: an ordered dict of label -> formatted text. If it raises
    :class:`MarginInputError` (a combination the exchange would refuse), the readout
    says so and the figure keeps its last state: a slider never produces a traceback.
    """

    def __init__(self, title, controls, figure, update, *, animated=(), note=""):
        self.title = title
        self.controls = dict(controls)
        self.figure = figure
        self.renderer = FastRenderer(figure, animated)
        self._update = update
        self.note = note
        self.readout = {}
        self.message = ""
        self.last_update_seconds = 0.0
        self._image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self._readout = w.HTML()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        header = w.HTML(f"<b>{html.escape(title)}</b>" + (f"<br><i>{html.escape(note)}</i>" if note else ""))
        self.widget = w.VBox([header, w.VBox(list(self.controls.values())), self._readout, self._image])
        self.refresh()

    def values(self):
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self):
        """Recompute the numbers and redraw the figure for the current values."""
        start = time.perf_counter()
        try:
            self.readout = dict(self._update(**self.values()))
            self.message = ""
        except MarginInputError as error:
            self.message = f"The exchange would refuse this combination: {error}"
            self.readout = {"note": self.message}
        self._readout.value = _readout_html(self.readout)
        self._png = self.renderer.png()
        self._image.value = self._png
        self.last_update_seconds = time.perf_counter() - start
        return self.readout

    def set(self, **values):
        """Move controls as a learner would (each change re-renders once at the end)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise MarginInputError(f"control must be one of {', '.join(self.controls)}, got {', '.join(sorted(unknown))}")
        self._held = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._held = False
        return self.refresh()

    _held = False

    def _on_change(self, change):
        if not self._held:
            self.refresh()

    def text(self):
        """The readout as plain text (what a notebook shows without widgets)."""
        return f"{self.title}\n{_readout_text(self.readout)}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.text()
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        return bundle

    def __repr__(self):
        return self.text()


class Question:
    """A "check your understanding" question that answers at once: a choice question with a view.

    ``options`` maps each choice to the explanation shown when it is picked;
    ``answer`` is the right choice. The question itself is a
    :class:`~margincourse.basics.questions.ChoiceQuestion` (``.question``), the type the
    exercises' answer keys use, and it does the judging; this class adds the radio
    buttons and the verdict's wording. :meth:`check` returns the verdict text (the
    widget shows the same text), so the lessons' questions are tested too.
    """

    def __init__(self, prompt, options, answer):
        self.question = ChoiceQuestion("", prompt, dict(options), answer)
        self._choices = w.RadioButtons(options=list(self.options), value=None, layout=w.Layout(width="auto"))
        self._button = w.Button(description="Check", button_style="primary")
        self._feedback = w.HTML()
        self._button.on_click(lambda _: self._show())
        self.widget = w.VBox([w.HTML(f"<b>{html.escape(prompt)}</b>"), self._choices, self._button, self._feedback])

    @property
    def prompt(self):
        return self.question.prompt

    @property
    def options(self):
        return self.question.options

    @property
    def answer(self):
        return self.question.answer

    def _verdict(self, choice):
        """``(correct, text)``; ``correct`` is None when nothing (or no option) is picked."""
        if choice not in self.options:
            return None, "Pick one of the options first."
        correct, explanation = self.question.judge(choice)
        return correct, f"{'Right.' if correct else 'Not quite.'} {explanation}"

    def check(self, choice):
        """The verdict for ``choice``: right or wrong, with the explanation."""
        return self._verdict(choice)[1]

    def _show(self):
        correct, text = self._verdict(self._choices.value)
        colour = "green" if correct else "#b00"
        self._feedback.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    def text(self):
        letters = "\n".join(f"  ( ) {option}" for option in self.options)
        return f"{self.prompt}\n{letters}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self):
        return self.text()
