"""Checks for exercise 8, ``optimizers.py``: SGD and Adam updates, in place.

Parameters travel to the student's process by value, so "in place" is seen through
``sub.run(..., return_args=True)``: ``args_after[0]`` is the params dict as the call left
it, and ``originals_after[0]`` holds the array objects the dict held before the call,
which show new values only when they were updated in place. Every expected update is
computed by :func:`adam_updates`, a formula (see :mod:`.baked`): Kingma and Ba's update in
either correct form, with deliberate variants that reproduce the usual mistakes.
"""

import numpy as np

from . import expect
from .baked import formula
from .core import Exercise, Hint, fail

exercise = Exercise(
    "optimizers",
    "Optimizers: SGD and Adam",
    timeout=15,
    hints=[
        Hint("Both optimizers change the arrays the caller owns: update each array of params itself, "
             "with an in-place operator. Assigning a new array to the dict entry leaves the caller's "
             "weights as they were.",
             helps=("sgd_step_updates_in_place", "adam_step_updates_in_place")),
        Hint("Gradient descent moves every parameter against its own gradient, by lr times that "
             "gradient; grads stays as it was.",
             helps=("sgd_step_subtracts_lr_times_grad",)),
        Hint("Adam keeps, for every key, a running mean m of the gradients and v of their squares, "
             "both starting at zero, and ONE step counter t for the whole optimizer: t goes up once "
             "per call to step, before the loop over the keys.",
             helps=("adam_one_time_step_per_call",)),
        Hint("With t counted from 1: m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2, "
             "m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t), and the parameter moves "
             "against lr m_hat / (sqrt(v_hat) + eps). On the first step m_hat = g and "
             "v_hat = g^2, so every weight moves by about lr.",
             helps=("adam_first_step_moves_by_lr", "adam_trajectory_matches_formulas",
                    "adam_beats_sgd_on_ill_conditioned_quadratic")),
    ],
)


FORMS = ("paper", "hat")
ADAM_MISTAKES = {
    "no bias correction": "m and v are used without the bias correction m / (1 - beta1**t), "
                          "v / (1 - beta2**t); they start at zero and are far off in the first steps.",
    "only v corrected": "m is used without its bias correction m_hat = m / (1 - beta1**t).",
    "only m corrected": "v is used without its bias correction v_hat = v / (1 - beta2**t).",
    "t stays 1": "t is 1 at every step: it must count the calls to step (keep it in self, add 1 per call).",
    "t starts at 2": "t is 2 on the first step: it counts the calls to step from 1 (start it at 0 and add "
                     "1 once, at the start of step, before it is used), so the first step uses 1 - beta1**1.",
    "t per key": "t is incremented once per key; one call to step is one time step, however many "
                 "arrays it updates (t += 1 before the loop over keys).",
    "eps inside the sqrt": "eps is in the wrong place, inside the square root: the update is "
                           "lr * m_hat / (sqrt(v_hat) + eps) (in the epsilon-hat form lr_t * m / (sqrt(v) + eps)).",
    "no sqrt": "v_hat is not square-rooted; the update is m_hat / (sqrt(v_hat) + eps).",
}


@formula
def adam_updates(grads_seq, mistake=None, form="paper", **hyper):
    """The update (old - new) of every step of Adam, for a sequence of gradient dicts.

    ``form="paper"`` is Algorithm 1, lr * m_hat / (sqrt(v_hat) + eps). ``form="hat"`` is the
    paper's Section 2 (as Keras writes it): lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) and
    lr_t * m / (sqrt(v) + eps), which is Algorithm 1 with eps / sqrt(1 - beta2^t) in place of
    eps. The two differ only where sqrt(v_hat) is not much larger than eps. ``mistake`` is
    one of ADAM_MISTAKES."""
    hyper = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **hyper}
    lr, beta1, beta2, eps0 = hyper["lr"], hyper["beta1"], hyper["beta2"], hyper["eps"]
    time, moments, updates = 0, {}, []
    for grads in grads_seq:
        time += 1
        update = {}
        for key, g in grads.items():
            if mistake == "t per key" and key != next(iter(grads)):
                time += 1
            g = np.asarray(g, dtype=np.float64)
            m, v = moments.get(key, (np.zeros_like(g), np.zeros_like(g)))
            m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
            moments[key] = m, v
            t = {"t stays 1": 1, "t starts at 2": time + 1}.get(mistake, time)
            c1 = 1.0 if mistake in ("no bias correction", "only v corrected") else 1 / (1 - beta1 ** t)
            c2 = 1.0 if mistake in ("no bias correction", "only m corrected") else 1 / (1 - beta2 ** t)
            m_hat, v_hat = c1 * m, c2 * v
            eps = eps0 if form == "paper" else eps0 * np.sqrt(c2)
            if mistake == "eps inside the sqrt":  # the hat form's sqrt(v + eps), scaled like v_hat
                update[key] = lr * m_hat / np.sqrt(v_hat + (eps0 if form == "paper" else eps0 * c2))
            elif mistake == "no sqrt":
                update[key] = lr * m_hat / (v_hat + eps)
            else:
                update[key] = lr * m_hat / (np.sqrt(v_hat) + eps)
        updates.append(update)
    return updates


