"""A Markdown report: for a GitHub Actions job summary, a pull request comment, a README.

A table of the exercises, then each failing check with its message in a folded section;
a hidden check shows its name and points only, as on the feedback page. Messages may
quote the student's code, so they go into code blocks that no backtick in the text can
close; other text that may come from a student (a file name in a notice) is escaped by
:func:`inline_text`, and control characters (NUL, BEL, ...) are dropped everywhere.
"""

import os
import re

from .model import ERROR, FAILED, HIDDEN, NOT_STARTED, PARTIAL, PASSED

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
HTML_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# CommonMark lets a backslash escape any ASCII punctuation; these start markup, links or
# mentions (":" and "." keep bare URLs from being made links, "@" a mention).
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~:@$")
STATUS_MARKS = {PASSED: "✅", PARTIAL: "🟡", FAILED: "❌", NOT_STARTED: "⬜", ERROR: "💥"}


def to_markdown(report, colour=False):
    lines = [f"## nnlab: {report.score:g}/{report.max_score:g} points ({report.percent:.0f}%)", "",
             "| exercise | score | status |", "|---|---:|---|"]
    for e in report.exercises:
        lines.append(f"| `{e.name}` {e.title} | {e.score:g}/{e.max_score:g} | "
                     f"{STATUS_MARKS.get(e.status, '')} {e.status.replace('_', ' ')} |")
    for e in report.exercises:
        lines += exercise_details(e)
    lines += [""] + [f"> {inline_text(notice)}" for notice in report.notices]
    return "\n".join(lines).rstrip() + "\n"


def exercise_details(exercise):
    """A folded section with what went wrong in ``exercise``; nothing when it all passed."""
    if exercise.error:
        problems = [("could not be loaded", exercise.error)]
    elif exercise.status == NOT_STARTED:
        problems = []
    else:
        problems = [(f"{c.name} ({c.max_score:g} pt, hidden check)", None) if c.visibility == HIDDEN
                    else (f"{c.name} ({c.max_score:g} pt)", c.message)
                    for c in exercise.checks if not c.passed and (c.ran or c.counted)]
    if not problems:
        return []
    lines = ["", f"<details><summary><code>{exercise.name}</code>: {len(problems)} problem(s)</summary>", ""]
    for title, message in problems:
        lines += [f"**{title}**: failed", ""] if message is None else [f"**{title}**", "", *code_block(message), ""]
    return lines + ["</details>"]


def code_block(text):
    text = CONTROL.sub("", text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", text, fence]


def inline_text(text):
    """``text`` (one line, from a student) as Markdown that renders it literally: no
    markup, no HTML, no links, no control characters."""
    text = CONTROL.sub("", " ".join(str(text).splitlines()))
    return "".join(HTML_ENTITIES.get(c) or ("\\" + c if c in MARKDOWN_SPECIAL else c) for c in text)


def append_to_step_summary(text):
    """Append ``text`` to GitHub Actions' job summary; return its path, or None outside Actions.

    Appending (rather than replacing) keeps what earlier commands of the same step wrote.
    """
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    with open(path, "a", encoding="utf-8") as summary:
        summary.write(text + "\n")
    return path
