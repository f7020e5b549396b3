"""The trusted process that holds the reference's earlier modules and runs them for a child.

Started by the grader (``reference_calls.py``) as
``python -I reference_server.py FOLDER FD TARGETS``: FOLDER holds the reference solutions,
FD is a listening Unix socket in the child's workspace, TARGETS the JSON list of the names
the proxies forward to ("losses:one_hot", ...). It answers the calls that a child's proxy
modules (``blackbox.py``) make, one at a time, on whichever connection sends one:

    {"op": "reference", "action": "call" | "getattr" | "setattr" | "iter" | "next",
     "target": "losses:one_hot" or {"$handle": n}, "name": a method or attribute,
     "args": [...], "kwargs": {...}, "rngs": {"1": the state of the child's Generator 1},
     "release": [handles the child no longer holds]}

and answers ``{"ok": true, "value": ..., "args_after": {...}, "kwargs_after": {...},
"rngs": {...}, "warnings": [...]}`` or ``{"ok": false, "error": {"type", "message"}}``:
an error of the reference is described by its type and message only, never its frames.
Objects that are not plain data (an Adam, the generator of iterate_minibatches) stay here
and travel as handles. A child's ``np.random.Generator`` travels as its bit generator's
state and is rebuilt here (handle ``-n``); its new state goes back, so the child's random
stream advances exactly as with the module itself. Arguments the call changed in place
go back too, for the child to copy into its own arrays and dicts.

Nothing the child sends is trusted: each message is read within the caps of the grader's
reader (its header, its arrays, its bytes), its fields checked and its values decoded with
the strict decoder. Its JSON is parsed without the grader's measuring first: in this
process of its own, under its own memory limit, a header too deep or too large costs
only the connection. A message that is not a call closes that connection, and the
child's proxy says so.
"""

import builtins
import importlib.util
import json
import os
import re
import select
import socket
import struct
import sys
import types
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from protocol import MAX_BLOBS, ProtocolError, decode, encode, pack  # noqa: E402

PACKAGE = "nnlab_reference"
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
PUBLIC = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}\Z")  # no dunder: __doc__, __code__ stay here
MAX_TEXT = 2000
MAX_MESSAGE_BYTES = 64 * 2**20  # as the grader reads a child's answer (process.py)
MAX_HEADER_BYTES = 4 * 2**20
REQUEST_KEYS = frozenset({"op", "action", "target", "name", "args", "kwargs", "rngs", "release"})
ACTIONS = ("call", "getattr", "setattr", "iter", "next")
MAX_RELEASES = 100_000


class CallError(Exception):
    """A request the reference cannot serve (an unknown handle, a private name)."""