@formula
def sgd_variants(params, grads, lr):
    """params after a step of SGD, after one uphill, and after one that ignores lr."""
    return ({k: params[k] - lr * grads[k] for k in params}, {k: params[k] + lr * grads[k] for k in params},
            {k: params[k] - grads[k] for k in params})


def matches_adam(got, grads_seq, step, **hyper):
    """``got`` (step ``step``'s update) is that of Adam in either correct form."""
    right = [adam_updates(grads_seq, None, form, **hyper)[step - 1] for form in FORMS]  # both, always
    return any(updates_close(got, updates) for updates in right)


@formula
def adam_variants(grads_seq, hyper, variants):
    """For each (mistake, overrides of ``hyper``) of ``variants``, the updates of both forms."""
    return [[adam_updates(grads_seq, mistake, form, **{**hyper, **overrides}) for form in FORMS]
            for mistake, overrides in variants]


def reproduces(got, right, forms):
    """One of ``forms`` (a variant's update in either form) explains ``got``: it lies a
    thousand times closer to ``got`` than the ``right`` update does, so that a tiny
    difference is never blamed on a big mistake."""
    off = max(float(np.max(np.abs(got[k] - right[k]))) for k in got)
    return any(max(float(np.max(np.abs(got[k] - variant[k]))) for k in got) <= 1e-3 * off for variant in forms)


@formula
def corrected_moments(grads_seq, beta1, beta2):
    """(m_hat, v_hat) per key for every step t = 1, 2, ... of a sequence of gradient dicts."""
    m, v, steps = {}, {}, []
    for t, grads in enumerate(grads_seq, start=1):
        for key, g in grads.items():
            m[key] = beta1 * m.get(key, 0.0) + (1 - beta1) * g
            v[key] = beta2 * v.get(key, 0.0) + (1 - beta2) * g * g
        steps.append({key: (m[key] / (1 - beta1 ** t), v[key] / (1 - beta2 ** t)) for key in grads})
    return steps


def implied_eps(got, moments, hyper):
    """(eps, form) when one constant eps explains every update of ``got`` in that form, else None;
    when both forms do (a single step cannot tell them apart), the one with the rounder eps.

    In Algorithm 1, update = lr * m_hat / (sqrt(v_hat) + eps), so eps = lr * m_hat / update -
    sqrt(v_hat); in the epsilon-hat form that eps is eps_hat / sqrt(1 - beta2^t)."""
    found = [(eps, form) for form in FORMS for eps in [constant_eps(got, moments, hyper, form)] if eps]
    return min(found, key=lambda pair: abs(float(f"{pair[0]:.1g}") / pair[0] - 1), default=None)


def constant_eps(got, moments, hyper, form):
    """The eps of ``form`` that explains every update of ``got``, when it is one constant, else None;
    ``moments`` are :func:`corrected_moments` of the gradients."""
    lr, b1, b2 = hyper.get("lr", 1e-3), hyper.get("beta1", 0.9), hyper.get("beta2", 0.999)
    values, sizes = [], []
    for t, (update, step_moments) in enumerate(zip(got, moments), start=1):
        for key, (m_hat, v_hat) in step_moments.items():
            u = update[key]
            if np.any(u == 0) or np.any(np.sign(u) != np.sign(m_hat)):
                return None
            eps = lr * m_hat / u - np.sqrt(v_hat)
            values.append((eps * np.sqrt(1 - b2 ** t) if form == "hat" else eps).ravel())
            sizes.append(np.sqrt(v_hat).ravel())
    values, sizes = np.concatenate(values), np.concatenate(sizes)
    c = float(np.median(values))
    return c if c > 0 and np.all(np.abs(values - c) <= 1e-3 * c + 1e-9 * sizes) else None


