"""The paste attack on a student's copy: does any shipped function do what the exercises ask?

A student who pastes the grader's own functions under the contract's names gets points
only if one of them computes a contract function. So, for every contract function, the
release takes the calls the visible checks made to it while grading the reference
(arguments and the reference's answers, :func:`grader.checks.baked.recording`) and tries
every top-level function and method of the shipped grader in its place, with simple glue:
the arguments in every order, and for a method the trailing arguments given to the
class's constructor (``PlainSGD(lr).step(params, grads)`` for ``sgd_step(params, grads, lr)``).
A candidate that reproduces the reference on every sampled call, where the reference's
answer is not trivial, is a working implementation: the release refuses.

Run as ``python -m grader.authoring.paste REQUEST.json`` (the copy's folder and the
samples), that folder first on ``sys.path`` so that the copy's grader is the one imported;
it prints the findings as JSON.
"""

import ast
import copy
import importlib
import inspect
import itertools
import json
import signal
import sys
from pathlib import Path

import numpy as np

from ..checks.baked import decode

# Modules whose functions read or write files, start or stop processes or change this one are
# not called: nothing in them computes an exercise's answer, and calling them is no attack.
SKIPPED = ("grader.cli", "grader.instructor", "grader.notebooks", "grader.report", "grader.grading",
           "grader.engine", "grader.authoring.paste", "grader.__main__")
# ... but for the engine's helpers the checks hand to student code (the rest of child.py drops
# privileges, sets limits or installs import hooks)
ONLY = {"grader.engine.child": {"NullOptimizer", "RecordingOptimizer", "PlainSGD"}}
SECONDS_PER_CALL = 2
JUDGED_PART = {"forward.mlp_forward": 0}  # (logits, cache): the cache is the student's business


def candidate_modules(root):
    """Dotted names of the copy's grader modules worth calling."""
    names = []
    for path in sorted((Path(root) / "grader").rglob("*.py")):
        dotted = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        if dotted in ONLY or not dotted.startswith(SKIPPED):
            names.append(dotted)
    return names


def candidates(root):
    """``[(qualified name, callable factory)]``: every shipped top-level function, and every
    method of every top-level class (as ``(class, method name)``)."""
    found = []
    for dotted in candidate_modules(root):
        try:
            module = importlib.import_module(dotted)
        except Exception:  # noqa: BLE001 -- a module that cannot even be imported gives nothing
            continue
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__ or name not in ONLY.get(dotted, (name,)):
                continue
            if inspect.isfunction(value):
                found.append((f"{dotted}.{name}", value))
            elif inspect.isclass(value):
                for method, function in vars(value).items():
                    if inspect.isfunction(function):
                        found.append((f"{dotted}.{name}.{method}", (value, method)))
    return found


def glued_calls(candidate, n):
    """Ways to call ``candidate`` with the contract's ``n`` arguments: ``[(glue, function(args))]``."""
    if not isinstance(candidate, tuple):
        return [(f"args in order {order}", lambda a, order=order, f=candidate: f(*[a[i] for i in order]))
                for order in itertools.permutations(range(n)) if fits(candidate, n)]
    cls, method = candidate
    ways = []
    for split in range(n + 1):
        def call(a, split=split):
            return getattr(cls(*a[split:]), method)(*a[:split])
        ways.append((f"{cls.__name__}(args[{split}:]).{method}(args[:{split}])", call))
    return ways


def fits(function, n):
    try:
        inspect.signature(function).bind(*range(n))
        return True
    except TypeError:
        return False


def same(got, want):
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        try:
            got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        except (TypeError, ValueError):
            return False
        return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-6, atol=1e-8))
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(map(same, got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return isinstance(got, (int, float, np.number)) and bool(np.isclose(float(got), float(want)))
    return got == want


def trivial(value):
    """An answer anything could give (None, zeros, an empty list): no evidence of work."""
    if value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(trivial(v) for v in value)
    if isinstance(value, dict):
        return all(trivial(v) for v in value.values())
    try:
        return not np.any(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return False


def materialised(value):
    """A generator's items as a list (iterate_minibatches may return either); other values as they are."""
    return list(value) if inspect.isgenerator(value) else value


def reproduces(way, samples):
    """``way`` gives the reference's answer (and leaves the arguments as the reference
    does) on every sample, and at least one of those answers is not trivial."""
    evidence = False
    for args, want, args_after in samples:
        given = copy.deepcopy(args)
        try:
            signal.alarm(SECONDS_PER_CALL)
            got = materialised(way(given))
        except BaseException:  # noqa: BLE001 -- any failure means it does not reproduce
            return False
        finally:
            signal.alarm(0)
        if not (same(got, want) and same(given, args_after)):
            return False
        evidence = evidence or not (trivial(want) and trivial(args_after) and same(args_after, args))
    return evidence


def attack(root, contract):
    """``[(contract function, candidate, glue)]``: each shipped function that reproduces a
    contract function. ``contract`` maps "module.function" to samples ``(args, answer,
    args after)``, the keyword arguments folded into ``args`` in the contract's order."""
    signal.signal(signal.SIGALRM, timed_out)
    found = []
    pool = candidates(root)
    for target, samples in sorted(contract.items()):
        if not samples:
            continue
        n, part = len(samples[0][0]), JUDGED_PART.get(target)
        if part is not None:
            samples = [(args, want[part], after) for args, want, after in samples]
        for name, candidate in pool:
            for glue, way in glued_calls(candidate, n):
                if reproduces(way if part is None else part_of(way, part), samples):
                    found.append((target, name, glue))
                    break
    return found


def part_of(way, part):
    """``way`` answering with item ``part`` of what it returns (when it returns a tuple)."""
    def call(args):
        value = way(args)
        return value[part] if isinstance(value, (tuple, list)) and len(value) > part else value
    return call


def timed_out(signum, frame):
    raise TimeoutError("a candidate took too long")


def contract_names(solutions):
    """``{module: [names]}``: the public top-level functions and classes of each solution."""
    names = {}
    for path in sorted(Path(solutions).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names[path.stem] = [node.name for node in tree.body
                            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")]
    return names


def definitions_named_like(files, names):
    """``[(relative path, line, name)]``: each function, class, assignment or import in the
    ``.py`` texts of ``files`` that binds one of ``names``."""
    found = []
    for relative, text in sorted(files.items()):
        if not (str(relative).endswith(".py") and isinstance(text, str)):
            continue
        for node in ast.walk(ast.parse(text)):
            found += [(relative, node.lineno, name) for name in bound_names(node) if name in names]
    return found


def bound_names(node):
    """The names ``node`` (a statement) binds in its scope."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.ImportFrom) and node.module:  # `from . import softmax` binds a module
        return [alias.asname or alias.name for alias in node.names]
    return []


def main(argv):
    data = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    contract = {target: [tuple(decode(part) for part in sample) for sample in samples]
                for target, samples in data["contract"].items()}
    print(json.dumps(attack(data["root"], contract)))


if __name__ == "__main__":
    main(sys.argv)
