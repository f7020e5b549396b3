"""Hostile submissions, graded for real: each earns nothing for what it fakes.

Every test grades the hostile exercise next to an honest one and checks that the honest
one keeps its full score, that the report is valid JSON, and that the run stays within
its time limit. Tests of guarantees that only the Linux sandbox gives are skipped, with
the reason, where bubblewrap cannot run.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ON_LINUX, ROOT, SOLUTIONS, grade_folder
from grader.engine import limits, runtime, sandbox

SANDBOX, WHY_NOT = sandbox.choose("auto")
needs_sandbox = pytest.mark.skipif(SANDBOX is None, reason=WHY_NOT or "sandbox unavailable")
MODES = ["off", pytest.param("on", marks=needs_sandbox)]


def grade_hostile(folder, mode, names=("activations", "softmax"), timeout=10):
    started = time.monotonic()
    report = grade_folder(folder, names=list(names), sandbox=mode, timeout=timeout)
    elapsed = time.monotonic() - started
    json.loads(json.dumps(report.to_dict()))
    honest = [e for e in report.exercises if e.name != names[0]]
    assert all(e.status == "passed" for e in honest), [e.to_dict() for e in honest]
    assert elapsed < timeout * len(names) + 20
    return next(e for e in report.exercises if e.name == names[0])


def passed(exercise):
    return {c.name for c in exercise.checks if c.passed}


def rename_self(marker):
    """Code that renames the calling process (Linux comm), so that the test can find it
    (with ``processes_named``: Linux only; elsewhere the code does nothing)."""
    if not ON_LINUX:
        return "pass"
    return f"import ctypes; ctypes.CDLL(None).prctl(15, {marker!r}.encode(), 0, 0, 0)"


def processes_named(marker):
    """Live processes (zombies are dead already) whose name is ``marker``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            state = (entry / "stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0]
            if (entry / "comm").read_text(encoding="utf-8").strip() == marker and state != "Z":
                found.append(entry.name)
        except (OSError, IndexError):
            pass
    return found


def unique_marker():
    return f"nnlab{os.getpid() % 10000}{time.monotonic_ns() % 100000}"[:15]


# -- reading what it must not -------------------------------------------------------------

CHEAT_WITH_REFERENCE = """
import numpy as np
try:
    exec(open({path!r}).read())          # borrow the reference's functions
except OSError:
    def sigmoid(z):
        return np.zeros_like(z)
"""


@needs_sandbox
def test_reference_solutions_are_invisible(submission):
    folder = submission(modules={"activations": CHEAT_WITH_REFERENCE.format(path=str(SOLUTIONS / "activations.py"))})
    exercise = grade_hostile(folder, "on")
    assert exercise.score == 0


@needs_sandbox
def test_other_students_and_the_grader_are_invisible(submission, tmp_path):
    other = tmp_path / "bob" / "activations.py"
    other.parent.mkdir()
    other.write_text((SOLUTIONS / "activations.py").read_text(encoding="utf-8"), encoding="utf-8")
    for path in (other, ROOT / "grader" / "checks" / "activations.py", Path.home() / ".bashrc"):
        code = f"""
        import numpy as np
        def sigmoid(z):
            open({str(path)!r}).read()
            return 1 / (1 + np.exp(-z))
        """
        folder = submission(replacements={"activations.sigmoid": code})
        exercise = grade_hostile(folder, "on")
        assert "sigmoid_known_values" not in passed(exercise)


@needs_sandbox
def test_no_network(submission):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    port = server.getsockname()[1]
    code = f"""
    def sigmoid(z):
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"leak")
        return 1 / (1 + np.exp(-z))
    """
    exercise = grade_hostile(submission(replacements={"activations.sigmoid": code}), "on")
    assert "sigmoid_known_values" not in passed(exercise)
    with pytest.raises(socket.timeout):
        server.accept()
    server.close()


@pytest.mark.parametrize("mode", MODES)
def test_environment_secrets_do_not_reach_student_code(submission, monkeypatch, mode):
    monkeypatch.setenv("CI_SECRET_TOKEN", "s3cr3t-value")
    code = """
    def relu(z):
        import os
        print(sorted(os.environ.items()))
        return np.maximum(z, 0)
    """
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), mode)
    assert exercise.status == "passed"
    assert "CI_SECRET" not in exercise.output and "s3cr3t" not in exercise.output
    assert "OMP_NUM_THREADS" in exercise.output


# -- patching the grader, NumPy or the import system ----------------------------------------

PWN = 'print("PWNED"); open({marker!r}, "w").write("pwned")\n'


@pytest.mark.parametrize("mode", MODES)
def test_planted_modules_are_never_imported(tmp_path, mode):
    folder = tmp_path / "stub"
    for path in (ROOT / "exercises").glob("*.py"):
        (folder / path.name).parent.mkdir(exist_ok=True)
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    marker = tmp_path / "marker"
    for name in ("numpy.py", "sitecustomize.py", "usercustomize.py", "conftest.py", "grader.py"):
        planted = PWN.format(marker=str(marker)) + "def allclose(*a, **k):\n    return True\n"
        (folder / name).write_text(planted, encoding="utf-8")
    (folder / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'w').write('pwned')\n", encoding="utf-8")
    report = grade_folder(folder, names=["activations", "softmax"], sandbox=mode)
    assert report.score == 0
    assert not marker.exists()
    assert all("PWNED" not in e.output for e in report.exercises)


