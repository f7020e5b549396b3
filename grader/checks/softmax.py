"""Checks for exercise 2, ``softmax.py``: probabilities from logits, computed stably."""

import numpy as np

from . import expect, preconditions
from .baked import formula
from .core import Exercise, Hint, fail

exercise = Exercise(
    "softmax",
    "Softmax and log-softmax",
    hints=[
        Hint("softmax exponentiates every logit and divides it by the sum of the exponentials of its "
             "own slice along `axis`: each row of a batch is a probability distribution of its own.",
             helps=("softmax_known_values", "softmax_rows_are_distributions")),
        Hint("Reduce along `axis` and keep that axis, with size 1, so that the division broadcasts "
             "slice by slice; without it, the m sums of an (m, K) batch broadcast along the wrong "
             "axis, or not at all.",
             helps=("softmax_honours_axis",)),
        Hint("e^1000 overflows. Softmax does not change when you subtract the same number from every "
             "logit of a slice, so subtract the slice's own maximum first: the largest exponential "
             "becomes e^0, which is 1.",
             helps=("softmax_is_stable_for_large_logits", "softmax_is_shift_invariant")),
        Hint("log(softmax(z)) fails when a probability underflows to 0. Write the log directly, with "
             "c the maximum along the axis: log_softmax(z) = (z - c) - log(sum(exp(z - c))), the "
             "log-sum-exp trick; the sum is at least 1.",
             helps=("log_softmax_is_stable",)),
    ],
)


@formula
def expected_softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


@formula
def expected_log_softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@formula
def softmax_mistakes(z, axis=-1):
    """The classic wrong softmaxes of ``z``, as (values, explanation); nan where they give nan."""
    with np.errstate(all="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        named = [(expected_softmax(z, axis=other), f"That is the softmax over axis {other}; each slice along "
                  f"axis={axis} must sum to 1 (pass axis to np.max and np.sum, with keepdims=True).")
                 for other in range(z.ndim) if other != axis % z.ndim]
        whole = "It divides by the sum over the whole batch; each slice along axis needs its own sum: " \
                "np.sum(e, axis=axis, keepdims=True)."
        named += [(e / e.sum(), whole), (np.exp(z) / np.exp(z).sum(), whole),
                  (e / e.max(axis=axis, keepdims=True), "It divides by the largest exponential; "
                   "softmax divides by their sum."),
                  (e, "The exponentials are not divided by their sum."),
                  (np.exp(z - np.max(z)) / np.exp(z - np.max(z)).sum(axis=axis, keepdims=True),
                   "It subtracts the max of the whole batch, not each row's own max: a row far below "
                   "it underflows to 0 everywhere, and 0/0 is nan. Use np.max(z, axis=axis, keepdims=True).")]
        if z.ndim == 2 and z.shape[0] == z.shape[1]:  # without keepdims, (m,) broadcasts along rows
            flat = np.exp(z - np.max(z, axis=axis))
            named.append((flat / flat.sum(axis=axis), "In a square batch a missing keepdims=True "
                          "subtracts and divides along the wrong axis without any error."))
    return named


def softmax_values(value, z, what, axis=-1):
    """``value`` equals softmax(z, axis), or a failure naming the mistake it matches."""
    return expect.close(value, expected_softmax(z, axis), what, candidates=softmax_mistakes(z, axis),
                        mistake="softmax(z)_k = e^(z_k) / sum_j e^(z_j).")


@exercise.check(points=2)
def softmax_known_values(sub, rng):
    """softmax([0, 1, 2]) = [0.09003057, 0.24472847, 0.66524096] (the course's example), and
    softmax([2, 4, 2, 1]) = [0.1025, 0.7573, 0.1025, 0.0377]."""
    for z in [np.array([0.0, 1.0, 2.0]), np.array([2.0, 4.0, 2.0, 1.0]), rng.normal(0.0, 2.0, size=5)]:
        softmax_values(sub.softmax(z), z, f"softmax({expect.show(z)})")


@exercise.check(points=2)
def softmax_rows_are_distributions(sub, rng):
    """For a batch of logits (one sample per row), each row of softmax is a probability
    distribution: entries in (0, 1) that sum to 1, and the input is left unchanged."""
    for shape in [(4, 6), (5, 5)]:
        z = rng.normal(0, 2, size=shape)
        outcome = sub.run("softmax", (z,), return_args=True)
        expect.unmodified(outcome, [z], "softmax(z)")
        softmax_values(outcome.value, z, f"softmax(z) for z of shape {shape}")


