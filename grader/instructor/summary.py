"""The class summary of a batch: ``OUT/summary.md`` and ``OUT/summary.html``.

Per exercise: the points, the mean and the median, how many got full marks, how the
scores spread (a histogram: Unicode bars in the Markdown, a picture in the HTML), how
many had not started, timed out or could not load the module, and the checks most often
failed with their most common message; then the submissions that could not be graded.

Names, reasons and messages come from students (a folder may be called
``<img src=x onerror=...>``, a message may hold NUL or BEL bytes), so every one of them
is escaped: Markdown by :func:`~grader.report.markdown.inline_text`, HTML by
``html.escape``, control characters dropped in both.
"""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape

from ..report.markdown import CONTROL, inline_text
from .reports import ERROR, GRADED, exercise_columns, status

BINS = 5
BARS = "·▁▂▃▄▅▆▇█"
MOST_FAILED = 3


@dataclass
class ExerciseSummary:
    name: str
    points: float
    scores: list = field(default_factory=list)
    not_started: int = 0
    timed_out: list = field(default_factory=list)  # students
    errors: list = field(default_factory=list)  # (student, the module's error, first line)
    failures: dict = field(default_factory=dict)  # check -> [message, ...]

    @property
    def median(self):
        return statistics.median(self.scores) if self.scores else 0.0

    @property
    def mean(self):
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def full_marks(self):
        return sum(1 for score in self.scores if score >= self.points)

    def histogram(self):
        """Counts of the scores in BINS equal bins of [0, points] (full marks in the last)."""
        counts = [0] * BINS
        for score in self.scores if self.points else []:
            counts[min(BINS - 1, int(BINS * score / self.points))] += 1
        return counts

    def most_failed(self):
        """``[(check, times failed, its most common message), ...]``, most failed first."""
        ranked = sorted(self.failures.items(), key=lambda item: (-len(item[1]), item[0]))
        return [(check, len(messages), Counter(messages).most_common(1)[0][0])
                for check, messages in ranked[:MOST_FAILED]]


@dataclass
class ClassSummary:
    students: list
    exercises: list
    graded: int
    errors: list  # (student, reason) of the submissions that could not be graded
    waiting: int
    totals: list
    points: float


def summarise(students, reports):
    """The ClassSummary of ``students`` (ids, in order) from ``reports`` (id -> report or None)."""
    graded = [(s, reports[s]) for s in students if status(reports.get(s)) == GRADED]
    exercises = [ExerciseSummary(name, points) for name, points in exercise_columns(reports).items()]
    by_name = {exercise.name: exercise for exercise in exercises}
    for student, report in graded:
        for result in report["exercises"]:
            if result["name"] in by_name:
                tally(by_name[result["name"]], student, result)
    errors = [(s, reports[s]["batch"]["reason"]) for s in students if status(reports.get(s)) == ERROR]
    return ClassSummary(students, exercises, len(graded), errors, len(students) - len(graded) - len(errors),
                        [report["score"] for _, report in graded], sum(e.points for e in exercises))


def tally(summary, student, result):
    summary.scores.append(result["score"])
    if result.get("error"):
        summary.errors.append((student, result["error"].splitlines()[0][:200]))
        return
    if result.get("status") == "not_started":
        summary.not_started += 1
        return
    checks = result.get("checks", [])
    if any(c.get("message", "").startswith("timed out") for c in checks):
        summary.timed_out.append(student)
    for check in checks:
        if check.get("ran") and not check.get("passed"):
            message = (check.get("message") or "failed").splitlines()[0][:200]
            summary.failures.setdefault(check["name"], []).append(message)


# -- Markdown -----------------------------------------------------------------------------