def eps_mistake(got, moments, hyper):
    """The message for updates that are Adam's with another, fixed eps; "" when they are not."""
    found = implied_eps(got, moments, hyper)
    if found is None:
        return ""
    eps, form = found
    where = "sqrt(v_hat) + eps" if form == "paper" else "sqrt(v) + eps, in the epsilon-hat form"
    return (f"Your updates are exactly Adam's ({where}) with eps = {eps:.3g}, not the eps = "
            f"{hyper.get('eps', 1e-8):g} given to the constructor: eps is fixed in your code; use self.eps.")


def params_after(outcome, params, what):
    """The params dict as the call left it (``args_after[0]``), validated against ``params``."""
    after = (outcome.args_after or [None])[0]
    if not isinstance(after, dict) or set(after) != set(params):
        fail(f"after {what}, params is {expect.kind_of(after)}; expected the same dict with keys "
             f"{sorted(params)}. Update params[key] for every key; do not replace or remove entries.")
    return {k: expect.float_array(after[k], f"params[{k!r}] after {what}", params[k].shape) for k in params}


def originals(outcome, params, what):
    """The caller's original arrays after the call (``originals_after[0]``)."""
    before = (outcome.originals_after or [{}])[0]
    return {k: expect.float_array(before[k], f"the caller's params[{k!r}] after {what}", params[k].shape)
            for k in params}


def random_params(rng, shapes):
    return {k: rng.normal(0, 1, size=s) for k, s in shapes.items()}


SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}


def show_update(got, want, key):
    return (f"params[{key!r}] moved by {expect.show(got[key])}; expected {expect.show(want[key])} "
            f"(largest difference {np.max(np.abs(got[key] - want[key])):.3g})")


def updates_close(got, want, rtol=1e-6):
    return all(np.allclose(got[k], want[k], rtol=rtol, atol=1e-12) for k in want)


@exercise.check(points=2)
def sgd_step_subtracts_lr_times_grad(sub, rng):
    """sgd_step(params, grads, lr) leaves params[k] - lr * grads[k] under every key, and does
    not change grads."""
    params, grads = random_params(rng, SHAPES), random_params(rng, SHAPES)
    lr = 0.05
    outcome = sub.run("sgd_step", ({k: v.copy() for k, v in params.items()}, grads, lr), return_args=True)
    got = params_after(outcome, params, "sgd_step(params, grads, lr=0.05)")
    stepped, uphill, without_lr = sgd_variants(params, grads, lr)
    for key in params:
        want = stepped[key]
        if np.allclose(got[key], uphill[key]):
            fail(f"sgd_step moved params[{key!r}] uphill: params[k] + lr * grads[k]. Step against the "
                 "gradient: params[k] -= lr * grads[k].")
        if np.allclose(got[key], without_lr[key]):
            fail(f"sgd_step ignored the learning rate for params[{key!r}]: multiply the gradient by lr.")
        expect.close(got[key], want, f"params[{key!r}] after sgd_step(params, grads, lr=0.05)",
                     mistake="Expected params[k] - lr * grads[k].")
    grads_untouched(outcome, grads, "sgd_step(params, grads, lr)")


@exercise.check(points=2)
def sgd_step_updates_in_place(sub, rng):
    """sgd_step changes the caller's own arrays (params[k] -= ...) and returns None."""
    params, grads = random_params(rng, SHAPES), random_params(rng, SHAPES)
    outcome = sub.run("sgd_step", (params, grads, 0.1), return_args=True)
    after = params_after(outcome, params, "sgd_step(params, grads, 0.1)")
    caller = originals(outcome, params, "sgd_step(params, grads, 0.1)")
    want = sgd_variants(params, grads, 0.1)[0]
    for key in params:
        if not np.allclose(caller[key], after[key]):
            fail(f"sgd_step put a new array under params[{key!r}]; the caller's array kept its old values. "
                 "params[k] = params[k] - lr * grads[k] only rebinds the dict entry: update the array "
                 "itself with params[k] -= lr * grads[k].")
        expect.close(caller[key], want[key], f"the caller's params[{key!r}] after sgd_step")
    if outcome.value is not None:
        fail(f"sgd_step returned {expect.kind_of(outcome.value)}; it updates params in place and "
             "returns None.")


