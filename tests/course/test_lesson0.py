"""Lesson 0 (start here): course map, vocabulary, the first dashboard and question."""

import itertools
import re
from pathlib import Path

import pytest

import margincourse as mc
from margincourse.course.lessons import lesson0
from shared_checks import fastest_update

BAD_NUMBER = re.compile(r"\bnan\b|\binf\b|\binfinity\b", re.IGNORECASE)
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

TERMS = [
    "long and short", "margin", "notional", "leverage", "initial margin", "maintenance margin", "maintenance margin rate (MMR)",
    "maintenance amount", "risk tier", "margin balance", "margin ratio", "unrealized PnL",
    "mark price vs last price", "liquidation price", "bankruptcy price", "insurance fund", "isolated margin",
    "cross margin", "auto-add margin", "USDT-margined linear perpetual", "contract size", "tick", "funding",
]



def test_course_map_has_lessons_0_to_8():
    table = lesson0.course_map()
    assert [row["lesson"] for row in table.rows] == list(range(9))
    assert [row["title"] for row in table.rows] == [
        "Start here", "Initial margin", "Maintenance margin", "Liquidation", "Cross vs isolated",
        "The copy-trading trap", "Choosing a mode", "Beyond crypto", "Funding: the cost of holding",
    ]
    markdown = table._repr_markdown_()
    assert markdown.count("\n") == 9 + 1  # header, rule, 9 rows
    assert "[02_maintenance_margin.ipynb](02_maintenance_margin.ipynb)" in markdown
    assert "[ex02_maintenance_margin.ipynb](../exercises/ex02_maintenance_margin.ipynb)" in markdown
    assert markdown.count("](../exercises/ex") == 8  # lessons 1 to 8; lesson 0 has no exercise


def test_course_map_links_the_notebooks_that_exist():
    """When a lesson notebook lands, its file name must be the one the course map links to."""
    stems = {number: stem for number, stem, _, _ in lesson0.COURSE}
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        assert stems[int(path.name[:2])] == path.stem, f"course map links {stems[int(path.name[:2])]}, file is {path.name}"


def test_course_map_links_the_exercises_that_exist():
    """Every exercise link points at a file in exercises/: ``ex`` + the exercise's name + ``.ipynb``."""
    exercises = NOTEBOOKS.parent / "exercises"
    for row in lesson0.course_map().rows:
        if row["exercises"] == "none":
            continue
        target = row["exercises"].split("](../exercises/")[1].rstrip(")")
        assert target == lesson0.exercise_file(next(s for n, s, _, _ in lesson0.COURSE if n == row["lesson"]))
        assert (exercises / target).is_file(), f"course map links exercises/{target}, which does not exist"


def test_vocabulary_has_every_term_once():
    terms = [row["term"] for row in lesson0.vocabulary().rows]
    assert sorted(terms) == sorted(TERMS)
    assert len(set(terms)) == len(terms)
    assert not BAD_NUMBER.search(repr(lesson0.vocabulary()))


def test_vocabulary_examples_are_the_engines_numbers():
    rows = {row["term"]: row["example"] for row in lesson0.vocabulary().rows}
    table = mc.tier_table("BTCUSDT", "binance")
    assert rows["notional"] == f"0.02 x 50,000 = {mc.notional(0.02, 50_000):,.2f} USDT"
    assert rows["notional"] == "0.02 x 50,000 = 1,000.00 USDT"
    assert rows["initial margin"] == "1,000 / 10 = 100.00 USDT"
    assert rows["maintenance margin"].startswith("4.00 USDT")  # 1,000 x 0.4 %
    lp = mc.liquidation_price_for_tiers("long", 50_000, 0.02, 100, table)
    assert rows["liquidation price"].startswith(f"{lp:,.2f} USDT") and rows["liquidation price"].startswith("45,180.72")
    assert rows["bankruptcy price"].startswith("45,000.00 USDT")  # 50,000 x (1 - 1/10)
    assert rows["margin balance"] == "100.00 + (-80.00) = 20.00 USDT"
    assert rows["margin ratio"] == "3.68 / 20.00 = 18.4 %"  # 920 x 0.4 % / 20
    assert rows["contract size"].startswith(f"{mc.contract('BTCUSDT').contract_size} BTC")
    meaning = {row["term"]: row["meaning"] for row in lesson0.vocabulary().rows}["contract size"]
    assert "one contract" in meaning and "quantity step" in meaning  # two different things, both defined
    assert rows["maintenance amount"].startswith("950 USDT")
    long_pnl = mc.unrealized_pnl("long", 50_000, 0.02, 51_000)
    assert rows["long and short"] == (f"0.02 BTC from 50,000 to 51,000: long +{long_pnl:,.2f} USDT, "
                                      f"short -{long_pnl:,.2f} USDT")
    assert rows["long and short"].endswith("long +20.00 USDT, short -20.00 USDT")


