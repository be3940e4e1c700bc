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
import re
import time

import ipywidgets as w

from ..basics.errors import MarginInputError
from ..basics.questions import ChoiceQuestion
from .plots import FastRenderer

__all__ = ["Dashboard", "Question", "price_slider", "leverage_slider", "size_slider", "choice", "inline_html",
           "plain_text"]


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
    """A row of toggle buttons (side, margin mode ...), each as wide as its label (none is cut)."""
    return w.ToggleButtons(options=options, value=value or options[0], description=description,
                           style={"description_width": "initial", "button_width": "initial"})


# ---------------------------------------------------------------- simple Markdown in widget texts

_CODE = re.compile(r"(`[^`\n]+`)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")


def inline_html(text) -> str:
    """``text`` as safe HTML, with Markdown's **bold**, *italic* and `code` rendered.

    Everything is escaped first, so a ``<`` in a question stays a character; ``2 * 3``
    (a star between spaces) stays as written.

    >>> inline_html("the *share* of a **small** margin, `mc.progress()` & <b>")
    'the <i>share</i> of a <b>small</b> margin, <code>mc.progress()</code> &amp; &lt;b&gt;'
    """
    parts = _CODE.split(html.escape(str(text), quote=False))
    return "".join(
        f"<code>{part[1:-1]}</code>" if _CODE.fullmatch(part)
        else _ITALIC.sub(r"<i>\1</i>", _BOLD.sub(r"<b>\1</b>", part))
        for part in parts
    )


def plain_text(text) -> str:
    """``text`` without the Markdown marks :func:`inline_html` renders (for the plain-text view).

    >>> plain_text("the *share* of a **small** margin, `x`")
    'the share of a small margin, x'
    """
    parts = _CODE.split(str(text))
    return "".join(part[1:-1] if _CODE.fullmatch(part) else _ITALIC.sub(r"\1", _BOLD.sub(r"\1", part))
                   for part in parts)


# ---------------------------------------------------------------- the readout table

#: Column widths of the readout, in characters: the label column (proportional text, wraps
#: beyond its cap) and the value column (digits of one width, right-aligned, wraps beyond
#: its cap). A dashboard's columns only ever grow, so moving a slider does not reflow them.
LABEL_CHARS = (12, 36)
VALUE_CHARS = (14, 56)
_LABEL_EM, _VALUE_EM = 0.55, 0.62  # width of one character, in em: proportional text, monospace digits
_VALUE_STYLE = ("text-align:right;font-family:var(--jp-code-font-family, monospace);"
                "font-variant-numeric:tabular-nums;white-space:normal;overflow-wrap:anywhere;padding:2px 0")
_LABEL_STYLE = "text-align:left;white-space:normal;overflow-wrap:anywhere;padding:2px 12px 2px 0"


def readout_widths(readout, seen=(0, 0)) -> tuple[int, int]:
    """The readout's column widths in characters, never narrower than ``seen`` (see :data:`VALUE_CHARS`).

    A value that no longer fits widens its column by two characters more than it needs,
    so the next digit does not widen it again.
    """
    label = max((len(str(k)) for k in readout), default=0)
    value = max((len(str(v)) for v in readout.values()), default=0)
    if value > seen[1]:
        value += 2
    return (max(seen[0], min(max(label, LABEL_CHARS[0]), LABEL_CHARS[1])),
            max(seen[1], min(max(value, VALUE_CHARS[0]), VALUE_CHARS[1])))


