"""Grade one submission in any layout, in a process of its own.

    python -m grader.instructor.worker SUBMISSION [--format json] [-e NAME ...] [grading options]
    python -m grader.instructor.worker --serve --batch-fd FD   (requests on stdin: see serve)

The Gradescope autograder runs one on ``/autograder/submission``; ``nnlab batch`` keeps
``--jobs`` of them serving (see :mod:`.pool`), each grading submission after submission
with the grader and NumPy imported once, so that a submission that hangs or crashes the
grading takes only its own worker down. SUBMISSION is a folder, a ``.zip`` or a notebook (see
:mod:`grader.intake`). The report goes to stdout, whatever the student's code prints.

Exit status: 0 graded; 3 the submission could not be taken in (the report printed
anyway says why, so that a Gradescope student reads the reason); 2 a usage error, or
``--sandbox on`` where the sandbox cannot run.
"""

import json
import os
import sys
import tempfile
import threading
import traceback
from pathlib import Path

import click

from .. import coordinate_single_threaded

coordinate_single_threaded()  # before NumPy loads

import numpy as np  # noqa: E402 -- this and the imports below it load NumPy: after that line

from .. import grading
from ..checks import EXERCISES
from ..options import allow_import_option, seed_option
from ..grading.seeds import as_seed
from ..engine import sandbox as sandbox_module
from ..engine.runtime import RootRefused
from ..engine.sandbox import SandboxUnavailable
from .feedback import feedback_texts
from .intake import IntakeError, take_in
from ..report.files import write_atomic
from ..report.formats import FORMATS, render
from ..report.audience import machine_notices
from ..report.model import HIDDEN, VISIBLE, CheckResult, ExerciseResult, Report
from ..submission import NotASubmission, Reference, Submission

REFERENCE_PACKAGE = "nnlab_reference_"  # Reference's package name in sys.modules

NOT_TAKEN_IN = 3
ORPHANED = 4
FIGURES = "figures"  # the key of --figures in the JSON report


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
@click.option("--figures", is_flag=True,
              help="With --format json: add the checks' figures, as plain data (for the batch's feedback).")
@click.option("--batch-fd", type=int, hidden=True, help="Exit when this pipe closes: the batch is gone.")
@allow_import_option
def main(source, fmt, output, names, timeout, memory, seed, solutions, sandbox, jobs, figures, batch_fd,
         allowed_imports):
    """Grade the submission SOURCE (a folder, a .zip or a notebook) and print the report."""
    if batch_fd is not None:
        watch_batch(batch_fd)
    status, text = grade(source, fmt, names, timeout, memory, seed, solutions, sandbox, jobs, figures,
                         allowed_imports)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    sys.exit(status)


def grade(source, fmt, names, timeout, memory, seed, solutions, sandbox, jobs, figures, allowed_imports):
    """``(exit status, report text)`` for the submission ``source``; notes go to stderr."""
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
            report = not_taken_in_report(source, list(names), reference, seed, str(error))
            click.echo(f"not graded: {error}", err=True)
            status = NOT_TAKEN_IN
        except SandboxUnavailable as error:
            raise click.UsageError(f"--sandbox on, but the sandbox cannot run here: {error}") from None
        except RootRefused as error:  # no user but root could run student code here
            raise click.UsageError(str(error)) from None
    report.submission = str(source)
    for notice in machine_notices(report.notices):  # the instructor's, in the log
        click.echo(f"note: {notice}", err=True)
    if figures and fmt == "json":
        return status, json.dumps({**report.to_dict(), FIGURES: figures_by_check(report)}, default=as_list) + "\n"
    return status, render(report, fmt)


def watch_batch(fd):
    threading.Thread(target=exit_when_closed, args=(fd,), daemon=True).start()


def exit_when_closed(fd):
    """Exit when the batch that started this worker is gone (its end of the pipe closed):
    without it, nobody reads the report. The children running student code die with
    this process (PR_SET_PDEATHSIG, bwrap --die-with-parent)."""
    while os.read(fd, 1):
        pass
    os._exit(ORPHANED)


def figures_by_check(report):
    """``{"exercise/check": [figure, ...]}``: what the checks drew, for the feedback page."""
    return {f"{exercise.name}/{check.name}": check.figures
            for exercise in report.exercises for check in exercise.checks if check.figures}


def as_list(value):
    """Arrays and NumPy numbers of a figure, as JSON can hold them."""
    return np.asarray(value).tolist()


