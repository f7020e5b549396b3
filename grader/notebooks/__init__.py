"""Jupyter notebooks: the exercises as notebooks and back.

    build.py     writes one notebook per exercise (theory, formulas, a cell per function)
    content.py   the formulas in LaTeX and the worked examples the notebooks show
    extract.py   turns a student's notebook back into the exercise's module, for grading
    support.py   what runs inside Jupyter: the earlier exercises as a package, and check()
    runs.py      which cell ran what (by cell id), so that check() grades the cells as last run
    display.py   what check() shows: HTML that needs no stylesheet, and plain text
    terms.py     a report's messages in the notebook's terms: "03-losses.ipynb, cell `one_hot`, line 3"
"""

from .extract import NotebookError, submission_from_notebook

__all__ = ["NotebookError", "submission_from_notebook"]
