"""Checks for exercise 7, ``initialization.py``: Xavier and He normal initialization.

Random weights cannot be compared with fixed numbers, so the checks test their
statistics. With n draws from N(0, s^2) the sample mean has standard error s/sqrt(n),
the mean of the squares (the variance around the known mean 0) has standard error
s^2 sqrt(2/n) and the excess kurtosis has standard error about sqrt(24/n). Every
tolerance is ``SIGMAS`` of these standard errors: a correct implementation fails with
a probability of about 1e-9, while the classic mistakes (LeCun's 1/n_in, a missing
square root, fan-out instead of fan-in, a uniform distribution) lie dozens of
standard errors away for the 400 x 100 matrices used here.
"""

import numpy as np

from . import expect
from .baked import formula
from .core import Exercise, Hint, fail, not_judged
from .figures import histogram
from ..engine.student import StudentError

exercise = Exercise(
    "initialization",
    "Weight initialization",
    timeout=10,
    hints=[
        Hint("Draw every weight from a normal distribution centred on 0 with the Generator you are "
             "given, never with NumPy's global random functions; the two schemes differ only in the "
             "spread. Biases start at zero.",
             helps=("draws_are_reproducible_from_rng", "global_random_state_untouched")),
        "Both schemes fix the VARIANCE of the weights from the layer's fan-in n_in (the rows of "
        "W, the inputs of each unit) and, for Xavier, from its fan-out n_out too. The notes' "
        "Xavier, N(0, 1) times sqrt(1 / n_in), is LeCun's scaling.",
        Hint("init_params goes through consecutive pairs of layer sizes: layer l maps n_(l-1) inputs "
             "to n_l units, and its weights come from the initializer that the method names. Check "
             "the method before drawing anything, and reject one you do not know.",
             helps=("init_params_keys_and_shapes",
                    "init_params_honours_method",
                    "init_params_rejects_unknown_method")),
        Hint("He: variance 2 / n_in. Glorot and Bengio (Xavier): variance 2 / (n_in + n_out). The "
             "normal sampler takes the standard deviation, so give it sqrt(2 / n_in) or sqrt(2 / "
             "(n_in + n_out)), for a matrix of shape (n_in, n_out).",
             helps=("xavier_normal_has_glorot_variance", "he_normal_has_he_variance")),
    ],
)

N_IN, N_OUT = 400, 100
SIGMAS = 6.0


@formula
def xavier_variance(n_in, n_out):
    return 2.0 / (n_in + n_out)


@formula
def he_variance(n_in, n_out):
    return 2.0 / n_in


@formula
def xavier_mistakes(n_in, n_out):
    """Variances that the usual mistakes give, with the explanation of each."""
    v = xavier_variance(n_in, n_out)
    return [
        (1.0 / n_in, "1 / n_in: that is LeCun's scaling, which the notes call Xavier. Glorot and "
                     "Bengio's variance is 2 / (n_in + n_out)."),
        (1.0 / (n_in + n_out), "1 / (n_in + n_out): the factor 2 is missing."),
        (2.0 / n_in, "2 / n_in: that is He's variance; Xavier averages fan-in and fan-out, "
                     "2 / (n_in + n_out)."),
        (2.0 / n_out, "2 / n_out: only the fan-out; Xavier uses 2 / (n_in + n_out)."),
        (v ** 2, "the square of 2 / (n_in + n_out): the variance was passed to rng.normal, whose "
                 "`scale` is the standard deviation. Pass its square root."),
        (2.0 / (n_in * n_out), "2 / (n_in * n_out): the fan-in and fan-out are added, not multiplied."),
        (1.0, "1: the weights are standard normal, the scaling factor was never applied."),
    ]


