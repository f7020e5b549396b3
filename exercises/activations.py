# Exercise `activations`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e activations`; stuck?
# `nnlab hint activations` gives one more hint each time.
"""Activation functions and their derivatives.

A layer computes Z = X · W + b and then applies an activation g elementwise,
A = g(Z). Backpropagation needs the slope g'(Z) too, so every activation has a
*_grad partner. All of them work on arrays of any shape (a plain float is fine)
and never change the array they are given.
"""
import numpy as np


def sigmoid(z):
    """Logistic sigmoid, elementwise: sigma(z) = 1 / (1 + exp(-z)).

    Maps any real number into (0, 1), which is why it is used as the probability
    of the positive class. Examples: sigma(0) = 0.5; sigma(0.4*2 + 0.6*6 - 2) = 0.9168273.

    Parameters: z, array_like of any shape (0-d included).
    Returns: ndarray of the same shape (float64 for float64 input).

    Pitfalls:
    - np.exp(-z) overflows for z = -1000 (a RuntimeWarning, an error under
      np.errstate(all="raise")). Only ever exponentiate non-positive numbers:
      with e = exp(-|z|), which lies in (0, 1], sigma(z) = 1 / (1 + e) where
      z >= 0 and e / (1 + e) where z < 0.
    - exp(-1000) rounding to 0.0 (underflow) is harmless, unlike overflow; under
      np.errstate(all="raise") wrap that exp in np.errstate(under="ignore").
    - Do not write into z (z *= ..., z[mask] = ...): the caller's array must not change.
    """
    raise NotImplementedError(
        "TODO (sigmoid): compute the logistic sigmoid elementwise, exponentiating only "
        "non-positive numbers so that nothing overflows (the two cases are under Pitfalls)")


def sigmoid_grad(z):
    """Derivative of the sigmoid: d sigma / dz = sigma(z) * (1 - sigma(z)).

    Its largest value is 0.25 (at z = 0); stacking many sigmoid layers multiplies
    such factors together, which is the vanishing-gradient problem.

    Parameters: z, array_like of any shape.
    Returns: ndarray of the same shape, values in [0, 0.25].

    Pitfalls:
    - Reuse your stable sigmoid; do not expand the formula into exponentials of z.
    """
    raise NotImplementedError(
        "TODO (sigmoid_grad): compute the slope of the sigmoid from the sigmoid itself, calling "
        "your stable `sigmoid` only once (the formula is in the docstring)")


def relu(z):
    """Rectified linear unit, elementwise: relu(z) = max(0, z).

    The default activation for hidden layers: cheap, and its slope is 1 for every
    positive input, so it does not shrink gradients the way sigmoid does.

    Parameters: z, array_like of any shape.
    Returns: ndarray of the same shape.

    Pitfalls:
    - np.max(z, 0) is a reduction along axis 0, not an elementwise maximum.
    - z[z < 0] = 0 modifies the caller's array.
    """
    raise NotImplementedError(
        "TODO (relu): keep every positive entry and put zero in place of the others, elementwise, "
        "in a new array (mind the pitfall about reductions)")


def relu_grad(z):
    """Derivative of relu: 1.0 where z > 0, else 0.0.

    relu has no derivative at exactly 0; by convention the slope there is 0.

    Parameters: z, array_like of any shape.
    Returns: float ndarray of the same shape holding 0.0 and 1.0 only.

    Pitfalls:
    - relu_grad(0) must be 0.0: use z > 0, not z >= 0.
    - z > 0 is a bool array; the gradient must be a float array (0.0 / 1.0).
    """
    raise NotImplementedError(
        "TODO (relu_grad): give a float mask that is one where the input is positive and zero "
        "elsewhere, at zero too")


def leaky_relu(z, alpha=0.01):
    """Leaky relu, elementwise: z where z > 0, else alpha * z.

    The small slope alpha for negative inputs keeps a unit learning even when its
    input is negative, so it cannot "die" the way a relu unit can.

    Parameters: z, array_like of any shape; alpha, float slope for z <= 0.
    Returns: ndarray of the same shape.

    Pitfalls:
    - np.maximum(alpha * z, z) is only correct for 0 <= alpha <= 1; a select on
      z > 0 works for any alpha.
    """
    raise NotImplementedError(
        "TODO (leaky_relu): keep every positive entry and scale the others by `alpha`, "
        "elementwise, with a selection rather than a maximum (see Pitfalls)")


def leaky_relu_grad(z, alpha=0.01):
    """Derivative of leaky relu: 1.0 where z > 0, else alpha (alpha at z == 0 too).

    Parameters: z, array_like of any shape; alpha, float slope for z <= 0.
    Returns: float ndarray of the same shape holding 1.0 and alpha only.

    Pitfalls:
    - The slope for z <= 0 is alpha, not 0 and not alpha * z.
    """
    raise NotImplementedError(
        "TODO (leaky_relu_grad): give a float array that is one where the input is positive and "
        "`alpha` everywhere else")


def tanh(z):
    """Hyperbolic tangent, elementwise: (e^z - e^-z) / (e^z + e^-z).

    An S-curve like the sigmoid, but centred on 0 with values in (-1, 1);
    tanh(z) = 2 * sigma(2z) - 1.

    Parameters: z, array_like of any shape.
    Returns: ndarray of the same shape, values in [-1, 1].

    Pitfalls:
    - The formula above overflows: for |z| > ~710, e^|z| is inf and inf/inf = nan.
      np.tanh is stable and allowed. To build it yourself, exponentiate only
      -2|z|: tanh(z) = sign(z) * (1 - e^(-2|z|)) / (1 + e^(-2|z|)).
    """
    raise NotImplementedError(
        "TODO (tanh): compute the hyperbolic tangent elementwise without overflow for large "
        "inputs; NumPy's own tanh is allowed (see Pitfalls)")


def tanh_grad(z):
    """Derivative of tanh: 1 - tanh(z)^2.

    Parameters: z, array_like of any shape.
    Returns: ndarray of the same shape, values in [0, 1].

    Pitfalls:
    - It is 1 - tanh(z)^2, not (1 - tanh(z))^2.
    """
    raise NotImplementedError(
        "TODO (tanh_grad): compute the slope of tanh from tanh itself: one minus its square, not "
        "the square of one minus it")
