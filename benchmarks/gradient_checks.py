"""Gradient checks: coordinate-wise central differences against random directions.

Coordinate-wise (``grader.checks.gradients.numeric_gradient``) nudges one entry at a
time: 2 evaluations of f per entry, 2n for a gradient of n entries, and it says which
entry is wrong. A directional check compares, for k random unit directions d, the
central difference (f(x + h d) - f(x - h d)) / 2h with grad . d: 2k evaluations whatever
n, and it misses a wrong gradient only if the error is orthogonal to every d.

This benchmark measures both on the curriculum's gradient functions (cost: evaluations
and time per check, in this process and through a real child process) and their power:
the fraction of random trials in which each buggy gradient from the tests' BUGS tables
is caught.
"""

import copy
import importlib.util
import re
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader import grading
from grader.checks import backprop as backprop_checks
from grader.checks.gradients import STEP, numeric_gradient, rel_error
from grader.engine.process import ChildProcess
from grader.engine.student import StudentCode
from grader.engine.workspace import Workspace
from grader.submission import Reference, Submission

from . import ROOT, SOLUTIONS
from .measure import Section, Table, measure

TESTS = ROOT / "tests"
DIRECTIONS = (1, 2, 4, 8)


# -- the directional check (the helper this benchmark recommends for gradients.py) ------

def directional_check(f, x, grad, rng, directions=4, h=STEP):
    """Largest relative error between grad . d and (f(x + h d) - f(x - h d)) / 2h over
    ``directions`` random unit directions d: 2 evaluations of f per direction."""
    units = rng.standard_normal((directions,) + np.shape(x))
    return max(directional_errors(f, x, grad, units, h))


def directional_errors(f, x, grad, directions, h=STEP):
    """The relative error along each of ``directions`` (an array of them, normalised here)."""
    errors = []
    for d in directions:
        d = d / np.linalg.norm(d)
        numeric = (f(x + h * d) - f(x - h * d)) / (2 * h)
        errors.append(rel_error(float(np.sum(grad * d)), numeric))
    return errors


# -- the gradients under test -------------------------------------------------------------

class WrongShape(Exception):
    """The function returned gradients that do not fit the parameters: shape checks catch it first."""


@dataclass
class Problem:
    """A scalar function of some arrays and the gradient a module computes for it.

    ``make(rng) -> (parts, context)``; ``value(module, parts, context) -> float``;
    ``gradient(module, parts, context) -> [array per part]``. ``module`` is a loaded module
    or a :class:`StudentCode` (the same calls then run in a child process).
    """

    label: str
    module: str
    exposes: tuple          # "module.function" targets whose bugs this problem can show
    make: object
    value: object
    gradient: object
    threshold: float = 1e-6
    coordinate_error: object = rel_error

    def size(self, rng):
        return sum(np.size(part) for part in self.make(rng)[0])


def activation_problem(name):
    def make(rng):
        z = rng.normal(0.0, 2.0, size=(4, 5))
        return [z + 0.01 * np.sign(z)], None  # away from relu's kink

    return Problem(f"sum({name}(z)), z (4, 5)", "activations", (f"activations.{name}_grad",), make,
                   lambda mod, parts, _: float(np.sum(getattr(mod, name)(parts[0]))),
                   lambda mod, parts, _: [getattr(mod, f"{name}_grad")(parts[0])])


def softmax_ce_problem():
    return Problem("softmax_cross_entropy_with_logits(y, Z), Z (3, 4)", "losses",
                   ("losses.softmax_cross_entropy_grad",),
                   lambda rng: ([rng.normal(0.0, 1.0, size=(3, 4))], np.array([1, 0, 3])),
                   lambda mod, parts, y: float(mod.softmax_cross_entropy_with_logits(y, parts[0])),
                   lambda mod, parts, y: [mod.softmax_cross_entropy_grad(y, parts[0])])


def mse_problem():
    return Problem("mean_squared_error(y, y_hat), y_hat (3, 2)", "losses", ("losses.mean_squared_error_grad",),
                   lambda rng: ([rng.normal(size=(3, 2))], rng.normal(size=(3, 2))),
                   lambda mod, parts, y: float(mod.mean_squared_error(y, parts[0])),
                   lambda mod, parts, y: [mod.mean_squared_error_grad(y, parts[0])])


def logistic_problem():
    def make(rng):
        X = rng.normal(size=(6, 3))
        y = rng.permutation(np.resize([0.0, 1.0], 6))
        return [rng.normal(0.0, 0.7, size=3), np.array(rng.normal(0.0, 0.5))], (X, y)

    def gradient(mod, parts, context):
        _, dw, db = mod.logistic_loss_and_grads(*context, parts[0], float(parts[1]))
        return [dw, db]

    return Problem("logistic loss of (w, b), X (6, 3)", "logistic", ("logistic.logistic_loss_and_grads",), make,
                   lambda mod, parts, context: float(mod.logistic_loss_and_grads(*context, parts[0],
                                                                                  float(parts[1]))[0]),
                   gradient)


