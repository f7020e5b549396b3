"""Grade one submission in any layout, in a process of its own.

    python -m grader.instructor.worker SUBMISSION [--format json] [-e NAME ...] [grading options]

``nnlab batch`` starts one of these per submission, so that a submission that hangs or
crashes the grading takes only its own process down; the Gradescope autograder runs one
on ``/autograder/submission``. SUBMISSION is a folder, a ``.zip`` or a notebook (see
:mod:`grader.intake`). The report goes to stdout, whatever the student's code prints.

Exit status: 0 graded; 3 the submission could not be taken in (the report printed
anyway says why, so that a Gradescope student reads the reason); 2 a usage error, or
``--sandbox on`` where the sandbox cannot run.
"""

import sys
import tempfile
from pathlib import Path

import click

from .. import grading
from ..options import allow_import_option, seed_option
from ..engine.sandbox import SandboxUnavailable
from .intake import IntakeError, take_in
from ..report.files import write_atomic
from ..report.formats import FORMATS, render
from ..report.model import Report
from ..submission import NotASubmission, Reference, Submission

NOT_TAKEN_IN = 3


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(grading.exercise_names()))
@click.option("--timeout", type=click.FloatRange(min=0.5))
@click.option("--memory", type=click.IntRange(min=128))
@seed_option
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--sandbox", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True)
@allow_import_option
def main(source, fmt, output, names, timeout, memory, seed, solutions, sandbox, jobs, allowed_imports):
    """Grade the submission SOURCE (a folder, a .zip or a notebook) and print the report."""
    reference = Reference.find(solutions)
    with tempfile.TemporaryDirectory(prefix="nnlab-intake-") as staging:
        try:
            folder, origin, notices = take_in(source, staging)
            report = grading.grade(Submission(folder, grading.exercise_names()), names=list(names) or None,
                                   reference=reference, seed=seed, timeout=timeout, memory_mb=memory,
                                   sandbox=sandbox, jobs=jobs, allowed_imports=allowed_imports)
            for exercise in report.exercises:  # name the student's files, not the staging copy
                exercise.error = exercise.error.replace(str(folder), origin)
            report.notices[:0] = notices
            status = 0
        except (IntakeError, NotASubmission) as error:
            report = Report(str(source), [], seed=seed.shown, seed_fingerprint=seed.fingerprint,
                            hidden_checks_ran=reference is not None,
                            notices=[f"not graded: {error}"])
            click.echo(f"not graded: {error}", err=True)
            status = NOT_TAKEN_IN
        except SandboxUnavailable as error:
            raise click.UsageError(f"--sandbox on, but the sandbox cannot run here: {error}") from None
    report.submission = str(source)
    if output:
        write_atomic(output, render(report, fmt))
    else:
        click.echo(render(report, fmt), nl=False)
    sys.exit(status)


if __name__ == "__main__":
    main()
