"""Gradebook exports for learning management systems: Canvas, Moodle, or a plain CSV.

    nnlab gradebook export grades --format canvas --roster canvas-export.csv

A batch knows students by their submissions' names (folders, zips, GitHub Classroom
repositories); an LMS knows them by its own ids. A roster maps one to the other: a CSV
with a ``submission`` column (the name in SUBMISSIONS) or, as GitHub Classroom's roster
export has, a ``github_username`` column (matching ``alice`` and a repository named
``hw1-alice``), plus the columns the LMS identifies students by. The simplest roster is
the LMS's own gradebook export with a ``submission`` column added. Submissions with no
roster row (unknown) and roster rows with no graded submission (missing) are listed.

Each export has one grade column, the batch's total points, named after ``assignment``.
Students whose grading failed get an empty cell, never a 0, so no grade is recorded by
mistake.
"""

import csv
import io
from dataclasses import dataclass, field

from ..report.files import write_atomic
from .gradebook import spreadsheet_safe
from .reports import GRADED, exercise_columns, read_reports, status, total_points

# Canvas, "How do I import grades in the Gradebook?" (Instructure Community, Instructor
# Guide, community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
# the CSV has the columns Student Name, Student ID, SIS User ID, SIS Login ID and Section,
# then one column per assignment (a new name creates the assignment), the layout of
# Canvas's own gradebook export, whose second row gives each assignment's "Points
# Possible". Canvas matches a row by ID, SIS User ID or SIS Login ID; a blank Section works.
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_KEYS = ["ID", "SIS User ID", "SIS Login ID"]
# Moodle, "Grade import" (MoodleDocs, docs.moodle.org/en/Grade_import): the CSV import
# reads the layout of Moodle's CSV grade export (First name, Last name, ID number,
# Institution, Department, Email address, then the grade items); on import the teacher
# maps one identifying column ("Map from": Email address, ID number, or username) to the
# user field ("Map to") and each grade column to a grade item, new or existing.
MOODLE_IDENTITY = ["First name", "Last name", "ID number", "Email address", "Username"]
MOODLE_KEYS = ["ID number", "Email address", "Username"]
FORMATS = ("canvas", "moodle", "csv")


class RosterError(Exception):
    """The roster cannot be used: the message names the file and what is wrong."""


@dataclass
class Export:
    text: str
    unknown: list = field(default_factory=list)  # graded submissions with no roster row
    missing: list = field(default_factory=list)  # roster rows with no graded submission


def read_roster(path, keys):
    """``[row, ...]`` of the roster CSV at ``path`` (UTF-8, a BOM allowed)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as table:
            rows = [row for row in csv.DictReader(table)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(f"{path} could not be read as a UTF-8 CSV file: {error}") from None
    columns = set(rows[0]) if rows else set()
    if not columns & {"submission", "github_username"}:
        raise RosterError(f"{path} needs a 'submission' column (the names in SUBMISSIONS) "
                          "or a 'github_username' column (a GitHub Classroom roster)")
    if keys and not columns & set(keys):
        raise RosterError(f"{path} has none of the columns that identify a student here: {', '.join(keys)}")
    return [row for row in rows if (row.get("Student") or "").strip() != "Points Possible"]


def roster_row(student, roster):
    """The roster row of the submission ``student``, or None."""
    for row in roster:
        named = (row.get("submission") or "").strip()
        username = (row.get("github_username") or "").strip()
        if named == student or (username and (student == username or student.endswith(f"-{username}"))):
            return row
    return None


def export(out, fmt, roster_path=None, assignment="nnlab"):
    """The export of the batch output ``out`` in ``fmt`` (see FORMATS)."""
    reports, _ = read_reports(out)
    columns = exercise_columns(reports)
    most = sum(columns.values())
    keys = {"canvas": CANVAS_KEYS, "moodle": MOODLE_KEYS, "csv": []}[fmt]
    roster = read_roster(roster_path, keys) if roster_path else None
    matched, unknown = {}, []
    for student in sorted(reports):
        row = roster_row(student, roster) if roster is not None else {}
        if row is None:
            unknown.append(student)
        else:
            matched[student] = row
    found = {id(row) for row in matched.values()}
    missing = [describe(row) for row in roster or [] if id(row) not in found]
    table = io.StringIO()
    out_csv = csv.writer(table, lineterminator="\r\n")  # RFC 4180, as both LMSs export
    write = {"canvas": canvas_rows, "moodle": moodle_rows, "csv": plain_rows}[fmt]
    for cells in write(matched, reports, columns, most, assignment):
        out_csv.writerow([spreadsheet_safe(str(cell)) for cell in cells])
    return Export(table.getvalue(), unknown, missing)


def total(report):
    return f"{total_points(report):g}" if status(report) == GRADED else ""


def canvas_rows(matched, reports, columns, most, assignment):
    yield CANVAS_IDENTITY + [assignment]
    yield ["Points Possible", "", "", "", "", f"{most:g}"]
    for student, row in matched.items():
        identity = [row.get(column, "") for column in CANVAS_IDENTITY]
        if not row:  # no roster: the submission's name is the student's login
            identity = [student, "", "", student, ""]
        yield identity + [total(reports[student])]


def moodle_rows(matched, reports, columns, most, assignment):
    yield MOODLE_IDENTITY + [assignment]
    for student, row in matched.items():
        identity = [row.get(column, "") for column in MOODLE_IDENTITY]
        if not row:  # no roster: the submission's name is the student's username
            identity = ["", "", "", "", student]
        yield identity + [total(reports[student])]


def plain_rows(matched, reports, columns, most, assignment):
    yield ["student", "submission", *columns, "total", "max points", "status"]
    for student, row in matched.items():
        report = reports[student]
        scores = {e["name"]: e["score"] for e in report["exercises"]} if status(report) == GRADED else {}
        yield ([row.get("id") or row.get("identifier") or student, student]
               + [f"{scores[name]:g}" if name in scores else "" for name in columns]
               + [total(report), f"{most:g}", status(report)])


def describe(row):
    """A roster row in a few words, for the list of missing students."""
    for column in ("submission", "github_username", "Student", "identifier", "Email address", "ID number"):
        if (row.get(column) or "").strip():
            return row[column].strip()
    return "(a row with no name)"


def write_export(result, path, excel=False):
    """Write the export's text to ``path``; with ``excel``, as UTF-8 with a byte order
    mark, which Excel needs to read "José" as José rather than as Latin-1."""
    write_atomic(path, ("\ufeff" if excel else "") + result.text)