FIRST_STEP_MISTAKES = ("no bias correction", "only v corrected", "only m corrected", "eps inside the sqrt",
                       "no sqrt", "t starts at 2")


def first_step_mistake(got, g, lr, kwargs, alternatives, moments):
    """What a wrong first step of Adam(lr) on gradients ``g`` shows, or ""; ``alternatives``
    are the :func:`adam_variants` of FIRST_STEP_MISTAKES, ``moments`` the corrected moments."""
    want = adam_updates([{"W": g}], lr=lr)[0]["W"]
    named = [ADAM_MISTAKES[m] for m, forms in zip(FIRST_STEP_MISTAKES, alternatives)
             if reproduces(got, {"W": want}, [updates[0] for updates in forms])]
    if named:
        return named[0]
    if np.allclose(got["W"], -want):
        return "The step goes uphill: subtract the update, params[k] -= lr * m_hat / (sqrt(v_hat) + eps)."
    if np.allclose(got["W"], lr * g):
        return "That is a plain gradient step lr * g; Adam divides by sqrt(v_hat)."
    if kwargs and matches_adam(got, [{"W": g}], 1, lr=1e-3):
        return "The lr argument is ignored: store it in __init__ and use self.lr."
    return eps_mistake([got], moments, {"lr": lr}) or "On the first step m_hat = g and v_hat = g**2."


@exercise.check(points=2)
def adam_first_step_moves_by_lr(sub, rng):
    """On its first step Adam moves every weight by about lr against its gradient, whether the
    gradient is 1e-4 or 1e3: the bias-corrected m_hat / sqrt(v_hat) is g / |g|. Adam() uses
    lr=1e-3 by default. (Both of Kingma and Ba's forms are right: eps added to sqrt(v_hat), or
    in the epsilon-hat form to sqrt(v).)"""
    fixed = np.array([1e-4, -1e-3, 1e-2, -1.0, 10.0, -1e3])
    drawn = rng.normal(0.0, 1.0, size=6) * 10.0 ** rng.uniform(-4, 3, size=6)
    g = np.stack([fixed, drawn])
    for lr, kwargs in ((1e-3, {}), (0.05, {"lr": 0.05})):
        call = f"Adam({'lr=0.05' if kwargs else ''}).step"
        adam = sub.call("Adam", **kwargs)
        params = {"W": rng.normal(0, 1, size=g.shape)}
        outcome = sub.run(adam, (params, {"W": g}), method="step", return_args=True)
        got = {"W": params["W"] - params_after(outcome, params, f"{call}(params, grads)")["W"]}
        alternatives = adam_variants([{"W": g}], {"lr": lr}, [(mistake, {}) for mistake in FIRST_STEP_MISTAKES])
        moments = corrected_moments([{"W": g}], 0.9, 0.999)
        if matches_adam(got, [{"W": g}], 1, lr=lr):
            continue
        want = adam_updates([{"W": g}], lr=lr)[0]
        ratio = np.median(got["W"] / want["W"])
        fail(f"the first {call} with gradients {expect.show(g)}: {show_update(got, want, 'W')}; that is "
             f"{ratio:.3g} times lr*sign(g). {first_step_mistake(got, g, lr, kwargs, alternatives, moments)}")


@exercise.check(points=1)
def adam_step_updates_in_place(sub, rng):
    """Adam.step changes the caller's own arrays (params[k] -= ...) and leaves grads alone."""
    params, grads = random_params(rng, SHAPES), random_params(rng, SHAPES)
    adam = sub.call("Adam", lr=0.01)
    outcome = sub.run(adam, (params, grads), method="step", return_args=True)
    after = params_after(outcome, params, "Adam.step(params, grads)")
    caller = originals(outcome, params, "Adam.step(params, grads)")
    for key in params:
        if np.array_equal(after[key], params[key]):
            fail(f"Adam.step left params[{key!r}] unchanged; it must update every key of grads.")
        if not np.allclose(caller[key], after[key]):
            fail(f"Adam.step put a new array under params[{key!r}]; the caller's array kept its old "
                 "values. Update the array itself: params[k] -= lr * m_hat / (sqrt(v_hat) + eps).")
    grads_untouched(outcome, grads, "Adam.step(params, grads)")


