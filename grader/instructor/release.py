"""What leaves the instructor's source tree: the student's copy and the Gradescope autograder.

The student's copy (``nnlab release``), a repository to hand out, e.g. as the starter
code of a GitHub Classroom assignment::

    exercises/                 the stubs, generated from the reference solutions
    grader/                    the grader; each hidden check replaced by a placeholder
    datasets/                  the data files
    README.md, pyproject.toml  the student README; `pip install -e .` gives `nnlab`
    .github/workflows/         grading on every push

It holds no ``solutions/``. A hidden check keeps its decorator (points and all) and its
name, so reports still list it as "not run", but its body becomes a placeholder: the
student cannot read what it tests. Nor does the copy hold working code for what the
exercises ask: the visible checks are run against the reference with a recorder on, the
answers of every ``@formula`` (see :mod:`grader.checks.baked`) are shipped as data
(``grader/checks/baked/``) and the formulas' bodies are removed. Everything else of a
check module stays byte for byte. Before writing, the copy is verified (see
:func:`verify`): no line of a solution, no definition named like a contract function, and
no shipped function that does what a contract function does (:mod:`grader.authoring.paste`).

The Gradescope autograder (``nnlab export gradescope``) is a zip of ``setup.sh``,
``run_autograder`` and the full source (``nnlab/``: grader with hidden checks,
solutions, datasets) that Gradescope builds its image from.
"""

import ast
import copy
import inspect
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..checks import EXERCISES, baked
from ..datasets import DEFAULT_DATA_DIR
from ..grading import exercise_names, grade
from ..submission import Reference, Submission
from ..authoring import paste
from ..report.files import write_atomic
from ..authoring.stubs import BEGIN, END, generate

GRADER = Path(__file__).resolve().parents[1]
SOURCE_ROOT = GRADER.parent
TEMPLATES = GRADER / "templates"
WORKFLOWS = Path(".github") / "workflows"
STUDENT_WORKFLOW = "nnlab-grade.yml"
INSTRUCTOR_WORKFLOW = "nnlab-batch.yml"
PLACEHOLDER = '''def {name}():
    """A hidden check: your instructor runs it, with the reference solutions."""
    raise NotImplementedError("hidden check: only your instructor's copy of the grader has it")
'''
FORMULA_BODY = '{indent}raise NotImplementedError("baked: the answers are in grader/checks/baked/")\n'
BAKED_SEED = 0  # the seed `nnlab grade` uses unless told otherwise
# Paste-attack findings the release lets through, each with the reason: (contract function,
# shipped function) -> why. Keep it empty but for code the grader cannot do without.
TOLERATED = {
    ("optimizers.sgd_step", "grader.engine.child.PlainSGD.step"):
        "the engine's plain SGD, which the model checks hand to fit (grader/engine/child.py); the "
        "contract spells out sgd_step's whole body, params[k] -= lr * grads[k]",
}
MIN_SECRET_LINE = 20  # shorter solution lines (`return z`, `m = len(y)`) give nothing away
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same source gives the same zip


class ReleaseError(Exception):
    """The release would be wrong (a solution would leak, a hidden check is unclear)."""


# -- the student's copy ---------------------------------------------------------------

def student_copy(solutions, bake=None):
    """``{relative path: str (text), bytes or Path (a file to copy)}`` of the student's
    copy; ``bake`` is the result of :func:`bake_formulas` (baked here when None)."""
    formulas, _ = bake if bake is not None else bake_formulas(solutions)
    files = {Path("exercises") / path.name: text
             for path, text in generate(solutions, "exercises").items()}
    for path in package_files(GRADER):
        relative = Path("grader") / path.relative_to(GRADER)
        if path.parent == GRADER / "checks" and path.suffix == ".py":
            source = strip_hidden_checks(path.read_text(encoding="utf-8"), str(relative))
            files[relative] = strip_formulas(source, str(relative))
        elif relative.parent.name == "baked" and relative.parent.parent.name == "checks":
            continue  # baked data of an earlier release, if any
        else:
            files[relative] = path
    files[Path("grader/checks/baked.py")] = baked_module()
    for exercise in EXERCISES:
        files[Path("grader/checks/baked") / f"{exercise.module}.json.gz"] = baked.table_bytes(formulas, exercise.module)
    for path in package_files(DEFAULT_DATA_DIR):
        files[Path("datasets") / path.relative_to(DEFAULT_DATA_DIR)] = path
    files[Path("README.md")] = student_readme()
    files[Path("pyproject.toml")] = student_pyproject()
    files[Path(".gitignore")] = (TEMPLATES / "student" / "gitignore").read_text(encoding="utf-8")
    files[WORKFLOWS / STUDENT_WORKFLOW] = (TEMPLATES / "github" / STUDENT_WORKFLOW).read_text(encoding="utf-8")
    return files


