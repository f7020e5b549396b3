"""Odd text from student code (lone surrogates, NUL, BEL, escape sequences, markup) in
every field of a report: every format renders it, every file of the batch writes it.

The attack of the issue: an import error whose message holds a lone surrogate made
`nnlab batch` exit 1 with UnicodeEncodeError, with no gradebook for anyone.
"""

import csv
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, grade_folder
from test_adversarial import MODES
from grader.instructor.gradebook import gradebook_csv, write_gradebook
from grader.report.files import write_atomic
from grader.report.formats import FORMATS, render
from grader.report.html import write_report
from grader.report.model import CheckResult, ExerciseResult, Report, clean_text

ODD_STRINGS = [
    "\ud800", "\udfff tail", "lone \udcff from a file name", "\x00NUL", "\x07BEL", "\x1b[31mred\x1b[0m",
    "\r\nwindows\r", "\x85 NEL \x9b CSI", "\u2028line\u2029para", "\ufffe\uffff", "\x7f", "\x0b\x0c",
    "]]> <script>alert(1)</script> & ``` | `` ` ", "=HYPERLINK(\"x\")", "😀 e\u0301 \u202eevil", "",
]
ODD = "|".join(ODD_STRINGS)


def is_clean(text):
    text.encode("utf-8")  # strict: no lone surrogate
    return all(ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160) for ch in text)


def odd_report():
    check = CheckResult(ODD, ODD, 2, message=ODD)
    passed = CheckResult("fine" + ODD, ODD, 1, passed=True)
    exercise = ExerciseResult("activations", ODD, checks=[check, passed], output=ODD, reference_modules=[ODD])
    broken = ExerciseResult("softmax", ODD, error=ODD)
    report = Report(ODD, [exercise, broken], notices=[ODD])
    report.notices.append(ODD)
    report.notices[:0] = [ODD]
    check.message += ODD
    return report


def test_clean_text_keeps_what_is_safe_and_replaces_the_rest():
    assert clean_text("tab\tnew\nline é 😀") == "tab\tnew\nline é 😀"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("\ud800 \udcff\x00\x07\x1b[2J\x85\x9b\ufffe") == "\ufffd \ufffd[2J\ufffd"
    assert all(is_clean(clean_text(s)) for s in ODD_STRINGS)


def test_every_field_of_the_model_is_clean():
    report = odd_report()
    fields = [report.submission, *report.notices]
    for exercise in report.exercises:
        fields += [exercise.name, exercise.title, exercise.error, exercise.output, *exercise.reference_modules]
        fields += [text for c in exercise.checks for text in (c.name, c.description, c.message)]
    assert all(is_clean(text) for text in fields)
    assert all(is_clean(text) for text in json.dumps(report.to_dict(), ensure_ascii=False))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_renders_odd_text(fmt):
    text = render(odd_report(), fmt)
    assert is_clean(text)
    if fmt in ("json", "gradescope"):
        json.loads(text)
    if fmt == "junit":
        ET.fromstring(text.encode())


def test_the_html_page_writes_odd_text(tmp_path):
    page = write_report(odd_report(), tmp_path).read_text(encoding="utf-8")
    assert is_clean(page) and "<script>alert" not in page


def test_the_batch_files_write_odd_text(tmp_path):
    write_atomic(tmp_path / "raw.txt", ODD)  # the last net: text that never went through the model
    assert (tmp_path / "raw.txt").read_text(encoding="utf-8").startswith("?|? tail|lone ? from")
    report = odd_report().to_dict()
    report["batch"] = {"student": "alice", "status": "graded", "reason": ODD, "fingerprint": "f"}
    failed = {"exercises": [], "score": 0, "max_score": 0,
              "batch": {"student": ODD, "status": "error", "reason": ODD, "fingerprint": "g"}}
    reports = {"alice": report, ODD: failed}
    write_gradebook(tmp_path, ["alice", ODD], reports)
    rows = list(csv.reader((tmp_path / "gradebook.csv").open(encoding="utf-8")))
    assert [row[0] for row in rows[2:]][0] == "alice" and len(rows) == 4
    for summary in ("summary.md", "summary.html"):  # their escaping is the summary's own (issue 15)
        text = (tmp_path / summary).read_text(encoding="utf-8")  # strict: valid UTF-8
        assert not {"\x00", "\x07", "\x1b"} & set(text)
    assert gradebook_csv(["alice"], reports)


IMPORT_ERROR = 'raise ImportError("no luck \\ud800 \\x00 \\x07 \\x1b[2J")\n'


@pytest.mark.parametrize("mode", MODES)
def test_an_import_error_with_a_lone_surrogate_is_reported(submission, mode):
    folder = submission(modules={"activations": IMPORT_ERROR})
    report = grade_folder(folder, names=["activations", "softmax"], sandbox=mode)
    activations, softmax = report.exercises
    assert activations.status == "error" and "no luck \ufffd   [2J" in activations.error
    assert softmax.status == "passed"
    for fmt in FORMATS:
        assert is_clean(render(report, fmt))


def test_nnlab_batch_survives_it_beside_two_honest_submissions(tmp_path):
    from conftest import write_submission
    submissions = tmp_path / "submissions"
    write_submission(submissions / "alice")
    write_submission(submissions / "bob")
    write_submission(submissions / "mallory", modules={"activations": IMPORT_ERROR})
    out = tmp_path / "grades"
    for extra in ([], ["--resume"]):
        run = subprocess.run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(out),
                              "-e", "activations", "-e", "softmax", "--jobs", "2", *extra],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    rows = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    assert rows["alice"]["percent"] == rows["bob"]["percent"] == "100"
    assert rows["mallory"]["status"] == "graded" and rows["mallory"]["activations"] == "0"
    assert "\ufffd" in rows["mallory"]["reason"]
    assert is_clean((out / "summary.md").read_text(encoding="utf-8"))