@formula
def he_mistakes(n_in, n_out):
    v = he_variance(n_in, n_out)
    return [
        (2.0 / n_out, "2 / n_out: the fan-out instead of the fan-in. He's variance uses n_in, the "
                      "number of rows of W (the inputs each unit receives)."),
        (1.0 / n_in, "1 / n_in: LeCun's variance; He's doubles it, 2 / n_in, to make up for relu "
                     "zeroing half of its inputs."),
        (xavier_variance(n_in, n_out), "2 / (n_in + n_out): that is Xavier's variance, not He's 2 / n_in."),
        (v ** 2, "the square of 2 / n_in: the variance was passed to rng.normal, whose `scale` "
                 "is the standard deviation. Pass sqrt(2 / n_in)."),
        (2.0 / (n_in * n_out), "2 / (n_in * n_out): He's variance divides by the fan-in only."),
        (1.0, "1: the weights are standard normal, the scaling factor was never applied."),
    ]


def moments(W):
    """Sample mean, mean square (variance about the true mean 0) and excess kurtosis."""
    w = W.ravel()
    mean, square = float(np.mean(w)), float(np.mean(w ** 2))
    centred = w - mean
    var = float(np.mean(centred ** 2))
    kurtosis = float(np.mean(centred ** 4) / var ** 2 - 3.0) if var > 0 else 0.0
    return mean, square, kurtosis


def shape_of(W, kurtosis):
    """What the distribution of ``W`` looks like, when it is not normal."""
    if kurtosis > 0:
        return "heavy-tailed"
    reach = float(np.max(np.abs(W)) / np.std(W))  # about 4 standard deviations for many normal draws
    if reach < 1.9:
        return "flat, like a uniform distribution (excess kurtosis -1.2)"
    if reach < 3.2:
        return (f"cut off at {reach:.2g} standard deviations, like a truncated normal (a truncated "
                "normal, as Keras's he_normal draws, is another initializer, with a smaller variance)")
    return "light-tailed"


def expect_normal(W, variance, what, mistakes=()):
    """``W`` looks like draws from N(0, variance): mean, variance and kurtosis each within
    SIGMAS standard errors for its number of entries."""
    n = W.size
    mean, square, kurtosis = moments(W)
    if square == 0.0 or np.all(W == W.ravel()[0]):
        fail(f"{what}: every weight has the same value ({expect.show(W.ravel()[0])}). Equal "
             "weights make every unit of a layer compute the same thing forever; draw them at random.")
    if abs(mean) > SIGMAS * np.sqrt(square / n):
        advice = " (rng.random and rng.uniform(0, 1) draw positive numbers only.)" if np.all(W >= 0) else ""
        fail(f"{what}: the mean of the {n} weights is {mean:.4g}; weights are centred on 0 "
             f"(allowed +-{SIGMAS * np.sqrt(square / n):.2g} for this many draws).{advice}")
    tolerance = SIGMAS * np.sqrt(2.0 / n)
    normal_shape = abs(kurtosis) <= SIGMAS * np.sqrt(24.0 / n)
    if not normal_shape and abs(square / variance - 1.0) > tolerance:
        fail(f"{what}: the weights are {shape_of(W, kurtosis)}, not normal, and their variance is "
             f"{square:.4g}, {square / variance:.3g} times the expected {variance:.4g}. Draw them with "
             "rng.normal(0.0, std, size), std being the square root of the variance.")
    if abs(square / variance - 1.0) > tolerance:
        for wrong, explanation in mistakes:
            if abs(square / wrong - 1.0) <= tolerance:
                fail(f"{what}: the weights have variance {square:.4g}; expected {variance:.4g}. "
                     f"Yours matches {explanation}")
        fail(f"{what}: the weights have variance {square:.4g}, {square / variance:.3g} times the "
             f"expected {variance:.4g} (allowed +-{100 * tolerance:.1f}% for {n} draws).")
    if not normal_shape:
        fail(f"{what}: the variance is right, but the weights are {shape_of(W, kurtosis)}, not normal: "
             f"excess kurtosis {kurtosis:.3f}, expected 0 +- {SIGMAS * np.sqrt(24.0 / n):.2f}. Draw them with "
             "rng.normal (the uniform Glorot variant is a different initializer).")


