"""The wire format between the grader (parent) and the student's process (child).

A message is one JSON header plus a list of binary blobs, each blob the raw bytes of
one array. Values travel as a small tree of plain data:

    None, bool, int, float, str, list   as themselves in JSON
    tuple                               {"$tuple": [...]}
    dict with str keys                  {"$dict": {...}}
    numpy array (exactly np.ndarray)    {"$nd": blob index, "dtype": "<f8", "shape": [...]}
    numpy scalar (np.float64, ...)      the same, with "scalar": true
    an array in shared memory           {"$shm": offset, "dtype": ..., "shape": ...}  (to the child only)
    anything else                       {"$handle": id, "type": name}   (child side only)

Arrays are rebuilt with ``np.frombuffer`` from a numeric dtype and a shape that must
account for every byte: no pickle, no object arrays, so nothing can run code on the
reading side. This file is imported by both sides and needs only NumPy and the stdlib.
"""

import json
import re
import struct

import numpy as np

ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: plain numbers only
MAX_DEPTH = 32  # values nested in values; JSON of them nests twice as deep ({"$dict": {...}})
MAX_JSON_DEPTH = 2 * MAX_DEPTH + 8
MAX_NDIM = 32
MAX_ITEMS = 100_000
MAX_BLOBS = 100_000
MAX_TYPE_NAME = 100  # a handle's type, as reports quote it
MAX_JSON_VALUES = 500_000  # about 30 MB of Python objects at worst


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class Handle:
    """A reference to an object that lives in the child (a model, an optimizer, ...)."""

    def __init__(self, id, type_name):
        self.id = id
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object in the student's process>"


def encode(value, blobs, store_handle=None, depth=0, place=None):
    """Turn ``value`` into JSON-able data, appending arrays to ``blobs``.

    ``store_handle(obj) -> id`` keeps objects that are not plain data (child side);
    without it such objects are an error (parent side). ``place(array)``, if given,
    may put an array in shared memory instead and return its description (see
    ``arena.py``; parent side).
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, Handle):
        return {"$handle": value.id, "type": value.type_name}
    if type(value) is np.ndarray and value.dtype.kind in ARRAY_KINDS:
        return (place and place(value)) or _array_to_blob(value, blobs)
    if isinstance(value, np.generic) and np.asarray(value).dtype.kind in ARRAY_KINDS:
        return {**_array_to_blob(np.asarray(value), blobs), "scalar": True}
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise ProtocolError(f"a {type(value).__name__} of {len(value)} items is too long")
        items = [encode(v, blobs, store_handle, depth + 1, place) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": {k: encode(v, blobs, store_handle, depth + 1, place) for k, v in value.items()}}
    if store_handle is None:
        raise ProtocolError(f"cannot send a {type(value).__name__}")
    return {"$handle": store_handle(value), "type": type(value).__name__}


def decode(data, blobs, resolve_handle=None, depth=0, arena=None):
    """Inverse of :func:`encode`; ``resolve_handle(id)`` maps handles to objects, and
    ``arena`` is the shared memory that ``{"$shm": offset, ...}`` arrays live in (child
    side: elsewhere such an array is an error).

    Every node is checked against the format above (exact types, known keys only): a
    message that does not follow it raises :class:`ProtocolError`, never anything else.
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, blobs, resolve_handle, depth + 1, arena) for v in data]
    if type(data) is not dict:
        raise ProtocolError(f"unexpected value of type {type(data).__name__}")
    keys = frozenset(data)
    if keys in (ARRAY_KEYS, SCALAR_KEYS):
        array = _array_from_blob(data, blobs)
        return _scalar(array) if "scalar" in data else array
    if keys == SHARED_KEYS and arena is not None:
        return _array_in_arena(data, arena)
    if keys == {"$tuple"} and type(data["$tuple"]) is list:
        return tuple(decode(v, blobs, resolve_handle, depth + 1, arena) for v in data["$tuple"])
    if keys == {"$dict"} and type(data["$dict"]) is dict:
        return {k: decode(v, blobs, resolve_handle, depth + 1, arena) for k, v in data["$dict"].items()}
    if keys in HANDLE_KEYS and type(data["$handle"]) is int and type(data.get("type", "")) is str:
        if resolve_handle is None:
            return Handle(data["$handle"], data.get("type", "object")[:MAX_TYPE_NAME])
        return resolve_handle(data["$handle"])
    raise ProtocolError(f"unexpected value with the keys {sorted(keys)!r:.80}")


ARRAY_KEYS = frozenset({"$nd", "dtype", "shape"})
SCALAR_KEYS = ARRAY_KEYS | {"scalar"}
SHARED_KEYS = frozenset({"$shm", "dtype", "shape"})
HANDLE_KEYS = (frozenset({"$handle"}), frozenset({"$handle", "type"}))


def _scalar(array):
    if array.shape != ():
        raise ProtocolError(f"a scalar of shape {array.shape}")
    return array[()]


def _array_to_blob(array, blobs):
    blobs.append(np.ascontiguousarray(array).tobytes())
    return {"$nd": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}


