"""The instructor's batch verbs: grade a folder of submissions; merge the gradebooks of shards."""

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..engine import runtime
from ..engine.sandbox import OFF, ON, SandboxUnavailable, choose as choose_sandbox
from ..instructor.batch import Batch, Options, discover, find_reference, select_shard
from ..instructor.gradebook import ERROR, MergeConflict, merge as merge_outputs, write_gradebook
from ..grading import exercise_names
from ..report.markdown import append_to_step_summary

INTERRUPTED = 130  # the shell's status for a program stopped by Ctrl-C


def parse_shard(context, parameter, value):
    if value is None:
        return None
    try:
        shard, shards = (int(part) for part in value.split("/"))
    except ValueError:
        raise click.BadParameter("expected K/N, for example 2/4") from None
    if not 1 <= shard <= shards:
        raise click.BadParameter(f"K must be between 1 and N, got {value}")
    return shard, shards


@click.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reports, gradebook.csv and summary.md.")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="every core",
              help="Submissions graded at the same time.")
@click.option("--resume", is_flag=True,
              help="Skip the submissions whose report is up to date (same files, checks and options).")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(exercise_names()),
              help="Grade only this exercise (repeatable).")
@click.option("--shard", callback=parse_shard, metavar="K/N",
              help="Grade only every N-th submission, from the K-th on: one job of a CI matrix.")
@click.option("--timeout", type=click.FloatRange(min=0.5), metavar="SECONDS",
              help="Time limit per exercise (default: each exercise's own).")
