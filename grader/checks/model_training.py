"""Exercise 10's training checks: fit's bookkeeping, and what a trained model can do.

Each counts only for a model that passed the network checks (``requires=``): the loss that
falls, the digits it reads, the blobs it separates are then those of a neural network. The
settings and thresholds come from seed sweeps of the reference (50 fit seeds each, repeated
with Xavier-normal and Glorot-uniform initialisation and without shuffling, to stand for
other correct implementations); the figures are in the comments next to each check.
"""

import importlib

import numpy as np

from ..datasets import load_digits, make_blobs
from ..engine.student import StudentError
from . import expect
from .core import fail
from .figures import decision_regions, loss_curve
from .model import exercise
from .model_formulas import MSE, SPARSE, forward, random_weights, shapes, targets
from .model_network import (FORWARD, adam, by_shape, compiled, describe, first_step, fit, get_weights,
                            make_model, measured_loss, predict, recorded_grads, with_weights)

NETWORK = (FORWARD, "gradients_match_numeric_in_every_layer", "sgd_steps_move_the_weights")
BLOB_CENTERS = [[-5, 2], [-2, -2], [1, 2], [5, -2]]
NOTES_POINT = [[4.33, -1.99]]


def blobs(random_state=30):
    return make_blobs(n_samples=100, centers=BLOB_CENTERS, cluster_std=1.0, random_state=random_state)


def measured_accuracy(sub, y, pred):
    """The accuracy of the labels ``pred`` the student's model gave, measured with forward.py's
    accuracy (the reference's where the instructor grades, the student's own in their copy)."""
    what = "forward.accuracy(y, labels your model predicts)"
    return expect.number(sub.call("forward:accuracy", np.asarray(y), np.asarray(pred)), what)


def trend(losses):
    if np.isclose(losses[-1], losses[0], rtol=1e-9, atol=0):
        return "did not change"
    return "rose" if losses[-1] > losses[0] else "barely fell"


def seed_of(rng):
    return int(rng.integers(1000))


# ---------------------------------------------------------------- checks: fit's bookkeeping

@exercise.check(points=1, requires=(FORWARD,))
def history_has_one_falling_loss_per_epoch(sub, rng):
    """fit returns {"loss": [...]} with one finite mean loss per epoch; on 4-class blobs like
    the notes' the loss falls (both the one fit reports and that of the model's outputs), and
    a second fit continues from the trained weights."""
    # Reference, fit seeds 0..49 (also Xavier, Glorot-uniform, std-0.01 init, no shuffling): last/first
    # at most 0.43 (medians 0.04-0.12); the second fit's first loss at most 0.40 of the first fit's.
    X, y = blobs(int(rng.integers(1000)))
    spec = [(8, "relu"), (4, "linear")]
    weights = random_weights(rng, 2, spec)
    start = measured_loss(sub, SPARSE, True, forward(spec, weights, X)[0], y)
    model = with_weights(sub, spec, weights, SPARSE, adam(sub, 0.01), from_logits=True)
    losses = fit(sub, model, X, y, epochs=15, batch_size=32, seed=seed_of(rng), what=f"fit of {describe(spec)}")
    end = measured_loss(sub, SPARSE, True, predict(sub, model, X, 4, "predict(X) after the fit"), y)
    if losses[-1] > 0.7 * losses[0] or end > 0.7 * start:
        fail(f"Training {describe(spec)} on four blobs like the notes' with Adam(0.01) for 15 epochs, the "
             f"reported loss {trend(losses)}: {expect.show(losses)}, and the loss of the model's outputs went from "
             f"{start:.4g} to {end:.4g}. Check that the optimizer's steps reach the layers' weights and "
             "that the gradients point uphill (the optimizer subtracts them).")
    more = fit(sub, model, X, y, epochs=5, batch_size=32, seed=seed_of(rng), what=f"a second fit of {describe(spec)}")
    if more[0] > 0.7 * losses[0]:
        fail(f"A second fit of the trained model started at a loss of {more[0]:.4g}, back near the first "
             f"fit's start ({losses[0]:.4g}) instead of near its end ({losses[-1]:.4g}): as in Keras, fit "
             "continues from the current weights; build them only when the model has none yet.")


