"""The engine without its POSIX-only calls: what a Windows or macOS laptop runs, simulated here.

``windows_like`` takes away what Windows lacks: ``select`` on pipes (it raises if the
engine calls it on one), ``os.killpg``, rlimits, ``/proc`` (the token sweep), the child
subreaper and memfd. The engine then waits on the child through its reader and writer
threads and kills the child's tree by walking it (psutil), the stand-in here for the
Job Object, whose own code tests/test_portable_parts.py checks. ``macos_like`` keeps
``select``, process groups and rlimits, and takes away what macOS lacks (/proc, the
subreaper, memfd, an enforced RLIMIT_AS).
"""

import os
import select
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTIONS, grade_folder
from grader import grading
from grader.engine import arena, forkserver, limits, portable, process, reaper, runtime
from grader.submission import Submission

if not sys.platform.startswith("linux"):
    pytest.skip("simulates macOS and Windows on Linux (and finds processes in /proc); "
                "tests/test_portable_parts.py runs natively everywhere", allow_module_level=True)
psutil = pytest.importorskip("psutil", reason="the simulated tree kill walks the tree with psutil")


def refuse_select_on_pipes(real_select):
    def fake(readable, writable, errors, timeout=None):
        for fd in [*readable, *writable]:
            fd = fd if isinstance(fd, int) else fd.fileno()
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                raise OSError(10038, "select on a pipe: not a socket (as on Windows)")
        return real_select(readable, writable, errors, timeout)
    return fake


def without_linux_extras(monkeypatch):
    monkeypatch.setattr(reaper, "_adopting", [False])                           # no child subreaper
    monkeypatch.setattr(process, "kill_marked", lambda token: None)             # no /proc to sweep
    monkeypatch.setattr(arena.Arena, "create", classmethod(lambda cls: None))   # no memfd


@pytest.fixture
def windows_like(monkeypatch):
    monkeypatch.setattr(portable, "select_works_on_pipes", lambda: False)
    monkeypatch.setattr(select, "select", refuse_select_on_pipes(select.select))
    monkeypatch.delattr(os, "killpg")
    monkeypatch.setattr(forkserver, "available", lambda: False)                 # no fork: children are spawned
    monkeypatch.setattr(limits, "has_rlimits", lambda: False)
    without_linux_extras(monkeypatch)
    assert portable.kill_mechanism() == portable.PROCESS_TREE


@pytest.fixture
def portable_with_rlimits(monkeypatch):
    """The threaded pipes and the tree walk, with the process limit still on: for the
    fork bomb, which on Windows the Job Object's process limit bounds."""
    monkeypatch.setattr(portable, "select_works_on_pipes", lambda: False)
    monkeypatch.setattr(select, "select", refuse_select_on_pipes(select.select))
    monkeypatch.delattr(os, "killpg")
    monkeypatch.setattr(forkserver, "available", lambda: False)                 # no fork: children are spawned
    without_linux_extras(monkeypatch)


