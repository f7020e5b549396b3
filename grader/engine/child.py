"""The student's side of the engine: a small server that runs in its own process.

Started by the parent as ``python -I [-S] child.py ROOT PACKAGE MODULE``. It imports
``PACKAGE.MODULE`` from the folder ROOT, then answers requests ("call F with these
arguments") until its input closes. It holds no expected values and decides nothing:
it only hands back what the student's code returned, as plain data.

File descriptors: requests arrive on fd 0 and answers leave on fd 1, both taken over at
start-up; afterwards fd 0 reads /dev/null and fd 1 writes to fd 2, so whatever the
student prints lands in the captured output and never in the protocol.
"""

import hashlib
import importlib
import itertools
import json
import os
import signal
import sys
import traceback
import warnings


def drop_privileges(run_as):
    """Become ``uid:gid`` (the sandbox asks for nobody when the grader runs as root)."""
    if run_as and os.geteuid() == 0:
        uid, gid = (int(part) for part in run_as.split(":"))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def apply_limits(spec):
    """Lower this process's resource limits (``NNLAB_LIMITS``, see ``limits.py``)."""
    try:
        import resource
    except ImportError:  # not on this platform: the parent's timeout still holds
        return
    for item in filter(None, spec.split(",")):
        name, value = item.split("=")
        resource.setrlimit(getattr(resource, name), (int(value), int(value)))


def die_with_parent():
    """Ask Linux to kill this process when the grader dies (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


drop_privileges(os.environ.get("NNLAB_RUN_AS", ""))
die_with_parent()  # after the drop: changing uid clears the parent-death signal
if hasattr(signal, "SIGXFSZ"):  # a file over the size limit raises OSError instead of killing us
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
apply_limits(os.environ.get("NNLAB_LIMITS", ""))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from protocol import MAX_ITEMS, decode, encode, pack, unpack  # noqa: E402

import blackbox  # noqa: E402,F401 -- before the import policy: the reference's proxies use it

MAX_TEXT = 2000
CONFIG_FILE = "config.json"  # written by the grader beside this file (see read_config)


def take_over_stdio():
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    return requests, answers


def open_arena(spec):
    """The parent's shared memory for array arguments (``NNLAB_ARENA``: "fd:size"), or None."""
    if not spec:
        return None
    import mmap

    fd, size = (int(part) for part in spec.split(":"))
    return mmap.mmap(fd, size)


class MissingName(LookupError):
    """The submission lacks a function or class the contract names."""


class ForbiddenImport(ModuleNotFoundError):
    """An import outside the exercise's import policy (see grader/engine/import_policy.py)."""


class ImportPolicy:
    """A meta path finder that refuses every top-level module not in ``allowed``."""

    def __init__(self, allowed):
        self.allowed = frozenset(allowed)

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in self.allowed:
            raise ForbiddenImport(f"{top} is not allowed in an exercise", name=top)
        return None