def run_trajectory(sub, adam, grads_seq, params, what):
    """Feed ``grads_seq`` to the student's Adam one step at a time; return its updates."""
    updates = []
    for step, grads in enumerate(grads_seq, start=1):
        outcome = sub.run(adam, (params, grads), method="step", return_args=True)
        after = params_after(outcome, params, f"step {step} of {what}")
        updates.append({k: params[k] - after[k] for k in params})
    return updates


def compare_trajectory(got, grads_seq, what, hyper, variants=()):
    """Fail at the first step whose update differs from both forms of the formulas, naming the
    first of the usual mistakes, then of ``variants`` (explanation, mistake, hyperparameter
    overrides), that reproduces it, or a fixed eps."""
    variants = [(text, name, {}) for name, text in ADAM_MISTAKES.items()] + list(variants)
    want = adam_updates(grads_seq, **hyper)
    alternatives = adam_variants(grads_seq, hyper, [(mistake, overrides) for _, mistake, overrides in variants])
    moments = corrected_moments(grads_seq, hyper.get("beta1", 0.9), hyper.get("beta2", 0.999))
    for step, (g, w) in enumerate(zip(got, want), start=1):
        if matches_adam(g, grads_seq, step, **hyper):
            continue
        key = next(k for k in w if not np.allclose(g[k], w[k], rtol=1e-6, atol=1e-12))
        named = [text for (text, _, _), forms in zip(variants, alternatives)
                 if reproduces(g, w, [updates[step - 1] for updates in forms])]
        fail(f"step {step} of {what}: {show_update(g, w, key)}. "
             + (named[0] if named else eps_mistake(got, moments, hyper)
                or "It is none of the usual mistakes (t, the bias corrections, eps): compare your m, v, "
                   "m_hat, v_hat and the update with the formulas, one at a time."))


def grads_untouched(outcome, grads, what):
    after = (outcome.args_after or [None, None])[1]
    if not (isinstance(after, dict) and set(after) == set(grads)
            and all(isinstance(after[k], np.ndarray) and np.array_equal(after[k], grads[k]) for k in grads)):
        fail(f"{what} changed the gradients: only params is updated in place (compute g * g or "
             "lr * g as new arrays; never g *= ... on grads' arrays).")


@exercise.check(points=2)
def adam_one_time_step_per_call(sub, rng):
    """Adam keeps m and v per key and counts ONE time step per call to step, however many arrays
    the call updates (t incremented per key is a classic bug, visible with several keys)."""
    grads_seq = [random_params(rng, SHAPES) for _ in range(3)]
    adam = sub.call("Adam", lr=0.01)
    what = "Adam(lr=0.01) with the four keys W1, b1, W2, b2"
    got = run_trajectory(sub, adam, grads_seq, random_params(rng, SHAPES), what)
    compare_trajectory(got, grads_seq, what, {"lr": 0.01})


@exercise.check(points=3)
def adam_trajectory_matches_formulas(sub, rng):
    """Five Adam steps with changing gradients follow Kingma and Ba's formulas exactly, with
    the lr, beta1, beta2 and eps given to the constructor."""
    hyper = {"lr": 0.02, "beta1": 0.7, "beta2": 0.9, "eps": 1e-3}
    scales = [1.0, 0.01, 3.0, 1e-3, 0.3]
    grads_seq = [{"W": rng.normal(0, s, size=(3, 4))} for s in scales]
    adam = sub.call("Adam", **hyper)
    what = "Adam(lr=0.02, beta1=0.7, beta2=0.9, eps=1e-3)"
    got = run_trajectory(sub, adam, grads_seq, {"W": rng.normal(0, 1, size=(3, 4))}, what)
    variants = [("beta1 is ignored: use self.beta1, not 0.9.", None, {"beta1": 0.9}),
                 ("beta2 is ignored: use self.beta2, not 0.999.", None, {"beta2": 0.999}),
                 ("beta1 and beta2 are swapped: m uses beta1, v uses beta2.", None, {"beta1": 0.9, "beta2": 0.7})]
    compare_trajectory(got, grads_seq, what, hyper, variants)


CURVATURES = np.logspace(-2, 2, 9)
QUADRATIC_STEPS = 100
ADAM_LR = 0.1


