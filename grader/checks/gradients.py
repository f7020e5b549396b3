"""Numeric gradients, computed here in float64 from function values the child returns.

The child is asked for ``f`` at perturbed points; the derivative is formed by the grader,
so a student cannot hand back a gradient and a matching "numeric" one.
"""

import numpy as np

from .core import fail
from .expect import show

STEP = 1e-5


def rel_error(analytic, numeric, floor=1e-8):
    """CS231n's relative error: max over entries of |a - n| / max(floor, |a| + |n|).

    Raise ``floor`` where tiny entries are all rounding (deep networks): they are then
    measured against the floor instead of against themselves.
    """
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    return float(np.max(np.abs(analytic - numeric) / np.maximum(floor, np.abs(analytic) + np.abs(numeric)),
                        initial=0.0))


def elementwise_derivative(f, z, h=STEP):
    """d f(z)_i / d z_i for an elementwise ``f``: two calls, every entry nudged at once."""
    return (f(z + h) - f(z - h)) / (2 * h)


def numeric_gradient(f, x, h=STEP):
    """Gradient of a scalar ``f`` at array ``x`` by central differences, one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = f(x.copy())
        x[index] = saved - h
        minus = f(x.copy())
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def matches_numeric(analytic, numeric, what, threshold=1e-6, mistake=""):
    """The analytic gradient agrees with the numeric one to ``threshold`` relative error."""
    error = rel_error(analytic, numeric)
    if not error <= threshold:  # a nan error fails too
        message = (f"{what} does not match the numeric gradient (relative error {error:.2g}, "
                   f"allowed {threshold:g}): got {show(analytic)}, numeric {show(numeric)}.")
        fail(message + (f" {mistake}" if mistake else ""))
