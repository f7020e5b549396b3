"""The checks, one module per exercise; ``EXERCISES`` is the teaching order.

``MODULES`` names the exercises without importing a check module (what the CLI needs to
list them, see :mod:`grader.cli.catalog`); ``EXERCISES``, their declarations, imports
every check module, and NumPy, the first time it is used.
"""

import importlib

MODULES = ("activations", "softmax", "losses", "logistic", "forward", "backprop", "initialization",
           "optimizers", "minibatch", "model")


def __getattr__(name):
    if name == "EXERCISES":
        exercises = [importlib.import_module(f"{__name__}.{module}").exercise for module in MODULES]
        globals()["EXERCISES"] = exercises  # imported once: later uses find it here
        return exercises
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
