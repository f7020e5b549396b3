"""The class summary of a batch (summary.md, summary.html): what an instructor reads first."""

import re

from grader.instructor.gradebook import write_gradebook

HOSTILE = "<img src=x onerror=alert(1)>**[click](http://evil.example)**|"


def check(name, passed, message=""):
    return {"name": name, "passed": passed, "ran": True, "message": message, "max_score": 2}


def exercise(score, checks=(), status="partial", error=""):
    return {"name": "softmax", "score": score, "max_score": 12, "status": status, "error": error,
            "checks": list(checks)}


def report(student, *exercises, status="graded", reason=""):
    return {"score": sum(e["score"] for e in exercises), "max_score": 12, "exercises": list(exercises),
            "batch": {"student": student, "status": status, "reason": reason}}


def class_of_seven():
    overflow = "logits of 1000 overflowed: subtract the row max before exp"
    reports = {
        "ann": report("ann", exercise(12, [check("stable", True)], status="passed")),
        "ben": report("ben", exercise(10, [check("stable", False, overflow)])),
        "cy": report("cy", exercise(10, [check("stable", False, overflow), check("axis", False, "wrong axis")])),
        "dee": report("dee", exercise(6, [check("stable", False, "returned nan\x00\x07 here")])),
        "eve": report("eve", exercise(0, [check("stable", False, "not started: TODO")], status="not_started")),
        "fay": report("fay", exercise(0, [check("stable", False, "timed out: your code was still running")],
                                      status="failed")),
        "gus": report("gus", exercise(0, status="error", error="softmax.py has a syntax error: line 3")),
        HOSTILE: report(HOSTILE, status="error", reason=f"{HOSTILE}.zip: bad\x00 zip\x07"),
    }
    return list(reports), reports


def test_the_summary_has_the_distribution_median_failures_timeouts_and_errors(tmp_path):
    students, reports = class_of_seven()
    markdown = write_gradebook(tmp_path, students, reports)
    assert markdown == (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "8 submissions" in markdown and "7 graded, 1 could not be graded" in markdown
    # scores 12, 10, 10, 6, 0, 0, 0: mean 5.4, median 6, one full mark; 3, 0, 1, 0, 3 in bins of 2.4 points
    assert "| `softmax` | 12 | 5.4 | 6 | 1/7 | █·▃·█ | 1 | 1 | 1 |" in markdown
    assert re.search(r"\| `softmax` \| `stable` \| 4/7 \| logits of 1000 overflowed\\: subtract", markdown)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert page.count("<rect") == 5 and "<title>9.6 to 12 points: 3</title>" in page
    assert "Timed out: fay" in page and "gus: softmax.py has a syntax error" in page


def test_student_text_cannot_inject_markup_or_control_bytes(tmp_path):
    students, reports = class_of_seven()
    markdown = write_gradebook(tmp_path, students, reports)
    page = (tmp_path / "summary.html").read_text(encoding="utf-8")
    for text in (markdown, page):
        assert "\x00" not in text and "\x07" not in text and "<img" not in text
    assert "](http" not in markdown and "**[" not in markdown and "http://" not in markdown  # no link, no bold
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;\\*\\*\\[click\\]" in markdown
    assert "&lt;img src=x onerror=alert(1)&gt;**[click](http://evil.example)**|" in page
    listed = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len(listed) == 1 and listed[0].count("|") == listed[0].count("\\|")  # no table cell breaks out
