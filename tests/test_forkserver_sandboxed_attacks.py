"""Attacks on the sandboxed fork server, each found to succeed against its first version
(by a reviewer playing a hostile student) and blocked since:
- the forks of a submission shared the server's network namespace and /dev/pts, so
  abstract Unix sockets, the loopback and terminals connected the exercises graded side
  by side: each fork now has a network namespace and a devpts of its own;
- a fork's PID 1 died with the fork that waits for it only by its parent-death signal,
  which student code may clear: the grader now kills a PID 1 whose fork died;
- the fork made itself dumpable (to write its uid_map) and stayed so: as root, the
  child's user is nobody, and any process of nobody on the machine could read it;
- the fork that waits re-raised the signal its PID 1 died of, but cannot set SIGKILL's
  handler: it fell back into the server's own code and killed the server's other forks.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import grade_folder
from grader.engine import forkserver, runtime, sandbox
from test_forkserver import servers  # noqa: F401 -- the fixture of every server started

pytestmark = [
    pytest.mark.linux_only("the sandbox is Linux's (bubblewrap and namespaces)"),
    pytest.mark.skipif(sandbox.choose("auto")[0] is None, reason="bubblewrap cannot run here"),
]

ASKS = '''
import socket as _socket, time as _time

def _ask(name):
    for _ in range(80):
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            s.connect(name)
            return s.recv(200).decode()
        except OSError:
            _time.sleep(0.1)
        finally:
            s.close()
    return "nobody"

raise RuntimeError("HEARD: " + _ask(NAME))
'''

ANSWERS_ONCE = '''
import socket as _socket

_server = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
_server.bind(NAME)
_server.listen(1)
_server.settimeout(8)
try:
    _server.accept()[0].sendall(b"hello from a sibling")
except OSError:
    pass
'''

WAITS = '''
import time as _time

_time.sleep(3)  # while the machine's other processes of user nobody look at it
'''

LINGERS = '''
import ctypes as _ctypes, os as _os, time as _time

_ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG: none; then PID 1 stays, its child serves
if _os.fork() != 0:
    while True:
        _time.sleep(1)
'''


def with_prefix(submission, prefixes):
    folder = submission()
    for module, code in prefixes.items():
        path = folder / f"{module}.py"
        path.write_text(code + path.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def heard(report, module):
    exercise = next(e for e in report.exercises if e.name == module)
    if "HEARD: " not in exercise.error:
        return exercise.error
    return exercise.error.split("HEARD: ", 1)[1].splitlines()[0]


def test_exercises_graded_side_by_side_cannot_talk(submission):
    name = 'NAME = b"\\0nnlab-attack-sibling"\n'
    folder = with_prefix(submission, {"activations": name + ANSWERS_ONCE, "softmax": name + ASKS})
    report = grade_folder(folder, names=["activations", "softmax"], sandbox="on", jobs=2)
    assert heard(report, "softmax") == "nobody"


def test_nothing_of_an_exercise_runs_once_it_ended(submission, servers):
    folder = with_prefix(submission, {"activations": LINGERS, "forward": WAITS})  # forward: after activations
    grading = threading.Thread(target=grade_folder, args=(folder,),
                               kwargs={"names": ["activations", "forward"], "sandbox": "on"})
    grading.start()
    seen, lingering = set(), set()
    while grading.is_alive():
        for server in [s for s in servers if s.server_pid]:
            # the server's children are forks; one that is PID 1 of a namespace lost its fork
            orphans = {pid for pid in forkserver.child_pids(server.server_pid)
                       if len(forkserver.namespace_pids(pid)) == 3}
            lingering |= orphans & seen
            seen = orphans
        time.sleep(0.2)
    assert not lingering


OPENS_A_PTY = '''
import ctypes as _ctypes, os as _os, time as _time

_libc = _ctypes.CDLL(None)
_master = _os.open("/dev/ptmx", _os.O_RDWR | _os.O_NOCTTY)
_libc.grantpt(_master), _libc.unlockpt(_master)
_os.set_blocking(_master, False)
for _ in range(80):
    try:
        if b"hi" in _os.read(_master, 100):
            break
    except BlockingIOError:
        _time.sleep(0.1)
'''

WRITES_TO_PTYS = '''
import os as _os, time as _time

def _write():
    for _ in range(80):
        for name in _os.listdir("/dev/pts"):
            if name.isdigit():
                _os.write(_os.open("/dev/pts/" + name, _os.O_WRONLY | _os.O_NOCTTY), b"hi")
                return "a sibling's pty"
        _time.sleep(0.1)
    return "nobody"

raise RuntimeError("HEARD: " + _write())
'''


def test_exercises_graded_side_by_side_share_no_terminal(submission):
    folder = with_prefix(submission, {"activations": OPENS_A_PTY, "softmax": WRITES_TO_PTYS})
    report = grade_folder(folder, names=["activations", "softmax"], sandbox="on", jobs=2)
    assert heard(report, "softmax") == "nobody"


READS_FROM_OUTSIDE = '''
import os, sys
os.setgroups([]), os.setgid(65534), os.setuid(65534)  # any process of user nobody on the machine
try:
    print(open(f"/proc/{sys.argv[1]}/cwd/submission/activations.py").read()[:40])
except OSError as error:
    print(type(error).__name__)
'''


def sandboxed_forks():
    """Host pids of processes two PID namespaces below this one, as a fork's PID 1 is."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            nspid = [line for line in (entry / "status").read_text().splitlines() if line.startswith("NSpid:")]
        except OSError:
            continue
        if nspid and nspid[0].split()[-1] == "1" and len(nspid[0].split()) == 4:
            found.append(entry.name)
    return found


