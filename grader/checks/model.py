"""Checks for `model.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "model",
    "A Keras-like model (capstone)",
    timeout=60,
    hints=[],
)