def quadratic(x):
    return float(0.5 * np.sum(CURVATURES * x ** 2))


@formula
def best_sgd_loss(x0):
    """The lowest loss plain gradient descent reaches in QUADRATIC_STEPS, over stable lrs."""
    best = np.inf
    for lr in np.linspace(0.05, 1.99, 40) / CURVATURES.max():
        x = x0.copy()
        for _ in range(QUADRATIC_STEPS):
            x -= lr * CURVATURES * x
        best = min(best, quadratic(x))
    return best


@formula
def adam_on_quadratic(x0):
    """The loss Adam(lr=ADAM_LR) reaches in QUADRATIC_STEPS from ``x0``."""
    x, grads_seq = x0.copy(), []
    for _ in range(QUADRATIC_STEPS):
        grads_seq.append({"x": CURVATURES * x})
        x = x - adam_updates(grads_seq, lr=ADAM_LR)[-1]["x"]
    return quadratic(x)


@exercise.check(points=2)
def adam_beats_sgd_on_ill_conditioned_quadratic(sub, rng):
    """On f(x) = 0.5 * sum(c_i x_i^2) with curvatures c from 0.01 to 100, 100 steps of
    Adam(lr=0.1) get far lower than plain gradient descent at its best stable learning rate:
    Adam's per-weight step sizes do not care about the scale of each gradient."""
    x = rng.uniform(0.5, 1.5, size=CURVATURES.size) * rng.choice([-1.0, 1.0], size=CURVATURES.size)
    x0 = x.copy()
    adam = sub.call("Adam", lr=ADAM_LR)
    for step in range(QUADRATIC_STEPS):
        outcome = sub.run(adam, ({"x": x}, {"x": CURVATURES * x}), method="step", return_args=True)
        x = params_after(outcome, {"x": x}, f"Adam step {step + 1} on the quadratic")["x"]
    sgd, got, want = best_sgd_loss(x0), quadratic(x), adam_on_quadratic(x0)
    if not got < sgd / 5:
        fail(f"after {QUADRATIC_STEPS} steps of Adam(lr={ADAM_LR}) on an ill-conditioned quadratic the "
             f"loss is {got:.4g} (it started at {quadratic(x0):.4g}); plain gradient descent reaches "
             f"{sgd:.3g} and Adam {want:.3g}. Each weight should move by about lr per step whatever "
             "the size of its gradient.")


@exercise.check(points=2, hidden=True)
def optimizers_match_reference(sub, ref, rng):
    """sgd_step and several Adam steps with random settings give the reference's parameters."""
    params, grads, lr = random_params(rng, SHAPES), random_params(rng, SHAPES), float(rng.uniform(0.01, 1))
    outcome = sub.run("sgd_step", (params, grads, lr), return_args=True)
    want = {k: v.copy() for k, v in params.items()}
    ref.sgd_step(want, grads, lr)
    got = params_after(outcome, params, "sgd_step(params, grads, lr)")
    for key in want:
        expect.close(got[key], want[key], f"params[{key!r}] after sgd_step with lr={lr:.3g}")
    hyper = {"lr": float(rng.uniform(1e-3, 0.1)), "beta1": float(rng.uniform(0.5, 0.95)),
             "beta2": float(rng.uniform(0.9, 0.9999)), "eps": float(10 ** rng.uniform(-8, -3))}
    adam, theirs, seen = sub.call("Adam", **hyper), ref.Adam(**hyper), []
    params = random_params(rng, SHAPES)
    for step in range(1, 5):
        grads = {k: v * 10 ** rng.uniform(-3, 1) for k, v in random_params(rng, SHAPES).items()}
        outcome = sub.run(adam, (params, grads), method="step", return_args=True)
        got = params_after(outcome, params, f"Adam step {step}")
        seen.append(grads)
        hat_update = adam_updates(seen, form="hat", **hyper)[-1]
        in_hat_form = {k: v - hat_update[k] for k, v in params.items()}
        theirs.step(params, grads)
        if all(np.allclose(got[k], in_hat_form[k], rtol=1e-7, atol=1e-10) for k in params):
            params = in_hat_form  # the epsilon-hat form is right too
            continue
        for key in params:
            expect.close(got[key], params[key], f"params[{key!r}] after Adam step {step} with {hyper}",
                         rtol=1e-7, atol=1e-10)
