"""Grading as a user does it (the nnlab CLI in a subprocess) and as a program does
(``grading.grade`` in this process), on the reference solutions."""

import json
import subprocess
import sys
from pathlib import Path

from grader import grading
from grader.engine import sandbox as sandbox_module
from grader.submission import Reference, Submission

from . import ROOT, SOLUTIONS

CONVERGENCE = ("logistic", "optimizers", "minibatch", "model")  # their checks train models: 3 s allowed


class BenchmarkError(Exception):
    """A run of the grader failed (a usage error, a crash): it gave no figure."""


def exercise_names(settings):
    return list(settings.exercises) or grading.exercise_names()


def sandbox_modes():
    """"off", and "on" where bubblewrap runs here."""
    try:
        sandbox_module.choose("on")
    except sandbox_module.SandboxUnavailable:
        return ["off"]
    return ["off", "on"]


def nnlab_command():
    script = Path(sys.executable).with_name("nnlab")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "grader"]


def grade_cli(names=(), sandbox="off", jobs=None):
    """``nnlab grade solutions -e NAME... --format json``; returns the report as a dict."""
    argv = nnlab_command() + ["grade", str(SOLUTIONS), "--format", "json", "--sandbox", sandbox]
    argv += [arg for name in names for arg in ("-e", name)]
    argv += ["--jobs", str(jobs)] if jobs else []
    completed = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BenchmarkError(f"{' '.join(argv)} exited with {completed.returncode}: {completed.stderr[-500:]}")
    return json.loads(completed.stdout)


def grade_in_process(names, sandbox="off", jobs=1):
    submission = Submission(SOLUTIONS, grading.exercise_names())
    report = grading.grade(submission, names=list(names), reference=Reference(SOLUTIONS),
                           sandbox=sandbox, jobs=jobs)
    return report.to_dict()


def score(report):
    """``166/166``, or what was lost: a benchmark of a failing grade must say so."""
    text = f"{report['score']:g}/{report['max_score']:g}"
    lost = [c["name"] for e in report["exercises"] for c in e["checks"] if c["ran"] and not c["passed"]]
    return text + (f" (failed: {', '.join(lost)})" if lost else "")
