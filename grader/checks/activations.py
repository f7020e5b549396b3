"""Checks for exercise 1, ``activations.py``: the nonlinearities and their derivatives."""

import numpy as np

from . import expect, preconditions
from .baked import formula
from .core import Exercise, Hint, fail, not_judged
from .gradients import elementwise_derivative, matches_numeric

exercise = Exercise(
    "activations",
    "Activation functions",
    hints=[
        Hint("Each function works elementwise on an array of any shape: write it with NumPy "
             "operations on the whole array, with no Python loop, and build a new array instead of "
             "writing into the one you are given.",
             helps=("sigmoid_keeps_shape_and_symmetry", "relu_known_values")),
        Hint("exp overflows for large arguments: for z = -1000, e^-z is e^1000. Rewrite the sigmoid "
             "so that exp only ever sees a non-positive number: for z < 0, multiply the top and the "
             "bottom of 1 / (1 + e^-z) by e^z. tanh has the same problem, and NumPy's tanh already "
             "avoids it.",
             helps=("sigmoid_is_stable_for_large_inputs", "tanh_is_stable")),
        Hint("The ReLU family chooses, entry by entry, between two cases: positive or not. Zero "
             "counts as not positive, so the slope of relu at 0 is 0 and that of leaky relu is "
             "alpha; slopes are floats (0.0 and 1.0), not booleans.",
             helps=("relu_grad_is_a_step", "leaky_relu_honours_alpha", "leaky_relu_grad_honours_alpha")),
        Hint("sigma(z) = 1 / (1 + e^-z), with a minus sign (the notes' 1 / (1 + e^z) is sigma(-z)). "
             "sigma'(z) = sigma(z) (1 - sigma(z)) is a formula in sigma(z), not in z, and tanh'(z) = "
             "1 - tanh(z)^2, not (1 - tanh(z))^2.",
             helps=("sigmoid_known_values", "sigmoid_grad_matches_numeric", "tanh_grad_matches_numeric")),
    ],
)

NEURON = 0.4 * 2 + 0.6 * 6 - 2  # the course notes' one neuron: w = [0.4, 0.6], x = [2, 6], b = -2
HUGE = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])


@formula
def expected_sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


@formula
def flipped_sigmoid(z):
    """The notes' typo, 1 / (1 + e^z)."""
    return 1 / (1 + np.exp(z))


@formula
def sigmoid_slope(z):
    s = np.exp(-np.logaddexp(0.0, -z))
    return s * (1 - s)


@formula
def expected_relu(z):
    return np.maximum(z, 0)


@formula
def relu_slope(z):
    return (z > 0).astype(float)


@formula
def expected_leaky_relu(z, alpha):
    return np.where(z > 0, z, alpha * z)


@formula
def leaky_relu_slope(z, alpha):
    return np.where(z > 0, 1.0, alpha)


@formula
def expected_tanh(z):
    return np.tanh(z)


@formula
def tanh_slope(z):
    return 1 - np.tanh(z) ** 2


def run(sub, name, *args, **kwargs):
    """Call ``name``; return the outcome (value, arguments after the call, warnings)."""
    return sub.run(name, args, kwargs, return_args=True)


def random_batch(rng, shape=(4, 5), scale=3.0):
    return rng.normal(0.0, scale, size=shape)


def away_from_zero(z, margin=0.1):
    """Move entries off the kink at 0, where a numeric derivative means nothing."""
    return np.where(np.abs(z) < margin, margin * np.sign(z + 1e-12) + z, z)


def numeric_derivative(sub, name, z, see, **kwargs):
    """The numeric derivative of the student's ``name`` at ``z``; not judged unless that
    function returns float arrays of z's shape and is not flat."""
    def values(x):
        value = sub.call(name, x, **kwargs)
        if not (isinstance(value, np.ndarray) and value.shape == z.shape and value.dtype == np.float64
                and np.all(np.isfinite(value))):
            not_judged(f"your {name} does not return finite float64 values of z's shape yet; see {see}")
        return value
    numeric = elementwise_derivative(values, z)
    preconditions.not_flat(numeric, f"your {name}", see)
    return numeric


