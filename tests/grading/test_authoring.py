"""Exercise notebooks derived from solution notebooks (margincourse/grading/authoring.py).

Small notebooks built with nbformat in ``tmp_path``, never the course's own (the check
that the committed exercises are current lives in tests/grading/test_grader.py):

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes its stub; cells
  and lines outside the markers are kept as they were;
* markdown explanations between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  and cells tagged ``solution-only`` are dropped; check cells keep their metadata and lose
  their outputs;
* unbalanced markers (code or markdown) and a region that is not Python are refused with a
  MarginInputError naming the notebook and the cell;
* only plain names assigned in a region are stubbed: setting an attribute or an item of an
  object defined outside it leaves the object alone;
* the written exercise never contains the solution's text, and generating twice gives the
  same file; ``check_only`` writes nothing and names what is out of date.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from margincourse.basics.errors import MarginInputError
from margincourse.grading import authoring

SECRET = "61_234_567"  # appears only inside solution regions, outputs and explanations
STUB = "# YOUR ANSWER HERE"
RAISE = 'raise NotImplementedError("write this function")'


def solution_notebook():
    """A solution notebook in the course's shape, every answer carrying SECRET."""
    cells = [
        new_markdown_cell("# Exercise 9\n\nAnswer each question, then run its check."),
        new_code_cell('import margincourse as mc\ncheck = mc.exercise("01_initial_margin")'),
        new_markdown_cell("**q1** (1 point): the initial margin, in USDT."),
        new_code_cell(
            f"size = 0.05\n### BEGIN SOLUTION\nanswer_q1 = {SECRET} / 25\n### END SOLUTION\nprint(size)",
            outputs=[new_output("stream", name="stdout", text=f"0.05\n{SECRET}\n")],
            execution_count=3,
        ),
        new_code_cell(
            'check("q1", answer_q1)',
            metadata={"margincourse": {"question": "q1", "points": 2}},
            outputs=[new_output("stream", name="stdout", text="✔ q1: correct.\n")],
            execution_count=4,
        ),
        new_markdown_cell(
            f"Why: the margin is the notional over the leverage.\n<!-- BEGIN SOLUTION -->\n{SECRET} / 25 it is.\n"
            "<!-- END SOLUTION -->\nNext question."
        ),
        new_markdown_cell(f"<!-- BEGIN SOLUTION -->\nAll explanation: {SECRET}.\n<!-- END SOLUTION -->\n"),
        new_code_cell(f"print({SECRET})", metadata={"tags": ["solution-only"]}),
        new_code_cell(
            "### BEGIN SOLUTION\n"
            "def pnl(side, size, entry_price, exit_price=None):\n"
            '    """The PnL in USDT."""\n'
            f"    return {SECRET} * size\n"
            "### END SOLUTION"
        ),
        new_code_cell("mc.progress()", metadata={"tags": ["nbval-ignore-output", "grader-skip"]},
                      outputs=[new_output("stream", name="stdout", text="progress\n")], execution_count=9),
    ]
    return new_notebook(cells=cells, metadata={"margincourse": {"exercise": "01_initial_margin"}})


def write(path, notebook):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def folders(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions / "09_test.ipynb", solution_notebook())
    exercises.mkdir()
    return solutions, exercises


# --------------------------------------------------------------------------- strip_code: the stub


def test_assignments_become_none_with_the_stub_comment():
    source = "x = 1\n### BEGIN SOLUTION\nanswer_q1 = 2 * 3\nlow, high = 1, 2\ntotal: float = 5.0\n### END SOLUTION\nprint(x)"
    assert authoring.strip_code(source) == (
        "x = 1\n"
        f"answer_q1 = None  {STUB}\n"
        f"low = None  {STUB}\n"
        f"high = None  {STUB}\n"
        f"total = None  {STUB}\n"
        "print(x)"
    )


