"""The pieces of the portable engine, on every system: the threaded pipes, the limits of
each platform, the Job Object (against a stand-in kernel32 here, for real on Windows),
the child's start-up without resource or prctl, and the report's record of it all."""

import ctypes
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import grade_folder
from grader.engine import jobs, limits, portable, process
from grader.engine.workspace import disk_bytes
from grader.report.gradescope import to_gradescope

psutil = pytest.importorskip("psutil", reason="the tree walk and these checks use psutil")
windows_only = pytest.mark.skipif(not portable.on_windows(), reason="a real Job Object needs Windows")


def test_threaded_pipes_wait_read_and_write_with_deadlines():
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    pipes = portable.ThreadedPipes(from_child_r, to_child_w)
    try:
        assert not pipes.ready(0.05)                         # nothing sent yet: times out
        os.write(from_child_w, b"hello")
        assert pipes.ready(1) and pipes.read(3) == b"hel" and pipes.read(10) == b"lo"
        sent = 0
        while pipes.ready(0.2, write=True):                 # nobody reads: the writer fills the pipe, then waits
            sent += pipes.write(b"x" * 65536)
        assert 0 < sent < 64 * 2**20
        os.close(from_child_w)
        assert pipes.ready(1) and pipes.read(1) == b""       # the end of the pipe
        os.close(to_child_r)                                 # the child is gone: the blocked write fails...
        deadline = time.monotonic() + 2
        while pipes.write_error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(OSError):                          # ...and the next write says so
            pipes.write(b"more")
    finally:
        pipes.stop()
        for fd in (from_child_r, to_child_w):
            os.close(fd)


def test_chunks_without_select_read_to_the_end(monkeypatch):
    monkeypatch.setattr(portable, "select_works_on_pipes", lambda: False)
    monkeypatch.setattr(select, "select", lambda *args: pytest.fail("select called on a pipe"))
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"printed")
    os.close(write_fd)
    assert b"".join(portable.chunks(read_fd, threading.Event())) == b"printed"
    os.close(read_fd)


def test_disk_usage_without_st_blocks_counts_sizes():
    class WindowsStat:  # os.stat_result on Windows has no st_blocks
        st_size = 5000
    assert disk_bytes(WindowsStat()) == 5000
    info = os.stat(__file__)
    assert disk_bytes(info) == (info.st_blocks * 512 if hasattr(info, "st_blocks") else info.st_size)


def test_start_options_per_platform(monkeypatch):
    monkeypatch.setattr(portable, "on_windows", lambda: False)
    monkeypatch.setattr(os, "killpg", lambda pid, sig: None, raising=False)
    assert portable.start_options() == {"start_new_session": True}
    monkeypatch.delattr(os, "killpg")
    assert portable.start_options() == {"start_new_session": False}
    monkeypatch.setattr(portable, "on_windows", lambda: True)
    monkeypatch.setattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200, raising=False)
    assert portable.start_options() == {"creationflags": 0x200}
    assert portable.kill_mechanism() == portable.JOB_OBJECT


def test_rlimits_per_platform(monkeypatch):
    monkeypatch.setattr(limits, "has_rlimits", lambda: True)
    monkeypatch.setattr(sys, "platform", "linux")
    assert set(limits.rlimits(cpu_seconds=3)) >= {"RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE"}
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "RLIMIT_AS" not in limits.rlimits(cpu_seconds=3)
    assert limits.watched_memory(512) == 512 * 2**20  # so the parent watches the memory instead
    monkeypatch.setattr(limits, "has_rlimits", lambda: False)
    assert limits.limits_spec(512, 3) == ""
    monkeypatch.setattr(portable, "on_windows", lambda: True)
    assert limits.limit_names() == ["cpu time", "memory", "processes"]
    assert limits.watched_memory(512) is None  # the Job Object holds it


def test_windows_crash_statuses_are_named(monkeypatch):
    monkeypatch.setattr(portable, "on_windows", lambda: True)
    assert "access violation" in portable.windows_crash(0xC0000005)
    assert "access violation" in portable.windows_crash(-1073741819)  # the same status, signed
    assert portable.windows_crash(3) == ""
    monkeypatch.setattr(portable, "on_windows", lambda: False)
    assert portable.windows_crash(0xC0000005) == ""


# -- the Job Object -------------------------------------------------------------------------

class FakeKernel32:
    """Records the calls a JobObject makes, with the limits it sets."""

    def __init__(self, refuse=()):
        self.calls, self.refuse, self.info = [], set(refuse), None

    def __getattr__(self, name):
        def call(*args):
            self.calls.append(name)
            if name == "SetInformationJobObject":
                self.info = jobs.ExtendedLimits.from_buffer_copy(args[2]._obj)  # args[2] is byref(info)
            if name in self.refuse:
                return 0
            return 0x1234 if name == "CreateJobObjectW" else 1
        return call


