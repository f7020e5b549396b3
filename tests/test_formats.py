"""The report formats for machines and dashboards, produced by `nnlab grade --format ...`."""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import xmlschema
from click.testing import CliRunner

from conftest import ROOT, grade_folder, write_submission
from grader.engine import runtime, sandbox
from grader.instructor import worker
from grader.report.audience import machine_notices, student_notices

NAMES = ["activations", "softmax", "losses"]
XUNIT_SCHEMA = ROOT / "tests" / "data" / "jenkins-xunit-junit-10.xsd"  # its source is noted inside
# Student code controls exception messages: control characters, markup and backticks.
NASTY = "bad \\x01 value <b>&</b> ]]> ``` | end"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """activations partly wrong (a nasty message), softmax fine, losses a syntax error."""
    folder = write_submission(tmp_path_factory.mktemp("mixed") / "sub", replacements={
        "activations.relu": f"def relu(z):\n    raise ValueError({NASTY!r})",
    }, modules={"losses": "def one_hot(y, k)\n    return y\n"})
    return folder


def nnlab(*args, env=None):
    run = subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout


def grade(folder, fmt):
    return nnlab("grade", str(folder), "--format", fmt, *[a for n in NAMES for a in ("-e", n)])


@pytest.fixture(scope="module")
def json_report(mixed):
    return json.loads(grade(mixed, "json"))


