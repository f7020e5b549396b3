"""Nothing secret reaches student code: an attacking submission looks for every file it
can read, every process it can see and every environment it can reach, in each way the
grader runs it, and must find none of this run's secrets.

The secrets are canaries: a random marker written into the copy of the grader (a check
module and grading/run.py) and of the reference solutions that the grading run uses, and
into an environment variable of the grader's process. The submission reports what it
found hex-encoded (as an attacker would, past the withholding of quoted reference
lines). Two controls show that the search works: it finds the canary in its own module,
and, where it is not in the sandbox, one in a file anyone may read.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTIONS
from grader.engine import runtime, sandbox
from test_release import nnlab

needs_root = pytest.mark.skipif(not runtime.is_root(), reason="the drop to another user needs root")
needs_sandbox = pytest.mark.skipif(sandbox.choose("auto")[0] is None, reason="bubblewrap cannot run here")

# The attacking activations.py. Its functions do nothing, so any score above 0 is forged.
ATTACK = r'''
# own canary: CANARY_OWN
import os, re, stat

PATTERN = re.compile(rb"nnlab-canary-[0-9a-f]{32}")
NAMES = {"run.py", "core.py", "softmax.py", "activations.py", "losses.py", "environ"}
found, files, readable, processes = set(), 0, 0, 0


def look(path):
    try:
        with open(path, "rb") as handle:
            for canary in PATTERN.findall(handle.read(4 << 20)):
                found.add((canary.decode(), path))
    except OSError:
        pass


for folder, subfolders, names in os.walk("/", onerror=lambda error: None):
    if folder == "/":
        subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", "dev")]
    for name in names:
        files += 1
        path = os.path.join(folder, name)
        if os.access(path, os.R_OK):
            readable += 1
            if name in NAMES or name.endswith((".json", ".env", ".txt")) or "canary" in name:
                look(path)
for pid in filter(str.isdigit, os.listdir("/proc")):
    processes += 1
    look(f"/proc/{pid}/environ")
    look(f"/proc/{pid}/cmdline")
for key, value in os.environ.items():
    for canary in PATTERN.findall(f"{key}={value}".encode()):
        found.add((canary.decode(), "os.environ"))

# The forged-results attack: find the autograder's folder from any command line in
# sight, and make the results say 999.
forged = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        words = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    except OSError:
        continue
    for word in words:
        if word.endswith(b"/submission"):
            root = word[: -len(b"/submission")].decode()
            for target, text in (("results/results.json", '{"score": 999, "tests": []}'),
                                 ("source/run_autograder", "#!/bin/sh\necho forged\n"),
                                 ("run_autograder", "#!/bin/sh\necho forged\n")):
                try:
                    with open(os.path.join(root, target), "w") as handle:
                        handle.write(text)
                    forged.append(target)
                except OSError:
                    pass

report = {"uid": os.getuid(), "files": files, "readable": readable, "processes": processes,
          "found": sorted({canary for canary, _ in found}),
          "where": sorted(path[-60:] for _, path in found)[:4], "forged": forged}
print("SCAN " + __import__("json").dumps(report).encode().hex())


def relu(z):
    raise NotImplementedError


sigmoid = tanh = relu_backward = sigmoid_backward = tanh_backward = relu
'''


def canary():
    return f"nnlab-canary-{uuid.uuid4().hex}"


@pytest.fixture
def secrets():
    """A public folder (as /tmp is) holding a private copy of the grader and the
    solutions with canaries planted, a public file with its own canary, and the canaries."""
    public = Path(tempfile.mkdtemp(prefix="nnlab-confidential-"))
    public.chmod(0o755)
    marks = {name: canary() for name in ("own", "public", "solution", "check", "grader", "environment")}
    try:
        (public / "public-canary.txt").write_text(marks["public"], encoding="utf-8")
        (public / "public-canary.txt").chmod(0o644)
        yield public, marks
    finally:
        shutil.rmtree(public, ignore_errors=True)


def plant(folder, marks):
    """Write the canaries into the grader and solutions under ``folder``."""
    for path, mark in ((folder / "solutions" / "softmax.py", "solution"),
                       (folder / "grader" / "checks" / "softmax.py", "check"),
                       (folder / "grader" / "grading" / "run.py", "grader")):
        path.write_text(path.read_text(encoding="utf-8") + f"\n# {marks[mark]}\n", encoding="utf-8")


def private_copy(public, marks):
    """The instructor's copy of nnlab, in a folder only its owner may enter."""
    private = public / "instructor"
    private.mkdir(mode=0o700)
    shutil.copytree(ROOT / "grader", private / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SOLUTIONS, private / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    plant(private, marks)
    return private


def attacking_submission(public, marks):
    folder = public / "submission"
    folder.mkdir(exist_ok=True)
    (folder / "activations.py").write_text(ATTACK.replace("CANARY_OWN", marks["own"]), encoding="utf-8")
    return folder


def scan_of(output):
    match = re.search(r"SCAN ([0-9a-f]+)", output)
    assert match, f"the attack did not report: {output[-2000:]}"
    return json.loads(bytes.fromhex(match.group(1)))


def grade_attack(mode, public, marks, *options, **environment):
    private = private_copy(public, marks)
    submission = attacking_submission(public, marks)
    env = {**os.environ, "NNLAB_PLANTED_SECRET": marks["environment"], **environment}
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "-e", "activations",
                          "--solutions", str(private / "solutions"), "--sandbox", mode, "--timeout", "120",
                          "--format", "json", *options], cwd=private, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["hidden_checks_ran"]
    exercise = report["exercises"][0]
    return report, exercise, scan_of(exercise["output"])


