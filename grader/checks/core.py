"""How a check is declared: an exercise, and one small function per check.

    exercise = Exercise("softmax", "Softmax", hints=["a nudge", Hint("the idea", helps=("rows_sum_to_one",))])

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

The hints are a ladder, from a nudge to the idea to the formula, never the code; a hint
may name the checks it helps with (``helps``), and ``exercise.hint_for(check_name)``
finds the one that fits a failing check.
"""

import contextvars
import inspect
import zlib
from dataclasses import dataclass, field

import numpy as np


running = contextvars.ContextVar("running", default=None)  # (exercise module, check name, seed)
watch_sub = None  # the release sets it to see the calls a check makes (see baked.recording)


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
    exercise: str = ""

    @property
    def description(self):
        return inspect.cleandoc(self.function.__doc__ or "").split("\n\n")[0].replace("\n", " ")

    def rng(self, seed):
        return np.random.default_rng([zlib.crc32(self.name.encode()), seed])

    def run(self, sub, seed, ref=None, figures=None):
        wanted = inspect.signature(self.function).parameters
        available = {"sub": watch_sub(sub) if watch_sub else sub, "rng": self.rng(seed), "ref": ref,
                     "figures": figures if figures is not None else []}
        token = running.set((self.exercise, self.name, seed))
        try:
            self.function(**{name: available[name] for name in wanted})
        finally:
            running.reset(token)


# -- hints -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hint:
    """One rung of an exercise's hint ladder, and the checks it helps with, by name."""

    text: str
    helps: tuple = ()


def hint_ladder(hints):
    """The hints as :class:`Hint` objects (a plain string helps no check in particular)."""
    ladder = [hint if isinstance(hint, Hint) else Hint(hint) for hint in hints]
    named = [name for hint in ladder for name in hint.helps]
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        raise ValueError(f"a check is helped by one hint only; named more than once: {', '.join(twice)}")
    return ladder


# -- exercises -----------------------------------------------------------------------------

@dataclass
class Exercise:
    """One exercise module (``module``.py) and its checks, in the order they run.

    ``hints`` may mix strings and :class:`Hint` entries; once made, ``hints`` holds their
    texts (what ``nnlab hint`` shows) and ``ladder`` the Hint entries themselves.
    """

    module: str
    title: str
    hints: list = field(default_factory=list)
    timeout: float = 10.0
    checks: list = field(default_factory=list)

    def __post_init__(self):
        self.ladder = hint_ladder(self.hints)
        self.hints = [hint.text for hint in self.ladder]

    def hint_for(self, check_name):
        """``(level, text)`` of the hint that helps with ``check_name`` (level 1 is the
        first hint), or None when no hint names that check."""
        for level, hint in enumerate(self.ladder, start=1):
            if check_name in hint.helps:
                return level, hint.text
        return None

    def check(self, points, hidden=False, requires=(), timeout=None):
        def register(function):
            known = {check.name for check in self.checks}
            unknown = [name for name in requires if name not in known]
            if unknown:
                raise ValueError(f"{function.__name__} requires {unknown}: declare those checks first")
            self.checks.append(Check(function.__name__, points, function, hidden, tuple(requires), timeout,
                                     self.module))
            return function

        return register

    @property
    def max_points(self):
        return sum(check.points for check in self.checks)

    @property
    def visible_points(self):
        return sum(check.points for check in self.checks if not check.hidden)