def right_slope_of_wrong_function(got, true, name, see):
    """The explanation when a derivative is right but the student's function is not."""
    if np.allclose(got, true, rtol=1e-6, atol=1e-10):
        return f"These are the right values of {name}'s derivative, so your {name} itself is off: see {see}."
    return ""


@exercise.check(points=2)
def sigmoid_known_values(sub, rng):
    """sigmoid(z) = 1 / (1 + e^-z): sigmoid(0) = 0.5, and the course's neuron
    sigmoid(0.4*2 + 0.6*6 - 2) = 0.9168273."""
    z = np.append([0.0, NEURON, -3.0, 2.5], random_batch(rng, (3,)))
    got = expect.float_array(sub.sigmoid(z), "sigmoid(z)", z.shape)
    if np.allclose(got, flipped_sigmoid(z)):
        fail(f"sigmoid({show_z(z)}) returned {expect.show(got)}: that is 1/(1+e^z). The sign of z "
             "is flipped (a typo the notes make too): sigmoid(z) = 1/(1+e^-z).")
    expect.close(got, expected_sigmoid(z), f"sigmoid({show_z(z)})")


def overflow_advice(sub):
    """Where sigmoid overflows (z = -1000, z = +1000 or both), and what to do about it."""
    where = [z for z in (-1000.0, 1000.0) if run(sub, "sigmoid", np.array([z])).warnings]
    if where == [-1000.0]:
        return ("e^-z overflowed for z = -1000: only exponentiate non-positive numbers, "
                "e.g. e^z / (1 + e^z) where z < 0.")
    if where == [1000.0]:
        return ("An exponential overflowed for z = +1000: your formula exponentiates +z (is it the "
                "notes' 1/(1 + e^z)?). Only exponentiate non-positive numbers: e^-|z|.")
    return ("It overflowed for z = -1000 and z = +1000: only exponentiate non-positive numbers, "
            "e^-|z|." if where else "Only exponentiate non-positive numbers, e^-|z|.")


@exercise.check(points=2)
def sigmoid_is_stable_for_large_inputs(sub, rng):
    """sigmoid(+-1000) is exactly 1 and 0, with no overflow warning and no nan."""
    z = np.append(HUGE, rng.uniform(700.0, 1000.0, size=2) * [-1.0, 1.0])
    what = "sigmoid([-1000, -50, -1, 0, 1, 50, 1000] and two random z with |z| in [700, 1000])"
    outcome = run(sub, "sigmoid", z)
    if outcome.warnings:
        fail(f"{what} made NumPy warn: {outcome.warnings[0]}. {overflow_advice(sub)}")
    expect.close(outcome.value, expected_sigmoid(z), what, atol=1e-12)


@exercise.check(points=1)
def sigmoid_keeps_shape_and_symmetry(sub, rng):
    """sigmoid works on any shape, leaves its input alone, and sigmoid(-z) = 1 - sigmoid(z)."""
    for shape in [(7,), (3, 4), (5, 5), (2, 3, 2)]:
        z = random_batch(rng, shape)
        outcome = run(sub, "sigmoid", z)
        expect.unmodified(outcome, [z], "sigmoid(z)")
        got = expect.close(outcome.value, expected_sigmoid(z), f"sigmoid(z) for z of shape {shape}")
        mirrored = expect.float_array(sub.sigmoid(-z), "sigmoid(-z)", shape)
        expect.close(mirrored, 1 - got, "sigmoid(-z) compared with 1 - sigmoid(z)")