class FakePopen:
    _handle = 0x88


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the sizes are those of 64-bit Windows")
def test_job_object_structures_have_windows_sizes():
    assert ctypes.sizeof(jobs.BasicLimits) == 64
    assert ctypes.sizeof(jobs.IoCounters) == 48
    assert ctypes.sizeof(jobs.ExtendedLimits) == 144


def test_job_object_holds_the_limits_and_kills_on_close():
    kernel32 = FakeKernel32()
    job = jobs.JobObject(limits.job_limits(memory_mb=512, cpu_seconds=9.5), kernel32=kernel32)
    flags = kernel32.info.BasicLimitInformation.LimitFlags
    for flag in (jobs.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, jobs.JOB_OBJECT_LIMIT_JOB_MEMORY,
                 jobs.JOB_OBJECT_LIMIT_PROCESS_TIME, jobs.JOB_OBJECT_LIMIT_ACTIVE_PROCESS,
                 jobs.JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION):
        assert flags & flag
    assert kernel32.info.JobMemoryLimit == 512 * 2**20
    assert kernel32.info.BasicLimitInformation.PerProcessUserTimeLimit == 10 * jobs.HUNDRED_NS_PER_SECOND
    assert kernel32.info.BasicLimitInformation.ActiveProcessLimit == limits.MAX_PROCESSES
    job.assign(FakePopen())
    job.terminate()
    job.close()
    job.close()
    assert kernel32.calls == ["CreateJobObjectW", "SetInformationJobObject", "AssignProcessToJobObject",
                              "TerminateJobObject", "CloseHandle"]


def test_a_refused_job_falls_back_to_the_tree_walk(monkeypatch):
    monkeypatch.setattr(portable, "on_windows", lambda: True)
    monkeypatch.setattr(jobs, "windows_kernel32", lambda: FakeKernel32(refuse={"AssignProcessToJobObject"}))
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    if not hasattr(child, "_handle"):
        child._handle = 0x88  # what a Popen has on Windows
    try:
        tree = portable.ProcessTree(child, limits.job_limits())
        assert tree.mechanism == portable.PROCESS_TREE and tree.job is None
        tree.kill()
        assert child.wait(timeout=5) != 0
    finally:
        child.kill()
        child.wait()


SPAWNS_A_GRANDCHILD = """
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                              creationflags=subprocess.DETACHED_PROCESS)
print(grandchild.pid, flush=True)
time.sleep(60)
"""


@windows_only
def test_natively_the_job_object_kills_the_whole_tree_detached_or_not():
    child = subprocess.Popen([sys.executable, "-c", SPAWNS_A_GRANDCHILD], stdout=subprocess.PIPE,
                             **portable.start_options())
    tree = portable.ProcessTree(child, limits.job_limits(memory_mb=512, cpu_seconds=30))
    try:
        assert tree.mechanism == portable.JOB_OBJECT
        grandchild = psutil.Process(int(child.stdout.readline()))
        tree.kill()
        child.wait(timeout=5)
        grandchild.wait(timeout=5)
    finally:
        tree.close()
        child.stdout.close()


# -- the child's start-up where resource, prctl and SIGXFSZ do not exist ------------------------

STARTS_LIKE_WINDOWS = """
import runpy, signal, sys
sys.modules["resource"] = None           # import resource: ImportError, as on Windows
sys.platform = "win32"                   # no prctl
if hasattr(signal, "SIGXFSZ"):
    del signal.SIGXFSZ
runpy.run_path(sys.argv[1], run_name="not_main")
print("started")
"""


def test_the_child_starts_without_resource_prctl_or_sigxfsz():
    env = {**os.environ, "NNLAB_LIMITS": "RLIMIT_CORE=0", "NNLAB_RUN_AS": ""}
    run = subprocess.run([sys.executable, "-c", STARTS_LIKE_WINDOWS, str(Path(process.CHILD_SCRIPT))],
                         capture_output=True, text=True, timeout=60, env=env,
                         cwd=str(Path(process.CHILD_SCRIPT).parent))
    assert run.returncode == 0 and run.stdout.strip() == "started", run.stderr


def test_the_report_records_the_limits_and_the_kill_mechanism(submission):
    report = grade_folder(submission(), names=["activations"], sandbox="off")
    exercise = report.exercises[0]
    assert exercise.status == "passed"
    assert exercise.child["kill"] == portable.kill_mechanism()
    assert exercise.child["limits"] == limits.limit_names() and "cpu time" in exercise.child["limits"]
    assert exercise.child["kill"] not in str(to_gradescope(report))
