"""The student's copy judges like the instructor's, and ships no working answer.

Its check modules hold formulas without bodies (their answers are baked data, see
grader/checks/baked.py): the reference still earns every visible point there, the stubs
none, every realistic bug of the tests the same visible points as in the instructor's
copy, and no function the copy ships does what a contract function does.
"""

import ast
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTIONS, grade_folder, write_submission
from grader.authoring import paste
from grader.checks import EXERCISES, baked
from grader.instructor import release
from test_checks_basics import BUGS as BASICS
from test_checks_init_optim_minibatch import BUGS as LATER
from test_checks_logistic_forward_backprop import BUGS as MIDDLE
from test_checks_model import BUGS as MODEL

ALL_BUGS = {**BASICS, **MIDDLE, **LATER, **MODEL}
# one bug per function the bugs replace (all of them agree too, but take six minutes)
BUG_PER_FUNCTION = {bug[0]: name for name, bug in sorted(ALL_BUGS.items(), reverse=True)}
NAMES = [exercise.module for exercise in EXERCISES]


@pytest.fixture(scope="module")
def bake():
    return release.bake_formulas(SOLUTIONS)


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "nnlab-student"
    run = subprocess.run([sys.executable, "-m", "grader", "release", str(out)], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return out


def in_copy(copy, script, timeout=900):
    """Run ``script`` with the copy's grader (its folder first on sys.path); return its JSON output."""
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=copy, capture_output=True,
                         text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


GRADE = """
    import json, sys
    import grader
    from grader import grading
    from grader.submission import Submission
    assert grader.__file__.startswith({copy!r}), grader.__file__
    out = {{}}
    for key, folder, names, seed in {jobs!r}:
        report = grading.grade(Submission(folder, grading.exercise_names()), names=names, seed=seed)
        out[key] = {{f"{{e.name}}.{{c.name}}": [c.passed, c.judged, c.message]
                    for e in report.exercises for c in e.checks if c.visibility == "visible"}}
    print(json.dumps(out))
"""


def grade_in_copy(copy, jobs):
    """``{key: {"module.check": [passed, judged, message]}}`` for ``jobs`` (key, folder, names, seed)."""
    return in_copy(copy, GRADE.format(copy=str(copy), jobs=[(k, str(f), n, s) for k, f, n, s in jobs]))


def visible_passed(report):
    return {f"{e.name}.{c.name}" for e in report.exercises for c in e.checks if c.visibility == "visible" and c.passed}


def test_the_reference_earns_every_visible_point_and_the_stubs_none(student_copy, tmp_path):
    shutil.copytree(SOLUTIONS, tmp_path / "reference")
    got = grade_in_copy(student_copy, [("reference", tmp_path / "reference", NAMES, 0),
                                       ("stubs", student_copy / "exercises", NAMES, 0)])
    failed = {name: message for name, (passed, _, message) in got["reference"].items() if not passed}
    assert not failed
    assert len(got["reference"]) == sum(1 for e in EXERCISES for c in e.checks if not c.hidden)
    assert not any(passed for passed, _, _ in got["stubs"].values())


def test_a_bug_per_function_earns_the_same_visible_points_in_both_copies(student_copy, tmp_path):
    jobs, instructor = [], {}
    for number, name in enumerate(sorted(BUG_PER_FUNCTION.values())):
        *replacements, _ = ALL_BUGS[name]
        folder = write_submission(tmp_path / f"bug{number}", replacements=dict(zip(replacements[::2],
                                                                                   replacements[1::2])))
        module = replacements[0].split(".")[0]
        jobs.append((name, folder, [module], 0))
        instructor[name] = visible_passed(grade_folder(folder, names=[module], reference=False))
    student = grade_in_copy(student_copy, jobs)
    differ = {name: sorted(instructor[name] ^ {k for k, (passed, _, _) in student[name].items() if passed})
              for name in instructor}
    assert {name: checks for name, checks in differ.items() if checks} == {}


def test_another_seed_is_not_judged_and_says_which_seed_was_baked(student_copy):
    got = grade_in_copy(student_copy, [("seed 1", SOLUTIONS, ["activations"], 1)])["seed 1"]
    passed, judged, message = got["activations.sigmoid_known_values"]
    assert not passed and not judged and "--seed 0, not --seed 1" in message


def test_no_shipped_check_defines_a_contract_function_or_a_formula_body(student_copy):
    names = {name for module in paste.contract_names(SOLUTIONS).values() for name in module}
    files = {path.relative_to(student_copy): path.read_text(encoding="utf-8")
             for path in (student_copy / "grader").rglob("*.py")}
    assert paste.definitions_named_like(files, names) == []
    formulas = 0
    for path in (student_copy / "grader" / "checks").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if release.is_formula(node):
                formulas += 1
                assert len(node.body) == 1 and isinstance(node.body[0], ast.Raise), (path.name, node.name)
    assert formulas > 40
    assert "\nBAKED = True" in (student_copy / "grader" / "checks" / "baked.py").read_text(encoding="utf-8")


def test_pasting_the_shipped_functions_reproduces_no_contract_function(student_copy, bake):
    shipped = {path.relative_to(student_copy): path.read_text(encoding="utf-8")
               for path in (student_copy / "grader").rglob("*.py")}
    findings = release.paste_attack(shipped, SOLUTIONS, bake[1])
    assert {finding[:2] for finding in findings} == set(release.TOLERATED)


def test_pasted_shipped_functions_earn_no_visible_point(student_copy, tmp_path):
    """Each exercise's module made of every function its shipped check module defines, each
    contract name bound to the one whose name contains it (expected_softmax for softmax)."""
    folder = tmp_path / "pasted"
    write_submission(folder)
    contract = paste.contract_names(SOLUTIONS)
    for module in NAMES:
        if module == "model":  # classes: nothing in model_*.py has their shape
            continue
        source = (student_copy / "grader" / "checks" / f"{module}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
        for node in functions:
            node.decorator_list = []
        body = [ast.unparse(node) for node in functions]
        names = [node.name for node in functions]
        bindings = [f"{name} = {next((n for n in names if name in n), names[0])}" for name in contract[module]
                    if not name[0].isupper()]
        pasted = "import numpy as np\n\n" + "\n\n".join(body + bindings) + "\n"
        (folder / f"{module}.py").write_text(pasted, encoding="utf-8")
    got = grade_in_copy(student_copy, [("pasted", folder, [m for m in NAMES if m != "model"], 0)])["pasted"]
    assert {name for name, (passed, _, _) in got.items() if passed} == set()


def test_the_release_refuses_a_contract_function_put_back(bake):
    files = release.student_copy(SOLUTIONS, bake)
    checks = Path("grader/checks/softmax.py")
    files[checks] += "\n\ndef softmax(z, axis=-1):\n    return z\n"
    with pytest.raises(release.ReleaseError, match=r"softmax.py:\d+ defines softmax"):
        release.verify(files, SOLUTIONS, bake[1])
    files = release.student_copy(SOLUTIONS, bake)
    files[Path("grader/checks/losses.py")] += "\nfrom .activations import expected_sigmoid as sigmoid\n"
    with pytest.raises(release.ReleaseError, match=r"losses.py:\d+ defines sigmoid"):
        release.verify(files, SOLUTIONS, bake[1])


def test_the_paste_attack_finds_a_working_function_under_any_name(bake):
    files = release.student_copy(SOLUTIONS, bake)
    files[Path("grader/checks/softmax.py")] += textwrap.dedent("""

        def normalised_rows(z, axis=-1):
            e = np.exp(z - np.max(z, axis=axis, keepdims=True))
            return e / e.sum(axis=axis, keepdims=True)
        """)
    shipped = {path: text for path, text in files.items() if path.parts[0] == "grader"}
    findings = release.paste_attack(shipped, SOLUTIONS, bake[1])
    assert ("softmax.softmax", "grader.checks.softmax.normalised_rows") in {f[:2] for f in findings}
    with pytest.raises(release.ReleaseError, match="normalised_rows .* does what softmax.softmax does"):
        release.verify(files, SOLUTIONS, bake[1])


def test_the_baked_data_is_the_same_bytes_on_every_release(bake, student_copy):
    for exercise in EXERCISES:
        shipped = (student_copy / "grader" / "checks" / "baked" / f"{exercise.module}.json.gz").read_bytes()
        assert baked.table_bytes(bake[0], exercise.module) == shipped


def test_a_formula_asked_about_unbaked_inputs_is_not_judged_and_says_why(monkeypatch):
    import numpy as np

    from grader.checks import core
    from grader.checks.activations import expected_sigmoid

    monkeypatch.setattr(baked, "BAKED", True)
    monkeypatch.setattr(baked, "table", lambda module: {"c": {"seed": 0, "calls": [
        {"formula": "activations.expected_sigmoid", "inputs": {"z": np.zeros(2)}, "output": np.full(2, 0.5)}]}})
    token = core.running.set(("activations", "c", 0))
    try:
        assert np.array_equal(expected_sigmoid(np.zeros(2) + 1e-14), [0.5, 0.5])  # rounding still matches
        with pytest.raises(baked.Unbaked, match="made from your own results"):
            expected_sigmoid(np.ones(2))
    finally:
        core.running.reset(token)
    with pytest.raises(baked.Unbaked, match="only answers inside a check"):
        expected_sigmoid(np.zeros(2))


def test_missing_baked_data_is_not_judged_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setattr(baked, "TABLES", tmp_path)
    baked.table.cache_clear()
    try:
        with pytest.raises(baked.Unbaked, match="no usable baked data for softmax .*release the student's copy again"):
            baked.table("softmax")
    finally:
        baked.table.cache_clear()


def test_baked_values_round_trip():
    import numpy as np

    value = {"a": (np.arange(6.0).reshape(2, 3), [1, "x", None, True]), "b": np.float64(2.5),
             "c": float("nan"), "d": np.array([1, 2], dtype=np.int64)}
    back = baked.decode(json.loads(json.dumps(baked.encode(value))))
    assert baked.same(value, back) and np.isnan(back["c"]) and back["d"].dtype == np.int64
    assert not baked.same(value, {**back, "b": 2.6})
    with pytest.raises(TypeError, match="plain data"):
        baked.encode(object())
