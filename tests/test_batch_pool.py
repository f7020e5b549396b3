"""The batch's warm workers: each grades submission after submission, in isolation from
the others; one that dies or hangs costs only its own submission, and is replaced."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SOLUTIONS, write_submission
from grader.engine import sandbox
from grader.instructor import batch, pool, worker
from grader.instructor.batch import Batch, Options, discover, find_reference
from grader.report import plots
from grader.submission import Reference

BUG = {"softmax.softmax": "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)"}
# Student code cannot reach its worker (another uid, or another PID namespace): a worker
# that dies of a submission is played by one that kills itself when it grades "b-dies".
DIES_OF_B = ("import os, sys; from grader.instructor import worker; real = worker.grade\n"
             "def grade(**arguments):\n"
             "    if arguments['source'].name == 'b-dies':\n"
             "        os.kill(os.getpid(), 9)\n"
             "    return real(**arguments)\n"
             "worker.grade = grade; worker.serve(sys.argv[1:])")
FAILS_ON_B = DIES_OF_B.replace("b-dies", "b-fails").replace("os.kill(os.getpid(), 9)", "raise RuntimeError('lost')")
HANG = {"softmax.softmax": "def softmax(z, axis=-1):\n    while True:\n        pass"}


@pytest.fixture
def started(monkeypatch):
    """The warm workers the batch starts, in order."""
    workers = []

    class Counted(pool.WarmWorker):
        def __init__(self, *args):
            super().__init__(*args)
            workers.append(self)

    monkeypatch.setattr(batch, "WarmWorker", Counted)
    return workers


def grade_all(tmp_path, jobs=1, **options):
    grades = Batch(tmp_path / "out", Options(["softmax"], solutions=find_reference(), **options))
    outcomes = {}
    grades.run(discover(tmp_path / "submissions")[0], jobs, lambda o: outcomes.update({o.entry.student: o}))
    return outcomes


def graded_part(value):
    """What a report says of the student's work: not where, how long, or its signature."""
    if isinstance(value, dict):
        return {k: graded_part(v) for k, v in value.items() if k not in ("batch", "submission", "seconds", "signature")}
    return [graded_part(v) for v in value] if isinstance(value, list) else value


def test_one_worker_grades_every_submission_of_its_thread(tmp_path, started):
    for student in ("ann", "ben", "cat"):
        write_submission(tmp_path / "submissions" / student)
    outcomes = grade_all(tmp_path)
    assert {s: (o.status, o.report["score"]) for s, o in outcomes.items()} == {s: ("graded", 12) for s in outcomes}
    assert len(started) == 1 and not started[0].alive  # closed at the end of the batch


def test_two_jobs_start_two_workers_at_most(tmp_path, started):
    for n in range(4):
        write_submission(tmp_path / "submissions" / f"s{n}")
    outcomes = grade_all(tmp_path, jobs=2)
    assert len(outcomes) == 4 and all(o.status == "graded" for o in outcomes.values())
    assert 1 <= len(started) <= 2


def test_nothing_of_one_submission_carries_over_to_the_next(tmp_path, started):
    submissions = tmp_path / "submissions"
    write_submission(submissions / "a-first")
    write_submission(submissions / "b-buggy", replacements=BUG)
    write_submission(submissions / "c-again")  # the same files as a-first, graded after a bug
    outcomes = grade_all(tmp_path)
    assert len(started) == 1
    assert outcomes["b-buggy"].report["score"] < outcomes["a-first"].report["score"] == 12
    assert graded_part(outcomes["a-first"].report) == graded_part(outcomes["c-again"].report)


def test_a_worker_that_dies_costs_only_its_submission_s_row(tmp_path, started, monkeypatch):
    submissions = tmp_path / "submissions"
    for student in ("a-fine", "b-dies", "c-fine"):
        write_submission(submissions / student)
    serve = Batch.serve_command  # [python, -m, grader.instructor.worker, --serve, options...]
    monkeypatch.setattr(Batch, "serve_command", lambda self: [sys.executable, "-c", DIES_OF_B, *serve(self)[4:]])
    outcomes = grade_all(tmp_path)
    assert (outcomes["b-dies"].status, outcomes["b-dies"].reason) == ("error", "the grading process was killed by SIGKILL")
    assert [outcomes[s].report["score"] for s in ("a-fine", "c-fine")] == [12, 12]
    assert len(started) == 2  # the next submission got a fresh worker
    reports = {path.stem: json.loads(path.read_text()) for path in (tmp_path / "out" / "reports").glob("*.json")}
    assert {s: r["batch"]["status"] for s, r in reports.items()} == {"a-fine": "graded", "b-dies": "error",
                                                                     "c-fine": "graded"}


