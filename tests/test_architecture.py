"""The package's shape: three rooms on a shared base, arrows one way, no import cycle.

Read from the source with ``ast``, every import counts, the ones inside functions too:

    basics  <-  engine  <-  grading  <-  course  <-  delivery  <-  cli, the public face

``basics`` imports nothing of the package; the ``engine`` imports only ``basics``;
``grading`` never imports ``course``. Within that, no module imports itself back
through any chain.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "margincourse"

ALLOWED = {  # room -> the rooms its modules may import
    "basics": {"basics"},
    "engine": {"basics", "engine"},
    "grading": {"basics", "engine", "grading"},
    "course": {"basics", "engine", "grading", "course"},
    "delivery": {"basics", "engine", "grading", "course", "delivery"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The ``margincourse`` modules a file imports, anywhere in it."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("margincourse"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("margincourse"):
                continue
            for alias in node.names:  # `from . import formulas` imports a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return {m for m in found if m != name}


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_every_room_imports_only_the_rooms_below_it():
    wrong = []
    for module, imports in _graph().items():
        room = _room(module)
        if room is None:  # the public face and the command line sit on top
            continue
        for target in imports:
            if _room(target) not in ALLOWED[room]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycle_even_through_imports_inside_functions():
    graph = _graph()
    # A subpackage's __init__ is imported before any of its modules; count that edge too,
    # except for a face: an __init__ that only re-exports its own modules (margincourse/__init__.py,
    # engine/copytrading/__init__.py). A module that imports its face explicitly is still an edge.
    faces = {m for m, imports in graph.items()
             if imports and all(t.startswith(m + ".") for t in imports)} | {"margincourse"}
    for module in list(graph):
        parent = module.rpartition(".")[0]
        if parent in graph and parent not in faces:
            graph[module] = graph[module] | {parent}
    state, cycles = {}, []

    def visit(module, stack):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_public_face_lists_what_it_exports():
    import margincourse as mc

    assert len(mc.__all__) == len(set(mc.__all__))
    missing = [name for name in mc.__all__ if not hasattr(mc, name)]
    assert missing == []
    for name in ("liquidation_price", "Account", "exercise", "progress", "copytrading", "MarginInputError"):
        assert name in mc.__all__


MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 100


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_longer_than_a_reader_can_hold():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = length
    assert long == {}