def strip_hidden_checks(source, filename="<checks>"):
    """``source`` with the body of every ``@exercise.check(..., hidden=True)`` function
    replaced by a placeholder; every other byte is kept."""
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    top_level = set(tree.body)
    hidden = [node for node in ast.walk(tree) if is_hidden_check(node, filename)]
    for node in sorted(hidden, key=lambda n: n.lineno, reverse=True):
        if node not in top_level:
            raise ReleaseError(f"{filename}:{node.lineno}: the hidden check {node.name} is not "
                               "defined at module level; the release can only strip those")
        lines[node.lineno - 1:node.end_lineno] = [PLACEHOLDER.format(name=node.name)]
    return "".join(lines)


def strip_formulas(source, filename="<checks>"):
    """``source`` with the body of every ``@formula`` function replaced by a ``raise``: in
    the student's copy the decorator answers from the baked data instead."""
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    formulas = [node for node in ast.walk(tree) if is_formula(node)]
    for node in sorted(formulas, key=lambda n: n.lineno, reverse=True):
        first = node.body[0].lineno
        if first == node.lineno or lines[first - 2].rstrip().endswith(";"):
            raise ReleaseError(f"{filename}:{node.lineno}: write the body of the formula {node.name} "
                               "on lines of its own, so that the release can remove it")
        indent = " " * (node.col_offset + 4)
        lines[first - 1:node.end_lineno] = [FORMULA_BODY.format(indent=indent)]
    return "".join(lines)


def is_formula(node):
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        (isinstance(d, ast.Name) and d.id == "formula") or (isinstance(d, ast.Attribute) and d.attr == "formula")
        for d in node.decorator_list)


def baked_module():
    """grader/checks/baked.py as the student's copy has it: looking formulas up."""
    source = (GRADER / "checks" / "baked.py").read_text(encoding="utf-8")
    if source.count("\nBAKED = False") != 1:
        raise ReleaseError("grader/checks/baked.py must set BAKED = False on a line of its own")
    return source.replace("\nBAKED = False", "\nBAKED = True", 1)


def student_pyproject():
    """The source's pyproject.toml, with the baked data as package data."""
    text = source_file("pyproject.toml").read_text(encoding="utf-8")
    line = 'grader = ["templates/*/*"]'
    if line not in text:
        raise ReleaseError(f"pyproject.toml has no line {line}: cannot add the baked data to it")
    return text.replace(line, 'grader = ["templates/*/*", "checks/baked/*.json.gz"]')


def bake_formulas(solutions, seed=BAKED_SEED):
    """Grade the reference with the visible checks, recording every formula; return
    ``(formulas, samples)`` (see :func:`grader.checks.baked.recording`). Refuses when the
    reference does not earn every visible point: the baked answers would be wrong."""
    names = exercise_names()
    with baked.recording() as (formulas, samples):
        report = grade(Submission(solutions, names), names=names, seed=seed, jobs=1)
    missed = [f"{e.name}.{c.name}: {c.message}" for e in report.exercises for c in e.checks
              if c.visibility == "visible" and not c.passed]
    if missed:
        raise ReleaseError("the reference solutions fail visible checks, so nothing can be baked:\n  "
                           + "\n  ".join(missed))
    return formulas, samples


