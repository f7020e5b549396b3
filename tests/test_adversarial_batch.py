"""Reports the batch can trust: a report rewritten outside the batch is graded again by
``--resume`` and refused by ``nnlab gradebook merge``, and both say so."""

import csv
import json
import stat
import subprocess
import sys
import time

import pytest

from conftest import ROOT, SOLUTIONS, write_submission
from grader.instructor import signing

pytestmark = pytest.mark.posix_only("needs POSIX: nnlab batch runs on Linux and macOS (on Windows, under WSL)")

NAMES = ["-e", "activations", "-e", "softmax"]


def nnlab(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_a_signature_covers_every_field(tmp_path):
    key = signing.load_key(tmp_path)
    assert stat.S_IMODE((tmp_path / signing.KEY_FILE).stat().st_mode) == 0o600
    assert signing.load_key(tmp_path) == key and len(key) == 32
    report = signing.sign({"score": 3, "exercises": [{"name": "softmax", "score": 3}], "batch": {"f": "x"}}, key)
    assert signing.verifies(json.loads(json.dumps(report, indent=2)), key)
    for change in ({"score": 43}, {"exercises": []}, {"batch": {"f": "y"}}, {"signature": "0" * 64}, {"new": 1}):
        assert not signing.verifies({**report, **change}, key)
    unsigned = dict(report)
    del unsigned["signature"]
    assert not signing.verifies(unsigned, key) and not signing.verifies(report, b"another key")
    assert not signing.verifies(report, None) and not signing.verifies([], key)


def test_the_key_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(signing.KEY_VARIABLE, "ab" * 32)
    assert signing.load_key(tmp_path) == bytes.fromhex("ab" * 32)
    assert not (tmp_path / signing.KEY_FILE).exists()
    monkeypatch.setenv(signing.KEY_VARIABLE, "not hex")
    with pytest.raises(signing.BadKey):
        signing.load_key(tmp_path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """alice and bob, honest, graded by a batch."""
    root = tmp_path_factory.mktemp("signed")
    write_submission(root / "submissions" / "alice")
    write_submission(root / "submissions" / "bob", replacements={"activations.relu": "def relu(z):\n    return z"})
    run = nnlab("batch", str(root / "submissions"), "--out", str(root / "grades"), *NAMES)
    assert run.returncode == 0, run.stderr
    return root


def forge_full_marks(path):
    report = json.loads(path.read_text(encoding="utf-8"))
    report["score"] = report["max_score"]
    for exercise in report["exercises"]:
        exercise["score"] = exercise["max_score"]
    path.write_text(json.dumps(report), encoding="utf-8")  # fingerprint kept, as the attack of the issue did


def test_resume_grades_a_rewritten_report_again_and_says_so(graded, tmp_path):
    grades = tmp_path / "grades"
    subprocess.run(["cp", "-r", str(graded / "grades"), str(grades)], check=True)
    bob = grades / "reports" / "bob.json"
    honest = json.loads(bob.read_text(encoding="utf-8"))
    forge_full_marks(bob)
    run = nnlab("batch", str(graded / "submissions"), "--out", str(grades), *NAMES, "--resume")
    assert run.returncode == 0, run.stderr
    assert "bob.json: its signature does not verify" in run.stderr and "grading 1 of 2" in run.stderr
    regraded = json.loads(bob.read_text(encoding="utf-8"))
    assert regraded["score"] == honest["score"] < regraded["max_score"]
    assert any("signature did not verify" in notice for notice in regraded["notices"])
    rows = {row["student"]: row for row in csv.DictReader((grades / "gradebook.csv").open())}
    assert rows["alice"]["percent"] == "100" and float(rows["bob"]["total"]) == honest["score"]


def test_merge_refuses_a_rewritten_report_and_says_so(graded, tmp_path):
    shard = tmp_path / "shard"
    subprocess.run(["cp", "-r", str(graded / "grades"), str(shard)], check=True)
    forge_full_marks(shard / "reports" / "bob.json")
    run = nnlab("gradebook", "merge", str(shard), "--out", str(tmp_path / "merged"))
    assert run.returncode == 0, run.stderr
    assert "skipped" in run.stderr and "bob.json" in run.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "merged" / "gradebook.csv").open())}
    assert set(rows) == {"max points", "alice"}
    merged = json.loads((tmp_path / "merged" / "reports" / "alice.json").read_text(encoding="utf-8"))
    assert signing.verifies(merged, signing.load_key(tmp_path / "merged", create=False))


