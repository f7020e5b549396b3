"""Checks for `backprop.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "backprop",
    "Backpropagation",
    timeout=20,
    hints=[],
)