def is_hidden_check(node, filename):
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for decorator in node.decorator_list:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr == "check"):
            continue
        if len(decorator.args) > 1:
            raise ReleaseError(f"{filename}:{node.lineno}: write hidden= as a keyword in the check "
                               f"{node.name}, so that the release can tell whether it is hidden")
        for keyword in decorator.keywords:
            if keyword.arg == "hidden":
                if not isinstance(keyword.value, ast.Constant):
                    raise ReleaseError(f"{filename}:{node.lineno}: cannot tell whether {node.name} is "
                                       "hidden: write hidden=True or hidden=False")
                return bool(keyword.value.value)
    return False


def student_readme():
    rows = ["| # | module | what you build | points |", "|---|---|---|---:|"]
    for number, exercise in enumerate(EXERCISES, start=1):
        rows.append(f"| {number} | `{exercise.module}` | {exercise.title} | {exercise.visible_points:g} |")
    text = (TEMPLATES / "student" / "README.md").read_text(encoding="utf-8")
    return text.replace("<!-- exercises -->", "\n".join(rows))


# -- scanning for solutions -----------------------------------------------------------

def solution_blocks(solutions):
    """``[(where, lines)]``: the distinctive lines of each BEGIN/END SOLUTION block, the
    code the stubs leave out (lines the stubs show anyway are no secret)."""
    given = {line.strip() for text in generate(solutions, "exercises").values() for line in text.splitlines()}
    blocks, inside = [], False
    for path in sorted(Path(solutions).glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BEGIN.match(line):
                blocks.append((f"{path.name}:{number}", []))
                inside = True
            elif END.match(line):
                inside = False
            elif inside and is_distinctive(line) and line.strip() not in given:
                blocks[-1][1].append(line.strip())
    return [(where, lines) for where, lines in blocks if lines]


def is_distinctive(line):
    text = line.strip()
    return len(text) >= MIN_SECRET_LINE and not text.startswith("#")


def reproduced_solutions(files, blocks):
    """``[(relative path, where)]``: each solution block more than half of whose lines
    appear in one of ``files``. A line or two in common is expected (the checks compute
    expected values with code of their own); most of a solution's body is a leak."""
    found = []
    for relative, content in sorted(files.items()):
        text = content if isinstance(content, str) else None if isinstance(content, bytes) \
            else read_text_or_none(content)
        lines = {line.strip() for line in (text or "").splitlines()}
        found += [(relative, where) for where, block in blocks
                  if 2 * sum(line in lines for line in block) > len(block)]
    return found


def read_text_or_none(path):
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):  # a data file: no code in it
        return None


# -- writing --------------------------------------------------------------------------

def write_tree(files, out):
    """Write ``files`` under ``out``, each whole or not at all; other files of ``out``
    (a .git folder, say) are left alone."""
    out = Path(out)
    for relative, content in sorted(files.items()):
        target = out / relative
        if isinstance(content, str):
            write_atomic(target, content)
        else:
            copy_atomic(content, target)


def copy_atomic(source, target):
    """Copy the file ``source`` (or write the bytes ``source``) to ``target``, whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        if isinstance(source, bytes):
            Path(temporary).write_bytes(source)
        else:
            shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def release(out, solutions):
    """Write the student's copy to ``out``; return the relative paths written."""
    out = Path(out).resolve()
    if out == SOURCE_ROOT:
        raise ReleaseError(f"{out} is the source tree; release into another folder")
    if (out / "solutions").exists():
        raise ReleaseError(f"{out / 'solutions'} exists; a student's copy must not hold the solutions")
    bake = bake_formulas(solutions)
    files = student_copy(solutions, bake)
    verify(files, solutions, bake[1])
    write_tree(files, out)
    return sorted(files)


def verify(files, solutions, samples):
    """Refuse a copy that holds solution code, a definition named like a contract function,
    or a shipped function that does what a contract function does (the paste attack)."""
    leaks = reproduced_solutions(files, solution_blocks(solutions))
    if leaks:
        raise ReleaseError("the student's copy would contain solution code:\n" + "\n".join(
            f"  {path} reproduces the solution at solutions/{where}" for path, where in leaks))
    names = {name for module in paste.contract_names(solutions).values() for name in module}
    shipped = {path: text for path, text in files.items() if path.parts[0] == "grader"}
    named = paste.definitions_named_like(shipped, names)
    if named:
        raise ReleaseError("the student's copy would define contract functions:\n" + "\n".join(
            f"  {path}:{line} defines {name}" for path, line, name in named))
    pasted = [finding for finding in paste_attack(shipped, solutions, samples) if finding[:2] not in TOLERATED]
    if pasted:
        raise ReleaseError("the student's copy would ship working answers:\n" + "\n".join(
            f"  {candidate} ({glue}) does what {target} does" for target, candidate, glue in pasted))


