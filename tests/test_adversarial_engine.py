"""Hostile submissions that attack the grader's own side: its reader, its writer, its
memory, its clean-up. Each is graded next to an honest exercise, which keeps full marks,
and costs only what it fakes, within the exercise's time limit.
"""

import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from conftest import SOLUTIONS, grade_folder
from test_adversarial import MODES, grade_hostile, passed, processes_named, rename_self, unique_marker
from grader.engine import reaper, runtime
from grader.engine.process import NOT_AN_ANSWER, ChildProcess, ChildTimeout
from grader.engine.workspace import Workspace
from grader.submission import Submission

# Student code finds the grader's answer pipe the way an attacker would: the write-only
# pipe among its descriptors that is not its output, and writes frames in the engine's
# format (the import policy refuses `import protocol`, not the format itself).
FIND_ANSWER_PIPE = """
import os, stat, fcntl, sys
def answer_pipe():
    output = os.fstat(2).st_ino
    for fd in range(3, 64):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if (stat.S_ISFIFO(info.st_mode) and info.st_ino != output
                and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY):
            return fd
def forge(header, blobs=()):
    import json, struct
    raw = json.dumps(header).encode()
    forge_raw(struct.pack("<I", len(raw)) + raw + struct.pack("<I", len(blobs))
              + b"".join(struct.pack("<Q", len(blob)) + blob for blob in blobs))
def forge_raw(data):
    fd = answer_pipe()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
"""


def hostile_module(code, module="activations"):
    """The reference ``module`` with ``code`` (using FIND_ANSWER_PIPE) at its end."""
    source = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    return {module: source + "\n" + FIND_ANSWER_PIPE + textwrap.dedent(code)}


def message_of(exercise, check):
    return next(c.message for c in exercise.checks if c.name == check)


# -- the parent trusts nothing it reads -----------------------------------------------------

FORGED_FRAMES = {
    "a $dict that is not a dict": {"ok": True, "value": {"$dict": 1}},
    "a $tuple that is not a list": {"ok": True, "value": {"$tuple": "ab"}},
    "a handle that is not a number": {"ok": True, "value": {"$handle": "x"}},
    "an ok that is not a bool": {"ok": "yes"},
    "an error that is a list": {"ok": False, "error": ["boom"]},
    "an unknown field": {"ok": True, "value": 1, "verdict": "passed"},
    "an array of the wrong size": {"ok": True, "value": {"$nd": 0, "dtype": "<f8", "shape": [10]}},
}


@pytest.mark.posix_only("needs POSIX: the attack finds its pipe with fcntl")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("frame", FORGED_FRAMES.values(), ids=FORGED_FRAMES.keys())
def test_a_forged_first_frame_ends_only_its_exercise(submission, mode, frame):
    folder = submission(modules=hostile_module(f"forge({frame!r}, [b'12345678'])\n"))
    exercise = grade_hostile(folder, mode)
    assert exercise.status == "error" and exercise.score == 0
    assert NOT_AN_ANSWER in exercise.error


@pytest.mark.posix_only("needs POSIX: the attack finds its pipe with fcntl")
@pytest.mark.parametrize("mode", MODES)
def test_a_forged_answer_in_a_call_costs_that_check(submission, mode):
    code = """
    _honest_relu = relu
    def relu(z):
        forge({"ok": True, "value": {"$dict": {"a": {"$dict": 1}}}})
        return _honest_relu(z)
    """
    exercise = grade_hostile(submission(modules=hostile_module(code)), mode)
    assert NOT_AN_ANSWER in message_of(exercise, "relu_known_values")
    assert "sigmoid_known_values" in passed(exercise)


@pytest.mark.posix_only("needs POSIX: the attack finds its pipe with fcntl")
@pytest.mark.parametrize("mode", MODES)
def test_a_header_nested_too_deeply_is_not_an_answer(submission, mode):
    code = """
    import struct
    deep = b'{"ok": true, "value": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    forge_raw(struct.pack("<I", len(deep)) + deep + struct.pack("<I", 0))
    """
    exercise = grade_hostile(submission(modules=hostile_module(code)), mode)
    assert NOT_AN_ANSWER in exercise.error and "nested" in exercise.error


GRADE_AND_MEASURE = """
import atexit, resource, runpy, sys
atexit.register(lambda: print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))
sys.argv = ["nnlab", *sys.argv[1:]]
runpy.run_module("grader", run_name="__main__")
"""


