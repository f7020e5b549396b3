"""Where a submission's files are: a folder of modules, or one module file (or notebooks)."""

import importlib.util
import json
import sys
import tempfile
import threading
from pathlib import Path

from .authoring.stubs import BEGIN, END

SOURCE_TREE_SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
MANIFEST = ".nnlab-notebooks.json"  # beside modules made from notebooks: where they came from


class NotASubmission(Exception):
    """The path given to the grader holds none of the exercise modules."""


class Submission:
    """A folder of exercise modules (``activations.py``, ...), possibly partial.

    ``only`` narrows a submission to one module, for ``nnlab grade exercises/losses.py``.
    A notebook, or a folder of notebooks, is first turned into modules in a temporary
    folder that lives as long as the Submission (see ``notebooks/extract.py``).
    """

    def __init__(self, path, module_names, only=None):
        path = Path(path)
        if holds_notebooks(path, module_names):
            from .notebooks import submission_from_notebook

            self._notebook_modules = tempfile.TemporaryDirectory(prefix="nnlab-notebooks-")
            path = submission_from_notebook(path, self._notebook_modules.name, module_names,
                                            with_neighbours=True)
        if path.is_file() and path.suffix == ".py":
            path, only = path.parent, path.stem
            if only not in module_names:
                raise NotASubmission(f"{path / (only + '.py')} is not an exercise module; "
                                     f"expected one of: {', '.join(module_names)}")
        if not path.is_dir():
            raise NotASubmission(f"{path} is neither a folder of exercises nor a .py file")
        self.path = path
        self.only = only
        manifest = read_manifest(path)
        self.label = manifest["source"] if manifest else str(path)
        self.problems = manifest["problems"] if manifest else {}  # exercise -> why it is missing
        self.from_notebooks = manifest is not None
        if not self.problems and not any((path / f"{name}.py").is_file() for name in module_names):
            raise NotASubmission(
                f"{path} holds none of the exercise modules ({', '.join(m + '.py' for m in module_names)}); "
                "point nnlab at your exercises folder, for example: nnlab grade exercises")

    def module_file(self, name):
        path = self.path / f"{name}.py"
        return path if path.is_file() else None

    def is_reference(self, reference=None):
        """Whether this is the reference solutions: their folder (``reference``'s, or the
        source tree's), or a copy of it (it still has their ``# BEGIN SOLUTION`` markers)."""
        folders = {SOURCE_TREE_SOLUTIONS.resolve()} | ({reference.path} if reference else set())
        if self.path.resolve() in folders:
            return True
        return any(has_solution_markers(path) for path in self.path.glob("*.py"))

    def missing(self, name):
        """Why the module ``name`` is not there, for the report."""
        if name in self.problems:
            return self.problems[name]
        if self.from_notebooks:
            return f"{self.label} has no notebook for {name}"
        return f"{self.path / (name + '.py')} is missing"

    def __str__(self):
        return self.label


def has_solution_markers(path):
    try:
        return any(BEGIN.match(line) for line in path.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return False


def holds_notebooks(path, module_names):
    """Whether ``path`` is a notebook, or a folder of notebooks without exercise modules."""
    path = Path(path)
    if path.suffix == ".ipynb":
        return True
    return (path.is_dir() and any(path.glob("*.ipynb"))
            and not any((path / f"{name}.py").is_file() for name in module_names))


def read_manifest(folder):
    """What ``notebooks.submission_from_notebook`` recorded in ``folder``, or None.

    Only the fields that messages use, checked: ``source`` (a str) and ``problems``
    (exercise name -> why its notebook could not be read).
    """
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    problems = data.get("problems")
    return {"source": str(data.get("source", folder)),
            "problems": {str(k): str(v) for k, v in problems.items()} if isinstance(problems, dict) else {}}


class Reference:
    """The reference solutions, trusted code: loaded into the grader for hidden checks."""

    def __init__(self, path):
        self.path = Path(path).resolve()
        self._package = f"nnlab_reference_{abs(hash(str(self.path)))}"
        self._modules = {}
        self._lock = threading.Lock()

    @classmethod
    def find(cls, path=None):
        """The reference at ``path``, else the source tree's ``solutions/``, else None."""
        if path is not None:
            return cls(path)
        if (SOURCE_TREE_SOLUTIONS / "__init__.py").is_file():
            return cls(SOURCE_TREE_SOLUTIONS)
        return None

    def module_file(self, name):
        path = self.path / f"{name}.py"
        return path if path.is_file() else None

    def missing_modules(self, names):
        """The modules of ``names`` this reference lacks (the hidden checks need each one)."""
        return [name for name in names if self.module_file(name) is None]

    def solution_lines(self, names):
        """The non-trivial lines inside the solution blocks of modules ``names``."""
        lines = set()
        for name in names:
            path = self.module_file(name)
            inside = False
            for line in path.read_text(encoding="utf-8").splitlines() if path else []:
                if BEGIN.match(line) or END.match(line):
                    inside = BEGIN.match(line) is not None
                elif inside and len(line.strip()) >= 12:
                    lines.add(line.strip())
        return lines

    def module(self, name):
        with self._lock:
            return self._module(name)

    def _module(self, name):
        if name not in self._modules:
            if self._package not in sys.modules:
                self._load(self._package, self.path / "__init__.py", package_dir=self.path)
            self._modules[name] = self._load(f"{self._package}.{name}", self.path / f"{name}.py")
        return self._modules[name]

    @staticmethod
    def _load(qualified, file, package_dir=None):
        locations = [str(package_dir)] if package_dir else None
        spec = importlib.util.spec_from_file_location(qualified, file, submodule_search_locations=locations)
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
        return module