def test_a_worker_that_fails_unexpectedly_is_replaced_before_the_next_submission(tmp_path, started, monkeypatch):
    submissions = tmp_path / "submissions"
    for student in ("a-fine", "b-fails", "c-fine"):
        write_submission(submissions / student)
    serve = Batch.serve_command
    monkeypatch.setattr(Batch, "serve_command", lambda self: [sys.executable, "-c", FAILS_ON_B, *serve(self)[4:]])
    outcomes = grade_all(tmp_path)
    assert outcomes["b-fails"].reason == "the grading process failed (exit status 1): RuntimeError: lost"
    assert [outcomes[s].report["score"] for s in ("a-fine", "c-fine")] == [12, 12]
    assert len(started) == 2


def test_a_submission_past_its_backstop_loses_its_worker_not_the_next_one(tmp_path, started, monkeypatch):
    submissions = tmp_path / "submissions"
    write_submission(submissions / "a-hangs", replacements=HANG)
    write_submission(submissions / "b-fine")
    backstops = iter([1.0, 60.0])  # a second for the one that hangs, a minute for the next
    monkeypatch.setattr(Options, "backstop_seconds", lambda self: next(backstops))
    outcomes = grade_all(tmp_path, timeout=30)
    assert outcomes["a-hangs"].reason == "grading took longer than 1 s and was stopped"
    assert (outcomes["b-fine"].status, outcomes["b-fine"].report["score"]) == ("graded", 12)
    assert len(started) == 2 and not started[0].alive


def test_a_worker_that_fails_unexpectedly_answers_then_ends(monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("no room")

    monkeypatch.setattr(worker, "grade", broken)
    answer, fatal = worker.answer_request([str(SOLUTIONS), "-e", "softmax"])
    assert (answer["status"], answer["error"], fatal) == (1, "MemoryError: no room", True)
    assert batch.read_worker_answer(1, b"", answer["error"].encode())[1] == \
        "the grading process failed (exit status 1): MemoryError: no room"


def test_a_bad_request_is_a_usage_error_and_the_worker_goes_on():
    answer, fatal = worker.answer_request([str(SOLUTIONS), "-e", "no-such-exercise"])
    assert answer["status"] == 2 and answer["error"].startswith("Error: ") and not fatal


def test_workers_take_the_batch_s_sandbox_probe(monkeypatch):
    def must_not_probe(bwrap):
        raise AssertionError("the worker probed the sandbox itself")

    monkeypatch.setattr(sandbox, "_probe_results", {})
    monkeypatch.setattr(sandbox, "_try", must_not_probe)
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: "/usr/bin/bwrap")
    worker.trust_probe("bwrap failed: no user namespaces")
    assert sandbox.probe("/usr/bin/bwrap") == "bwrap failed: no user namespaces"
    if sys.platform.startswith("linux"):
        assert sandbox.choose("auto") == (None, "graded without the Linux sandbox: bwrap failed: no user namespaces")


def test_the_batch_hands_its_probe_to_its_workers(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "sandbox_probe", lambda mode: "" if mode == "auto" else None)
    command = Batch(tmp_path / "out", Options(["softmax"])).serve_command()
    assert command[command.index("--sandbox-probe") + 1] == ""
    assert "--sandbox-probe" not in Batch(tmp_path / "out2", Options(["softmax"], sandbox="off")).serve_command()


def test_the_reference_is_loaded_afresh_for_each_submission():
    Reference(SOLUTIONS).module("losses")
    assert any(name.startswith(worker.REFERENCE_PACKAGE) for name in sys.modules)
    worker.forget_reference_modules()
    assert not any(name.startswith(worker.REFERENCE_PACKAGE) for name in sys.modules)


BATCH_THEN_MODULES = ("import json, runpy, sys; sys.argv = ['nnlab', 'batch', *sys.argv[1:]]\n"
                      "try:\n    runpy.run_module('grader', run_name='__main__')\n"
                      "except SystemExit:\n    pass\n"
                      "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")


@pytest.mark.skipif(not plots.available(), reason="matplotlib draws the figures")
def test_the_workers_draw_the_feedback_figures_not_the_batch_process(tmp_path):
    write_submission(tmp_path / "submissions" / "ann")
    run = subprocess.run([sys.executable, "-c", BATCH_THEN_MODULES, str(tmp_path / "submissions"), "--out",
                          str(tmp_path / "out"), "-e", "initialization", "--jobs", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    modules = json.loads(run.stderr.strip().splitlines()[-1])
    assert "data:image/png;base64," in (tmp_path / "out" / "feedback" / "ann.html").read_text()
    assert not [name for name in modules if name.startswith("matplotlib")]