def dense_problem():
    def make(rng):
        return [rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)], rng.normal(size=(4, 5))

    def value(mod, parts, dZ):
        X, W, b = parts
        return float(np.sum(dZ * (X @ W + b)))

    return Problem("sum(dZ * (X @ W + b)) of (X, W, b), dZ (4, 5)", "backprop", ("backprop.dense_backward",),
                   make, value, lambda mod, parts, dZ: list(mod.dense_backward(dZ.copy(), *parts[:2])))


def mlp_problem(sizes, activation, m, exposes=("backprop.mlp_loss_and_grads", "backprop.dense_backward")):
    keys = [f"{kind}{l}" for l in range(1, len(sizes)) for kind in "Wb"]

    def make(rng):
        params, X, y = backprop_checks.problem(rng, sizes, m=m, activation=activation)
        return [params[key] for key in keys], (X, y)

    def call(mod, parts, context):
        return mod.mlp_loss_and_grads(dict(zip(keys, parts)), *context, hidden_activation=activation)

    def gradient(mod, parts, context):
        grads = call(mod, parts, context)[1]
        if set(grads) != set(keys):
            raise WrongShape(f"grads keyed {sorted(grads)}")
        return [grads[key] for key in keys]

    return Problem(f"mlp loss, {'-'.join(map(str, sizes))} {activation}, m={m}", "backprop", exposes, make,
                   lambda mod, parts, context: float(call(mod, parts, context)[0]), gradient,
                   threshold=backprop_checks.NUMERIC_THRESHOLD, coordinate_error=backprop_checks.numeric_error)


def problems():
    return [*(activation_problem(name) for name in ("sigmoid", "relu", "leaky_relu", "tanh")),
            softmax_ce_problem(), mse_problem(), logistic_problem(), dense_problem(),
            mlp_problem([4, 6, 3], "relu", 3), mlp_problem([4, 5, 6, 3], "tanh", 5)]


def digits_mlp_problem():
    """The curriculum's digits network at batch 32: the size where coordinate-wise hurts."""
    return mlp_problem([64, 25, 15, 10], "relu", 32, exposes=())


# -- one check of each kind -------------------------------------------------------------

def flatten(parts):
    return np.concatenate([np.ravel(part) for part in parts]).astype(np.float64)


def unflatten(vector, like):
    parts, start = [], 0
    for part in like:
        parts.append(vector[start:start + np.size(part)].reshape(np.shape(part)))
        start += np.size(part)
    return parts


def scalar_function(problem, module, parts, context):
    return lambda vector: problem.value(module, *copy.deepcopy((unflatten(vector, parts), context)))


def analytic_gradient(problem, module, parts, context):
    grads = problem.gradient(module, *copy.deepcopy((parts, context)))  # a child gets copies too
    if len(grads) != len(parts) or any(np.shape(g) != np.shape(p) for g, p in zip(grads, parts)):
        raise WrongShape(f"shapes {[np.shape(g) for g in grads]}, expected {[np.shape(p) for p in parts]}")
    return flatten(grads)


def coordinate_check(problem, module, parts, context):
    """The grader's way: every entry nudged in turn; returns the error as the grader measures it."""
    grad = analytic_gradient(problem, module, parts, context)
    numeric = numeric_gradient(scalar_function(problem, module, parts, context), flatten(parts))
    return problem.coordinate_error(grad, numeric)


def directional_trial(problem, module, parts, context, directions):
    grad = analytic_gradient(problem, module, parts, context)
    return directional_errors(scalar_function(problem, module, parts, context), flatten(parts), grad, directions)


# -- power: how often each bug is caught ------------------------------------------------

