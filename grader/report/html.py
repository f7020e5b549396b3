"""The feedback page: one self-contained HTML file, failures first.

At the top, when and with what the grading ran (time, nnlab, Python and NumPy versions,
durations) and how many checks passed, failed or were not started. Then one section per
exercise: its failing checks, each highlighted with its message, a hint and the figure
it drew beside it; the passed checks folded; what the code printed. A checkbox shows
the failures only: plain CSS (``:checked ~``), so it works without JavaScript.

Figures are drawn as PNGs (with matplotlib, see ``plots.py``) and embedded as data
URIs: the page is a single file, with nothing to fetch. Everything that comes from the
student (messages, printed output) is escaped. Hidden checks show their name and points
only.
"""

import base64
import platform
from datetime import datetime, timezone
from html import escape
from pathlib import Path

import numpy as np

from . import plots
from .files import write_atomic
from .model import ERROR, FAILED, HIDDEN, NOT_STARTED, PARTIAL, PASSED

REPORT_FILE = "report.html"
SYMBOLS = {PASSED: "✔", PARTIAL: "◐", FAILED: "✘", ERROR: "✘", NOT_STARTED: "○"}
NO_PLOTS = ('The checks drew figures, but matplotlib is not installed, so they are left out. '
            'Install it with <code>pip install -e ".[plots]"</code> (or <code>pip install matplotlib</code>) '
            'and grade again.')
STYLE = """
body { font-family: system-ui, sans-serif; color: #1f2328; margin: 0 auto; padding: 1rem; max-width: 72rem;
       line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0.2rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.6rem 0 0.4rem; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2rem; }
h3 { font-size: 1rem; margin: 0 0 0.2rem; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3rem 0; }
.score { font-size: 1.3rem; margin: 0.3rem 0; }
.counts { list-style: none; padding: 0; margin: 0.3rem 0; display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; }
.meta { color: #57606a; font-size: 0.9rem; margin: 0.3rem 0; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 4px; padding: 0.4rem 0.6rem; }
.passed { color: #1a7f37; } .partial { color: #9a6700; } .failed, .error { color: #cf222e; }
.not_started { color: #0969da; } .muted, .hidden { color: #57606a; }
table.summary { border-collapse: collapse; margin: 0.6rem 0; }
table.summary th, table.summary td { text-align: left; padding: 0.2rem 0.8rem 0.2rem 0;
                                     border-bottom: 1px solid #d0d7de; }
table.summary td.number { text-align: right; font-variant-numeric: tabular-nums; }
.check { display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; align-items: flex-start; color: #1f2328;
         padding: 0.5rem 0.8rem; margin: 0.5rem 0; border-left: 4px solid #d0d7de; border-radius: 2px; }
.check .text { flex: 1 1 24rem; min-width: 0; }
.check.failed { border-left-color: #cf222e; background: #ffebe9; }
.check.not_started { border-left-color: #0969da; background: #ddf4ff; }
.check.not_run { border-left-color: #8c959f; background: #f6f8fa; }
.check.passed { border-left-color: #1a7f37; }
.description { color: #57606a; margin: 0.1rem 0; }
.hint { margin: 0.3rem 0 0; } .hint::before { content: "Hint: "; font-weight: 600; }
figure { margin: 0; flex: 0 1 auto; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; background: white; }
details { margin: 0.4rem 0; } summary { cursor: pointer; }
.switch-label { display: inline-block; margin: 0.6rem 0 0 0.3rem; font-weight: 600; cursor: pointer; }
#failures-only:checked ~ main .passed-checks, #failures-only:checked ~ main article.check.passed,
#failures-only:checked ~ main section[data-status="passed"], #failures-only:checked ~ main .printed,
#failures-only:checked ~ main tr[data-status="passed"] { display: none; }
"""


def write_report(report, directory):
    """Write ``report`` as ``directory/report.html`` (atomically); return its path."""
    path = Path(directory) / REPORT_FILE
    write_atomic(path, to_html(report))
    return path


def to_html(report, when=None):
    """The whole page; ``when`` (a datetime) is the time it shows, default now."""
    title = f"nnlab feedback: {report.submission}"
    body = [header(report, title, when or datetime.now(timezone.utc)),
            '<input type="checkbox" id="failures-only">'
            '<label class="switch-label" for="failures-only">Show failures only</label>',
            "<main>", summary_table(report)]
    body += [exercise_section(number, e) for number, e in enumerate(report.exercises, start=1)]
    body.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{chr(10).join(body)}\n</body>\n</html>\n")


