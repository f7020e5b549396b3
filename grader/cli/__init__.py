"""The ``nnlab`` command. Each verb lives in its own module of this package.

Student code never runs in this process: grading starts one child process per exercise
and decides every verdict here, from the plain data the child sends back.
"""

import click

from .authoring import make_stubs
from .batch import batch, gradebook, similarity
from .release import export, init_ci, release
from .notebook import notebook
from .student import grade, hint, list_exercises
from .watch import watch


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


for command in (list_exercises, grade, hint, make_stubs, batch, gradebook, similarity, release, export,
                init_ci, notebook, watch):
    main.add_command(command)