def drawn_shape(rng):
    """(n_in, n_out) drawn from the seed, never square (so a transpose shows)."""
    n_in = int(rng.integers(2, 40))
    return n_in, n_in + int(rng.integers(1, 20))


def seeds(rng, count):
    return [int(s) for s in rng.choice(2**31, size=count, replace=False)]


def generator(sub, seed):
    """A fresh ``np.random.default_rng(seed)`` made in the student's process."""
    return sub.helper("default_rng", seed)


def weights(sub, name, n_in, n_out, seed):
    what = f"{name}({n_in}, {n_out}, rng)"
    W = sub.call(name, n_in, n_out, generator(sub, seed))
    if isinstance(W, np.ndarray) and W.shape == (n_out, n_in) and n_in != n_out:
        fail(f"{what} returned shape {W.shape}; expected ({n_in}, {n_out}). W maps n_in inputs to "
             "n_out units: Z = X @ W + b needs n_in rows and n_out columns.")
    return expect.float_array(W, what, (n_in, n_out))


def params_of(value, layer_sizes, what, biases=True):
    """Validate init_params' result: a dict with exactly W1..WL, b1..bL of the right shapes
    (only the W's, when ``biases`` is False)."""
    L = len(layer_sizes) - 1
    if not isinstance(value, dict):
        fail(f"{what} should return a dict {{'W1': ..., 'b1': ..., ...}}, got {expect.kind_of(value)}")
    want = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if set(value) != want and (biases or not {k for k in want if k.startswith("W")} <= set(value)):
        got = sorted(value, key=str)
        hint = ""
        if "W0" in value:
            hint = " Layers are numbered from 1: W1 maps layer_sizes[0] to layer_sizes[1]."
        elif len(value) < len(want):
            hint = " One pair of (W, b) per pair of consecutive sizes: range(1, len(layer_sizes))."
        fail(f"{what} returned the keys {got}; expected {sorted(want)}.{hint}")
    for l in range(1, L + 1):
        n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
        W, b = value[f"W{l}"], value.get(f"b{l}")
        if isinstance(W, np.ndarray) and W.shape == (n_out, n_in) and n_in != n_out:
            fail(f"{what}: W{l} has shape {W.shape}; expected ({n_in}, {n_out}) (n_(l-1) rows, n_l columns).")
        expect.float_array(W, f"{what}['W{l}']", (n_in, n_out))
        if not biases:
            continue
        if isinstance(b, np.ndarray) and b.size == n_out and b.shape != (n_out,):
            fail(f"{what}: b{l} has shape {b.shape}; expected ({n_out},), a 1-D array that "
                 "broadcasts over the rows of X @ W.")
        b = expect.float_array(b, f"{what}['b{l}']", (n_out,))
        if np.any(b != 0):
            fail(f"{what}: b{l} is {expect.show(b)}; biases start at exactly zero (np.zeros(n_l)).")
    return value


@exercise.check(points=3)
def xavier_normal_has_glorot_variance(sub, rng, figures):
    """xavier_normal(400, 100, rng) has shape (400, 100) and looks like normal draws with mean 0
    and variance 2 / (n_in + n_out) = 0.004 (Glorot and Bengio), within the sampling error of
    40000 draws."""
    W = weights(sub, "xavier_normal", N_IN, N_OUT, seeds(rng, 1)[0])
    figures.append(histogram("xavier_normal(400, 100, rng)", W, np.sqrt(xavier_variance(N_IN, N_OUT))))
    expect_normal(W, xavier_variance(N_IN, N_OUT), "xavier_normal(400, 100, rng)",
                  xavier_mistakes(N_IN, N_OUT))
    weights(sub, "xavier_normal", 3, 7, seeds(rng, 1)[0])
    weights(sub, "xavier_normal", *drawn_shape(rng), seeds(rng, 1)[0])


