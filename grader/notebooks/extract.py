"""Exercise notebooks turned back into modules the grader can grade.

An exercise notebook (see ``build.py``) tags the cells that matter in their
metadata::

    {"nnlab": {"exercise": "losses", "role": "setup"}}         the module's imports
    {"nnlab": {"exercise": "losses", "function": "one_hot"}}   one function (or class) to write

(plus a tag such as ``nnlab:losses.one_hot``, which is enough on its own). The module
``losses.py`` is the setup cell's imports, with ``from earlier.softmax import ...`` made
relative again, followed by the tagged cells in order. Untagged cells, IPython magics
(``%time``) and shell escapes (``!pip``) are left out, each line keeping its number, so
that a place in the module is a place in a cell (the manifest beside the modules records
where each cell is; ``terms.py`` tells messages that way). Of several notebooks of one
exercise in a folder, the one saved last is graded, with a note. Notebooks are read as
plain JSON: nothing in them runs here.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.workspace import parse as parse_student_source
from ..report.files import write_atomic
from ..submission import MANIFEST, NotASubmission

KEY = "nnlab"
EARLIER = "earlier"  # the package the notebooks import earlier exercises from
SETUP = "setup"
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAGIC_LINE = re.compile(r"^\s*(%|!(?!=))")
NOTEBOOK_ONLY_CALLS = ("use_earlier_exercises", "follow_cells")
NUMBERED_NAME = re.compile(r"^(\d+[-_ ])?(?P<name>\w+?)$")


class NotebookError(NotASubmission):
    """A notebook cannot be read, or is not an exercise notebook."""


@dataclass
class Place:
    """Where a cell's lines are in the module made from the notebook."""

    first_line: int
    label: str  # the function's name, or "setup"
    lines: int

    def line_in_cell(self, line):
        """The line of the cell that is ``line`` of the module, or None."""
        return line - self.first_line + 1 if self.first_line <= line < self.first_line + self.lines else None


@dataclass
class ExerciseNotebook:
    """The parts of one exercise notebook that make its module."""

    path: Path
    exercise: str
    setup: str | None
    functions: list = field(default_factory=list)  # (cell number, function name, source)
    ids: dict = field(default_factory=dict)  # "setup" or function name -> the cell's id
    others: list = field(default_factory=list)  # (cell number, cell id, source) of the untagged code cells

    def graded_functions(self):
        """The tagged cells of the saved notebook, which must have some."""
        if not self.functions:
            raise NotebookError(f"{self.path} has no tagged cells for {self.exercise}: the code cells "
                                f"to grade carry the tag {KEY}:{self.exercise}.<function>")
        return self.functions

    def module_source(self, functions=None, setup=None):
        """The module: the setup cell's header, then ``functions`` (default: the tagged cells)."""
        return self.module_and_places(functions, setup)[0]

    def module_and_places(self, functions=None, setup=None):
        """``(module source, [Place])``: the module, and where each cell's lines are in it.

        ``setup`` and ``functions`` default to the saved cells. Each cell keeps its line
        numbers (a left-out magic leaves a blank line), so that a line of the module can
        be told as a line of a cell.
        """
        functions = self.functions if functions is None else functions
        setup = self.setup if setup is None else setup
        if setup is None:
            raise NotebookError(f"{self.path} has no setup cell (the cell tagged "
                                f"{KEY}:{self.exercise}.{SETUP} that holds the imports); copy it back "
                                "from a fresh `nnlab notebook`")
        lines = [f"# Built by nnlab from {self.path.name}: the setup cell, then the tagged cells."]
        places = []
        for label, source in [(SETUP, module_header(setup))] + [(name, without_magics(source, keep_lines=True))
                                                                for _, name, source in functions]:
            if label != SETUP:
                lines += ["", "", f"# cell: {label}"]
            body = source.rstrip().splitlines()
            places.append(Place(len(lines) + 1, label, len(body)))
            lines += body
        return "\n".join(lines) + "\n", places


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
    exercise = ours.get("exercise") if isinstance(ours, dict) else None
    exercise = exercise or next((tag[0] for _, _, tag in tags if tag), None)
    if not isinstance(exercise, str):
        return None
    notebook = ExerciseNotebook(Path(path), exercise, setup=None)
    for number, cell, tag in tags:
        cell_id = cell.get("id") if isinstance(cell, dict) and isinstance(cell.get("id"), str) else None
        cell_exercise, function, role = tag or (None, None, None)
        if cell_exercise == exercise and role == SETUP:
            notebook.setup = cell_text(cell)
            notebook.ids[SETUP] = cell_id
        elif cell_exercise == exercise and function:
            notebook.functions.append((number, function, cell_text(cell)))
            notebook.ids[function] = cell_id
        elif isinstance(cell, dict) and cell.get("cell_type") == "code":
            notebook.others.append((number, cell_id, cell_text(cell)))
    return notebook


# ---------------------------------------------------------------- code

def parse(source):
    """The syntax tree of ``source``, or None: student code may be anything, even 10,000 "("
    (parsed as the engine parses modules, safe from the parser's own depth limits)."""
    return parse_student_source(source)


