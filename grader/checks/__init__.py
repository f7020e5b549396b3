"""The checks, one module per exercise; ``EXERCISES`` is the teaching order."""

from . import (activations, backprop, forward, initialization, logistic, losses, minibatch, model,
               optimizers, softmax)

EXERCISES = [
    activations.exercise,
    softmax.exercise,
    losses.exercise,
    logistic.exercise,
    forward.exercise,
    backprop.exercise,
    initialization.exercise,
    optimizers.exercise,
    minibatch.exercise,
    model.exercise,
]