def test_a_name_assigned_twice_is_stubbed_once():
    source = "### BEGIN SOLUTION\nanswer = 1\nanswer = answer + 1\nanswer += 1\n### END SOLUTION"
    assert authoring.strip_code(source) == f"answer = None  {STUB}"


def test_functions_keep_signature_and_docstring_and_raise():
    source = (
        "### BEGIN SOLUTION\n"
        "def pnl(side, size, entry_price, exit_price=None, *, fee=0.0):\n"
        '    """The PnL in USDT."""\n'
        "    return 1.0\n"
        "### END SOLUTION"
    )
    assert authoring.strip_code(source) == (
        "def pnl(side, size, entry_price, exit_price=None, *, fee=0.0):\n"
        '    """The PnL in USDT."""\n'
        f"    {STUB}\n"
        f"    {RAISE}"
    )


def test_a_function_without_docstring_gets_no_docstring():
    source = "### BEGIN SOLUTION\ndef f(x):\n    return x\n### END SOLUTION"
    assert authoring.strip_code(source) == f"def f(x):\n    {STUB}\n    {RAISE}"


def test_anything_else_in_a_region_is_dropped():
    source = "a = 1\n### BEGIN SOLUTION\nfor i in range(3):\n    print(i)\nprint('done')\n### END SOLUTION\nb = 2"
    assert authoring.strip_code(source) == f"a = 1\n{STUB}\nb = 2"


def test_an_indented_region_keeps_its_indentation():
    source = "if True:\n    ### BEGIN SOLUTION\n    x = 1\n    y = x + 1\n    ### END SOLUTION\n    print(x)"
    assert authoring.strip_code(source) == f"if True:\n    x = None  {STUB}\n    y = None  {STUB}\n    print(x)"


def test_two_regions_in_one_cell():
    source = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nmiddle = 0\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION"
    assert authoring.strip_code(source) == f"a = None  {STUB}\nmiddle = 0\nb = None  {STUB}"


def test_lines_outside_the_markers_are_kept_verbatim():
    outside = ["import numpy as np  # keep me", "   spaced = [ 1,2 ]   ", "# a comment", "", "print('### not a marker')"]
    source = "\n".join(outside[:3] + ["### BEGIN SOLUTION", "x = 1", "### END SOLUTION"] + outside[3:])
    result = authoring.strip_code(source).split("\n")
    assert result == outside[:3] + [f"x = None  {STUB}"] + outside[3:]


def test_stubs_are_valid_python():
    notebook = authoring.make_exercise(solution_notebook())
    for cell in notebook.cells:
        if cell.cell_type == "code":
            compile(cell.source, "<cell>", "exec")


# --------------------------------------------------------------------------- strip_code: refusals


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1", "found BEGIN SOLUTION without END SOLUTION"),
        ("x = 1\n### END SOLUTION", "found END SOLUTION without BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION", "found END SOLUTION without BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END SOLUTION",
         "solution regions must not be nested: found a second BEGIN SOLUTION"),
    ],
)
def test_unbalanced_markers_are_refused(source, message):
    with pytest.raises(MarginInputError, match=f"^{message}$"):
        authoring.strip_code(source)


def test_a_region_that_is_not_python_is_refused():
    with pytest.raises(MarginInputError, match="^solution region must be valid Python, got a syntax error: "):
        authoring.strip_code("### BEGIN SOLUTION\nanswer = (1 +\n### END SOLUTION")


def test_make_exercise_refuses_a_cell_with_begin_only():
    notebook = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nanswer = 1")])
    with pytest.raises(MarginInputError, match="found BEGIN SOLUTION without END SOLUTION"):
        authoring.make_exercise(notebook)


def test_make_exercise_refuses_a_cell_with_end_only():
    notebook = new_notebook(cells=[new_code_cell(f"answer = {SECRET}\n### END SOLUTION")])
    with pytest.raises(MarginInputError, match="found END SOLUTION without BEGIN SOLUTION$"):
        authoring.make_exercise(notebook)


