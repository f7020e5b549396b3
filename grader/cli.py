"""The ``nnlab`` command: list the exercises, grade your work, ask for a hint.

Student code never runs in this process: ``grade`` starts one child process per exercise
and decides every verdict here, from the plain data the child sends back.
"""

import sys
from pathlib import Path

import click

from . import grading
from .checks import EXERCISES
from .report.files import write_atomic
from .report.formats import FORMATS, render
from .stubs import generate, out_of_date
from .submission import NotASubmission, Reference, Submission

EXERCISE_NAMES = [e.module for e in EXERCISES]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nnlab")
def main():
    """nnlab: build a neural network from first principles in NumPy, one exercise at a time.

    \b
    Typical loop:
      nnlab list                   the exercises, in the order to do them
      nnlab grade                  grade everything in ./exercises
      nnlab grade -e softmax       grade one exercise
      nnlab hint softmax           a nudge when stuck (--level 2, 3 for more)
    """


@main.command("list")
def list_exercises():
    """Show the exercises in teaching order, with their points."""
    for number, exercise in enumerate(EXERCISES, start=1):
        hidden = exercise.max_points - exercise.visible_points
        extra = f" (+{hidden:g} hidden)" if hidden else ""
        click.echo(f"{number:>2}. {exercise.module:<15} {exercise.title:<34} "
                   f"{exercise.visible_points:g} points{extra}")


@main.command()
@click.argument("path", default="exercises", type=click.Path(exists=True, path_type=Path))
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(EXERCISE_NAMES),
              help="Grade only this exercise (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="table", show_default=True,
              help="table for people; json for programs (only the report is printed on stdout).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this file (written whole or not at all).")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit with status 1 when the score is below PCT percent.")
@click.option("--timeout", type=click.FloatRange(min=0.5), metavar="SECONDS",
              help="Time limit per exercise (default: each exercise's own, 10 s for most).")
@click.option("--memory", type=click.IntRange(min=128), metavar="MB",
              help="Memory limit of the process running your code (default 2048).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random test inputs; the same seed gives the same score.")
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions for the hidden checks (default: solutions/ of the source tree).")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Exercises graded at the same time.")
def grade(path, names, fmt, output, fail_under, timeout, memory, seed, solutions, jobs):
    """Grade the submission in PATH (default: ./exercises).

    PATH is a folder of exercise modules, or one module such as exercises/softmax.py.
    The exit status is 0 whenever grading ran, whatever the score; 1 when --fail-under
    is missed; 2 for a usage error.
    """
    try:
        submission = Submission(path, EXERCISE_NAMES)
    except NotASubmission as error:
        raise click.UsageError(str(error)) from None
    if names and submission.only:
        raise click.UsageError("give either a module file or --exercise, not both")
    report = grading.grade(submission, names=list(names) or None, reference=Reference.find(solutions),
                           seed=seed, timeout=timeout, memory_mb=memory, jobs=jobs)
    if output:
        write_atomic(output, render(report, fmt))
    click.echo(render(report, fmt, colour=sys.stdout.isatty() and fmt == "table"), nl=False)
    if fail_under is not None and report.percent < fail_under:
        click.echo(f"score {report.percent:.1f}% is under --fail-under {fail_under:g}%", err=True)
        sys.exit(1)


@main.command()
@click.argument("name", type=click.Choice(EXERCISE_NAMES), metavar="EXERCISE")
@click.option("--level", type=click.IntRange(min=1), default=1, show_default=True,
              help="How much to reveal: 1 is a nudge, higher levels explain the idea.")
def hint(name, level):
    """Hints for EXERCISE, from a nudge to the idea; never the code."""
    hints = grading.find_exercise(name).hints
    for number, text in enumerate(hints[:level], start=1):
        click.echo(f"hint {number}/{len(hints)}: {click.wrap_text(text, 88, subsequent_indent='  ')}")
    if level < len(hints):
        click.echo(f"\n(nnlab hint {name} --level {level + 1} for more)")


@main.command("make-stubs")
@click.option("--solutions", default="solutions", show_default=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", default="exercises", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the stubs are out of date.")
def make_stubs(solutions, out, check):
    """Write the student stubs (OUT) from the reference solutions (instructors).

    Code between `# BEGIN SOLUTION: <todo>` and `# END SOLUTION` becomes a
    NotImplementedError carrying the todo; signatures and docstrings are kept.
    """
    if check:
        stale = out_of_date(solutions, out)
        for path in stale:
            click.echo(f"out of date: {path}", err=True)
        sys.exit(1 if stale else 0)
    for path, text in generate(solutions, out).items():
        write_atomic(path, text)
        click.echo(f"wrote {path}")
