"""Checks for `forward.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "forward",
    "The forward pass",
    timeout=10,
    hints=[],
)
