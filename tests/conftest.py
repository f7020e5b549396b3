"""Shared helpers: build submissions from the reference with one function swapped for a bug."""

import ast
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from grader import grading
from grader.submission import Reference, Submission

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISE_NAMES = grading.exercise_names()

# Tests of what only some systems have (markers registered in pyproject.toml) are skipped
# elsewhere with the reason, never failed: ``@pytest.mark.linux_only`` or
# ``@pytest.mark.linux_only("needs Linux: memfd")``, likewise ``posix_only``.
PLATFORM_MARKERS = {
    "linux_only": (sys.platform.startswith("linux"), "needs Linux: bubblewrap and /proc"),
    "posix_only": (sys.platform != "win32", "needs POSIX: fork, signals, fcntl and rlimits"),
}
ON_LINUX = PLATFORM_MARKERS["linux_only"][0]


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name, (here, default_reason) in PLATFORM_MARKERS.items():
            marker = item.get_closest_marker(name)
            if marker and not here:
                item.add_marker(pytest.mark.skip(reason=(marker.args or [default_reason])[0]))


def replace_function(source, qualified_name, new_code):
    """``source`` with the def of ``qualified_name`` ("sigmoid" or "Adam.step") replaced."""
    tree = ast.parse(source)
    scope = tree.body
    *owners, name = qualified_name.split(".")
    for owner in owners:
        scope = next(n for n in scope if isinstance(n, ast.ClassDef) and n.name == owner).body
    node = next(n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    lines = source.splitlines(keepends=True)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    indent = " " * node.col_offset
    body = textwrap.indent(textwrap.dedent(new_code).strip("\n") + "\n", indent)
    return "".join(lines[:start]) + body + "".join(lines[node.end_lineno:])


def write_submission(folder, modules=None, replacements=None):
    """A copy of the reference in ``folder``; ``modules`` maps name -> whole source,
    ``replacements`` maps "module.function" -> the function's new code."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS.glob("*.py"):
        shutil.copyfile(path, folder / path.name)
    for name, source in (modules or {}).items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    for target, code in (replacements or {}).items():
        module, function = target.split(".", 1)
        path = folder / f"{module}.py"
        path.write_text(replace_function(path.read_text(encoding="utf-8"), function, code), encoding="utf-8")
    return folder


def grade_folder(folder, names=None, reference=True, **options):
    reference = Reference(SOLUTIONS) if reference else None
    return grading.grade(Submission(folder, EXERCISE_NAMES), names=names, reference=reference, **options)


def failing_checks(report):
    """Checks that ran and failed; a check not judged (its precondition failed) is not one."""
    return {c.name for e in report.exercises for c in e.checks if not c.passed and c.ran and c.judged}


def assert_bug_fails_exactly(submission, bug, expected):
    """Grade the reference with ``bug`` ("module.function" -> code, one or more) swapped in:
    exactly the ``expected`` checks fail, each with a message."""
    module = next(iter(bug)).split(".")[0]
    report = grade_folder(submission(replacements=bug), names=[module])
    assert failing_checks(report) == expected
    assert all(c.message for c in report.exercises[0].checks if not c.passed)  # every failure says why


def assert_earns_nothing(submission, module, source):
    """A whole ``module`` of ``source`` (a do-nothing implementation) scores exactly 0 there."""
    report = grade_folder(submission(modules={module: source}), names=[module])
    exercise = report.exercises[0]
    assert exercise.score == 0, {c.name: c.message or "passed" for c in exercise.checks if c.passed}


def checks_no_bug_catches(bugs, names):
    """The checks of exercises ``names`` that no bug of ``bugs`` (values ending in the
    expected set of failing checks) fails: each one is a check nothing shows can fail."""
    caught = set().union(*(bug[-1] for bug in bugs.values()))
    return [f"{name}.{check.name}" for name in names
            for check in grading.find_exercise(name).checks if check.name not in caught]


@pytest.fixture
def submission(tmp_path):
    """``submission(modules=..., replacements=...)`` -> a folder of modules to grade."""
    counter = iter(range(1000))
    return lambda **kwargs: write_submission(tmp_path / f"sub{next(counter)}", **kwargs)