def test_a_shard_without_its_key_is_refused_whole(graded, tmp_path):
    shard = tmp_path / "shard"
    subprocess.run(["cp", "-r", str(graded / "grades"), str(shard)], check=True)
    (shard / signing.KEY_FILE).unlink()
    run = nnlab("gradebook", "merge", str(shard), "--out", str(tmp_path / "merged"))
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("skipped") == 2


def hostile_class(root, mode):
    """Two honest submissions and one per attack of the issue, each a copy of the reference
    with its attack swapped in: ``{student: the exercise it attacks}``."""
    from test_adversarial_engine import (FILLS_THE_DISK, FORGES_THE_EVIDENCE, STOPS_READING, TAMPERS_AND_KILLS_ITS_WORKER,
                                         WRITES_INTO_ITS_INPUT, hostile_module)
    from test_adversarial_text import IMPORT_ERROR
    huge = "import struct\nh = b'{\"ok\": true, \"value\": [' + b'[],' * 2_000_000 + b'[]]}'\n" \
           "forge_raw(struct.pack('<I', len(h)) + h + struct.pack('<I', 0))\n"
    stalls = STOPS_READING + "\ndef relu(z):\n    stall(z)\n"
    tamper = f"import time\ntime.sleep(3)\nopen({str(root / 'grades' / 'reports' / 'alice.json')!r}, 'w').write('{{}}')"
    attacks = {
        "forged_frame": ({"modules": hostile_module("forge({'ok': True, 'value': {'$dict': 1}})\n")}, "activations"),
        "huge_frame": ({"modules": hostile_module(huge)}, "activations"),
        "stops_reading": ({"modules": {"activations": (SOLUTIONS / "activations.py").read_text(encoding="utf-8")
                                                      + stalls}},
                          "activations"),
        "fills_the_disk": ({"replacements": {"activations.relu": FILLS_THE_DISK.replace(
            "{sandboxed!r}", repr(mode == "on"))}}, "activations"),
        "lone_surrogate": ({"modules": {"activations": IMPORT_ERROR}}, "activations"),
        "forges_evidence": ({"modules": {"optimizers": "import numpy as np\n" + FORGES_THE_EVIDENCE}}, "optimizers"),
        "writes_its_input": ({"replacements": {"activations.relu": WRITES_INTO_ITS_INPUT}}, "activations"),
        "tampers": ({"modules": {"softmax": TAMPERS_AND_KILLS_ITS_WORKER.format(code=tamper)}}, "softmax"),
    }
    write_submission(root / "submissions" / "alice")
    write_submission(root / "submissions" / "bob")
    for student, (files, _) in attacks.items():
        write_submission(root / "submissions" / student, **files)
    return {student: exercise for student, (_, exercise) in attacks.items()}


@pytest.mark.parametrize("mode", ["off", pytest.param("on", marks=pytest.mark.skipif(
    __import__("test_adversarial").SANDBOX is None, reason="sandbox unavailable"))])
def test_every_attack_through_nnlab_batch_beside_two_honest_submissions(tmp_path, mode):
    """Done when: each attack costs its own submission what it fakes, the honest two keep
    full marks, and the gradebook and summary are whole."""
    attacked = hostile_class(tmp_path, mode)
    run = nnlab("batch", str(tmp_path / "submissions"), "--out", str(tmp_path / "grades"), "-e", "activations",
                "-e", "softmax", "-e", "optimizers", "--timeout", "8", "--jobs", "2", "--sandbox", mode)
    assert run.returncode == 0, run.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades" / "gradebook.csv").open())}
    assert set(rows) == {"max points", "alice", "bob", *attacked}
    full = rows["max points"]
    for honest in ("alice", "bob"):
        assert rows[honest]["status"] == "graded" and rows[honest]["total"] == full["total"], rows[honest]
    for student, exercise in attacked.items():
        row = rows[student]
        if row["status"] == "graded":
            assert float(row[exercise]) < float(full[exercise]), row
        else:
            assert student == "tampers" and mode == "off" and "killed" in row["reason"], row
    time.sleep(3.5)
    alice = json.loads((tmp_path / "grades" / "reports" / "alice.json").read_text(encoding="utf-8"))
    assert alice["score"] == alice["max_score"] and signing.verifies(alice, signing.load_key(tmp_path / "grades"))
    assert (tmp_path / "grades" / "summary.md").read_text(encoding="utf-8").count("\n") > 5