def overflow_advice(outcome, got, z):
    """Why the call on large logits warned: an overflow, or the 0/0 of a batch-wide max."""
    warning = outcome.warnings[0]
    if "overflow" in warning:
        return f"NumPy warned ({warning}): logits of 1000 overflowed e^z; subtract each row's max before exp."
    named = expect.matching_variant(expect.float_array(got, "softmax(z)", z.shape, finite=False),
                                    softmax_mistakes(z))
    return f"NumPy warned ({warning}). " + (named or "A 0/0 or an inf/inf: subtract each row's max before exp.")


@exercise.check(points=2)
def softmax_is_stable_for_large_logits(sub, rng):
    """Logits like 1000 overflow e^z: softmax must still return finite probabilities,
    without NumPy warnings (subtract the row max before exp)."""
    far = rng.normal(0.0, 3.0, size=(2, 3)) + [[1.0], [-1.0]] * rng.uniform(800.0, 1000.0, size=(2, 1))
    z = np.vstack([[[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [0.0, 0.0, 0.0]], far])
    what = "softmax([[1000, 1001, 1002], [-1000, 0, 1000], [0, 0, 0], and two random rows near +-900])"
    outcome = sub.run("softmax", (z,))
    if outcome.warnings:
        fail(f"{what} returned {expect.show(outcome.value)}. {overflow_advice(outcome, outcome.value, z)}")
    softmax_values(outcome.value, z, what)


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
        what = f"softmax(z, axis={axis}) for z of shape {shape}"
        softmax_values(sub.softmax(z, axis=axis), z, what, axis)


@formula
def log_softmax_mistakes(z, axis=-1):
    """The classic wrong log_softmaxes of ``z``, as (values, explanation); inf where they overflow."""
    with np.errstate(all="ignore"):
        batch = z - np.max(z)
        named = [(np.log(expected_softmax(z, axis)), "It is log(softmax(z)): a probability that underflows to 0 "
                  "gives log(0) = -inf. Use the log-sum-exp trick, (z - max) - log(sum(e^(z - max)))."),
                 (batch - np.log(np.exp(batch).sum(axis=axis, keepdims=True)), "It subtracts the max of the "
                  "whole batch, not each row's own max: in a row far below it every exponential underflows "
                  "to 0, and log(0) = -inf makes the row infinite. Use np.max(z, axis=axis, keepdims=True)."),
                 (z - np.log(np.exp(z).sum(axis=axis, keepdims=True)), "Without the max subtracted first, "
                  "e^z overflows for large logits: (z - max) - log(sum(e^(z - max))).")]
        named += [(expected_log_softmax(z, other), f"That is log_softmax over axis {other}; pass axis (with "
                   "keepdims=True) to every max and sum.") for other in range(z.ndim) if other != axis % z.ndim]
    return named


@exercise.check(points=2)
def log_softmax_is_stable(sub, rng):
    """log_softmax(z) equals log(softmax(z)), and stays finite where softmax underflows:
    log_softmax([0, 2000]) = [-2000, 0]."""
    z = rng.normal(0, 2, size=(3, 5))
    expect.close(sub.log_softmax(z), expected_log_softmax(z), "log_softmax(z) for z of shape (3, 5)",
                 candidates=log_softmax_mistakes(z),
                 mistake="log_softmax(z) = z - max - log(sum(exp(z - max))) along axis.")
    big = np.array([[0.0, 2000.0], [-1000.0, 1000.0]])
    what = "log_softmax([[0, 2000], [-1000, 1000]])"
    outcome = sub.run("log_softmax", (big,), return_args=True)
    if outcome.warnings:
        got = expect.float_array(outcome.value, what, big.shape, finite=False)
        fail(f"{what} returned {expect.show(got)} and made NumPy warn ({outcome.warnings[0]}). "
             + (expect.matching_variant(got, log_softmax_mistakes(big))
                or "Use the log-sum-exp trick: (z - max) - log(sum(e^(z - max))), each row's own max."))
    expect.unmodified(outcome, [big], "log_softmax(z)")
    expect.close(outcome.value, expected_log_softmax(big), what, candidates=log_softmax_mistakes(big),
                 mistake="Use the log-sum-exp trick instead of taking the log of softmax.")
    expect.close(sub.log_softmax(z.T, axis=0), expected_log_softmax(z.T, axis=0), "log_softmax(z, axis=0)",
                 candidates=log_softmax_mistakes(z.T, axis=0),
                 mistake="Pass axis (with keepdims=True) to every max and sum.")


@exercise.check(points=2, hidden=True)
def softmax_matches_reference(sub, ref, rng):
    """softmax and log_softmax agree with the reference on random batches and axes."""
    for shape, axis in [((6, 10), -1), ((10, 6), 0), ((3, 4, 5), 1), ((8,), 0)]:
        z = rng.normal(0, 5, size=shape)
        for name in ("softmax", "log_softmax"):
            expect.close(sub.call(name, z, axis=axis), getattr(ref, name)(z, axis=axis),
                         f"{name}(z, axis={axis}) for z of shape {shape}")
