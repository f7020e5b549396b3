"""The wire format between the grader (parent) and the student's process (child).

A message is one JSON header plus a list of binary blobs, each blob the raw bytes of
one array. Values travel as a small tree of plain data:

    None, bool, int, float, str, list   as themselves in JSON
    tuple                               {"$tuple": [...]}
    dict with str keys                  {"$dict": {...}}
    numpy array (exactly np.ndarray)    {"$nd": blob index, "dtype": "<f8", "shape": [...]}
    numpy scalar (np.float64, ...)      the same, with "scalar": true
    anything else                       {"$handle": id, "type": name}   (child side only)

Arrays are rebuilt with ``np.frombuffer`` from a numeric dtype and a shape that must
account for every byte: no pickle, no object arrays, so nothing can run code on the
reading side. This file is imported by both sides and needs only NumPy and the stdlib.
"""

import json
import struct

import numpy as np

ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: plain numbers only
MAX_DEPTH = 32
MAX_ITEMS = 100_000


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


class Handle:
    """A reference to an object that lives in the child (a model, an optimizer, ...)."""

    def __init__(self, id, type_name):
        self.id = id
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object in the student's process>"


def encode(value, blobs, store_handle=None, depth=0):
    """Turn ``value`` into JSON-able data, appending arrays to ``blobs``.

    ``store_handle(obj) -> id`` keeps objects that are not plain data (child side);
    without it such objects are an error (parent side).
    """
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, Handle):
        return {"$handle": value.id, "type": value.type_name}
    if type(value) is np.ndarray and value.dtype.kind in ARRAY_KINDS:
        return _array_to_blob(value, blobs)
    if isinstance(value, np.generic) and np.asarray(value).dtype.kind in ARRAY_KINDS:
        return {**_array_to_blob(np.asarray(value), blobs), "scalar": True}
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise ProtocolError(f"a {type(value).__name__} of {len(value)} items is too long")
        items = [encode(v, blobs, store_handle, depth + 1) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"$dict": {k: encode(v, blobs, store_handle, depth + 1) for k, v in value.items()}}
    if store_handle is None:
        raise ProtocolError(f"cannot send a {type(value).__name__}")
    return {"$handle": store_handle(value), "type": type(value).__name__}


def decode(data, blobs, resolve_handle=None):
    """Inverse of :func:`encode`; ``resolve_handle(id)`` maps handles to objects."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(v, blobs, resolve_handle) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise ProtocolError(f"unexpected value {data!r:.80}")
    if "$nd" in data:
        array = _array_from_blob(data, blobs)
        return array[()] if data.get("scalar") else array
    if "$tuple" in data:
        return tuple(decode(v, blobs, resolve_handle) for v in data["$tuple"])
    if "$dict" in data:
        return {str(k): decode(v, blobs, resolve_handle) for k, v in data["$dict"].items()}
    if "$handle" in data:
        if resolve_handle is None:
            return Handle(int(data["$handle"]), str(data.get("type", "object")))
        return resolve_handle(int(data["$handle"]))
    raise ProtocolError(f"unexpected value {data!r:.80}")


def _array_to_blob(array, blobs):
    blobs.append(np.ascontiguousarray(array).tobytes())
    return {"$nd": len(blobs) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}


def _array_from_blob(data, blobs):
    try:
        raw = blobs[int(data["$nd"])]
        dtype = np.dtype(str(data["dtype"]))
        shape = tuple(int(n) for n in data["shape"])
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise ProtocolError(f"bad array description: {error}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"array of an unsupported dtype {dtype}")
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=object)) * dtype.itemsize != len(raw):
        raise ProtocolError(f"array of shape {shape} and dtype {dtype} does not fit its {len(raw)} bytes")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


# Framing: u32 header length, JSON header, u32 blob count, then (u64 length, bytes) per blob.

def pack(message, blobs):
    header = json.dumps(message).encode()
    parts = [struct.pack("<I", len(header)), header, struct.pack("<I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


def unpack(read_exact, max_bytes):
    """Read one message with ``read_exact(n) -> bytes``; refuse more than ``max_bytes``."""
    budget = [max_bytes]

    def take(n):
        budget[0] -= n
        if budget[0] < 0:
            raise ProtocolError(f"message larger than {max_bytes // 2**20} MiB")
        return read_exact(n)

    (header_len,) = struct.unpack("<I", take(4))
    try:
        message = json.loads(take(header_len))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError(f"bad header: {error}") from None
    (count,) = struct.unpack("<I", take(4))
    blobs = []
    for _ in range(count):
        (length,) = struct.unpack("<Q", take(8))
        blobs.append(take(length))
    if type(message) is not dict:
        raise ProtocolError("header is not an object")
    return message, blobs