def _array_from_blob(data, blobs):
    index = data["$nd"]
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError(f"bad array description: no blob {index!r:.20}")
    if "scalar" in data and data["scalar"] is not True:
        raise ProtocolError("bad array description: scalar must be true")
    dtype, shape = _dtype_and_shape(data)
    raw = blobs[index]
    if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(raw):
        raise ProtocolError(f"array of shape {tuple(shape)} and dtype {dtype} does not fit its {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _array_in_arena(data, arena):
    """An array backed by the shared memory ``arena``: the function may change it in place."""
    start = data["$shm"]
    dtype, shape = _dtype_and_shape(data)
    count = int(np.prod(shape, dtype=object))
    if type(start) is not int or start < 0 or start + count * dtype.itemsize > len(arena):
        raise ProtocolError("bad array description: outside the shared memory")
    return np.frombuffer(arena, dtype=dtype, count=count, offset=start).reshape(shape)


def _dtype_and_shape(data):
    dtype_name, shape = data["dtype"], data["shape"]
    if type(dtype_name) is not str or len(dtype_name) > 8:
        raise ProtocolError(f"bad array description: dtype {dtype_name!r:.20}")
    if type(shape) is not list or len(shape) > MAX_NDIM or any(type(n) is not int or n < 0 for n in shape):
        raise ProtocolError(f"bad array description: shape {shape!r:.80}")
    try:
        dtype = np.dtype(dtype_name)
    except (TypeError, ValueError):
        raise ProtocolError(f"bad array description: dtype {dtype_name!r}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"array of an unsupported dtype {dtype}")
    return dtype, shape


# Framing: u32 header length, JSON header, u32 blob count, then (u64 length, bytes) per blob.

def pack(message, blobs):
    header = json.dumps(message).encode()
    parts = [struct.pack("<I", len(header)), header, struct.pack("<I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def unpack(read_exact, max_bytes, max_header=None):
    """Read one message with ``read_exact(n) -> bytes``; refuse more than ``max_bytes``
    in all, a header over ``max_header`` bytes (default: no cap but ``max_bytes``) or
    nested deeper than JSON of :data:`MAX_DEPTH` values can be, and more than
    :data:`MAX_BLOBS` arrays. Nothing is read or parsed beyond a cap."""
    budget = [max_bytes]

    def take(n, what):
        budget[0] -= n
        if budget[0] < 0:
            raise ProtocolError(f"{what} would take the message over {max_bytes / 2**20:g} MiB")
        return read_exact(n)

    (header_len,) = struct.unpack("<I", take(4, "the header's length"))
    if max_header is not None and header_len > max_header:
        raise ProtocolError(f"a header of {header_len} bytes (at most {max_header})")
    message = parse_header(take(header_len, "the header"))
    (count,) = struct.unpack("<I", take(4, "the number of arrays"))
    if count > MAX_BLOBS:
        raise ProtocolError(f"{count} arrays in one message (at most {MAX_BLOBS})")
    blobs = []
    for _ in range(count):
        (length,) = struct.unpack("<Q", take(8, "an array's length"))
        blobs.append(take(length, f"an array of {length} bytes"))
    return message, blobs


def unpack_trusted(read_exact):
    """Read one message that the grader's own side framed (the reference's process
    answering a proxy, see blackbox.py): the same frame as :func:`unpack`, without its caps."""
    (header_len,) = struct.unpack("<I", read_exact(4))
    message = json.loads(read_exact(header_len))
    (count,) = struct.unpack("<I", read_exact(4))
    return message, [read_exact(struct.unpack("<Q", read_exact(8))[0]) for _ in range(count)]


STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
DEPTH_STEP = np.zeros(256, np.int8)  # per byte: +1 opens a level, -1 closes one
DEPTH_STEP[list(b"[{")], DEPTH_STEP[list(b"]}")] = 1, -1
STARTS_A_VALUE = np.zeros(256, bool)
STARTS_A_VALUE[list(b"[{,")] = True


def parse_header(raw):
    """The JSON object in ``raw``, measured before ``json.loads`` builds or recurses into it."""
    depth, values = json_shape(raw)
    if depth > MAX_JSON_DEPTH:
        raise ProtocolError(f"a header nested {depth} deep (at most {MAX_JSON_DEPTH})")
    if values > MAX_JSON_VALUES:
        raise ProtocolError(f"a header of about {values} values (at most {MAX_JSON_VALUES})")
    try:
        message = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"bad header: {error}") from None
    if type(message) is not dict:
        raise ProtocolError("the header is not a JSON object")
    return message


def json_shape(raw):
    """How deeply the brackets of the JSON text ``raw`` nest, and about how many values
    it holds (its brackets and commas), strings left out.

    Counted with NumPy over the bytes, so a header of a million brackets costs
    milliseconds, never a recursion or a million Python objects."""
    codes = np.frombuffer(STRINGS.sub(b'""', raw), np.uint8)
    depth = int(np.cumsum(DEPTH_STEP[codes], dtype=np.int64).max(initial=0))
    return depth, int(np.count_nonzero(STARTS_A_VALUE[codes]))