def assert_nothing_secret_found(scan, marks, public_visible, sandboxed=False):
    """The search found the student's own canary and nothing secret; in the sandbox, no
    process at all (its /proc is empty), elsewhere at least its own."""
    found = set(scan["found"])
    secret = {marks[name] for name in ("solution", "check", "grader", "environment")}
    assert not found & secret, scan["where"]
    assert marks["own"] in found, "the search did not even find its own module"
    assert (marks["public"] in found) == public_visible, scan["found"]
    assert scan["readable"] > 100
    assert scan["processes"] == 0 if sandboxed else scan["processes"] >= 1


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_sandbox
def test_in_the_sandbox_nothing_secret_is_found(secrets):
    public, marks = secrets
    report, exercise, scan = grade_attack("on", public, marks)
    assert exercise["child"]["sandbox"] is True and exercise["score"] == 0
    assert_nothing_secret_found(scan, marks, public_visible=False, sandboxed=True)
    if runtime.is_root():
        assert scan["uid"] == exercise["child"]["uid"] != 0


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
def test_without_the_sandbox_as_root_the_child_is_another_user_and_finds_nothing(secrets):
    public, marks = secrets
    report, exercise, scan = grade_attack("off", public, marks)
    assert exercise["child"]["sandbox"] is False and exercise["child"]["uid"] in runtime.OWN_UIDS
    assert scan["uid"] == exercise["child"]["uid"] != 0
    assert exercise["score"] == 0
    assert_nothing_secret_found(scan, marks, public_visible=True)


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
def test_where_no_other_user_can_run_the_child_grading_refuses_unless_root_is_allowed(secrets):
    """The control of the attack, too: as root, it finds every secret."""
    public, marks = secrets
    submission = attacking_submission(public, marks)
    no_user = {**os.environ, "NNLAB_CHILD_USER": "nnlab-no-such-user"}
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(submission), "-e", "activations",
                          "--sandbox", "off"], cwd=ROOT, env=no_user, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "refusing to run student code as root" in run.stderr
    assert "nnlab-no-such-user" in run.stderr and "--allow-root" in run.stderr
    report, exercise, scan = grade_attack("off", public, marks, "--allow-root", NNLAB_CHILD_USER="nnlab-no-such-user")
    assert (exercise["child"]["sandbox"], exercise["child"]["uid"]) == (False, 0) and scan["uid"] == 0
    assert any("ran as root" in notice for notice in report["notices"])
    assert {marks[name] for name in ("solution", "check", "grader", "environment")} <= set(scan["found"])