class ReferenceServer:
    def __init__(self, folder, targets):
        self.folder = os.path.abspath(folder)
        self.targets = frozenset(targets)
        self.objects = {}  # handle -> an object of the reference
        self.handles = {}  # id(object) -> its handle, so that an object keeps one handle
        self.rngs = {}     # n -> the Generator standing for the child's Generator n
        load(PACKAGE, os.path.join(self.folder, "__init__.py"), self.folder)
        for module in sorted({target.partition(":")[0] for target in self.targets}):
            self.module(module)  # now, rather than in the time of the child's first call

    # -- values ------------------------------------------------------------------

    def keep(self, obj):
        if id(obj) in self.handles:
            return self.handles[id(obj)]
        for n, rng in self.rngs.items():
            if rng is obj:
                return -n
        handle = len(self.objects) + 1
        while handle in self.objects:
            handle += 1
        self.objects[handle] = obj
        self.handles[id(obj)] = handle
        return handle

    def find(self, handle):
        table = self.rngs if handle < 0 else self.objects
        if abs(handle) not in table:
            raise ProtocolError(f"no object {handle} here")
        return table[abs(handle)]

    def release(self, handles):
        for handle in handles:
            obj = self.objects.pop(handle, None)
            if obj is not None:
                self.handles.pop(id(obj), None)

    def set_rngs(self, states):
        """Give each Generator standing for one of the child's the state the child sent: the
        same object as before, which a generator of batches made earlier may hold."""
        for key, state in states.items():
            known = self.rngs.get(int(key))
            if known is not None and type(state) is dict and state.get("bit_generator") == known_kind(known):
                known.bit_generator.state = state
            else:
                self.rngs[int(key)] = generator_in(state)

    # -- requests ----------------------------------------------------------------

    def resolve(self, target):
        if type(target) is dict:
            return self.find(target["$handle"])
        module, _, name = target.partition(":")
        return getattr(self.module(module), public(name))

    def module(self, name):
        qualified = f"{PACKAGE}.{public(name)}"
        if qualified not in sys.modules:
            path = os.path.join(self.folder, f"{name}.py")
            if not os.path.isfile(path):
                raise CallError(f"the reference has no {name}.py")
            load(qualified, path)
        return sys.modules[qualified]

    def handle(self, request, blobs):
        """The answer's fields for one request (decoding errors raise ProtocolError)."""
        check_request(request, self.targets)
        self.release(request.get("release", []))
        sent_rngs = decode(request.get("rngs", {"$dict": {}}), blobs)
        if type(sent_rngs) is not dict:
            raise ProtocolError("rngs of the wrong type")
        try:
            self.set_rngs(sent_rngs)
        except BaseException as error:  # noqa: BLE001 -- a state the bit generator refuses
            return {"ok": False, "error": describe(error)}
        args = decode(request.get("args", []), blobs, self.find)
        kwargs = decode(request.get("kwargs", {"$dict": {}}), blobs, self.find)
        if type(args) is not list or type(kwargs) is not dict:
            raise ProtocolError("args or kwargs of the wrong type")
        action, name = request.get("action", "call"), request.get("name")
        try:
            target = self.resolve(request["target"])
            allowed(action, target, name, type(request["target"]) is str)
            fields = {"ok": True, **self.act(action, target, name, args, kwargs)}
        except ProtocolError:
            raise
        except BaseException as error:  # noqa: BLE001 -- whatever the reference raised
            fields = {"ok": False, "error": describe(error)}
        if sent_rngs:  # their new states, even after a call that drew from them and then raised
            fields["rngs"] = {key: self.rngs[int(key)].bit_generator.state for key in sent_rngs}
        return fields

    def act(self, action, target, name, args, kwargs):
        """Run one allowed action: a proxied name may only be called; an object behind a
        handle offers only what the reference defines (see ``allowed``)."""
        if action == "getattr":
            return {"value": getattr(target, name)}
        if action == "setattr":
            setattr(target, name, args[0])
            return {"value": None}
        if action == "iter":
            return {"value": iter(target)}
        if action == "next":
            return {"value": next(target)}
        if name is not None:
            target = getattr(target, name)
        before = fingerprints(args, kwargs)
        del CAUGHT[:]
        value = target(*args, **kwargs)
        after = fingerprints(args, kwargs)
        fields = {"value": value,
                  "args_after": {str(i): args[i] for i in range(len(args)) if before[i] != after[i]},
                  "kwargs_after": {k: kwargs[k] for k in kwargs if before[k] != after[k]},
                  "warnings": CAUGHT[:5]}
        return {key: v for key, v in fields.items() if key == "value" or v}  # lean answers: most have none

    def serve(self, listener):
        """Answer calls on every connection, one message at a time, until killed."""
        connections = []
        while True:
            ready = select.select([listener, *connections], [], [])[0]
            for connection in ready:
                if connection is listener:
                    connections.append(listener.accept()[0])
                elif not self.answer(connection):
                    connections.remove(connection)
                    connection.close()

    def answer(self, connection):
        """Read one call on ``connection`` and answer it; False when it ends or is no call."""
        try:
            request, blobs = read_call(read_exactly(connection))
            fields = self.handle(request, blobs)
        except Exception:  # noqa: BLE001 -- EOF, not a call, a header that exhausts memory
            return False
        try:
            message, out = self.encoded(fields)
        except BaseException as error:  # noqa: BLE001 -- e.g. a value that cannot be sent
            message, out = {"ok": False, "error": describe(error)}, []
        try:
            connection.sendall(pack(message, out))
        except OSError:
            return False
        return True

    def encoded(self, fields):
        blobs = []
        for key in ("value", "args_after", "kwargs_after", "rngs"):
            if key in fields:
                fields[key] = encode(fields[key], blobs, self.keep)
        return fields, blobs


