"""The grader's side of the reference black boxes: what a child may call, and who runs it.

For an exercise graded with the reference's earlier modules, each of those modules is a
*proxy* in the child's workspace (``submission/softmax.py``): it holds no line of the
reference, only the module's public names, described here, which ``blackbox.py`` turns
into functions and classes that forward every call. The calls go to a trusted process
of the exercise's own (``reference_server.py``), which holds the reference, checks each
call (its shape, and its target: one of the proxied names, or an object of the reference
the child holds a handle to) and runs it. It is started with the workspace and stopped
with it; the child reaches it through a Unix socket in its ``_engine`` folder, bound here
(so it exists before the child starts) and handed over to that process.

The reference never runs in the grader's process on the child's arguments: a hostile
argument (``he_normal(10**6, 10**6, rng)``, ``train_logistic(..., epochs=10**9)``) costs
that process, under its own memory limit, and the child's own deadline: the grader never
waits for it.
"""

import json
import math
import os
import socket
import stat
import subprocess
import sys
import tempfile
from inspect import isclass
from pathlib import Path

from . import limits, reaper

SERVER = Path(__file__).with_name("reference_server.py")
SOCKET = "reference.sock"  # in the workspace's _engine folder, where blackbox.py looks for it


def available():
    """Whether calls can reach a reference process here (a Unix socket; not on Windows,
    where the earlier modules are still the reference's files)."""
    return hasattr(socket, "AF_UNIX")


# -- the proxy modules -------------------------------------------------------------

def proxy_source(module, name):
    """The text of the proxy of the reference ``module`` (named ``name``) and the targets
    ("name:function") it forwards to: its public names, described, and no reference line."""
    spec = describe_module(module, name)
    text = (f'"""The reference\'s {name}.py, as a black box: its functions and classes run in the\n'
            'grader, which hands back their results. Nothing of the reference is here."""\n\n'
            "import blackbox\n\n"
            f"blackbox.install(globals(), {json.dumps(json.dumps(spec))})\n")
    return text, targets_of(spec)


def describe_module(module, name):
    """``{public name: what it is}`` for the proxy: functions and classes by their target,
    plain constants (and tuples, lists, dicts of them and of the module's functions) as values."""
    bound = {}
    for attr, value in vars(module).items():
        if not attr.startswith("_"):
            bound.setdefault(id(value), f"{name}:{attr}")
    spec = {}
    for attr, value in vars(module).items():
        described = None if attr.startswith("_") else describe(value, bound)
        if described is not None:
            spec[attr] = described
    return spec


def describe(value, bound, depth=0):
    if depth > 8:
        return None
    if isclass(value):
        methods = sorted(n for n in dir(value) if not n.startswith("_") and callable(getattr(value, n, None)))
        return {"class": bound.get(id(value)), "methods": methods} if id(value) in bound else None
    if callable(value):
        return {"function": bound[id(value)]} if id(value) in bound else None
    if value is None or type(value) in (bool, int, str) or (type(value) is float and math.isfinite(value)):
        return {"const": value}
    if type(value) in (list, tuple):
        items = [describe(v, bound, depth + 1) for v in value]
        return None if None in items else {type(value).__name__: items}
    if type(value) is dict and all(type(k) is str for k in value):
        items = {k: describe(v, bound, depth + 1) for k, v in value.items()}
        return None if None in items.values() else {"dict": items}
    return None  # a module, an array, an object: not part of what the proxy shows


def targets_of(spec):
    found = set()
    for item in spec.values() if type(spec) is dict else spec:
        if "function" in item or "class" in item:
            found.add(item.get("function") or item.get("class"))
        for key in ("list", "tuple", "dict"):
            if key in item:
                found |= targets_of(item[key])
    return found


# -- the trusted process -----------------------------------------------------------

class ReferenceCalls:
    """The reference's process for one exercise, serving the children of its workspace
    one call at a time (objects of the reference that a child holds live there)."""

    def __init__(self, folder, targets, engine, memory_mb=None):
        self.path = Path(engine) / SOCKET
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.path))
            os.chmod(self.path, OPEN_SOCKET)
            listener.listen(8)
            self.process = self._start(listener, folder, targets, memory_mb or limits.DEFAULT_MEMORY_MB)
        finally:
            listener.close()  # the process has its own copy

    @staticmethod
    def _start(listener, folder, targets, memory_mb):
        env = limits.child_environment(tempfile.gettempdir())
        env["NNLAB_REFERENCE_MEMORY"] = str(int(memory_mb) * 2**20)
        argv = [sys.executable, "-I", str(SERVER), str(folder), str(listener.fileno()), json.dumps(sorted(targets))]
        return reaper.popen(argv, pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder, env=env,
                            start_new_session=True)

    def close(self):
        """Stop the process (whatever call it is still running) and remove the socket."""
        self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        reaper.forget(self.process)
        try:
            self.path.unlink()
        except OSError:
            pass


OPEN_SOCKET = 0o666  # the child's user connects; the workspace's own folder keeps others out


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False
