"""nnlab against the floor: the same checks run by an in-process pytest that isolates nothing.

A pytest file is generated that runs every check of the chosen exercises against the
reference, called in pytest's own process through the child's server loaded there
(:class:`benchmarks.in_process.LocalChild`): no child process, no sandbox, no pipe. Its
wall time, pytest's start included, is the physical floor of a grader; nnlab's CLI on the
same exercises is measured beside it, run for run, and the ratio says what isolation costs.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from .measure import Section, Table, measure_interleaved
from .runs import grade_cli, sandbox_modes

from . import ROOT

PAIRS = (("softmax", "losses"), None)  # None: every exercise

TEST_FILE = '''
import pytest

from benchmarks.in_process import LocalChild, load_child_module
from benchmarks import ROOT, SOLUTIONS
from grader import grading
from grader.engine.student import StudentCode
from grader.submission import Reference

NAMES = {names!r}
SERVER = load_child_module().Server
REFERENCE = Reference(SOLUTIONS)
CASES = [(name, check) for name in NAMES for check in grading.find_exercise(name).checks]


@pytest.fixture(scope="module")
def children():
    return {{name: LocalChild(SERVER(str(ROOT), SOLUTIONS.name, name)) for name in NAMES}}


@pytest.mark.parametrize("name, check", CASES, ids=[f"{{n}}.{{c.name}}" for n, c in CASES])
def test_check(children, name, check):
    check.run(StudentCode(children[name]), 0, REFERENCE.module(name) if check.hidden else None, [])
'''


def run(settings):
    names = list(settings.exercises) or None
    modes = sandbox_modes()
    section = Section("nnlab against an in-process pytest")
    table = Table(["exercises", "in-process pytest", *(f"nnlab, sandbox {m}" for m in modes),
                   *(f"ratio, sandbox {m}" for m in modes)])
    figures = {}
    for pair in PAIRS if names is None else (tuple(names),):
        chosen = list(pair) if pair else exercise_list()
        samples = measure_interleaved(contenders(chosen, modes), settings.repeats)
        ratios = {m: samples[m].median / samples["pytest"].median for m in modes}
        label = " + ".join(chosen) if pair else "all ten"
        table.rows.append([label, samples["pytest"].show(), *(samples[m].show() for m in modes),
                           *(f"{ratios[m]:.2f}x" for m in modes)])
        figures[label] = {"pytest": samples["pytest"].median, **{m: samples[m].median for m in modes},
                          **{f"ratio_{m}": ratios[m] for m in modes}}
    section.tables = [table]
    section.figures = figures
    section.notes.append("Paired runs, medians (min-max, n=runs). pytest runs the same check functions "
                         "against the reference in its own process (`python -m pytest -q -p no:cacheprovider` "
                         "on a generated file); nnlab is `nnlab grade solutions -e ... --format json`.")
    return section


def exercise_list():
    from grader import grading

    return grading.exercise_names()


def contenders(names, modes):
    folder = Path(tempfile.mkdtemp(prefix="nnlab-floor-"))
    test_file = folder / "test_floor.py"
    test_file.write_text(TEST_FILE.format(names=names))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder), str(test_file)]

    def pytest_run():
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the in-process pytest failed: {done.stdout[-800:]}")

    found = {"pytest": pytest_run}
    for mode in modes:
        found[mode] = lambda mode=mode: grade_cli(names=names, sandbox=mode)
    return found