def not_taken_in_report(source, names, reference, seed, reason):
    """A report for a submission that could not be taken in: every check of the exercises
    ``names`` (all when empty) at 0, not run, with the reason, so that a student reads
    what there was to earn and why nothing was."""
    exercises = []
    for exercise in EXERCISES:
        if names and exercise.module not in names:
            continue
        result = ExerciseResult(exercise.module, exercise.title, error=f"not graded: {reason}")
        for check in exercise.checks:
            counted = reference is not None or not check.hidden
            result.checks.append(CheckResult(check.name, check.description, check.points,
                                             HIDDEN if check.hidden else VISIBLE, ran=False, counted=counted,
                                             message=f"not run: {reason}"))
        exercises.append(result)
    seed = as_seed(seed)
    return Report(str(source), exercises, seed=seed.shown, seed_fingerprint=seed.fingerprint,
                  hidden_checks_ran=reference is not None,
                  notices=[f"not graded: {reason}"])


# -- serving a batch: submission after submission in one process --------------------------

SERVE = "--serve"


@click.command()
@click.option("--batch-fd", type=int, required=True, help="Exit when this pipe closes: the batch is gone.")
@click.option("--sandbox-probe", metavar="ANSWER", help="The batch's sandbox probe: why it cannot run, or ''.")
@click.option("--batch", "label", help="The batch's output folder: what `ps` shows this worker is for.")
def serve(batch_fd, sandbox_probe, label):
    """Grade submissions one after the other, for ``nnlab batch`` (see :mod:`.pool`).

    Each line on stdin is a request: this module's own arguments, as a JSON list; each
    answer is a line on stdout: ``{"status", "report", "error", "last"}``, what a worker
    of its own would have exited with, printed and written last on stderr, and whether
    this process ends after it. A request ``{"feedback": {...}}`` asks for a student's
    feedback texts instead (``answer_feedback``). Each submission is
    graded afresh: its arguments parsed anew, its reference modules loaded anew, its
    children started anew; a submission whose grading fails unexpectedly ends this process.
    """
    watch_batch(batch_fd)
    if sandbox_probe is not None:
        trust_probe(sandbox_probe)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else prints goes to stderr, never into an answer
    for line in sys.stdin:
        request = json.loads(line)
        answer, fatal = answer_feedback(request) if isinstance(request, dict) else answer_request(request)
        answers.write(json.dumps({**answer, "last": fatal}) + "\n")
        answers.flush()
        forget_reference_modules()
        if fatal:
            sys.exit(1)


def answer_request(arguments):
    """``(answer, fatal)`` for one submission: ``main``'s work, without exiting."""
    try:
        with main.make_context("worker", list(arguments)) as context:
            params = {k: v for k, v in context.params.items() if k not in ("output", "batch_fd")}
            status, text = grade(**params)
        return {"status": status, "report": text, "error": ""}, False
    except click.UsageError as error:
        return {"status": 2, "report": "", "error": f"Error: {error.format_message()}"}, False
    except Exception as error:  # noqa: BLE001 -- the batch gets the reason; a fresh worker the next one
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return {"status": 1, "report": "", "error": last}, True


def answer_feedback(request):
    """``(answer, fatal)`` for ``{"feedback": feedback_texts' arguments}``: the student's
    page and Markdown, drawn here so that matplotlib stays out of the batch process."""
    try:
        html, markdown = feedback_texts(**request["feedback"])
        return {"html": html, "markdown": markdown}, False
    except Exception as error:  # noqa: BLE001 -- the batch draws it itself; a fresh worker grades on
        return {"error": traceback.format_exception_only(type(error), error)[-1].strip()}, True


def trust_probe(answer):
    """Take the batch's sandbox probe for this process's own: the batch probed once for all
    its workers (``""``: the sandbox runs here; else why not)."""
    bwrap = sandbox_module.find_bwrap()
    with sandbox_module._probe_lock:
        sandbox_module._probe_results[bwrap] = answer


def forget_reference_modules():
    """Drop the reference solutions' modules: the next submission loads them afresh, so no
    state of theirs carries over from one submission to the next."""
    for name in [name for name in sys.modules if name.startswith(REFERENCE_PACKAGE)]:
        del sys.modules[name]


if __name__ == "__main__":
    if sys.argv[1:2] == [SERVE]:
        serve(sys.argv[2:])
    else:
        main()
