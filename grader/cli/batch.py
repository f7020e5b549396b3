"""The instructor's batch verbs: grade a folder of submissions; merge the gradebooks of shards."""

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..instructor.batch import MOVED_ASIDE, Batch, Options, discover, find_reference, select_shard
from ..instructor.deadline import parse_time
from ..instructor.export import FORMATS as EXPORT_FORMATS, RosterError, export as export_outputs, write_export
from ..instructor.runs import Inconsistent, check_consistent, write_run
from ..instructor.shards import ShardError, auto_shard
from ..engine import runtime
from ..engine.sandbox import OFF, ON, SandboxUnavailable, choose as choose_sandbox
from ..instructor.gradebook import ERROR, MergeConflict, merge as merge_outputs, write_gradebook
from ..grading import exercise_names
from ..report.markdown import append_to_step_summary
from ..options import allow_import_option, seed_option

STUBS = Path(__file__).resolve().parents[2] / "exercises"  # the stubs, in the source tree
AUTO = "auto"
INTERRUPTED = 130  # the shell's status for a program stopped by Ctrl-C


def parse_deadline(context, parameter, value):
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise click.BadParameter("expected an ISO 8601 time, for example 2026-12-01T23:59+01:00") from None


def parse_shard(context, parameter, value):
    if value in (None, AUTO):
        return value
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
@click.option("--only", multiple=True, metavar="STUDENT",
              help="Grade only this student again, keep the other reports (repeatable).")
@click.option("--force", is_flag=True,
              help="Grade every submission again, also when OUT was graded with other options.")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(exercise_names()),
              help="Grade only this exercise (repeatable).")
@click.option("--shard", callback=parse_shard, metavar="K/N|auto",
              help="Grade only every N-th submission, from the K-th on: one job of a CI matrix. auto: K and N "
                   "from a Kubernetes Indexed Job, a Slurm array job or NNLAB_JOB_INDEX/NNLAB_JOB_TOTAL.")
@click.option("--shard-count", type=click.IntRange(min=1), metavar="N",
              help="With --shard auto: the number of shards (a Kubernetes Indexed Job's completions).")
@click.option("--timeout", type=click.FloatRange(min=0.5), metavar="SECONDS",
              help="Time limit per exercise (default: each exercise's own).")
@click.option("--memory", type=click.IntRange(min=128), metavar="MB",
              help="Memory limit of the process running student code (default 2048).")