def test_a_marker_inside_a_line_is_not_a_marker():
    source = "print('### END SOLUTION')"
    exercise = authoring.make_exercise(new_notebook(cells=[new_code_cell(source)]))
    assert exercise.cells[0].source == source


@pytest.mark.parametrize("source, message", [
    (f"Intro.\n<!-- BEGIN SOLUTION -->\nThe answer is {SECRET}.", "found <!-- BEGIN SOLUTION --> without <!-- END SOLUTION -->"),
    (f"The answer is {SECRET}.\n<!-- END SOLUTION -->\nNext.", "found <!-- END SOLUTION --> without <!-- BEGIN SOLUTION -->"),
    (f"<!-- BEGIN SOLUTION -->\n{SECRET}\n<!-- END SOLUTION -->\n<!-- BEGIN SOLUTION -->\n{SECRET}",
     "found <!-- BEGIN SOLUTION --> without <!-- END SOLUTION -->"),
    (f"<!--BEGIN SOLUTION-->\n{SECRET}\n<!-- END SOLUTION -->", "found <!--BEGIN SOLUTION--> without <!-- END SOLUTION -->"),
])
def test_make_exercise_refuses_an_unbalanced_markdown_region(source, message):
    notebook = new_notebook(cells=[new_markdown_cell(source)])
    with pytest.raises(MarginInputError, match=f"{message}$"):
        authoring.make_exercise(notebook)


def test_make_exercise_error_names_the_notebook_and_the_cell():
    notebook = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("Intro."),
                                   new_code_cell("### BEGIN SOLUTION\nanswer_q2 = 0.05 * 60_000 / 25 + 1_000_000 / 7")])
    with pytest.raises(MarginInputError) as info:
        authoring.make_exercise(notebook, "solutions/ex03_liquidation.ipynb")
    assert str(info.value) == ('solutions/ex03_liquidation.ipynb, cell 3 ("answer_q2 = 0.05 * 60_000 / 25 + ..."): '
                               "found BEGIN SOLUTION without END SOLUTION")
    with pytest.raises(MarginInputError, match=r'^the solution notebook, cell 1 \("Why"\): found <!-- BEGIN'):
        authoring.make_exercise(new_notebook(cells=[new_markdown_cell("\nWhy\n<!-- BEGIN SOLUTION -->")]))


def test_generate_error_names_the_file_and_the_cell(tmp_path):
    solutions = tmp_path / "solutions"
    write(solutions / "03_broken.ipynb", new_notebook(cells=[
        new_code_cell("import margincourse as mc"),
        new_code_cell("### BEGIN SOLUTION\nanswer = 1"),
    ]))
    with pytest.raises(MarginInputError) as info:
        authoring.generate(solutions, tmp_path, execute=False)
    assert str(info.value) == f'{solutions / "03_broken.ipynb"}, cell 2 ("answer = 1"): found BEGIN SOLUTION without END SOLUTION'


def test_generate_refuses_a_file_that_is_not_a_notebook(tmp_path):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "04_torn.ipynb").write_text("{ not json", encoding="utf-8")
    with pytest.raises(MarginInputError, match="04_torn.ipynb: solution must be a readable notebook, got "):
        authoring.generate(solutions, tmp_path, execute=False)


