"""Exercise notebooks are generated from the solution notebooks; this module does it.

The solution notebook in ``solutions/`` is the one source an author edits. In it:

* a code region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is the
  answer. In the exercise it becomes a stub: each plain name the region assigns at
  top level (``answer_q1 = ...``, ``low, high = ...``) becomes
  ``name = None  # YOUR ANSWER HERE``, each function it defines keeps its signature
  and docstring with a body that raises ``NotImplementedError``; anything else is
  dropped, setting an attribute or an item (``account.leverage = 5``, ``book[k] = v``)
  included: the object itself is defined outside the region and stays as it is;
* a markdown region between ``<!-- BEGIN SOLUTION -->`` and ``<!-- END SOLUTION -->``
  (a worked explanation) is removed;
* a cell tagged ``solution-only`` is removed;
* a check cell carries its question and points in its metadata,
  ``{"margincourse": {"question": "q1", "points": 2}}``, which is copied as it is.

A marker without its partner (in code or markdown) is refused with a MarginInputError
that names the notebook and the cell, never passed on to the exercise.
Outputs that could give answers away (of changed and check cells) are cleared;
then the generated notebook is executed in a fresh kernel, so the exercise as
distributed shows what a learner sees before answering ("q1: not answered yet").
The code is parsed as Python (``ast``), never edited with regular expressions.

An instructor's variant (``make-exercises --variant KEY --out DIR``, :func:`generate_variant`)
is made from the exercise notebooks, which ship with the package, not from the solutions:
each question the variant changes (:mod:`margincourse.grading.variants`) gets its prompt,
or its list of options, replaced by the variant's, and the first code cell's
``mc.exercise("NAME")`` names the variant's seed, so a learner's checks judge the new numbers.
"""

from __future__ import annotations

import ast
import copy
import importlib.metadata
import math
import os
import re
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ..basics.errors import MarginInputError
from ..basics.files import write_atomically
from .keys import exercise_names, notebook_file, questions_of
from .progress import PROGRESS
from .variants import changes, class_questions, notebook_variant, variant_seed

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
MD_REGION = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->\n?", re.S)
MD_MARKER = re.compile(r"<!--\s*(BEGIN|END)\s+SOLUTION\s*-->")  # left over once the regions are gone
STUB_COMMENT = "# YOUR ANSWER HERE"