@pytest.fixture
def macos_like(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")  # read by limits.rlimits only
    without_linux_extras(monkeypatch)


# -- the reference and the stubs ---------------------------------------------------------------

def test_windows_like_the_reference_gets_full_marks(windows_like):
    report = grade_folder(SOLUTIONS, sandbox="off")
    assert report.score == report.max_score == 175, {e.name: e.status for e in report.exercises}
    child = report.exercises[0].child
    assert child["kill"] == portable.PROCESS_TREE and child["limits"] == [limits.MEMORY_WATCH]


def test_windows_like_the_stubs_get_nothing(windows_like):
    report = grade_folder(ROOT / "exercises", sandbox="off")
    assert report.score == 0
    assert {e.status for e in report.exercises} == {"not_started"}


def test_macos_like_the_reference_gets_full_marks_without_a_memory_rlimit(macos_like):
    report = grade_folder(SOLUTIONS, names=["softmax", "optimizers"], sandbox="off")
    assert all(e.status == "passed" for e in report.exercises), [e.to_dict() for e in report.exercises]
    assert "memory" not in report.exercises[0].child["limits"]
    assert "processes" in report.exercises[0].child["limits"]


def test_paths_with_spaces_backslashes_and_accents(windows_like, monkeypatch, submission):
    base = Path(tempfile.mkdtemp(prefix="Temp of José Smith "))
    try:
        odd = base / "a\\b c"
        odd.mkdir()
        for folder in (base, odd):
            folder.chmod(0o755)  # as root the child runs as another user, who must get through
        monkeypatch.setattr(tempfile, "tempdir", str(odd))  # the workspaces are laid out there
        moved = shutil.copytree(submission(), odd / "my exercises")
        report = grading.grade(Submission(moved, grading.exercise_names()), names=["activations", "softmax"],
                               sandbox="off")
        assert [e.status for e in report.exercises] == ["passed", "passed"], [e.error for e in report.exercises]
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- the adversarial tests that apply, run as they are on the simulated Windows ---------------

import test_adversarial as adversarial  # noqa: E402
import test_adversarial_engine as adversarial_engine  # noqa: E402
from test_adversarial import (fork_bomb_relu, grade_hostile, passed, processes_named, rename_self,  # noqa: E402
                             unique_marker)


@pytest.mark.parametrize("body", ["while True:\n        pass", "import time\n    time.sleep(1000)"])
def test_windows_like_loops_and_sleeps_time_out(windows_like, submission, body):
    adversarial.test_loops_and_sleeps_time_out(submission, "off", body)


def test_windows_like_exits_and_interrupts_cost_one_check_each(windows_like, submission):
    adversarial.test_exits_and_interrupts_cost_one_check_each(submission, "off")


def test_windows_like_huge_answer_is_refused(windows_like, submission):
    adversarial.test_huge_answer_is_refused(submission, "off")


def test_windows_like_lying_objects_and_a_patched_server_fake_nothing(windows_like, submission):
    adversarial.test_lying_objects_are_rejected(submission, "off")
    adversarial.test_patching_the_child_server_fakes_nothing(submission, "off")


def test_windows_like_environment_secrets_do_not_reach_student_code(windows_like, submission, monkeypatch):
    adversarial.test_environment_secrets_do_not_reach_student_code(submission, monkeypatch, "off")


@pytest.mark.parametrize("frame", adversarial_engine.FORGED_FRAMES.values(), ids=adversarial_engine.FORGED_FRAMES.keys())
def test_windows_like_a_forged_first_frame_ends_only_its_exercise(windows_like, submission, frame):
    adversarial_engine.test_a_forged_first_frame_ends_only_its_exercise(submission, "off", frame)


def test_windows_like_forged_and_too_deep_answers_are_not_answers(windows_like, submission):
    adversarial_engine.test_a_forged_answer_in_a_call_costs_that_check(submission, "off")
    adversarial_engine.test_a_header_nested_too_deeply_is_not_an_answer(submission, "off")


def test_windows_like_a_child_that_stops_reading_cannot_block_the_grader(windows_like, tmp_path):
    adversarial_engine.test_a_child_that_stops_reading_cannot_block_the_grader(tmp_path, "off")


@pytest.mark.parametrize("attack", [adversarial_engine.FILLS_THE_DISK, adversarial_engine.MANY_FILES],
                         ids=["2 GB", "200000 files"])
def test_windows_like_the_disk_quota_holds(windows_like, submission, tmp_path, attack):
    adversarial_engine.test_a_submission_cannot_fill_the_disk(submission, tmp_path, "off", attack)


def test_windows_like_a_hanging_grandchild_is_killed_with_its_tree(windows_like, submission):
    marker = unique_marker()
    code = f"""
    def relu(z):
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", {rename_self(marker) + "; import time; time.sleep(60)"!r}])
        while True:
            pass
    """
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), "off", timeout=3)
    assert "timed out" in next(c.message for c in exercise.checks if c.name == "relu_known_values")
    time.sleep(0.3)
    assert not processes_named(marker)


def test_windows_like_endless_output_is_capped(windows_like, submission):
    code = """
    def relu(z):
        import sys
        while True:
            sys.stdout.write("x" * 100_000 + "\\n")
    """
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), "off", timeout=3)
    assert "timed out" in next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert len(exercise.output) <= 70_000
    assert "sigmoid_known_values" in passed(exercise)


@pytest.mark.skipif(runtime.is_root() and not limits.nobody_can_run_python(),
                    reason="as root without an unprivileged user no process limit applies")
def test_portable_fork_bomb_is_contained_and_its_tree_killed(portable_with_rlimits, submission):
    marker = unique_marker()
    code = fork_bomb_relu(marker)
    started = time.monotonic()
    report = grade_folder(submission(replacements={"activations.relu": code}), names=["activations"],
                          sandbox="off", timeout=4)
    # the exercise's own cap is 3 x 4 s; stopping 256 spinning processes one by one, on a
    # loaded 2-core machine, took up to 13 s more (the Job Object stops them in one call)
    assert time.monotonic() - started < 4 * 3 + 30
    exercise = report.exercises[0]
    assert "relu_known_values" not in passed(exercise)
    assert "sigmoid_known_values" in passed(exercise)
    time.sleep(0.5)
    assert not processes_named(marker)


@pytest.mark.parametrize("profile", ["windows_like", "macos_like"])
def test_without_a_memory_limit_the_memory_watch_stops_the_child(profile, request, submission):
    request.getfixturevalue(profile)
    assert limits.watched_memory(256) == 256 * 2**20
    code = "def relu(z):\n    hog = [np.ones(10**7) for _ in range(40)]\n    return np.maximum(z, 0)"  # 3.2 GB
    folder = submission(replacements={"activations.relu": code})
    report = grade_folder(folder, names=["activations"], sandbox="off", timeout=30, memory_mb=256)
    exercise = report.exercises[0]
    assert "memory limit" in next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert "sigmoid_known_values" in passed(exercise)
