"""What the fork server saves: children forked from a Python that imported NumPy once,
against children each started afresh (the path taken where a child cannot be forked).

    python -m benchmarks.forkserver     # prints the table; medians of 5, measured interleaved

- A child's life: ``ChildProcess`` started up to the module imported (its hello), then
  closed (the close sweeps /proc for what it left behind, as a spawned child's does).
- The whole reference graded in-process (``grading.grade``, two jobs, sandbox off), with
  the fork server and with it turned off, beside a bare ``python -I -c "import numpy"``.
"""

import subprocess
import sys
import time
from unittest import mock

from grader import grading
from grader.engine.forkserver import ForkServer
from grader.engine.process import ChildProcess
from grader.engine.workspace import Workspace
from grader.submission import Submission

from . import SOLUTIONS
from .measure import Section, Settings, Table, measure_interleaved
from .runs import exercise_names, grade_in_process


def run(settings):
    section = Section("Fork server")
    forks = ForkServer.start()
    try:
        starts = measure_interleaved({"spawned": lambda: child_start(None), "forked": lambda: child_start(forks)},
                                     settings.repeats)
    finally:
        if forks is not None:
            forks.close()
    names = exercise_names(settings)
    grades = measure_interleaved({"fork server": lambda: whole_grade(names, forks=True),
                                  "spawn": lambda: whole_grade(names, forks=False),
                                  "numpy": bare_numpy_import}, settings.repeats)
    numpy = grades["numpy"].median
    table = Table(["what", "spawned", "forked", "forked / spawned"], title="Start and grade, sandbox off")
    table.rows.append(["a child's start (to its hello) and close", starts["spawned"].show("ms"), starts["forked"].show("ms"),
                       f"{starts['forked'].median / starts['spawned'].median:.2f}"])
    table.rows.append([f"the reference, {len(names)} exercises, in-process", grades["spawn"].show(),
                       grades["fork server"].show(), f"{grades['fork server'].median / grades['spawn'].median:.2f}"])
    section.tables.append(table)
    section.notes.append(f"`python -I -c \"import numpy\"`: {grades['numpy'].show('ms')}; the reference with the "
                         f"fork server is {grades['fork server'].median / numpy:.1f}x that, "
                         f"{grades['spawn'].median / numpy:.1f}x without it.")
    section.figures = {"child_start": {key: sample.median for key, sample in starts.items()},
                       "reference": {key: sample.median for key, sample in grades.items()}}
    return section


def child_start(forks):
    workspace, _ = Workspace.create("activations", [], Submission(SOLUTIONS, grading.exercise_names()))
    try:
        ChildProcess(workspace, "activations", time.monotonic() + 60, forks=forks).close()
    finally:
        workspace.remove()


def whole_grade(names, forks):
    if forks:
        report = grade_in_process(names, jobs=2)
    else:
        with mock.patch.object(ForkServer, "start", lambda *args, **kwargs: None):
            report = grade_in_process(names, jobs=2)
    assert report["score"] == report["max_score"], report["score"]


def bare_numpy_import():
    subprocess.run([sys.executable, "-I", "-c", "import numpy"], check=True)


if __name__ == "__main__":
    found = run(Settings())
    for table in found.tables:
        print(table.markdown(), end="\n\n")
    print("\n".join(found.notes))
