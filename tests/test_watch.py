"""`nnlab watch`: the session's decisions with a stand-in grader, file polling, and the
real command in a subprocess (save a file, read what it says, Ctrl-C)."""

import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS
from grader import grading
from grader.cli.watch import (WatchSession, changed_files, exercise_of, file_changes, polled_changes,
                              snapshot)
from grader.progress import Progress
from grader.report.model import CheckResult, ExerciseResult, Report
from grader.submission import NotASubmission

NAMES = ["activations", "softmax", "losses"]


class StandInGrader:
    """Grades from a table of results: ``scores[name] = points out of 2``; logs the calls."""

    def __init__(self, **scores):
        self.scores = scores
        self.calls = []
        self.broken = False

    def __call__(self, names):
        self.calls.append(list(names))
        if self.broken:
            raise NotASubmission("work/02-softmax.ipynb is not a notebook: it is not valid JSON")
        return Report("work", [self.result(name) for name in names])

    def result(self, name):
        passed = self.scores.get(name, 0)
        checks = [CheckResult(f"{name}_check_{i}", "", 1, passed=i < passed,
                              message="" if i < passed else f"{name} check {i} failed: look at the axis")
                  for i in range(2)]
        return ExerciseResult(name, name.title(), checks=checks)


@pytest.fixture
def session(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the progress file goes here
    lines = []
    grader = StandInGrader(activations=2, softmax=1)
    return WatchSession(NAMES, grader, echo=lines.append), grader, lines


def test_start_shows_the_first_exercise_not_passed_with_its_first_failure_and_a_hint(session):
    watch, grader, lines = session
    watch.start()
    assert grader.calls == [NAMES]
    assert watch.current == "softmax"
    text = "\n".join(lines)
    assert "passed: activations" in text
    assert "softmax check 1 failed" in text and "softmax check 0" not in text
    assert "hint 1/" in text and "now: softmax" in text
    state = json.loads(Path(".nnlab/state.json").read_text(encoding="utf-8"))
    assert state["exercises"]["softmax"]["status"] == "partial"


def test_a_save_regrades_only_its_exercise_and_a_pass_moves_on(session):
    watch, grader, lines = session
    watch.start()
    grader.calls.clear()
    assert watch.on_change({Path("work/notes.txt"), Path("work/__init__.py")}) == []
    assert grader.calls == []
    grader.scores["softmax"] = 2
    assert watch.on_change({Path("work/softmax.py")}) == ["softmax"]
    assert grader.calls == [["softmax"], ["losses"]]  # the next exercise is graded to show what fails
    assert watch.current == "losses"
    assert "✓ softmax" in "\n".join(lines) and "now: losses" in lines[-1]


def test_a_save_that_breaks_a_passed_exercise_is_reported(session):
    watch, grader, lines = session
    watch.start()
    grader.scores["activations"] = 0
    watch.on_change({Path("work/01-activations.ipynb")})
    assert "✗ activations  0/2" in "\n".join(lines)
    assert watch.current == "softmax"  # still on the exercise being worked on


def test_an_unreadable_submission_is_reported_and_watching_goes_on(session):
    watch, grader, lines = session
    watch.start()
    grader.broken = True
    assert watch.on_change({Path("work/02-softmax.ipynb")}) == ["softmax"]
    assert lines[-1].startswith("cannot grade: work/02-softmax.ipynb is not a notebook")
    grader.broken = False
    grader.scores["softmax"] = 2
    watch.on_change({Path("work/02-softmax.ipynb")})
    assert watch.current == "losses"


def one_failing_check(name, check, not_implemented=False):
    """A grader whose every exercise fails ``check`` (and passes another one)."""
    def grade(names):
        failing = CheckResult(check, "", 2, message=f"{check} failed", not_implemented=not_implemented)
        return Report("work", [ExerciseResult(n, n, checks=[CheckResult("ok", "", 1, passed=True), failing])
                               for n in names])
    return grade


def shown_hint(lines):
    return next(line for line in lines if line.lstrip().startswith("hint "))


def test_the_hint_shown_is_the_one_that_helps_with_the_failing_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    softmax = grading.find_exercise("softmax")
    level, text = softmax.hint_for("softmax_is_stable_for_large_logits")
    assert level > 1  # not the first rung: the fitting hint, not the ladder's
    lines = []
    WatchSession(["softmax"], one_failing_check("softmax", "softmax_is_stable_for_large_logits"),
                 echo=lines.append).start()
    assert shown_hint(lines).strip().startswith(f"hint {level}/{len(softmax.hints)}: {text.split()[0]}")
    assert " ".join(" ".join(lines).split()).count(" ".join(text.split())) == 1
    assert "nnlab hint softmax shows the hints in order" in "\n".join(lines)


@pytest.mark.parametrize("check, not_implemented", [("softmax_is_stable_for_large_logits", True),
                                                    ("a_check_no_hint_names", False)],
                         ids=["not started", "no hint names it"])
def test_otherwise_the_hint_is_the_rung_the_student_reached(tmp_path, monkeypatch, check, not_implemented):
    monkeypatch.chdir(tmp_path)
    progress = Progress()  # the student has asked `nnlab hint softmax` twice
    progress.reveal_hints("softmax", 2, len(grading.find_exercise("softmax").hints))
    progress.save()
    lines = []
    WatchSession(["softmax"], one_failing_check("softmax", check, not_implemented), echo=lines.append).start()
    assert shown_hint(lines).strip().startswith("hint 2/")
    assert "for the next one" in "\n".join(lines)


def test_changed_files_belong_to_exercises(tmp_path):
    named_freely = tmp_path / "my work.ipynb"
    notebook = nbformat.v4.new_notebook(metadata={"nnlab": {"exercise": "losses"}})
    named_freely.write_text(nbformat.writes(notebook), encoding="utf-8")
    (tmp_path / "broken.ipynb").write_text("{", encoding="utf-8")
    assert exercise_of(tmp_path / "softmax.py", NAMES) == "softmax"
    assert exercise_of(tmp_path / "03-losses.ipynb", NAMES) == "losses"
    assert exercise_of(named_freely, NAMES) == "losses"
    assert exercise_of(tmp_path / "broken.ipynb", NAMES) is None
    assert exercise_of(tmp_path / "model.py", NAMES) is None  # not watched here
    assert exercise_of(tmp_path / "softmax.py~", NAMES) is None


def test_polling_finds_written_created_and_deleted_files(tmp_path):
    module, notes = tmp_path / "softmax.py", tmp_path / "notes.txt"
    module.write_text("x = 1\n", encoding="utf-8")
    before = snapshot(tmp_path)
    module.write_text("x = 22\n", encoding="utf-8")  # a different size: seen even where mtimes are coarse
    (tmp_path / "losses.py").write_text("", encoding="utf-8")
    notes.write_text("not an exercise file", encoding="utf-8")
    assert changed_files(before, snapshot(tmp_path)) == {module, tmp_path / "losses.py"}
    (tmp_path / "losses.py").unlink()
    assert changed_files(before, snapshot(tmp_path)) == {module}

    changes = polled_changes(tmp_path, seconds=0.01)
    module.write_text("x = 4444\n", encoding="utf-8")  # before the first look: still seen
    assert next(changes) == {module}
    threading.Timer(0.05, lambda: module.write_text("x = 333\n", encoding="utf-8")).start()
    assert next(changes) == {module}


def test_without_watchfiles_watch_falls_back_to_polling(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "watchfiles" else real_find_spec(name, *args))
    changes, how = file_changes(tmp_path, poll=False)
    assert "watchfiles is not installed" in how
    threading.Timer(0.6, lambda: (tmp_path / "softmax.py").write_text("x = 1\n", encoding="utf-8")).start()
    assert next(changes) == {tmp_path / "softmax.py"}  # found by looking every half second


def read_lines(stream, lines):
    for line in stream:
        lines.put(line)


def wait_for(lines, text, seconds, poke=None):
    """Read output lines until one contains ``text``; call ``poke`` every 2 s meanwhile."""
    seen, deadline, next_poke = [], time.monotonic() + seconds, time.monotonic()
    while time.monotonic() < deadline:
        if poke and time.monotonic() >= next_poke:
            poke()
            next_poke = time.monotonic() + 2
        try:
            seen.append(lines.get(timeout=0.1))
        except queue.Empty:
            continue
        if text in seen[-1]:
            return seen
    raise AssertionError(f"no line with {text!r} in {seconds} s; got:\n{''.join(seen)}")


@pytest.mark.posix_only("needs POSIX: the test presses Ctrl-C by sending SIGINT")
@pytest.mark.parametrize("options", [[], ["--poll"]], ids=["file events", "polling"])
def test_watch_command_regrades_on_save_and_stops_cleanly_on_ctrl_c(tmp_path, options):
    work = tmp_path / "work"
    shutil.copytree(ROOT / "exercises", work)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "grader", "watch", str(work), *options],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = queue.Queue()
    reader = threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        start = wait_for(lines, "for changes", 60)
        assert any("✗ activations" in line for line in start)
        solved = (SOLUTIONS / "activations.py").read_text(encoding="utf-8")
        after = wait_for(lines, "now: softmax", 60,
                         poke=lambda: (work / "activations.py").write_text(solved + f"# {time.monotonic()}\n",
                                                                           encoding="utf-8"))
        assert any(line.startswith("✓ activations") for line in after)
        assert any(line.startswith("✗ softmax") for line in after)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=10)
    rest = "".join(lines.get() for _ in range(lines.qsize()))
    assert process.returncode == 0, rest
    assert "stopped watching" in rest and "Traceback" not in rest