def paste_attack(files, solutions, samples):
    """Run :mod:`grader.authoring.paste` on the grader of ``files`` (written to a temporary
    folder) with the reference's answers to ``samples``; return its findings."""
    contract = contract_samples(solutions, samples)
    with tempfile.TemporaryDirectory(prefix="nnlab-paste-") as root:
        write_tree(files, root)
        request = Path(root) / "paste.json"
        request.write_text(json.dumps({"root": root, "contract": contract}), encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "grader.authoring.paste", str(request)], cwd=root,
                             capture_output=True, text=True, timeout=600,
                             env={**os.environ, "PYTHONPATH": root, "PYTHONDONTWRITEBYTECODE": "1"})
    if run.returncode != 0:
        raise ReleaseError(f"the paste attack on the student's copy did not finish:\n{run.stderr[-2000:]}")
    return [tuple(finding) for finding in json.loads(run.stdout)]


def contract_samples(solutions, samples):
    """``{"module.function": [(args, answer, args after) as JSON data]}``: the calls the
    checks made to each contract function, answered by the reference in this process."""
    reference, names = Reference(solutions), paste.contract_names(solutions)
    contract = {}
    for (module, function), calls in sorted(samples.items()):
        if function not in names.get(module, ()):
            continue
        implementation = getattr(reference.module(module), function)
        for args, kwargs in calls:
            try:
                bound = inspect.signature(implementation).bind(*baked.decode(args), **baked.decode(kwargs))
                bound.apply_defaults()
                given = list(bound.arguments.values())
                answered = copy.deepcopy(given)
                answer = paste.materialised(implementation(*answered))
                entry = [baked.encode(given), baked.encode(answer), baked.encode(answered)]
            except (TypeError, ValueError):  # a keyword-only or *args function, an answer not plain data
                continue
            contract.setdefault(f"{module}.{function}", []).append(entry)
    return contract


# -- the Gradescope autograder --------------------------------------------------------

def gradescope_files(solutions, grade_options=()):
    """``{name in the zip: str or Path}`` of the Gradescope autograder."""
    run = (TEMPLATES / "gradescope" / "run_autograder").read_text(encoding="utf-8")
    files = {Path("setup.sh"): (TEMPLATES / "gradescope" / "setup.sh").read_text(encoding="utf-8"),
             Path("run_autograder"): run.replace("__GRADE_OPTIONS__", shlex.join(grade_options))}
    source = Path("nnlab")
    for path in package_files(GRADER):
        files[source / "grader" / path.relative_to(GRADER)] = path
    for path in sorted(Path(solutions).glob("*.py")):
        files[source / "solutions" / path.name] = path
    for path in package_files(DEFAULT_DATA_DIR):
        files[source / "datasets" / path.relative_to(DEFAULT_DATA_DIR)] = path
    files[source / "pyproject.toml"] = source_file("pyproject.toml")
    files[source / "README.md"] = source_file("README.md")
    return files


def write_zip(files, target, executable=("setup.sh", "run_autograder")):
    """Write ``files`` as the zip ``target``, whole or not at all."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name.as_posix(), ZIP_TIME)
            mode = 0o755 if name.as_posix() in executable else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content if isinstance(content, str) else content.read_bytes())
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        out.write(buffer.getvalue())
    os.replace(temporary, target)


# -- helpers --------------------------------------------------------------------------

def package_files(folder):
    """The files of ``folder`` worth shipping: no caches, no hidden files."""
    return sorted(path for path in Path(folder).rglob("*")
                  if path.is_file() and "__pycache__" not in path.parts
                  and not any(part.startswith(".") for part in path.relative_to(folder).parts))


def source_file(name):
    path = SOURCE_ROOT / name
    if not path.is_file():
        raise ReleaseError(f"{path} is missing: run this from nnlab's source tree (pip install -e .)")
    return path
