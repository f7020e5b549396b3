"""The instructor's authoring verbs: stubs generated from the reference solutions."""

import sys
from pathlib import Path

import click

from ..report.files import write_atomic
from ..authoring.stubs import generate, out_of_date


@click.command("make-stubs")
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