@exercise.check(points=1, requires=(FORWARD,))
def fit_is_reproducible(sub, rng):
    """The same seed gives the same losses and predictions, another seed other ones; all
    randomness comes from np.random.default_rng(seed), never NumPy's global random state."""
    X, y = blobs(int(rng.integers(1000)))
    spec = [(6, "relu"), (4, "linear")]
    before = sub.helper("global_random_state")
    one, two = (int(s) for s in rng.choice(1000, size=2, replace=False))
    runs = []
    for seed in (one, one, two):
        model = compiled(sub, spec, SPARSE, adam(sub, 0.01), from_logits=True)
        losses = fit(sub, model, X, y, epochs=3, batch_size=16, seed=seed, what=f"fit(..., seed={seed})")
        runs.append((losses, predict(sub, model, X, 4)))
    predict(sub, make_model(sub, spec), X, 4, "predict(X) of a new model")
    if sub.helper("global_random_state") != before:
        fail("fit or predict drew from NumPy's global random state (np.random.randn, np.random.shuffle, "
             "np.random.seed, ...): make rng = np.random.default_rng(seed) and draw everything from it.")
    (first, p1), (second, p2), (other, _) = runs
    if not (np.allclose(first, second, rtol=1e-12, atol=0) and np.allclose(p1, p2, rtol=1e-12, atol=0)):
        fail(f"Two fits with seed={one} gave different losses ({expect.show(first)} and {expect.show(second)}) "
             "or predictions: build the weights and shuffle the batches with one "
             "rng = np.random.default_rng(seed).")
    if np.allclose(first, other, rtol=1e-12, atol=0):
        fail(f"fit with seed={one} and seed={two} gave the same losses {expect.show(first)}: the seed "
             "argument is ignored; use np.random.default_rng(seed).")


@exercise.check(points=1, requires=(FORWARD,))
def one_optimizer_step_per_minibatch(sub, rng):
    """fit calls optimizer.step once per mini-batch, the last smaller batch included, and an
    epoch's loss is the mean over all its samples (batches weighted by their size)."""
    m, batch_size, epochs = 10, 4, 2
    X, y = rng.normal(0.0, 1.0, size=(m, 3)), rng.integers(0, 3, size=m)
    recorder = sub.helper("RecordingOptimizer")
    spec = [(3, "linear")]
    model = compiled(sub, spec, SPARSE, recorder, from_logits=True)
    what = f"fit(X, y, epochs={epochs}, batch_size={batch_size}) with {m} samples"
    losses = fit(sub, model, X, y, epochs=epochs, batch_size=batch_size, seed=seed_of(rng), what=what)
    steps = sub.attribute(recorder, "steps")
    if steps != 6:
        reason = {4: "the last, smaller batch (2 samples) was dropped", 2: "one step per epoch instead of "
                  "one per mini-batch", 20: "one step per sample instead of one per mini-batch"}.get(steps, "")
        fail(f"{what} called optimizer.step {steps} times; expected 6 (3 batches of 4, 4 and 2 samples, "
             f"per epoch). {reason}".rstrip())
    for grads in recorded_grads(sub, recorder, 6, what):
        by_shape(grads, shapes(3, spec), what)
    weights = get_weights(sub, model, shapes(3, spec), f"{describe(spec)} after {what}")
    outputs = predict(sub, with_weights(sub, spec, weights), X, 3, "predict(X) of a new model given those weights")
    want = measured_loss(sub, SPARSE, True, outputs, y)
    if not np.allclose(losses, want, rtol=1e-6, atol=1e-9):
        mistake = ("Weight each batch's mean loss by its size: sum(loss_b * len(batch)) / m (the last "
                   "batch has only 2 samples).")
        if np.all(losses > 2 * want):
            mistake = "That is far more than the mean: is a batch's loss the sum over its samples?"
        fail(f"{what}, with an optimizer that changes nothing, reported losses {expect.show(losses)}; "
             f"the mean loss over the {m} samples is {want:.8g} in both epochs. {mistake}")


