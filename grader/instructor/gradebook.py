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
than 0 so that no grade is recorded by mistake) or ``not_graded``. The class summary
beside it is :mod:`summary`'s.
"""

import csv
import io
import json
from pathlib import Path

from ..report.files import write_atomic
from . import signing, summary as class_summary
from .reports import ERROR, GRADED, NOT_GRADED, deadline, exercise_columns, read_reports, status, total_points
from .runs import common_run, write_run

DEADLINE_COLUMNS = ["late", "commit", "committed", "penalty %"]
NOT_GRADED_REASON = "not graded yet: run the batch again with --resume"


class MergeConflict(Exception):
    """Two shards hold different reports for the same student."""


def gradebook_csv(students, reports):
    """The CSV text for ``students`` (ids, in order); ``reports`` maps id -> report.

    With a deadline (``--before``), four columns follow: ``late`` (commits after the
    deadline), the commit graded, its time, and the penalty taken off the total.
    """
    columns = exercise_columns(reports)
    most = sum(columns.values())
    deadlines = any(deadline(report) for report in reports.values())
    table = io.StringIO()
    out = csv.writer(table, lineterminator="\n")
    out.writerow(["student", *columns, "total", "percent", "status", "reason"]
                 + (DEADLINE_COLUMNS if deadlines else []))
    out.writerow(["max points", *(f"{p:g}" for p in columns.values()), f"{most:g}", "100", "", ""]
                 + ([""] * len(DEADLINE_COLUMNS) if deadlines else []))
    for student in students:
        report = reports.get(student)
        if status(report) == GRADED:
            scores = {e["name"]: e["score"] for e in report["exercises"]}
            cells = [f"{scores[name]:g}" if name in scores else "" for name in columns]
            percent = round(100 * total_points(report) / most, 2) if most else 0
            cells += [f"{total_points(report):g}", f"{percent:g}", GRADED, problems(report)]
        elif report is None:
            cells = [""] * (len(columns) + 2) + [NOT_GRADED, NOT_GRADED_REASON]
        else:
            cells = [""] * (len(columns) + 2) + [ERROR, report["batch"]["reason"]]
        cells = [spreadsheet_safe(student), *cells[:-1], spreadsheet_safe(cells[-1])]
        out.writerow(cells + (deadline_cells(report) if deadlines else []))
    return table.getvalue()


def deadline_cells(report):
    due = deadline(report)
    if not due:
        return [""] * len(DEADLINE_COLUMNS)
    return ["yes" if due["late"] else "no", due["commit"][:12], due["committed"], f"{due['penalty_percent']:g}"]


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
    """``text``, kept from being read as a formula by a spreadsheet (=, +, -, @ first), and
    without NUL bytes (no spreadsheet shows one, and Python 3.10's csv cannot write one)."""
    text = text.replace("\x00", "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_gradebook(out, students, reports):
    """Write ``out``/gradebook.csv, summary.md and summary.html; return the Markdown summary."""
    summary = class_summary.summarise(students, reports)
    markdown = class_summary.to_markdown(summary)
    write_atomic(Path(out) / "gradebook.csv", gradebook_csv(students, reports))
    write_atomic(Path(out) / "summary.md", markdown)
    write_atomic(Path(out) / "summary.html", class_summary.to_html(summary))
    return markdown


def merge(folders, out):
    """Join the reports of several batch outputs (shards) into ``out``; return the summary
    and the files that were not reports (or whose signature does not verify: refused).
    Raises Inconsistent (before writing anything)
    when the shards were graded with different options."""
    record = common_run(folders)
    merged, unreadable = {}, []
    for folder in folders:
        reports, bad = read_reports(folder)
        reports, refused = signing.split_trusted(reports, signing.load_key(folder, create=False), folder)
        unreadable += bad + refused
        for student, report in reports.items():
            earlier = merged.get(student)
            if earlier and earlier["batch"]["fingerprint"] != report["batch"]["fingerprint"]:
                raise MergeConflict(f"{student} has different reports in two of the folders "
                                    "(graded from different files or with different options)")
            merged[student] = report
    key = signing.load_key(out)
    for student, report in merged.items():
        write_atomic(Path(out) / "reports" / f"{student}.json", json.dumps(signing.sign(report, key), indent=2))
    write_run(out, record)
    students = sorted(merged)
    return write_gradebook(out, students, merged), unreadable
