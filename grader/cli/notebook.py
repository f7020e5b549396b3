"""The ``notebook`` verb: the exercises as Jupyter notebooks."""

from pathlib import Path

import click

from ..grading import exercise_names


@click.command()
@click.argument("source", default="exercises", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", default="notebooks", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the notebooks to.")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(exercise_names()),
              help="Only this exercise (repeatable).")
@click.option("--overwrite", is_flag=True,
              help="Replace notebooks that already exist (by default they are kept: they may hold your work).")
def notebook(source, out, names, overwrite):
    """Write one Jupyter notebook per exercise, from the modules in SOURCE.

    Each notebook explains its exercise (formulas in LaTeX), has a code cell per
    function to write, a cell that checks your work and a worked example.
    SOURCE is exercises/ (the default: stubs to fill in) or solutions/ (the
    instructor's version, with the reference code).

    \b
    Examples:
      nnlab notebook --out work            then: jupyter lab work/
      nnlab notebook solutions --out answers
      nnlab grade work/                    grade the notebooks from a terminal
      nnlab watch work/                    ...on every save
    """
    from ..notebooks.build import write_notebooks  # nbformat is only needed here

    for path, what in write_notebooks(source, out, names=list(names) or None, overwrite=overwrite):
        if what == "wrote":
            click.echo(f"wrote {path}")
        elif what == "kept":
            click.echo(f"kept  {path} (it exists; --overwrite replaces it)")
        else:
            click.echo(f"skip  {path.name}: {what}", err=True)
