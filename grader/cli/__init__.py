"""The ``nnlab`` command. Each verb lives in its own module of this package.

Student code never runs in this process: grading starts one child process per exercise
and decides every verdict here, from the plain data the child sends back.
"""

import sys

import click

from ..report.console import tolerate_any_text
from .authoring import make_stubs
from .batch import batch, gradebook, similarity
from .release import export, init_ci, release
from .notebook import notebook
from .student import grade, hint, list_exercises
from .watch import watch

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
    """The nnlab group: its help lists the student's commands apart from the instructor's,
    and every usage error, the commands' own or click's, is one line."""

    def format_commands(self, ctx, formatter):
        listed, limit = set(), formatter.width - 6 - max(map(len, self.commands))
        for title, names in SECTIONS + (("Other commands", tuple(sorted(self.commands))),):
            rows = [(name, self.commands[name].get_short_help_str(limit))
                    for name in names if name in self.commands and name not in listed]
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


for command in (list_exercises, grade, hint, make_stubs, batch, gradebook, similarity, release, export,
                init_ci, notebook, watch):
    main.add_command(command)