# ---------------------------------------------------------------- the top of the page

def header(report, title, when):
    parts = ["<header>", f"<h1>{escape(title)}</h1>",
             f'<p class="score"><strong>{points(report.score)}/{points(report.max_score)}</strong> points '
             f"({report.percent:.0f}%)</p>", counts_list(report), f'<p class="meta">{escape(run_metadata(report, when))}</p>']
    parts += [f'<p class="note">{escape(notice)}</p>' for notice in report.notices]
    if has_figures(report) and not plots.available():
        parts.append(f'<p class="note">{NO_PLOTS}</p>')
    return "\n".join(parts + ["</header>"])


def check_state(check):
    """passed, failed, not_started, not_run or hidden (a hidden check not run here)."""
    if check.passed:
        return PASSED
    if not check.ran:
        return "hidden" if check.visibility == HIDDEN else "not_run"
    return NOT_STARTED if check.not_implemented else FAILED


def counts_list(report):
    states = [check_state(c) for e in report.exercises for c in e.checks]
    labels = [(PASSED, "✔", "passed"), (FAILED, "✘", "failed"), (NOT_STARTED, "○", "not started"),
              ("not_run", "–", "not run"), ("hidden", "–", "hidden, run by your instructor")]
    items = [f'<li class="{state}">{symbol} {states.count(state)} {label}</li>'
             for state, symbol, label in labels if states.count(state)]
    return f'<ul class="counts" aria-label="checks">{"".join(items)}</ul>'


def run_metadata(report, when):
    seconds = sum(e.seconds for e in report.exercises)
    return " · ".join([f"graded {when.strftime('%Y-%m-%d %H:%M %Z').strip()}", f"nnlab {nnlab_version()}",
                       f"Python {platform.python_version()}", f"NumPy {np.__version__}", f"seed {report.seed}",
                       "sandboxed" if report.sandboxed else "not sandboxed", f"{seconds:.1f} s in all"])


def nnlab_version():
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nnlab")
    except PackageNotFoundError:
        return "(not installed)"


def summary_table(report):
    rows = [f'<tr data-status="{e.status}"><td><a href="#{anchor(e.name)}">{escape(e.name)}</a></td>'
            f'<td class="number">{points(e.score)}/{points(e.max_score)}</td>'
            f'<td class="{e.status}">{SYMBOLS[e.status]} {escape(status_text(e.status))}</td>'
            f'<td class="number muted">{e.seconds:.1f} s</td></tr>' for e in report.exercises]
    return ('<table class="summary">\n<tr><th>exercise</th><th>score</th><th>status</th><th>time</th></tr>\n'
            + "\n".join(rows) + "\n</table>")


# ---------------------------------------------------------------- one exercise

def exercise_section(number, exercise):
    parts = [f'<section class="exercise" data-status="{exercise.status}" id="{anchor(exercise.name)}">',
             f"<h2>{number}. {escape(exercise.name)}: {escape(exercise.title)} "
             f'<span class="{exercise.status}">{SYMBOLS[exercise.status]} {escape(status_text(exercise.status))}, '
             f"{points(exercise.score)}/{points(exercise.max_score)}</span></h2>"]
    if exercise.reference_modules:
        parts.append(f'<p class="description">Graded with the reference {escape(", ".join(exercise.reference_modules))}'
                     " so that only this exercise counts here.</p>")
    open_checks = [c for c in exercise.checks if check_state(c) in (FAILED, "not_run") or
                   check_state(c) == NOT_STARTED and exercise.status != NOT_STARTED]
    if exercise.error:
        parts.append(f'<div class="check failed"><div class="text"><h3 class="error">✘ could not be loaded</h3>'
                     f"<pre>{escape(exercise.error)}</pre></div></div>")
        open_checks = []
    elif exercise.status == NOT_STARTED:
        hint = first_hint(exercise.name)
        parts.append(f'<div class="check not_started"><div class="text"><h3 class="not_started">○ not started</h3>'
                     f"<p>Fill in the functions of <code>{escape(exercise.name)}</code>; every check below is "
                     "waiting for them.</p>" + (f'<p class="hint">{escape(hint)}</p>' if hint else "")
                     + "</div></div>")
    hints = Hints(exercise.name)
    parts += [check_html(exercise.name, c, hints) for c in open_checks]
    folded = [c for c in exercise.checks if c not in open_checks]
    if folded:
        parts.append(f'<details class="{"passed-checks" if all(c.passed for c in folded) else "other-checks"}">'
                     f"<summary>{folded_summary(folded)}</summary>")
        parts += [check_html(exercise.name, c, hints) for c in folded]
        parts.append("</details>")
    if exercise.output.strip():
        lines = len(exercise.output.splitlines())
        parts.append(f'<details class="printed" open><summary>what your code printed ({lines} line'
                     f'{"s" if lines != 1 else ""})</summary><pre>{escape(exercise.output)}</pre></details>')
    parts.append("</section>")
    return "\n".join(parts)


