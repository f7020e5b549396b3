"""The fork server under the sandbox: one bubblewrap sandbox per submission holds the
server, and each fork shuts itself in a sandbox of its own (``namespaces.py``) before it
imports student code: its own PID 1, no /proc, a /tmp holding only its workspace."""

import ast
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import grade_folder
from grader.engine import sandbox
from grader.engine.sandbox import Sandbox
from test_forkserver import alive, servers  # noqa: F401 -- servers: the fixture of every server started

pytestmark = [
    pytest.mark.linux_only("the sandbox is Linux's (bubblewrap and namespaces)"),
    pytest.mark.skipif(sandbox.choose("auto")[0] is None, reason="bubblewrap cannot run here"),
]

LOOKS_AROUND = """
import glob, os
print("SEES " + repr({"pid": os.getpid(), "proc": sorted(os.listdir("/proc")), "cwd": os.getcwd(),
                      "tmp": sorted(glob.glob("/tmp/*") + glob.glob("/tmp/*/*")),
                      "shm": os.listdir("/dev/shm")}))
"""  # at the top of a module: what a child sees of the machine, and of its siblings


def looking_around(submission, names):
    folder = submission()
    for name in names:
        path = folder / f"{name}.py"
        path.write_text(LOOKS_AROUND + path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def seen(exercise):
    return ast.literal_eval(re.search(r"SEES (\{.*\})", exercise.output).group(1))


def test_each_child_is_a_fork_that_sees_only_its_own_workspace(submission, servers):
    names = ["activations", "softmax", "losses"]
    report = grade_folder(looking_around(submission, names), names=names, sandbox="on", jobs=2)
    assert [e.status for e in report.exercises] == ["passed"] * 3
    assert len(servers) == 1 and servers[0].sandbox is not None
    folders = set()
    for exercise in report.exercises:
        view = seen(exercise)
        assert view["pid"] == 1 and view["proc"] == [] and view["shm"] == []  # no server, no sibling
        own = view["cwd"]
        assert Path(own).parent == servers[0].workspaces and exercise.child["sandbox"] is True
        assert [path for path in view["tmp"] if not own.startswith(path)] == [], view["tmp"]
        folders.add(own)
    assert len(folders) == 3


def test_a_fork_that_cannot_shut_itself_in_is_spawned_in_a_sandbox_of_its_own(submission, servers, monkeypatch):
    monkeypatch.setattr(Sandbox, "tmp_bytes", "not-a-size")  # every fork's tmpfs mount fails
    report = grade_folder(looking_around(submission, ["activations"]), names=["activations"], sandbox="on")
    exercise = report.exercises[0]
    assert exercise.status == "passed"
    assert seen(exercise)["proc"] != []  # bubblewrap's own /proc: a spawned child, not a fork


def test_grading_leaves_no_sandboxed_server_and_no_folder_behind(submission, servers):
    grade_folder(submission(), names=["activations"], sandbox="on")
    server = servers[0]
    assert server.process.poll() is not None
    assert not server.folder.exists() and not server.workspaces.exists()


DIES_WITH_THE_GRADER = """
import time
from pathlib import Path
from grader.engine import sandbox
from grader.engine.forkserver import ForkServer
from grader.engine.process import ChildProcess
from grader.engine.workspace import Workspace
from grader.submission import Submission
box = sandbox.choose("on")[0]
forks = ForkServer.start(sandbox=box)
folder = Path({tmp!r}, "sub")
folder.mkdir()
(folder / "probe.py").write_text("import time")
workspace, _ = Workspace.create("probe", [], Submission(folder, ["probe"]), parent=forks.workspaces)
child = ChildProcess(workspace, "probe", time.monotonic() + 30, sandbox=box, forks=forks)
print(forks._server.server_pid, child.process.pid, forks._server.folder, flush=True)
time.sleep(60)
"""


def test_the_sandboxed_server_and_its_children_die_with_the_grader(tmp_path):
    """(The server's folder, copies of a few engine files, stays behind: the server sees it
    read-only, and could not remove a mount point anyway. So do the workspaces of a
    killed grader, in every mode.)"""
    code = DIES_WITH_THE_GRADER.format(tmp=str(tmp_path))
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        server, child = (int(pid) for pid in grader.stdout.readline().split()[:2])
        assert alive(server) and alive(child)
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 10
    while (alive(server) or alive(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server) and not alive(child)
