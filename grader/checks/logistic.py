"""Checks for `logistic.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "logistic",
    "Logistic regression: one neuron",
    timeout=20,
    hints=[],
)
