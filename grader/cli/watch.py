"""The ``watch`` verb: grade an exercise again every time its file is saved.

:class:`WatchSession` decides what to grade and what to say about each change; the
file events come from watchfiles (events from the operating system) or, where those are
unreliable or watchfiles is missing, from :func:`polled_changes` (comparing the files'
sizes and modification times twice a second).
"""

import importlib.util
import itertools
import time
from pathlib import Path

import click

from .. import grading
from ..notebooks.extract import NotebookError, exercise_from_file_name, parse_notebook
from ..progress import Progress, record_grades
from ..report.console import symbol
from ..report.formats import fmt
from ..report.model import ERROR, PASSED, VISIBLE
from ..submission import NotASubmission, Reference, Submission

POLL_SECONDS = 0.5
WATCHED_SUFFIXES = (".py", ".ipynb")


class WatchSession:
    """The exercise the student is on, and what each saved file changes about it.

    ``grade(names)`` returns a Report for those exercises (or raises NotASubmission);
    ``echo`` prints a line.
    """

    def __init__(self, names, grade, echo=click.echo):
        self.names = list(names)
        self.grade = grade
        self.echo = echo
        self.passed = set()
        self.current = None

    def start(self):
        """Grade every exercise once, then show the first one that is not passed yet."""
        report = self._grade(self.names)
        if report is None:
            return
        self.passed = {e.name for e in report.exercises if e.status == PASSED}
        if self.passed:
            self.echo(f"passed: {', '.join(n for n in self.names if n in self.passed)}")
        self.current = self._first_unfinished()
        for exercise in report.exercises:
            if exercise.name == self.current:
                self.show(exercise)
        self._announce_current()

    def on_change(self, paths):
        """Grade the exercises whose files are among ``paths``; return their names."""
        names = [n for n in self.names if n in {exercise_of(p, self.names) for p in paths}]
        for name in names:
            report = self._grade([name])
            if report is None:
                continue
            exercise = report.exercises[0]
            self.show(exercise)
            if exercise.status == PASSED:
                self.passed.add(name)
            else:
                self.passed.discard(name)
        if names and self.current in self.passed:
            self._move_on()
        return names

    def show(self, exercise):
        """The score line, then the first failing check with its hint (or the error)."""
        mark = symbol("✓", "+") if exercise.status == PASSED else symbol("✗", "x")
        self.echo(f"{mark} {exercise.name}  {fmt(exercise.score)}/{fmt(exercise.max_score)}  {exercise.status}")
        if exercise.status == PASSED:
            return
        if exercise.status == ERROR:
            self.echo(indent(exercise.error))
            return
        failing = next((c for c in exercise.checks if c.ran and not c.passed and c.visibility == VISIBLE), None)
        if failing is not None:
            self.echo(indent(f"{failing.name} ({fmt(failing.max_score)} pt): {failing.message}"))
        self.show_hint(exercise.name, failing)

    def show_hint(self, name, failing):
        """The hint that helps with the failing check; for a check not started yet, or one no
        hint names, the hint of the ladder the student has reached with ``nnlab hint``."""
        definition = grading.find_exercise(name)
        hints = definition.hints
        if not hints:
            return
        fitting = definition.hint_for(failing.name) if failing and not failing.not_implemented else None
        reached = max(1, Progress().hints_seen(name))
        level, text = fitting or (reached, hints[reached - 1])
        self.echo(click.wrap_text(f"hint {level}/{len(hints)}: {text}", 88,
                                  initial_indent="    ", subsequent_indent="      "))
        if fitting:
            self.echo(indent(f"(nnlab hint {name} shows the hints in order)"))
        elif level < len(hints):
            self.echo(indent(f"(nnlab hint {name} for the next one)"))

    def _grade(self, names):
        try:
            report = self.grade(names)
        except NotASubmission as error:
            self.echo(f"cannot grade: {error}")
            return None
        record_grades(report)
        return report

    def _first_unfinished(self):
        return next((n for n in self.names if n not in self.passed), None)

    def _move_on(self):
        self.current = self._first_unfinished()
        if self.current is None:
            self.echo("every exercise passes: well done!")
            return
        report = self._grade([self.current])
        if report is not None:
            self.show(report.exercises[0])
        self._announce_current()

    def _announce_current(self):
        if self.current:
            self.echo(f"{symbol('→', '->')} now: {self.current}. Save its file to grade it again.")
        else:
            self.echo("every exercise passes: well done!")