def folded_summary(checks):
    states = [check_state(c) for c in checks]
    words = {PASSED: "passed", NOT_STARTED: "not started", "not_run": "not run", "hidden": "hidden", FAILED: "failed"}
    parts = [f"{states.count(s)} {w}" for s, w in words.items() if states.count(s)]
    symbol = {PASSED: "✔", NOT_STARTED: "○"}.get(states[0], "–") if len(set(states)) == 1 else "…"
    return f"{symbol} {len(checks)} check{'s' if len(checks) != 1 else ''}: {', '.join(parts)}"


def check_html(exercise_name, check, hints):
    """One check: its result, description, message and hint, and its figures beside them."""
    state = check_state(check)
    score = f"{points(check.score)}/{points(check.max_score)}" if check.ran else f"–/{points(check.max_score)}"
    symbol = {PASSED: "✔", FAILED: "✘", NOT_STARTED: "○"}.get(state, "–")
    word = {PASSED: "passed", FAILED: "failed", NOT_STARTED: "not started", "not_run": "not run",
            "hidden": "hidden check"}[state]
    css = "not_run" if state == "hidden" else state
    text = [f'<h3><span class="{css}">{symbol} {word}</span> {escape(check.name)} '
            f'<span class="muted">({score} points)</span></h3>']
    figures = []
    if check.visibility == HIDDEN:
        text.append('<p class="description">A hidden check: what it tests stays with your instructor.</p>')
    else:
        text.append(f'<p class="description">{escape(check.description)}</p>')
        if check.message and not check.passed:
            text.append(f"<pre>{escape(check.message)}</pre>")
        if state == FAILED:
            hint = hints.for_check(check.name)
            if hint:
                text.append(f'<p class="hint">{escape(hint)}</p>')
        figures = [figure_html(f) for f in check.figures]
    return (f'<article class="check {css}" id="{anchor(exercise_name)}-{escape(check.name)}">'
            f'<div class="text">{"".join(text)}</div>{"".join(f for f in figures if f)}</article>')


class Hints:
    """The hint each failing check of an exercise shows: the one that names the check
    (``Exercise.hint_for``), else the exercise's first hint, shown once."""

    def __init__(self, exercise_name):
        self.exercise = find_exercise(exercise_name)
        self.shown = set()

    def for_check(self, check_name):
        named = getattr(self.exercise, "hint_for", None)
        found = named(check_name) if callable(named) else None
        hint = found[-1] if isinstance(found, tuple) else found  # (level, text), or the text alone
        if hint:
            self.shown.add(str(hint))
            return str(hint)
        first = first_hint(self.exercise.module) if self.exercise else None
        if first is None or first in self.shown:
            return None
        self.shown.add(first)
        return first


def first_hint(exercise_name):
    exercise = find_exercise(exercise_name)
    hints = getattr(exercise, "hints", None) or []
    return str(hints[0]) if hints else None


def find_exercise(name):
    from ..checks import EXERCISES

    return next((e for e in EXERCISES if e.module == name), None)


def figure_html(figure):
    png = plots.render_png(figure)
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    caption = escape(str(figure.get("title", "")))
    return (f'<figure><img alt="{caption}" width="{plots.PIXELS[0]}" height="{plots.PIXELS[1]}" '
            f'src="data:image/png;base64,{data}"></figure>')  # the title is in the picture


def has_figures(report):
    return any(c.figures for e in report.exercises for c in e.checks if c.visibility != HIDDEN)


def status_text(status):
    return status.replace("_", " ")


def anchor(name):
    return f"exercise-{escape(name)}"


def points(value):
    return f"{value:g}"