@exercise.check(points=3)
def he_normal_has_he_variance(sub, rng, figures):
    """he_normal(400, 100, rng) has shape (400, 100) and looks like normal draws with mean 0
    and variance 2 / n_in = 0.005 (He et al.), within the sampling error of 40000 draws."""
    W = weights(sub, "he_normal", N_IN, N_OUT, seeds(rng, 1)[0])
    figures.append(histogram("he_normal(400, 100, rng)", W, np.sqrt(he_variance(N_IN, N_OUT))))
    expect_normal(W, he_variance(N_IN, N_OUT), "he_normal(400, 100, rng)", he_mistakes(N_IN, N_OUT))
    weights(sub, "he_normal", 3, 7, seeds(rng, 1)[0])
    weights(sub, "he_normal", *drawn_shape(rng), seeds(rng, 1)[0])


def draw_all(sub, seed):
    """The three functions' outputs (unvalidated: other checks judge their shapes), each from a
    fresh Generator seeded with ``seed``."""
    return [
        ("xavier_normal(20, 10, rng)", sub.xavier_normal(20, 10, generator(sub, seed))),
        ("he_normal(20, 10, rng)", sub.he_normal(20, 10, generator(sub, seed))),
        ("init_params([6, 5, 3], rng)", sub.init_params([6, 5, 3], generator(sub, seed))),
    ]


