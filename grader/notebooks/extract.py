"""Exercise notebooks turned back into modules the grader can grade.

An exercise notebook (see ``build.py``) tags the cells that matter in their
metadata::

    {"nnlab": {"exercise": "losses", "role": "setup"}}         the module's imports
    {"nnlab": {"exercise": "losses", "function": "one_hot"}}   one function (or class) to write

(plus a tag such as ``nnlab:losses.one_hot``, which is enough on its own). The module
``losses.py`` is the setup cell's imports, with ``from earlier.softmax import ...`` made
relative again, followed by the tagged cells in order. Untagged cells, IPython magics
(``%time``) and shell escapes (``!pip``) are left out. Notebooks are read as plain JSON:
nothing in them runs here.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..report.files import write_atomic
from ..submission import MANIFEST, NotASubmission

KEY = "nnlab"
EARLIER = "earlier"  # the package the notebooks import earlier exercises from
SETUP = "setup"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAGIC_LINE = re.compile(r"^\s*(%|!(?!=))")
NUMBERED_NAME = re.compile(r"^(\d+[-_ ])?(?P<name>\w+?)$")


class NotebookError(NotASubmission):
    """A notebook cannot be read, or is not an exercise notebook."""


@dataclass
class ExerciseNotebook:
    """The parts of one exercise notebook that make its module."""

    path: Path
    exercise: str
    setup: str | None
    functions: list = field(default_factory=list)  # (cell number, function name, source)

    def graded_source(self):
        """The module of the saved notebook, which must have tagged cells."""
        if not self.functions:
            raise NotebookError(f"{self.path} has no tagged cells for {self.exercise}: the code cells "
                                f"to grade carry the tag {KEY}:{self.exercise}.<function>")
        return self.module_source()

    def module_source(self, functions=None):
        """The module: the setup cell's header, then ``functions`` (default: the tagged cells)."""
        functions = self.functions if functions is None else functions
        if self.setup is None:
            raise NotebookError(f"{self.path} has no setup cell (the cell tagged "
                                f"{KEY}:{self.exercise}.{SETUP} that holds the imports); copy it back "
                                "from a fresh `nnlab notebook`")
        parts = [f"# Built by nnlab from {self.path.name}: the setup cell, then the tagged cells.\n",
                 module_header(self.setup)]
        for number, name, source in functions:
            parts.append(f"\n\n# cell {number}: {name}\n{without_magics(source).strip()}\n")
        return "".join(parts)


# ---------------------------------------------------------------- reading

def read_notebook(path):
    """The notebook at ``path`` as a dict, checked just enough to find its cells."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise NotebookError(f"{path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise NotebookError(f"{path} is not a notebook: it is not even text") from None
    except RecursionError:
        raise NotebookError(f"{path} is not a notebook: its JSON nests too deeply") from None
    except ValueError as error:
        raise NotebookError(f"{path} is not a notebook: it is not valid JSON ({error}); "
                            "was it saved completely? Jupyter can open its checkpoint "
                            "(File > Revert to checkpoint)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(f"{path} is valid JSON but not a Jupyter notebook (nbformat 4): "
                            "it has no list of cells")
    return data


def cell_text(cell):
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def cell_tag(cell):
    """``(exercise, function or None, role or None)`` of a tagged code cell, else None."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        return None
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    ours = metadata.get(KEY)
    if isinstance(ours, dict) and isinstance(ours.get("exercise"), str):
        return ours["exercise"], ours.get("function"), ours.get("role")
    for tag in metadata.get("tags") or []:
        if isinstance(tag, str) and tag.startswith(KEY + ":") and "." in tag:
            exercise, _, name = tag[len(KEY) + 1:].partition(".")
            return (exercise, None, SETUP) if name == SETUP else (exercise, name, None)
    return None


def parse_notebook(path):
    """Read ``path`` as an :class:`ExerciseNotebook`; None when no cell is tagged for an exercise."""
    data = read_notebook(path)
    metadata = data.get("metadata")
    ours = metadata.get(KEY) if isinstance(metadata, dict) else None
    tags = [(number, cell, cell_tag(cell)) for number, cell in enumerate(data["cells"], start=1)]
    tags = [(number, cell, tag) for number, cell, tag in tags if tag]
    exercise = ours.get("exercise") if isinstance(ours, dict) else None
    exercise = exercise or next((tag[0] for _, _, tag in tags), None)
    if not isinstance(exercise, str):
        return None
    notebook = ExerciseNotebook(Path(path), exercise, setup=None)
    for number, cell, (cell_exercise, function, role) in tags:
        if cell_exercise != exercise:
            continue
        if role == SETUP:
            notebook.setup = cell_text(cell)
        elif function:
            notebook.functions.append((number, function, cell_text(cell)))
    return notebook


# ---------------------------------------------------------------- code

