"""Formulas: what a check computes the way an exercise asks, baked for the student's copy.

A check that needs the right answer (or a classic wrong one) computes it with a function
marked ``@formula``::

    @formula
    def expected_softmax(z, axis=-1):
        ...

In the instructor's copy the decorator just calls the function. ``nnlab release`` runs
the visible checks against the reference solutions with a recorder on (:func:`recording`):
every outermost call of a formula during check C is kept as (formula, inputs, output).
The records ship as data (``baked/<exercise>.json.gz``) and the body of every formula in
the shipped check modules is removed; there, the decorator looks the call up among the
records of the running check: same formula, inputs equal within a tight tolerance (so
another BLAS or CPU still matches). A call the release did not bake (inputs that depend
on the student's results, or a ``--seed`` other than the baked one) is not judged, and
says why; it never crashes and never gives points.
"""

import base64
import contextvars
import copy
import functools
import gzip
import inspect
import json
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import core
from .core import NotJudged, running

TABLES = Path(__file__).with_name("baked")
BAKED = False  # True in the student's copy (the release rewrites this line)
RTOL, ATOL = 1e-9, 1e-12  # inputs are the check's own draws: equal up to rounding

_depth = contextvars.ContextVar("depth", default=0)
_recorder = None
_lock = threading.Lock()


class Unbaked(NotJudged):
    """A formula was asked about inputs the student's copy holds no answer for."""


