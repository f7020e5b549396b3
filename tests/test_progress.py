"""The student's progress: hints revealed one more at a time, grades shown by `nnlab list`,
a state file that git ignores and that survives being damaged; the progress line."""

import io
import json
import shutil
import subprocess
import sys

from conftest import ROOT
from grader import grading
from grader.cli.live import ProgressLine
from grader.progress import Progress, record_grades
from grader.report.model import CheckResult, ExerciseResult, Report
from grader.authoring.stubs import BEGIN, END


def nnlab(*args, cwd):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def hints_shown(run):
    return [line.split(":")[0] for line in run.stdout.splitlines() if line.startswith("hint ")]


def test_each_hint_call_reveals_one_more_and_level_never_forgets(tmp_path):
    total = len(grading.find_exercise("softmax").hints)
    assert total >= 2
    first, second = nnlab("hint", "softmax", cwd=tmp_path), nnlab("hint", "softmax", cwd=tmp_path)
    assert hints_shown(first) == ["hint 1/%d" % total]
    assert hints_shown(second) == ["hint 1/%d" % total, "hint 2/%d" % total]
    assert "again" in second.stdout
    assert len(hints_shown(nnlab("hint", "softmax", "--level", "1", cwd=tmp_path))) == 1
    for _ in range(total + 1):
        last = nnlab("hint", "softmax", cwd=tmp_path)
    assert len(hints_shown(last)) == total and "again" not in last.stdout
    assert len(hints_shown(nnlab("hint", "losses", cwd=tmp_path))) == 1  # each exercise on its own
    state = json.loads((tmp_path / ".nnlab" / "state.json").read_text(encoding="utf-8"))
    assert state["hints"] == {"softmax": total, "losses": 1}


def students_copy_of_the_reference(folder, name):
    """The reference module ``name`` as a student would write it: without its solution markers."""
    folder.mkdir(exist_ok=True)
    lines = (ROOT / "solutions" / f"{name}.py").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = "".join(line for line in lines if not BEGIN.match(line) and not END.match(line))
    (folder / f"{name}.py").write_text(kept, encoding="utf-8")
    return folder / f"{name}.py"


def test_grade_records_statuses_that_list_shows(tmp_path):
    mine = students_copy_of_the_reference(tmp_path / "mine", "activations")
    assert nnlab("grade", str(mine), cwd=tmp_path).returncode == 0
    assert nnlab("grade", str(ROOT / "exercises" / "softmax.py"), cwd=tmp_path).returncode == 0
    listing = {line.split()[1]: line for line in nnlab("list", cwd=tmp_path).stdout.splitlines()}
    assert listing["activations"].split()[-2] == "passed"
    assert listing["softmax"].split()[-2] == "not_started"
    assert listing["losses"].endswith(("points", "hidden)"))  # never graded here: no status


def test_grading_the_reference_leaves_no_grades(tmp_path):
    """The quick start: `nnlab grade solutions` shows full marks, and `nnlab list` no grades."""
    run = nnlab("grade", str(ROOT / "solutions"), "-e", "activations", "-e", "softmax", cwd=tmp_path)
    assert run.returncode == 0 and "not recorded as your progress" in run.stderr
    copy = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "solutions", copy)  # a copy elsewhere still has the solution markers
    assert nnlab("grade", str(copy / "activations.py"), cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".nnlab" / "state.json").exists()
    listing = nnlab("list", cwd=tmp_path).stdout.splitlines()
    assert all(line.rstrip().endswith(("points", "hidden)")) for line in listing)


def test_a_report_that_is_not_the_students_work_is_not_recorded(tmp_path):
    report = Report("solutions", [ExerciseResult("softmax", "Softmax", checks=[CheckResult("c", "", 1, passed=True)])],
                    student_work=False)
    assert record_grades(report, tmp_path) == ""
    assert not (tmp_path / ".nnlab").exists()


def test_state_file_is_ignored_by_git_and_written_whole(tmp_path):
    progress = Progress(tmp_path)
    progress.reveal_hints("softmax", 2, available=3)
    progress.save()
    folder = tmp_path / ".nnlab"
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "state.json"]  # no temporary left
    assert "*" in (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""
    assert Progress(tmp_path).hints_seen("softmax") == 2


def test_a_damaged_state_file_is_a_fresh_start_not_a_crash(tmp_path):
    (tmp_path / ".nnlab").mkdir()
    state = tmp_path / ".nnlab" / "state.json"
    state.write_text("{half a file", encoding="utf-8")
    progress = Progress(tmp_path)
    assert "could not be read" in progress.problem and progress.hints == {}
    run = nnlab("hint", "softmax", cwd=tmp_path)
    assert run.returncode == 0 and len(hints_shown(run)) == 1
    assert json.loads(state.read_text(encoding="utf-8"))["hints"] == {"softmax": 1}

    state.write_text(json.dumps({"version": 99, "hints": {"softmax": "lots"}}), encoding="utf-8")
    report = Report("x", [ExerciseResult("softmax", "Softmax", checks=[CheckResult("c", "", 1, passed=True)])])
    assert "not a state file" in record_grades(report, tmp_path)
    assert json.loads(state.read_text(encoding="utf-8"))["exercises"]["softmax"]["status"] == "passed"


def test_progress_line_shows_the_exercises_being_graded():
    stream = io.StringIO()
    line = ProgressLine(stream, interval=0.01)
    with line:
        line.started("model")
        line.started("minibatch")
        assert line.line(0).startswith("⠋ grading model, minibatch")
        line.finished(ExerciseResult("model", "Model"))
        assert "grading minibatch " in line.line(1)
        line.finished(ExerciseResult("minibatch", "Mini-batches"))
        assert line.line(2) == ""
    assert stream.getvalue().endswith("\r\033[K")  # the line is erased at the end
    assert ProgressLine.on_terminal(wanted=False) is None
