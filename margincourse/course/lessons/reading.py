"""What a lesson shows for reading: tables whose cells wrap, lists, and collapsed "Going deeper" sections.

pandas shortens a long cell to 50 characters and an ending of "..." in both the HTML and the
plain text a notebook keeps. A lesson's checklist or comparison is prose in a table, so
the lessons show it with these instead. Each one renders as HTML or Markdown for the
learner and keeps a complete plain-text form (the one nbval compares), never a shortened one.

* :class:`Table` holds a DataFrame and renders every cell in full; text cells wrap and
  read from the left, number cells keep to the right.
* :class:`Items` is a list of ``label: text`` entries, shown as a Markdown list.
* :class:`Deeper` is a collapsed ``<details>`` section ("Going deeper: ...") for
  reference detail whose numbers are computed, so it cannot be a Markdown cell.
* :func:`paths_text` writes a share of simulated paths as a count ("none of the 1,000
  paths", "166 of 1,000 paths (16.6 %)"), never as a bare "0.0 %".
"""

from __future__ import annotations

import html
import re

import pandas as pd

from ...basics.formatting import number, percent

__all__ = ["Table", "Items", "Deeper", "paths_text"]

_NUMBER = re.compile(r"^[+-]?[\d,]+(\.\d+)?( ?%| USDT| USD| BTC|x)?$|^-$|^$")


def _is_number(text) -> bool:
    return bool(_NUMBER.match(str(text).strip()))


def _wrap(label) -> str:
    """Short row labels stay on one line; long ones wrap."""
    return "white-space:nowrap" if len(str(label)) <= 24 else "white-space:normal;min-width:10em"


class Table:
    """A DataFrame shown whole: HTML cells that wrap, and complete plain text.

    >>> table = Table(pd.DataFrame({"what happened": ["liquidated at minute 60, at 42,500.00 (a gap)"]},
    ...                            index=pd.Index(["gap_down_15"], name="scenario")))
    >>> "(a gap)" in repr(table) and "(a gap)" in table._repr_html_()
    True
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def _cell(self, value, tag="td"):
        text = str(value)
        if _is_number(text):
            style = "text-align:right;white-space:nowrap"
        else:
            style = "text-align:left;white-space:normal;min-width:9em"
        return f"<{tag} style='{style};vertical-align:top'>{html.escape(text)}</{tag}>"

    def _repr_html_(self):
        frame = self.frame
        index_name = frame.index.name or ""
        head = "".join(f"<th style='text-align:left;vertical-align:bottom;white-space:normal'>"
                       f"{html.escape(str(c))}</th>" for c in [index_name, *frame.columns])
        rows = "".join(
            "<tr>" + f"<th style='text-align:left;vertical-align:top;{_wrap(label)}'>{html.escape(str(label))}</th>"
            + "".join(self._cell(v) for v in row) + "</tr>"
            for label, row in zip(frame.index, frame.itertuples(index=False))
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

    def __repr__(self):
        with pd.option_context("display.max_colwidth", None):  # whole cells and headers, never "..."
            return self.frame.to_string()


class Items:
    """``label: text`` entries shown as a Markdown list (``checked=True``: a list of done check boxes).

    >>> Items([("margin mode", "isolated")])
    margin mode: isolated
    """

    def __init__(self, entries, *, checked=False):
        self.entries = [(str(label), str(text)) for label, text in entries]
        self.checked = checked

    def _repr_markdown_(self):
        box = "[x] " if self.checked else ""
        return "\n".join(f"- {box}**{_escape_md(label)}**: {_escape_md(text)}" for label, text in self.entries)

    def __repr__(self):
        return "\n".join(f"{label}: {text}" for label, text in self.entries)


def _escape_md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


class Deeper:
    """A collapsed "Going deeper" section: a title, then Markdown texts and :class:`Table` s in order.

    The texts are Markdown written by the lesson, with its computed numbers in them.

    >>> Deeper("why", "Because.")
    Going deeper: why
    Because.
    """

    def __init__(self, title: str, *parts):
        self.title = title
        self.parts = parts

    def _repr_markdown_(self):
        body = [part._repr_html_() if isinstance(part, Table) else part for part in self.parts]
        return "\n\n".join([f"<details><summary><b>Going deeper: {html.escape(self.title)}</b></summary>", *body,
                             "</details>"])

    def __repr__(self):
        body = [repr(part) if isinstance(part, Table) else _plain(part) for part in self.parts]
        return "\n".join([f"Going deeper: {self.title}", *body])


def _plain(markdown: str) -> str:
    """Markdown as plain text: emphasis marks dropped."""
    return re.sub(r"\*\*?([^*]+)\*\*?", r"\1", markdown)


def paths_text(share, n, *, paths_word="paths"):
    """A share of ``n`` simulated paths as a count a learner can read: never a bare ``0.0 %``.

    >>> paths_text(0.166, 1_000), paths_text(0.0, 1_000), paths_text(0.15, 100, paths_word="")
    ('166 of 1,000 paths (16.6 %)', 'none of the 1,000 paths', '15 of 100 (15.0 %)')
    """
    count = int(round(share * n))
    tail = f" {paths_word}" if paths_word else ""
    if count == 0:
        return f"none of the {number(n)}{tail}"
    return f"{number(count)} of {number(n)}{tail} ({percent(count / n, 1)})"