def test_generate_writes_no_exercise_for_a_broken_solution(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions / "03_broken.ipynb", new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nanswer = 1")]))
    exercises.mkdir()
    with pytest.raises(MarginInputError, match="BEGIN SOLUTION without END SOLUTION"):
        authoring.generate(solutions, exercises, execute=False)
    assert list(exercises.iterdir()) == []


def test_setting_an_attribute_or_an_item_does_not_erase_the_object():
    source = ("account = mc.Account(1_000)\nbook = {}\n### BEGIN SOLUTION\naccount.leverage = 5\nbook[key] = 2\n"
              "account.balance += 10\n### END SOLUTION\nprint(account)")
    assert authoring.strip_code(source) == f"account = mc.Account(1_000)\nbook = {{}}\n{STUB}\nprint(account)"


def test_only_the_plain_names_of_an_assignment_are_stubbed():
    source = "### BEGIN SOLUTION\nanswer, account.leverage, (low, *rest) = 1, 5, (2, 3)\nbook[i] = answer_q2 = 4\n### END SOLUTION"
    assert authoring.strip_code(source) == "\n".join(f"{name} = None  {STUB}" for name in ("answer", "low", "rest", "answer_q2"))


# --------------------------------------------------------------------------- make_exercise: the notebook


def test_make_exercise_cells_and_their_sources():
    solution = solution_notebook()
    exercise = authoring.make_exercise(solution)
    kept = [0, 1, 2, 3, 4, 5, 8, 9]  # the all-explanation markdown cell and the solution-only cell go
    assert [c.id for c in exercise.cells] == [solution.cells[i].id for i in kept]
    assert exercise.cells[3].source == f"size = 0.05\nanswer_q1 = None  {STUB}\nprint(size)"
    assert exercise.cells[5].source == "Why: the margin is the notional over the leverage.\nNext question."
    assert exercise.cells[6].source == (
        f'def pnl(side, size, entry_price, exit_price=None):\n    """The PnL in USDT."""\n    {STUB}\n    {RAISE}'
    )


def test_cells_without_markers_are_kept_verbatim():
    solution = solution_notebook()
    exercise = authoring.make_exercise(solution)
    by_id = {c.id: c for c in exercise.cells}
    for index in (0, 1, 2, 9):  # markdown, import, prompt, progress with its outputs and tags
        assert by_id[solution.cells[index].id] == solution.cells[index]


def test_changed_and_check_cells_lose_their_outputs_and_keep_their_metadata():
    exercise = authoring.make_exercise(solution_notebook())
    changed, check = exercise.cells[3], exercise.cells[4]
    assert (changed.outputs, changed.execution_count) == ([], None)
    assert (check.outputs, check.execution_count) == ([], None)
    assert check.source == 'check("q1", answer_q1)'
    assert check.metadata == {"margincourse": {"question": "q1", "points": 2}}
    assert authoring.is_check_cell(check) and not authoring.is_check_cell(changed)


def test_notebook_metadata_is_kept_and_marked_as_generated():
    exercise = authoring.make_exercise(solution_notebook())
    assert exercise.metadata["margincourse"] == {"exercise": "01_initial_margin", "generated_from": "solutions/"}
    nbformat.validate(exercise)


def test_the_solution_notebook_is_not_changed():
    solution = solution_notebook()
    before = nbformat.writes(solution)
    authoring.make_exercise(solution)
    assert nbformat.writes(solution) == before


def test_the_exercise_of_an_exercise_is_itself():
    once = authoring.make_exercise(solution_notebook())
    twice = authoring.make_exercise(once)
    assert authoring.sources(twice) == authoring.sources(once)
    assert nbformat.writes(twice) == nbformat.writes(once)


# --------------------------------------------------------------------------- generate: files


def test_generate_writes_an_exercise_without_the_solution(folders):
    solutions, exercises = folders
    solution_text = (solutions / "09_test.ipynb").read_text(encoding="utf-8")
    assert SECRET in solution_text  # the test notebook does carry the secret
    assert authoring.generate(solutions, exercises, execute=False) == ["09_test.ipynb"]
    written = (exercises / "09_test.ipynb").read_text(encoding="utf-8")
    assert SECRET not in written
    assert "BEGIN SOLUTION" not in written and "END SOLUTION" not in written
    assert "answer_q1 = None  # YOUR ANSWER HERE" in nbformat.read(exercises / "09_test.ipynb", as_version=4).cells[3].source
    assert (solutions / "09_test.ipynb").read_text(encoding="utf-8") == solution_text  # read, never written


def test_generate_twice_gives_the_same_file(folders):
    solutions, exercises = folders
    authoring.generate(solutions, exercises, execute=False)
    first = (exercises / "09_test.ipynb").read_bytes()
    authoring.generate(solutions, exercises, execute=False)
    assert (exercises / "09_test.ipynb").read_bytes() == first


def test_generate_handles_every_solution_in_order_and_ignores_other_files(folders):
    solutions, exercises = folders
    write(solutions / "02_other.ipynb", new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nq = 1\n### END SOLUTION")]))
    (solutions / "notes.txt").write_text("not a notebook", encoding="utf-8")
    assert authoring.generate(solutions, exercises, execute=False) == ["02_other.ipynb", "09_test.ipynb"]
    assert sorted(p.name for p in exercises.iterdir()) == ["02_other.ipynb", "09_test.ipynb"]


def test_check_only_writes_nothing_and_names_what_is_missing(folders):
    solutions, exercises = folders
    assert authoring.generate(solutions, exercises, check_only=True) == ["09_test.ipynb"]
    assert list(exercises.iterdir()) == []


def test_check_only_is_empty_when_current_and_names_a_stale_exercise(folders):
    solutions, exercises = folders
    authoring.generate(solutions, exercises, execute=False)
    assert authoring.generate(solutions, exercises, check_only=True) == []
    solution = nbformat.read(solutions / "09_test.ipynb", as_version=4)
    solution.cells[1].source += "\nprint('a new line')"
    write(solutions / "09_test.ipynb", solution)
    before = (exercises / "09_test.ipynb").read_bytes()
    assert authoring.generate(solutions, exercises, check_only=True) == ["09_test.ipynb"]
    assert (exercises / "09_test.ipynb").read_bytes() == before


def test_check_only_names_an_unreadable_exercise(folders):
    solutions, exercises = folders
    (exercises / "09_test.ipynb").write_text("<<<<<<< HEAD\n{}", encoding="utf-8")  # a merge gone wrong
    assert authoring.generate(solutions, exercises, check_only=True) == ["09_test.ipynb"]


def test_check_only_ignores_outputs(folders):
    # the committed exercise is executed, a fresh one is not: only sources and metadata count
    solutions, exercises = folders
    authoring.generate(solutions, exercises, execute=False)
    exercise = nbformat.read(exercises / "09_test.ipynb", as_version=4)
    exercise.cells[4].outputs = [new_output("stream", name="stdout", text="✘ q1: not answered yet\n")]
    write(exercises / "09_test.ipynb", exercise)
    assert authoring.generate(solutions, exercises, check_only=True) == []


# --------------------------------------------------------------------------- generate: executed


def test_generate_executes_the_exercise_with_a_throwaway_progress_file(tmp_path, monkeypatch):
    """One tiny notebook in a real kernel (about two seconds): stubs run, progress stays apart."""
    ours = tmp_path / "our-progress.json"
    monkeypatch.setenv("MARGINCOURSE_PROGRESS", str(ours))
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    exercises.mkdir()
    write(solutions / "01_tiny.ipynb", new_notebook(cells=[
        new_code_cell(f"### BEGIN SOLUTION\nanswer_q1 = {SECRET}\n### END SOLUTION\nprint(answer_q1)"),
        new_code_cell("import os\nprint(os.environ['MARGINCOURSE_PROGRESS'] == " + repr(str(ours)) + ")"),
    ]))
    assert authoring.generate(solutions, exercises) == ["01_tiny.ipynb"]
    cells = nbformat.read(exercises / "01_tiny.ipynb", as_version=4).cells
    assert [o.get("text") for o in cells[0].outputs] == ["None\n"]
    assert [o.get("text") for o in cells[1].outputs] == ["False\n"]  # the kernel recorded elsewhere
    assert all("execution" not in c.metadata for c in cells)
    assert os.environ["MARGINCOURSE_PROGRESS"] == str(ours)  # restored
    assert not ours.exists()
