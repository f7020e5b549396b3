"""The student's verbs that grade nothing: list the exercises, ask for a hint.

They read the exercises from the check modules' source (:mod:`.catalog`): neither NumPy
nor a check module is imported, so they answer at once.
"""

import click

from ..checks import MODULES
from ..progress import Progress
from . import catalog


@click.command("list")
def list_exercises():
    """Show the exercises in teaching order, with their points and your last grade."""
    progress = Progress()
    for number, exercise in enumerate(catalog.summaries(), start=1):
        hidden = exercise.max_points - exercise.visible_points
        extra = f" (+{hidden:g} hidden)" if hidden else ""
        points = f"{exercise.visible_points:g} points{extra}"
        last = progress.last_grade(exercise.module)
        grade = f"  {last['status']} {last['score']:g}/{last['max_score']:g}" if last else ""
        click.echo(f"{number:>2}. {exercise.module:<15} {exercise.title:<34} {points:<22}{grade}".rstrip())


@click.command()
@click.argument("name", type=click.Choice(MODULES), metavar="EXERCISE")
@click.option("--level", type=click.IntRange(min=1),
              help="Show hints 1 to LEVEL: 1 is a nudge, higher levels explain the idea "
                   "(default: one more than last time).")
def hint(name, level):
    """Hints for EXERCISE, from a nudge to the idea; never the code.

    Each call reveals one more hint than the last: nnlab remembers how far you got
    in .nnlab/state.json, in the folder you run it from.
    """
    hints = catalog.hints(name)
    if not hints:
        click.echo(f"{name} has no hints yet; the messages of `nnlab grade -e {name}` explain what fails.")
        return
    progress = Progress()
    level = min(level or progress.hints_seen(name) + 1, len(hints))
    for number, text in enumerate(hints[:level], start=1):
        click.echo(f"hint {number}/{len(hints)}: {click.wrap_text(text, 88, subsequent_indent='  ')}")
    if level < len(hints):
        click.echo(f"\n(run nnlab hint {name} again, or --level {level + 1}, for the next hint)")
    progress.reveal_hints(name, level, len(hints))
    try:
        progress.save()
    except OSError as error:
        click.echo(f"note: progress not saved: {error}", err=True)
