"""Checks for `initialization.py`."""

import numpy as np

from . import expect
from .core import Exercise, fail

exercise = Exercise(
    "initialization",
    "Weight initialization",
    timeout=10,
    hints=[],
)
