"""Figures for the lessons, all in one style (``course.mplstyle``).

Plot functions take a matplotlib ``Axes`` and return the artists they drew, so a
dashboard can update those artists' data instead of drawing a new figure.
Figures are made with :func:`new_figure`, which uses matplotlib's object API, not
pyplot: nothing is shown twice and no global state leaks between lessons.
"""

from __future__ import annotations

import functools
import io
from contextlib import contextmanager
from importlib import resources

import matplotlib.pyplot as plt  # style handling only; figures are made without pyplot
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..basics.formatting import money

__all__ = [
    "STYLE",
    "FastRenderer",
    "Picture",
    "new_figure",
    "styled",
    "figure_png",
    "usdt_axis",
    "price_levels",
    "update_price_levels",
    "plot_maintenance_curve",
]

STYLE = str(resources.files("margincourse.course") / "course.mplstyle")

COLORS = {
    "entry": "#1f77b4",
    "liquidation": "#d62728",
    "bankruptcy": "#7f7f7f",
    "price": "#333333",
    "wallet": "#2ca02c",
    "equity": "#1f77b4",
    "isolated": "#1f77b4",
    "cross": "#ff7f0e",
}


@contextmanager
def style():
    """Apply the course style inside a ``with`` block."""
    with plt.style.context(STYLE):
        yield


def styled(build):
    """Decorate a function that builds a figure so that all of it is drawn in the course style.

    matplotlib reads most settings when an artist is made, not when the figure is: a
    title set, a line plotted or a legend added after :func:`new_figure` has returned
    would otherwise fall back to matplotlib's defaults (a title that is not bold, say).
    """

    @functools.wraps(build)
    def build_in_style(*args, **kwargs):
        with style():
            return build(*args, **kwargs)

    return build_in_style


def new_figure(nrows=1, ncols=1, *, figsize=None, **subplot_kw):
    """A styled Figure and its axes (an array when there are several)."""
    with style():
        figure = Figure(figsize=figsize, layout="constrained")
        axes = figure.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return figure, axes


def figure_png(figure) -> bytes:
    """Render a figure to PNG bytes (what a dashboard's image shows)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


class FastRenderer:
    """Render a figure to PNG again and again, redrawing only the artists that move.

    The static part (axes, ticks, labels, legend) is drawn once and kept as a
    background; each :meth:`png` restores it and draws the ``animated`` artists on
    top, then encodes with light compression. If an update changes an axes' limits,
    the background is drawn again. This keeps a slider's redraw within a few
    milliseconds where a full redraw of a labelled figure takes a hundred.
    """

    def __init__(self, figure, animated=()):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self.canvas = FigureCanvasAgg(figure)
        self._background = None
        self._legend_regions = []
        self._limits = None

    def _axes_limits(self):
        return [(ax.get_xlim(), ax.get_ylim()) for ax in self.figure.axes]

    def redraw_background(self):
        """Draw the static part again (after a change to titles, legends or limits)."""
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        renderer = self.canvas.get_renderer()
        legends = [ax.get_legend() for ax in self.figure.axes] + list(self.figure.legends)
        self._legend_regions = [
            self.canvas.copy_from_bbox(legend.get_window_extent(renderer))
            for legend in legends if legend is not None and legend.get_visible()
        ] if self.animated else []
        self._limits = self._axes_limits()
        if self.figure.get_layout_engine() is not None:
            self.figure.set_layout_engine("none")  # keep the positions the first layout found

    def png(self) -> bytes:
        """The figure as PNG bytes, with the animated artists at their current data."""
        from PIL import Image

        if self._background is None or self._axes_limits() != self._limits:
            self.redraw_background()
        self.canvas.restore_region(self._background)
        for artist in self.animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        for region in self._legend_regions:  # legends stay readable on top of the moving lines
            self.canvas.restore_region(region)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


class Picture:
    """A finished figure for a notebook cell: shows as a PNG, reads as one line of text.

    The text is what nbval compares (images are not), so it should say what the
    figure shows; by default it is ``"Figure: "`` and the axes' titles.
    ``.figure`` is the matplotlib Figure, to restyle or save.
    """

    def __init__(self, figure, text=None):
        self.figure = figure
        self.text = text

    def _repr_png_(self):
        return figure_png(self.figure)

    def __repr__(self):
        if self.text is not None:
            return self.text
        titles = [ax.get_title() for ax in self.figure.axes if ax.get_title()]
        return f"Figure: {'; '.join(titles)}"


def _register_png_display():
    """Let a bare Figure at the end of a notebook cell show as a picture.

    Figures here are made without pyplot, so IPython would only print
    "<Figure size ...>"; this registers the PNG formatter for them (no-op outside IPython).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


_register_png_display()


def usdt_axis(axis, decimals=0):
    """Format an axis's tick labels as thousands-separated USDT amounts."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: money(v, decimals)))


def price_levels(ax, entry, liquidation, bankruptcy=None, *, orientation="horizontal"):
    """Lines at the entry, liquidation and bankruptcy prices, with a legend entry each.

    A liquidation or bankruptcy price at or below zero (a long that cannot be
    liquidated) is drawn nowhere and labelled "none". Returns the artists for
    :func:`update_price_levels`.
    """
    line = ax.axhline if orientation == "horizontal" else ax.axvline
    artists = {
        "entry": line(entry, color=COLORS["entry"], linestyle="--", label="entry"),
        "liquidation": line(max(liquidation, 0), color=COLORS["liquidation"], linestyle="-", label="liquidation"),
    }
    if bankruptcy is not None:
        artists["bankruptcy"] = line(max(bankruptcy, 0), color=COLORS["bankruptcy"], linestyle=":", label="bankruptcy")
    update_price_levels(artists, entry, liquidation, bankruptcy, orientation=orientation)
    return artists


def update_price_levels(artists, entry, liquidation, bankruptcy=None, *, orientation="horizontal"):
    """Move the lines drawn by :func:`price_levels` and relabel them with their prices."""
    values = {"entry": entry, "liquidation": liquidation, "bankruptcy": bankruptcy}
    for name, artist in artists.items():
        value = values[name]
        reachable = value is not None and value > 0
        data = [value if reachable else np.nan] * 2
        if orientation == "horizontal":
            artist.set_ydata(data)
        else:
            artist.set_xdata(data)
        artist.set_label(f"{name} {money(value, 1)}" if reachable else f"{name}: none")
    return artists


def plot_maintenance_curve(ax, tiers, max_notional=None, *, points=600):
    """Maintenance margin against notional across an exchange's risk tiers, tier edges marked."""
    top = max_notional or tiers.tiers[min(len(tiers.tiers) - 1, 3)].cap
    notional = np.linspace(0, top, points)
    (curve,) = ax.plot(notional, tiers.maintenance_margin(notional), color=COLORS["liquidation"],
                       label=f"{tiers.exchange.capitalize()} {tiers.symbol}")
    edges = [t.floor for t in tiers.tiers[1:] if t.floor < top]
    for edge in edges:
        ax.axvline(edge, color=COLORS["bankruptcy"], linestyle=":", linewidth=0.8)
    ax.set_xlabel("position notional (USDT)")
    ax.set_ylabel("maintenance margin (USDT)")
    ax.set_title("Maintenance margin grows faster in higher tiers")
    usdt_axis(ax.xaxis)
    usdt_axis(ax.yaxis)
    return {"curve": curve}
