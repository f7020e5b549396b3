"""The checks' view of the student's code: calls that run in the child process.

    sub.softmax(z, axis=0)                    -> the value softmax returned (plain data)
    sub.run("softmax", (z,), return_args=True) -> Outcome(value, args_after, warnings, ...)
    sub.run("iterate_minibatches", (X, y, 4), iterate=10) -> the first 10 items it yields, as a list
    model = sub.call("model:Sequential", [...]); sub.method(model, "fit", X, y)

Objects that are not plain data (a model, an optimizer) come back as a
:class:`~grader.engine.protocol.Handle` that later calls may pass back or call methods on.
"""

import re
from dataclasses import dataclass, field

import numpy as np

from .protocol import Handle

FRAME = re.compile(r"(?P<file>[A-Za-z_]\w*\.py), line (?P<line>\d+)(?P<rest>(, in .*)?)\Z", re.S)
MAX_FRAME = 300


class OwnFrames:
    """The parent's own filter of the frames a child reports (it trusts nothing it reads).

    Keeps the frames whose file is one of ``files`` (the student's module of the
    exercise and their own earlier modules; None keeps any module file), rebuilt from
    their parts. (For notebooks, ``notebooks.terms`` then names the cells.)
    """

    def __init__(self, files=None):
        self.files = None if files is None else set(files)

    def __call__(self, where):
        kept = []
        for frame in where if isinstance(where, list) else []:
            match = FRAME.match(frame) if isinstance(frame, str) else None
            if match and (self.files is None or match["file"] in self.files):
                kept.append(f"{match['file']}, line {int(match['line'])}{match['rest']}"[:MAX_FRAME])
        return kept


class StudentError(Exception):
    """The student's code raised an exception (or returned something unsendable)."""

    def __init__(self, call, error, frames=None):
        error = error if isinstance(error, dict) else {}
        self.call = call
        self.type = str(error.get("type", "Exception"))
        self.text = str(error.get("message", ""))
        self.where = (frames or OwnFrames())(error.get("where", []))
        self.unsendable = bool(error.get("unsendable"))
        super().__init__(self.describe())

    @property
    def not_implemented(self):
        return self.type == "NotImplementedError"

    @property
    def forbidden_import(self):
        """The child's import hook refused a module (``child.ForbiddenImport``)."""
        return self.type == "ForbiddenImport"

    def describe(self):
        if self.unsendable:
            return f"{self.call} returned something that is not plain data: {self.text}"
        if self.type == "MissingName":
            return f"{self.text}: define it with the name and arguments the exercise gives"
        if self.type in ("SystemExit", "KeyboardInterrupt"):
            what = "sys.exit()" if self.type == "SystemExit" else "KeyboardInterrupt"
            return f"{self.call} raised {what}; a function must return its result, not stop the program"
        lines = [f"{self.call} raised {self.type}: {self.text}"]
        lines += [f"  at {place}" for place in self.where[-3:]]
        return "\n".join(lines)


@dataclass
class Outcome:
    """What a call returned; with ``return_args``, also its arguments after the call:
    ``args_after`` as the function left them, and ``originals_after`` with every dict
    argument's original entries (so an array updated in place shows its new values,
    while an entry the function merely replaced shows the old ones)."""

    value: object
    args_after: list = None
    originals_after: list = None
    warnings: list = field(default_factory=list)


class StudentCode:
    def __init__(self, child, frames=None):
        self.child = child
        self.frames = frames or OwnFrames()

    def run(self, target, args=(), kwargs=None, *, method=None, return_args=False, iterate=False):
        request = {"op": "call", "target": _target(target), "method": method,
                   "args": list(args), "kwargs": dict(kwargs or {}),
                   "return_args": return_args, "iterate": iterate}
        answer = self.child.request(request)
        if not answer.get("ok"):
            raise StudentError(describe_call(target, method, args, kwargs), answer.get("error", {}), self.frames)
        return Outcome(answer.get("value"), answer.get("args_after"), answer.get("originals_after"),
                       answer.get("warnings", []))

    def call(self, target, *args, **kwargs):
        return self.run(target, args, kwargs).value

    def method(self, handle, name, *args, **kwargs):
        return self.run(handle, args, kwargs, method=name).value

    def helper(self, name, *args):
        """Run one of the child's own helpers (``NullOptimizer``, ``global_random_state``, ...)."""
        return self.child.request({"op": "helper", "name": name, "args": list(args)})["value"]

    def attribute(self, handle, name):
        answer = self.child.request({"op": "getattr", "target": _target(handle), "name": name})
        if not answer.get("ok"):
            raise StudentError(f"reading .{name}", answer.get("error", {}), self.frames)
        return answer.get("value")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)


def _target(target):
    if isinstance(target, Handle):
        return {"$handle": target.id}
    return target


def describe_call(target, method, args, kwargs):
    """``softmax(array (3, 4), axis=0)``: a call as the student would recognise it."""
    name = target.split(":")[-1] if isinstance(target, str) else target.type_name
    if method:
        name = f"{name}.{method}" if isinstance(target, str) else method
    parts = [describe_value(a) for a in args]
    parts += [f"{k}={describe_value(v)}" for k, v in (kwargs or {}).items()]
    return f"{name}({', '.join(parts)})"


def describe_value(value):
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, precision=4, separator=", ")
        return f"<array {value.shape}>"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in list(value.items())[:4]) + "}"
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
