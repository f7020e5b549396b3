"""Do-nothing submissions: the contract's names and shapes, none of its work.

``do_nothing_module("softmax", "zeros")`` is the source of a module in which every function
of the reference runs (on copies of its arguments, so nothing is updated in place) and its
result is thrown away for a stand-in of the same structure: zeros, ones, a constant, the
input itself, random numbers, or an exception. Such a module must earn nothing: a check
that gives it points credits a property of a function that does not work.
"""

import ast

from conftest import SOLUTIONS

KINDS = ("zeros", "ones", "constant", "identity", "invented", "raises")

TEMPLATE = '''
import copy as _copy

import numpy as _np

_KIND = {kind!r}
_real = {{"__name__": __name__ + "_real", "__package__": __package__}}
exec(compile({source!r}, "reference", "exec"), _real)
_invent = _np.random.default_rng(12345)


def _stand_in(value, args):
    """A value shaped like ``value`` that holds none of its content."""
    if _KIND == "identity":
        first = next((a for a in args if isinstance(a, _np.ndarray)), None)
        if first is not None:
            return first
    if isinstance(value, _np.ndarray):
        if value.dtype.kind in "iub":
            return _np.zeros_like(value)
        return {{"zeros": _np.zeros_like, "ones": _np.ones_like,
                "constant": lambda v: _np.full_like(v, 0.5),
                "identity": _np.zeros_like,
                "invented": lambda v: _invent.normal(size=v.shape)}}[_KIND](value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, _np.number)):
        return {{"zeros": 0.0, "ones": 1.0, "constant": 0.5, "identity": 0.0,
                "invented": float(_invent.uniform(0.1, 2.0))}}[_KIND]
    if isinstance(value, dict):
        return {{k: _stand_in(v, args) for k, v in value.items()}}
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        if _KIND == "invented":  # a loss history that falls as a real one would
            return [2.0 / (i + 1) for i in range(len(value))]
    if isinstance(value, (list, tuple)) or hasattr(value, "__next__"):
        return type(value)(_stand_in(v, args) for v in value) if isinstance(value, tuple) \\
            else [_stand_in(v, args) for v in value]
    return value


def _real_args(values):
    return [v._real if isinstance(v, _Fake) else v for v in _copy.deepcopy(list(values))]


def _fake_call(function, args, kwargs):
    if _KIND == "raises":
        raise ValueError("this function does nothing")
    kwargs = dict(zip(kwargs, _real_args(kwargs.values())))
    result = function(*_real_args(args), **kwargs)
    return _stand_in(result, args)


class _Fake:
    _class = None

    def __init__(self, *args, **kwargs):
        if isinstance(args[0] if args else None, list):
            args = ([a._real if isinstance(a, _Fake) else a for a in args[0]],) + args[1:]
        self._real = self._class(*args, **kwargs)

    def __getattr__(self, name):
        value = getattr(self.__dict__["_real"], name)
        if callable(value):
            return lambda *args, **kwargs: _fake_call(value, args, kwargs)
        return value


def _fake(name):
    real = _real[name]
    if isinstance(real, type):
        return type(name, (_Fake,), {{"_class": real}})
    return lambda *args, **kwargs: _fake_call(real, args, kwargs)


{bindings}
'''


def contract_names(module):
    """The public functions and classes the reference module defines."""
    tree = ast.parse((SOLUTIONS / f"{module}.py").read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")]


def do_nothing_module(module, kind):
    source = (SOLUTIONS / f"{module}.py").read_text(encoding="utf-8")
    bindings = "\n".join(f"{name} = _fake({name!r})" for name in contract_names(module))
    return TEMPLATE.format(kind=kind, source=source, bindings=bindings)
