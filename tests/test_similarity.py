"""`nnlab similarity`: a planted copy stands out, own work and the stub's code do not."""

import csv
import shutil
import subprocess
import sys

from conftest import ROOT, write_submission

RENAMED_COPY = {  # alice's softmax, names changed and comments added: what copying looks like
    "softmax.softmax": '''def softmax(z, axis=-1):
        """Softmax along axis."""
        # my own solution!!
        logits = np.asarray(z)
        with np.errstate(under="ignore"):  # avoid warnings
            expd = np.exp(logits - np.max(logits, axis=axis, keepdims=True))

        return expd / np.sum(expd, axis=axis, keepdims=True)''',
    "softmax.log_softmax": '''def log_softmax(z, axis=-1):
        """log of softmax."""
        logits = np.asarray(z)
        moved = logits - np.max(logits, axis=axis, keepdims=True)
        # the log-sum-exp trick
        with np.errstate(under="ignore"):
            denominator = np.sum(np.exp(moved), axis=axis, keepdims=True)
        return moved - np.log(denominator)''',
}
OWN_WORK = {  # carol's: the same functions, written her way
    "softmax.softmax": '''def softmax(z, axis=-1):
        x = np.moveaxis(np.array(z, dtype=float), axis, -1)
        out = np.empty_like(x)
        for index in np.ndindex(x.shape[:-1]):
            row = x[index]
            w = np.exp(row - row.max())
            out[index] = w / w.sum()
        return np.moveaxis(out, -1, axis)''',
    "softmax.log_softmax": '''def log_softmax(z, axis=-1):
        values = np.array(z, dtype=float)
        top = values.max(axis=axis, keepdims=True)
        return values - top - np.log(np.exp(values - top).sum(axis=axis, keepdims=True))''',
}


def test_a_planted_copy_is_the_most_similar_pair(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "similarity"
    write_submission(submissions / "alice")
    write_submission(submissions / "bob", replacements=RENAMED_COPY)
    write_submission(submissions / "carol", replacements=OWN_WORK)
    shutil.copytree(ROOT / "exercises", submissions / "dave")  # the stub, untouched
    run = subprocess.run([sys.executable, "-m", "grader", "similarity", str(submissions), "--out", str(out),
                          "-e", "softmax"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    with open(out / "similarity.csv", newline="") as table:
        rows = list(csv.DictReader(table))
    assert len(rows) == 6  # every pair of four
    score = {frozenset((r["first"], r["second"])): max(float(r["first_in_second"]), float(r["second_in_first"]))
             for r in rows}
    print(score)
    assert (rows[0]["first"], rows[0]["second"]) == ("alice", "bob") and score[frozenset(("alice", "bob"))] > 0.8
    assert all(score[frozenset(("dave", other))] == 0 for other in ("alice", "bob", "carol"))  # the stub is ignored
    assert score[frozenset(("alice", "carol"))] < 0.5
    page = (out / "similarity.html").read_text(encoding="utf-8")
    assert "softmax: alice and bob" in page and "<mark>" in page and "not a proof" in page
    assert page.index("softmax: alice and bob") < page.index("carol")
