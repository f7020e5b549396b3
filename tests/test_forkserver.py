"""The fork server: every child of a submission, restarts included, is a fork of one
server that never imports student code, and a server that dies costs only the check
that was running, and leaves nothing behind."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import grade_folder
from grader.engine import forkserver
from grader.engine.forkserver import ForkServer
from grader.engine.process import ChildGone, ChildProcess
from grader.engine.workspace import Workspace
from grader.submission import Submission

pytestmark = pytest.mark.skipif(not forkserver.available() or not Path("/proc/self/stat").exists(),
                                reason="needs fork, and /proc to see who is whose parent")

TELLS_ITS_PARENT = """
import os, sys
print(f"PARENT {os.getppid()} MODULES {sorted(m for m in sys.modules if m.split('.')[0] in ('submission', 'grader'))}")
"""  # at the top of a module: what the server had imported shows, besides the module itself


def parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[1])


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def servers(monkeypatch):
    """Every fork server that grading starts, as it starts them."""
    started = []
    original = forkserver.Server.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(forkserver.Server, "__init__", recording)
    return started


@pytest.fixture
def forks():
    forks = ForkServer.start()
    yield forks
    forks.close()


def child_of(tmp_path, source, forks, seconds=10):
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "sub" / "probe.py").write_text(source, encoding="utf-8")
    workspace, _ = Workspace.create("probe", [], Submission(tmp_path / "sub", ["probe"]))
    return ChildProcess(workspace, "probe", time.monotonic() + seconds, forks=forks), workspace


PROBE = """
import os
def parent():
    return os.getppid()
def home():
    return os.environ["HOME"]
def crash():
    os.kill(os.getpid(), __import__("signal").SIGSEGV)