def read_config(root):
    """What the grader wrote into the workspace ``root``, beside its copy of this file (a
    forked child's copy was loaded from elsewhere): ``allowed_imports``, ``student_files``."""
    try:
        with open(os.path.join(root, "_engine", CONFIG_FILE), encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return {}


def install_import_policy(allowed):
    """Refuse, from now on, every top-level module that is not in ``allowed`` (None: no policy)."""
    if allowed is not None:
        sys.meta_path.insert(0, ImportPolicy(allowed))


def student_frames(frames, package_dir, student_files):
    """``losses.py, line 3, in f: code`` for each frame in one of the student's own files.

    The grader's own frames (``_engine/``) and the reference's modules in the workspace
    are left out; ``student_files`` None keeps every file of the package.
    """
    kept = []
    for frame in frames:
        path = os.path.abspath(frame.filename)
        if os.path.dirname(path) != package_dir:
            continue
        name = os.path.basename(path)
        if student_files is None or name in student_files:
            kept.append(f"{name}, line {frame.lineno}, in {frame.name}" + (f": {frame.line}" if frame.line else ""))
    return kept


class NullOptimizer:
    """An optimizer that changes nothing and counts its steps (for the grader's checks)."""

    def __init__(self):
        self.steps = 0

    def step(self, params, grads):
        self.steps += 1


class RecordingOptimizer(NullOptimizer):
    """Like NullOptimizer, and keeps a copy of every gradient dict it was given."""

    def __init__(self):
        super().__init__()
        self.grads = []

    def step(self, params, grads):
        super().step(params, grads)
        self.grads.append({k: np.array(v, dtype=float) for k, v in grads.items()})


class PlainSGD(RecordingOptimizer):
    """Plain gradient descent, params[k] -= lr * grads[k] in place; records the gradients too."""

    def __init__(self, lr):
        super().__init__()
        self.lr = lr

    def step(self, params, grads):
        super().step(params, grads)
        for key, grad in grads.items():
            params[key] -= self.lr * grad


def global_random_state():
    """A fingerprint of NumPy's global random state, to see whether code drew from it."""
    return hashlib.sha256(np.random.get_state()[1].tobytes()).hexdigest()


def seed_global_random_state(seed):
    np.random.seed(seed)


HELPERS = {"NullOptimizer": NullOptimizer, "RecordingOptimizer": RecordingOptimizer, "PlainSGD": PlainSGD,
           "global_random_state": global_random_state, "seed_global_random_state": seed_global_random_state,
           "default_rng": lambda seed: np.random.default_rng(seed)}


class SyntaxFrame:
    """Where a SyntaxError points, shaped like a traceback frame."""

    def __init__(self, error):
        self.filename, self.lineno, self.name, self.line = error.filename, error.lineno, "<module>", ""


class Server:
    def __init__(self, root, package, module, arena=None):
        self.arena = arena
        self.root = os.path.abspath(root)
        self.package = package
        self.package_dir = os.path.join(self.root, package)
        self.module_name = module
        self.module = None
        self.objects = {}
        self.config = read_config(self.root)
        self.student_files = self.config.get("student_files")

    # -- values ------------------------------------------------------------------

    def keep(self, obj):
        self.objects[len(self.objects) + 1] = obj
        return len(self.objects)

    def find(self, id):
        return self.objects[id]

    def answer(self, **fields):
        blobs = []
        for key in ("value", "args_after", "originals_after"):
            if key in fields:
                fields[key] = encode(fields[key], blobs, self.keep)
        return fields, blobs

    # -- errors ------------------------------------------------------------------

    def describe(self, error):
        """Type, message and the student's own frames of an exception, abridged."""
        frames = student_frames(traceback.extract_tb(error.__traceback__), self.package_dir,
                                self.student_files)
        if isinstance(error, SyntaxError) and error.filename:
            frames += student_frames([SyntaxFrame(error)], self.package_dir, self.student_files)
        try:
            text = str(error)
        except BaseException:
            text = "(the exception's message could not be printed)"
        return {
            "type": type(error).__name__,
            "message": text[:MAX_TEXT],
            "where": frames[-5:],
        }

    # -- requests ----------------------------------------------------------------

    def load(self):
        install_import_policy(self.config.get("allowed_imports"))
        sys.path.insert(0, self.root)
        self.module = importlib.import_module(f"{self.package}.{self.module_name}")

    def resolve(self, target):
        if isinstance(target, dict) and "$handle" in target:
            return self.find(int(target["$handle"]))
        module = self.module
        if ":" in target:
            module_name, target = target.split(":", 1)
            module = importlib.import_module(f"{self.package}.{module_name}")
        if not hasattr(module, target):
            raise MissingName(f"{module.__name__.split('.')[-1]}.py defines no `{target}`")
        return getattr(module, target)

    def call(self, request, blobs):
        target = self.resolve(request["target"])
        if request.get("method"):
            target = getattr(target, request["method"])
        args = decode(request.get("args", []), blobs, self.find, arena=self.arena)
        kwargs = decode(request.get("kwargs", {"$dict": {}}), blobs, self.find)
        originals = [dict(a) if type(a) is dict else a for a in args]
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
            warnings.simplefilter("always")
            value = target(*args, **kwargs)
            if request.get("iterate") and value is not None:  # None goes back as such: a missing return
                limit = MAX_ITEMS if request["iterate"] is True else min(int(request["iterate"]), MAX_ITEMS)
                value = list(itertools.islice(value, limit))
        answer = {"value": value, "warnings": [str(w.message)[:200] for w in caught[:5]]}
        if request.get("return_args"):
            answer["args_after"] = args
            answer["originals_after"] = originals
        return answer

    def handle(self, request, blobs):
        op = request.get("op")
        if op == "call":
            return self.call(request, blobs)
        if op == "helper":
            return {"value": HELPERS[request["name"]](*decode(request.get("args", []), blobs, self.find))}
        if op == "getattr":
            return {"value": getattr(self.resolve(request["target"]), request["name"])}
        raise ValueError(f"unknown request {op!r}")

    def serve(self, requests, answers):
        def read_exact(n):
            chunks = []
            while n:
                chunk = requests.read(n)
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                n -= len(chunk)
            return b"".join(chunks)

        def send(fields):
            message, blobs = self.answer(**fields)
            answers.write(pack(message, blobs))

        try:
            self.load()
            send({"ok": True})
        except BaseException as error:  # noqa: BLE001 -- SystemExit at import included
            send({"ok": False, "error": self.describe(error)})
            return
        while True:
            try:
                request, blobs = unpack(read_exact, max_bytes=2**40)
            except EOFError:
                return
            try:
                fields = {"ok": True, **self.handle(request, blobs)}
            except BaseException as error:  # noqa: BLE001 -- the student's exit() too
                fields = {"ok": False, "error": self.describe(error)}
            flush_output()
            try:
                send(fields)
            except Exception as error:  # noqa: BLE001 -- e.g. an unsendable return value
                send({"ok": False, "error": {**self.describe(error), "unsendable": True}})


def main():
    requests, answers = take_over_stdio()
    root, package, module = sys.argv[1:4]
    Server(root, package, module, open_arena(os.environ.get("NNLAB_ARENA", ""))).serve(requests, answers)
    flush_output()
    os._exit(0)


def flush_output():
    """Flush what the student printed; student code may have replaced or closed the streams."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 -- sys.stdout = None, a closed file, an object without flush
            pass


if __name__ == "__main__":
    main()
