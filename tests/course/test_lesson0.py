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
    "margin", "notional", "leverage", "initial margin", "maintenance margin", "maintenance margin rate (MMR)",
    "maintenance amount", "risk tier", "margin balance", "margin ratio", "unrealized PnL",
    "mark price vs last price", "liquidation price", "bankruptcy price", "insurance fund", "isolated margin",
    "cross margin", "auto-add margin", "USDT-margined linear perpetual", "contract size", "tick",
]



def test_course_map_has_lessons_0_to_7():
    table = lesson0.course_map()
    assert [row["lesson"] for row in table.rows] == list(range(8))
    assert [row["title"] for row in table.rows] == [
        "Start here", "Initial margin", "Maintenance margin", "Liquidation", "Cross vs isolated",
        "The copy-trading trap", "Choosing a mode", "Beyond crypto",
    ]
    markdown = table._repr_markdown_()
    assert markdown.count("\n") == 8 + 1  # header, rule, 8 rows
    assert "[02_maintenance_margin.ipynb](02_maintenance_margin.ipynb)" in markdown
    assert "(../exercises/02_maintenance_margin.ipynb)" in markdown


def test_course_map_links_the_notebooks_that_exist():
    """When a lesson notebook lands, its file name must be the one the course map links to."""
    stems = {number: stem for number, stem, _, _ in lesson0.COURSE}
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        assert stems[int(path.name[:2])] == path.stem, f"course map links {stems[int(path.name[:2])]}, file is {path.name}"


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
