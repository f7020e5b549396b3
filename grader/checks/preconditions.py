"""The minimum a function must do before a property of it means anything.

A softmax that returns the same numbers for every input is "shift invariant"; a constant
function "agrees with the numeric derivative" of a constant; a forward pass that returns
zeros has "the right shapes". Such properties are judged only once the function responds
to its input and answers the same question the same way twice; otherwise the check is
not judged (0 points) and points to the check that shows the real mistake.
"""

import numpy as np

from .core import not_judged


def responds(first, second, what, see):
    """Not judged when ``first`` and ``second``, the answers to two different inputs, agree."""
    if first.shape == second.shape and np.allclose(first, second, rtol=1e-9, atol=1e-12, equal_nan=True):
        not_judged(f"{what} gives the same result for different inputs, so this property says "
                   f"nothing about it yet; see {see}")


def repeatable(first, again, what, see):
    """Not judged when two calls with the same input gave different answers."""
    if first.shape != again.shape or not np.array_equal(first, again, equal_nan=True):
        not_judged(f"{what} gives a different result each time it is called with the same input, "
                   f"so this property says nothing about it yet; see {see}")


def not_flat(numeric, what, see):
    """Not judged when a numeric derivative is zero everywhere: a constant or step function
    "agrees" with a zero gradient without computing one."""
    if np.all(np.abs(numeric) < 1e-9):
        not_judged(f"{what} is flat around every input tried (its numeric derivative is 0), so "
                   f"a gradient cannot be checked against it yet; see {see}")
