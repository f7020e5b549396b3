"""What grading does to start sooner: the sandbox's probe runs while the grader imports
NumPy and its checks, and with several jobs the longest exercise starts first."""

import threading
import time

from grader.engine import sandbox
from grader.grading import run


def test_with_several_jobs_the_costliest_items_start_first_and_results_keep_their_order():
    started, lock = [], threading.Lock()

    def work(seconds):
        with lock:
            started.append(seconds)
        time.sleep(seconds / 10)
        return seconds * 2

    results = run.map_jobs(work, [0.1, 0.3, 0.5, 0.2], jobs=2, cost=lambda seconds: seconds)
    assert results == [0.2, 0.6, 1.0, 0.4]
    assert started[:2] == [0.5, 0.3]  # the model, say, does not start last and finish alone


def test_one_job_keeps_the_order_given():
    started = []
    run.map_jobs(started.append, [1, 3, 2], jobs=1, cost=lambda n: n)
    assert started == [1, 3, 2]


def test_the_probe_started_in_the_background_is_the_one_choose_uses(monkeypatch):
    tries = []

    def slow_try(bwrap):
        tries.append(bwrap)
        time.sleep(0.2)
        return "no sandbox in this test"

    monkeypatch.setattr(sandbox, "_probe_results", {})
    monkeypatch.setattr(sandbox, "_try", slow_try)
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    sandbox.probe_in_background("auto")
    box, notice = sandbox.choose("auto")
    assert box is None and "no sandbox in this test" in notice
    assert tries == ["/usr/bin/bwrap"]  # one probe, not two


def test_no_probe_is_started_without_the_sandbox(monkeypatch):
    threads = []
    monkeypatch.setattr(sandbox.threading, "Thread", lambda *args, **kwargs: threads.append(kwargs))
    sandbox.probe_in_background("off")
    assert threads == []
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox.sys, "platform", "linux")
    try:
        sandbox.probe_in_background("auto")
    except AttributeError:  # the stand-in made no thread to start
        pass
    assert [kwargs["name"] for kwargs in threads] == ["nnlab-sandbox-probe"]  # the control