@pytest.mark.posix_only("needs POSIX: the attack finds its pipe with fcntl, the peak is measured with resource")
@pytest.mark.parametrize("size", ["250 MB header", "3.9 MB of empty lists"])
def test_a_huge_forged_frame_costs_the_grader_no_memory(submission, size):
    """The attack of the issue: a 250 MB frame of ``[],[],...`` made the parent build
    about 13 GB of lists. Graded by `nnlab grade` in its own process, whose peak memory
    is measured."""
    count = 80_000_000 if size.startswith("250") else 1_300_000
    code = f"""
    import struct
    lists = b"[" + b"[]," * {count} + b"[]]"
    header = b'{{"ok": true, "value": ' + lists + b'}}'
    forge_raw(struct.pack("<I", len(header)) + header + struct.pack("<I", 0))
    """
    folder = submission(modules=hostile_module(code))
    run = subprocess.run([sys.executable, "-c", GRADE_AND_MEASURE, "grade", str(folder), "-e", "activations",
                          "-e", "softmax", "--format", "json", "--sandbox", "off", "--timeout", "20"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    activations, softmax = report["exercises"]
    assert NOT_AN_ANSWER in activations["error"] and softmax["status"] == "passed"
    peak_mb = int(run.stderr.split("peak")[-1]) / 1024
    assert peak_mb < 300, peak_mb


def test_answers_are_capped_per_exercise(submission, monkeypatch):
    from grader.engine import process
    monkeypatch.setattr(process, "MAX_EXERCISE_BYTES", 2 * 2**20)
    monkeypatch.setattr(process.ByteBudget.__init__, "__defaults__", (2 * 2**20,))
    code = "def relu(z):\n    return np.zeros(300_000)"  # 2.4 MB: under one answer's cap, over this exercise's
    report = grade_folder(submission(replacements={"activations.relu": code}), names=["activations"],
                          sandbox="off")
    message = message_of(report.exercises[0], "relu_known_values")
    assert NOT_AN_ANSWER in message and "in one exercise" in message


# -- every wait has a deadline ---------------------------------------------------------------

STOPS_READING = FIND_ANSWER_PIPE + """
import fcntl, time
def stall(x):
    fcntl.fcntl(requests_fd(), 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe there is
    forge({"ok": True, "value": 1.0})   # answer this call at once...
    time.sleep(1000)                   # ...and never read again
def requests_fd():
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
                return fd
        except OSError:
            pass
"""


def child_of(tmp_path, source, seconds, sandbox=None):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "stall.py").write_text(source, encoding="utf-8")
    workspace, _ = Workspace.create("stall", [], Submission(tmp_path / "sub", ["stall"]))
    return ChildProcess(workspace, "stall", time.monotonic() + seconds, sandbox=sandbox), workspace


@pytest.mark.posix_only("needs POSIX: the attack finds its pipe with fcntl")
@pytest.mark.parametrize("mode", MODES)
def test_a_child_that_stops_reading_cannot_block_the_grader(tmp_path, mode):
    """The attack of the issue: relay honestly, then stop reading once a request carries
    a large array. The parent used to block in stdin.write for ever."""
    from test_adversarial import SANDBOX
    child, workspace = child_of(tmp_path, STOPS_READING, seconds=3, sandbox=SANDBOX if mode == "on" else None)
    try:
        assert child.request({"op": "call", "target": "stall", "args": [np.zeros(3)]})["value"] == 1.0
        started = time.monotonic()
        with pytest.raises(ChildTimeout):
            child.request({"op": "call", "target": "stall", "args": [np.zeros(2**20)]})  # 8 MB
        assert time.monotonic() - started < 5
    finally:
        child.close()
        workspace.remove()


# -- the disk ---------------------------------------------------------------------------------

FILLS_THE_DISK = """
def relu(z):
    import os
    chunk = b"0" * 2**20
    sandboxed = {sandboxed!r}  # then /tmp is the sandbox's own: fill it too
    for n in range(2000):                       # 2 GB in files under the file-size limit
        folder = "/tmp" if sandboxed and n % 2 else os.environ["HOME"]
        with open(os.path.join(folder, f"fill{n}.bin"), "wb") as out:
            for _ in range(16):
                out.write(chunk)
    return np.maximum(z, 0)
"""
MANY_FILES = """  # under the sandbox: only tmpfs's own count of inodes bounds it
def relu(z):
    import os
    for n in range(200_000):
        open(os.path.join(os.environ["HOME"], f"f{n}"), "w").close()
    return np.maximum(z, 0)
"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attack", [FILLS_THE_DISK, MANY_FILES], ids=["2 GB", "200000 files"])
def test_a_submission_cannot_fill_the_disk(submission, tmp_path, mode, attack):
    """The attack of the issue: 2 GB in 4 s made another student's worker fail with
    ENOSPC. Under the sandbox, home and /tmp are 64 MiB tmpfs; without it, the workspace
    is watched and the child stopped past its quota. Either way the honest exercise
    beside it passes (grade_hostile)."""
    code = attack.replace("{sandboxed!r}", repr(mode == "on"))
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), mode, timeout=30)
    message = message_of(exercise, "relu_known_values")
    if mode == "off":
        assert "disk quota" in message
        assert "leaky_relu_honours_alpha" in passed(exercise)
    elif attack is FILLS_THE_DISK:
        assert "No space left" in message
        assert "leaky_relu_honours_alpha" in passed(exercise)


# -- descendants are contained without trusting their environment ----------------------------

ESCAPES = """
def relu(z):
    import os, sys
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execve(sys.executable, [sys.executable, "-c", {code!r}], {{}})  # no token left
        os._exit(0)
    return np.maximum(z, 0)
"""


@pytest.mark.linux_only("needs Linux: the child subreaper adopts orphans, /proc finds them")
@pytest.mark.parametrize("mode", MODES)
def test_an_orphan_with_an_empty_environment_is_killed(submission, mode):
    marker = unique_marker()
    code = rename_self(marker) + "\nimport time\ntime.sleep(30)"
    folder = submission(replacements={"activations.relu": ESCAPES.format(code=code)})
    exercise = grade_hostile(folder, mode)
    assert "relu_known_values" in passed(exercise)
    time.sleep(0.3)
    assert not processes_named(marker)


@pytest.mark.linux_only("needs Linux: the child subreaper adopts orphans, /proc finds them")
def test_through_nnlab_grade_the_orphan_dies_before_the_report_is_written(submission, tmp_path):
    """Without the sandbox, the tampering of the issue: an orphan that outlives the grade
    and rewrites the report. The grading process adopts it and kills it."""
    report_path = tmp_path / "report.json"
    marker = unique_marker()
    code = (rename_self(marker) + f"\nimport time\ntime.sleep(1.5)\nopen({str(report_path)!r}, 'w')"
            ".write('{\"score\": 100}')")
    folder = submission(replacements={"activations.relu": ESCAPES.format(code=code)})
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations",
                          "--format", "json", "-o", str(report_path), "--sandbox", "off"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    time.sleep(2.5)
    assert json.loads(report_path.read_text(encoding="utf-8")) == json.loads(run.stdout)
    assert not processes_named(marker)


@pytest.mark.linux_only("needs Linux: the child subreaper adopts orphans, /proc finds them")
def test_kill_orphans_spares_the_processes_we_started():
    assert reaper.adopt_orphans()
    ours = reaper.popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    same_session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        assert reaper.kill_orphans() == 1
        assert stray.poll() is not None or stray.wait(5) is not None
        assert ours.poll() is None and same_session.poll() is None
    finally:
        for process in (ours, same_session):
            process.kill()
            process.wait()
        reaper.forget(ours)


TAMPERS_AND_KILLS_ITS_WORKER = """
import os, sys, signal
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execve(sys.executable, [sys.executable, "-c", {code!r}], {{}})
    os._exit(0)
os.kill(os.getppid(), signal.SIGKILL)   # the worker: without the sandbox, our parent
"""


@pytest.mark.linux_only("needs Linux: the child subreaper adopts orphans, /proc finds them")
def test_an_orphan_cannot_outlive_its_killed_worker_and_tamper_with_the_batch(tmp_path):
    """The attack of the issue, through `nnlab batch` without the sandbox: a process that
    detaches itself, empties its environment and waits to rewrite another student's
    report. Its worker dies, so it is the batch's own orphan, and the batch kills it."""
    from conftest import ROOT, write_submission
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    marker = unique_marker()
    alice = out / "reports" / "alice.json"
    tamper = (rename_self(marker) + "\nimport time\ntime.sleep(3)\n"
              f"open({str(alice)!r}, 'w').write('{{\"score\": 100}}')")
    write_submission(submissions / "alice")
    write_submission(submissions / "bob")
    write_submission(submissions / "mallory", modules={"activations": TAMPERS_AND_KILLS_ITS_WORKER.format(code=tamper)})
    run = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out),
                          "-e", "activations", "-e", "softmax", "--jobs", "2", "--sandbox", "off"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    written = alice.read_text(encoding="utf-8")
    time.sleep(4)
    assert alice.read_text(encoding="utf-8") == written
    assert json.loads(written)["score"] == json.loads(written)["max_score"]
    assert not processes_named(marker)
    rows = (out / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[0] for row in rows] == ["student", "max points", "alice", "bob", "mallory"]
    if runtime.is_root():  # the child runs as nobody: it cannot even kill its worker
        assert "PermissionError" in rows[-1]
    else:
        assert ",error," in rows[-1] and "killed by SIGKILL" in rows[-1]