def indent(text):
    return "\n".join("    " + line for line in text.splitlines())


def exercise_of(path, names):
    """The exercise a changed file belongs to: ``losses.py``, ``03-losses.ipynb``; else None."""
    path = Path(path)
    if path.suffix == ".py":
        return path.stem if path.stem in names else None
    if path.suffix == ".ipynb":
        guess = exercise_from_file_name(path, names)
        if guess:
            return guess
        try:
            notebook = parse_notebook(path)
        except NotebookError:
            return None
        return notebook.exercise if notebook and notebook.exercise in names else None
    return None


# ---------------------------------------------------------------- file events

def snapshot(folder):
    """``{path: (size, modification time)}`` of the exercise files in ``folder``."""
    found = {}
    for path in Path(folder).iterdir():
        if path.suffix in WATCHED_SUFFIXES:
            try:
                info = path.stat()
            except OSError:  # deleted between listing and looking
                continue
            found[path] = (info.st_size, info.st_mtime_ns)
    return found


def changed_files(before, after):
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def polled_changes(folder, seconds=POLL_SECONDS):
    """Sets of files changed in ``folder``, found by looking every ``seconds``; forever.

    The first look is taken at once, so a save made while the first grading runs counts.
    """
    before = snapshot(folder)

    def changes(before):
        while True:
            time.sleep(seconds)
            after = snapshot(folder)
            changed = changed_files(before, after)
            before = after
            if changed:
                yield changed

    return changes(before)


def event_changes(folder):
    """Sets of files changed in ``folder``, from the operating system's file events.

    The watcher is started at once, so a save made while the first grading runs counts.
    """
    import watchfiles

    batches = watchfiles.watch(folder, debounce=300, recursive=False, rust_timeout=200, yield_on_timeout=True)
    first = next(batches)  # returns within rust_timeout: the watcher now runs
    return ({Path(path) for _, path in batch} for batch in itertools.chain([first], batches) if batch)


def file_changes(folder, poll):
    """``(changes, how)``: the sets of changed files, and a sentence saying how they are found."""
    if poll:
        return polled_changes(folder), "looking for changes twice a second (--poll)"
    if importlib.util.find_spec("watchfiles") is None:
        return polled_changes(folder), "watchfiles is not installed: looking for changes twice a second"
    return event_changes(folder), "waiting for changes"


# ---------------------------------------------------------------- the command

@click.command()
@click.argument("path", default="exercises", type=click.Path(exists=True, path_type=Path))
@click.option("--poll", is_flag=True,
              help="Look for changes twice a second instead of waiting for file events "
                   "(for network drives, containers and WSL, where events may not arrive).")
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Reference solutions for the hidden checks (default: solutions/ of the source tree).")
def watch(path, poll, solutions):
    """Grade an exercise again each time you save it (Ctrl-C to stop).

    PATH is your exercises folder (the default), a folder of notebooks, or one
    exercise file. Each save grades the exercise of the saved file and shows its
    first failing check with the hint that helps with it; when it passes, watch
    moves on to the next one.

    \b
    Examples:
      nnlab watch                  watch ./exercises
      nnlab watch work/            notebooks from `nnlab notebook --out work`
      nnlab watch --poll           where saves go unnoticed (network drives, WSL)
    """
    try:
        names = scope(path)
    except NotASubmission as error:
        raise click.UsageError(str(error)) from None
    reference = Reference.find(solutions)

    def grade(selected):
        return grading.grade(Submission(path, grading.exercise_names()), names=selected, reference=reference)

    session = WatchSession(names, grade)
    folder = path if path.is_dir() else path.parent
    changes, how = file_changes(folder, poll)
    try:
        click.echo(f"watching {path} (Ctrl-C to stop)")
        session.start()
        click.echo(f"{how}...")
        for changed in changes:
            session.on_change(changed)
    except KeyboardInterrupt:
        click.echo("\nstopped watching")


def scope(path):
    """The exercises ``nnlab watch PATH`` follows: the one of a file, else all of them."""
    submission = Submission(path, grading.exercise_names())
    return [submission.only] if submission.only else grading.exercise_names()