def test_demo_dashboard_every_corner():
    dashboard = lesson0.demo_dashboard()
    ends = {name: (control.min, control.max) for name, control in dashboard.controls.items()}
    for values in [*(dict(zip(ends, c)) for c in itertools.product(*ends.values())), dashboard.values()]:
        readout = dashboard.set(**values)
        assert dashboard.message == ""
        assert not BAD_NUMBER.search(dashboard.text())
        assert fastest_update(dashboard, values) < 0.05, values
        value = float(readout["notional = size x price"].replace(",", "").split()[0])
        assert value == pytest.approx(values["size"] * values["price"], abs=0.005)


def test_question_has_one_right_answer():
    question = lesson0.question()
    assert question.answer == "1,000 USDT"
    for option in question.options:
        verdict = question.check(option)
        assert verdict.startswith("Right." if option == question.answer else "Not quite.")


# --------------------------------------------------------------------------- what a learner reads in lessons 0-2

LESSON_LINKS = {
    "00_start_here": ("[Lesson 1 · Initial margin](01_initial_margin.ipynb)", None),
    "01_initial_margin": ("[Lesson 2 · Maintenance margin](02_maintenance_margin.ipynb)",
                          "(../exercises/ex01_initial_margin.ipynb)"),
    "02_maintenance_margin": ("[Lesson 3 · Liquidation](03_liquidation.ipynb)",
                              "(../exercises/ex02_maintenance_margin.ipynb)"),
}


def _cells(stem):
    import nbformat

    return nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4).cells


def _text_of(output):
    """The text a learner reads in one output (not its images)."""
    data = output.get("data", {})
    return output.get("text", "") + "".join(data.get(kind, "") for kind in ("text/plain", "text/html", "text/markdown"))


@pytest.mark.parametrize("stem", sorted(LESSON_LINKS))
def test_lesson_names_its_sources_and_links_the_way_on(stem):
    cells = _cells(stem)
    markdown = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    everything = "\n".join([cell.source for cell in cells] + [_text_of(output) for cell in cells
                                                             if cell.cell_type == "code" for output in cell.outputs])
    assert not re.search(r"\bseeds?\b", everything, re.IGNORECASE), "cite a source by what it is, never 'seed'"
    assert "USD\u24c8" not in everything, "the circled S shows as a box in many fonts: write USD-M"
    assert "\n## Sources\n" in markdown
    sources = markdown.split("\n## Sources\n", 1)[1]
    assert "Richra" in sources and "CryptoEdTech" in sources
    next_link, exercise_link = LESSON_LINKS[stem]
    assert f"**Next:** {next_link}" in markdown
    if exercise_link:
        assert exercise_link in markdown
    assert markdown.index("**Next:**") < markdown.index("\n## Sources\n")  # Sources close the lesson


@pytest.mark.parametrize("stem", sorted(LESSON_LINKS))
def test_going_deeper_sections_render_as_markdown(stem):
    """A <details> section needs a blank line after </summary> (or Markdown inside is not rendered) and
    must close in the same cell; code cells never sit inside one."""
    for cell in _cells(stem):
        if cell.cell_type != "markdown" or "<details>" not in cell.source:
            continue
        assert cell.source.count("<details>") == cell.source.count("</details>")
        for block in cell.source.split("<details>")[1:]:
            assert "<summary><b>Going deeper: " in block
            assert "</summary>\n\n" in block