# -- evidence observed by the parent ---------------------------------------------------------

FORGES_THE_EVIDENCE = """
import sys

def _forge(params=None, pristine=None):
    # walk up to the child's server and rewrite what it will report about the arguments
    frame = sys._getframe(1)
    while frame is not None:
        if "originals" in frame.f_locals and "args" in frame.f_locals:
            for original in frame.f_locals["originals"]:
                if type(original) is dict and params is not None:
                    original.update(params)
            if pristine is not None:
                frame.f_locals["args"][0] = pristine
        frame = frame.f_back

def sgd_step(params, grads, lr):
    for key, grad in grads.items():
        params[key] = params[key] - lr * grad     # rebinds: the caller's arrays stay as they were
    _forge(params)

class Adam:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps, self.t, self.m, self.v = lr, beta1, beta2, eps, 0, {}, {}

    def step(self, params, grads):
        self.t += 1
        for key, grad in grads.items():
            self.m[key] = self.beta1 * self.m.get(key, 0) + (1 - self.beta1) * grad
            self.v[key] = self.beta2 * self.v.get(key, 0) + (1 - self.beta2) * grad * grad
            m_hat = self.m[key] / (1 - self.beta1 ** self.t)
            v_hat = self.v[key] / (1 - self.beta2 ** self.t)
            params[key] = params[key] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        _forge(params)
"""
WRITES_INTO_ITS_INPUT = """
def relu(z):
    import sys
    pristine = np.array(z, copy=True)
    result = np.maximum(z, 0)
    z *= 0                                          # the caller's array, changed
    frame = sys._getframe(0)
    while frame is not None:                        # and the child's report of it, forged
        if "originals" in frame.f_locals and "args" in frame.f_locals:
            frame.f_locals["args"][0] = pristine
            frame.f_locals["originals"][0] = pristine
        frame = frame.f_back
    return result
"""


