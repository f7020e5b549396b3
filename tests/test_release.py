"""What leaves the source tree: the student's copy, the Gradescope autograder, the CI workflows."""

import ast
import glob
import io
import itertools
import json
import os
import shlex
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, SOLUTIONS
from grader.checks import EXERCISES
from grader.cli import main
from grader.instructor.release import (ReleaseError, reproduced_solutions, solution_blocks, strip_formulas,
                                       strip_hidden_checks)
from grader.authoring.stubs import BEGIN, END, generate


def nnlab(*args, cwd=ROOT):
    run = subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "nnlab-student"
    nnlab("release", str(out))
    return out


def bundle_texts(folder):
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                texts[path.relative_to(folder)] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                pass  # datasets
    return texts


def hidden_checks(tree):
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(k.arg == "hidden" and getattr(k.value, "value", False)
                    for d in node.decorator_list if isinstance(d, ast.Call) for k in d.keywords)]


def test_the_copy_has_stubs_grader_data_and_no_solutions(student_copy):
    names = {path.relative_to(student_copy).as_posix() for path in student_copy.rglob("*") if path.is_file()}
    assert not any(name.startswith(("solutions/", "tests/")) for name in names)
    assert {"README.md", "pyproject.toml", "datasets/digits.npz", "exercises/softmax.py",
            "grader/checks/softmax.py", ".github/workflows/nnlab-grade.yml"} <= names
    for path, text in generate(SOLUTIONS, student_copy / "exercises").items():
        assert path.read_text(encoding="utf-8") == text
    readme = (student_copy / "README.md").read_text(encoding="utf-8")
    assert all(f"`{exercise.module}`" in readme for exercise in EXERCISES)


def test_hidden_checks_and_formulas_are_stripped_and_the_rest_kept_byte_for_byte(student_copy):
    texts = bundle_texts(student_copy)
    stripped = 0
    for path in sorted((ROOT / "grader" / "checks").glob("*.py")):
        if path.name == "baked.py":  # the copy's looks formulas up (see test_release_no_answers)
            continue
        source = path.read_text(encoding="utf-8")
        released = (student_copy / "grader" / "checks" / path.name).read_text(encoding="utf-8")
        original, copy = ast.parse(source), ast.parse(released)
        secret, placeholders = hidden_checks(original), hidden_checks(copy)
        assert [n.name for n in secret] == [n.name for n in placeholders]
        for node, placeholder in zip(secret, placeholders):
            assert [ast.unparse(d) for d in node.decorator_list] == [ast.unparse(d) for d in placeholder.decorator_list]
            assert not placeholder.args.args and len(placeholder.body) == 2  # a docstring and a raise
            body = ast.get_source_segment(source, node).split(":\n", 1)[1]
            docstring = ast.get_docstring(node).splitlines()[0]
            assert not any(body in text or docstring in text for text in texts.values())
            stripped += 1
        without_formulas = strip_formulas(source)
        assert outside(without_formulas, hidden_checks(ast.parse(without_formulas))) == outside(released, placeholders)
    assert stripped >= 3


def outside(source, functions):
    """The lines of ``source`` that are not the def or body of one of ``functions``."""
    lines = source.splitlines()
    for node in sorted(functions, key=lambda n: n.lineno, reverse=True):
        del lines[node.lineno - 1:node.end_lineno]
    return lines


def test_no_solution_code_in_the_copy(student_copy):
    given = {line.strip() for text in generate(SOLUTIONS, "exercises").values() for line in text.splitlines()}
    secret = set()
    for path in SOLUTIONS.glob("*.py"):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            inside = bool(BEGIN.match(line)) or (inside and not END.match(line))
            if inside and len(line.strip()) >= 20 and not line.strip().startswith("#"):
                secret.add(line.strip())
    secret -= given
    assert len(secret) > 50
    texts = bundle_texts(student_copy)
    for relative, text in texts.items():
        if relative.parts[0] != "grader":  # the grader's checks compute expected values their own way
            assert not secret & {line.strip() for line in text.splitlines()}, relative
    assert reproduced_solutions(texts, solution_blocks(SOLUTIONS)) == []
    # and the scan does see a solution when there is one
    leaked = {Path("exercises/softmax.py"): (SOLUTIONS / "softmax.py").read_text(encoding="utf-8")}
    assert [where for _, where in reproduced_solutions(leaked, solution_blocks(SOLUTIONS))]


