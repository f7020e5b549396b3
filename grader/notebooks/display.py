"""What check() shows: HTML that reads well in every front end, and plain text.

Front ends style notebook output their own way (JupyterLab right-aligns table cells) and
an untrusted notebook loses every stylesheet. So the HTML has no stylesheet and no
table: paragraphs and lists, inline styles only for what is nice to have (colour, a bar
beside a failing check), and a symbol and a word for every result, so that a page with
no styles at all still says what passed and what failed. Text wraps at word boundaries.
"""

from html import escape

from ..report.model import HIDDEN, NOT_STARTED, PASSED
from .runs import AS_RUN, NEVER_RUN, NOT_SAVED

PASS, FAIL, SKIP, WARN = "✔", "✘", "–", "⚠"
COLOURS = {PASS: "#1a7f37", FAIL: "#cf222e", SKIP: "#57606a", WARN: "#9a6700"}
CELL_ADVICE = {NOT_SAVED: "Save the notebook, so that `nnlab grade` grades the same.",
               NEVER_RUN: "Not run in this kernel, so graded as saved."}
NOT_STARTED_ADVICE = "not started: fill in the tagged cells, run them, and check again (`nnlab hint {name}` when stuck)."
BOX = "font-family:system-ui,sans-serif;text-align:left;line-height:1.45;max-width:60em;overflow-wrap:break-word"
WRAP = "text-align:left;white-space:normal;word-break:normal;overflow-wrap:break-word"


class NotebookCheck:
    """The result of :func:`~grader.notebooks.support.check`: HTML in Jupyter, text elsewhere."""

    def __init__(self, report, cells=(), notes=()):
        self.report = report
        self.cells = list(cells)
        self.notes = list(notes)

    @property
    def passed(self):
        return all(e.status == PASSED for e in self.report.exercises)

    def _repr_html_(self):
        return to_html(self)

    def __repr__(self):
        return to_text(self)


# ---------------------------------------------------------------- the parts

def result_symbol(check):
    if check.passed:
        return PASS
    return FAIL if check.ran else SKIP


def result_word(check):
    if check.passed:
        return "passed"
    if not check.ran:
        return "not run"
    return "not started" if check.not_implemented else "FAILED"


def failing_first(exercise):
    """The checks to show open (failing, or not run), then the passed ones."""
    shown = [c for c in exercise.checks if c.counted or c.ran]
    return [c for c in shown if not c.passed], [c for c in shown if c.passed]


def cell_lines(cells):
    """``[(symbol, sentence)]`` about the cells graded: those graded as run, then the others by kind."""
    fine = [c.label for c in cells if c.how == AS_RUN]
    lines = []
    if fine and len(fine) == len(cells):
        lines.append((PASS, f"Graded the setup cell and the {len(cells) - 1} tagged cells as you last ran them."))
    elif fine:
        lines.append((PASS, f"Graded as you last ran them: {', '.join(fine)}."))
    for how in (NOT_SAVED, NEVER_RUN):
        names = [c.label for c in cells if c.how == how]
        if names:
            lines.append((WARN, f"{how}: {', '.join(names)}. {CELL_ADVICE[how]}"))
    return lines


def hints_of(exercise):
    from ..report.html import Hints  # imported here: it brings in matplotlib, which `import grader` need not

    return Hints(exercise.name)


def hint_of(check, hints):
    """The hint a failing check shows (see ``report/html.py``); none for a hidden check."""
    return hints.for_check(check.name) if check.ran and not check.passed and check.visibility != HIDDEN else None


def message_of(check):
    """A hidden check shows its name and points only, as on the feedback page."""
    return "hidden check: what it tests stays with your instructor" if check.visibility == HIDDEN else check.message


# ---------------------------------------------------------------- plain text

def to_text(result):
    lines = []
    for exercise in result.report.exercises:
        lines.append(f"{exercise.name}: {points(exercise.score)}/{points(exercise.max_score)} points, "
                     f"{exercise.status.replace('_', ' ')}  ({result.report.submission})")
        lines += [f"{symbol} {sentence}" for symbol, sentence in cell_lines(result.cells)]
        if exercise.error:
            lines += ["", f"{FAIL} error: " + indented(exercise.error)]
        failing, passed = failing_first(exercise)
        if exercise.status == NOT_STARTED:
            lines.append(f"{SKIP} {NOT_STARTED_ADVICE.format(name=exercise.name)}")
            failing = []
        hints = hints_of(exercise)
        for check in failing:
            head = f"{result_symbol(check)} {result_word(check)} {check.name} ({points(check.max_score)} pt)"
            message = message_of(check)
            lines.append(head + (": " + indented(message) if message else ""))
            hint = hint_of(check, hints)
            lines += [f"    hint: {hint}"] if hint else []
        if passed:
            lines.append(f"{PASS} passed: " + ", ".join(c.name for c in passed))
        if exercise.output.strip():
            lines.append(f"your code printed {len(exercise.output.splitlines())} line(s):")
            lines += ["  | " + line for line in exercise.output.rstrip().splitlines()[-20:]]
    lines += [f"note: {note}" for note in result.notes + result.report.notices]
    return "\n".join(lines) + "\n"