@pytest.mark.linux_only("needs Linux: arguments observed through memfd shared memory")
@pytest.mark.parametrize("mode", MODES)
def test_forged_evidence_of_updates_in_place_earns_nothing(submission, mode):
    """The attack of the issue: rebinding instead of updating in place, then rewriting
    the child's report, made optimizers 16/16."""
    source = "import numpy as np\n" + textwrap.dedent(FORGES_THE_EVIDENCE)
    exercise = grade_hostile(submission(modules={"optimizers": source}), mode, names=("optimizers", "activations"))
    in_place = [c for c in exercise.checks if "in_place" in c.name]
    assert in_place and not any(c.passed for c in in_place), [(c.name, c.message) for c in exercise.checks]
    assert exercise.score < exercise.max_score


@pytest.mark.linux_only("needs Linux: arguments observed through memfd shared memory")
@pytest.mark.parametrize("mode", MODES)
def test_forged_evidence_of_untouched_inputs_is_seen_through(submission, mode):
    exercise = grade_hostile(submission(replacements={"activations.relu": WRITES_INTO_ITS_INPUT}), mode)
    assert "changed its argument #1 in place" in message_of(exercise, "relu_known_values")
    assert "sigmoid_known_values" in passed(exercise)


def test_without_shared_memory_the_childs_report_is_used(submission, monkeypatch):
    """Where there is no memfd (not Linux) the arguments travel as bytes, as before."""
    from grader.engine import arena
    monkeypatch.setattr(arena.Arena, "create", classmethod(lambda cls: None))
    report = grade_folder(submission(), names=["optimizers"], sandbox="off")
    assert report.score == report.max_score


# -- a deeply nested notebook -----------------------------------------------------------------

def test_a_deeply_nested_notebook_costs_only_its_exercise(tmp_path):
    from conftest import ROOT
    notebooks = tmp_path / "work"
    made = subprocess.run([sys.executable, "-m", "grader", "notebook", "solutions", "--out", str(notebooks)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    deep = next(notebooks.glob("01-*.ipynb"))
    deep.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + ', "metadata": {}, "nbformat": 4}', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(notebooks), "-e", "activations",
                          "-e", "softmax", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    activations, softmax = json.loads(run.stdout)["exercises"]
    assert activations["status"] == "error" and softmax["status"] == "passed"
    assert "nests too deeply" in activations["error"] or "nests too deeply" in " ".join(
        json.loads(run.stdout)["notices"])


@pytest.mark.parametrize("source", ["x = 1" + "+1" * 200_000, "x = " + "-" * 100_000 + "1"],
                         ids=["RecursionError", "MemoryError"])
def test_a_module_too_deep_for_the_parser_costs_only_its_exercise(submission, source):
    """The grader reads a module's imports with ast.parse in its own process: a source
    that makes the parser raise RecursionError or MemoryError must not end the run."""
    exercise = grade_hostile(submission(modules={"activations": source}), "off")
    assert exercise.status == "error" and exercise.score == 0