@pytest.mark.skipif(not runtime.is_root(), reason="the child is nobody only when the grader is root")
def test_no_other_process_of_the_childs_user_can_read_a_sandboxed_child(submission):
    folder = with_prefix(submission, {"activations": WAITS})
    before = set(sandboxed_forks())
    grading = threading.Thread(target=grade_folder, args=(folder,), kwargs={"names": ["activations"],
                                                                            "sandbox": "on"})
    grading.start()
    try:
        for _ in range(50):
            ours = [pid for pid in set(sandboxed_forks()) - before
                    if os.readlink(f"/proc/{pid}/cwd").startswith(tempfile.gettempdir())
                    and Path(f"/proc/{pid}/cwd/submission/activations.py").read_text().startswith(WAITS)]
            if ours:
                break
            time.sleep(0.05)
        assert ours, "the fork's PID 1 was not found"
        outside = subprocess.run([sys.executable, "-c", READS_FROM_OUTSIDE, ours[0]],
                                 capture_output=True, text=True)
        assert outside.stdout.strip() == "PermissionError", outside.stdout
    finally:
        grading.join()


DIES_OF_ITS_CPU_LIMIT = """def softmax(z, axis=-1):
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (1, 1))  # the kernel kills it (SIGKILL) after 1 s of CPU
    while True:
        pass
"""


def test_a_fork_killed_by_its_cpu_limit_harms_no_sibling_and_says_so(submission):
    """The fork that waits for its PID 1 re-raises the signal it died of, SIGKILL too,
    and never falls back into the server's own code (which killed the siblings)."""
    folder = submission(replacements={"softmax.softmax": DIES_OF_ITS_CPU_LIMIT})
    path = folder / "activations.py"  # a correct module, still loading when softmax's fork dies
    path.write_text("import time as _time\n_time.sleep(6)\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    report = grade_folder(folder, names=["activations", "softmax"], sandbox="on", jobs=2)
    activations, softmax = report.exercises
    assert activations.status == "passed", activations.error
    killed = [c.message for c in softmax.checks if "the process running your code" in c.message]
    assert killed and all("SIGKILL" in message for message in killed), killed