@click.option("--memory", type=click.IntRange(min=128), metavar="MB",
              help="Memory limit of the process running student code (default 2048).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random test inputs.")
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions for the hidden checks (default: solutions/ of the source tree).")
@click.option("--sandbox", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Run student code under the Linux bubblewrap sandbox (see nnlab grade --help).")
@click.option("--allow-root", is_flag=True,
              help="As root without the sandbox, where no unprivileged user can run Python: "
                   "run student code as root anyway (only for code you trust).")
@click.option("--summary", is_flag=True,
              help="Also append the summary to $GITHUB_STEP_SUMMARY (the GitHub Actions job summary).")
def batch(submissions, out, jobs, resume, names, shard, timeout, memory, seed, solutions, sandbox, allow_root,
          summary):
    """Grade every submission in SUBMISSIONS, several at a time (instructors).

    Each subfolder, .zip or .ipynb in SUBMISSIONS is one student's submission, named
    after it: alice/, bob.zip, carol.ipynb. A folder or a zip may hold the modules
    themselves or a repository with them in exercises/. Each submission is graded in a
    process of its own: one that crashes, hangs or misbehaves gets its own row, with
    the reason, and nothing else.

    \b
    OUT/reports/STUDENT.json   the report (as nnlab grade --format json, plus "batch")
    OUT/gradebook.csv          a row per student: points per exercise, total, percent, status
    OUT/summary.md             per exercise, the mean and how many got full marks

    Every file is written whole or not at all: after Ctrl-C or a crash, --resume grades
    only what is missing or out of date.

    \b
    Examples:
      nnlab batch submissions --out grades
      nnlab batch submissions --out grades --resume
      nnlab batch submissions --out grades -e softmax -e losses --timeout 5
      nnlab batch submissions --out shard-2 --shard 2/4     (then: nnlab gradebook merge)
    """
    if out.resolve().is_relative_to(submissions.resolve()):
        raise click.UsageError("--out must not be inside SUBMISSIONS: it would be graded as a submission")
    if sandbox == ON:  # say it once here, rather than in every row
        try:
            choose_sandbox(ON)
        except SandboxUnavailable as error:
            raise click.UsageError(f"--sandbox on, but the sandbox cannot run here: {error}") from None
    if allow_root:
        runtime.allow_root()  # the workers inherit it
    elif sandbox == OFF or (sandbox != ON and choose_sandbox(sandbox)[0] is None):
        if runtime.refusal():
            raise click.UsageError(runtime.refusal())
    entries, ignored = discover(submissions)
    if ignored:
        click.echo(f"ignored {len(ignored)} file(s) that are not submissions (a folder, .zip or .ipynb): "
                   + ", ".join(path.name for path in ignored[:5]) + (", ..." if len(ignored) > 5 else ""),
                   err=True)
    if shard:
        entries = select_shard(entries, *shard)
    options = Options(list(names), seed, timeout, memory, find_reference(solutions), sandbox)
    if options.solutions is None:
        click.echo("no reference solutions found (--solutions): hidden checks will not run", err=True)
    grades = Batch(out, options)
    fingerprints = {entry.student: grades.fingerprint(entry) for entry in entries}
    todo = [e for e in entries if not (resume and grades.current_report(e, fingerprints[e.student]))]
    click.echo(f"grading {len(todo)} of {len(entries)} submission(s) with {jobs} job(s)"
               + (f"; {len(entries) - len(todo)} up to date" if resume else ""), err=True)
    interrupted = False
    with stop_on_sigterm(), progress(len(todo)) as advance:
        try:
            grades.run(todo, jobs, advance)
        except KeyboardInterrupt:
            interrupted = True
    reports = {e.student: grades.current_report(e, fingerprints[e.student]) for e in entries}
    text = write_gradebook(out, [e.student for e in entries], reports)
    click.echo(text)
    click.echo(f"wrote {out / 'gradebook.csv'}, {out / 'summary.md'} and {len(entries)} report(s) "
               f"in {out / 'reports'}", err=True)
    if summary:
        step_summary(text)
    if interrupted:
        click.echo("interrupted: the reports written so far are kept; "
                   "run the same command with --resume to grade the rest", err=True)
        sys.exit(INTERRUPTED)


@contextmanager
def stop_on_sigterm():
    """Treat SIGTERM (a cancelled CI job, `kill`) like Ctrl-C: stop the workers, keep the reports."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def progress(total):
    """``advance(outcome)``: a progress bar on a terminal, a line per submission in a log."""
    counts = {"done": 0, "errors": 0}

    def count(outcome):
        counts["done"] += 1
        counts["errors"] += outcome.status == ERROR
        return f"{counts['errors']} could not be graded"

    if sys.stderr.isatty():
        with click.progressbar(length=total, label="grading", file=sys.stderr, show_pos=True) as bar:
            def advance(outcome):
                bar.label = f"grading ({count(outcome)})"
                bar.update(1)

            yield advance
    else:
        def advance(outcome):
            errors = count(outcome)
            report = outcome.report
            result = (f"{report['score']:g}/{report['max_score']:g}" if outcome.status != ERROR
                      else f"error: {outcome.reason}")
            click.echo(f"[{counts['done']}/{total}] {outcome.entry.student}: {result} ({errors})", err=True)

        yield advance


def step_summary(text):
    path = append_to_step_summary(text)
    click.echo(f"appended the summary to {path}" if path else
               "--summary: GITHUB_STEP_SUMMARY is not set (it is, in GitHub Actions); nothing appended",
               err=True)


@click.group()
def gradebook():
    """Gradebooks of batch runs: join the shards of a CI matrix."""


@gradebook.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the joined reports, gradebook.csv and summary.md.")
@click.option("--summary", is_flag=True, help="Also append the summary to $GITHUB_STEP_SUMMARY.")
def merge(folders, out, summary):
    """Join the outputs (--out folders) of `nnlab batch --shard K/N` runs into one gradebook.

    \b
    Example, after a CI matrix of four shards:
      nnlab gradebook merge shard-1 shard-2 shard-3 shard-4 --out grades
    """
    try:
        text, unreadable = merge_outputs(folders, out)
    except MergeConflict as conflict:
        raise click.UsageError(str(conflict)) from None
    for path in unreadable:
        click.echo(f"skipped {path}: not a batch report", err=True)
    click.echo(text)
    if summary:
        step_summary(text)