@seed_option
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions for the hidden checks (default: solutions/ of the source tree).")
@click.option("--sandbox", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Run student code under the Linux bubblewrap sandbox (see nnlab grade --help).")
@click.option("--allow-root", is_flag=True,
              help="As root without the sandbox, where no unprivileged user can run Python: "
                   "run student code as root anyway (only for code you trust).")
@click.option("--summary", is_flag=True,
              help="Also append the summary to $GITHUB_STEP_SUMMARY (the GitHub Actions job summary).")
@click.option("--before", callback=parse_deadline, metavar="TIME",
              help="Grade each git repository at its last commit before TIME (ISO 8601; UTC unless it says).")
@click.option("--late-penalty", type=click.FloatRange(min=0, max=100), metavar="PERCENT",
              help="With --before: grade the last commit, and take PERCENT off a late one per started day.")
@allow_import_option
def batch(submissions, out, jobs, resume, only, force, names, shard, timeout, memory, seed, solutions, sandbox,
          allow_root, summary, before, late_penalty, shard_count, allowed_imports):
    """Grade every submission in SUBMISSIONS, several at a time (instructors).

    Each subfolder, .zip or .ipynb in SUBMISSIONS is one student's submission, named
    after it: alice/, bob.zip, carol.ipynb. A folder or a zip may hold the modules
    themselves or a repository with them in exercises/. Each submission is graded in a
    process of its own: one that crashes, hangs or misbehaves gets its own row, with
    the reason, and nothing else.

    \b
    OUT/reports/STUDENT.json   the report (as nnlab grade --format json, plus "batch")
    OUT/gradebook.csv          a row per student: points per exercise, total, percent, status
    OUT/feedback/STUDENT.html  what to hand back (and .md): the page of nnlab grade --report
    OUT/summary.md, .html      per exercise: mean, median, spread, most failed checks, timeouts

    Every file is written whole or not at all: after Ctrl-C or a crash, --resume grades
    only what is missing or out of date. OUT/run.json records the options; --resume and
    --only refuse to add reports graded otherwise (--force grades everything again).
    The files of students no longer in SUBMISSIONS go to OUT/moved-aside/.

    \b
    Examples:
      nnlab batch submissions --out grades
      nnlab batch submissions --out grades --resume
      nnlab batch submissions --out grades --only alice --only bob
      nnlab batch classroom --out grades --before 2026-12-01T23:59+01:00
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
        click.echo(f"ignored {len(ignored)} file(s) that are not submissions (hidden, or not a folder, .zip "
                   "or .ipynb): " + ", ".join(path.name for path in ignored[:5])
                   + (", ..." if len(ignored) > 5 else ""), err=True)
    everyone = [entry.student for entry in entries]
    if shard == AUTO:
        try:
            *shard, scheduler = auto_shard(os.environ, shard_count)
        except ShardError as error:
            raise click.UsageError(str(error)) from None
        click.echo(f"shard {shard[0]}/{shard[1]}, from the {scheduler}", err=True)
    if shard:
        entries = select_shard(entries, *shard)
    unknown = sorted(set(only) - {entry.student for entry in entries})
    if unknown:
        raise click.UsageError(f"--only: no submission named {', '.join(unknown)} in {submissions}"
                               + (" (in this shard)" if shard else ""))
    if late_penalty is not None and before is None:
        raise click.UsageError("--late-penalty needs --before (the deadline)")
    options = Options(list(names), seed, timeout, memory, find_reference(solutions), sandbox, before, late_penalty,
                      allowed_imports)
    if options.solutions is None:
        click.echo("no reference solutions found (--solutions): hidden checks will not run", err=True)
    grades = Batch(out, options)
    if (resume or only) and not force:
        try:
            check_consistent(out, grades.record, "--resume" if resume else "--only")
        except Inconsistent as error:
            raise click.UsageError(str(error)) from None
    gone = grades.move_aside(everyone)
    if gone:
        click.echo(f"moved the files of {len(gone)} student(s) no longer in {submissions} to "
                   f"{out / MOVED_ASIDE}: {', '.join(gone)}", err=True)
    write_run(out, {**grades.record, "shard": "/".join(map(str, shard)) if shard else None})
    fingerprints = {entry.student: grades.fingerprint(entry) for entry in entries}
    todo = to_grade(entries, grades, fingerprints, resume, set(only), force)
    click.echo(f"grading {len(todo)} of {len(entries)} submission(s) with {jobs} job(s)"
               + (f"; {len(entries) - len(todo)} kept" if len(todo) < len(entries) else ""), err=True)
    interrupted = False
    with stop_on_sigterm(), progress(len(todo)) as advance:
        try:
            grades.run(todo, jobs, advance)
        except KeyboardInterrupt:
            interrupted = True
    reports = {e.student: grades.current_report(e, fingerprints[e.student]) for e in entries}
    text = write_gradebook(out, [e.student for e in entries], reports)
    click.echo(text)
    click.echo(f"wrote {out / 'gradebook.csv'}, {out / 'summary.md'}, {out / 'summary.html'}, and "
               f"{len(entries)} report(s) in {out / 'reports'} with their feedback in {out / 'feedback'}", err=True)
    if summary:
        step_summary(text)
    if interrupted:
        click.echo("interrupted: the reports written so far are kept; "
                   "run the same command with --resume to grade the rest", err=True)
        sys.exit(INTERRUPTED)


def to_grade(entries, grades, fingerprints, resume, only, force):
    """The entries to grade: all with ``force``, else ``only`` (a set of students) if
    given, else those out of date when resuming, else all."""
    if force:
        return entries
    if only:
        return [entry for entry in entries if entry.student in only]
    if resume:
        return [entry for entry in entries if not grades.current_report(entry, fingerprints[entry.student])]
    return entries


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
    """Gradebooks of batch runs: join the shards of a CI matrix, export for an LMS."""


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
    except (MergeConflict, Inconsistent) as conflict:
        raise click.UsageError(str(conflict)) from None
    for path in unreadable:
        click.echo(f"skipped {path}: not a batch report", err=True)
    click.echo(text)
    if summary:
        step_summary(text)


@gradebook.command("export")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
              help="canvas: Canvas's gradebook import; moodle: Moodle's CSV grade import; csv: plain.")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV mapping submission names (a 'submission' or 'github_username' column) to the LMS's ids.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write (default: FOLDER/gradebook-FORMAT.csv).")
@click.option("--assignment", default="nnlab", show_default=True, help="The name of the grade column.")
@click.option("--excel", is_flag=True, help="UTF-8 with a byte order mark, so that Excel reads accents right.")
def export_gradebook(folder, fmt, roster, output, assignment, excel):
    """Write the gradebook of the batch output FOLDER for an LMS to import.

    \b
    Examples:
      nnlab gradebook export grades --format canvas --roster canvas-roster.csv
      nnlab gradebook export grades --format moodle --roster moodle-roster.csv --excel
      nnlab gradebook export grades --format csv --roster classroom_roster.csv -o grades.csv

    A roster is the LMS's own gradebook export with a 'submission' column added (the
    names of SUBMISSIONS), or GitHub Classroom's classroom_roster.csv. Submissions
    without a roster row, and roster rows without a graded submission, are listed.
    """
    try:
        result = export_outputs(folder, fmt, roster, assignment)
    except RosterError as error:
        raise click.UsageError(str(error)) from None
    target = output or folder / f"gradebook-{fmt}.csv"
    write_export(result, target, excel)
    if roster is None and fmt != "csv":
        click.echo(f"no --roster: the submission names stand for the students' logins in {target}", err=True)
    if result.unknown:
        click.echo(f"{len(result.unknown)} submission(s) not in the roster, left out: "
                   + ", ".join(result.unknown), err=True)
    if result.missing:
        click.echo(f"{len(result.missing)} student(s) of the roster without a graded submission: "
                   + ", ".join(result.missing), err=True)
    click.echo(f"wrote {target}")


@click.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for similarity.html and similarity.csv.")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(exercise_names()),
              help="Compare only this exercise (repeatable; default: all).")
@click.option("--stubs", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The stubs the students started from, whose code is ignored (default: exercises/ of the "
                   "source tree).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many of the most similar pairs the page shows.")
def similarity(submissions, out, names, stubs, top):
    """Compare every pair of submissions, exercise by exercise, and show the most similar (instructors).

    Uses copydetect (MOSS-style winnowing; pip install "nnlab[instructor]"). Variable
    names do not matter and the stub's own code is ignored. A high similarity is a
    reason to look, not a proof of copying.

    \b
    Example:
      nnlab similarity submissions --out similarity     then open similarity/similarity.html
    """
    try:  # an optional dependency, and a slow import: only for this command
        from ..instructor.similarity import compare, write_similarity
    except ImportError as error:
        raise click.ClickException(f"nnlab similarity needs copydetect ({error}): "
                                   'pip install "nnlab[instructor]"') from None
    stubs = stubs or (STUBS if STUBS.is_dir() else None)
    if stubs is None:
        click.echo("no stubs found (--stubs): the stub's own code counts as shared code", err=True)
    pairs, problems = compare(submissions, stubs, list(names) or None)
    for problem in problems:
        click.echo(f"not compared: {problem}", err=True)
    page, table = write_similarity(out, pairs, problems, top)
    for pair in pairs[:5]:
        click.echo(f"{pair.exercise:<15} {pair.first} / {pair.second}: {pair.score:.0%}")
    click.echo(f"wrote {page} and {table} ({len(pairs)} pairs compared)", err=True)
