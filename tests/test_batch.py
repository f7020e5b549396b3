"""`nnlab batch`: a class of submissions graded in worker processes, interrupted and resumed."""

import csv
import glob
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
from grader.report import plots

pytestmark = pytest.mark.posix_only("needs POSIX: nnlab batch runs on Linux and macOS (on Windows, under WSL)")

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
    expected["hostile"] = ("graded or error", "")  # its kill reaches nothing, or its own child
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
    (root / "notes.txt").write_text("not a submission", encoding="utf-8")
    assert len(expected) == 50
    return expected


def batch_command(submissions, out, names=NAMES):
    return [sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out), "--jobs", "2",
            "--timeout", "2", *[a for n in names for a in ("-e", n)]]  # 2 s: a loaded machine is slow


def run_batch(submissions, out, *options, names=NAMES):
    return subprocess.run(batch_command(submissions, out, names) + list(options), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def start_batch(submissions, out, names=NAMES):
    """The batch, running, with Ctrl-C's signal as a terminal gives it: a suite started in
    the background (``cmd &``) ignores SIGINT, and so would its children."""
    log = open(out.parent / f"{out.name}.log", "w")
    return subprocess.Popen(batch_command(submissions, out, names), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for_reports(out, count, process):
    deadline = time.monotonic() + 120
    while len(list((out / "reports").glob("*.json"))) < count:
        assert process.poll() is None and time.monotonic() < deadline, "the batch ended too early"
        time.sleep(0.05)


def report_files(out):
    """``{student: (mtime_ns, text)}`` of the reports, after checking each one is whole JSON."""
    files = {}
    for path in (out / "reports").glob("*.json"):
        text = path.read_text(encoding="utf-8")
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
        assert row["status"] in status.split(" or ") and reason in row["reason"], row
        assert row["reason"] or row["status"] == "graded", row  # an error always says why
        if row["status"] == "error":
            assert scores == dict.fromkeys(NAMES, "") and row["total"] == "", row


def test_a_class_of_fifty_interrupted_and_resumed(tmp_path):
    expected = build_class(tmp_path / "submissions")
    out = tmp_path / "grades"
    first = start_batch(tmp_path / "submissions", out)
    wait_for_reports(out, 12, first)
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=60) == 130
    log = (tmp_path / "grades.log").read_text(encoding="utf-8")
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
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| `softmax` | 12 |" in summary and "50 submissions" in summary

    # A changed submission, and only it, is graded again.
    shutil.copyfile(SOLUTIONS / "softmax.py", tmp_path / "submissions" / "stub-3" / "softmax.py")
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
    merged_csv, whole_csv = (tmp_path / kind / "gradebook.csv" for kind in ("merged", "whole"))
    assert merged_csv.read_text(encoding="utf-8") == whole_csv.read_text(encoding="utf-8")


def test_a_worker_that_outlives_its_backstop_is_stopped(tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    write_submission(submissions / "slow", replacements=HANG)
    monkeypatch.setattr(batch, "STARTUP_SECONDS", -14)  # backstop: three times 5 s of timeout - 14 = 1 s
    grades = Batch(tmp_path / "out", Options(["activations"], timeout=5, solutions=find_reference()))
    outcomes = []
    grades.run(discover(submissions)[0], 1, outcomes.append)
    [outcome] = outcomes
    assert (outcome.status, outcome.reason) == ("error", "grading took longer than 1 s and was stopped")
    slow = json.loads((tmp_path / "out" / "reports" / "slow.json").read_text(encoding="utf-8"))
    assert slow["batch"]["status"] == "error"


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


# -- regrading and consistency ------------------------------------------------------------

def small_class(submissions):
    """Two reference submissions and a stub."""
    write_submission(submissions / "ann")
    write_submission(submissions / "ben")
    shutil.copytree(ROOT / "exercises", submissions / "cat")


def test_only_regrades_the_named_students_and_keeps_the_rest(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    small_class(submissions)
    assert run_batch(submissions, out, names=["softmax"]).returncode == 0
    before = report_files(out)
    shutil.copyfile(SOLUTIONS / "softmax.py", submissions / "cat" / "softmax.py")
    again = run_batch(submissions, out, "--only", "cat", names=["softmax"])
    assert again.returncode == 0, again.stderr
    assert graded_in(again.stderr) == {"cat"} and "grading 1 of 3 submission(s)" in again.stderr
    after = report_files(out)
    assert after["ann"] == before["ann"] and after["ben"] == before["ben"]
    assert {s: row["total"] for s, row in read_gradebook(out)[1].items()} == {"ann": "12", "ben": "12", "cat": "12"}
    unknown = run_batch(submissions, out, "--only", "dan", names=["softmax"])
    assert unknown.returncode == 2 and "--only: no submission named dan" in unknown.stderr


def test_resume_with_other_options_refuses_and_names_the_difference(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    small_class(submissions)
    assert run_batch(submissions, out, names=["softmax"]).returncode == 0
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["exercises"] == ["softmax"] and record["seed"] == 0 and record["nnlab"] == "0.1.0"
    assert len(record["checks"]) == len(record["reference"]) == 64
    before = report_files(out), (out / "gradebook.csv").read_text(encoding="utf-8")

    wider = run_batch(submissions, out, "--resume", names=["activations", "softmax"])
    assert wider.returncode == 2
    assert f"the exercises: activations, softmax now, softmax in {out / 'run.json'}" in wider.stderr
    reseeded = run_batch(submissions, out, "--only", "cat", "--seed", "7", names=["softmax"])
    assert reseeded.returncode == 2 and "the seed: 7 now, 0 in" in reseeded.stderr
    assert "--force" in reseeded.stderr
    assert (report_files(out), (out / "gradebook.csv").read_text(encoding="utf-8")) == before  # nothing written

    forced = run_batch(submissions, out, "--resume", "--force", "--seed", "7", names=["softmax"])
    assert forced.returncode == 0, forced.stderr
    assert graded_in(forced.stderr) == {"ann", "ben", "cat"}
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["seed"] == 7


def test_merging_shards_graded_differently_is_refused(tmp_path):
    submissions = tmp_path / "submissions"
    small_class(submissions)
    for shard, seed in ((1, "0"), (2, "1")):
        run = run_batch(submissions, tmp_path / f"shard-{shard}", "--shard", f"{shard}/2", "--seed", seed,
                        names=["softmax"])
        assert run.returncode == 0, run.stderr
    merged = subprocess.run([sys.executable, "-m", "grader", "gradebook", "merge", str(tmp_path / "shard-1"),
                             str(tmp_path / "shard-2"), "--out", str(tmp_path / "merged")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert merged.returncode == 2
    assert f"the seed: 1 in {tmp_path / 'shard-2'}, 0 in {tmp_path / 'shard-1'}" in merged.stderr
    assert not (tmp_path / "merged").exists()


def test_the_reports_of_students_who_left_are_moved_aside(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    small_class(submissions)
    assert run_batch(submissions, out, names=["softmax"]).returncode == 0
    shutil.rmtree(submissions / "ben")
    again = run_batch(submissions, out, "--resume", names=["softmax"])
    assert again.returncode == 0, again.stderr
    assert f"moved the files of 1 student(s) no longer in {submissions} to {out / 'moved-aside'}: ben" in again.stderr
    assert graded_in(again.stderr) == set()
    assert set(report_files(out)) == {"ann", "cat"}
    moved = json.loads((out / "moved-aside" / "reports" / "ben.json").read_text(encoding="utf-8"))
    assert moved["batch"]["student"] == "ben"
    assert set(read_gradebook(out)[1]) == {"ann", "cat"}
    merged = subprocess.run([sys.executable, "-m", "grader", "gradebook", "merge", str(out), "--out",
                             str(tmp_path / "merged")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert merged.returncode == 0 and set(read_gradebook(tmp_path / "merged")[1]) == {"ann", "cat"}


def test_hidden_folders_are_listed_not_graded(tmp_path):
    write_submission(tmp_path / ".alice")
    write_submission(tmp_path / "bob")
    entries, ignored = discover(tmp_path)
    assert [e.student for e in entries] == ["bob"] and [p.name for p in ignored] == [".alice"]


def test_a_folder_holding_only_a_zip_is_taken_in_like_the_zip(tmp_path):
    """A Moodle download: each student's folder holds what they uploaded, a zip."""
    from grader.instructor.intake import MODULE_FILES, IntakeError, fingerprint, take_in

    zip_folder(write_submission(tmp_path / "alice"), tmp_path / "upload.zip", "hw1/")
    (tmp_path / "alice").mkdir()
    (tmp_path / "upload.zip").rename(tmp_path / "alice" / "upload.zip")
    folder, origin, _ = take_in(tmp_path / "alice", tmp_path / "staging")
    assert {p.name for p in folder.iterdir()} == MODULE_FILES
    assert origin == f"{tmp_path / 'alice' / 'upload.zip'}:hw1"
    before = fingerprint(tmp_path / "alice")
    shutil.copyfile(tmp_path / "alice" / "upload.zip", tmp_path / "alice" / "again.zip")
    assert fingerprint(tmp_path / "alice") != before  # the zips are what gets graded
    with pytest.raises(IntakeError, match="several zip files .again.zip, upload.zip.: submit one"):
        take_in(tmp_path / "alice", tmp_path / "staging-2")


# -- feedback ---------------------------------------------------------------------------

IGNORES_AXIS = {"softmax.softmax": "def softmax(z, axis=-1):\n"
                "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)"}


def test_each_student_gets_feedback_with_hidden_checks_by_name_and_points(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    write_submission(submissions / "ann")
    write_submission(submissions / "ben", replacements=IGNORES_AXIS)
    (submissions / "cat").mkdir()
    run = run_batch(submissions, out, "--timeout", "10", names=["softmax", "initialization"])
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [
        "ann.html", "ann.md", "ben.html", "ben.md", "cat.html", "cat.md"]
    page, markdown = ((out / "feedback" / f"ben.{kind}").read_text(encoding="utf-8") for kind in ("html", "md"))
    assert page.startswith("<!DOCTYPE html>") and "<title>nnlab feedback: ben</title>" in page
    assert "softmax_matches_reference" in page  # by name (the page is grader/report/html.py's)
    assert "**softmax_matches_reference (2 pt, hidden check)**: failed" in markdown
    hidden = next(c for e in json.loads((out / "reports" / "ben.json").read_text(encoding="utf-8"))["exercises"]
                  for c in e["checks"] if c["name"] == "softmax_matches_reference")
    assert not hidden["passed"] and hidden["message"] and hidden["description"]
    for text in (page, markdown):  # what the hidden check tests stays with the instructor
        assert hidden["message"].splitlines()[0] not in text and hidden["description"] not in text
    assert markdown.startswith("## nnlab: ") and "graded without the Linux sandbox" not in page + markdown
    assert page.count("<img") == (2 if plots.available() else 0)  # initialization's two histograms
    assert "data:image/png;base64," in page or not plots.available()
    assert not (out / "reports" / "ann.json").read_text(encoding="utf-8").count('"figures"')  # drawn, not stored
    empty = (out / "feedback" / "cat.md").read_text(encoding="utf-8")
    assert "cat holds none of the exercise modules" in empty and "| `softmax` " in empty
    assert str(submissions) not in empty  # the instructor's folders are not the student's business


def test_feedback_without_matplotlib_has_no_figures_and_no_note_about_the_machine(tmp_path, monkeypatch):
    from grader.instructor import feedback

    report = {"submission": "ann", "score": 1.0, "max_score": 2.0, "exercises": [
        {"name": "initialization", "title": "Weight initialization", "score": 1.0, "max_score": 2.0,
         "checks": [{"name": "he_normal_has_he_variance", "description": "...", "score": 0.0,
                     "max_score": 1.0, "passed": False, "message": "too wide", "visibility": "visible"}]}]}
    figures = {"initialization/he_normal_has_he_variance": [
        {"kind": "histogram", "title": "he_normal", "values": [0.1, -0.2, 0.3], "std": 0.2}]}
    monkeypatch.setattr(plots, "available", lambda: False)
    feedback.write_feedback(tmp_path, "ann", report, figures)
    page = (tmp_path / "feedback" / "ann.html").read_text(encoding="utf-8")
    assert "too wide" in page and "<img" not in page and "matplotlib" not in page


# -- deadlines ----------------------------------------------------------------------------

DEADLINE = "2026-12-01T23:59:00+00:00"


def commit(repository, when, message):
    """Commit everything in ``repository`` at the time ``when`` (committer and author date)."""
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    git = ["git", "-c", "user.name=Student", "-c", "user.email=s@example.org", "-C", str(repository)]
    subprocess.run(git + ["add", "-A"], check=True, env=env)
    subprocess.run(git + ["commit", "-qm", message], check=True, env=env)


def repository(folder, *history):
    """A git repository in ``folder`` whose softmax.py goes through ``history``: (time, source)."""
    folder.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    for when, source in history:
        shutil.copyfile(source, folder / "softmax.py")
        commit(folder, when, f"softmax at {when}")
    return folder


def test_before_grades_the_last_commit_in_time_and_says_who_is_late(tmp_path):
    submissions, stub, reference = tmp_path / "submissions", ROOT / "exercises" / "softmax.py", SOLUTIONS / "softmax.py"
    write_submission(tmp_path / "buggy", replacements=IGNORES_AXIS)
    buggy = tmp_path / "buggy" / "softmax.py"
    alice = repository(submissions / "alice", ("2026-11-29T10:00:00Z", stub), ("2026-11-30T10:00:00Z", reference))
    shutil.copyfile(stub, alice / "softmax.py")  # not committed: not graded
    bob = repository(submissions / "bob", ("2026-11-30T10:00:00Z", reference), ("2026-12-02T00:30:00Z", buggy))
    # the repository's config is the student's
    (bob / ".gitattributes").write_text("*.py filter=evil\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(bob), "add", ".gitattributes"], check=True)
    subprocess.run(["git", "-c", "user.name=S", "-c", "user.email=s@example.org", "-C", str(bob), "commit", "-qm",
                    "attributes", "--amend", "--no-edit"], check=True,
                   env={**os.environ, "GIT_COMMITTER_DATE": "2026-12-02T00:30:00Z"})
    subprocess.run(["git", "-C", str(bob), "config", "filter.evil.smudge", f"touch {tmp_path / 'pwned'}; cat"],
                   check=True)
    repository(submissions / "carol", ("2026-12-03T09:00:00Z", reference))
    write_submission(submissions / "dave")  # not a repository: graded as it is
    run = run_batch(submissions, tmp_path / "grades", "--before", DEADLINE, names=["softmax"])
    assert run.returncode == 0, run.stderr
    maximum, rows = read_gradebook(tmp_path / "grades")
    assert list(maximum)[-4:] == ["late", "commit", "committed", "penalty %"]
    assert [rows["alice"][k] for k in ("softmax", "late", "committed")] == ["12", "no", "2026-11-30T10:00:00+00:00"]
    assert [rows["bob"][k] for k in ("softmax", "late", "penalty %")] == ["12", "yes", "0"]  # the on-time commit
    assert rows["carol"]["status"] == "error"
    assert "carol has no commit before 2026-12-01T23:59:00+00:00" in rows["carol"]["reason"]
    assert rows["dave"]["softmax"] == "12" and rows["dave"]["late"] == ""
    report = json.loads((tmp_path / "grades" / "reports" / "bob.json").read_text(encoding="utf-8"))
    assert len(report["batch"]["deadline"]["commit"]) == 40 and report["batch"]["deadline"]["later_commits"] == 1

    late = run_batch(submissions, tmp_path / "late", "--before", DEADLINE, "--late-penalty", "10", names=["softmax"])
    assert late.returncode == 0, late.stderr
    _, rows = read_gradebook(tmp_path / "late")
    bob = rows["bob"]  # the last commit, buggy and 31 minutes late: one started day, 10 %
    assert float(bob["softmax"]) < 12 and float(bob["total"]) == round(0.9 * float(bob["softmax"]), 2)
    assert bob["penalty %"] == "10" and rows["carol"]["penalty %"] == "20"  # 33 hours: two days
    assert rows["carol"]["total"] == "9.6" and rows["alice"]["penalty %"] == "0"
    assert not (tmp_path / "pwned").exists()  # bob's last commit names a filter: git ran none


# -- scaling out -----------------------------------------------------------------------------

@pytest.mark.parametrize("environ, count, expected", [
    ({"JOB_COMPLETION_INDEX": "0"}, 3, (1, 3, "Kubernetes Indexed Job")),
    ({"JOB_COMPLETION_INDEX": "2"}, 3, (3, 3, "Kubernetes Indexed Job")),
    ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8",
      "SLURM_ARRAY_TASK_COUNT": "8"}, None, (5, 8, "Slurm array job")),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3",
      "SLURM_ARRAY_TASK_COUNT": "4"}, None, (1, 4, "Slurm array job")),
    ({"NNLAB_JOB_INDEX": "1", "NNLAB_JOB_TOTAL": "4"}, None, (2, 4, "GitHub Actions matrix")),
])
def test_shard_auto_reads_the_scheduler(environ, count, expected):
    from grader.instructor.shards import auto_shard

    assert auto_shard(environ, count) == expected


@pytest.mark.parametrize("environ, count, message", [
    ({}, None, "found no Kubernetes Indexed Job"),
    ({"JOB_COMPLETION_INDEX": "1"}, None, "add --shard-count N"),
    ({"JOB_COMPLETION_INDEX": "3"}, 3, "shard 4 of 3 from the Kubernetes Indexed Job is out of range"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "7",
      "SLURM_ARRAY_TASK_COUNT": "4"}, None, "has gaps or a step"),
    ({"NNLAB_JOB_INDEX": "x", "NNLAB_JOB_TOTAL": "4"}, None, "NNLAB_JOB_INDEX='x' is not a whole number"),
])
def test_shard_auto_says_what_is_missing(environ, count, message):
    from grader.instructor.shards import ShardError, auto_shard

    with pytest.raises(ShardError, match=message):
        auto_shard(environ, count)


def test_shard_auto_in_a_slurm_array_grades_its_share(tmp_path):
    submissions = tmp_path / "submissions"
    small_class(submissions)  # ann, ben, cat: task 2 of 2 grades ben
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "2",
           "SLURM_ARRAY_TASK_COUNT": "2"}
    run = subprocess.run(batch_command(submissions, tmp_path / "shard-2", ["softmax"]) + ["--shard", "auto"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "shard 2/2, from the Slurm array job" in run.stderr and graded_in(run.stderr) == {"ben"}
    assert json.loads((tmp_path / "shard-2" / "run.json").read_text(encoding="utf-8"))["shard"] == "2/2"


def worker_pids(marker):
    """The worker processes of the batch whose argument (its output folder) holds ``marker``."""
    pids = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            words = open(cmdline, "rb").read().split(b"\0")
        except OSError:
            continue
        if b"grader.instructor.worker" in words and any(marker.encode() in w for w in words):
            pids.append(int(cmdline.split("/")[2]))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_stop_when_the_batch_is_killed(tmp_path):
    submissions = tmp_path / "submissions"
    write_submission(submissions / "slow", replacements=HANG)
    batch_run = subprocess.Popen([sys.executable, "-m", "grader", "batch", str(submissions), "--out",
                                  str(tmp_path / "out"), "-e", "activations", "--timeout", "30"],
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not worker_pids(str(tmp_path / "out")):
        assert time.monotonic() < deadline and batch_run.poll() is None, "no worker started"
        time.sleep(0.05)
    batch_run.kill()
    batch_run.wait()
    deadline = time.monotonic() + 5  # the hang would keep an orphan busy for 30 s
    while worker_pids(str(tmp_path / "out")):
        assert time.monotonic() < deadline, "the worker outlived its batch"
        time.sleep(0.05)