@exercise.check(points=1, requires=(FORWARD, "one_optimizer_step_per_minibatch"))
def unknown_loss_or_missing_compile_is_an_error(sub, rng):
    """compile with a loss name it does not know ("hinge"), and fit before compile, raise an
    error (any exception is fine) instead of training with something else."""
    X, y = rng.normal(0.0, 1.0, size=(4, 2)), np.array([0.0, 1.0, 1.0, 0.0])
    model, optimizer = make_model(sub, [(1, "linear")]), adam(sub, 0.01)
    if not raises(lambda: sub.method(model, "compile", loss="hinge", optimizer=optimizer)):
        if not raises(lambda: sub.method(model, "fit", X, y, epochs=1, batch_size=2, seed=0)):
            fail("compile(loss=\"hinge\", ...) and the fit after it ran without an error: raise a ValueError "
                 "for a loss name you do not know, so that a typo cannot train with some other loss.")
    model = make_model(sub, [(1, "linear")])
    if not raises(lambda: sub.method(model, "fit", X, y, epochs=1, batch_size=2, seed=0)):
        fail("fit ran on a model that was never compiled, so with no loss and no optimizer: raise an "
             "error (e.g. RuntimeError) that says to call compile first.")


def raises(call):
    try:
        call()
    except StudentError as error:
        if error.not_implemented or error.type == "MissingName":
            raise
        return True
    return False


# ---------------------------------------------------------------- checks: training

@exercise.check(points=1, requires=NETWORK)
def linear_model_reaches_least_squares(sub, rng):
    """A Dense(2, "linear") layer trained with mse and full-batch Adam(0.1) ends at the
    least-squares solution: its predictions equal those of np.linalg.lstsq."""
    # Reference, 50 data sets x inits (also Glorot-uniform, tiny init): worst |diff| 1.6e-5 at 300 epochs.
    m = 40
    X = rng.normal(0.0, 1.0, size=(m, 3))
    Y = X @ rng.normal(0.0, 2.0, size=(3, 2)) + rng.normal(0.0, 2.0, size=2) + rng.normal(0.0, 0.3, size=(m, 2))
    design = np.column_stack([X, np.ones(m)])
    want = design @ np.linalg.lstsq(design, Y, rcond=None)[0]
    model = compiled(sub, [(2, "linear")], MSE, adam(sub, 0.1))
    losses = fit(sub, model, X, Y, epochs=300, batch_size=m, seed=seed_of(rng),
                 what='fit of [Dense(2, "linear")] with mse')
    got = predict(sub, model, X, 2, "predict(X) after the fit")
    error = float(np.max(np.abs(got - want)))
    if error > 0.01:
        change = "fell" if losses[-1] < losses[0] else trend(losses)
        fail(f"After 300 full-batch Adam(0.1) epochs of mse on {m} samples, predictions {expect.show(got)} "
             f"differ from the least-squares fit {expect.show(want)} by up to {error:.3g}; the loss {change} "
             f"from {losses[0]:.4g} to {losses[-1]:.4g} (least squares: {np.mean((want - Y) ** 2):.4g}). "
             "Check the mse gradient's sign and that each step updates the layer's W and b.")