def to_markdown(summary):
    lines = [f"### nnlab batch: {len(summary.students)} submissions", "",
             f"{summary.graded} graded, {len(summary.errors)} could not be graded, "
             f"{summary.waiting} not graded yet.", ""]
    if summary.graded:
        lines += ["| exercise | points | mean | median | full marks | spread | not started | timed out | "
                  "module errors |", "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
        lines += [markdown_row(e, summary.graded) for e in summary.exercises]
        total = ExerciseSummary("total", summary.points, summary.totals)
        lines.append(markdown_row(total, summary.graded, label="**total**"))
        failed = [(e.name, *row) for e in summary.exercises for row in e.most_failed()]
        if failed:
            lines += ["", "Most failed checks:", "", "| exercise | check | failed | most common message |",
                      "|---|---|---:|---|"]
            lines += [f"| `{name}` | `{check}` | {count}/{summary.graded} | {inline_text(message)} |"
                      for name, check, count, message in failed]
    if summary.errors:
        lines += ["", "Could not be graded:"]
        lines += [f"- {inline_text(student)}: {inline_text(reason)}" for student, reason in summary.errors]
    return "\n".join(lines) + "\n"


def markdown_row(exercise, graded, label=None):
    cells = [label or f"`{exercise.name}`", f"{exercise.points:g}", f"{exercise.mean:.1f}",
             f"{exercise.median:g}", f"{exercise.full_marks}/{graded}", sparkline(exercise.histogram())]
    if label is None:
        cells += [str(exercise.not_started), str(len(exercise.timed_out)), str(len(exercise.errors))]
    else:
        cells += ["", "", ""]
    return "| " + " | ".join(cells) + " |"


def sparkline(counts):
    """``counts`` as Unicode bars, lowest scores first: "▁·▂▅█"."""
    most = max(counts, default=0)
    return "".join(BARS[round(8 * count / most) if most else 0] for count in counts)


# -- HTML ---------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; }
section { margin-bottom: 2rem; }
svg { display: block; margin: 0.5rem 0; }
"""


def to_html(summary):
    body = [f"<h1>nnlab batch: {len(summary.students)} submissions</h1>",
            f"<p>{summary.graded} graded, {len(summary.errors)} could not be graded, "
            f"{summary.waiting} not graded yet.</p>"]
    if summary.graded:
        body.append(overview_table(summary))
        body += [exercise_section(e, summary.graded) for e in summary.exercises]
    if summary.errors:
        body.append("<h2>Could not be graded</h2>\n<ul>"
                    + "".join(f"<li>{text(s)}: {text(reason)}</li>" for s, reason in summary.errors) + "</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>nnlab batch summary</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def text(value):
    return escape(CONTROL.sub("", str(value)))


def overview_table(summary):
    rows = [f'<tr><td><a href="#{e.name}">{e.name}</a></td><td class="n">{e.points:g}</td>'
            f'<td class="n">{e.mean:.1f}</td><td class="n">{e.median:g}</td>'
            f'<td class="n">{e.full_marks}/{summary.graded}</td><td class="n">{e.not_started}</td>'
            f'<td class="n">{len(e.timed_out)}</td><td class="n">{len(e.errors)}</td></tr>'
            for e in summary.exercises]
    return ("<table>\n<tr><th>exercise</th><th>points</th><th>mean</th><th>median</th><th>full marks</th>"
            "<th>not started</th><th>timed out</th><th>module errors</th></tr>\n" + "\n".join(rows) + "\n</table>")


def exercise_section(exercise, graded):
    parts = [f'<section id="{exercise.name}">', f"<h2>{exercise.name}</h2>",
             f"<p>{exercise.points:g} points: mean {exercise.mean:.1f}, median {exercise.median:g}, "
             f"{exercise.full_marks} of {graded} with full marks.</p>", histogram_svg(exercise)]
    failed = exercise.most_failed()
    if failed:
        parts.append("<table>\n<tr><th>most failed check</th><th>failed</th><th>most common message</th></tr>")
        parts += [f'<tr><td>{text(check)}</td><td class="n">{count}/{graded}</td><td>{text(message)}</td></tr>'
                  for check, count, message in failed]
        parts.append("</table>")
    if exercise.timed_out:
        parts.append(f"<p>Timed out: {text(', '.join(exercise.timed_out))}</p>")
    if exercise.errors:
        parts.append("<p>The module could not be loaded:</p>\n<ul>"
                     + "".join(f"<li>{text(s)}: {text(error)}</li>" for s, error in exercise.errors) + "</ul>")
    return "\n".join(parts + ["</section>"])


def histogram_svg(exercise, width=360, height=120):
    """The score histogram as an inline SVG picture: one bar per bin, its count above it."""
    counts = exercise.histogram()
    most = max(counts, default=0) or 1
    bar = width / BINS
    shapes = []
    for index, count in enumerate(counts):
        tall = (height - 30) * count / most
        x, y = index * bar, height - 15 - tall
        low, high = exercise.points * index / BINS, exercise.points * (index + 1) / BINS
        shapes.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar - 4:.1f}" height="{tall:.1f}" fill="#4a78b5">'
                      f"<title>{low:g} to {high:g} points: {count}</title></rect>"
                      f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="11" text-anchor="middle">{count}</text>'
                      f'<text x="{x + bar / 2:.1f}" y="{height - 2}" font-size="10" text-anchor="middle">'
                      f"{low:g}-{high:g}</text>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="scores of {exercise.name}">' + "".join(shapes) + "</svg>")
