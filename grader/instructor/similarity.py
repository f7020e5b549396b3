"""Similar submissions, exercise by exercise: ``nnlab similarity SUBMISSIONS --out DIR``.

Every pair of submissions is compared per exercise with copydetect
(https://github.com/blingenf/copydetect), which implements the winnowing of MOSS
(Schleimer, Wilkerson and Aiken, 2003): code is tokenised, names are replaced by
placeholders (so renaming variables changes nothing), and fingerprints of k-grams are
compared. The stub's own code (docstrings, signatures, imports) is boilerplate and
ignored, so that every student's copy of it counts for nothing.

    DIR/similarity.html   the most similar pairs, both codes side by side, overlaps marked
    DIR/similarity.csv    every pair compared: exercise, students, share of each one's code

A high similarity is a reason to look, not a proof: short exercises, the course's hints
and the notes' worked examples lead honest students to similar code. The page says so.

Submissions are taken in as the batch takes them in (:mod:`intake`: folders, zips,
notebooks, with its limits); the student code is read as text, never run.
"""

import csv
import io
import itertools
import tempfile
from dataclasses import dataclass
from html import escape
from pathlib import Path

from copydetect import CodeFingerprint, compare_files
from copydetect.defaults import GUARANTEE_THRESHOLD, NOISE_THRESHOLD
from copydetect.utils import highlight_overlap

from ..checks import EXERCISES
from ..report.files import write_atomic
from ..report.markdown import CONTROL
from ..submission import NotASubmission, Submission
from .batch import discover
from .intake import IntakeError, take_in

WINDOW = GUARANTEE_THRESHOLD - NOISE_THRESHOLD + 1  # copydetect's own defaults: any shared run of 25 tokens
PAGE_PAIRS = 20


@dataclass
class Pair:
    exercise: str
    first: str
    second: str
    similarity: tuple  # the share of each one's code found in the other's
    codes: tuple  # each one's code, overlaps marked (HTML)

    @property
    def score(self):
        return max(self.similarity)


def collect(submissions, staging, names):
    """``({exercise: {student: module file}}, problems)``: the graded files of every
    submission in ``submissions``, taken in under ``staging``; problems name the
    submissions that could not be read."""
    files, problems = {name: {} for name in names}, []
    entries, _ = discover(submissions)
    for entry in entries:
        if len(entry.sources) > 1:
            problems.append(f"{entry.student}: several submissions of that name, none compared")
            continue
        try:
            folder, _, _ = take_in(entry.sources[0], Path(staging) / "intake" / entry.student)
            submission = Submission(folder, [exercise.module for exercise in EXERCISES])
        except (IntakeError, NotASubmission) as error:
            problems.append(f"{entry.student}: {error}")
            continue
        for name in names:
            module = submission.module_file(name)
            if module is not None:  # copied: a notebook's modules live as long as their Submission
                kept = Path(staging) / "modules" / entry.student / module.name
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_bytes(module.read_bytes())
                files[name][entry.student] = kept
    return files, problems


def fingerprint(path, boilerplate=()):
    return CodeFingerprint(str(path), NOISE_THRESHOLD, WINDOW, boilerplate=list(boilerplate), language="python")


def compare_exercise(name, files, stub):
    """Every pair of ``files`` (student -> module) of exercise ``name``, the stub's code ignored."""
    boilerplate = fingerprint(stub).hashes if stub and stub.is_file() else []
    prints = {student: fingerprint(path, boilerplate) for student, path in sorted(files.items())}
    pairs = []
    for (first, a), (second, b) in itertools.combinations(prints.items(), 2):
        overlap, similarity, slices = compare_files(a, b)
        if overlap == 0:
            similarity, codes = (0.0, 0.0), (escape(a.raw_code), escape(b.raw_code))
        else:
            codes = tuple(highlight_overlap(print_.raw_code, part, "<mark>", "</mark>", escape_html=True)[0]
                          for print_, part in ((a, slices[0]), (b, slices[1])))
        pairs.append(Pair(name, first, second, (float(similarity[0]), float(similarity[1])), codes))
    return pairs


def compare(submissions, stubs, names=None):
    """``(pairs, problems)``: every pair of every exercise, most similar first."""
    names = names or [exercise.module for exercise in EXERCISES]
    with tempfile.TemporaryDirectory(prefix="nnlab-similarity-") as staging:
        files, problems = collect(submissions, staging, names)
        pairs = [pair for name in names
                 for pair in compare_exercise(name, files[name], Path(stubs) / f"{name}.py" if stubs else None)]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.exercise, pair.first, pair.second)), problems


def pairs_csv(pairs):
    table = io.StringIO()
    out = csv.writer(table, lineterminator="\n")
    out.writerow(["exercise", "first", "second", "first_in_second", "second_in_first"])
    for pair in pairs:
        out.writerow([pair.exercise, pair.first, pair.second, f"{pair.similarity[0]:.3f}",
                      f"{pair.similarity[1]:.3f}"])
    return table.getvalue()


STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 1rem; }
.pair { margin-bottom: 2rem; }
.codes { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { background: #f6f8fa; padding: 0.5rem; overflow-x: auto; font-size: 0.8em; }
mark { background: #ffd76e; }
.note { background: #fff8e1; padding: 0.6rem; }
"""


def page(pairs, problems, top=PAGE_PAIRS):
    body = ["<h1>nnlab similarity: the most similar pairs of submissions</h1>",
            '<p class="note">A high similarity is a reason to look closer, not a proof of copying: short '
            "exercises, the course's hints and the notes' examples lead honest students to similar code. "
            "The stub's own code is ignored; names of variables are not compared. Marked: code found in both.</p>"]
    body += [pair_section(pair) for pair in pairs[:top]] or ["<p>No two submissions share code.</p>"]
    if problems:
        body.append("<h2>Not compared</h2>\n<ul>" + "".join(f"<li>{text(p)}</li>" for p in problems) + "</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>nnlab similarity</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def pair_section(pair):
    first, second = (f"{text(student)}: {share:.0%} of the code found in the other"
                     for student, share in ((pair.first, pair.similarity[0]), (pair.second, pair.similarity[1])))
    return (f'<section class="pair"><h2>{escape(pair.exercise)}: {text(pair.first)} and {text(pair.second)}</h2>\n'
            f'<div class="codes"><div><h3>{first}</h3><pre>{CONTROL.sub("", pair.codes[0])}</pre></div>'
            f'<div><h3>{second}</h3><pre>{CONTROL.sub("", pair.codes[1])}</pre></div></div></section>')


def text(value):
    return escape(CONTROL.sub("", str(value)))


def write_similarity(out, pairs, problems, top=PAGE_PAIRS):
    """Write ``out``/similarity.html and similarity.csv; return their paths."""
    html_path, csv_path = Path(out) / "similarity.html", Path(out) / "similarity.csv"
    write_atomic(html_path, page(pairs, problems, top))
    write_atomic(csv_path, pairs_csv(pairs))
    return html_path, csv_path
