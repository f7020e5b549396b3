"""The reference's earlier modules as black boxes, on the child's side.

A proxy module in the workspace (``submission/optimizers.py``) holds no line of the
reference: it calls ``install(globals(), spec)`` with the module's public names as the
grader described them (see ``reference_calls.py``), and each becomes a forwarder here:

    a function      its call goes to the grader, which runs the reference's function in a
                    trusted process and sends back the result
    a class         an instance is a handle on an object that lives there: its methods,
                    attribute reads and writes, iteration and next() are forwarded
    a constant      its value, with the module's functions inside it forwarders too

The call goes to the reference's process through the Unix socket beside this file (see
``reference_calls.py``), connected on the first call. What the call changed in place (``sgd_step(params, ...)`` updates the arrays of ``params``) is
copied back into the caller's own arrays and dicts, and a ``np.random.Generator``
argument travels as its state and comes back advanced, so the random stream is exactly
the module's. An error of the reference is raised here with its type and message only.
"""

import builtins
import json
import os
import socket
import threading
import weakref

import numpy as np
from protocol import Handle, ProtocolError, decode, encode, pack, unpack_trusted

SOCKET = os.path.join("_engine", "reference.sock")  # in the workspace (see reference_calls.py)
_socket = []          # [its path], found from where the proxies are
_connection = []      # [the socket to the reference's process], once connected
_lock = threading.RLock()
_numbers = {}         # id(generator) -> its number: the child's Generators sent so far
_generators = {}      # number -> that Generator (kept, so that its id stays its own)
_proxies = weakref.WeakValueDictionary()  # handle -> the proxy standing for that object
_released = set()     # handles of proxies that are gone, told to the grader with the next call
_classes = {}         # type name -> proxy class, so that a returned Adam is an Adam here
_errors = {}          # type name -> an exception class of that name (not a builtin one)


def install(namespace, spec_text):
    """Define the names of ``spec_text`` (JSON, see ``reference_calls.describe_module``)."""
    module = namespace["__name__"]
    workspace = os.path.dirname(os.path.dirname(os.path.abspath(namespace["__file__"])))
    _socket[:] = [os.path.join(workspace, SOCKET)]  # this file may be a fork server's copy
    for name, spec in json.loads(spec_text).items():
        namespace[name] = build(spec, module, name)


def build(spec, module, name):
    if "function" in spec:
        return forwarder(spec["function"], module, name)
    if "class" in spec:
        return proxy_class(spec["class"], spec["methods"], module, name)
    if "const" in spec:
        return spec["const"]
    if "dict" in spec:
        return {k: build(v, module, name) for k, v in spec["dict"].items()}
    items = [build(v, module, name) for v in spec.get("list", spec.get("tuple", []))]
    return items if "list" in spec else tuple(items)


def forwarder(target, module, name):
    def function(*args, **kwargs):
        return request({"target": target}, args, kwargs)
    function.__name__ = function.__qualname__ = name
    function.__module__ = module
    return function


