"""After grading: the Canvas, Moodle and plain exports in their documented column layouts, the class
report, and the per-student HTML feedback pages."""

import csv
import io
import re
import stat

import pytest

from class_gradebook import CLASS, NOTIONAL, make_gradebook
from margincourse.basics.errors import MarginInputError
from margincourse.basics.files import current_umask
from margincourse.cli import main
from margincourse.grading import export, feedback_html, gradebook, report

EX = "01_initial_margin"


@pytest.fixture()
def book(tmp_path):
    return make_gradebook(tmp_path, EX)


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_canvas_layout_is_the_documented_one(book):
    """Header Student, ID, SIS User ID, SIS Login ID, Section, then the assignment; a Points Possible row."""
    rows = _rows(export.canvas_csv(export.load_totals(book), {EX: "4321"}))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{EX} (4321)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"]
    by_id = {r[2]: r for r in rows[2:]}
    assert by_id["alice"] == ["Liddell, Alice", "", "alice", "", "A", "3"]
    assert by_id["dora"][-1] == "1"  # 2 points, half taken off for lateness
    assert by_id["emil"][-1] == "0"  # on the roster, handed nothing in
    assert len(rows) == 2 + len(CLASS) + 1


def test_canvas_without_an_id_writes_the_plain_name_and_refuses_an_unknown_exercise(book):
    totals = export.load_totals(book)
    assert _rows(export.canvas_csv(totals))[0][-1] == EX
    with pytest.raises(MarginInputError, match="assignment-id must name an exercise"):
        export.canvas_csv(totals, {"ex99": "1"})


def test_no_cell_starts_a_formula(book):
    text = export.canvas_csv(export.load_totals(book))
    assert "'=cmd|evil" in text
    assert not any(cell.startswith("=") for row in _rows(text) for cell in row)


def test_moodle_layout_identifier_first_then_one_column_per_item(book):
    totals = export.load_totals(book)
    rows = _rows(export.moodle_csv(totals))
    assert rows[0] == ["ID number", "Full name", EX]
    assert ["bob", "Dylan, Bob", "1"] in rows
    emails = _rows(export.moodle_csv(totals, "email"))
    assert emails[0][0] == "Email address" and ["alice@example.org", "Liddell, Alice", "3"] in emails
    with pytest.raises(MarginInputError, match="identifier must be one of"):
        export.moodle_csv(totals, "shoe size")


def test_moodle_by_email_needs_every_email(book):
    totals = export.load_totals(book)
    totals.loc[totals["student"] == "bob", "email"] = ""
    with pytest.raises(MarginInputError, match="none for bob"):
        export.moodle_csv(totals, "email")


def test_plain_csv_and_the_command_line(book, tmp_path, capsys):
    assert main(["export", str(book), "--format", "csv"]) == 0
    rows = _rows((tmp_path / "gradebook-csv.csv").read_text())
    assert rows[0] == ["student", "name", "section", EX, "total", "max"]
    assert ["alice", "Liddell, Alice", "A", "3", "3", "3"] in rows
    out = tmp_path / "to_canvas.csv"
    assert main(["export", str(book.with_suffix(".sqlite")), "--format", "canvas", "--out", str(out),
                 "--assignment-id", f"{EX}=77"]) == 0
    assert _rows(out.read_text())[0][-1] == f"{EX} (77)"
    assert main(["export", str(tmp_path / "nothing.csv"), "--format", "csv"]) == 2
    assert "gradebook must be" in capsys.readouterr().err


def test_question_summary_counts_named_mistakes(book):
    long = gradebook.long_table(book.with_suffix(".sqlite"))
    summary = report.question_summary(long).set_index("question")
    assert summary.loc["q1", "answered"] == 4
    assert summary.loc["q1", "mean_points"] == pytest.approx(1.0)
    assert summary.loc["q1", "share_right"] == pytest.approx(0.5)
    assert summary.loc["q1", "top_mistakes"] == [(NOTIONAL, 2)]
    assert summary.loc["q2", "share_right"] == pytest.approx(0.5) and summary.loc["q2", "top_mistakes"] == []
    counts = report.mistake_counts(long)
    assert counts.to_dict("records") == [{"exercise": EX, "question": "q1", "mistake": NOTIONAL, "count": 2}]


def test_report_writes_charts_and_a_self_contained_escaped_page(book, tmp_path):
    assert main(["report", str(book)]) == 0
    folder = tmp_path / "gradebook-report"
    for name in ("totals.png", "questions.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # readable by a teaching assistant as the umask allows, not mkstemp's owner-only 0600
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o666 & ~current_umask()
    page = (folder / "report.html").read_text()
    assert "data:image/png;base64," in page and NOTIONAL + " (2)" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing fetched from elsewhere
    assert "<script" not in page


def test_feedback_pages_show_answer_verdict_mistake_and_hint_escaped(book, tmp_path):
    long = gradebook.long_table(book.with_suffix(".sqlite"))
    pages = feedback_html.write_feedback_html(long, tmp_path / "fb")
    assert sorted(p.name for p in pages) == sorted(f"{feedback_html.safe_name(s)}_{EX}.html" for s in CLASS)
    bob = (tmp_path / "fb" / f"bob_{EX}.html").read_text()
    assert "1920.0" in bob and "Not yet" in bob and NOTIONAL in bob and "Margin is notional / leverage." in bob
    assert "1 / 3 points" in bob
    evil = (tmp_path / "fb" / f"_cmd_evil_{EX}.html").read_text()
    assert "<script>alert" not in evil and "&lt;script&gt;alert(1)&lt;/script&gt;" in evil


def test_feedback_pages_keep_two_students_apart_when_names_collide(tmp_path):
    rows = [{"student": s, "exercise": "ex", "question": "q1", "points": 1, "max_points": 1, "correct": 1,
             "mistake": "", "answer": "1", "hint": ""} for s in ("a b", "a/b")]
    names = sorted(p.name for p in feedback_html.write_feedback_html(rows, tmp_path))
    assert names == ["a_b_ex-2.html", "a_b_ex.html"]
