"""Checks for `minibatch.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "minibatch",
    "Mini-batch training",
    timeout=30,
    hints=[],
)
