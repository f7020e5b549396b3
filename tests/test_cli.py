"""The nnlab command, run as a user runs it: a separate process, exit codes, stdout."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SOLUTIONS
from grader.grading import exercise_names
from grader.authoring.stubs import MarkerError, make_stub, out_of_date


def nnlab(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_grade_reference_json_full_marks_and_stubs_zero():
    run = nnlab("grade", "solutions", "--format", "json", "-e", "activations", "-e", "softmax")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["score"] == report["max_score"] > 0
    assert [e["name"] for e in report["exercises"]] == ["activations", "softmax"]
    run = nnlab("grade", "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["score"] == 0
    assert [e["name"] for e in report["exercises"]] == exercise_names()
    assert {e["status"] for e in report["exercises"]} == {"not_started"}


def test_fail_under_and_output_file(tmp_path):
    out = tmp_path / "reports" / "r.json"
    run = nnlab("grade", "exercises/softmax.py", "--fail-under", "50", "-o", str(out))
    assert run.returncode == 1
    assert "not_started" in run.stdout and "under --fail-under 50%" in run.stderr
    assert "not_started" in out.read_text(encoding="utf-8")


def test_output_file_matches_format(tmp_path):
    out = tmp_path / "r.json"
    run = nnlab("grade", "solutions/activations.py", "--format", "json", "-o", str(out))
    assert run.returncode == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(run.stdout)


def test_path_that_is_not_a_submission_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    run = nnlab("grade", str(tmp_path))
    assert run.returncode == 2
    assert "holds none of the exercise modules" in run.stderr
    run = nnlab("grade", str(tmp_path / "missing"))
    assert run.returncode == 2


def test_list_and_hint(tmp_path):
    run = nnlab("list")
    names = [line.split()[1] for line in run.stdout.splitlines()]
    assert names == exercise_names()
    # in a fresh folder: nnlab remembers the hints shown in the folder it runs in
    one, two = nnlab("hint", "softmax", cwd=tmp_path), nnlab("hint", "softmax", "--level", "2", cwd=tmp_path)
    shown = lambda run: sum(line.startswith("hint ") for line in run.stdout.splitlines())  # noqa: E731
    assert shown(one) == 1 and shown(two) == 2
    assert "--level 2" in one.stdout
    assert nnlab("hint", "nonsense").returncode == 2


def test_exercises_are_generated_from_solutions():
    stale = out_of_date(SOLUTIONS, ROOT / "exercises")
    assert not stale, f"run `nnlab make-stubs`: out of date: {stale}"


def test_stub_generator_keeps_signature_and_docstring():
    source = (
        'import numpy as np\n\n\n'
        'def f(x):\n    """Doc."""\n    # BEGIN SOLUTION: return twice x\n    return 2 * x\n    # END SOLUTION\n\n\n'
        '# BEGIN SOLUTION\ndef _helper():\n    pass\n# END SOLUTION\n\n\n'
        'class A:\n    def step(self):\n        # BEGIN SOLUTION: move\n        pass\n        # END SOLUTION\n'
    )
    stub = make_stub(source)
    assert 'def f(x):\n    """Doc."""\n    raise NotImplementedError(\'TODO (f): return twice x\')' in stub
    assert "_helper" not in stub and "2 * x" not in stub
    assert "TODO (A.step): move" in stub
    with pytest.raises(MarkerError):
        make_stub("def f():\n    # BEGIN SOLUTION\n    pass\n")


def test_help_lists_student_and_instructor_commands_apart():
    text = nnlab("--help").stdout
    student, instructor = text.index("Student commands:"), text.index("Instructor commands:")
    listed = lambda section: {line.split()[0] for line in section.splitlines()[1:] if line.startswith("  ")}  # noqa: E731
    assert listed(text[student:instructor]) == {"list", "grade", "hint", "watch", "notebook"}
    assert listed(text[instructor:]) == {"release", "export", "init-ci", "batch", "gradebook", "similarity", "make-stubs"}
    alone = nnlab()  # nnlab without a command shows the whole help, not a one-line error
    assert "Student commands:" in alone.stdout + alone.stderr


@pytest.mark.parametrize("args, cwd, says", [
    (("grade",), ROOT / "exercises", "you are inside exercises/: run nnlab from the folder above it (cd ..)"),
    (("grade", "--solutions", "datasets", "-e", "softmax"), ROOT,
     "lacks activations.py, softmax.py: give the folder of the complete reference solutions"),
    (("grade", "no-such-folder"), ROOT, "no-such-folder does not exist"),
    (("grade", "--seed", "soup"), ROOT, "a seed is a non-negative integer"),
    (("grdae",), ROOT, "No such command 'grdae'"),
    (("grade", "--fail-undr", "3"), ROOT, "No such option '--fail-undr'"),
])
def test_a_usage_error_is_one_line_that_says_what_to_do(args, cwd, says):
    run = nnlab(*args, cwd=cwd)
    assert run.returncode == 2
    assert len(run.stderr.strip().splitlines()) == 1 and says in run.stderr, run.stderr


def test_grade_outside_the_course_folder_says_where_to_run_it(tmp_path):
    run = nnlab("grade", cwd=tmp_path)
    assert run.returncode == 2 and "run nnlab in the course's folder" in run.stderr