def curriculum_bugs():
    """``{label: (target, code)}`` from every ``BUGS`` table in tests/test_checks_*.py."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))  # the test modules import their conftest
    bugs = {}
    for path in sorted(TESTS.glob("test_checks_*.py")):
        spec = importlib.util.spec_from_file_location(f"nnlab_benchmark_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        bugs.update({label: entry[:2] for label, entry in getattr(module, "BUGS", {}).items()})
    return bugs


def buggy_module(target, code, folder):
    """The reference module of ``target`` with that function replaced by ``code``."""
    from conftest import write_submission

    return Reference(write_submission(folder, replacements={target: code})).module(target.split(".")[0])


def catch_rates(problems_, module, trials, seed):
    """``{"coordinate": fraction, k: fraction}``, or ``{"before": why}`` when the function raises
    or returns gradients of the wrong shape: other checks catch that before any comparison."""
    caught = {"coordinate": 0, **{k: 0 for k in DIRECTIONS}}
    for trial in range(trials):
        rng = np.random.default_rng([seed, trial])
        coordinate, directional = False, [False] * max(DIRECTIONS)
        for problem in problems_:
            parts, context = problem.make(rng)
            try:
                coordinate |= coordinate_check(problem, module, parts, context) > problem.threshold
                units = rng.standard_normal((max(DIRECTIONS), int(sum(np.size(p) for p in parts))))
                errors = directional_trial(problem, module, parts, context, units)
            except Exception as error:  # noqa: BLE001 -- a crash or a shape: caught before any comparison
                return {"before": f"{type(error).__name__}: {error}"[:120]}
            directional = [seen or error > problem.threshold for seen, error in zip(directional, errors)]
        caught["coordinate"] += coordinate
        for k in DIRECTIONS:
            caught[k] += any(directional[:k])
    return {key: count / trials for key, count in caught.items()}


def power_table(settings):
    table = Table(["bug (from the tests)", "function", "n", "coordinate-wise (2n evaluations)",
                   *(f"k={k} ({2 * k} evaluations)" for k in DIRECTIONS)],
                  title=f"Power: fraction of {settings.trials} random trials in which the bug is caught")
    reference = Reference(SOLUTIONS)
    for problem in problems():
        table.rows.append(power_row("the reference (false alarms)", problem.label, [problem],
                                    reference.module(problem.module), settings.trials))
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-bugs-") as scratch:
        for label, (target, code) in sorted(curriculum_bugs().items()):
            chosen = [problem for problem in problems() if target in problem.exposes]
            if chosen:
                module = buggy_module(target, code, Path(scratch) / re.sub(r"\W+", "_", label))
                table.rows.append(power_row(label, f"`{target}`", chosen, module, settings.trials))
    return table


def power_row(label, function, problems_, module, trials):
    n = sum(problem.size(np.random.default_rng(0)) for problem in problems_)
    rates = catch_rates(problems_, module, trials, zlib.crc32(label.encode()))
    if "before" in rates:
        return [label, function, n, f"caught before any comparison ({rates['before']})"] + [""] * len(DIRECTIONS)
    return [label, function, n] + [f"{rates[key]:.0%}" for key in ("coordinate", *DIRECTIONS)]


# -- cost: evaluations and time per check ------------------------------------------------

def cost_table(settings):
    table = Table(["function checked", "n", "coordinate-wise: evaluations", "time", "through a child",
                   "directional k=4: evaluations", "time", "through a child"],
                  title="Cost of one check on the reference (time per check: median of the runs)")
    reference = Reference(SOLUTIONS)
    children = {}
    try:
        for problem in problems() + ([] if settings.quick else [digits_mlp_problem()]):
            if problem.module not in children:
                children[problem.module] = start_reference_child(problem.module)
            table.rows.append(cost_row(problem, reference.module(problem.module),
                                       StudentCode(children[problem.module][0]), settings))
    finally:
        for child, workspace in children.values():
            child.close()
            workspace.remove()
    return table


def cost_row(problem, module, sub, settings):
    rng = np.random.default_rng(0)
    parts, context = problem.make(rng)
    n = int(sum(np.size(p) for p in parts))
    units = rng.standard_normal((4, n))
    repeats = settings.repeats if n < 1000 else 1
    row = [problem.label, n]
    for evaluations, check in [(2 * n, lambda target: coordinate_check(problem, target, parts, context)),
                               (8, lambda target: directional_trial(problem, target, parts, context, units))]:
        row += [evaluations, measure(lambda: check(module), repeats).show("ms"),
                measure(lambda: check(sub), repeats).show("ms")]
    return row


def start_reference_child(module):
    """A child process that imported the reference's ``module``, as grading starts one."""
    submission = Submission(SOLUTIONS, grading.exercise_names())
    names = grading.exercise_names()
    workspace, _ = Workspace.create(module, names[:names.index(module)], submission, Reference(SOLUTIONS))
    return ChildProcess(workspace, module, time.monotonic() + 600), workspace


def run(settings):
    section = Section("Gradient checks: coordinate-wise vs random directions")
    section.tables = [cost_table(settings), power_table(settings)]
    section.notes += [
        f"h = {STEP:g}; a check fails when the relative error |a - n| / (|a| + |n|) exceeds the grader's "
        f"threshold for that function (1e-6; {backprop_checks.NUMERIC_THRESHOLD:g} for the MLP, measured as "
        "the grader's `numeric_error`). Directions are standard normal, normalised; k=1, 2, 4, 8 use the "
        "first k of the same 8 directions.",
        "Each trial draws a new point (and for MLP bugs, both networks, relu and tanh: caught if either "
        "check fails). Bugs that give the right gradient values (a dtype, a value only at the kink z = 0, "
        "an input modified in place) are caught by other checks, not by any gradient check: 0% for both.",
        "Coordinate-wise false alarms on the reference, when any, come from entries whose gradient is tiny "
        "(tanh'(z) is 3e-6 at |z| = 7): there the difference quotient's rounding error exceeds 1e-6 of the "
        "entry. The MLP check's `numeric_error` floors the denominator for this reason; a directional "
        "check compares one sum over the entries and does not see it.",
        "Through a child = the same check with every evaluation sent to a child process running the "
        "reference (sandbox off), as grading does.",
    ]
    return section
