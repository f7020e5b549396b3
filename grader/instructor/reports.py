"""Reading a batch's report files: whose grading worked, and which exercises they cover."""

import json
from pathlib import Path

from ..checks import EXERCISES

TEACHING_ORDER = [exercise.module for exercise in EXERCISES]
GRADED, ERROR, NOT_GRADED = "graded", "error", "not_graded"


def status(report):
    if report is None:
        return NOT_GRADED
    return report.get("batch", {}).get("status", GRADED)


def deadline(report):
    """The deadline record of a report (``--before``), or None."""
    return (report or {}).get("batch", {}).get("deadline")


def total_points(report):
    """The report's score, less its late penalty if it has one."""
    penalty = (deadline(report) or {}).get("penalty_percent", 0)
    return round(report["score"] * (1 - penalty / 100), 2)


def exercise_columns(reports):
    """The exercises graded in any of ``reports``, in teaching order, with their points.

    The points are the most any report gives: an exercise whose module could not be
    loaded does not count its hidden checks in its own report.
    """
    points = {}
    for report in reports.values():
        if status(report) == GRADED:
            for exercise in report["exercises"]:
                points[exercise["name"]] = max(points.get(exercise["name"], 0), exercise["max_score"])
    return {name: points[name] for name in TEACHING_ORDER if name in points}


def read_reports(folder):
    """``{student: report}`` from ``folder``/reports/*.json, and the files that are not reports."""
    reports, unreadable = {}, []
    for path in sorted((Path(folder) / "reports").glob("*.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            reports[report["batch"]["student"]] = report
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(path)
    return reports, unreadable


def replace_text(report, old, new):
    """A copy of ``report`` with ``old`` replaced by ``new`` in all its strings (a path, say)."""
    escaped = json.dumps(old)[1:-1]  # as it appears inside JSON strings
    return json.loads(json.dumps(report).replace(escaped, json.dumps(new)[1:-1]))