def check_request(message, targets):
    """Raise ProtocolError unless ``message`` is a well-formed call of one of ``targets``
    (or of a handle); its values are decoded, strictly, after."""
    if not set(message) <= REQUEST_KEYS or message.get("op") != "reference":
        raise ProtocolError(f"a reference call with the fields {sorted(message)!r:.80}")
    if message.get("action", "call") not in ACTIONS:
        raise ProtocolError("a reference call of an unknown kind")
    target = message.get("target")
    handle = type(target) is dict and set(target) == {"$handle"} and type(target["$handle"]) is int
    if not handle and not (type(target) is str and target in targets):
        raise ProtocolError(f"a reference call of {str(target)[:60]!r}, which is not a proxied name")
    if message.get("name") is not None and type(message["name"]) is not str:
        raise ProtocolError("a reference call with a bad name")
    if type(message.get("args", [])) is not list:
        raise ProtocolError("a reference call whose args are not a list")
    for key in ("kwargs", "rngs"):
        if type(message.get(key, {"$dict": {}})) is not dict:
            raise ProtocolError(f"a reference call whose {key} are not a dict")
    release = message.get("release", [])
    if type(release) is not list or len(release) > MAX_RELEASES or any(type(h) is not int for h in release):
        raise ProtocolError("a reference call with a bad list of released handles")


def fingerprints(args, kwargs):
    """What each argument holds, to see which ones a call changed in place."""
    return {**{i: fingerprint(a) for i, a in enumerate(args)},
            **{k: fingerprint(v) for k, v in kwargs.items()}}


def fingerprint(value, depth=0):
    """The contents of ``value`` down to its arrays' bytes, and which objects hold them."""
    if type(value) is np.ndarray:
        return id(value), value.dtype.str, value.shape, value.tobytes()
    if depth > 32:
        return id(value)
    if type(value) in (list, tuple):
        return id(value), tuple(fingerprint(v, depth + 1) for v in value)
    if type(value) is dict:
        return id(value), tuple((k, fingerprint(v, depth + 1)) for k, v in value.items())
    return value if value is None or type(value) in (bool, int, float, str) else id(value)


CAUGHT = []  # the warnings of the call running: [category, message]


def record_warning(message, category, *_, **__):
    if len(CAUGHT) < 5:
        CAUGHT.append([category.__name__, str(message)[:200]])