"""


# -- children are forks ---------------------------------------------------------------------

def test_every_child_of_a_submission_is_a_fork_of_one_server(submission, servers):
    modules = {name: TELLS_ITS_PARENT + Path(submission().joinpath(f"{name}.py")).read_text(encoding="utf-8")
               for name in ("activations", "softmax", "losses")}
    report = grade_folder(submission(modules=modules), names=list(modules), sandbox="off", jobs=2)
    assert [e.status for e in report.exercises] == ["passed"] * 3
    parents = {int(p) for e in report.exercises for p in re.findall(r"PARENT (\d+)", e.output)}
    assert len(servers) == 1 and parents == {servers[0].process.pid} and os.getpid() not in parents
    for exercise in report.exercises:  # the server imported no student code, and nothing of the grader
        assert f"MODULES ['submission', 'submission.{exercise.name}']" in exercise.output


def test_a_forked_child_has_its_own_environment_and_token(tmp_path, forks):
    child, workspace = child_of(tmp_path, PROBE, forks)
    try:
        assert isinstance(child.process, forkserver.ForkedProcess)
        assert parent_of(child.process.pid) == forks.pid
        environment = Path(f"/proc/{child.process.pid}/environ").read_bytes().split(b"\0")
        assert f"NNLAB_CHILD={child.token}".encode() in environment  # what kill_marked looks for
        assert child.request({"op": "call", "target": "home"})["value"] == str(workspace.home)
    finally:
        child.close()
        workspace.remove()


def test_a_crash_is_reported_by_the_server_with_its_signal(tmp_path, forks):
    child, workspace = child_of(tmp_path, PROBE, forks)
    try:
        with pytest.raises(ChildGone, match="killed by SIGSEGV"):
            child.request({"op": "call", "target": "crash"})
    finally:
        child.close()
        workspace.remove()


CRASHES = "def relu(z):\n    import os\n    os._exit(3)\n"
HANGS = "def tanh(z):\n    while True:\n        pass\n"


def test_restarts_after_a_crash_and_a_timeout_are_forks_of_the_same_server(submission, servers):
    folder = submission(replacements={"activations.relu": CRASHES, "activations.tanh": HANGS})
    source = TELLS_ITS_PARENT + (folder / "activations.py").read_text(encoding="utf-8")
    (folder / "activations.py").write_text(source, encoding="utf-8")
    report = grade_folder(folder, names=["activations"], sandbox="off", timeout=3, jobs=1)
    exercise = report.exercises[0]
    messages = {c.name: c.message for c in exercise.checks}
    assert "exited with status 3" in messages["relu_known_values"]
    assert messages["tanh_is_stable"].startswith("timed out")
    assert "sigmoid_known_values" in {c.name for c in exercise.checks if c.passed}
    assert "leaky_relu_honours_alpha" in {c.name for c in exercise.checks if c.passed}  # after both restarts
    parents = re.findall(r"PARENT (\d+)", exercise.output)
    assert len(parents) >= 3 and {int(p) for p in parents} == {servers[0].process.pid} and len(servers) == 1


# -- a server that dies ---------------------------------------------------------------------

def test_a_killed_server_costs_the_running_check_and_a_fresh_one_forks_the_next(submission, servers, monkeypatch):
    """The server killed while a check runs: that check fails and says why, the next
    checks and exercises run on a fresh server."""
    original = ChildProcess.request
    killed = []

    def request(self, message):
        if message.get("target") == "relu" and not killed:
            killed.append(servers[-1].process.pid)
            os.kill(killed[0], signal.SIGKILL)
            self.process.wait(timeout=5)  # the grader saw the server go, and the child with it
        return original(self, message)

    monkeypatch.setattr(ChildProcess, "request", request)
    report = grade_folder(submission(), names=["activations", "softmax"], sandbox="off", jobs=1)
    activations, softmax = report.exercises
    failed = [c for c in activations.checks if not c.passed]
    assert len(failed) == 1 and failed[0].name.startswith("relu")  # the first check that calls relu
    assert "the grader's fork server stopped" in failed[0].message
    assert softmax.status == "passed" and len(servers) == 2 and servers[1].process.pid != killed[0]


def test_a_killed_server_ends_its_children_and_the_next_child_gets_a_new_one(tmp_path, forks):
    child, workspace = child_of(tmp_path, PROBE, forks)
    first_server, pid = forks.pid, child.process.pid
    try:
        assert child.request({"op": "call", "target": "parent"})["value"] == first_server
        os.kill(first_server, signal.SIGKILL)
        assert child.process.wait(timeout=5) == -signal.SIGKILL
        with pytest.raises(ChildGone, match="fork server stopped"):
            child.request({"op": "call", "target": "parent"})
        assert not alive(pid)
    finally:
        child.close()
    again = ChildProcess(workspace, "probe", time.monotonic() + 10, forks=forks)
    try:
        assert again.request({"op": "call", "target": "parent"})["value"] == forks.pid != first_server
    finally:
        again.close()
        workspace.remove()


def test_where_the_server_cannot_fork_the_child_is_spawned(tmp_path, forks):
    forks.close()
    child, workspace = child_of(tmp_path, PROBE, forks)
    try:
        assert isinstance(child.process, subprocess.Popen)
        assert child.request({"op": "call", "target": "parent"})["value"] == os.getpid()
    finally:
        child.close()
        workspace.remove()


def test_what_the_server_says_is_checked(forks):
    server = forks._running()
    assert not server._take(b'{"forked": %d}' % os.getpgrp())       # the grader's own group
    assert not server._take(b'{"forked": %d}' % os.getppid())       # not a child of the server
    assert not server._take(b'{"exited": 12345, "status": 1000}')   # no such status
    assert not server._take(b'{"exited": 12345, "status": 0}')      # no such child
    assert not server._take(b'{"verdict": "passed"}') and not server._take(b"[1, 2")


# -- nothing left behind --------------------------------------------------------------------

def test_grading_leaves_no_server_and_no_folder_behind(submission, servers):
    grade_folder(submission(), names=["activations"], sandbox="off")
    assert not alive(servers[0].process.pid)
    assert not Path(servers[0].process.args[-2]).parent.exists()  # its folder is gone


class Interrupt:
    def started(self, name):
        raise KeyboardInterrupt

    def finished(self, result):
        pass


def test_ctrl_c_closes_the_server(submission, servers):
    with pytest.raises(KeyboardInterrupt):
        grade_folder(submission(), names=["activations"], sandbox="off", jobs=1, progress=Interrupt())
    assert servers and not alive(servers[0].process.pid)
    assert not Path(servers[0].process.args[-2]).parent.exists()


def test_closing_kills_every_child_it_forked(tmp_path, forks):
    child, workspace = child_of(tmp_path, PROBE, forks)
    pid = child.process.pid
    forks.close()
    try:
        assert not alive(pid) and child.process.poll() == -signal.SIGKILL
    finally:
        child.close()
        workspace.remove()


def test_arrays_arguments_travel_through_the_arena_of_a_forked_child(tmp_path, forks):
    source = "def scale(x):\n    x *= 2\n    return None\n"
    child, workspace = child_of(tmp_path, source, forks)
    try:
        assert child.arena is not None
        answer = child.request({"op": "call", "target": "scale", "args": [np.ones(3)], "return_args": True})
        np.testing.assert_array_equal(answer["args_after"][0], [2, 2, 2])  # read by the parent from the arena
    finally:
        child.close()
        workspace.remove()


DIES_WITH_ITS_CHILDREN = """
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from test_forkserver import child_of
from grader.engine.forkserver import ForkServer
forks = ForkServer.start()
child, workspace = child_of(Path({tmp!r}), "import time", forks)
print(forks.pid, child.process.pid, workspace.root, forks._server.folder, flush=True)
time.sleep(60)
"""


def test_the_server_and_its_children_die_with_the_grader(tmp_path):
    grader = subprocess.Popen([sys.executable, "-c", DIES_WITH_ITS_CHILDREN.format(tests=str(Path(__file__).parent),
                                                                                tmp=str(tmp_path))],
                              stdout=subprocess.PIPE, text=True)
    try:
        server, child, workspace, folder = grader.stdout.readline().split()
        server, child = int(server), int(child)
        assert alive(server) and alive(child) and Path(folder).is_dir()
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 10
    while (alive(server) or alive(child) or Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    shutil.rmtree(workspace, ignore_errors=True)
    assert not alive(server) and not alive(child) and not Path(folder).exists()