@exercise.check(points=2, requires=NETWORK)
def notes_blobs_example(sub, rng, figures):
    """The notes' example: 4 blobs (make_blobs, random_state=30), Dense(2, "relu") then
    Dense(4, "linear"), sparse cross-entropy from logits, Adam(0.01), 200 epochs: the point
    [4.33, -1.99] is class 3. A 2-unit ReLU layer can stall for an unlucky seed, so three fit
    seeds are tried in turn and one success (with training accuracy >= 0.6) is enough."""
    # Reference, fit seeds 0..49: point right 49/50 (He normal), 49/50 (Xavier), 50/50 (Glorot
    # uniform); training accuracy 0.75-1.0 (median 1.0) whenever the point is right.
    X, y = blobs()
    spec = [(2, "relu"), (4, "linear")]
    tries = []
    for seed in (int(s) for s in rng.choice(1000, size=3, replace=False)):
        model = compiled(sub, spec, SPARSE, adam(sub, 0.01), from_logits=True)
        losses = fit(sub, model, X, y, epochs=200, batch_size=32, seed=seed, what=f"fit(..., seed={seed})")
        point = predict(sub, model, np.array(NOTES_POINT), 4, "predict([[4.33, -1.99]])")
        train = measured_accuracy(sub, y, predict(sub, model, X, 4, "predict(X_train)").argmax(axis=1))
        label = int(np.argmax(point[0]))
        figures[:] = [loss_curve(f"the notes' blobs model, fit(seed={seed}): loss per epoch", losses),
                      decision_regions(f"the notes' blobs model, fit(seed={seed})", X, y,
                                       lambda P: predict(sub, model, P, 4, "predict(grid)").argmax(axis=1))]
        if label == 3 and train >= 0.6:
            return
        tries.append(f"seed {seed}: class {label}, training accuracy {train:.2f}, loss "
                     f"{losses[0]:.3g} -> {losses[-1]:.3g}")
    fail("The notes' blobs model never got [4.33, -1.99] right (class 3) with a training accuracy of "
         "at least 0.6: " + "; ".join(tries) + ". A correct model does for 49 seeds out of 50. Is the "
         "loss falling? The outputs are logits: the class is their argmax.")


def digits_model_accuracy(sub, spec, loss, from_logits, classes, epochs, lr, seed, figures):
    X, y = load_digits("train", classes=classes)
    X_test, y_test = load_digits("test", classes=classes)
    model = compiled(sub, spec, loss, adam(sub, lr), from_logits)
    losses = fit(sub, model, X, y, epochs=epochs, batch_size=32, seed=seed, what=f"fit of {describe(spec)}")
    figures.append(loss_curve(f"{describe(spec)} on the digits: loss per epoch", losses))
    out = predict(sub, model, X_test, spec[-1][0], f"predict(X_test) of {describe(spec)}")
    pred = out.argmax(axis=1) if spec[-1][0] > 1 else (out[:, 0] > 0.5).astype(int)
    return measured_accuracy(sub, y_test, pred), losses


@exercise.check(points=1, requires=NETWORK)
def digits_zero_or_one(sub, rng, figures):
    """Handwritten 0 or 1 with the notes' 25-15-1 network: Dense(25, "relu"), Dense(15, "relu"),
    Dense(1, "sigmoid"), binary cross-entropy and Adam(1e-3), 20 epochs of batches of 32,
    classify at least 98% of the held-out test images right."""
    # Reference, 50 seeds (also Xavier / Glorot-uniform / tiny init / no shuffling): 100% every time.
    spec = [(25, "relu"), (15, "relu"), (1, "sigmoid")]
    acc, losses = digits_model_accuracy(sub, spec, "binary_crossentropy", False, (0, 1), epochs=20, lr=1e-3,
                                        seed=seed_of(rng), figures=figures)
    if acc < 0.98:
        fail(f"{describe(spec)} classified {acc:.1%} of the held-out 0/1 digits right after 20 epochs "
             f"(at least 98% expected; loss {losses[0]:.3g} -> {losses[-1]:.3g}). A sigmoid output is a "
             "probability: the class is 1 where it exceeds 0.5.")