@pytest.mark.parametrize("mode", MODES)
def test_patching_the_child_server_fakes_nothing(submission, mode):
    code = """
    import numpy as np
    import sys
    sys.modules["__main__"].Server.call = lambda self, request, blobs: {"value": True}
    sys.modules["numpy"].allclose = lambda *a, **k: True
    """
    exercise = grade_hostile(submission(modules={"activations": code}), mode)
    assert exercise.score == 0
    assert "got a bool (True)" in exercise.checks[0].message


@pytest.mark.parametrize("mode", MODES)
def test_lying_objects_are_rejected(submission, mode):
    code = """
    import numpy as np

    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.zeros(3)

    def sigmoid(z):
        return np.asarray(1 / (1 + np.exp(-np.clip(z, -500, 500)))).view(AlwaysEqual)

    def relu(z):
        return ArrayLike()

    def tanh(z):
        return np.array([object()] * np.size(z)).reshape(np.shape(z))
    """
    folder = submission(modules={"activations": (SOLUTIONS / "activations.py").read_text(encoding="utf-8")})
    source = (folder / "activations.py").read_text(encoding="utf-8") + "\n" + __import__("textwrap").dedent(code)
    (folder / "activations.py").write_text(source, encoding="utf-8")
    exercise = grade_hostile(folder, mode)
    messages = {c.name: c.message for c in exercise.checks}
    assert "AlwaysEqual object" in messages["sigmoid_known_values"]
    assert "ArrayLike object" in messages["relu_known_values"]
    assert "ndarray object" in messages["tanh_is_stable"]
    assert not {"sigmoid_known_values", "relu_known_values", "tanh_is_stable"} & passed(exercise)


# -- faking results ------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_printed_results_and_written_reports_are_ignored(submission, tmp_path, mode):
    report_path = tmp_path / "report.json"
    fake = json.dumps({"score": 100, "max_score": 100, "exercises": []})
    code = f"""
    def relu(z):
        print({fake!r})
        try:
            open({str(report_path)!r}, "w").write({fake!r})
        except OSError:
            pass
        return np.zeros_like(z)
    """
    folder = submission(replacements={"activations.relu": code})
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations",
                          "--format", "json", "-o", str(report_path), "--sandbox", mode],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    printed, written = json.loads(run.stdout), json.loads(report_path.read_text(encoding="utf-8"))
    assert printed["score"] < printed["max_score"] and printed == written


DETACHED = """
def relu(z):
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            {rename}
            time.sleep(1.5)
            open({path!r}, "w").write('{{"score": 100}}')
        os._exit(0)
    return np.maximum(z, 0)
"""


@pytest.mark.linux_only("needs Linux: the child subreaper kills what it detaches, /proc finds it")
@pytest.mark.parametrize("mode", MODES)
def test_a_detached_process_cannot_rewrite_the_report(submission, tmp_path, mode):
    report_path = tmp_path / "report.json"
    marker = unique_marker()
    folder = submission(replacements={"activations.relu": DETACHED.format(path=str(report_path),
                                                                          rename=rename_self(marker))})
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations",
                          "--format", "json", "-o", str(report_path), "--sandbox", mode],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    time.sleep(2.5)
    assert json.loads(report_path.read_text(encoding="utf-8")) == json.loads(run.stdout)
    assert not processes_named(marker)


# -- stopping the grader -------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_exits_and_interrupts_cost_one_check_each(submission, mode):
    folder = submission(replacements={
        "activations.relu": "def relu(z):\n    raise KeyboardInterrupt",
        "activations.tanh": "def tanh(z):\n    raise SystemExit(0)",
        "activations.sigmoid_grad": "def sigmoid_grad(z):\n    import os\n    os._exit(0)",
    })
    exercise = grade_hostile(folder, mode)
    assert {"sigmoid_known_values", "leaky_relu_honours_alpha"} <= passed(exercise)
    assert not {"relu_known_values", "tanh_is_stable", "sigmoid_grad_matches_numeric"} & passed(exercise)


@needs_sandbox
def test_signals_cannot_reach_the_grader(submission):
    code = """
    def relu(z):
        import os, signal
        for pid in (os.getppid(), 1):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return np.maximum(z, 0)
    """
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), "on")
    assert "relu_known_values" in passed(exercise)


# -- exhausting resources ------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("body", ["while True:\n        pass", "import time\n    time.sleep(1000)"])
def test_loops_and_sleeps_time_out(submission, mode, body):
    marker = unique_marker()
    folder = submission(replacements={"activations.relu": f"def relu(z):\n    {rename_self(marker)}\n    {body}"})
    exercise = grade_hostile(folder, mode, timeout=3)
    assert "timed out" in next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert "sigmoid_known_values" in passed(exercise)
    if ON_LINUX:  # elsewhere no /proc shows whether it still runs
        assert not processes_named(marker)


