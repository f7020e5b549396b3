# Exercise `optimizers`: write your code where a function raises NotImplementedError; its TODO
# and its docstring say what to compute. Check it with `nnlab grade -e optimizers`; stuck?
# `nnlab hint optimizers` gives one more hint each time.
"""Optimizers: turn gradients into parameter updates.

Plain gradient descent steps every parameter against its gradient with one
learning rate. Adam (adaptive moment estimation) keeps running averages of
each parameter's gradient and squared gradient, which gives every single weight
its own, self-adjusting step size.
"""
import numpy as np


def sgd_step(params, grads, lr):
    """One step of (stochastic) gradient descent, in place: theta ← theta − lr · dtheta.

    Every array theta = params[k] moves against its own gradient dtheta = grads[k].

    Parameters: params, dict of float arrays (updated in place); grads, dict
    with the same keys and shapes; lr, float learning rate.
    Returns: None.

    Pitfalls:
    - Assigning params[k] a new array only rebinds the dict entry; the caller's
      arrays (e.g. a layer's weights) do not change. Update the array itself,
      with an in-place operator.
    """
    raise NotImplementedError(
        "TODO (sgd_step): move every array of `params` against its gradient by `lr`, changing the "
        "caller's array in place (see Pitfalls)")


class Adam:
    """Adam optimizer (Kingma & Ba, 2015), one instance per model.

    step(params, grads) is one time step t (t = 1 on the first call). For every key k,
    with theta = params[k] and g = grads[k] (* and ^2 elementwise):
        m_k ← beta1 · m_k + (1 − beta1) · g          (mean of the gradients)
        v_k ← beta2 · v_k + (1 − beta2) · g^2        (mean of their squares)
        m_hat = m_k / (1 − beta1^t),  v_hat = v_k / (1 − beta2^t)
        theta ← theta − lr · m_hat / (sqrt(v_hat) + eps)   (in place)
    m_k and v_k start as zeros shaped like params[k], created the first time k is seen.

    Pitfalls:
    - Increase t once per call, not once per key.
    - Skip the bias correction and the first steps come out wrong: m and v start
      at 0, so early on they underestimate the gradient's moments (with the default
      betas the first step is (1 - beta1) / sqrt(1 - beta2), about 3.2 times lr).
    - Update the arrays in place, as in sgd_step.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0    # number of step() calls so far
        self.m = {}   # first-moment estimate per key
        self.v = {}   # second-moment estimate per key

    def step(self, params, grads):
        """Apply one Adam update to every params[k] that has a gradient, in place.

        Parameters: params, dict of float arrays; grads, dict with the same keys and shapes.
        Returns: None.
        """
        raise NotImplementedError(
            "TODO (Adam.step): count one more time step, then for every key update the two "
            "running averages, correct their bias with the current step, and move the parameter "
            "in place, as in the formulas of the class docstring")
