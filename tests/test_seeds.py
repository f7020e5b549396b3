"""--seed takes an integer or env:NAME; a secret seed never reaches a report, only its fingerprint."""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, write_submission
from grader.instructor.batch import Options
from grader.grading.seeds import Seed

SECRET = "8052117348803342361"


def nnlab(*args, env=None):
    environ = {k: v for k, v in os.environ.items() if k != "NNLAB_TEST_SEED"}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**environ, **(env or {})})


def test_a_seed_is_an_integer_or_read_from_a_variable():
    assert Seed.parse("42") == Seed(42) and Seed(42).shown == 42
    secret = Seed.parse("env:GRADING_SEED", environ={"GRADING_SEED": f" {SECRET}\n"})
    assert secret.value == int(SECRET) and secret.shown == "env:GRADING_SEED"
    assert secret.argument() == "env:GRADING_SEED" and SECRET not in secret.argument()
    assert secret.fingerprint == hashlib.sha256(SECRET.encode()).hexdigest()[:12]
    assert Seed.parse("env:S", environ={"S": "3"}).guessable and not secret.guessable


@pytest.mark.parametrize("text, environ, says", [
    ("env:GRADING_SEED", {}, "GRADING_SEED is not set"),
    ("env:GRADING_SEED", {"GRADING_SEED": "soup"}, "GRADING_SEED holds 'soup': a seed is a non-negative integer"),
    ("-3", {}, "a seed is a non-negative integer"),
    ("1.5", {}, "a seed is a non-negative integer"),
])
def test_a_bad_seed_says_what_to_do(text, environ, says):
    with pytest.raises(ValueError, match=says):
        Seed.parse(text, environ=environ)


def test_the_report_records_only_the_fingerprint_of_a_secret_seed():
    args = ("grade", "solutions/activations.py", "--format", "json", "--sandbox", "off")
    run = nnlab(*args, "--seed", "env:NNLAB_TEST_SEED", env={"NNLAB_TEST_SEED": SECRET})
    assert run.returncode == 0, run.stderr
    assert SECRET not in run.stdout and SECRET not in run.stderr
    report = json.loads(run.stdout)
    assert report["seed"] == "env:NNLAB_TEST_SEED"
    assert report["seed_fingerprint"] == Seed(int(SECRET)).fingerprint
    assert report["score"] == report["max_score"]
    plain = json.loads(nnlab(*args, "--seed", "7").stdout)
    assert (plain["seed"], plain["seed_fingerprint"]) == (7, Seed(7).fingerprint)


@pytest.mark.parametrize("env, says", [({}, "NNLAB_TEST_SEED is not set"),
                                       ({"NNLAB_TEST_SEED": "x"}, "a seed is a non-negative integer")])
def test_a_bad_seed_is_a_usage_error(env, says):
    run = nnlab("grade", "solutions/activations.py", "--seed", "env:NNLAB_TEST_SEED", env=env)
    assert run.returncode == 2 and says in run.stderr


@pytest.mark.posix_only("needs POSIX: nnlab batch runs on Linux and macOS (on Windows, under WSL)")
def test_a_batch_passes_the_variable_not_the_seed(tmp_path):
    assert Options(seed=Seed(int(SECRET), "S")).worker_arguments()[:2] == ["--seed", "env:S"]
    write_submission(tmp_path / "submissions" / "alice")
    run = nnlab("batch", str(tmp_path / "submissions"), "--out", str(tmp_path / "out"), "-e", "activations",
                "--jobs", "1", "--seed", "env:NNLAB_TEST_SEED", env={"NNLAB_TEST_SEED": SECRET})
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "out" / "reports" / "alice.json").read_text(encoding="utf-8")
    assert SECRET not in text
    report = json.loads(text)
    assert report["seed"] == "env:NNLAB_TEST_SEED" and report["score"] == report["max_score"] > 0
