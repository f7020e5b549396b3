"""`nnlab gradebook export`: the files Canvas and Moodle import, parsed back as they would."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from grader.cli import main

MAX = {"activations": 15, "softmax": 12}


def report(student, scores=None, reason=""):
    """A batch report as OUT/reports/STUDENT.json holds it: ``scores`` per exercise, or an error."""
    exercises = [{"name": name, "score": scores[name], "max_score": points, "status": "partial",
                  "error": "", "checks": []} for name, points in MAX.items()] if scores else []
    return {"submission": student, "score": sum((scores or {}).values()), "max_score": sum(MAX.values()),
            "exercises": exercises, "notices": [],
            "batch": {"student": student, "status": "graded" if scores else "error", "reason": reason,
                      "fingerprint": "f", "sources": [student], "seconds": 1.0}}


@pytest.fixture
def graded(tmp_path):
    """A batch output: José and Bob from GitHub Classroom, Carol's zip broken, Eve not in any roster."""
    out = tmp_path / "grades"
    (out / "reports").mkdir(parents=True)
    for data in (report("hw1-jose", {"activations": 15, "softmax": 12}),
                 report("hw1-bob", {"activations": 7.5, "softmax": 0}),
                 report("carol", reason="carol.zip could not be read as a zip file"),
                 report("hw1-eve", {"activations": 15, "softmax": 6})):
        (out / "reports" / f"{data['batch']['student']}.json").write_text(json.dumps(data), encoding="utf-8")
    return out


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as table:
        csv.writer(table).writerows(rows)
    return path


def export(*args):
    run = CliRunner().invoke(main, ["gradebook", "export", *map(str, args)])
    assert run.exit_code == 0, run.output
    return run


def parse(path, bom=False):
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode()) == bom
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_canvas_import_file_from_a_canvas_roster(graded, tmp_path):
    roster = write_csv(tmp_path / "roster.csv", [  # Canvas's own export, with a submission column added
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "submission"],
        ["    Points Possible", "", "", "", "", ""],
        ["Gómez, José", "1001", "S1001", "jgomez", "NN 101", "hw1-jose"],
        ["Brown, Bob", "1002", "S1002", "bbrown", "NN 101", "hw1-bob"],
        ["Chen, Carol", "1003", "S1003", "cchen", "NN 101", "carol"],
        ["Diaz, Dave", "1004", "S1004", "ddiaz", "NN 101", "dave"],
    ])
    run = export(graded, "--format", "canvas", "--roster", roster, "--excel")
    rows = parse(graded / "gradebook-canvas.csv", bom=True)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "nnlab"]
    assert rows[1] == ["Points Possible", "", "", "", "", "27"]
    assert rows[2:] == [["Chen, Carol", "1003", "S1003", "cchen", "NN 101", ""],  # an error: no grade
                        ["Brown, Bob", "1002", "S1002", "bbrown", "NN 101", "7.5"],
                        ["Gómez, José", "1001", "S1001", "jgomez", "NN 101", "27"]]
    assert "1 submission(s) not in the roster, left out: hw1-eve" in run.stderr
    assert "1 student(s) of the roster without a graded submission: dave" in run.stderr


def test_moodle_import_file_from_a_classroom_roster(graded, tmp_path):
    roster = write_csv(tmp_path / "classroom_roster.csv", [
        ["identifier", "github_username", "github_id", "name", "Email address"],
        ["jose@uni.edu", "jose", "1", "José Gómez", "jose@uni.edu"],
        ["bob@uni.edu", "bob", "2", "Bob Brown", "bob@uni.edu"],
        ["eve@uni.edu", "eve", "5", "Eve", "eve@uni.edu"],
    ])
    target = tmp_path / "moodle.csv"
    run = export(graded, "--format", "moodle", "--roster", roster, "-o", target, "--assignment", "Homework 1")
    rows = parse(target)
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Username", "Homework 1"]
    assert {row[3]: row[5] for row in rows[1:]} == {"bob@uni.edu": "7.5", "eve@uni.edu": "21", "jose@uni.edu": "27"}
    assert "carol" in run.stderr and "not in the roster" in run.stderr


def test_plain_csv_has_every_exercise_and_no_roster_needed(graded):
    export(graded, "--format", "csv")
    rows = {row["submission"]: row for row in csv.DictReader(open(graded / "gradebook-csv.csv", newline=""))}
    assert rows["hw1-bob"] == {"student": "hw1-bob", "submission": "hw1-bob", "activations": "7.5", "softmax": "0",
                               "total": "7.5", "max points": "27", "status": "graded"}
    assert rows["carol"]["total"] == "" and rows["carol"]["status"] == "error"


def test_a_roster_that_names_no_submission_is_refused(graded, tmp_path):
    roster = write_csv(tmp_path / "roster.csv", [["Student", "ID"], ["Bob", "1"]])
    run = CliRunner().invoke(main, ["gradebook", "export", str(graded), "--format", "canvas", "--roster", str(roster)])
    assert run.exit_code == 2 and "needs a 'submission' column" in run.output