@exercise.check(points=2)
def sigmoid_grad_matches_numeric(sub, rng):
    """sigmoid_grad(z) = sigmoid(z) * (1 - sigmoid(z)): 0.25 at z = 0, and it agrees with the
    numeric derivative of your sigmoid."""
    z = np.concatenate([[0.0], random_batch(rng, (9,))])
    got = expect.float_array(sub.sigmoid_grad(z), "sigmoid_grad(z)", z.shape)
    if np.allclose(got, z * (1 - z)):
        fail("sigmoid_grad(z) returned z * (1 - z): the formula s(1 - s) takes s = sigmoid(z), "
             "not z itself.")
    numeric = numeric_derivative(sub, "sigmoid", z, see="sigmoid_known_values")
    matches_numeric(got, numeric, "sigmoid_grad(z)", mistake=right_slope_of_wrong_function(
        got, sigmoid_slope(z), "sigmoid", "sigmoid_known_values"))
    expect.close(got[:1], [0.25], "sigmoid_grad(0)")


@exercise.check(points=1)
def relu_known_values(sub, rng):
    """relu(z) = max(0, z) elementwise, for any shape, without changing its input."""
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    outcome = run(sub, "relu", z)
    if isinstance(outcome.value, (float, np.floating)):
        fail(f"relu({show_z(z)}) returned one number, {expect.show(float(outcome.value))}: np.max(z, 0) is a "
             "reduction (the largest entry along axis 0), not an elementwise maximum. Use np.maximum(z, 0).")
    expect.unmodified(outcome, [z], "relu(z)")
    expect.close(outcome.value, expected_relu(z), f"relu({show_z(z)})",
                 mistake="max(0, z) is taken elementwise: np.maximum, not np.max.")
    z = random_batch(rng, (3, 4))
    expect.close(sub.relu(z), expected_relu(z), "relu(z) for z of shape (3, 4)")


@exercise.check(points=1)
def relu_grad_is_a_step(sub, rng):
    """relu_grad(z) is 1.0 where z > 0 and 0.0 elsewhere, including at z = 0."""
    z = np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0])
    got = expect.float_array(sub.relu_grad(z), f"relu_grad({show_z(z)})", z.shape)
    if got[2] != 0.0:
        fail(f"relu_grad(0) returned {got[2]:g}; the contract fixes it to 0.0 (test z > 0, not z >= 0).")
    expect.close(got, relu_slope(z), f"relu_grad({show_z(z)})")
    z = away_from_zero(random_batch(rng))
    numeric = numeric_derivative(sub, "relu", z, see="relu_known_values")
    grad = expect.float_array(sub.relu_grad(z), "relu_grad(z)", z.shape)
    matches_numeric(grad, numeric, "relu_grad(z)", mistake=right_slope_of_wrong_function(
        grad, relu_slope(z), "relu", "relu_known_values"))


@exercise.check(points=1)
def leaky_relu_honours_alpha(sub, rng):
    """leaky_relu(z, alpha) is z for z > 0 and alpha*z otherwise; alpha defaults to 0.01."""
    z = np.append([-10.0, -1.0, 0.0, 2.0], random_batch(rng, (3,)))
    expect.close(sub.leaky_relu(z), expected_leaky_relu(z, 0.01), f"leaky_relu({show_z(z)})",
                 mistake="The default alpha is 0.01, and negative inputs are multiplied by it.")
    outcome = run(sub, "leaky_relu", z, alpha=0.2)
    expect.unmodified(outcome, [z], "leaky_relu(z, alpha=0.2)")
    expect.close(outcome.value, expected_leaky_relu(z, 0.2), f"leaky_relu({show_z(z)}, alpha=0.2)",
                 mistake="Use the alpha argument, not a fixed 0.01.")


