"""The checks, one module per exercise; ``EXERCISES`` is the teaching order."""

from . import activations

EXERCISES = [
    activations.exercise,
]
