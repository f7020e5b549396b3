"""Working in Jupyter: the earlier exercises as a package, and ``check()``.

    from grader.notebooks.support import use_earlier_exercises
    use_earlier_exercises()                 # every notebook's setup cell does this
    from earlier.softmax import softmax     # your softmax, from 02-softmax.ipynb

    from grader import check
    check("losses")                         # grade this notebook's functions, as run

``check`` never grades the objects living in the kernel. It takes the source of the
cells you ran (IPython's input history ``In``; ``inspect.getsource`` as a fallback),
writes them after the notebook's setup cell as ``losses.py``, and grades that module
exactly as ``nnlab grade`` does: in a separate process, with the same checks.
"""

import atexit
import importlib
import inspect
import shutil
import sys
import tempfile
from pathlib import Path

from .. import grading
from .extract import (DEFINITIONS, EARLIER, NotebookError, exercise_from_file_name, parse, parse_notebook,
                        submission_from_notebook, without_magics)
from ..progress import record_grades
from ..report.files import write_atomic
from ..report.formats import to_table
from ..submission import Reference, Submission, read_manifest

_earlier_folder = None  # the temporary folder that holds the current `earlier` package


# ---------------------------------------------------------------- earlier exercises

def use_earlier_exercises(folder="."):
    """Make the exercise notebooks in ``folder`` importable as the package ``earlier``.

    Each call rebuilds the package from the notebooks as saved, so run it again (the
    setup cell) after changing an earlier notebook. Returns the modules it holds.
    """
    global _earlier_folder
    root = Path(tempfile.mkdtemp(prefix="nnlab-earlier-"))
    package = root / EARLIER
    try:
        submission_from_notebook(Path(folder), package)
    except NotebookError as error:
        print(f"use_earlier_exercises: {error}", file=sys.stderr)
    for problem in (read_manifest(package) or {}).get("problems", {}).values():
        print(f"use_earlier_exercises: {problem}", file=sys.stderr)
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    for name in [n for n in sys.modules if n == EARLIER or n.startswith(EARLIER + ".")]:
        del sys.modules[name]
    if _earlier_folder is not None:
        sys.path[:] = [p for p in sys.path if p != str(_earlier_folder)]
        shutil.rmtree(_earlier_folder, ignore_errors=True)
    else:
        atexit.register(lambda: _earlier_folder and shutil.rmtree(_earlier_folder, ignore_errors=True))
    _earlier_folder = root
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return sorted(path.stem for path in package.glob("*.py") if path.stem != "__init__")


# ---------------------------------------------------------------- check

class NotebookCheck:
    """The result of :func:`check`: a table in Jupyter (HTML), plain text elsewhere."""

    def __init__(self, report, notes=()):
        self.report = report
        self.notes = list(notes)

    @property
    def passed(self):
        return all(e.status == "passed" for e in self.report.exercises)

    def _repr_html_(self):
        from html import escape

        from ..report.html import fragment

        notes = "".join(f"<p>{escape(note)}</p>" for note in self.notes)
        return notes + fragment(self.report)

    def __repr__(self):
        return "".join(f"note: {note}\n" for note in self.notes) + to_table(self.report)


def check(exercise, notebook=None, namespace=None):
    """Grade the functions of ``exercise`` as they are in this running notebook.

    ``notebook`` is the exercise's notebook (default: found in the current folder); its
    setup cell gives the imports and its tagged cells the names to take from the kernel.
    ``namespace`` is the kernel's (default: IPython's, else the caller's globals).
    """
    if exercise not in grading.exercise_names():
        raise ValueError(f"unknown exercise {exercise!r}; choose one of: {', '.join(grading.exercise_names())}")
    if namespace is None:
        namespace = kernel_namespace() or inspect.currentframe().f_back.f_globals
    path = Path(notebook) if notebook else find_notebook(exercise, namespace)
    saved = parse_notebook(path)
    if saved is None or saved.exercise != exercise:
        raise NotebookError(f"{path} is not the notebook of {exercise}")
    names = [name for _, name, _ in saved.functions]
    cells, notes = cells_as_run(names, namespace)
    with tempfile.TemporaryDirectory(prefix="nnlab-check-") as temporary:
        folder = Path(temporary) / "submission"
        try:
            submission_from_notebook(saved.path.parent, folder)  # the earlier exercises, as saved
        except NotebookError:
            folder.mkdir()
        write_atomic(folder / f"{exercise}.py", saved.module_source(cells))
        report = grading.grade(Submission(folder, grading.exercise_names()), names=[exercise],
                               reference=Reference.find(), jobs=1)
    report.submission = f"{saved.path.name}, as run in this kernel"
    warning = record_grades(report)
    return NotebookCheck(report, notes + ([warning] if warning else []))


def kernel_namespace():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell.user_ns if shell is not None else None


def find_notebook(exercise, namespace):
    """The notebook of ``exercise``: the kernel's own (``__session__``), else one in this folder."""
    session = namespace.get("__session__")
    if isinstance(session, str) and session.endswith(".ipynb") and Path(session).is_file():
        try:
            if parse_notebook(session).exercise == exercise:
                return Path(session)
        except (NotebookError, AttributeError):
            pass
    candidates = []
    for path in sorted(Path.cwd().glob("*.ipynb")):
        try:
            found = parse_notebook(path)
        except NotebookError:
            continue
        if found is not None and found.exercise == exercise:
            candidates.append(path)
    if not candidates:
        raise NotebookError(f"check() looks for the notebook of {exercise} in {Path.cwd()} and found none; "
                            f"give its path: check({exercise!r}, notebook='path/to/the.ipynb')")
    named = [p for p in candidates if exercise_from_file_name(p, grading.exercise_names()) == exercise]
    return (named or candidates)[0]


def cells_as_run(names, namespace):
    """``([(number, name, source)], notes)``: the last cell run that defines each of ``names``.

    A cell that defines several of them is taken once. Sources come from the input
    history ``In``; a name missing there comes from ``inspect.getsource`` when possible.
    """
    history = [cell for cell in namespace.get("In") or [] if isinstance(cell, str)]
    cells, notes, taken = [], [], set()
    for name in names:
        number, source = last_definition(history, name)
        if source is None and name in namespace:
            source = source_of(namespace[name])
        if source is None:
            notes.append(f"{name}: its cell has not been run in this kernel, so it is missing; run it and check again")
        elif source not in taken:
            taken.add(source)
            cells.append((number, name, source))
    return cells, notes


def last_definition(history, name):
    """``(In number, source)`` of the last cell in ``history`` that defines ``name`` at top level."""
    for number in range(len(history) - 1, -1, -1):
        tree = parse(without_magics(history[number]))
        if tree is not None and any(isinstance(node, DEFINITIONS) and node.name == name for node in tree.body):
            return number, history[number]
    return None, None


def source_of(obj):
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return None
