"""The feedback page: one self-contained HTML file, one section per exercise.

Every check is listed with its result and message; hidden checks show their name and
points only. The figures that checks attach are drawn as PNGs (with matplotlib, see
``plots.py``) and embedded as data URIs, so the page is a single file to send or open.
Everything that comes from the student (messages, printed output) is escaped.
"""

import base64
from html import escape
from pathlib import Path

from . import plots
from .files import write_atomic
from .model import HIDDEN

REPORT_FILE = "report.html"
NO_PLOTS = ('The checks drew figures, but matplotlib is not installed, so they are left out. '
            'Install it with <code>pip install -e ".[plots]"</code> (or <code>pip install matplotlib</code>) '
            'and grade again.')
STYLE = """
.nnlab { font-family: system-ui, sans-serif; max-width: 60rem; color: #222; }
.nnlab table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
.nnlab th, .nnlab td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left;
                       vertical-align: top; }
.nnlab .points { text-align: right; white-space: nowrap; }
.nnlab pre { white-space: pre-wrap; margin: 0.2rem 0; font-size: 0.9em; }
.nnlab .passed { color: #1a7f37; } .nnlab .partial { color: #9a6700; }
.nnlab .failed, .nnlab .error { color: #cf222e; } .nnlab .not_started { color: #0969da; }
.nnlab .skipped, .nnlab .hidden { color: #666; }
.nnlab .description { color: #555; font-size: 0.9em; }
.nnlab .note { background: #f6f8fa; padding: 0.5rem; }
.nnlab figure { display: inline-block; margin: 0.5rem; }
"""


def write_report(report, directory):
    """Write ``report`` as ``directory/report.html`` (atomically); return its path."""
    path = Path(directory) / REPORT_FILE
    write_atomic(path, to_html(report))
    return path


def to_html(report):
    """The whole page."""
    title = f"nnlab feedback: {report.submission}"
    body = [f"<h1>{escape(title)}</h1>",
            f"<p><strong>{points(report.score)}/{points(report.max_score)}</strong> points "
            f"({report.percent:.0f}%), seed {report.seed}</p>"]
    body += [f'<p class="note">{escape(notice)}</p>' for notice in report.notices]
    if has_figures(report) and not plots.available():
        body.append(f'<p class="note">{NO_PLOTS}</p>')
    body.append(summary_table(report))
    body += [exercise_section(number, e) for number, e in enumerate(report.exercises, start=1)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body class=\"nnlab\">\n{chr(10).join(body)}\n</body>\n</html>\n")


def fragment(report):
    """The exercise sections alone, for a notebook's output (``check()``)."""
    sections = [exercise_section(None, e) for e in report.exercises]
    notes = [f'<p class="note">{escape(notice)}</p>' for notice in report.notices]
    return f'<style>{STYLE}</style>\n<div class="nnlab">\n{chr(10).join(sections + notes)}\n</div>'


def summary_table(report):
    rows = [f'<tr><td><a href="#{anchor(e.name)}">{escape(e.name)}</a></td>'
            f'<td class="points">{points(e.score)}/{points(e.max_score)}</td>'
            f'<td class="{e.status}">{escape(e.status)}</td></tr>' for e in report.exercises]
    return ("<table>\n<tr><th>exercise</th><th>score</th><th>status</th></tr>\n"
            + "\n".join(rows) + "\n</table>")


def exercise_section(number, exercise):
    heading = f"{number}. " if number else ""
    parts = [f'<section id="{anchor(exercise.name)}">',
             f"<h2>{heading}{escape(exercise.name)}: {escape(exercise.title)}</h2>",
             f'<p><span class="{exercise.status}">{escape(exercise.status)}</span>, '
             f"{points(exercise.score)}/{points(exercise.max_score)} points</p>"]
    if exercise.error:
        parts.append(f'<pre class="error">{escape(exercise.error)}</pre>')
    if exercise.reference_modules:
        parts.append(f"<p class=\"description\">Graded with the reference {escape(', '.join(exercise.reference_modules))}"
                     " so that only this exercise counts here.</p>")
    if exercise.checks:
        parts.append("<table>\n<tr><th>check</th><th>points</th><th>result</th></tr>")
        parts += [check_row(check) for check in exercise.checks]
        parts.append("</table>")
    pictures = [figure_html(f) for c in exercise.checks if c.visibility != HIDDEN for f in c.figures]
    parts += [picture for picture in pictures if picture]
    if exercise.output.strip():
        parts.append(f"<details><summary>what your code printed</summary><pre>{escape(exercise.output)}</pre>"
                     "</details>")
    parts.append("</section>")
    return "\n".join(parts)


def check_row(check):
    """One row; a hidden check shows its name and points, never its description or message."""
    score = f"{points(check.score)}/{points(check.max_score)}" if check.ran else f"–/{points(check.max_score)}"
    if check.visibility == HIDDEN:
        result = "passed" if check.passed else ("failed" if check.ran else "not run")
        return (f'<tr><td>{escape(check.name)} <span class="hidden">(hidden check)</span></td>'
                f'<td class="points">{score}</td><td class="hidden">{result}</td></tr>')
    if check.passed:
        result = '<span class="passed">passed</span>'
    else:
        label = '<span class="failed">failed</span>' if check.ran else '<span class="skipped">not run</span>'
        result = label + (f"<pre>{escape(check.message)}</pre>" if check.message else "")
    return (f'<tr><td>{escape(check.name)}<div class="description">{escape(check.description)}</div></td>'
            f'<td class="points">{score}</td><td>{result}</td></tr>')


def figure_html(figure):
    png = plots.render_png(figure)
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    caption = escape(str(figure.get("title", "")))
    return (f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def has_figures(report):
    return any(c.figures for e in report.exercises for c in e.checks if c.visibility != HIDDEN)


def anchor(name):
    return f"exercise-{escape(name)}"


def points(value):
    return f"{value:g}"
