"""`nnlab batch`: a class of submissions graded in worker processes, interrupted and resumed."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import ROOT, SOLUTIONS, write_submission
from grader import grading
from grader.instructor import batch
from grader.instructor.batch import Batch, Options, discover, find_reference

NAMES = ["activations", "softmax", "losses"]
MAX_POINTS = {name: int(grading.find_exercise(name).max_points) for name in NAMES}
TOTAL = str(sum(MAX_POINTS.values()))
BUGS = {
    "softmax.softmax": "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)",
    "activations.relu": "def relu(z):\n    return np.abs(z)",
}
HANG = {"activations.sigmoid": "def sigmoid(z):\n    while True:\n        pass"}
KILLS_ITS_GRADER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"


def zip_folder(folder, target, prefix=""):
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*.py")):
            archive.write(path, prefix + str(path.relative_to(folder)))
    shutil.rmtree(folder)


def build_class(root):
    """50 submissions: what a class hands in, and what it should get. Returns
    ``{student: expected}`` where expected is "full", "zero", a bug's exercise, or a
    status with a piece of its reason."""
    expected = {}
    for n in range(18):
        folder = write_submission(root / f"ref-{n:02}")
        if n >= 15:  # a repository: the modules in exercises/, and a decoy in grader/checks/
            nested = root / f"ref-{n:02}-repo"
            shutil.move(folder, nested / "exercises")
            (nested / "grader" / "checks").mkdir(parents=True)
            shutil.copyfile(ROOT / "exercises" / "activations.py", nested / "grader" / "checks" / "activations.py")
            nested.rename(folder)
        expected[f"ref-{n:02}"] = "full"
    for n in range(5):
        prefix = "nnlab-main/exercises/" if n == 0 else ""  # a zipped repository
        zip_folder(write_submission(root / f"zip-{n}"), root / f"zip-{n}.zip", prefix)
        expected[f"zip-{n}"] = "full"
    for bug, code in BUGS.items():
        for n in range(5):
            student = f"bug-{bug.split('.')[1]}-{n}"
            write_submission(root / student, replacements={bug: code})
            expected[student] = bug.split(".")[0]
    for n in range(10):
        shutil.copytree(ROOT / "exercises", root / f"stub-{n}")
        expected[f"stub-{n}"] = "zero"
    write_submission(root / "hang", replacements=HANG)
    expected["hang"] = ("graded", "activations: timed out")
    write_submission(root / "hostile", modules={"activations": KILLS_ITS_GRADER})
    expected["hostile"] = ("graded or error", "")
    with zipfile.ZipFile(root / "evil.zip", "w") as archive:
        archive.writestr("../../softmax.py", "print('outside')")
    expected["evil"] = ("error", "points outside the archive")
    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 this is no zip")
    expected["corrupt"] = ("error", "could not be read as a zip file")
    from grader.notebooks.build import write_notebooks

    [(notebook, _)] = write_notebooks(SOLUTIONS, root / "notebooks", names=["softmax"])
    notebook.rename(root / "notebook.ipynb")
    shutil.rmtree(root / "notebooks")
    expected["notebook"] = "softmax only"
    write_submission(root / "dup")
    zip_folder(write_submission(root / "dup-zip"), root / "dup.zip")
    expected["dup"] = ("error", "several submissions are named dup")
    link = write_submission(root / "symlink")
    (link / "softmax.py").unlink()
    (link / "softmax.py").symlink_to(SOLUTIONS / "softmax.py")
    expected["symlink"] = "no softmax"
    (root / "notes.txt").write_text("not a submission")
    assert len(expected) == 50
    return expected


def batch_command(submissions, out, names=NAMES):
    return [sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out), "--jobs", "2",
            "--timeout", "1", *[a for n in names for a in ("-e", n)]]


def run_batch(submissions, out, *options, names=NAMES):
    return subprocess.run(batch_command(submissions, out, names) + list(options), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def start_batch(submissions, out, names=NAMES):
    log = open(out.parent / f"{out.name}.log", "w")
    return subprocess.Popen(batch_command(submissions, out, names), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_for_reports(out, count, process):
    deadline = time.monotonic() + 120
    while len(list((out / "reports").glob("*.json"))) < count:
        assert process.poll() is None and time.monotonic() < deadline, "the batch ended too early"
        time.sleep(0.05)


def report_files(out):
    """``{student: (mtime_ns, text)}`` of the reports, after checking each one is whole JSON."""
    files = {}
    for path in (out / "reports").glob("*.json"):
        text = path.read_text()
        assert json.loads(text)["batch"]["student"] == path.stem
        files[path.stem] = (path.stat().st_mtime_ns, text)
    return files


def graded_in(run):
    """The students a batch run graded, from its log lines "[i/n] student: ..."."""
    return {line.split("] ", 1)[1].split(":", 1)[0] for line in run.splitlines() if line.startswith("[")}


def read_gradebook(out):
    with open(out / "gradebook.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    return rows[0], {row["student"]: row for row in rows[1:]}


def check_row(row, expected):
    scores = {name: row[name] for name in NAMES}
    full = {name: str(points) for name, points in MAX_POINTS.items()}
    if expected == "full":
        assert (scores, row["total"], row["percent"], row["status"]) == (full, TOTAL, "100", "graded"), row
    elif expected == "zero":
        assert (scores, row["total"], row["status"]) == (dict.fromkeys(NAMES, "0"), "0", "graded"), row
    elif expected in MAX_POINTS:  # one bug: that exercise partly right, the others full
        assert 0 < float(scores[expected]) < MAX_POINTS[expected], row
        assert all(scores[n] == full[n] for n in NAMES if n != expected), row
    elif expected == "softmax only":
        assert scores == {"activations": "0", "softmax": "12", "losses": "0"}, row
    elif expected == "no softmax":
        assert scores == {**full, "softmax": "0"}, row
    else:
        status, reason = expected
        assert row["status"] in status.split(" or ") and reason in row["reason"] and row["reason"], row
        if row["status"] == "error":
            assert scores == dict.fromkeys(NAMES, "") and row["total"] == "", row


def test_a_class_of_fifty_interrupted_and_resumed(tmp_path):
    expected = build_class(tmp_path / "submissions")
    out = tmp_path / "grades"
    first = start_batch(tmp_path / "submissions", out)
    wait_for_reports(out, 12, first)
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=60) == 130
    log = (tmp_path / "grades.log").read_text()
    assert "run the same command with --resume" in log
    before = report_files(out)
    _, rows = read_gradebook(out)
    assert {s for s, row in rows.items() if row["status"] != "not_graded"} == set(before)
    assert len(before) < 50

    resumed = run_batch(tmp_path / "submissions", out, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"grading {50 - len(before)} of 50 submission(s)" in resumed.stderr
    assert graded_in(resumed.stderr) == set(expected) - set(before)
    after = report_files(out)
    assert set(after) == set(expected)
    assert all(after[student] == before[student] for student in before)  # untouched

    maximum, rows = read_gradebook(out)
    assert maximum == {"student": "max points", **{n: str(p) for n, p in MAX_POINTS.items()},
                       "total": TOTAL, "percent": "100", "status": "", "reason": ""}
    assert list(rows) == sorted(expected)
    for student, want in expected.items():
        check_row(rows[student], want)
    summary = (out / "summary.md").read_text()
    assert "| `softmax` | 12 |" in summary and "50 submissions" in summary

    # A changed submission, and only it, is graded again.
    (tmp_path / "submissions" / "stub-3" / "softmax.py").write_text((SOLUTIONS / "softmax.py").read_text())
    again = run_batch(tmp_path / "submissions", out, "--resume")
    assert graded_in(again.stderr) == {"stub-3"}
    assert read_gradebook(out)[1]["stub-3"]["softmax"] == "12"


def test_a_killed_batch_loses_nothing_already_written(tmp_path):
    submissions = tmp_path / "submissions"
    for n in range(6):
        write_submission(submissions / f"s{n}")
    out = tmp_path / "grades"
    first = start_batch(submissions, out, names=["softmax"])
    wait_for_reports(out, 2, first)
    first.kill()
    first.wait()
    before = report_files(out)
    resumed = run_batch(submissions, out, "--resume", names=["softmax"])
    assert resumed.returncode == 0, resumed.stderr
    assert graded_in(resumed.stderr) == {f"s{n}" for n in range(6)} - set(before)
    assert all(report_files(out)[student] == before[student] for student in before)
    assert {row["total"] for row in read_gradebook(out)[1].values()} == {"12"}


def test_shards_merge_into_the_whole_gradebook(tmp_path):
    submissions = tmp_path / "submissions"
    for n in range(2):
        write_submission(submissions / f"ref{n}")
        shutil.copytree(ROOT / "exercises", submissions / f"stub{n}")
    whole = run_batch(submissions, tmp_path / "whole", names=["softmax"])
    for shard in (1, 2):
        run = run_batch(submissions, tmp_path / f"shard-{shard}", "--shard", f"{shard}/2", names=["softmax"])
        assert run.returncode == 0, run.stderr
        assert len(list((tmp_path / f"shard-{shard}" / "reports").glob("*.json"))) == 2
    merged = subprocess.run([sys.executable, "-m", "grader", "gradebook", "merge", str(tmp_path / "shard-1"),
                             str(tmp_path / "shard-2"), "--out", str(tmp_path / "merged")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert merged.returncode == 0 and whole.returncode == 0, merged.stderr + whole.stderr
    assert (tmp_path / "merged" / "gradebook.csv").read_text() == (tmp_path / "whole" / "gradebook.csv").read_text()


def test_a_worker_that_outlives_its_backstop_is_stopped(tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    write_submission(submissions / "slow", replacements=HANG)
    monkeypatch.setattr(batch, "STARTUP_SECONDS", -4)  # backstop: 5 s of timeout - 4 = 1 s
    grades = Batch(tmp_path / "out", Options(["activations"], timeout=5, solutions=find_reference()))
    outcomes = []
    grades.run(discover(submissions)[0], 1, outcomes.append)
    [outcome] = outcomes
    assert (outcome.status, outcome.reason) == ("error", "grading took longer than 1 s and was stopped")
    assert json.loads((tmp_path / "out" / "reports" / "slow.json").read_text())["batch"]["status"] == "error"


@pytest.mark.parametrize("code, stdout, reason", [
    (-9, b"", "the grading process was killed by SIGKILL"),
    (0, b'{"score": 43', "the grading process sent an unreadable report"),
    (0, b'{"score": "all", "max_score": 43, "exercises": []}', "the grading process sent an unreadable report"),
    (1, b"", "the grading process failed (exit status 1): MemoryError"),
])
def test_a_worker_that_goes_wrong_gets_an_error_row(code, stdout, reason):
    assert batch.read_worker_answer(code, stdout, b"Traceback...\nMemoryError\n") == ("error", reason, None)


def test_out_inside_submissions_is_refused(tmp_path):
    write_submission(tmp_path / "alice")
    run = run_batch(tmp_path, tmp_path / "grades")
    assert run.returncode == 2 and "--out must not be inside SUBMISSIONS" in run.stderr
    assert not os.path.exists(tmp_path / "grades")
