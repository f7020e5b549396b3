"""Jupyter notebooks: the exercises as notebooks and back.

    build.py     writes one notebook per exercise (theory, formulas, a cell per function)
    content.py   the formulas in LaTeX and the worked examples the notebooks show
    extract.py   turns a student's notebook back into the exercise's module, for grading
    support.py   what runs inside Jupyter: the earlier exercises as a package, and check()
"""

from .extract import NotebookError, submission_from_notebook

__all__ = ["NotebookError", "submission_from_notebook"]
