"""The Gradescope ``results.json``: the format Gradescope's autograder results are read in.

    {"score": 40.0, "execution_time": 3, "output": "...",
     "tests": [{"name": ..., "number": "2.1", "score": 2.0, "max_score": 2.0,
                "status": "passed" | "failed", "output": ..., "visibility": ...}]}

One test per check that counts, numbered "exercise.check" in teaching order. Hidden
checks are "after_published": students see them once the instructor publishes the
grades. The top-level output is an overview without any check's message, since it is
shown at once, hidden checks included, and without notices about the grading machine
(the worker logs those for the instructor). A submission that could not be taken in
lists every test at 0, with the reason.
"""

import json
import math

from ..checks import EXERCISES
from .audience import student_notices
from .model import HIDDEN

TEACHING_ORDER = [exercise.module for exercise in EXERCISES]


def to_gradescope(report, colour=False):
    return json.dumps(gradescope_results(report), indent=2) + "\n"


def gradescope_results(report):
    tests = []
    for exercise in report.exercises:
        number = TEACHING_ORDER.index(exercise.name) + 1
        for index, check in enumerate(exercise.counted, start=1):
            tests.append({
                "name": f"{exercise.name}: {check.name}",
                "number": f"{number}.{index}",
                "score": float(check.score),
                "max_score": float(check.max_score),
                "status": "passed" if check.passed else "failed",
                "output": test_output(exercise, check),
                "visibility": "after_published" if check.visibility == HIDDEN else "visible",
            })
    return {"score": float(report.score),
            "execution_time": math.ceil(sum(e.seconds for e in report.exercises)),  # whole seconds
            "output": overview(report),
            "tests": tests}


def test_output(exercise, check):
    if exercise.error:
        return f"{check.description}\n\n{exercise.error}"
    if check.passed:
        return check.description
    return f"{check.description}\n\n{check.message}"


def overview(report):
    lines = [f"{e.name:<15} {e.score:g}/{e.max_score:g}  {e.status}" for e in report.exercises]
    lines.append(f"total: {report.score:g}/{report.max_score:g} ({report.percent:.0f}%)")
    return "\n".join(lines + [f"note: {notice}" for notice in student_notices(report.notices)])
