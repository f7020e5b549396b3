"""Assertions for checks, with failure messages that say what came back and why.

Every value from the student's process is untrusted plain data: these helpers validate
its type, dtype, shape and finiteness first, so a check never compares a None, a string
or a NaN by accident.
"""

import numpy as np

from ..engine.protocol import Handle
from .core import fail


def show(value, limit=6):
    """A short, readable rendering of a value for a failure message."""
    if isinstance(value, np.ndarray):
        flat = value.ravel()
        text = np.array2string(flat[:limit], precision=6, separator=", ", suppress_small=True)
        if flat.size > limit:
            text = text[:-1] + ", ...]"
        return text if value.ndim <= 1 else f"{text} (shape {value.shape}, first values)"
    if isinstance(value, float):
        return f"{value:.8g}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def kind_of(value):
    if value is None:
        return "None (a missing `return`?)"
    if isinstance(value, Handle):
        return f"a {value.type_name} object"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__} ({show(value)})"


def float_array(value, what, shape=None, finite=True, dtype=np.float64):
    """``value`` as a float ndarray of ``shape``, or a failure naming ``what``.

    ``dtype`` is the float type the contract promises (float64 in, float64 out); None
    accepts any float type."""
    if isinstance(value, np.generic) and shape is not None and tuple(shape) != ():
        fail(f"{what} returned a single number ({show(value.item())}); expected an array of shape "
             f"{tuple(shape)}. A reduction (np.max, np.sum, ...) without axis= collapses the "
             "whole array to one value.")
    if not isinstance(value, np.ndarray):
        advice = " Return a NumPy array (np.asarray(...))." if isinstance(value, (list, tuple)) else ""
        fail(f"{what} should return a NumPy float array, got {kind_of(value)}.{advice}")
    if value.dtype.kind != "f":
        fail(f"{what} returned an array of dtype {value.dtype}; expected floats "
             "(integer arrays round every value, use float arithmetic or .astype(float))")
    if dtype is not None and value.dtype != dtype:
        fail(f"{what} returned {value.dtype} values; float64 input must give {np.dtype(dtype)} "
             f"output (a {value.dtype} constant or astype somewhere loses precision).")
    if shape is not None and value.shape != tuple(shape):
        fail(f"{what} returned shape {value.shape}; expected {tuple(shape)}")
    if finite and not np.all(np.isfinite(value)):
        bad = "nan" if np.isnan(value).any() else "inf"
        fail(f"{what} returned {bad} values: {show(value)}")
    return value.astype(np.float64)


def number(value, what, finite=True):
    """A single float: a Python number or a NumPy scalar / 0-d array."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.ndim <= 1 and value.dtype.kind in "fiu":
        value = value.item()
    if isinstance(value, np.floating) and value.dtype != np.float64:
        fail(f"{what} returned a {value.dtype} number ({show(float(value))}); float64 input must give a "
             f"float64 result (a {value.dtype} constant or astype somewhere loses precision).")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = ""
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            hint = " (one value per sample? the loss is the mean over samples)"
        fail(f"{what} should return one number, got {kind_of(value)}{hint}")
    value = float(value)
    if finite and not np.isfinite(value):
        fail(f"{what} returned {value}")
    return value


def close(got, want, what, rtol=1e-6, atol=1e-8, mistake="", candidates=()):
    """``got`` equals ``want`` elementwise within tolerance.

    When it does not, the message names the mistake: the first of ``candidates`` (pairs of
    an array a classic wrong variant returns and the explanation of that mistake) that
    ``got`` matches, or a constant factor between ``got`` and ``want``; failing those, it
    says where the first difference is, followed by ``mistake`` (a likely cause) if given.
    """
    want = np.asarray(want, dtype=np.float64)
    got = float_array(got, what, want.shape, finite=bool(np.all(np.isfinite(want))))
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return got
    message = f"{what} returned {show(got)}; expected {show(want)}."
    fail(f"{message} {diagnosis(got, want, candidates, rtol, atol, mistake)}".strip())


def diagnosis(got, want, candidates=(), rtol=1e-6, atol=1e-8, mistake=""):
    """The mistake ``got`` shows, or where it first differs from ``want`` and ``mistake``."""
    named = matching_variant(got, candidates, rtol, atol)
    if named:
        return named
    factor = constant_factor(got, want)
    if factor is not None:
        return (f"Every value is {factor:.4g} times the expected one: a constant factor is "
                "missing or extra (a 1/m, a 2, a sum instead of a mean?).")
    return f"{first_difference(got, want, rtol, atol)} {mistake}".strip()


def matching_variant(got, candidates, rtol=1e-6, atol=1e-8):
    """The explanation of the first of ``candidates`` (variant, explanation) ``got`` matches
    (nan where it has nan), or ""."""
    for variant, explanation in candidates:
        variant = np.asarray(variant, dtype=np.float64)
        if variant.shape == got.shape and np.allclose(got, variant, rtol=max(rtol, 1e-6), atol=atol,
                                                      equal_nan=True):
            return explanation
    return ""


def constant_factor(got, want):
    """c when ``got`` is c * ``want`` (c not 1 or 0) for every element, else None."""
    mask = np.abs(want) > 1e-12
    if not mask.any() or not np.all(np.isfinite(got)) or np.any(np.abs(got[~mask]) > 1e-12):
        return None
    ratios = got[mask] / want[mask]
    c = float(np.median(ratios))
    if abs(c) < 1e-9 or abs(c - 1) < 1e-6 or not np.allclose(ratios, c, rtol=1e-6):
        return None
    return c


def first_difference(got, want, rtol=1e-6, atol=1e-8):
    """"First difference at index (1, 2): got 0.25, expected 0.5." for arrays of one shape."""
    wrong = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not wrong.any():
        return ""
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    where = f"index {index[0]}" if len(index) == 1 else f"index {index}"
    return (f"First difference at {where}: got {show(float(got[index]))}, expected "
            f"{show(float(want[index]))} ({int(wrong.sum())} of {wrong.size} values differ).")


def close_number(got, want, what, rtol=1e-6, atol=1e-10, mistake="", candidates=()):
    """One number within tolerance; ``candidates`` as for :func:`close`."""
    got = number(got, what)
    if abs(got - want) <= atol + rtol * abs(want):
        return got
    message = f"{what} returned {got:.8g}; expected {want:.8g}."
    for variant, explanation in candidates:
        if abs(got - variant) <= atol + max(rtol, 1e-6) * abs(variant):
            fail(f"{message} {explanation}")
    factor = constant_factor(np.array([got]), np.array([float(want)]))
    if factor is not None and not mistake:
        mistake = f"That is {factor:.4g} times the expected value: a constant factor is missing or extra."
    fail(message + (f" {mistake}" if mistake else ""))


def no_warnings(outcome, what, mistake=""):
    """The call raised no NumPy warning (overflow, divide by zero, invalid value)."""
    if outcome.warnings:
        message = f"{what} made NumPy warn: {outcome.warnings[0]}."
        fail(message + (f" {mistake}" if mistake else ""))


def unmodified(outcome, originals, what):
    """The call left its array arguments as they were."""
    for index, (before, after) in enumerate(zip(originals, outcome.args_after or [])):
        if isinstance(before, np.ndarray) and not (
                isinstance(after, np.ndarray) and after.shape == before.shape
                and np.array_equal(after, before, equal_nan=True)):
            fail(f"{what} changed its argument #{index + 1} in place; "
                 "work on a copy (z = z - ..., not z -= ...) so the caller's array is untouched")