def formula(function):
    """Mark ``function`` as computing what an exercise asks (see the module docstring)."""
    signature = inspect.signature(function)
    name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__qualname__}"

    @functools.wraps(function)
    def call(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if BAKED:
            return look_up(name, dict(bound.arguments))
        recorded = _recorder is not None and _depth.get() == 0 and running.get() is not None
        inputs = encode(dict(bound.arguments)) if recorded else None  # before the call can change them
        token = _depth.set(_depth.get() + 1)
        try:
            value = function(*args, **kwargs)
        finally:
            _depth.reset(token)
        if recorded:
            record(name, inputs, value)
        return value

    call.formula = name
    return call


# -- recording (the release) -----------------------------------------------------------

SAMPLES = 6  # calls kept per contract function, for the release's paste attack


@contextmanager
def recording():
    """Record every formula call of every check run inside, and a few of the calls checks
    make to the student's functions; yields ``(formulas, samples)``: ``{(module, check):
    {"seed", "calls"}}`` and ``{(module, function): [(args, kwargs) as JSON data]}``."""
    global _recorder
    _recorder, samples = {}, {}
    core.watch_sub = lambda sub: WatchedSub(sub, samples)
    try:
        yield _recorder, samples
    finally:
        _recorder, core.watch_sub = None, None


class WatchedSub:
    """The student's code as a check sees it, keeping the plain-data calls it is asked."""

    def __init__(self, sub, samples):
        self._sub, self._samples = sub, samples

    def run(self, target, args=(), kwargs=None, **options):
        if isinstance(target, str) and options.get("method") is None:
            self.keep(target, args, kwargs or {})
        return self._sub.run(target, args, kwargs, **options)

    def keep(self, target, args, kwargs):
        try:
            call = [encode(list(args)), encode(dict(kwargs))]
        except TypeError:  # a handle or an object: no use to the paste attack
            return
        module = running.get()[0]
        with _lock:
            kept = self._samples.setdefault((module, target), [])
            if len(kept) < SAMPLES and call not in kept:
                kept.append(call)

    def call(self, target, *args, **kwargs):
        return self.run(target, args, kwargs).value

    def method(self, handle, name, *args, **kwargs):
        return self.run(handle, args, kwargs, method=name).value

    def helper(self, name, *args):
        return self._sub.helper(name, *args)

    def attribute(self, handle, name):
        return self._sub.attribute(handle, name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)


def record(name, inputs, output):
    """Keep one call of formula ``name`` (``inputs`` already encoded) for the running check."""
    module, check, seed = running.get()
    entry = {"formula": name, "inputs": inputs, "output": encode(output)}
    with _lock:
        _recorder.setdefault((module, check), {"seed": seed, "calls": []})["calls"].append(entry)


def table_bytes(records, module):
    """The baked data of exercise ``module``: deterministic bytes (gzip without a date)."""
    checks = {check: entry for (owner, check), entry in sorted(records.items()) if owner == module}
    text = json.dumps({"exercise": module, "checks": checks}, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


# -- looking up (the student's copy) -----------------------------------------------------

@functools.lru_cache(maxsize=None)
def table(module):
    """``{check: {"seed", "calls": [{"formula", "inputs", "output"}]}}`` of exercise ``module``, decoded."""
    path = TABLES / f"{module}.json.gz"
    try:
        checks = json.loads(gzip.decompress(path.read_bytes()))["checks"]
        return {check: {"seed": entry["seed"], "calls": [{"formula": call["formula"], "inputs": decode(call["inputs"]),
                                                          "output": decode(call["output"])} for call in entry["calls"]]}
                for check, entry in checks.items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Unbaked(f"not judged: this copy of the grader has no usable baked data for {module} "
                      f"({path.name}: {error}); release the student's copy again") from None


def look_up(name, inputs):
    where = running.get()
    if where is None:
        raise Unbaked(f"not judged: {name} only answers inside a check of the student's copy")
    module, check, seed = where
    entry = table(module).get(check, {"seed": seed, "calls": []})
    for call in entry["calls"]:
        if call["formula"] == name and same(call["inputs"], inputs):
            return copy.deepcopy(call["output"])  # the caller may change it
    raise Unbaked(unbaked_message(entry.get("seed"), seed))


def unbaked_message(baked_seed, seed):
    if baked_seed is not None and seed != baked_seed:
        return (f"not judged: the expected values in your copy of the grader were computed for "
                f"--seed {baked_seed}, not --seed {seed}; grade with --seed {baked_seed} (or without "
                "--seed). Your instructor's grader judges any seed.")
    return ("not judged: your copy of the grader holds the expected values for the inputs this check "
            "makes itself, and this step asked about others, made from your own results (they differ "
            "from the reference's). Your instructor's grader judges it.")


def same(baked, given):
    """``baked`` equals ``given`` (plain data): arrays and floats within tolerance, the rest exactly."""
    if isinstance(baked, np.ndarray) or isinstance(given, np.ndarray):
        try:
            given_array = np.asarray(given)
        except Exception:  # noqa: BLE001 -- not array-like: not the same
            return False
        baked = np.asarray(baked)
        if baked.shape != given_array.shape or baked.dtype.kind != given_array.dtype.kind:
            return False
        if baked.dtype.kind in "fc":
            return bool(np.allclose(baked, given_array, rtol=RTOL, atol=ATOL, equal_nan=True))
        return bool(np.array_equal(baked, given_array))
    if isinstance(baked, float) or isinstance(given, float):
        if isinstance(baked, bool) or isinstance(given, bool) or not all(
                isinstance(v, (int, float)) for v in (baked, given)):
            return False
        return bool(np.isclose(baked, given, rtol=RTOL, atol=ATOL, equal_nan=True))
    if isinstance(baked, (list, tuple)):
        return (isinstance(given, (list, tuple)) and type(baked) is type(given) and len(baked) == len(given)
                and all(same(a, b) for a, b in zip(baked, given)))
    if isinstance(baked, dict):
        return (isinstance(given, dict) and list(baked) == list(given)
                and all(same(baked[k], given[k]) for k in baked))
    return type(baked) is type(given) and baked == given


# -- plain data as JSON ------------------------------------------------------------------

def encode(value):
    """``value`` (arrays, numbers, strings, None, lists, tuples, dicts) as JSON data."""
    if isinstance(value, np.ndarray):
        array = np.asarray(value, order="C")
        if array.dtype.kind not in "biufc":
            raise TypeError(f"cannot bake an array of dtype {array.dtype}")
        return {"$array": array.dtype.str, "shape": list(array.shape),
                "data": base64.b64encode(array.tobytes()).decode()}
    if isinstance(value, np.generic):
        return {"$scalar": encode(np.asarray(value))}
    if isinstance(value, float) and not np.isfinite(value):
        return {"$float": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot bake a {type(value).__name__}: a formula takes and returns plain data")


def decode(data):
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "$array" in data:
        raw = base64.b64decode(data["data"])
        return np.frombuffer(raw, dtype=np.dtype(data["$array"])).reshape(tuple(data["shape"])).copy()
    if "$scalar" in data:
        return decode(data["$scalar"])[()]
    if "$float" in data:
        return float(data["$float"])
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    return {decode(k): decode(v) for k, v in data["$dict"]}