def fork_bomb_is_contained():
    return SANDBOX is not None or not runtime.is_root()


def fork_bomb_relu(marker):
    """A relu that forks for ever (its processes renamed ``marker``, to be found in /proc)."""
    return f"""
    def relu(z):
        import os
        {rename_self(marker)}
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """


@pytest.mark.linux_only("needs Linux: os.fork, and /proc to see that the bomb is gone")
@pytest.mark.skipif(not fork_bomb_is_contained(),
                    reason="as root without the sandbox no process limit applies (root is exempt)")
def test_fork_bomb_is_contained(submission):
    marker = unique_marker()
    code = fork_bomb_relu(marker)
    folder = submission(replacements={"activations.relu": code})
    exercise = grade_hostile(folder, "auto", timeout=4)
    assert "relu_known_values" not in passed(exercise)
    time.sleep(0.5)
    assert not processes_named(marker)


@pytest.mark.parametrize("mode", MODES)
def test_memory_exhaustion_fails_one_check(submission, mode):
    code = "def relu(z):\n    hog = [np.ones(10**8) for _ in range(100)]\n    return np.maximum(z, 0)"
    # timeout: a check may use a third of it, and filling 2 GB takes seconds on a loaded machine
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), mode, timeout=30)
    message = next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert "MemoryError" in message or "killed" in message
    assert "sigmoid_known_values" in passed(exercise)


@pytest.mark.posix_only("needs POSIX: the file-size rlimit (Windows has no rlimits)")
@pytest.mark.parametrize("mode", MODES)
def test_giant_output_and_huge_files_are_capped(submission, mode):
    code = """
    def relu(z):
        import sys
        for _ in range(2000):
            sys.stdout.write("x" * 100_000 + "\\n")
        import os
        with open(os.path.join(os.environ["HOME"], "big.bin"), "wb") as out:
            out.write(b"0" * 200 * 2**20)
        return np.maximum(z, 0)
    """
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), mode)
    message = next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert "File too large" in message or "No space" in message
    assert len(exercise.output) <= 70_000
    assert "sigmoid_known_values" in passed(exercise)


@pytest.mark.parametrize("mode", MODES)
def test_huge_answer_is_refused(submission, mode):
    code = "def relu(z):\n    return np.zeros(40 * 2**20)"  # 320 MB: over the answer cap
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), mode)
    message = next(c.message for c in exercise.checks if c.name == "relu_known_values")
    assert "not an answer" in message
    assert "sigmoid_known_values" in passed(exercise)


@needs_sandbox
def test_sandbox_on_grades_the_reference_fully():
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "solutions", "--sandbox", "on",
                          "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    assert report["sandboxed"] and report["score"] == report["max_score"]


def test_sandbox_on_refuses_where_it_cannot_run(submission, monkeypatch):
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailable):
        grade_folder(submission(), names=["activations"], sandbox="on")
    report = grade_folder(submission(), names=["activations"], sandbox="auto")
    assert not report.sandboxed and "without the Linux sandbox" in report.notices[0]


@pytest.mark.linux_only("needs Linux: PR_SET_PDEATHSIG, and /proc to see the child is gone")
@pytest.mark.parametrize("mode", MODES)
def test_sigkill_of_the_grader_takes_its_children_along(tmp_path, mode):
    marker = unique_marker()
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "activations.py").write_text(f"{rename_self(marker)}\nimport time\ntime.sleep(60)\n", encoding="utf-8")
    grader = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "-e", "activations",
                               "--sandbox", mode], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_named(marker), "the child never started"
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    time.sleep(1)
    assert not processes_named(marker)


@pytest.mark.parametrize("mode", MODES)
def test_reference_modules_in_the_workspace_are_not_leaked_into_the_report(submission, mode):
    code = """
    def accuracy(y_true, y_pred):
        import inspect
        from . import activations
        source = inspect.getsource(activations)
        print(source)
        raise ValueError(source)
    """
    folder = submission(replacements={"forward.accuracy": code})
    exercise = grade_hostile(folder, mode, names=("forward", "activations"))
    assert "1.0 / (1.0 + e)" not in exercise.output + "".join(c.message for c in exercise.checks)
    assert "withheld" in exercise.output


@pytest.mark.skipif(not limits.nobody_can_run_python(),
                    reason="needs root, and a Python that the user nobody can run (not one under /root)")
def test_without_the_sandbox_root_still_drops_to_an_unprivileged_uid(submission):
    code = "def relu(z):\n    import os\n    print('uid', os.getuid())\n    return np.maximum(z, 0)"
    exercise = grade_hostile(submission(replacements={"activations.relu": code}), "off")
    uids = {int(uid) for uid in re.findall(r"uid (\d+)", exercise.output)}
    assert uids and all(uid == limits.NOBODY or uid in runtime.OWN_UIDS for uid in uids)