def test_junit_is_valid_xml_with_one_case_per_check(mixed, json_report):
    root = ET.fromstring(grade(mixed, "junit").encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == NAMES
    for suite, exercise in zip(suites, json_report["exercises"]):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [c["name"] for c in exercise["checks"]]
        assert int(suite.get("tests")) == len(cases)
        for case, check in zip(cases, exercise["checks"]):
            outcome = [child.tag for child in case]
            if exercise["status"] == "error":
                assert outcome == ["error"]
            else:
                assert outcome == ([] if check["passed"] else ["failure"])
    assert int(root.get("failures")) == sum(len(s.findall("testcase/failure")) for s in suites) > 0
    assert int(root.get("errors")) == len(json_report["exercises"][2]["checks"])
    relu = root.find("testsuite[@name='activations']/testcase[@name='relu_known_values']/failure")
    assert "<b>&</b> ]]>" in relu.text and "\x01" not in relu.text


def test_junit_validates_against_the_jenkins_xunit_schema_with_real_durations(mixed):
    text = grade(mixed, "junit")
    xmlschema.XMLSchema(str(XUNIT_SCHEMA)).validate(text)
    root = ET.fromstring(text.encode())
    for suite in root.findall("testsuite"):
        times = [float(case.get("time")) for case in suite.findall("testcase")]
        assert sum(times) <= float(suite.get("time"))
        assert (sum(times) > 0) == (suite.get("name") != "losses")  # losses: a syntax error, nothing ran
    report = grade_folder(mixed, names=["softmax"])
    assert all(check.seconds > 0 for check in report.exercises[0].checks)  # measured, before rounding


def test_gradescope_output_keeps_the_grading_machine_to_the_instructor(mixed, monkeypatch):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    _, notice = sandbox.choose("auto")
    assert machine_notices([notice]) == [notice] and student_notices([notice]) == []
    run = CliRunner().invoke(worker.main, [str(mixed), "--format", "gradescope", "-e", "softmax"])
    assert run.exit_code == 0, run.output
    results = json.loads(run.stdout)
    assert "sandbox" not in run.stdout and "bwrap" not in run.stdout
    assert f"note: {notice}" in run.stderr
    assert results["tests"] and all(t["status"] == "passed" for t in results["tests"])


def test_the_autograder_refuses_root_in_one_line(mixed, monkeypatch):
    """Where only root could run student code, run_autograder's log says why, without a traceback."""
    def refuse(*args, **kwargs):
        raise runtime.RootRefused("no unprivileged user can run the child's Python here: see --allow-root")
    monkeypatch.setattr(worker.grading, "grade", refuse)
    run = CliRunner().invoke(worker.main, [str(mixed), "--format", "gradescope", "-e", "softmax"])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert "no unprivileged user can run the child's Python here" in run.stderr


def test_gradescope_results_have_exactly_the_documented_fields(mixed, json_report):
    results = json.loads(grade(mixed, "gradescope"))
    assert set(results) == {"score", "execution_time", "output", "tests"}
    assert isinstance(results["score"], float) and isinstance(results["execution_time"], int)
    assert results["execution_time"] >= 1  # grading took some time: whole seconds, rounded up
    assert isinstance(results["output"], str) and isinstance(results["tests"], list)
    fields = {"name": str, "number": str, "score": float, "max_score": float, "status": str,
              "output": str, "visibility": str}
    for test in results["tests"]:
        assert set(test) == set(fields)
        assert all(isinstance(test[key], kind) for key, kind in fields.items()), test
        assert re.fullmatch(r"\d+\.\d+", test["number"])
        assert test["status"] in ("passed", "failed")
        assert test["score"] == (test["max_score"] if test["status"] == "passed" else 0)
    checks = [c for e in json_report["exercises"] for c in e["checks"] if c["counted"]]
    assert [t["visibility"] for t in results["tests"]] == [
        "after_published" if c["visibility"] == "hidden" else "visible" for c in checks]
    assert sum(t["score"] for t in results["tests"]) == results["score"] == json_report["score"]
    assert results["tests"][0]["number"] == "1.1"
    assert "relu" not in results["output"]  # shown at once: no check's message in it


def test_markdown_report_and_the_job_summary(mixed, tmp_path):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    env = {"GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin"}
    text = nnlab("grade", str(mixed), "--format", "markdown", "--summary", "-e", "activations", "-e", "losses",
                 env=env)
    assert text.startswith("## nnlab: ")
    assert "| `activations` " in text and "💥 error" in text
    # the message, backticks and all, sits in a code block that its ``` cannot close
    fence = re.search(r"^(`{4,})text$", text, re.M).group(1)
    assert "``` | end" in text.split(fence + "text")[1].split(fence)[0]
    assert summary.read_text(encoding="utf-8") == "earlier step output\n" + text + "\n"


def test_markdown_escapes_notices_and_shows_hidden_checks_by_name_and_points():
    from grader.report.markdown import to_markdown
    from grader.report.model import HIDDEN, CheckResult, ExerciseResult, Report

    secret = CheckResult("softmax_matches_reference", "agrees with the reference", 2, HIDDEN,
                         message="softmax(z, axis=0) for z of shape (10, 6) returned ...")
    shown = CheckResult("rows_sum_to_one", "rows sum to one", 1, message="bell\x07 and nul\x00 here")
    report = Report("s", [ExerciseResult("softmax", "Softmax", [secret, shown])],
                    notices=["<script>x</script>.py is a symbolic link and was not graded"])
    text = to_markdown(report)
    assert "**softmax_matches_reference (2 pt, hidden check)**: failed" in text
    assert "for z of shape" not in text and "agrees with the reference" not in text
    assert "bell and nul here" in text and "\x07" not in text and "\x00" not in text
    assert "> &lt;script&gt;x&lt;/script&gt;\\.py is a symbolic link" in text


def test_classroom_result_gives_the_reporter_each_exercise_and_the_total(mixed, json_report):
    results = json.loads(grade(mixed, "classroom"))
    assert set(results) == {"version", "status", "max_score", "tests"} and results["version"] == 1
    assert results["status"] == "pass"  # the threshold is --fail-under's call, not the reporter's
    assert [t["name"].split(":")[0] for t in results["tests"]] == NAMES
    fields = {"name", "status", "score", "message", "test_code", "filename", "line_no", "execution_time"}
    assert all(set(t) == fields for t in results["tests"])
    assert [t["status"] for t in results["tests"]] == ["fail", "pass", "error"]
    # what the reporter hands Classroom (its notify-classroom.js): the tests' scores against max_score
    total_points = sum(t["score"] for t in results["tests"])
    assert (total_points, results["max_score"]) == (json_report["score"], json_report["max_score"])
    assert "relu_known_values" in results["tests"][0]["message"]
