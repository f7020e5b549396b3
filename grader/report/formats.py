"""Turn a Report into text: the terminal table, JSON, and the other formats."""

import json

import click

from .classroom import to_classroom
from .gradescope import to_gradescope
from .junit import to_junit
from .markdown import to_markdown
from .model import ERROR, FAILED, NOT_STARTED, PARTIAL, PASSED

STATUS_COLOURS = {PASSED: "green", PARTIAL: "yellow", NOT_STARTED: "blue", ERROR: "magenta"}


def to_json(report):
    return json.dumps(report.to_dict(), indent=2)


def to_table(report, colour=False):
    """One row per exercise, then every failing check with its message."""
    style = click.style if colour else (lambda text, **_: text)
    width = max([len(e.name) for e in report.exercises] + [8])
    lines = [f"{'exercise':<{width}}  {'score':>11}  status", "-" * (width + 23)]
    for e in report.exercises:
        score = f"{fmt(e.score)}/{fmt(e.max_score)}"
        status = style(e.status, fg=STATUS_COLOURS.get(e.status, "red"), bold=True)
        lines.append(f"{e.name:<{width}}  {score:>11}  {status}")
    lines.append("-" * (width + 23))
    lines.append(f"{'total':<{width}}  {fmt(report.score) + '/' + fmt(report.max_score):>11}  "
                 f"{report.percent:.0f}%")
    for e in report.exercises:
        problems = [c for c in e.checks if not c.passed and (c.ran or c.counted)]
        if not (e.error or problems):
            continue
        lines += ["", style(f"{e.name}  ({e.title})", bold=True)]
        if e.reference_modules and e.status in (FAILED, PARTIAL):
            lines.append(f"  graded with the reference {', '.join(e.reference_modules)} "
                         "so that only this exercise counts here")
        if e.error:
            lines += indent(e.error, "  " + style("error", fg="magenta") + "  ")
            continue
        if e.status == NOT_STARTED:
            lines.append(f"  not started: fill in the functions of {e.name} "
                         f"(nnlab hint {e.name} when stuck)")
            continue
        for c in problems:
            label = style("FAIL", fg="red") if c.ran else style("SKIP", fg="yellow")
            lines += indent(c.message, f"  {label} {c.name} ({fmt(c.max_score)} pt): ")
        if e.output.strip():
            lines.append(f"  your code printed {len(e.output.splitlines())} line(s); "
                         "see the report's \"output\" with --format json")
    lines += [""] + [f"note: {n}" for n in report.notices]
    return "\n".join(lines).rstrip() + "\n"


def indent(text, first):
    rest = " " * len(click.unstyle(first))
    text_lines = text.splitlines() or [""]
    return [first + text_lines[0]] + [rest + line for line in text_lines[1:]]


def fmt(points):
    return f"{points:g}"


FORMATS = {"table": to_table, "json": lambda report, colour=False: to_json(report) + "\n",
           "junit": to_junit, "gradescope": to_gradescope, "markdown": to_markdown, "classroom": to_classroom}


def render(report, name, colour=False):
    return FORMATS[name](report, colour=colour)
