"""The gradebook: one CSV row per student, made from a batch's report files.

    student,activations,softmax,losses,total,percent,status,reason
    max points,15,12,16,43,100,,
    alice,15,12,16,43,100,graded,
    bob,15,6,16,37,86.05,graded,softmax: timed out
    carol,,,,,,error,carol.zip: the member '../x.py' points outside the archive
    dave,,,,,,not_graded,not graded yet: run the batch again with --resume

The percent is of the "max points" row, the same for everyone. The status is the
grading's, not the student's: ``graded`` (whatever the score), ``error`` (the
submission could not be graded; the reason says why, and the cells stay empty rather
than 0 so that no grade is recorded by mistake) or ``not_graded``. The summary gives,
per exercise, the mean score and how many got full marks.
"""

import csv
import io
import json
from pathlib import Path

from ..checks import EXERCISES
from ..report.files import write_atomic
from .runs import common_run, write_run

TEACHING_ORDER = [exercise.module for exercise in EXERCISES]
GRADED, ERROR, NOT_GRADED = "graded", "error", "not_graded"
NOT_GRADED_REASON = "not graded yet: run the batch again with --resume"


class MergeConflict(Exception):
    """Two shards hold different reports for the same student."""


def status(report):
    if report is None:
        return NOT_GRADED
    return report.get("batch", {}).get("status", GRADED)


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


def gradebook_csv(students, reports):
    """The CSV text for ``students`` (ids, in order); ``reports`` maps id -> report."""
    columns = exercise_columns(reports)
    most = sum(columns.values())
    table = io.StringIO()
    out = csv.writer(table, lineterminator="\n")
    out.writerow(["student", *columns, "total", "percent", "status", "reason"])
    out.writerow(["max points", *(f"{p:g}" for p in columns.values()), f"{most:g}", "100", "", ""])
    for student in students:
        report = reports.get(student)
        if status(report) == GRADED:
            scores = {e["name"]: e["score"] for e in report["exercises"]}
            cells = [f"{scores[name]:g}" if name in scores else "" for name in columns]
            percent = round(100 * report["score"] / most, 2) if most else 0
            cells += [f"{report['score']:g}", f"{percent:g}", GRADED, problems(report)]
        elif report is None:
            cells = [""] * (len(columns) + 2) + [NOT_GRADED, NOT_GRADED_REASON]
        else:
            cells = [""] * (len(columns) + 2) + [ERROR, report["batch"]["reason"]]
        out.writerow([spreadsheet_safe(student), *cells[:-1], spreadsheet_safe(cells[-1])])
    return table.getvalue()


def problems(report):
    """What went wrong in a graded report's exercises, in a few words per exercise."""
    found = []
    for exercise in report["exercises"]:
        if exercise.get("error"):
            found.append(f"{exercise['name']}: {exercise['error'].splitlines()[0][:120]}")
        elif any(c.get("message", "").startswith("timed out") for c in exercise.get("checks", [])):
            found.append(f"{exercise['name']}: timed out")
    return "; ".join(found)


def spreadsheet_safe(text):
    """``text``, kept from being read as a formula by a spreadsheet (=, +, -, @ first)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_markdown(students, reports):
    """Per exercise: the mean score and how many got full marks; then the errors."""
    graded = [reports[s] for s in students if status(reports.get(s)) == GRADED]
    errors = [s for s in students if status(reports.get(s)) == ERROR]
    waiting = len(students) - len(graded) - len(errors)
    lines = [f"### nnlab batch: {len(students)} submissions", "",
             f"{len(graded)} graded, {len(errors)} could not be graded, {waiting} not graded yet.", ""]
    if graded:
        lines += ["| exercise | points | mean | full marks |", "|---|---:|---:|---:|"]
        for name, points in exercise_columns(reports).items():
            scores = [e["score"] for r in graded for e in r["exercises"] if e["name"] == name]
            lines.append(row(f"`{name}`", points, scores, len(graded)))
        lines.append(row("**total**", sum(exercise_columns(reports).values()),
                         [r["score"] for r in graded], len(graded)))
    if errors:
        lines += ["", "Could not be graded:"]
        lines += [f"- {student}: {reports[student]['batch']['reason']}" for student in errors]
    return "\n".join(lines) + "\n"


def row(label, points, scores, graded):
    mean = sum(scores) / len(scores) if scores else 0.0
    full = sum(1 for score in scores if score >= points)
    return f"| {label} | {points:g} | {mean:.1f} | {full}/{graded} |"


def write_gradebook(out, students, reports):
    """Write ``out``/gradebook.csv and ``out``/summary.md; return the summary."""
    summary = summary_markdown(students, reports)
    write_atomic(Path(out) / "gradebook.csv", gradebook_csv(students, reports))
    write_atomic(Path(out) / "summary.md", summary)
    return summary


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


def merge(folders, out):
    """Join the reports of several batch outputs (shards) into ``out``; return the summary
    and the files that were not reports. Raises Inconsistent (before writing anything)
    when the shards were graded with different options."""
    record = common_run(folders)
    merged, unreadable = {}, []
    for folder in folders:
        reports, bad = read_reports(folder)
        unreadable += bad
        for student, report in reports.items():
            earlier = merged.get(student)
            if earlier and earlier["batch"]["fingerprint"] != report["batch"]["fingerprint"]:
                raise MergeConflict(f"{student} has different reports in two of the folders "
                                    "(graded from different files or with different options)")
            merged[student] = report
    for student, report in merged.items():
        write_atomic(Path(out) / "reports" / f"{student}.json", json.dumps(report, indent=2))
    write_run(out, record)
    students = sorted(merged)
    return write_gradebook(out, students, merged), unreadable
