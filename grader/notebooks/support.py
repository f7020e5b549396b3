"""Working in Jupyter: the earlier exercises as a package, and ``check()``.

    from grader.notebooks.support import follow_cells, use_earlier_exercises
    follow_cells()                          # every notebook's setup cell does this
    use_earlier_exercises()
    from earlier.softmax import softmax     # your softmax, from 02-softmax.ipynb

    from grader import check
    check("losses")                         # grade this notebook's tagged cells, as run

``check`` never grades the objects living in the kernel. It takes the source each
tagged cell, and the setup cell, last ran with (found by cell id, see ``runs.py``),
writes them as ``losses.py`` and grades that module exactly as ``nnlab grade`` does:
in a separate process, with the same checks. Ctrl-C (Jupyter's interrupt) stops it at
once. The result says which cells were graded, and how (as run, not saved, never run).
"""

import atexit
import importlib
import inspect
import shutil
import sys
import tempfile
from pathlib import Path

from .. import grading
from .display import NotebookCheck
from .extract import EARLIER, NotebookError, add_to_manifest, choose, parse_notebook, submission_from_notebook
from .runs import cells_to_grade, current_shell, follow_cells, history_of, missing_helpers  # noqa: F401
from .terms import in_notebook_terms
from ..progress import record_grades
from ..report.files import write_atomic
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

class Interrupted(KeyboardInterrupt):
    """check() was interrupted: grading stopped, its processes are gone. One line in Jupyter."""

    def __init__(self, exercise):
        super().__init__(f"check({exercise!r}) was interrupted: grading stopped and its processes were "
                         "killed; nothing was recorded.")

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return [str(self)]


def check(exercise, notebook=None, namespace=None):
    """Grade the tagged cells of ``exercise``'s notebook as last run in this kernel.

    ``notebook`` is the exercise's notebook (default: the kernel's own, else the one in
    the current folder). Each tagged cell, and the setup cell, is graded with the source
    it last ran with (see ``runs.py``); one never run, as saved. ``namespace`` is the
    kernel's (default: IPython's, else the caller's globals).
    """
    if exercise not in grading.exercise_names():
        raise ValueError(f"unknown exercise {exercise!r}; choose one of: {', '.join(grading.exercise_names())}")
    if namespace is None:
        namespace = kernel_namespace() or inspect.currentframe().f_back.f_globals
    path, notes = (Path(notebook), []) if notebook else find_notebook(exercise, namespace)
    saved = parse_notebook(path)
    if saved is None or saved.exercise != exercise:
        raise NotebookError(f"{path} is not the notebook of {exercise}")
    history = history_of(namespace)
    setup, functions, run_notes = cells_to_grade(saved, history)
    notes += run_notes
    try:
        with tempfile.TemporaryDirectory(prefix="nnlab-check-") as temporary:
            folder = Path(temporary) / "submission"
            module = write_module_as_run(saved, setup, functions, folder)
            elsewhere = [run.source for run in history.runs] + [source for _, _, source in saved.others]
            notes += missing_helpers(module, [(c.label, c.source) for c in functions], elsewhere)
            report = grading.grade(Submission(folder, grading.exercise_names()), names=[exercise],
                                   reference=Reference.find(), jobs=1)  # jobs=1: in this thread, so Ctrl-C stops it
            in_notebook_terms(report, folder)
    except KeyboardInterrupt:
        raise Interrupted(exercise) from None
    report.submission = f"{saved.path.name}, as run in this kernel"
    warning = record_grades(report)
    return NotebookCheck(report, [setup] + functions, notes + ([warning] if warning else []))


def write_module_as_run(saved, setup, functions, folder):
    """Write the exercise's module from the cells as run, and the earlier ones as saved; return it."""
    try:
        submission_from_notebook(saved.path.parent, folder)  # the earlier exercises, as saved
    except NotebookError:
        folder.mkdir(parents=True)
    source, places = saved.module_and_places([(c.number, c.label, c.source) for c in functions],
                                             setup.source if saved.setup is not None else None)
    write_atomic(folder / f"{saved.exercise}.py", source)
    add_to_manifest(folder, saved, places)
    return source


def kernel_namespace():
    shell = current_shell()
    return shell.user_ns if shell is not None else None


def find_notebook(exercise, namespace):
    """``(path, notes)``: the kernel's own notebook (``__session__``), else the one in this folder.

    Of several notebooks of ``exercise`` in the folder, the one saved last, with a note.
    """
    session = namespace.get("__session__")
    if isinstance(session, str) and session.endswith(".ipynb"):
        for path in (Path(session), Path.cwd() / Path(session).name):  # a server may give it relative to its root
            try:
                if path.is_file() and parse_notebook(path).exercise == exercise:
                    return path, []
            except (NotebookError, AttributeError):
                pass
    candidates = []
    for path in sorted(Path.cwd().glob("*.ipynb")):
        try:
            found = parse_notebook(path)
        except NotebookError:
            continue
        if found is not None and found.exercise == exercise:
            candidates.append(found)
    if not candidates:
        raise NotebookError(f"check() looks for the notebook of {exercise} in {Path.cwd()} and found none; "
                            f"give its path: check({exercise!r}, notebook='path/to/the.ipynb')")
    chosen, note = choose(candidates, exercise)
    return chosen.path, [note] if note else []
