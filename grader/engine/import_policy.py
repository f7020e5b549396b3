"""What an exercise module may import: numpy, the standard library and the earlier exercises.

The contract forbids SciPy, scikit-learn, PyTorch and the like: the point is to write
each piece yourself. The policy is checked twice. Here, in the grader, on the source
(parsed, never imported): :func:`violations`. And in the child, by an import hook that
refuses every other top-level module before the student's module is imported (see
``child.install_import_policy``), for imports the source hides (``__import__(name)``).
An instructor may allow more names (``--allow-import NAME``).
"""

import ast
import sys
from dataclasses import dataclass

from .workspace import parse

ALWAYS_ALLOWED = frozenset(sys.stdlib_module_names) | {"numpy"}
IMPORT_FUNCTIONS = {"__import__", "import_module"}  # __import__("x"), importlib.import_module("x")


@dataclass
class Violation:
    line: int
    statement: str  # as the student wrote it, e.g. "import torch"
    name: str       # what is not allowed, e.g. "torch", or an exercise module
    why: str

    def message(self, place):
        """``place`` names where line ``line`` is (``losses.py, line 3``, or a notebook's cell)."""
        return f"{place}: `{self.statement}`: {self.why}"


def allowed_names(extra=()):
    """Top-level module names an exercise may import, with the instructor's ``extra`` ones."""
    return ALWAYS_ALLOWED | set(extra)


def violations(source, module, earlier, exercises, extra=()):
    """Every import of ``source`` (module ``module``) outside the policy, in line order.

    ``earlier`` are the exercises it may import relatively, ``exercises`` all of them.
    A source that does not parse has none here: the child reports its syntax error.
    """
    tree = parse(source)
    if tree is None:
        return []
    allowed = allowed_names(extra)
    found = []
    for node in ast.walk(tree):
        for name, level in imported(node):
            why = judge(name, level, module, earlier, exercises, allowed, node)
            if why:
                found.append(Violation(node.lineno, statement(node), name, why))
    return sorted(found, key=lambda v: v.line)


def imported(node):
    """``(name, level)`` of each module an import statement or call names."""
    if isinstance(node, ast.Import):
        return [(alias.name, 0) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level and not node.module:  # from . import softmax
            return [(alias.name, node.level) for alias in node.names]
        return [(node.module or "", node.level)]
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str) and called_name(node.func) in IMPORT_FUNCTIONS):
        return [(node.args[0].value, 0)]
    return []


def called_name(func):
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def judge(name, level, module, earlier, exercises, allowed, node=None):
    """Why importing ``name`` (``level`` dots) breaks the policy, or "" when it does not."""
    top = name.split(".")[0]
    may = ", ".join(earlier) if earlier else ""
    if level == 0:
        if top in allowed:
            return ""
        if top in exercises:
            return relatively(top, node) if top in earlier else not_earlier(top, module, may)
        return (f"{top} is not allowed in an exercise, which may use only numpy, the standard "
                "library and the earlier exercises: the point is to write this piece yourself")
    if level > 1 or top not in exercises:
        return (f"{name or '..'} is not an exercise module; {module} may import only numpy, the standard "
                "library" + (f" and the earlier exercises ({may})" if may else ""))
    return "" if top in earlier else not_earlier(top, module, may)


def relatively(top, node):
    """The advice for ``from softmax import softmax`` (in words notebooks/terms.py translates)."""
    if isinstance(node, ast.ImportFrom) and node.names[0].name != "*":
        return f"Import earlier exercises relatively, e.g. `from .{top} import {node.names[0].name}`."
    return f"Import earlier exercises relatively: `from . import {top}`."


def not_earlier(top, module, may):
    if not may:
        return f"{module} is the first exercise: it may import no other exercise"
    return f"{top} is not an exercise before {module}, which may import only {may}"


def statement(node):
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
