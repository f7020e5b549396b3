"""The instructor's handing-out verbs: the student's copy, the Gradescope autograder, CI workflows."""

from pathlib import Path

import click

from ..grading import exercise_names
from ..instructor.release import (INSTRUCTOR_WORKFLOW, STUDENT_WORKFLOW, TEMPLATES, WORKFLOWS, ReleaseError,
                       gradescope_files, release as write_release, write_zip)
from ..report.files import write_atomic
from ..submission import Reference
from ..options import allow_import_option

SOLUTIONS_HELP = "Reference solutions (default: solutions/ of the source tree)."


def reference_folder(solutions):
    reference = Reference.find(solutions)
    if reference is None:
        raise click.UsageError("no reference solutions found: run this in nnlab's source tree, or give --solutions")
    return reference.path


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path), help=SOLUTIONS_HELP)
def release(out, solutions):
    """Write the student's copy of the course to OUT (instructors).

    \b
    OUT/exercises/          the stubs, generated from the reference solutions
    OUT/grader/             the grader: its hidden checks are listed, never their code
    OUT/datasets/           the data files
    OUT/README.md           the student README
    OUT/pyproject.toml      `pip install -e .` gives the nnlab command
    OUT/.github/workflows/  grading on every push (GitHub Classroom)

    There is no solutions/ in it, and the copy is scanned for solution code before
    anything is written. OUT may be a clone of the assignment's starter repository:
    files of the release are replaced, others (.git) are left alone.

    \b
    Example:
      nnlab release ../nnlab-student && cd ../nnlab-student && git add -A && git commit
    """
    try:
        written = write_release(out, reference_folder(solutions))
    except ReleaseError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote the student's copy to {out} ({len(written)} files)")


@click.group()
def export():
    """Package the grader for other grading platforms."""


@export.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path), metavar="OUT.zip")
@click.option("-e", "--exercise", "names", multiple=True, type=click.Choice(exercise_names()),
              help="Grade only this exercise (repeatable; default: all).")
@click.option("--timeout", type=click.FloatRange(min=0.5), metavar="SECONDS",
              help="Time limit per exercise (default: each exercise's own).")
@click.option("--solutions", type=click.Path(exists=True, file_okay=False, path_type=Path), help=SOLUTIONS_HELP)
@allow_import_option
def gradescope(target, names, timeout, solutions, allowed_imports):
    """Write a Gradescope autograder: upload OUT.zip as the assignment's autograder.

    It holds setup.sh (installs nnlab, hidden checks included), run_autograder (grades
    /autograder/submission: the modules, a repository holding them, or notebooks; it
    always writes /autograder/results/results.json) and the source. Student code runs
    in the bubblewrap sandbox as the unprivileged user nobody where the sandbox can run.

    \b
    Example:
      nnlab export gradescope nnlab-autograder.zip -e activations -e softmax --timeout 20
    """
    options = [argument for name in names for argument in ("-e", name)]
    options += ["--timeout", f"{timeout:g}"] if timeout else []
    options += [argument for name in allowed_imports for argument in ("--allow-import", name)]
    try:
        write_zip(gradescope_files(reference_folder(solutions), options), target)
    except ReleaseError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {target}")


@click.command("init-ci")
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--student/--no-student", default=True, show_default=True,
              help="The workflow of a student's repository: grade on every push, fail under a threshold.")
@click.option("--instructor", is_flag=True,
              help="The instructor's batch run over a GitHub Classroom assignment, sharded.")
@click.option("--force", is_flag=True, help="Replace workflows that exist.")
def init_ci(folder, student, instructor, force):
    """Write GitHub Actions workflows into FOLDER/.github/workflows.

    \b
    nnlab-grade.yml   (--student, the default) on every push: grade, put the report in
                      the job summary, fail under FAIL_UNDER percent
    nnlab-batch.yml   (--instructor) on demand: clone a Classroom assignment's
                      repositories, grade them in 4 parallel shards, merge the gradebook

    \b
    Examples:
      nnlab init-ci                              in a student's repository
      nnlab init-ci --instructor --no-student    in the instructor's repository
    """
    chosen = [name for name, wanted in ((STUDENT_WORKFLOW, student), (INSTRUCTOR_WORKFLOW, instructor)) if wanted]
    for name in chosen:
        target = folder / WORKFLOWS / name
        if target.exists() and not force:
            click.echo(f"kept  {target} (it exists; --force replaces it)", err=True)
            continue
        write_atomic(target, (TEMPLATES / "github" / name).read_text(encoding="utf-8"))
        click.echo(f"wrote {target}")