def test_a_hidden_check_the_release_cannot_read_stops_it():
    with pytest.raises(ReleaseError, match="write hidden=True or hidden=False"):
        strip_hidden_checks("@exercise.check(points=2, hidden=SECRET)\ndef c(sub, ref):\n    pass\n")
    with pytest.raises(ReleaseError, match="not defined at module level"):
        strip_hidden_checks("def make():\n    @exercise.check(points=1, hidden=True)\n    def c(sub):\n        pass\n")


def test_a_formula_the_release_cannot_strip_stops_it():
    with pytest.raises(ReleaseError, match="on lines of its own"):
        strip_formulas("@formula\ndef expected(z): return z\n")
    assert strip_formulas('@baked.formula\ndef expected(z):\n    """doc"""\n    return z\n').endswith(
        'def expected(z):\n    raise NotImplementedError("baked: the answers are in grader/checks/baked/")\n')


def test_the_copy_installs_and_grades_its_stubs_without_the_hidden_checks(student_copy, tmp_path):
    pytest.importorskip("setuptools", reason="installing without build isolation needs setuptools")
    # A fresh venv that borrows this environment's packages (numpy, click, pip, ...) through
    # a .pth file: no download. The borrowed folder's own .pth files are not read, so the
    # source tree's editable nnlab stays out and the copy's grader is the one imported.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    scripts = venv / ("Scripts" if sys.platform == "win32" else "bin")
    python = scripts / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                              "-e", str(student_copy)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    # --sandbox off: inside the sandbox the child sees only this venv's own folders, not
    # the borrowed packages, and the sandbox is not what this test is about.
    run = subprocess.run([scripts / "nnlab", "grade", "--format", "json", "--sandbox", "off"],
                         cwd=student_copy, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["score"] == 0 and report["hidden_checks_ran"] is False
    assert {e["status"] for e in report["exercises"]} == {"not_started"}
    hidden = [c for e in report["exercises"] for c in e["checks"] if c["visibility"] == "hidden"]
    assert hidden and all(not c["ran"] and c["description"].startswith("A hidden check") for c in hidden)
    assert any("Hidden checks were not run" in notice for notice in report["notices"])
    where = subprocess.run([python, "-c", "import grader; print(grader.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(student_copy)


# -- Gradescope ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """A folder laid out like Gradescope's /autograder, with the exported zip in source/."""
    root = tmp_path_factory.mktemp("autograder")
    nnlab("export", "gradescope", str(root / "autograder.zip"), "-e", "activations", "-e", "softmax",
          "--timeout", "5")
    with zipfile.ZipFile(root / "autograder.zip") as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR
        (root / "source" / script).chmod(0o755)
        subprocess.run(["bash", "-n", root / "source" / script], check=True)
    assert "nnlab/solutions/softmax.py" in modes and "nnlab/grader/checks/softmax.py" in modes
    return root


def run_autograder(root, submission_files, python=sys.executable):
    submission = root / "submission"
    subprocess.run(["rm", "-rf", submission, root / "results"], check=True)
    submission.mkdir()
    for name, content in submission_files.items():
        (submission / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {**os.environ, "NNLAB_AUTOGRADER_ROOT": str(root), "NNLAB_PYTHON": str(python)}
    run = subprocess.run([root / "source" / "run_autograder"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


@pytest.mark.linux_only("needs Linux: Gradescope runs its bash scripts on Linux")
def test_gradescope_autograder_grades_with_the_hidden_checks(autograder):
    reference = {f"{name}.py": (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")
                 for name in ("activations", "softmax")}
    results = run_autograder(autograder, reference)
    assert set(results) == {"score", "execution_time", "output", "tests"}
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}
    assert all(t["status"] == "passed" for t in results["tests"])


@pytest.mark.linux_only("needs Linux: Gradescope runs its bash scripts on Linux")
def test_gradescope_autograder_always_writes_results(autograder):
    results = run_autograder(autograder, {"notes.txt": "I could not do it"})
    assert results["score"] == 0 and "none of the exercise modules" in results["output"]
    results = run_autograder(autograder, {"softmax.py": "import os\nos._exit(3)\n"})
    assert results["score"] == 0 and "softmax" in results["output"]
    results = run_autograder(autograder, {}, python="/bin/false")  # nnlab itself broken
    assert results["score"] == 0 and results["tests"] == []
    assert "did not finish" in results["output"]


@pytest.mark.linux_only("needs Linux: Gradescope runs its bash scripts on Linux")
def test_gradescope_autograder_keeps_machine_details_from_the_student(autograder, tmp_path):
    broken = tmp_path / "python"  # a grader that dies with a note about the machine, and no results
    broken.write_text(f"""#!/bin/sh
if [ "$1" = "-m" ]; then echo "bwrap failed: sudo sysctl -w kernel.x=0" >&2; exit 1; fi
exec {sys.executable} "$@"
""", encoding="utf-8")
    broken.chmod(0o755)
    submission = autograder / "submission"
    subprocess.run(["rm", "-rf", submission, autograder / "results"], check=True)
    submission.mkdir()
    env = {**os.environ, "NNLAB_AUTOGRADER_ROOT": str(autograder), "NNLAB_PYTHON": str(broken)}
    run = subprocess.run([autograder / "source" / "run_autograder"], env=env, capture_output=True, text=True,
                         timeout=120)
    results = json.loads((autograder / "results" / "results.json").read_text(encoding="utf-8"))
    assert "The autograder failed (exit status 1)" in results["output"]
    assert "sysctl" not in results["output"] and "sysctl" in run.stderr  # the instructor's log


def zipped(files):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return data.getvalue()


@pytest.mark.linux_only("needs Linux: Gradescope runs its bash scripts on Linux")
def test_gradescope_autograder_grades_a_zip_in_the_submission_folder(autograder):
    reference = {f"hw/exercises/{name}.py": (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")
                 for name in ("activations", "softmax")}
    results = run_autograder(autograder, {"hw1.zip": zipped(reference)})
    assert results["tests"] and all(t["status"] == "passed" for t in results["tests"])
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0


@pytest.mark.linux_only("needs Linux: Gradescope runs its bash scripts on Linux")
def test_gradescope_autograder_lists_every_test_at_zero_for_an_empty_submission(autograder):
    results = run_autograder(autograder, {})
    checks = [check for exercise in EXERCISES if exercise.module in ("activations", "softmax")
              for check in exercise.checks]
    assert [t["name"].split(": ", 1)[1] for t in results["tests"]] == [c.name for c in checks]
    assert {(t["score"], t["status"]) for t in results["tests"]} == {(0.0, "failed")}
    assert all("holds none of the exercise modules" in t["output"] for t in results["tests"])
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_published"}


# -- GitHub Actions ---------------------------------------------------------------------

SHELL_OPERATORS = {">", ">>", "|", "&&", "||", ";"}  # a command line ends at the first

def nnlab_commands(workflow):
    """Every `nnlab ...` command line of the workflow's run steps, as argument lists
    (expressions and variables given example values, file patterns expanded)."""
    commands = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                if line.strip().startswith("nnlab "):
                    line = line.replace("${{ matrix.shard }}", "1").replace('"$FAIL_UNDER"', "60")
                    words = list(itertools.takewhile(lambda w: w not in SHELL_OPERATORS,
                                                     shlex.split(line.split("#")[0])))[1:]
                    commands.append([match for word in words for match in (sorted(glob.glob(word)) or [word])])
    return commands


def test_workflows_are_valid_and_name_real_commands(tmp_path, monkeypatch):
    nnlab("init-ci", str(tmp_path), "--instructor")
    for folder in ("exercises", "submissions", "shards/shard-1", "shards/shard-2"):  # what the jobs would have
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / ".github" / "workflows"
    assert sorted(p.name for p in folder.iterdir()) == ["nnlab-batch.yml", "nnlab-grade.yml"]
    seen = set()
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        workflow = yaml.safe_load(text)
        assert workflow["name"] and workflow["jobs"]
        assert True in workflow or "on" in workflow  # YAML 1.1 reads the key `on` as True
        for args in nnlab_commands(workflow):
            command = main.get_command(None, args[0])
            while hasattr(command, "get_command") and args[1:] and not args[1].startswith("-"):
                args, command = args[1:], command.get_command(None, args[1])
            command.make_context(args[0], args[1:])  # raises on an unknown option or value
            seen.add(command.name)
        sysctl = "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
        if "grade" in path.name or "batch" in path.name:
            before = text.split(sysctl)[0].splitlines()
            assert any(line.strip().startswith("#") and "user namespaces" in line for line in before[-6:])
    assert {"grade", "batch", "merge"} <= seen
    again = subprocess.run([sys.executable, "-m", "grader", "init-ci", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True)
    assert "kept" in again.stderr


def test_release_into_the_source_tree_is_refused():
    run = subprocess.run([sys.executable, "-m", "grader", "release", str(ROOT)], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 1 and "is the source tree" in run.stderr
