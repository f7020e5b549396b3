"""The ``nnlab`` command. Each verb lives in its own module of this package.

Student code never runs in this process: grading starts one child process per exercise
and decides every verdict here, from the plain data the child sends back.

A verb's module is imported only when that verb runs: ``nnlab --help``, ``list`` and
``hint`` import neither NumPy nor a check module (``tests/test_light_cli.py``), so they
answer in a few tens of milliseconds.
"""

import importlib
import sys

import click

from .. import coordinate_single_threaded
from ..report.console import tolerate_any_text

coordinate_single_threaded()  # before any verb imports NumPy

# verb: (its module in this package, the command's name there, its line in `nnlab --help`:
# the first sentence of its docstring, held to it by tests/test_light_cli.py)
COMMANDS = {
    "list": ("course", "list_exercises", "Show the exercises in teaching order, with their points and your last grade."),
    "grade": ("student", "grade", "Grade the submission in PATH (default: ./exercises)."),
    "hint": ("course", "hint", "Hints for EXERCISE, from a nudge to the idea; never the code."),
    "watch": ("watch", "watch", "Grade an exercise again each time you save it (Ctrl-C to stop)."),
    "notebook": ("notebook", "notebook", "Write one Jupyter notebook per exercise, from the modules in SOURCE."),
    "release": ("release", "release", "Write the student's copy of the course to OUT (instructors)."),
    "export": ("release", "export", "Package the grader for other grading platforms."),
    "init-ci": ("release", "init_ci", "Write GitHub Actions workflows into FOLDER/.github/workflows."),
    "batch": ("batch", "batch", "Grade every submission in SUBMISSIONS, several at a time (instructors)."),
    "gradebook": ("batch", "gradebook", "Gradebooks of batch runs: join the shards of a CI matrix, export for an LMS."),
    "similarity": ("batch", "similarity", "Compare every pair of submissions, exercise by exercise, and show the "
                                          "most similar (instructors)."),
    "make-stubs": ("authoring", "make_stubs", "Write the student stubs (OUT) from the reference solutions "
                                              "(instructors)."),
}
SECTIONS = (("Student commands", ("list", "grade", "hint", "watch", "notebook")),
            ("Instructor commands", ("release", "export", "init-ci", "batch", "gradebook", "similarity", "make-stubs")))


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line that says what to do (exit status 2)."""

    def show(self, file=None):
        click.echo(f"Error: {self.format_message()}", err=True)


SHOWS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", OneLineUsageError)  # click 8.2 and later


def one_line(error):
    """``error`` (any click usage error) as one line; click's own parsing errors (a bad
    option or value) point to the command's help, ours already say what to do."""
    if isinstance(error, (OneLineUsageError, SHOWS_HELP)):  # `nnlab` alone shows the help, whole
        return error
    message = " ".join(error.format_message().split())
    if error.ctx is not None and type(error) not in (click.UsageError, NoSuchCommand):
        message += f" (see {error.ctx.command_path} --help)"
    return OneLineUsageError(message, error.ctx)


class NoSuchCommand(click.UsageError):
    """An unknown verb: its message already says where the commands are listed."""


class Nnlab(click.Group):
    """The nnlab group: its verbs imported on first use (see COMMANDS), its help lists the
    student's commands apart from the instructor's, and every usage error, the commands'
    own or click's, is one line."""

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx, name):
        if name in COMMANDS and name not in self.commands:
            module, attribute, _ = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(f"{__name__}.{module}"), attribute), name)
        return self.commands.get(name)

    def help_line(self, name, limit):
        """A verb's line in the help, without importing it."""
        if name in COMMANDS:
            return click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)
        return self.commands[name].get_short_help_str(limit)

    def format_commands(self, ctx, formatter):
        known = self.list_commands(ctx)
        listed, limit = set(), formatter.width - 6 - max(map(len, known))
        for title, names in SECTIONS + (("Other commands", tuple(known)),):
            rows = [(name, self.help_line(name, limit)) for name in names if name in known and name not in listed]
            listed.update(name for name, _ in rows)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            raise NoSuchCommand(f"{error.format_message()} Run `nnlab --help` for the commands.", ctx) from None

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise one_line(error) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise one_line(error) from None


@click.group(cls=Nnlab, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="nnlab")
def main():
    """nnlab: build a neural network from first principles in NumPy, one exercise at a time.

    \b
    The student's loop:
      nnlab list                   the exercises, in the order to do them
      nnlab grade                  grade everything in ./exercises
      nnlab grade -e softmax       grade one exercise
      nnlab hint softmax           a nudge when stuck (again for the next hint)
      nnlab watch                  grade each exercise again when you save it
      nnlab notebook --out work    the exercises as Jupyter notebooks
    """
    tolerate_any_text(sys.stdout, sys.stderr)  # a cp1252 console must not end the grader