def generator_in(state):
    """A Generator whose bit generator has ``state`` (the child's, as it sent it)."""
    name = state.get("bit_generator") if type(state) is dict else None
    if name not in BIT_GENERATORS:
        raise CallError(f"a random generator of an unknown kind {str(name)[:40]!r}")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def allowed(action, target, name, proxied):
    """Refuse what the reference does not define: a proxied name (a function, a class) may
    only be called; an object behind a handle offers the attributes and methods of its
    reference class and its own attributes (an Adam's lr, t, m), an iterator next(), and
    a function or method of the reference a call. Nothing else is reachable: no frame of
    a generator (gi_frame.f_globals), no code object, no builtin."""
    if proxied:
        if action != "call" or name is not None:
            raise CallError("a name of the reference may only be called")
        return
    if action in ("iter", "next"):
        if not (isinstance(target, types.GeneratorType) or of_reference(type(target))):
            raise CallError(f"a {type(target).__name__} of the reference is not an iterator")
        return
    if action == "call" and name is None:
        if not of_reference(target if isinstance(target, type) else getattr(target, "__func__", target)):
            raise CallError(f"a {type(target).__name__} cannot be called")
        return
    if not of_reference(type(target)):
        raise AttributeError(f"a {type(target).__name__} of the reference has no attributes to offer")
    public(name)
    if action == "call":  # a method: a function the reference defines on the class
        method = next((vars(k)[name] for k in type(target).__mro__ if of_reference(k) and name in vars(k)), None)
        if not of_reference(getattr(method, "__func__", method)):
            raise AttributeError(f"'{type(target).__name__}' object has no method '{name}'")
        return
    defined = action == "setattr" or name in vars(target) or any(
        name in vars(klass) for klass in type(target).__mro__ if of_reference(klass))
    if not defined:
        raise AttributeError(f"'{type(target).__name__}' object has no attribute '{name}'")


def of_reference(obj):
    """Whether ``obj`` (a class or a function) is defined by a module of the reference."""
    if not (isinstance(obj, type) or isinstance(obj, types.FunctionType)):
        return False
    module = obj.__dict__.get("__module__") if isinstance(obj, type) else obj.__module__
    return type(module) is str and module.startswith(PACKAGE + ".")


def known_kind(generator):
    return type(generator.bit_generator).__name__


def public(name):
    if type(name) is not str or not PUBLIC.match(name):
        raise CallError(f"{str(name)[:40]!r} is not a public name of the reference")
    return name


def describe(error):
    """Type and message of an exception of the reference: never its frames or lines."""
    try:
        text = str(error)
    except BaseException:  # noqa: BLE001
        text = ""
    base = next(k for k in type(error).__mro__ if getattr(builtins, k.__name__, None) is k)
    return {"type": type(error).__name__[:100], "base": base.__name__, "message": text[:MAX_TEXT]}


def load(qualified, path, package_dir=None):
    locations = [package_dir] if package_dir else None
    spec = importlib.util.spec_from_file_location(qualified, path, submodule_search_locations=locations)
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


def read_call(read_exact):
    """One message (see protocol.pack), within the caps of the grader's reader."""
    (header_len,) = struct.unpack("<I", read_exact(4))
    if header_len > MAX_HEADER_BYTES:
        raise ProtocolError(f"a header of {header_len} bytes")
    try:
        message = json.loads(read_exact(header_len))
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"bad header: {error}") from None
    if type(message) is not dict:
        raise ProtocolError("the header is not a JSON object")
    (count,) = struct.unpack("<I", read_exact(4))
    if count > MAX_BLOBS:
        raise ProtocolError(f"{count} arrays in one message")
    blobs, left = [], MAX_MESSAGE_BYTES - header_len
    for _ in range(count):
        (length,) = struct.unpack("<Q", read_exact(8))
        left -= length
        if left < 0:
            raise ProtocolError(f"a message over {MAX_MESSAGE_BYTES // 2**20} MiB")
        blobs.append(read_exact(length))
    return message, blobs


def read_exactly(connection):
    def read_exact(n):
        chunks = []
        while n:
            chunk = connection.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)
    return read_exact


def main():
    folder, fd, targets = sys.argv[1:4]
    os.dup2(os.open(os.devnull, os.O_RDWR), 1)  # a print in the reference goes nowhere
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the grader
    apply_memory_limit(int(os.environ.get("NNLAB_REFERENCE_MEMORY", "0")))
    np.seterr(all="warn", under="ignore")  # as the child runs a call (child.Server.call)
    warnings.simplefilter("always")
    warnings.showwarning = record_warning
    listener = socket.socket(fileno=int(fd))
    ReferenceServer(folder, json.loads(targets)).serve(listener)


def apply_memory_limit(limit):
    try:
        import resource
    except ImportError:
        return
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    main()
