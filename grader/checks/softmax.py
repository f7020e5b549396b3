"""Checks for exercise 2, ``softmax.py``: probabilities from logits, computed stably."""

import numpy as np

from . import expect, preconditions
from .core import Exercise, fail

exercise = Exercise(
    "softmax",
    "Softmax and log-softmax",
    hints=[
        "softmax exponentiates every logit and divides by the sum of the exponentials along "
        "`axis`. Keep the summed axis with keepdims=True so the division broadcasts row by row.",
        "e^1000 overflows. Softmax does not change when you subtract the same number from every "
        "logit of a row, so subtract the row's maximum first: the largest exponent becomes e^0 = 1.",
        "log(softmax(z)) fails when a probability underflows to 0. Write the log directly: "
        "log_softmax(z) = (z - max) - log(sum(exp(z - max))), the log-sum-exp trick.",
    ],
)


def softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def wrong_axis_advice(got, z, axis):
    """A message when ``got`` is the softmax over another axis, else an empty string."""
    for other in range(z.ndim):
        if other != axis % z.ndim and np.allclose(got, softmax(z, axis=other)):
            return (f"you normalised over axis {other}; each slice along axis={axis} must sum to 1 "
                    "(pass axis to np.max and np.sum, with keepdims=True).")
    return ""


@exercise.check(points=2)
def softmax_known_values(sub):
    """softmax([0, 1, 2]) = [0.09003057, 0.24472847, 0.66524096] (the course's example), and
    softmax([2, 4, 2, 1]) = [0.1025, 0.7573, 0.1025, 0.0377]."""
    for z, want in [(np.array([0.0, 1.0, 2.0]), [0.09003057, 0.24472847, 0.66524096]),
                    (np.array([2.0, 4.0, 2.0, 1.0]), softmax(np.array([2.0, 4.0, 2.0, 1.0])))]:
        expect.close(sub.softmax(z), want, f"softmax({expect.show(z)})", rtol=1e-6,
                     mistake="softmax(z)_k = e^(z_k) / sum_j e^(z_j).")


@exercise.check(points=2)
def softmax_rows_are_distributions(sub, rng):
    """For a batch of logits (one sample per row), each row of softmax is a probability
    distribution: entries in (0, 1) that sum to 1, and the input is left unchanged."""
    for shape in [(4, 6), (5, 5)]:
        z = rng.normal(0, 2, size=shape)
        outcome = sub.run("softmax", (z,), return_args=True)
        expect.unmodified(outcome, [z], "softmax(z)")
        got = expect.float_array(outcome.value, f"softmax(z) for z of shape {shape}", shape)
        advice = wrong_axis_advice(got, z, -1)
        if advice:
            fail(f"softmax(z) for z of shape {shape}: {advice}")
        if not np.allclose(got, softmax(z)) and np.allclose(got, np.exp(z) / np.exp(z).sum()):
            fail(f"softmax(z) for z of shape {shape} divides by the sum over the whole batch; "
                 "each row needs its own sum: np.sum(e, axis=-1, keepdims=True).")
        expect.close(got, softmax(z), f"softmax(z) for z of shape {shape}",
                     mistake="In a square batch a missing keepdims=True subtracts and divides "
                             "along the wrong axis without any error.")


@exercise.check(points=2)
def softmax_is_stable_for_large_logits(sub):
    """Logits like 1000 overflow e^z: softmax must still return finite probabilities,
    without NumPy warnings (subtract the row max before exp)."""
    z = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [0.0, 0.0, 0.0]])
    outcome = sub.run("softmax", (z,))
    expect.no_warnings(outcome, "softmax([[1000, 1001, 1002], ...])",
                       "logits of 1000 overflowed: subtract the row max before exp.")
    expect.close(outcome.value, softmax(z), "softmax([[1000, 1001, 1002], [-1000, 0, 1000], [0, 0, 0]])",
                 mistake="Subtract each row's own max (keepdims=True), not the max of the whole batch.")


@exercise.check(points=1)
def softmax_is_shift_invariant(sub, rng):
    """Adding the same constant to every logit of a row does not change its softmax."""
    z = rng.normal(0, 1, size=(3, 4))
    shifted = z + np.array([[100.0], [-50.0], [7.0]])
    base = expect.float_array(sub.softmax(z), "softmax(z)", z.shape)
    other = expect.float_array(sub.softmax(2 * z), "softmax(2 z)", z.shape)
    preconditions.responds(base, other, "your softmax", "softmax_known_values")
    expect.close(sub.softmax(shifted), base, "softmax(z + c) compared with softmax(z)")


@exercise.check(points=1)
def softmax_honours_axis(sub, rng):
    """softmax(z, axis=0) normalises each column; axis works for 3-D arrays too."""
    for shape, axis in [((4, 3), 0), ((2, 3, 4), 1), ((2, 3, 4), -1)]:
        z = rng.normal(0, 2, size=shape)
        got = expect.float_array(sub.softmax(z, axis=axis), f"softmax(z, axis={axis})", shape)
        advice = wrong_axis_advice(got, z, axis)
        if advice:
            fail(f"softmax(z, axis={axis}) for z of shape {shape}: {advice}")
        expect.close(got, softmax(z, axis=axis), f"softmax(z, axis={axis}) for z of shape {shape}")


@exercise.check(points=2)
def log_softmax_is_stable(sub, rng):
    """log_softmax(z) equals log(softmax(z)), and stays finite where softmax underflows:
    log_softmax([0, 2000]) = [-2000, 0]."""
    z = rng.normal(0, 2, size=(3, 5))
    expect.close(sub.log_softmax(z), log_softmax(z), "log_softmax(z) for z of shape (3, 5)",
                 mistake="log_softmax(z) = z - max - log(sum(exp(z - max))) along axis.")
    big = np.array([[0.0, 2000.0], [-1000.0, 1000.0]])
    outcome = sub.run("log_softmax", (big,), return_args=True)
    expect.no_warnings(outcome, "log_softmax([[0, 2000], [-1000, 1000]])",
                       "log(softmax(z)) takes log(0) once e^-2000 underflows: use the log-sum-exp trick.")
    expect.unmodified(outcome, [big], "log_softmax(z)")
    expect.close(outcome.value, log_softmax(big), "log_softmax([[0, 2000], [-1000, 1000]])",
                 mistake="Use the log-sum-exp trick instead of taking the log of softmax.")
    expect.close(sub.log_softmax(z.T, axis=0), log_softmax(z.T, axis=0), "log_softmax(z, axis=0)",
                 mistake="Pass axis (with keepdims=True) to every max and sum.")


@exercise.check(points=2, hidden=True)
def softmax_matches_reference(sub, ref, rng):
    """softmax and log_softmax agree with the reference on random batches and axes."""
    for shape, axis in [((6, 10), -1), ((10, 6), 0), ((3, 4, 5), 1), ((8,), 0)]:
        z = rng.normal(0, 5, size=shape)
        for name in ("softmax", "log_softmax"):
            expect.close(sub.call(name, z, axis=axis), getattr(ref, name)(z, axis=axis),
                         f"{name}(z, axis={axis}) for z of shape {shape}")