@exercise.check(points=1)
def leaky_relu_grad_honours_alpha(sub, rng):
    """leaky_relu_grad(z, alpha) is 1.0 where z > 0 and alpha elsewhere (alpha at z = 0)."""
    z = np.array([-3.0, 0.0, 4.0])
    expect.close(sub.leaky_relu_grad(z), [0.01, 0.01, 1.0], f"leaky_relu_grad({show_z(z)})",
                 mistake="Left of zero (and at zero) the slope is alpha, not 0.")
    expect.close(sub.leaky_relu_grad(z, alpha=0.3), [0.3, 0.3, 1.0],
                 f"leaky_relu_grad({show_z(z)}, alpha=0.3)", mistake="Use the alpha argument.")
    z = away_from_zero(random_batch(rng))
    numeric = numeric_derivative(sub, "leaky_relu", z, see="leaky_relu_honours_alpha", alpha=0.3)
    grad = expect.float_array(sub.leaky_relu_grad(z, alpha=0.3), "leaky_relu_grad(z, alpha=0.3)", z.shape)
    matches_numeric(grad, numeric, "leaky_relu_grad(z, alpha=0.3)", mistake=right_slope_of_wrong_function(
        grad, leaky_relu_slope(z, 0.3), "leaky_relu", "leaky_relu_honours_alpha"))


@exercise.check(points=1)
def tanh_is_stable(sub, rng):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) in (-1, 1), finite and warning-free for +-1000."""
    z = random_batch(rng, (3, 4))
    expect.close(sub.tanh(z), expected_tanh(z), "tanh(z) for z of shape (3, 4)")
    outcome = run(sub, "tanh", HUGE)
    expect.no_warnings(outcome, "tanh([-1000, ..., 1000])",
                       "e^1000 overflows: use np.tanh, or write tanh through sigmoid: 2*sigmoid(2z) - 1.")
    expect.unmodified(outcome, [HUGE], "tanh(z)")
    expect.close(outcome.value, expected_tanh(HUGE), "tanh([-1000, -50, -1, 0, 1, 50, 1000])")


@formula
def tanh_grad_mistakes(z):
    """The classic wrong derivatives of tanh, as (values, explanation)."""
    t = np.tanh(z)
    return [(1 - z ** 2, "That is 1 - z^2; the derivative is 1 - tanh(z)^2, in terms of tanh(z)."),
            ((1 - t) ** 2, "That is (1 - tanh(z))^2; the derivative is 1 - tanh(z)^2: square tanh(z) "
                           "first, then subtract it from 1."),
            (1 - t, "That is 1 - tanh(z); the derivative is 1 - tanh(z)^2 (the square is missing)."),
            (-2 * t * (1 - t ** 2), "That is the second derivative; tanh'(z) = 1 - tanh(z)^2.")]


@exercise.check(points=1)
def tanh_grad_matches_numeric(sub, rng):
    """tanh_grad(z) = 1 - tanh(z)^2 agrees with the numeric derivative of your tanh."""
    z = random_batch(rng, (10,), scale=1.5)
    got = expect.float_array(sub.tanh_grad(z), "tanh_grad(z)", z.shape)
    named = expect.matching_variant(got, tanh_grad_mistakes(z))
    if named:
        fail(f"tanh_grad(z) returned {expect.show(got)}; expected {expect.show(tanh_slope(z))}. {named}")
    numeric = numeric_derivative(sub, "tanh", z, see="tanh_is_stable")
    matches_numeric(got, numeric, "tanh_grad(z)", mistake=right_slope_of_wrong_function(
        got, tanh_slope(z), "tanh", "tanh_is_stable"))


@exercise.check(points=2, hidden=True)
def activations_match_reference(sub, ref, rng):
    """Every activation and derivative agrees with the reference on random inputs."""
    z = random_batch(rng, (6, 7), scale=4.0)
    for name in ("sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh", "tanh_grad"):
        expect.close(sub.call(name, z), getattr(ref, name)(z), f"{name}(z) for z of shape (6, 7)")
    for name in ("leaky_relu", "leaky_relu_grad"):
        expect.close(sub.call(name, z, alpha=0.05), getattr(ref, name)(z, alpha=0.05),
                     f"{name}(z, alpha=0.05)")


def show_z(z):
    return np.array2string(z, precision=4, separator=", ", max_line_width=200)