class Remote:
    """An object of the reference, which lives in the grader's trusted process."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return request({"action": "getattr", "name": name}, holder=self)

    def __setattr__(self, name, value):
        if name.startswith("_nnlab_"):
            object.__setattr__(self, name, value)
        else:
            request({"action": "setattr", "name": name}, (value,), holder=self)

    def __call__(self, *args, **kwargs):
        return request({}, args, kwargs, holder=self)

    def __iter__(self):
        if self._nnlab_type == "generator":  # iter(generator) is the generator itself
            return self
        return request({"action": "iter"}, holder=self)

    def __next__(self):
        return request({"action": "next"}, holder=self)

    def __repr__(self):
        return f"<{self._nnlab_type} object of the reference>"


def proxy_class(target, methods, module, name):
    def __init__(self, *args, **kwargs):
        request({"target": target}, args, kwargs, into=self)

    body = {"__init__": __init__, "__module__": module, "__qualname__": name}
    for method in methods:
        body[method] = method_forwarder(method)
    cls = type(name, (Remote,), body)
    _classes[name] = cls
    return cls


def method_forwarder(name):
    def method(self, *args, **kwargs):
        return request({"name": name}, args, kwargs, holder=self)
    method.__name__ = method.__qualname__ = name
    return method


# -- one call ----------------------------------------------------------------------

def request(fields, args=(), kwargs=None, holder=None, into=None):
    """Send one reference call and return its value (or raise the reference's error).
    ``holder`` is the proxy whose object the call is about; ``into`` a new proxy that
    becomes the handle of the object the call returns (a constructor)."""
    with _lock:
        rngs = set(holder._nnlab_rngs) if holder is not None else set()  # numbers of Generators
        message = {"op": "reference", **fields, "args": to_wire(list(args), rngs)}
        if kwargs:
            message["kwargs"] = to_wire(dict(kwargs), rngs)
        if holder is not None:
            message["target"] = {"$handle": holder._nnlab_handle}
        if _released:
            message["release"] = [h for h in _released if h not in _proxies]
            _released.clear()
        blobs = []
        try:
            for key in ("args", "kwargs"):
                if key in message:
                    message[key] = encode(message[key], blobs)
            if rngs:
                message["rngs"] = encode({str(n): _generators[n].bit_generator.state for n in rngs}, blobs)
        except ProtocolError as error:
            raise TypeError(f"{what(fields, holder)} runs in the grader, and cannot take this argument: "
                            f"{error}; pass arrays, numbers, strings, lists, tuples and dicts") from None
        try:
            connection().sendall(pack(message, blobs))
            reply, blobs = unpack_trusted(read_exact)  # from the reference's process: trusted
        except OSError:
            _connection.clear()  # the next call connects afresh
            raise
    for number, state in decode(reply.get("rngs", {"$dict": {}}), blobs).items():
        _generators[int(number)].bit_generator.state = state
    if not reply.get("ok"):
        raise reference_error(reply.get("error", {}))
    if "args_after" in reply or "kwargs_after" in reply:
        copy_back(args, kwargs or {}, decode(reply.get("args_after", {"$dict": {}}), blobs),
                  decode(reply.get("kwargs_after", {"$dict": {}}), blobs))
    rewarn(reply.get("warnings", []))
    value = decode(reply.get("value"), blobs)
    if into is not None:
        adopt(into, value, rngs)
        return None
    return from_wire(value, rngs)


def what(fields, holder):
    if holder is not None:
        return f"{holder._nnlab_type}.{fields.get('name') or 'call'}"
    return fields["target"].split(":")[-1]


def connection():
    if not _connection:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(_socket[0])
        except OSError as error:
            sock.close()
            raise ConnectionError("the grader's process that runs the reference modules cannot be reached "
                                  f"({error.strerror})") from None
        _connection.append(sock)
    return _connection[0]


def read_exact(n):
    chunks = []
    while n:
        chunk = _connection[0].recv(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("the reference's process closed the connection (a malformed call?)")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def to_wire(value, rngs):
    """``value`` with proxies as their handles and Generators as numbered handles (their
    numbers added to ``rngs``); everything else as it is, for ``encode`` to judge."""
    if isinstance(value, Remote):
        rngs.update(value._nnlab_rngs)
        return Handle(value._nnlab_handle, value._nnlab_type)
    if type(value) is np.random.Generator:
        if id(value) not in _numbers:
            _numbers[id(value)] = len(_generators) + 1
            _generators[len(_generators) + 1] = value
        rngs.add(_numbers[id(value)])
        return Handle(-_numbers[id(value)], "Generator")
    if type(value) in (list, tuple):
        return type(value)(to_wire(v, rngs) for v in value)
    if type(value) is dict:
        return {k: to_wire(v, rngs) for k, v in value.items()}
    return value


def from_wire(value, rngs):
    """``value`` with every handle of the reference turned into its proxy."""
    if isinstance(value, Handle) and value.id < 0:  # one of the child's own Generators
        return _generators[-value.id]
    if isinstance(value, Handle):
        proxy = _proxies.get(value.id)
        if proxy is None:
            proxy = object.__new__(_classes.get(value.type_name, Remote))
            adopt(proxy, value, rngs)
        return proxy
    if type(value) in (list, tuple):
        return type(value)(from_wire(v, rngs) for v in value)
    if type(value) is dict:
        return {k: from_wire(v, rngs) for k, v in value.items()}
    return value


def adopt(proxy, handle, rngs):
    """Make ``proxy`` stand for the reference's object ``handle``; the generators of the
    call that made it go with it (a generator of batches draws from them later)."""
    proxy._nnlab_handle = handle.id
    proxy._nnlab_type = handle.type_name
    proxy._nnlab_rngs = frozenset(rngs)
    _proxies[handle.id] = proxy
    _released.discard(handle.id)
    weakref.finalize(proxy, _released.add, handle.id)


def copy_back(args, kwargs, args_after, kwargs_after):
    """Copy what the reference changed in its arguments into the caller's own ones."""
    for index, value in args_after.items():
        update(args[int(index)], value)
    for key, value in kwargs_after.items():
        update(kwargs[key], value)


def update(original, after):
    """Make ``original`` hold ``after``, in place: arrays by copying into them, dicts and
    lists entry by entry (an entry that cannot be updated in place is replaced)."""
    if type(original) is np.ndarray and type(after) is np.ndarray and original.shape == after.shape:
        np.copyto(original, after, casting="unsafe")
    elif type(original) is dict and type(after) is dict:
        for key in [k for k in original if k not in after]:
            del original[key]
        for key, value in after.items():
            original[key] = update(original[key], value) if key in original else value
    elif type(original) is list and type(after) is list:
        kept = [update(o, a) for o, a in zip(original, after)]
        original[:] = kept + after[len(kept):]
    elif type(original) is tuple and type(after) is tuple and len(original) == len(after):
        for o, a in zip(original, after):
            update(o, a)
    else:
        return after
    return original


def rewarn(caught):
    import warnings

    for category, text in caught:
        kind = getattr(builtins, category, None)
        warnings.warn(text, kind if isinstance(kind, type) and issubclass(kind, Warning) else RuntimeWarning,
                      stacklevel=3)


def reference_error(error):
    """The reference's exception, by its type's name and its message (no frames), an
    instance of the builtin exception it derives from."""
    name, base = str(error.get("type", "Exception")), builtin_exception(error.get("base"))
    kind = builtin_exception(name)
    if kind is None:  # numpy's UFuncTypeError is a TypeError here too
        kind = _errors.setdefault(name, type(name, (base or Exception,), {"__module__": "reference"}))
    return kind(str(error.get("message", "")))


def builtin_exception(name):
    kind = getattr(builtins, str(name), None)
    return kind if isinstance(kind, type) and issubclass(kind, Exception) else None
