"""Checks for `optimizers.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "optimizers",
    "Optimizers: SGD and Adam",
    timeout=15,
    hints=[],
)
