"""The checks, one module per exercise; ``EXERCISES`` is the teaching order."""

from . import activations, losses, softmax

EXERCISES = [
    activations.exercise,
    softmax.exercise,
    losses.exercise,
]
