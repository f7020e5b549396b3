"""Feedback to hand back after a batch: ``OUT/feedback/<student>.html`` and ``.md``.

The HTML is the page ``nnlab grade --report`` writes (:mod:`grader.report.html`), the
Markdown the report of ``--format markdown``: what the student would have seen grading
their own copy, with the hidden checks' results added, each by its name and points only.
Notices about the grading machine (the sandbox falling back) are left out: they are the
instructor's, in ``OUT/reports/``.

The checks' figures (loss curves, decision regions) travel from the worker as plain data
(lists of numbers) next to its report, and are drawn by :func:`feedback_texts` (in a batch,
by the worker again, given the final report); the report file keeps none.
"""

import os
from pathlib import Path

from ..report import plots
from ..report.audience import student_notices
from ..report.files import write_atomic
from ..report.html import to_html
from ..report.markdown import to_markdown
from ..report.model import NOT_STARTED, CheckResult, ExerciseResult, Report
from .reports import replace_text

FEEDBACK = "feedback"


def report_from_dict(data, figures=None):
    """The Report of a batch report (JSON), for the HTML and Markdown formats."""
    figures = figures if isinstance(figures, dict) else {}
    exercises = [exercise_from_dict(exercise, figures) for exercise in data.get("exercises", [])]
    return Report(data.get("submission", ""), exercises, seed=data.get("seed", 0),
                  hidden_checks_ran=data.get("hidden_checks_ran", True), sandboxed=data.get("sandboxed", False),
                  notices=student_notices(data.get("notices", [])))


def exercise_from_dict(data, figures):
    result = ExerciseResult(data["name"], data.get("title", ""), error=data.get("error", ""),
                            output=data.get("output", ""), reference_modules=data.get("reference_modules", []),
                            seconds=data.get("seconds", 0.0))
    for check in data.get("checks", []):
        result.checks.append(CheckResult(
            check["name"], check.get("description", ""), check["max_score"], check.get("visibility", "visible"),
            passed=check.get("passed", False), message=check.get("message", ""), ran=check.get("ran", True),
            counted=check.get("counted", True), figures=figures.get(f"{data['name']}/{check['name']}", []),
            # the JSON keeps the status, not this flag; failing checks of a not-started
            # exercise are exactly the not-implemented ones
            not_implemented=data.get("status") == NOT_STARTED and not check.get("passed", False)))
    return result


def feedback_paths(out, student):
    folder = Path(out) / FEEDBACK
    return folder / f"{student}.html", folder / f"{student}.md"


def write_feedback(out, student, report, figures=None, folder=None):
    """Write the student's feedback page and Markdown from their batch report (a dict)."""
    write_texts(out, student, feedback_texts(student, report, figures, folder))


def feedback_texts(student, report, figures=None, folder=None):
    """``(html, markdown)``: the student's feedback from their batch report (a dict).

    ``folder`` (the submissions' folder) is taken out of every message: the student's
    files are named from their own submission on, not by where the instructor keeps them.
    Drawing ``figures`` imports matplotlib (tens of MB): the batch has its workers do it.
    """
    if folder:
        report = replace_text(report, os.path.join(str(folder), ""), "")
    if not plots.available():  # a page without figures, not one that tells students to install matplotlib
        figures = None
    readable = report_from_dict(report, figures)
    readable.submission = student
    return to_html(readable), to_markdown(readable)


def write_texts(out, student, texts):
    html, markdown = feedback_paths(out, student)
    for path, text in zip((html, markdown), texts):
        write_atomic(path, text)
