"""What ``nnlab list`` and ``nnlab hint`` show, read from the check modules' source.

Importing the check modules imports NumPy and every check (a tenth of a second); these
commands need only each exercise's title, hints and points, which the modules declare
as plain literals:

    exercise = Exercise("softmax", "Softmax and log-softmax", hints=["...", Hint("...", helps=(...))])

    @exercise.check(points=2, hidden=True)
    def ...

So they are read with :mod:`ast`, never run. The source is the only source: there is no
copy to fall out of date. A declaration this reader does not understand (a computed
title, a check registered in a loop) is not guessed at: the check modules are imported
instead (see ``tests/test_light_cli.py``, which holds this reading to the imported one).
"""

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from ..checks import MODULES

CHECKS = Path(__file__).resolve().parents[1] / "checks"


@dataclass(frozen=True)
class Summary:
    """One exercise as ``list`` and ``hint`` show it."""

    module: str
    title: str
    hints: tuple
    max_points: float
    visible_points: float


class Unreadable(Exception):
    """A declaration that is not plain literals: import the checks instead."""


def summaries():
    """Every exercise's Summary, in teaching order."""
    try:
        return read_all()
    except Unreadable:
        return imported()


def hints(name):
    """The hints of the exercise ``name`` (one of MODULES), from its own module alone."""
    path = CHECKS / f"{name}.py"
    try:
        _, exercise, _ = read_module(path, path.read_text(encoding="utf-8"))
        if exercise is None or exercise[0] != name:
            raise Unreadable(f"{path.name} declares no exercise {name}")
        return tuple(exercise[2])
    except Unreadable:
        return next(found.hints for found in imported() if found.module == name)


def read_all():
    declared, points = {}, {}
    for path in sorted(CHECKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "exercise" not in text:
            continue
        owner, exercise, checks = read_module(path, text)
        if exercise:
            declared[path.stem] = exercise
        if checks:
            points.setdefault(owner, []).extend(checks)
    if sorted(declared) != sorted(MODULES):
        raise Unreadable(f"exercises declared in {sorted(declared)}, not {sorted(MODULES)}")
    found = []
    for module in MODULES:
        name, title, hints = declared[module]
        checks = points.get(module, [])
        found.append(Summary(name, title, tuple(hints), sum(p for p, _ in checks),
                             sum(p for p, hidden in checks if not hidden)))
    return found


def read_module(path, text):
    """``(owner, exercise, checks)`` of one check module: the module whose ``exercise`` it
    adds checks to, its own declaration ``(module, title, hints)`` or None, and its
    checks' ``(points, hidden)``."""
    if any("exercise.check(" in line and not line.lstrip().startswith("@") for line in text.splitlines()):
        raise Unreadable(f"{path.name}: exercise.check used other than as a decorator")
    tree = ast.parse(text, str(path))
    owner, exercise = path.stem, None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and any(a.name == "exercise" for a in node.names):
            owner = node.module
        elif isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["exercise"]:
            exercise = read_declaration(node.value)
    checks = [read_check(decorator) for node in tree.body if isinstance(node, ast.FunctionDef)
              for decorator in node.decorator_list if is_check(decorator)]
    return owner, exercise, checks


def read_declaration(call):
    if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "Exercise"):
        raise Unreadable("exercise is not an Exercise(...) call")
    arguments = dict(zip(("module", "title", "hints"), call.args))
    arguments.update((k.arg, k.value) for k in call.keywords)
    hints = arguments.get("hints")
    return (literal(arguments["module"]), literal(arguments["title"]),
            [hint_text(hint) for hint in (hints.elts if isinstance(hints, ast.List) else literal(hints) or [])])


def hint_text(node):
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Hint":
        return literal(node.args[0] if node.args else next(k.value for k in node.keywords if k.arg == "text"))
    return literal(node)


def is_exercise(node):
    return isinstance(node, ast.Name) and node.id == "exercise"


def is_check(decorator):
    return (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "check" and is_exercise(decorator.func.value))


def read_check(decorator):
    """``(points, hidden)`` of ``@exercise.check(points, hidden=False, ...)``."""
    arguments = dict(zip(("points", "hidden"), decorator.args))
    arguments.update((k.arg, k.value) for k in decorator.keywords)
    return literal(arguments["points"]), bool(literal(arguments.get("hidden")))


def literal(node):
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise Unreadable(f"not a literal: {ast.unparse(node)}") from None


def imported():
    """The Summaries from the imported check modules (slower, and always right)."""
    exercises = importlib.import_module("grader.checks").EXERCISES
    return [Summary(e.module, e.title, tuple(e.hints), e.max_points, e.visible_points) for e in exercises]