def indented(text):
    return text.replace("\n", "\n    ")


# ---------------------------------------------------------------- HTML

def to_html(result):
    parts = [f'<div style="{BOX}">']
    for exercise in result.report.exercises:
        parts += exercise_html(exercise, result)
    notes = result.notes + result.report.notices
    if notes:
        parts.append(f'<ul style="{WRAP};padding-left:1.2em;margin:0.4em 0">')
        parts += [f"<li>{WARN} note: {text_html(note)}</li>" for note in notes]
        parts.append("</ul>")
    parts.append("</div>")
    return "\n".join(parts)


def exercise_html(exercise, result):
    symbol = PASS if exercise.status == PASSED else (FAIL if exercise.status != NOT_STARTED else SKIP)
    parts = [f'<p style="{WRAP};margin:0.3em 0;font-size:1.1em">'
             f'<span style="color:{COLOURS[symbol]}">{symbol}</span> <b>{escape(exercise.name)}</b>: '
             f"<b>{points(exercise.score)}/{points(exercise.max_score)}</b> points, "
             f"{escape(exercise.status.replace('_', ' '))} "
             f'<span style="color:#57606a">({escape(result.report.submission)})</span></p>']
    if result.cells:
        parts.append(cells_html(result.cells))
    if exercise.error:
        parts.append(item_html(FAIL, "error", "", exercise.error, tag="p"))
    if exercise.status == NOT_STARTED and not exercise.error:
        parts.append(f'<p style="{WRAP};margin:0.3em 0">{SKIP} '
                     f"{text_html(NOT_STARTED_ADVICE.format(name=exercise.name))}</p>")
    failing, passed = failing_first(exercise)
    if failing and exercise.status != NOT_STARTED:
        parts.append(f'<ul style="{WRAP};list-style:none;padding-left:0;margin:0.3em 0">')
        hints = hints_of(exercise)
        parts += [item_html(result_symbol(c), result_word(c), f"{c.name} ({points(c.max_score)} pt)",
                            message_of(c), hint_of(c, hints)) for c in failing]
        parts.append("</ul>")
    if passed:
        names = ", ".join(escape(c.name) for c in passed)
        parts.append(f'<details style="{WRAP};margin:0.3em 0"><summary>'
                     f'<span style="color:{COLOURS[PASS]}">{PASS}</span> {len(passed)} check{"s" if len(passed) != 1 else ""} '
                     "passed</summary>"
                     f"<p style=\"{WRAP};margin:0.2em 0 0 1.2em\">{names}</p></details>")
    if exercise.output.strip():
        parts.append(f'<details style="{WRAP};margin:0.3em 0"><summary>what your code printed '
                     f"({len(exercise.output.splitlines())} lines)</summary>"
                     f'<p style="{WRAP};font-family:monospace;margin:0.2em 0 0 1.2em">'
                     f"{text_html(exercise.output.rstrip())}</p></details>")
    return parts


def cells_html(cells):
    lines = [f'<span style="color:{COLOURS[symbol]}">{symbol}</span> {text_html(sentence)}'
             for symbol, sentence in cell_lines(cells)]
    return f'<p style="{WRAP};margin:0.3em 0">' + "<br>".join(lines) + "</p>"


def item_html(symbol, word, title, message, hint=None, tag="li"):
    colour = COLOURS.get(symbol, COLOURS[FAIL])
    bar = f"border-left:4px solid {colour};padding:0.2em 0.6em;margin:0.35em 0;background:#f6f8fa"
    head = (f'<span style="color:{colour}">{symbol}</span> <b style="color:{colour}">{escape(word)}</b>'
            + (f" <b>{escape(title)}</b>" if title else ""))
    body = f'<br><span style="color:#24292f">{text_html(message)}</span>' if message else ""
    body += f"<br><b>Hint:</b> {text_html(hint)}" if hint else ""
    return f'<{tag} style="{WRAP};{bar}">{head}{body}</{tag}>'


def text_html(text):
    """Text as HTML that keeps its lines and indentation, and wraps at word boundaries."""
    lines = []
    for line in escape(str(text)).split("\n"):
        stripped = line.lstrip(" ")
        lines.append("&nbsp;" * (len(line) - len(stripped)) + stripped)
    return "<br>".join(lines)


def points(value):
    return f"{value:g}"

