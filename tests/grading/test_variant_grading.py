"""A class's variant from end to end: ``make-exercises --variant KEY --out DIR``, then ``grade --exercises DIR``.

* the variant's notebook shows the variant's prompts and option lists, names its seed in the
  check cell and its metadata, and runs in a fresh kernel to "not answered yet" everywhere;
* a learner's check in it judges the variant's numbers;
* the grader judges against the variant ``--exercises`` holds: a student who answers the variant
  gets full marks, one who hands in the published answers does not, and both rows say which
  version they were made from where it is not the class's;
* nothing is overwritten that make-exercises did not write, and bad keys and folders are refused
  by the name of their option.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from margincourse.basics.errors import MarginInputError
from margincourse.grading import grader
from margincourse.grading.authoring import answer_sheet, generate_variant, make_variant
from margincourse.grading.checks import Exercise
from margincourse.grading.keys import notebook_file, questions_of
from margincourse.grading.variants import class_questions, variant_seed

ROOT = Path(__file__).resolve().parents[2]
NAME = "01_initial_margin"
KEY = "fin305-spring"
SEED = variant_seed(KEY, NAME)


def _published():
    return nbformat.read(ROOT / "exercises" / notebook_file(NAME), as_version=4)


def _markdown(notebook):
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_the_variant_notebook_asks_the_variants_questions():
    notebook = make_variant(_published(), NAME, SEED)
    published, variant = questions_of(NAME), class_questions(NAME, SEED)
    text = _markdown(notebook)
    for qid, question in variant.items():
        assert question.prompt in text, qid
        if question.kind == "choice":
            assert question.options_markdown() in text
            assert published[qid].options_markdown() not in text
        elif question.prompt != published[qid].prompt:
            assert published[qid].prompt not in text, qid
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert f'check = mc.exercise("{NAME}", variant="{SEED}")' in first_code.source
    assert notebook.metadata["margincourse"]["variant"] == SEED
    assert all(not c.outputs for c in notebook.cells if c.cell_type == "code")
    with pytest.raises(MarginInputError, match="must create its check with"):
        make_variant(notebook, NAME, SEED)  # a variant is dealt from the published exercise only


def test_a_learners_check_in_the_variant_judges_the_variants_numbers():
    check = Exercise(NAME, record=False, variant=SEED)
    variant, published = class_questions(NAME, SEED), questions_of(NAME)
    assert check.verdict("q1", variant["q1"].reference()).correct
    assert not check.verdict("q1", published["q1"].reference()).correct
    letter = variant["q5"].letter_of(variant["q5"].answer)
    assert check.verdict("q5", letter).correct
    assert not check.verdict("q5", published["q5"].letter_of(published["q5"].answer)).correct


def test_the_out_folder_is_never_the_published_one_and_never_holds_a_users_notebook(tmp_path):
    with pytest.raises(MarginInputError, match=r"out \(--out\) must be another folder than the published"):
        generate_variant(ROOT / "exercises", ROOT / "exercises", KEY, execute=False)
    mine = tmp_path / "out" / notebook_file(NAME)
    mine.parent.mkdir()
    shutil.copy(ROOT / "exercises" / notebook_file(NAME), mine)
    before = mine.read_bytes()
    with pytest.raises(MarginInputError, match=r"out \(--out\) must not hold notebooks of your own"):
        generate_variant(ROOT / "exercises", mine.parent, KEY, execute=False)
    assert mine.read_bytes() == before
    with pytest.raises(MarginInputError, match=r"exercises \(--exercises\) must be a folder of the published"):
        generate_variant(tmp_path, tmp_path / "elsewhere", KEY, execute=False)
    with pytest.raises(MarginInputError, match=r"variant \(--variant\) must be a key"):
        generate_variant(ROOT / "exercises", tmp_path / "elsewhere", "abc", execute=False)


def test_a_variant_can_be_made_again_into_its_own_folder(tmp_path):
    first = generate_variant(ROOT / "exercises", tmp_path, KEY, names=[NAME], execute=False)
    again = generate_variant(ROOT / "exercises", tmp_path, KEY, names=[NAME], execute=False)
    assert first == again and first[NAME]["seed"] == SEED
    assert first[NAME]["changes"]["q4"] == "nothing" and first[NAME]["changes"]["q5"] == "letters"


def test_the_answer_sheet_lists_the_variants_answers():
    sheet = answer_sheet(KEY, [NAME])
    variant = class_questions(NAME, SEED)
    assert f"{variant['q1'].reference():,.3f} USDT" in sheet
    assert f"| q5 | {variant['q5'].letter_of(variant['q5'].answer)}: " in sheet
    exact = class_questions("03_liquidation", variant_seed(KEY, "03_liquidation"))["q7"]  # a whole leverage
    assert exact.tolerance == 0 and f"| q7 | {exact.reference():.0f} |" in answer_sheet(KEY, ["03_liquidation"])


def _answered(variant_notebook, answers: dict, function_source: str):
    """A student's copy of the variant notebook with ``answers`` written in and the function question solved."""
    notebook = nbformat.from_dict(variant_notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for qid, value in answers.items():
            cell.source = cell.source.replace(f"answer_{qid} = None  # YOUR ANSWER HERE", f"answer_{qid} = {value!r}")
        if "def pnl(" in cell.source:
            cell.source = function_source
    return notebook


@pytest.fixture(scope="module")
def variant_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class_exercises")
    generate_variant(ROOT / "exercises", folder, KEY, names=[NAME])
    return folder


def test_the_written_variant_runs_to_not_answered_yet(variant_folder):
    notebook = nbformat.read(variant_folder / notebook_file(NAME), as_version=4)
    checks = [c for c in notebook.cells if "question" in c.metadata.get("margincourse", {})]
    assert checks
    for cell in checks:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "not answered yet" in text, text
    assert not any(o.get("output_type") == "error" for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_the_grader_judges_against_the_variant_the_exercises_folder_holds(variant_folder, tmp_path):
    solution = nbformat.read(ROOT / "solutions" / notebook_file(NAME), as_version=4)
    function_source = next(c.source for c in solution.cells if "def pnl(" in c.source)
    function_source = re.sub(r"### (BEGIN|END) SOLUTION\n?", "", function_source)
    variant_notebook = nbformat.read(variant_folder / notebook_file(NAME), as_version=4)

    def answers_to(questions):
        return {qid: (q.letter_of(q.answer) if q.kind == "choice" else q.reference())
                for qid, q in questions.items() if q.kind != "function"}

    right = tmp_path / "ada" / notebook_file(NAME)
    copied = tmp_path / "bob" / notebook_file(NAME)
    for path, questions in ((right, class_questions(NAME, SEED)), (copied, questions_of(NAME))):
        path.parent.mkdir()
        nbformat.write(_answered(variant_notebook, answers_to(questions), function_source), path)

    ada = grader.grade_one(right, variant_folder, cell_timeout=20)
    assert ada.status == "graded" and ada.total == ada.maximum > 0, ada.feedback
    assert ada.reason == ""
    bob = grader.grade_one(copied, variant_folder, cell_timeout=20)
    changed = [qid for qid, kind in generate_variant(ROOT / "exercises", tmp_path / "again", KEY, names=[NAME],
                                                     execute=False)[NAME]["changes"].items() if kind != "nothing"]
    assert all(bob.points[qid] == 0 for qid in changed), bob.feedback
    assert bob.points["q4"] == bob.max_points["q4"]  # a function is the same in every variant
    # graded against the published exercises, Ada's variant answers are wrong and her row says why
    ada_published = grader.grade_one(right, ROOT / "exercises", cell_timeout=20)
    assert ada_published.total < ada_published.maximum
    assert f"made from variant {SEED} of {NAME}, graded against the published exercise" in ada_published.reason

    published_copy = tmp_path / "cy" / notebook_file(NAME)
    published_copy.parent.mkdir()
    shutil.copy(ROOT / "solutions" / notebook_file(NAME), published_copy)
    cy = grader.grade_one(published_copy, variant_folder, cell_timeout=20)
    assert f"made from the published exercise of {NAME}, graded against the class's variant {SEED}" in cy.reason


def test_grade_refuses_a_variant_key_the_exercises_were_not_made_with(variant_folder):
    grader.check_variant_key(KEY, variant_folder)  # the right key passes
    with pytest.raises(MarginInputError, match=r"variant \(--variant\) must be the key --exercises was made with"):
        grader.check_variant_key("another-key", variant_folder)
    with pytest.raises(MarginInputError, match="is the published exercise"):
        grader.check_variant_key(KEY, ROOT / "exercises")


def test_the_command_line_needs_an_out_folder_and_keeps_answers_out_of_it(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "margincourse.cli", "make-exercises", *args],
                              capture_output=True, text=True, cwd=ROOT)

    missing = run("--variant", KEY)
    assert missing.returncode == 2 and "out (--out) must name a folder" in missing.stderr
    inside = run("--variant", KEY, "--out", str(tmp_path), "--answers", str(tmp_path / "answers.md"))
    assert inside.returncode == 2 and "answers (--answers) must be outside --out" in inside.stderr
    assert not any(tmp_path.iterdir())


def test_the_command_line_writes_a_variant_quietly(tmp_path):
    source, out = tmp_path / "published", tmp_path / "class_exercises"
    source.mkdir()
    shutil.copy(ROOT / "exercises" / notebook_file(NAME), source)
    made = subprocess.run([sys.executable, "-m", "margincourse.cli", "make-exercises", "--variant", KEY,
                           "--exercises", str(source), "--out", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (out / notebook_file(NAME)).is_file() and f"{NAME}: variant {variant_seed(KEY, NAME)}" in made.stdout
    assert "WARNING" not in made.stderr, made.stderr  # no kernel chatter in the instructor's terminal


def test_grade_refuses_a_variant_this_version_deals_otherwise(variant_folder, tmp_path):
    """A later version of the answer keys may deal another q1 for the same seed: the notebook the
    students had no longer shows it, and grading against the new numbers would fail right answers."""
    notebook = nbformat.read(variant_folder / notebook_file(NAME), as_version=4)
    assert notebook.metadata["margincourse"]["made_by"]   # the version that made it, for the message
    grader.check_variants_match(variant_folder)            # as made: it matches
    dealt = class_questions(NAME, SEED)["q1"].prompt
    other = tmp_path / "older"
    other.mkdir()
    for cell in notebook.cells:
        cell.source = cell.source.replace(dealt, questions_of(NAME)["q1"].prompt.replace("USDT", "USDT (old)"))
    nbformat.write(notebook, other / notebook_file(NAME))
    with pytest.raises(MarginInputError, match=r"exercises \(--exercises\): .* dealt variant .* \(q1 differ\)"):
        grader.grade([ROOT / "exercises"], out=tmp_path / "grades.csv", exercises_dir=other)
    assert not (tmp_path / "grades.csv").exists()