def _readout_html(readout, widths=None):
    label_chars, value_chars = widths or readout_widths(readout)
    label_em, value_em = label_chars * _LABEL_EM + 1, value_chars * _VALUE_EM + 1
    share = 100 * label_em / (label_em + value_em)
    rows = "".join(
        f"<tr><td style='{_LABEL_STYLE}'>{html.escape(str(k))}</td>"
        f"<td style='{_VALUE_STYLE}'>{html.escape(str(v))}</td></tr>"
        for k, v in readout.items()
    )
    return (f"<table class='mc-readout' style='table-layout:fixed;border-collapse:collapse;"
            f"width:min(100%, {label_em + value_em:.1f}em);line-height:1.4'>"
            f"<colgroup><col style='width:{share:.1f}%'><col style='width:{100 - share:.1f}%'></colgroup>"
            f"{rows}</table>")


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
        self.widths = (0, 0)  # the readout's column widths so far, in characters: they only grow
        self.message = ""
        self.last_update_seconds = 0.0
        self._image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self._readout = w.HTML()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        header = w.HTML(f"<div style='line-height:1.4'><b>{html.escape(title)}</b>"
                        + (f"<br><i>{html.escape(note)}</i>" if note else "") + "</div>")
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
        self.widths = readout_widths(self.readout, self.widths)
        self._readout.value = _readout_html(self.readout, self.widths)
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
    exercises' answer keys use, and it does the judging; this class adds the view and
    the verdict's wording. :meth:`check` returns the verdict text (the widget shows the
    same verdict, with a mark), so the lessons' questions are tested too.

    ``shuffle`` (default on): the options are shown in the question's fixed shuffled order
    (:meth:`ChoiceQuestion.shown_options`), so the right answer is not always the first.

    The view: the prompt, then one row per option (a toggle button with the option's
    letter, and the option's text, which wraps within the output's width), the Check
    button, and the feedback. Prompt, options and feedback render simple Markdown
    (:func:`inline_html`). CSS classes for finding the parts: ``mc-question``,
    ``mc-option``, ``mc-feedback``.
    """

    def __init__(self, prompt, options, answer, *, shuffle=True):
        self.question = ChoiceQuestion("", prompt, dict(options), answer, shuffle=shuffle)
        self._buttons = {}
        rows = []
        for letter, option in self.question.letters().items():
            button = w.ToggleButton(description=letter, value=False, tooltip=f"pick {letter}",
                                    layout=w.Layout(width="2.8em", min_width="2.8em", flex="0 0 auto"))
            button.observe(self._on_pick, names="value")
            self._buttons[option] = button
            text = w.HTML(f"<div style='line-height:1.4;padding:5px 0 3px 0'>{inline_html(option)}</div>",
                          layout=w.Layout(flex="1 1 0%", min_width="0"))
            row = w.HBox([button, text], layout=w.Layout(align_items="flex-start"))
            row.add_class("mc-option")
            rows.append(row)
        self._button = w.Button(description="Check", button_style="primary")
        self._feedback = w.HTML()
        self._feedback.add_class("mc-feedback")
        self._button.on_click(lambda _: self._show())
        header = w.HTML(f"<div style='line-height:1.4'><b>{inline_html(prompt)}</b></div>")
        self.widget = w.VBox([header, *rows, self._button, self._feedback], layout=w.Layout(margin="0 0 16px 0"))
        self.widget.add_class("mc-question")

    @property
    def prompt(self):
        return self.question.prompt

    @property
    def options(self):
        return self.question.options

    @property
    def answer(self):
        return self.question.answer

    def shown_options(self):
        """The options in the order the widget shows them."""
        return self.question.shown_options()

    @property
    def picked(self):
        """The option whose button is down, or None."""
        return next((option for option, button in self._buttons.items() if button.value), None)

    def pick(self, option):
        """Press ``option``'s button as a learner would (None lifts them all)."""
        if option is not None and option not in self._buttons:
            raise MarginInputError(f"option must be one of {', '.join(map(repr, self._buttons))}, got {option!r}")
        for name, button in self._buttons.items():
            button.value = name == option

    def _on_pick(self, change):
        if change["new"]:  # one option at a time: pressing one lifts the others
            for button in self._buttons.values():
                if button is not change["owner"]:
                    button.value = False
        self._feedback.value = ""

    def _verdict(self, choice):
        """``(correct, verdict, explanation)``; ``correct`` is None when nothing (or no option) is picked."""
        if choice not in self.options:
            return None, "Pick one of the options first.", ""
        correct, explanation = self.question.judge(choice)
        return correct, "Right." if correct else "Not quite.", explanation

    def check(self, choice):
        """The verdict for ``choice``: right or wrong, with the explanation."""
        _, verdict, explanation = self._verdict(choice)
        return f"{verdict} {plain_text(explanation)}".rstrip()

    def _show(self):
        correct, verdict, explanation = self._verdict(self.picked)
        mark = {True: "✔ ", False: "✘ ", None: ""}[correct]
        colour = {True: "#1a7f37", False: "#b00", None: "inherit"}[correct]
        self._feedback.value = (f"<div style='line-height:1.4'><b style='color:{colour}'>{mark}{verdict}</b> "
                                f"{inline_html(explanation)}</div>")

    def text(self):
        letters = "\n".join(f"  {letter}) {plain_text(option)}" for letter, option in self.question.letters().items())
        return f"{plain_text(self.prompt)}\n{letters}"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self):
        return self.text()