def same(a, b):
    """Equal plain data, arrays compared exactly (nan equal to nan)."""
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(
            same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype.kind == b.dtype.kind and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


VARIANCE_CHECKS = ("xavier_normal_has_glorot_variance", "he_normal_has_he_variance", "init_params_honours_method")


def looks_random(value):
    """Float arrays with more than one distinct value (for a dict: every W entry)."""
    if isinstance(value, dict):
        ws = [v for k, v in value.items() if str(k).startswith("W")]
        return bool(ws) and all(looks_random(w) for w in ws)
    return (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size > 1
            and np.unique(value).size > 1)


@exercise.check(points=2)
def draws_are_reproducible_from_rng(sub, rng):
    """The weights depend only on the rng: two Generators made with the same seed give the same
    weights, and different seeds give different weights (for xavier_normal, he_normal and
    init_params)."""
    one, two = seeds(rng, 2)
    first, again, other = draw_all(sub, one), draw_all(sub, one), draw_all(sub, two)
    for (what, a), name in zip(first, VARIANCE_CHECKS):
        if not looks_random(a):
            not_judged(f"{what.split('(')[0]} does not return random weights yet; see {name}")
    for (what, a), (_, b), (_, c) in zip(first, again, other):
        if not same(a, b):
            fail(f"{what} gave different weights for two Generators made with the same seed: draw "
                 "every number from the rng argument (rng.normal), not from np.random.* or a "
                 "Generator of your own.")
        if same(a, c):
            fail(f"{what} gave the same weights for Generators with different seeds: you seem to "
                 "draw from a Generator with a fixed seed of your own; use the rng argument.")


@exercise.check(points=2, requires=("draws_are_reproducible_from_rng",))
def global_random_state_untouched(sub, rng):
    """No use of NumPy's global random state: np.random's state is the same after the calls,
    and the results do not depend on np.random.seed."""
    seed, global_one, global_two = seeds(rng, 3)
    sub.helper("seed_global_random_state", global_one)
    before = sub.helper("global_random_state")
    draw_all(sub, seed)
    if sub.helper("global_random_state") != before:
        fail("Your initializers changed NumPy's global random state (np.random.seed, np.random.randn, "
             "np.random.normal, ...). Randomness must come only from the rng argument.")
    results = []
    for global_seed in (global_one, global_one, global_two):
        sub.helper("seed_global_random_state", global_seed)
        results.append(draw_all(sub, seed))
    for (what, a), (_, again), (_, b) in zip(*results):
        if same(a, again) and not same(a, b):
            fail(f"{what} depends on np.random.seed: it draws from NumPy's global random state. "
                 "Use only the rng argument.")


@exercise.check(points=2)
def init_params_keys_and_shapes(sub, rng):
    """init_params(layer_sizes, rng) returns W1..WL of shape (n_(l-1), n_l) and zero biases
    b1..bL of shape (n_l,), for networks of one, two and four layers and for layer sizes drawn
    from the seed."""
    drawn = [int(n) for n in rng.integers(2, 30, size=rng.integers(3, 6))]
    for layer_sizes in ([5, 3], [2, 25, 15, 10], [4, 8, 8, 8, 2], drawn):
        what = f"init_params({layer_sizes}, rng)"
        params = params_of(sub.init_params(layer_sizes, generator(sub, seeds(rng, 1)[0])), layer_sizes, what)
        if not looks_random(params):
            not_judged(f"{what} returns no random weights yet; see init_params_honours_method")


@exercise.check(points=2)
def init_params_honours_method(sub, rng):
    """init_params draws every W with He's variance 2 / n_in by default and for method="he",
    and with Xavier's 2 / (n_in + n_out) for method="xavier"."""
    layer_sizes = [300, 120, 60]
    for kwargs in ({}, {"method": "he"}, {"method": "xavier"}):
        method = kwargs.get("method", "he")
        call = f"init_params([300, 120, 60], rng{', method=' + repr(method) if kwargs else ''})"
        params = params_of(sub.call("init_params", layer_sizes, generator(sub, seeds(rng, 1)[0]), **kwargs),
                           layer_sizes, call, biases=False)
        for l in (1, 2):
            n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
            right, other = (he_variance, xavier_variance) if method == "he" else (xavier_variance, he_variance)
            W, wrong = params[f"W{l}"], [(other(n_in, n_out), f"the {'Xavier' if method == 'he' else 'He'} "
                                          f"variance: is method={method!r} honoured"
                                          f"{' (the default is he)' if not kwargs else ''}?")]
            wrong += (he_mistakes if method == "he" else xavier_mistakes)(n_in, n_out)
            expect_normal(W, right(n_in, n_out), f"{call}['W{l}']", wrong)


@exercise.check(points=1, requires=("init_params_keys_and_shapes",))
def init_params_rejects_unknown_method(sub, rng):
    """An unknown method (say "lecun", or a typo) raises ValueError instead of silently using
    another initializer."""
    try:
        value = sub.call("init_params", [4, 3], generator(sub, seeds(rng, 1)[0]), method="lecun")
    except StudentError as error:
        if error.not_implemented:
            raise
        if error.type == "ValueError":
            return
        fail(f"init_params([4, 3], rng, method='lecun') raised {error.type}: {error.text}; raise "
             "ValueError for an unknown method, with a message naming the choices 'he' and 'xavier'.")
    fail(f"init_params([4, 3], rng, method='lecun') returned {expect.kind_of(value)}; an unknown "
         "method must raise ValueError (raise ValueError(...)), otherwise a typo like 'Xavier' "
         "goes unnoticed.")


@exercise.check(points=2, hidden=True, requires=("init_params_keys_and_shapes",))
def init_params_matches_reference_structure(sub, ref, rng):
    """init_params gives the reference's keys, shapes and zero biases for random layer sizes,
    and both initializers work down to a single weight."""
    for _ in range(4):
        layer_sizes = [int(n) for n in rng.integers(1, 30, size=rng.integers(2, 6))]
        method = str(rng.choice(["he", "xavier"]))
        seed = seeds(rng, 1)[0]
        what = f"init_params({layer_sizes}, rng, method={method!r})"
        got = params_of(sub.init_params(layer_sizes, generator(sub, seed), method=method), layer_sizes, what)
        want = ref.init_params(layer_sizes, np.random.default_rng(seed), method=method)
        for key, value in want.items():
            if key.startswith("b"):
                expect.close(got[key], value, f"{what}['{key}']", rtol=0, atol=0)
            elif got[key].shape != value.shape:
                fail(f"{what}['{key}'] has shape {got[key].shape}; expected {value.shape}")
    for name in ("xavier_normal", "he_normal"):
        weights(sub, name, 1, 1, seeds(rng, 1)[0])