def _plain_names(target):
    """The names an assignment target binds: ``a``, ``a, (b, *c)``; never the object of
    ``a.x = ...`` or ``a[i] = ...``, which changes ``a`` but does not define it."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _plain_names(element)
    elif isinstance(target, ast.Starred):
        yield from _plain_names(target.value)


def _stub(region: str, indent: str) -> list[str]:
    try:
        tree = ast.parse(region)
    except SyntaxError as error:
        raise MarginInputError(f"solution region must be valid Python, got a syntax error: {error}") from None
    lines = []
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in _plain_names(target):
                    lines.append(f"{indent}{name} = None  {STUB_COMMENT}")
        elif isinstance(node, ast.FunctionDef):
            signature = ast.unparse(node.args)
            lines.append(f"{indent}def {node.name}({signature}):")
            doc = ast.get_docstring(node)
            if doc:
                lines.append(f'{indent}    """{doc}"""')
            lines.append(f"{indent}    {STUB_COMMENT}")
            lines.append(f'{indent}    raise NotImplementedError("write this function")')
    if not lines:
        lines.append(f"{indent}{STUB_COMMENT}")
    seen, unique = set(), []
    for line in lines:
        if line not in seen:
            seen.add(line)
            unique.append(line)
    return unique


def strip_code(source: str) -> str:
    """Replace every solution region of a code cell with its stub."""
    out, region, indent = [], None, ""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if region is not None:
                raise MarginInputError("solution regions must not be nested: found a second BEGIN SOLUTION")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif stripped == END:
            if region is None:
                raise MarginInputError("found END SOLUTION without BEGIN SOLUTION")
            body = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in region)
            out.extend(_stub(body, indent))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise MarginInputError("found BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and "question" in cell.metadata.get("margincourse", {})


def strip_markdown(source: str) -> str:
    """Remove every explanation region of a markdown cell."""
    source = MD_REGION.sub("", source)
    left = MD_MARKER.search(source)
    if left:
        partner = MD_END if left.group(1) == "BEGIN" else MD_BEGIN
        raise MarginInputError(f"found {left.group(0)} without {partner}")
    return source


def _where(notebook: str, index: int, cell) -> str:
    """``solutions/ex03_liquidation.ipynb, cell 7 ("answer_q2 = 0.05 * 60_000 / 25")``: the
    cell counted from 1, as a reader counts them, and its first line that is not a marker."""
    lines = [line.strip() for line in cell.source.splitlines()]
    first = next((line for line in lines if line and line not in (BEGIN, END)), lines[0] if lines else "")
    if len(first) > 40:
        first = first[:40].rsplit(" ", 1)[0].rstrip() + " ..."  # cut between words
    return f'{notebook}, cell {index} ("{first}")'


def make_exercise(solution, name: str = "the solution notebook") -> nbformat.NotebookNode:
    """The exercise version of a solution notebook (not yet executed).

    ``name`` (the notebook's file) is how errors refer to the notebook, with the cell.
    """
    notebook = copy.deepcopy(solution)
    cells = []
    for index, cell in enumerate(notebook.cells, start=1):
        if "solution-only" in cell.metadata.get("tags", []):
            continue
        try:
            if cell.cell_type == "markdown":
                cell.source = strip_markdown(cell.source)
                if not cell.source.strip():
                    continue  # the cell was all explanation
            elif cell.cell_type == "code":
                changed = BEGIN in cell.source
                if changed or END in cell.source:  # a stray END is refused by strip_code
                    cell.source = strip_code(cell.source)
                if changed or is_check_cell(cell):
                    cell.outputs = []
                    cell.execution_count = None
        except MarginInputError as error:
            raise MarginInputError(f"{_where(name, index, solution.cells[index - 1])}: {error}") from None
        cells.append(cell)
    notebook.cells = cells
    notebook.metadata.setdefault("margincourse", {})["generated_from"] = "solutions/"
    return notebook


# ipykernel 7 warns on every start over TCP that its local connection is unencrypted: noise in an
# instructor's terminal, eight times per make-exercises. Errors still show.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


def _execute_with_fresh_progress(notebook, folder):
    """Execute in a fresh kernel whose checks record into a throw-away progress file,
    so the distributed exercise shows a learner's empty progress, not the author's.
    The file reaches the kernel through its own environment; ours is left alone."""
    with tempfile.TemporaryDirectory() as scratch:
        kernel_environment = {**os.environ, PROGRESS: os.path.join(scratch, "progress.json")}
        NotebookClient(notebook, timeout=120, kernel_name="python3", extra_arguments=QUIET_KERNEL,
                       resources={"metadata": {"path": str(folder)}}).execute(env=kernel_environment)


def sources(notebook):
    """What must match between a committed exercise and a freshly generated one."""
    return [(c.cell_type, c.source, dict(c.metadata.get("margincourse", {})), c.metadata.get("tags", []))
            for c in notebook.cells]


def _committed_sources(target: Path):
    """The :func:`sources` of a committed exercise; None if it is missing or unreadable
    (a merge left conflict markers in it ...): either way, regenerating it is the fix."""
    try:
        return sources(nbformat.read(target, as_version=4))
    except (OSError, ValueError):
        return None


def generate(solutions_dir: Path, exercises_dir: Path, *, check_only=False, execute=True) -> list[str]:
    """Write ``exercises_dir/NAME.ipynb`` for every ``solutions_dir/NAME.ipynb`` (same file name:
    ``exNN_name.ipynb``, see :func:`margincourse.grading.keys.notebook_file`).

    With ``check_only`` nothing is written; returns the names whose committed
    exercise differs from what would be generated (empty when all are current).
    A solution that cannot be read or has an unbalanced marker stops it with a
    MarginInputError naming the file (and the cell); that exercise is not written.
    """
    stale = []
    for solution_path in sorted(Path(solutions_dir).glob("*.ipynb")):
        try:
            solution = nbformat.read(solution_path, as_version=4)
        except (OSError, ValueError) as error:  # not found, not JSON (nbformat's NotJSONError), not UTF-8
            raise MarginInputError(f"{solution_path}: solution must be a readable notebook, got {error}") from None
        exercise = make_exercise(solution, str(solution_path))
        target = Path(exercises_dir) / solution_path.name
        if check_only:
            if _committed_sources(target) != sources(exercise):
                stale.append(solution_path.name)
            continue
        if execute:
            _execute_with_fresh_progress(exercise, Path(exercises_dir))
            for cell in exercise.cells:
                cell.metadata.pop("execution", None)
        nbformat.write(exercise, target)
        stale.append(solution_path.name)
    return stale


# --------------------------------------------------------------------------- an instructor's variant

def _replace_once(notebook, old: str, new: str, where: str) -> None:
    """Replace ``old`` by ``new`` in the markdown cell that shows it (it must show it exactly once)."""
    holders = [cell for cell in notebook.cells if cell.cell_type == "markdown" and old in cell.source]
    if len(holders) != 1 or holders[0].source.count(old) != 1:
        raise MarginInputError(f"{where} must show {old[:60]!r}... exactly once, as the answer key words it "
                               f"(found {sum(c.source.count(old) for c in holders)}): regenerate the exercise "
                               "notebooks with make-exercises")
    holders[0].source = holders[0].source.replace(old, new)


def make_variant(exercise, name: str, seed: str, where: str = "the exercise notebook") -> nbformat.NotebookNode:
    """Exercise notebook ``exercise`` of exercise ``name`` as variant ``seed`` asks it (not yet executed).

    Prompts and option lists the variant changes are replaced; the check cell names the seed; every
    output is cleared (it showed the published exercise). ``where`` names the notebook in errors.
    """
    published, variant = questions_of(name), class_questions(name, seed)
    notebook = copy.deepcopy(exercise)
    call = f'mc.exercise("{name}")'
    checks = [cell for cell in notebook.cells if cell.cell_type == "code" and call in cell.source]
    if not checks:
        raise MarginInputError(f"{where} must create its check with {call} (a published exercise notebook), "
                               "found none: was it made by make-exercises --variant already?")
    checks[0].source = checks[0].source.replace(call, f'mc.exercise("{name}", variant="{seed}")')
    for qid, change in changes(published, variant).items():
        old, new = published[qid], variant[qid]
        if change == "letters":
            _replace_once(notebook, old.options_markdown(), new.options_markdown(), f"{where} ({qid})")
        elif change == "numbers" and new.prompt != old.prompt:
            _replace_once(notebook, old.prompt, new.prompt, f"{where} ({qid})")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    meta = notebook.metadata.setdefault("margincourse", {})
    meta["exercise"], meta["variant"] = name, seed
    meta["made_by"] = _version()   # a later version may deal this seed otherwise (variants.check_variants_match)
    return notebook


def _version() -> str:
    """The installed package's version (what ``pip install margincourse==...`` takes)."""
    try:
        return importlib.metadata.version("margincourse")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _check_out_folder(source: Path, out: Path, names) -> None:
    """Refuse an ``--out`` that is the source folder, or that holds a notebook make-exercises did not write
    as a variant (an instructor's or a student's: nothing a user wrote is overwritten)."""
    if out.exists() and not out.is_dir():
        raise MarginInputError(f"out (--out) must be a folder for the variant's notebooks, got {str(out)!r}, a file")
    if out.resolve() == source.resolve():
        raise MarginInputError(f"out (--out) must be another folder than the published exercises, got {str(out)!r}: "
                               "a variant never replaces them")
    for name in names:
        target = out / notebook_file(name)
        if not target.exists():
            continue
        try:
            ours = notebook_variant(nbformat.read(target, as_version=4)) is not None
        except (OSError, ValueError):
            ours = False
        if not ours:
            raise MarginInputError(f"out (--out) must not hold notebooks of your own: {target} was not written by "
                                   "make-exercises --variant and would be overwritten; choose an empty folder")


def generate_variant(source_dir, out_dir, key: str, *, names=None, execute=True) -> dict:
    """Write the variant of ``key`` of every exercise notebook in ``source_dir`` into ``out_dir``.

    ``names``: only these exercises (default: every exercise whose notebook ``source_dir`` holds).
    Returns, by exercise name, its seed and what it changes per question (see
    :func:`margincourse.grading.variants.changes`). The notebooks are executed in a fresh kernel,
    as the published ones are, and written atomically; ``source_dir`` is only read.
    """
    source, out = Path(source_dir), Path(out_dir)
    available = [name for name in exercise_names() if (source / notebook_file(name)).is_file()]
    if not available:
        raise MarginInputError(f"exercises (--exercises) must be a folder of the published exercise notebooks "
                               f"({notebook_file(exercise_names()[0])} ...), got {str(source)!r}")
    chosen = available if names is None else [name for name in available if name in names]
    _check_out_folder(source, out, chosen)
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for name in chosen:
        seed = variant_seed(key, name)
        path = source / notebook_file(name)
        notebook = make_variant(nbformat.read(path, as_version=4), name, seed, str(path))
        if execute:
            _execute_with_fresh_progress(notebook, out)
            for cell in notebook.cells:
                cell.metadata.pop("execution", None)
        write_atomically(out / notebook_file(name), nbformat.writes(notebook) + "\n")
        made[name] = {"seed": seed, "changes": changes(questions_of(name), class_questions(name, seed))}
    return made


def answer_sheet(key: str, names=None) -> str:
    """The instructor's answers to variant ``key`` (Markdown): per question, the answer a learner should
    give. Keep it away from the folder the students receive."""
    lines = ["# Answers to your variant", "",
             "Keep this file private: it holds the answers of the exercise notebooks make-exercises wrote.", ""]
    for name in names or exercise_names():
        seed = variant_seed(key, name)
        lines += [f"## {notebook_file(name)} (variant {seed})", "", "| question | answer |", "|---|---|"]
        for qid, question in class_questions(name, seed).items():
            if question.kind == "choice":
                answer = f"{question.letter_of(question.answer)}: {question.answer}"
            elif question.kind == "number":
                value, tolerance = question.reference(), question.tolerance
                digits = min(8, max(2, math.ceil(-math.log10(tolerance)) + 1)) if tolerance > 0 else 8
                if tolerance == 0 and float(value).is_integer():
                    digits = 0  # a whole number asked exactly (a leverage, a count): no ".00000000"
                answer = f"{value:,.{digits}f} {question.unit}".strip()
            else:
                answer = "a function (the same as in the published exercise)"
            lines.append(f"| {qid} | {answer.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)
