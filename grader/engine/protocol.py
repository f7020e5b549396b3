"""The wire format between the grader (parent) and the student's process (child).

A message is one JSON header plus a list of binary blobs, each blob an ``.npy`` file.
Values travel as a small tree of plain data:

    None, bool, int, float, str, list   as themselves in JSON
    tuple                               {"$tuple": [...]}
    dict with str keys                  {"$dict": {...}}
    numpy array (exactly np.ndarray)    {"$nd": blob index}
    numpy scalar (np.float64, ...)      {"$nd": blob index, "scalar": true}
    anything else                       {"$handle": id, "type": name}   (child side only)

Arrays are read back with ``allow_pickle=False``, so no object can run code on the
reading side. This file is imported by both sides and needs only NumPy and the stdlib.
"""

import io
import json
import struct

import numpy as np

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
    if type(value) is np.ndarray and value.dtype != object:
        blobs.append(_array_to_bytes(value))
        return {"$nd": len(blobs) - 1}
    if isinstance(value, np.generic) and not isinstance(value, np.object_):
        blobs.append(_array_to_bytes(np.asarray(value)))
        return {"$nd": len(blobs) - 1, "scalar": True}
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
        array = _array_from_bytes(blobs[data["$nd"]])
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


def _array_to_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _array_from_bytes(raw):
    try:
        array = np.load(io.BytesIO(raw), allow_pickle=False)
    except ValueError as error:
        raise ProtocolError(f"bad array: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufcSU?":
        raise ProtocolError("array of an unsupported dtype")
    return array


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