def without_magics(source, keep_lines=False):
    """``source`` without IPython magics and shell escapes, as typed or as IPython runs them.

    Typed (``%time f(x)``, ``!ls``), they do not parse: their lines go. In the kernel's
    history they are calls (``get_ipython().run_line_magic("time", "f(x)")``): the
    statements that call ``get_ipython()`` go. Anything else stays as it is, even a
    docstring line that starts with "%". With ``keep_lines``, each line that goes
    leaves an empty line, so the others keep their numbers.
    """
    def gone(lines):
        return ["\n"] * len(lines) if keep_lines else []

    lines = source.splitlines(keepends=True)
    tree = parse(source)
    if tree is None:
        return "".join("".join(gone([line])) if MAGIC_LINE.match(line) else line for line in lines)
    for node in reversed(tree.body):
        if not isinstance(node, DEFINITIONS) and calls_ipython(node):
            lines[node.lineno - 1:node.end_lineno] = gone(lines[node.lineno - 1:node.end_lineno])
    return "".join(lines)


def calls_ipython(node):
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "get_ipython"
               for n in ast.walk(node))


def module_header(setup):
    """The module's header from a notebook's setup cell, line for line.

    Imports and constants stay; ``from earlier.X import`` becomes ``from .X import``;
    the lines that only make sense in a notebook (importing ``grader``, calling
    ``use_earlier_exercises()`` or ``follow_cells()``) are left empty.
    """
    code = without_magics(setup, keep_lines=True)
    tree = parse(code)
    if tree is None:
        return code  # the grader reports the syntax error like any other
    lines = code.splitlines(keepends=True)
    for node in reversed(tree.body):
        span = slice(node.lineno - 1, node.end_lineno)
        if notebook_only(node):
            lines[span] = ["\n"] * len(lines[span])
        elif imports_earlier(node):
            lines[span] = [re.sub(rf"\bfrom\s+{EARLIER}\b\.?", "from .", "".join(lines[span]), count=1)]
    return "".join(lines).rstrip() + "\n"


def notebook_only(node):
    if isinstance(node, ast.Import):
        return all(alias.name.split(".")[0] == "grader" for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "grader"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        function = node.value.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        return name in NOTEBOOK_ONLY_CALLS
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
        modules, problems, notes = collect(path.parent, module_names) if with_neighbours else ({}, {}, {})
        modules[notebook.exercise] = (notebook, *notebook.module_and_places(notebook.graded_functions()))
        problems.pop(notebook.exercise, None)
        notes[notebook.exercise] = helper_notes(notebook, modules[notebook.exercise][1])
        result = out_dir / f"{notebook.exercise}.py"
    elif path.is_dir():
        modules, problems, notes = collect(path, module_names)
        if not modules:
            found = "; ".join(problems.values()) or "it holds no exercise notebook (.ipynb)"
            raise NotebookError(f"{path} holds no exercise notebook that can be graded: {found}")
        result = out_dir
    else:
        raise NotebookError(f"{path} is neither a notebook nor a folder of notebooks")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (_, source, _) in modules.items():
        write_atomic(out_dir / f"{name}.py", source)
    write_manifest(out_dir, path_or_folder, modules, problems, notes)
    return result


def write_manifest(out_dir, source, modules, problems, notes):
    """``out_dir/.nnlab-notebooks.json``: where each module came from, and where each cell is in it.

    ``modules`` maps exercise -> ``(ExerciseNotebook, module source, [Place])``, ``problems``
    exercise -> why it has no module, ``notes`` exercise -> what the report should say ([str]).
    """
    write_atomic(Path(out_dir) / MANIFEST, json.dumps({
        "source": str(source),
        "notebooks": {name: str(notebook.path) for name, (notebook, _, _) in modules.items()},
        "places": {name: [[p.first_line, p.label, p.lines] for p in places]
                   for name, (_, _, places) in modules.items()},
        "problems": problems, "notes": notes}, indent=2))


def add_to_manifest(out_dir, notebook, places):
    """Record one more module in ``out_dir``'s manifest (for check(): the exercise as run)."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {"source": str(notebook.path), "notebooks": {}, "places": {}, "problems": {}, "notes": {}}
    data["notebooks"][notebook.exercise] = str(notebook.path)
    data["places"][notebook.exercise] = [[p.first_line, p.label, p.lines] for p in places]
    data["problems"].pop(notebook.exercise, None)
    data["notes"].pop(notebook.exercise, None)
    write_atomic(Path(out_dir) / MANIFEST, json.dumps(data, indent=2))


def collect(folder, module_names):
    """``({name: (notebook, source, places)}, {name: problem}, {name: [note]})`` for ``folder``."""
    found, problems, notes = {}, {}, {}
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
        chosen, note = choose(notebooks, name)
        try:
            modules[name] = (chosen, *chosen.module_and_places(chosen.graded_functions()))
            problems.pop(name, None)
        except NotebookError as error:
            problems[name] = str(error)
            continue
        notes[name] = ([note] if note else []) + helper_notes(chosen, modules[name][1])
    return modules, problems, {name: found for name, found in notes.items() if found}


def helper_notes(notebook, source):
    """Notes for the functions the tagged cells use that only an untagged cell defines."""
    from .runs import missing_helpers

    return [f"{notebook.path.name}: {note}" for note in
            missing_helpers(source, [(name, cell) for _, name, cell in notebook.functions],
                            [cell for _, _, cell in notebook.others])]


def choose(notebooks, name):
    """``(notebook, note)``: of several notebooks of exercise ``name``, the one saved last, and a
    note naming them all (None when there is only one)."""
    if len(notebooks) == 1:
        return notebooks[0], None
    newest = max(notebooks, key=lambda n: (saved_at(n.path), n.path.name))
    others = ", ".join(n.path.name for n in notebooks if n is not newest)
    return newest, (f"{newest.path.parent} holds several notebooks of exercise {name}: graded "
                    f"{newest.path.name}, saved last; not {others}. Delete or rename the ones you do not "
                    "want graded.")


def saved_at(path):
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
