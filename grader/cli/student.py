"""The student's verb that grades: ``nnlab grade``."""

import contextlib
import sys
from pathlib import Path

import click

from ..checks import MODULES
from ..engine import runtime
from ..engine import sandbox as sandbox_module
from ..engine.sandbox import SandboxUnavailable
from ..report.files import write_atomic
from ..report.formats import FORMATS, render
from ..options import allow_import_option, seed_option
from ..progress import record_grades
from ..submission import NotASubmission, Reference, Submission
from .batch import step_summary
from .live import ProgressLine

EXERCISE_NAMES = list(MODULES)
DEFAULT_FOLDER = "exercises"


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(EXERCISE_NAMES),
              help="Grade only this exercise (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="table", show_default=True,
              help="table for people; json for programs (only the report is printed on stdout).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this file (written whole or not at all).")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit with status 1 when the score is below PCT percent.")
@click.option("--timeout", type=click.FloatRange(min=0.5), metavar="SECONDS",
              help="Time limit per exercise (default: each exercise's own, 10 s for most). A check may use "
                   "a third of it; checks that time out get up to twice it on top.")
@click.option("--memory", type=click.IntRange(min=128), metavar="MB",
              help="Memory limit of the process running your code (default 2048).")
@seed_option
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions for the hidden checks (default: solutions/ of the source tree).")
@click.option("--jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Exercises graded at the same time.")
@click.option("--sandbox", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Run your code under the Linux bubblewrap sandbox: auto uses it where it works, "
                   "on refuses to grade without it.")
@click.option("--allow-root", is_flag=True,
              help="As root without the sandbox, where no unprivileged user can run Python: "
                   "run student code as root anyway (only for code you trust).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Also write a feedback page, DIR/report.html: every check, its message, and plots.")
@click.option("--summary", is_flag=True,
              help="Also append the report in Markdown to $GITHUB_STEP_SUMMARY (the GitHub Actions job summary).")
@allow_import_option
def grade(path, names, fmt, output, fail_under, timeout, memory, seed, solutions, jobs, sandbox, allow_root,
          report_dir, summary, allowed_imports):
    """Grade the submission in PATH (default: ./exercises).

    PATH is a folder of exercise modules, one module such as exercises/softmax.py,
    a notebook such as work/03-losses.ipynb, or a folder of notebooks (see
    `nnlab notebook`). The exit status is 0 whenever grading ran, whatever the score;
    1 when --fail-under is missed; 2 for a usage error.

    \b
    Examples:
      nnlab grade                              everything in ./exercises
      nnlab grade -e losses                    one exercise
      nnlab grade work/                        a folder of notebooks
      nnlab grade --report feedback            and open feedback/report.html
    """
    sandbox_module.probe_in_background(sandbox)
    from .. import grading  # NumPy and the checks: while the sandbox's probe runs

    submission = find_submission(path)
    if names and submission.only:
        raise click.UsageError("give either a module file or --exercise, not both")
    if allow_root:
        runtime.allow_root()
    reference = find_reference(solutions, names or ([submission.only] if submission.only else EXERCISE_NAMES))
    progress = ProgressLine.on_terminal(wanted=fmt == "table")
    try:
        with progress or contextlib.nullcontext():
            report = grading.grade(submission, names=list(names) or None, reference=reference,
                                   seed=seed, timeout=timeout, memory_mb=memory, jobs=jobs, sandbox=sandbox,
                                   progress=progress, allowed_imports=allowed_imports)
    except SandboxUnavailable as error:
        raise click.UsageError(f"--sandbox on, but the sandbox cannot run here: {error}") from None
    except runtime.RootRefused as error:
        raise click.UsageError(str(error)) from None
    if output:
        write_atomic(output, render(report, fmt))
    if summary:
        step_summary(render(report, "markdown"))
    if report_dir:
        from ..report.html import write_report  # matplotlib, if any, is only loaded here

        click.echo(f"feedback page: {write_report(report, report_dir)}", err=True)
    warning = record_grades(report)
    if warning:
        click.echo(f"note: {warning}", err=True)
    if not report.student_work and fmt == "table":
        click.echo("note: these are the reference solutions; their grades are not recorded as your progress",
                   err=True)
    click.echo(render(report, fmt, colour=sys.stdout.isatty() and fmt == "table"), nl=False)
    if fail_under is not None and report.percent < fail_under:
        click.echo(f"score {report.percent:.1f}% is under --fail-under {fail_under:g}%", err=True)
        sys.exit(1)


def find_submission(path):
    """The Submission at ``path`` (default ./exercises), or a usage error that says what to do."""
    if path is None and not Path(DEFAULT_FOLDER).exists():
        here = Path.cwd()
        if here.name == DEFAULT_FOLDER or any((here / f"{name}.py").is_file() for name in EXERCISE_NAMES):
            raise click.UsageError(f"you are inside {here.name}/: run nnlab from the folder above it (cd ..), "
                                   "or give this folder: nnlab grade .")
        raise click.UsageError(f"there is no {DEFAULT_FOLDER}/ folder here: run nnlab in the course's folder "
                               "(the one holding exercises/), or give the path: nnlab grade PATH")
    path = Path(DEFAULT_FOLDER) if path is None else path
    if not path.exists():
        raise click.UsageError(f"{path} does not exist: give a folder of exercise modules, a module or a notebook")
    try:
        return Submission(path, EXERCISE_NAMES)
    except NotASubmission as error:
        raise click.UsageError(str(error)) from None


def find_reference(solutions, names):
    """The reference solutions for the hidden checks of ``names`` (and the earlier exercises)."""
    reference = Reference.find(solutions)
    last = max(EXERCISE_NAMES.index(name) for name in names)
    missing = reference.missing_modules(EXERCISE_NAMES[: last + 1]) if reference else []
    if missing:
        raise click.UsageError(f"--solutions {solutions} lacks {', '.join(m + '.py' for m in missing)}: "
                               "give the folder of the complete reference solutions")
    return reference