# -- the Gradescope layout, run locally ---------------------------------------------

def autograder_in(public, marks):
    """/autograder laid out in ``public``, the export's source closed as setup.sh does."""
    root = public / "autograder"
    root.mkdir(mode=0o755)
    nnlab("export", "gradescope", str(public / "autograder.zip"), "-e", "activations", "-e", "softmax",
          "--timeout", "120")
    with zipfile.ZipFile(public / "autograder.zip") as archive:
        archive.extractall(root / "source")
    plant(root / "source" / "nnlab", marks)
    (root / "source" / "run_autograder").chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    for path in [root / "source", *(root / "source").rglob("*")]:  # chmod -R go-rwx
        path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)
    return root


def run_autograder(root, marks, sandbox_mode):
    """Run the layout's run_autograder on the attack, which reports from its import error
    (the only text of a submission the results show)."""
    attacking_submission(root, marks)
    (root / "submission" / "activations.py").write_text(
        ATTACK.replace("CANARY_OWN", marks["own"]).replace('print("SCAN " + ', 'raise ImportError("SCAN " + '),
        encoding="utf-8")
    (root / "submission").chmod(0o755)
    env = {**os.environ, "NNLAB_AUTOGRADER_ROOT": str(root), "NNLAB_PYTHON": sys.executable,
           "NNLAB_PLANTED_SECRET": marks["environment"], "NNLAB_SANDBOX": sandbox_mode}
    run = subprocess.run([root / "run_autograder"], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
@pytest.mark.parametrize("sandbox_mode", [pytest.param("", marks=needs_sandbox, id="sandbox-where-it-works"),
                                          pytest.param("off", id="unprivileged-user-only")])
def test_the_gradescope_layout_hides_everything_and_cannot_be_forged(secrets, sandbox_mode):
    public, marks = secrets
    root = autograder_in(public, marks)
    scripts = [root / "run_autograder", root / "source" / "run_autograder"]
    before = [path.read_bytes() for path in scripts]
    results = run_autograder(root, marks, sandbox_mode)
    activations = [test for test in results["tests"] if test["name"].startswith("activations")]
    scan = scan_of(activations[0]["output"])
    assert_nothing_secret_found(scan, marks, public_visible=sandbox_mode == "off", sandboxed=sandbox_mode != "off")
    assert scan["uid"] != 0 and scan["forged"] == []
    assert results["score"] == sum(t["score"] for t in results["tests"] if not t["name"].startswith("activations"))
    assert all(test["score"] == 0 for test in activations)
    assert [path.read_bytes() for path in scripts] == before
    assert not re.search(r"uid|sandbox|nobody|65534|root", results["output"]), results["output"]


def test_the_gradescope_output_leaves_machine_details_out():
    from grader.report.gradescope import gradescope_results
    from grader.report.model import ExerciseResult, Report

    exercise = ExerciseResult("softmax", "Softmax", child={"sandbox": False, "uid": 65534})
    machine = "student code ran as another user, who can read /srv/solutions: close them"
    report = Report("sub", [exercise], notices=[machine, "for students"])
    assert "for students" in gradescope_results(report)["output"]
    assert "/srv/solutions" not in gradescope_results(report)["output"]
    assert report.to_dict()["exercises"][0]["child"] == {"sandbox": False, "uid": 65534}


@pytest.mark.posix_only("needs POSIX: nnlab batch runs on Linux and macOS (on Windows, under WSL)")
@needs_root
def test_the_batch_refuses_to_run_student_code_as_root_and_says_why(tmp_path):
    from conftest import write_submission

    write_submission(tmp_path / "submissions" / "alice")
    run = subprocess.run([sys.executable, "-m", "grader", "batch", str(tmp_path / "submissions"), "--out",
                          str(tmp_path / "grades"), "-e", "activations", "--sandbox", "off"], cwd=ROOT,
                         env={**os.environ, "NNLAB_CHILD_USER": "nnlab-no-such-user"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "refusing to run student code as root" in run.stderr
    assert not (tmp_path / "grades" / "gradebook.csv").exists()
    run = subprocess.run([sys.executable, "-m", "grader", "batch", str(tmp_path / "submissions"), "--out",
                          str(tmp_path / "grades"), "-e", "activations", "--sandbox", "off", "--allow-root"],
                         cwd=ROOT, env={**os.environ, "NNLAB_CHILD_USER": "nnlab-no-such-user"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "grades" / "reports" / "alice.json").read_text(encoding="utf-8"))
    assert (report["exercises"][0]["child"]["sandbox"], report["exercises"][0]["child"]["uid"]) == (False, 0)
    assert report["score"] == report["max_score"] > 0


NEIGHBOUR_THIEF = r'''
import glob, os, time

started = time.time()
stolen, seen = [], set()
deadline = time.monotonic() + 3
while time.monotonic() < deadline and not stolen:
    for folder in glob.glob("/tmp/nnlab-initialization-*"):  # the exercise graded beside this one
        if os.stat(folder).st_ctime > started - 30:
            seen.add(folder)
            try:
                with open(os.path.join(folder, "submission", "initialization.py")) as file:
                    stolen.append(file.read())
            except OSError:
                pass
    time.sleep(0.05)
seen = len(seen)


def softmax(z, axis=-1):
    raise ValueError(f"saw {seen} foreign files, read {len(stolen)}")


def log_softmax(z, axis=-1):
    raise ValueError(f"saw {seen} foreign files, read {len(stolen)}")
'''


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
def test_without_the_sandbox_no_child_can_read_another_childs_workspace(tmp_path):
    """Exercises graded side by side, each child a uid of its own: softmax's child cannot
    read the workspace of initialization, graded beside it (nor a batch's other students)."""
    from conftest import grade_folder, write_submission

    folder = write_submission(tmp_path / "thief", modules={"softmax": NEIGHBOUR_THIEF})
    report = grade_folder(folder, names=["softmax", "initialization"], sandbox="off", jobs=2)
    softmax = report.exercises[0]
    assert softmax.score == 0
    message = next(c.message for c in softmax.checks if "foreign files" in c.message)
    seen, read = (int(n) for n in re.findall(r"saw (\d+) foreign files, read (\d+)", message)[0])
    assert seen >= 1 and read == 0, message  # it found the workspace beside it, and could not read it
    assert report.exercises[1].child["uid"] != softmax.child["uid"]


# The attacking model.py: it hunts for the source of the earlier modules, which are the
# reference's. It is told the SHA-256 of each reference module and of each of its lines
# (an oracle only the test has), looks everywhere a submission can, and reports what
# matched, along with everything it read of its own package in plain, base64, zlib +
# base64 and hex, as a thief would carry it out.
SOURCE_THIEF = r'''
import base64, gc, glob, hashlib, importlib, inspect, json, linecache, os, sys, traceback, zlib

import numpy as np

from .activations import relu
from .forward import mlp_forward
from .initialization import init_params
from .minibatch import iterate_minibatches
from .optimizers import Adam

SECRETS = set(SECRET_HASHES)
texts = []  # (where, text) of everything found


def take(where, data):
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, str) and data:
        texts.append((where, data))


def read(path):
    try:
        if os.path.isfile(path) and os.path.getsize(path) < 2**20:
            with open(path, "rb") as handle:
                take(path, handle.read())
    except OSError:
        pass


here = os.path.dirname(os.path.abspath(__file__))
for top in (here, os.path.dirname(here), os.getcwd(), os.path.expanduser("~")):
    for folder, _, names in os.walk(top):
        for name in names:
            read(os.path.join(folder, name))
for folder, subfolders, names in os.walk("/", onerror=lambda error: None):
    if folder == "/":
        subfolders[:] = [s for s in subfolders if s not in ("proc", "sys", "dev")]
    for name in names:
        if name in MODULE_FILES:
            read(os.path.join(folder, name))
folders = []
for pid in filter(str.isdigit, os.listdir("/proc")):  # the reference's process names its folder
    try:
        words = open(f"/proc/{pid}/cmdline", "rb").read().decode("utf-8", "replace").split("\0")
    except OSError:
        continue
    for word in words:
        for path in glob.glob(os.path.join(word, "*.py")) if os.path.isdir(word) else [word]:
            read(path)
        if os.path.isdir(word):
            folders.append(word)

for name in MODULES:
    module = importlib.import_module(f"{__package__}.{name}")
    take(f"{name}.__file__", open(module.__file__, "rb").read())
    try:
        take(f"{name} loader", module.__loader__.get_source(module.__name__))
    except Exception as error:
        take(f"{name} loader error", str(error))
    take(f"{name} linecache", "".join(linecache.getlines(module.__file__)))
    for attr, value in vars(module).items():
        for obj in (value, *(value.values() if isinstance(value, dict) else ())):
            try:
                take(f"{name}.{attr} getsource", inspect.getsource(obj))
            except Exception:
                pass
            take(f"{name}.{attr} doc", getattr(obj, "__doc__", None))

for obj in gc.get_objects():
    code = getattr(obj, "__code__", None)
    if isinstance(code, type(take.__code__)):
        take("co_consts", " ".join(c for c in code.co_consts if isinstance(c, str)))
        take("co_code", code.co_code.hex())
        read(code.co_filename)
    elif isinstance(obj, (list, tuple)):
        take("gc strings", "\n".join(s for s in obj if isinstance(s, str)))
    elif isinstance(obj, dict):
        take("gc strings", "\n".join(s for s in obj.values() if isinstance(s, str)))

blackbox = sys.modules["blackbox"]  # the proxies' own channel: ask the reference for what it will not give
for fields in ({"target": "forward:mlp_forward", "action": "getattr", "name": "__doc__"},
               {"target": "optimizers:Adam", "action": "getattr", "name": "step"},
               {"target": "forward:HIDDEN_ACTIVATIONS"}, {"target": "forward:__doc__"}):
    try:
        value = blackbox.request(fields)
        take("reference " + str(fields), repr(value))
        for name in ("__doc__", "__code__", "__wrapped__", "__func__"):
            take("reference attribute", repr(getattr(value, name, None)))
    except Exception:
        take("reference error", traceback.format_exc())
batches = iterate_minibatches(np.ones((3, 2)), np.ones(3), 2)
for attempt in (lambda: [take("frame", batches.gi_frame.f_globals["__builtins__"]["open"](os.path.join(f, "forward.py")).read())
                         for f in folders],
                lambda: take("code", repr(batches.gi_code.co_consts)),
                lambda: mlp_forward(np.ones((2, 2)), {}, "nope"), lambda: relu("x"),
                lambda: init_params([2, 2], "not a generator"), lambda: Adam(lr=0.1).step(None, None),
                lambda: next(iter(iterate_minibatches(np.ones((3, 2)), np.ones(2), 2)))):
    try:
        attempt()
    except Exception:
        take("traceback", traceback.format_exc())

found = set()
for where, text in texts:
    lines = [text] + [line.strip() for line in text.splitlines()]
    found |= {h for h in (hashlib.sha256(line.encode()).hexdigest() for line in lines) if h in SECRETS}
own = "".join(open(os.path.join(here, f"{name}.py")).read() for name in MODULES)
matched = [(where, text) for where, text in texts if hashlib.sha256(text.encode()).hexdigest() in SECRETS
           or any(hashlib.sha256(line.strip().encode()).hexdigest() in SECRETS for line in text.splitlines())]
for where, text in matched[:3]:  # carry out what matched, in every encoding a thief would use
    print(where[-40:], base64.b64encode(zlib.compress(text.encode())).decode()[:200], text.encode().hex()[:200],
          base64.b64encode(text.encode()).decode()[:200], text[:200].replace("\n", " "))
print("THIEF " + json.dumps({"found": len(found), "where": sorted({w[-40:] for w, _ in matched})[:3], "texts": len(texts),
                             "read_proxies": "blackbox.install" in own}).encode().hex())
FOOTPRINT = base64.b64encode(zlib.compress(own.encode())).decode()


class Sequential:
    def __init__(self, layers):
        raise RuntimeError(FOOTPRINT[:1500])


class Dense:
    def __init__(self, units, activation="linear"):
        raise RuntimeError(FOOTPRINT[:1500])
'''


def marked_reference(folder):
    """A private copy of the solutions whose solution lines are its own: each carries a
    canary, so that what the thief finds can only come from this copy (the repository's
    solutions, which anyone here may read, differ in every line)."""
    from grader.authoring.stubs import BEGIN, END

    folder.mkdir(mode=0o700)
    mark = canary()
    for path in SOLUTIONS.glob("*.py"):
        inside, lines = False, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if BEGIN.match(line) or END.match(line):
                inside = BEGIN.match(line) is not None
            elif inside and len(line.strip()) >= 12:
                line = f"{line}  # {mark}"
            lines.append(line)
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        compile((folder / path.name).read_text(encoding="utf-8"), str(path), "exec")
    return folder


def secret_material(reference, names):
    """What must not reach the report: each module's text and its lines, their SHA-256, and
    the module in base64, zlib + base64 and hex."""
    import base64
    import hashlib
    import zlib

    hashes, texts = set(), set()
    for name in names:
        source = (reference / f"{name}.py").read_text(encoding="utf-8")
        lines = {line.strip() for line in source.splitlines() if "nnlab-canary" in line}
        hashes |= {hashlib.sha256(text.encode()).hexdigest() for text in {source, *lines}}
        data = source.encode()
        texts |= lines | {base64.b64encode(data).decode()[:80], base64.b64encode(zlib.compress(data)).decode()[:80],
                          data.hex()[:80]}
    return hashes, texts


def grade_thief(tmp_path, with_reference):
    from conftest import EXERCISE_NAMES, write_submission
    from grader import grading
    from grader.submission import Reference, Submission

    names = EXERCISE_NAMES[:-1]
    reference = marked_reference(tmp_path / "instructor")
    hashes, texts = secret_material(reference, names)
    thief = (SOURCE_THIEF.replace("SECRET_HASHES", repr(sorted(hashes))).replace("MODULES", repr(names))
             .replace("MODULE_FILES", repr({f"{n}.py" for n in names})))
    folder = write_submission(tmp_path / "student", modules={"model": thief})
    for name in names:  # the control: the earlier modules are the student's, copies of the marked ones;
        # else stubs, which earn no marks, so that the reference's black boxes stand in for them
        source = ROOT / "exercises" / f"{name}.py" if with_reference else reference / f"{name}.py"
        shutil.copyfile(source, folder / f"{name}.py")
    report = grading.grade(Submission(folder, EXERCISE_NAMES), names=["model"], sandbox="off",
                           reference=Reference(reference) if with_reference else None)
    text = json.dumps(report.to_dict())
    match = re.search(r"THIEF ([0-9a-f]+)", report.exercises[0].output)
    assert match, (report.exercises[0].error, report.exercises[0].output[-2000:])
    return json.loads(bytes.fromhex(match.group(1))), text, texts


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
def test_a_model_cannot_obtain_the_source_of_the_reference_modules_it_calls(tmp_path):
    """As root without the sandbox (the child another user): the thief reads its folder, the
    workspace, the file system, every command line, getsource, the loader, gc's code objects
    and strings, asks the reference's process for private names and provokes its errors,
    and finds no module of the reference, no line of one, nor any encoding of them."""
    scan, report, secrets = grade_thief(tmp_path, with_reference=True)
    assert scan["read_proxies"] and scan["texts"] > 100
    assert scan["found"] == 0, scan["where"]
    assert not [text for text in secrets if text in report]


@pytest.mark.linux_only("needs Linux: the attack looks through /proc and /tmp")
@needs_root
def test_the_thief_finds_the_modules_when_they_are_the_students_own(tmp_path):
    """The control: the same search, where the earlier modules are the student's own files
    (copies of the marked reference), finds them and carries them into the report."""
    scan, report, secrets = grade_thief(tmp_path, with_reference=False)
    assert scan["found"] > 50
    assert any(text in report for text in secrets)
