"""How a check is declared: an exercise, and one small function per check.

    exercise = Exercise("softmax", "Softmax", hints=[...])

    @exercise.check(points=2)
    def rows_sum_to_one(sub):
        '''Softmax turns each row of logits into a probability distribution.'''
        ...
        fail("rows sum to ... : did you normalise over the wrong axis?")

A check function names what it needs as parameters: ``sub`` (the student's code, run in
its own process), ``rng`` (a NumPy Generator seeded from the check's name and ``--seed``),
``figures`` (a list to append plain-data figures to, drawn by the HTML report) and, for
hidden checks, ``ref`` (the reference module, trusted, in this process). It passes by
returning and fails by raising :class:`CheckFailed` (``fail(message)``).

No free points: a property (a shape, reproducibility, inputs left alone, "rejects unknown
names", ...) is worth something only for a function that does the minimum that makes the
property meaningful. Two ways to say so:

    @exercise.check(points=1, requires=("relu_known_values",))   # another check must pass
    def relu_leaves_its_input_alone(sub): ...

    if np.all(W == 0):                                          # a minimum checked inline
        not_judged("he_normal returns no random weights yet; see he_normal_has_he_variance")

Either way the check earns 0 and its message starts with "not judged:", so the student
reads the real mistake in the check it points to. ``timeout=`` gives a check its own time
budget in seconds (None: the engine's default per check).

Figures are dicts of plain data, one of:
    {"kind": "loss_curve", "title": str, "values": [float, ...]}
    {"kind": "decision_regions", "title": str, "X": (m, 2) array, "y": (m,) ints,
     "xs": (gx,) array, "ys": (gy,) array, "predictions": (gy, gx) ints}
    {"kind": "histogram", "title": str, "values": 1-D array, "std": float}  (target normal)
The docstring is what the student reads about the check.
"""

import inspect
import zlib
from dataclasses import dataclass, field

import numpy as np


class CheckFailed(Exception):
    """The student's code did not do what the check expects; the message says why."""


class NotJudged(CheckFailed):
    """The property cannot be judged: the function does not yet do the minimum it needs."""


def fail(message):
    raise CheckFailed(message)


def not_judged(message):
    raise NotJudged(f"not judged: {message}")


@dataclass
class Check:
    name: str
    points: float
    function: object
    hidden: bool = False
    requires: tuple = ()
    timeout: float = None

    @property
    def description(self):
        return inspect.cleandoc(self.function.__doc__ or "").split("\n\n")[0].replace("\n", " ")

    def rng(self, seed):
        return np.random.default_rng([zlib.crc32(self.name.encode()), seed])

    def run(self, sub, seed, ref=None, figures=None):
        wanted = inspect.signature(self.function).parameters
        available = {"sub": sub, "rng": self.rng(seed), "ref": ref,
                     "figures": figures if figures is not None else []}
        self.function(**{name: available[name] for name in wanted})


@dataclass
class Exercise:
    """One exercise module (``module``.py) and its checks, in the order they run."""

    module: str
    title: str
    hints: list = field(default_factory=list)
    timeout: float = 10.0
    checks: list = field(default_factory=list)

    def check(self, points, hidden=False, requires=(), timeout=None):
        def register(function):
            known = {check.name for check in self.checks}
            unknown = [name for name in requires if name not in known]
            if unknown:
                raise ValueError(f"{function.__name__} requires {unknown}: declare those checks first")
            self.checks.append(Check(function.__name__, points, function, hidden, tuple(requires), timeout))
            return function

        return register

    @property
    def max_points(self):
        return sum(check.points for check in self.checks)

    @property
    def visible_points(self):
        return sum(check.points for check in self.checks if not check.hidden)