@exercise.check(points=2, requires=NETWORK)
def digits_ten_classes(sub, rng, figures):
    """All ten digits: Dense(25, "relu"), Dense(15, "relu"), Dense(10, "linear") with sparse
    cross-entropy from logits and Adam(1e-3), 30 epochs of batches of 32, classify at least
    90% of the held-out test images right."""
    # Reference, 50 seeds: min 93.9%, median 96.0% (Xavier 93.6%, Glorot-uniform 94.2%, no shuffling
    # 94.4% minimum). Weights of std 0.01 instead of He's init learn too slowly: median 84%, minimum 48%.
    spec = [(25, "relu"), (15, "relu"), (10, "linear")]
    acc, losses = digits_model_accuracy(sub, spec, SPARSE, True, None, epochs=30, lr=1e-3,
                                        seed=seed_of(rng), figures=figures)
    if acc < 0.90:
        fail(f"{describe(spec)} classified {acc:.1%} of the held-out digits right after 30 epochs (at least "
             f"90% expected; loss {losses[0]:.3g} -> {losses[-1]:.3g}). If the loss falls slowly, check the "
             "initialisation: He normal for relu layers (std sqrt(2 / n_in)), not tiny weights.")


# ---------------------------------------------------------------- hidden check

class ParentRecorder:
    """An optimizer for the reference model here: records gradients, changes nothing."""

    def __init__(self):
        self.grads = []

    def step(self, params, grads):
        self.grads.append({k: np.array(v, dtype=float) for k, v in grads.items()})


REFERENCE_CASES = [
    (3, "softmax", MSE, False), (1, "sigmoid", MSE, False), (2, "leaky_relu", MSE, False),
    (3, "linear", SPARSE, True), (3, "softmax", SPARSE, False), (1, "tanh", MSE, False),
    (1, "linear", "binary_crossentropy", True), (1, "sigmoid", "binary_crossentropy", False),
]


@exercise.check(points=2, hidden=True, requires=(FORWARD,))
def one_layer_training_matches_reference(sub, ref, rng):
    """For one Dense layer of each activation and loss, from the same weights, the loss, the
    gradients and four more epochs of full-batch Adam agree with the reference."""
    optimizers = importlib.import_module(ref.__package__ + ".optimizers")
    m, n = 12, 3
    for units, activation, loss, from_logits in REFERENCE_CASES:
        X = rng.normal(0.0, 1.0, size=(m, n))
        y = targets(rng, loss, units, m)
        if loss == MSE and activation in ("sigmoid", "softmax"):
            y = rng.uniform(0.05, 0.95, size=(m, units))
        spec = [(units, activation)]
        weights = random_weights(rng, n, spec)
        reported, grads, what = first_step(sub, spec, weights, loss, from_logits, X, y, seed_of(rng))
        twin = ref.Sequential([ref.Dense(units, activation=activation)])
        twin.set_weights(weights)
        recorder = ParentRecorder()
        twin.compile(loss, recorder, from_logits=from_logits)
        want = twin.fit(X, y, epochs=1, batch_size=m, seed=0)["loss"][0]
        expect.close_number(reported, want, f"fit's first loss for {what}", rtol=1e-7)
        for got, key in zip(grads, ("W1", "b1")):
            expect.close(got, recorder.grads[0][key], f"The gradient of {key[0]} for {what}", rtol=1e-6, atol=1e-10)

        model = with_weights(sub, spec, weights, loss, adam(sub, 0.05), from_logits)
        losses = fit(sub, model, X, y, epochs=4, batch_size=m, seed=1, what=f"a second fit of {what}")
        twin.set_weights(weights)
        twin.compile(loss, optimizers.Adam(0.05), from_logits=from_logits)
        want_losses = twin.fit(X, y, epochs=4, batch_size=m, seed=1)["loss"]
        expect.close(losses, np.array(want_losses), f"the losses of 4 epochs of Adam(0.05) for {what}",
                     rtol=1e-6)
        expect.close(predict(sub, model, X, units), twin.predict(X), f"predict(X) after them for {what}",
                     rtol=1e-6, atol=1e-9)