def parse(source):
    """The syntax tree of ``source``, or None: student code may be anything, even 10,000 "("."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def without_magics(source):
    """``source`` without IPython magics and shell escapes, as typed or as IPython runs them.

    Typed (``%time f(x)``, ``!ls``), they do not parse: their lines go. In the kernel's
    history they are calls (``get_ipython().run_line_magic("time", "f(x)")``): the
    statements that call ``get_ipython()`` go. Anything else stays as it is, even a
    docstring line that starts with "%".
    """
    tree = parse(source)
    if tree is None:
        return "".join(line for line in source.splitlines(keepends=True) if not MAGIC_LINE.match(line))
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body):
        if not isinstance(node, DEFINITIONS) and calls_ipython(node):
            del lines[node.lineno - 1:node.end_lineno]
    return "".join(lines)


def calls_ipython(node):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
               for n in ast.walk(node))


def module_header(setup):
    """The module's header from a notebook's setup cell.

    Imports and constants stay; ``from earlier.X import`` becomes ``from .X import``;
    the lines that only make sense in a notebook (importing ``grader``, calling
    ``use_earlier_exercises()``) are left out.
    """
    code = without_magics(setup)
    tree = parse(code)
    if tree is None:
        return code  # the grader reports the syntax error like any other
    lines = code.splitlines(keepends=True)
    for node in reversed(tree.body):
        span = slice(node.lineno - 1, node.end_lineno)
        if notebook_only(node):
            lines[span] = []
        elif imports_earlier(node):
            lines[span] = [re.sub(rf"\bfrom\s+{EARLIER}\b\.?", "from .", "".join(lines[span]), count=1)]
    return re.sub(r"\n{3,}", "\n\n", "".join(lines)).strip() + "\n"


def notebook_only(node):
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] == "grader" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "grader"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        function = node.value.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        return name == "use_earlier_exercises"
    return False


def imports_earlier(node):
    return isinstance(node, ast.ImportFrom) and node.level == 0 and \
        (node.module or "").split(".")[0] == EARLIER


# ---------------------------------------------------------------- submissions

def exercise_from_file_name(path, module_names):
    """``losses`` for ``03-losses.ipynb`` or ``losses.ipynb``, else None."""
    match = NUMBERED_NAME.match(Path(path).stem)
    return match["name"] if match and match["name"] in module_names else None


def submission_from_notebook(path_or_folder, out_dir, module_names=None, with_neighbours=False):
    """Write the module of a notebook, or the modules of a folder of notebooks, into ``out_dir``.

    Returns ``out_dir/<exercise>.py`` for one notebook and ``out_dir`` for a folder.
    A notebook given by name must be a readable exercise notebook, else
    :class:`NotebookError`; ``with_neighbours`` also writes the exercise notebooks
    beside it, as the earlier modules it may import. In a folder, a notebook that
    cannot be read leaves its module out, and ``out_dir/.nnlab-notebooks.json`` says
    why (the grader reports it as that exercise's error).
    """
    if module_names is None:
        from ..grading import exercise_names
        module_names = exercise_names()
    path, out_dir = Path(path_or_folder), Path(out_dir)
    if path.suffix == ".ipynb":
        notebook = parse_notebook(path)
        if notebook is None or notebook.exercise not in module_names:
            raise NotebookError(f"{path} is not an exercise notebook: none of its cells is tagged "
                                f"for an exercise ({', '.join(module_names)}); make one with `nnlab notebook`")
        modules, problems = collect(path.parent, module_names) if with_neighbours else ({}, {})
        modules[notebook.exercise] = (path, notebook.graded_source())
        problems.pop(notebook.exercise, None)
        result = out_dir / f"{notebook.exercise}.py"
    elif path.is_dir():
        modules, problems = collect(path, module_names)
        if not modules:
            found = "; ".join(problems.values()) or "it holds no exercise notebook (.ipynb)"
            raise NotebookError(f"{path} holds no exercise notebook that can be graded: {found}")
        result = out_dir
    else:
        raise NotebookError(f"{path} is neither a notebook nor a folder of notebooks")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (_, source) in modules.items():
        write_atomic(out_dir / f"{name}.py", source)
    write_atomic(out_dir / MANIFEST, json.dumps({
        "source": str(path_or_folder),
        "notebooks": {name: str(notebook) for name, (notebook, _) in modules.items()},
        "problems": problems}, indent=2))
    return result


def collect(folder, module_names):
    """``({name: (notebook, module source)}, {name: problem})`` for the notebooks in ``folder``."""
    found, problems = {}, {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        guess = exercise_from_file_name(path, module_names)
        try:
            notebook = parse_notebook(path)
            if notebook is None:
                if guess:
                    problems.setdefault(guess, f"{path} has no cells tagged for {guess}")
                continue
            if notebook.exercise not in module_names:
                continue
            found.setdefault(notebook.exercise, []).append(notebook)
        except NotebookError as error:
            if guess:
                problems.setdefault(guess, str(error))
    modules = {}
    for name, notebooks in found.items():
        chosen = choose(notebooks, name, module_names)
        if isinstance(chosen, str):
            problems[name] = chosen
            continue
        try:
            modules[name] = (chosen.path, chosen.graded_source())
            problems.pop(name, None)
        except NotebookError as error:
            problems[name] = str(error)
    return modules, problems


def choose(notebooks, name, module_names):
    """The notebook of exercise ``name``, or a problem when several claim it."""
    if len(notebooks) == 1:
        return notebooks[0]
    named = [n for n in notebooks if exercise_from_file_name(n.path, module_names) == name]
    if len(named) == 1:
        return named[0]
    files = ", ".join(n.path.name for n in notebooks)
    return f"several notebooks in {notebooks[0].path.parent} are exercise {name} ({files}): keep one"

