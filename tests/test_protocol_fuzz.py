"""The parent's reader, fuzzed: whatever bytes the child sends, reading them either gives
a checked answer or raises ProtocolError; nothing else, ever (no AttributeError,
RecursionError, MemoryError or OverflowError can reach the grader)."""

import io
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.engine.process import MAX_ANSWER_BYTES, MAX_HEADER_BYTES, check_answer
from grader.engine.protocol import ProtocolError, decode, encode, pack, unpack

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from(["$nd", "$shm", "$tuple", "$dict", "$handle", "dtype", "shape", "scalar", "type",
                        "ok", "value", "error", "warnings", "args_after", "originals_after",
                        "message", "where", "unsendable", "x"])
DTYPES = st.sampled_from(["<f8", "<i4", "|b1", "<c16", "|O", "V8", "<U3", "S2", "f8,f8", "(2,)f8",
                          "<M8", "", "\x00", "float", 7, None, [], "<f8 "])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=8),
                    DTYPES)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEYS, inner, max_size=4)),
                    max_leaves=30)
BLOBS = st.lists(st.binary(max_size=40), max_size=3)


class Short(Exception):
    """The frame ended before the reader had what it asked for (the child closed its pipe)."""


def reader(data):
    stream = io.BytesIO(data)

    def read_exact(n):
        chunk = stream.read(n)
        if len(chunk) != n:
            raise Short
        return chunk
    return read_exact


def read_answer(data):
    """What the parent does with the bytes of one answer; None when they fall short."""
    try:
        message, blobs = unpack(reader(data), MAX_ANSWER_BYTES, MAX_HEADER_BYTES)
        return check_answer(message, blobs)
    except Short:
        return None


def refuses_or_accepts(function, *args):
    try:
        function(*args)
    except ProtocolError:
        pass


@FUZZ
@given(JSON, BLOBS, st.sampled_from([None, bytearray(64)]))
def test_decoding_any_json_raises_only_protocol_errors(data, blobs, arena):
    refuses_or_accepts(decode, data, blobs, None, 0, arena)


def test_shared_memory_arrays_stay_inside_the_arena_and_never_reach_the_parent():
    arena = bytearray(64)
    inside = decode({"$shm": 32, "dtype": "<f8", "shape": [4]}, [], arena=arena)
    inside[:] = 1.0
    assert arena[32:40] == np.float64(1.0).tobytes()
    for offset, shape in ((40, [4]), (-8, [1]), (0, [9])):
        with pytest.raises(ProtocolError):
            decode({"$shm": offset, "dtype": "<f8", "shape": shape}, [], arena=arena)
    with pytest.raises(ProtocolError):
        decode({"$shm": 0, "dtype": "<f8", "shape": [1]}, [])  # the parent has no arena to read


@FUZZ
@given(st.dictionaries(KEYS, JSON, max_size=6), BLOBS, st.booleans())
def test_checking_any_message_raises_only_protocol_errors(message, blobs, hello):
    refuses_or_accepts(check_answer, message, blobs, hello)


@FUZZ
@given(st.binary(max_size=200))
def test_reading_any_bytes_raises_only_protocol_errors(data):
    refuses_or_accepts(read_answer, data)


VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**60, 2**60), st.floats(allow_nan=False), st.text(max_size=10),
              hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128]),
                         hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=12)


def valid_frame(value):
    blobs = []
    return pack({"ok": True, "value": encode(value, blobs), "warnings": ["w"]}, blobs)


@FUZZ
@given(VALUES)
def test_valid_answers_survive_the_checks(value):
    answer = read_answer(valid_frame(value))
    assert set(answer) == {"ok", "value", "warnings"}
    assert same(answer["value"], value)


def same(a, b):
    if isinstance(b, np.ndarray):
        return type(a) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=b.dtype.kind in "fc")
    if isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(b, dict):
        return type(a) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    return type(a) is type(b) and a == b


@FUZZ
@given(VALUES, st.data())
def test_damaged_answers_raise_only_protocol_errors(value, data):
    """Adversarial frames: a valid answer with bytes flipped, cut or inserted."""
    frame = bytearray(valid_frame(value))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(frame)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and at < len(frame):
            frame[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del frame[at:at + data.draw(st.integers(1, 8))]
        else:
            frame[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    refuses_or_accepts(read_answer, bytes(frame))


REFUSED_HEADERS = {
    "deep lists": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "a million values": b"[" + b"0," * 1_000_000 + b"0]",
    "a number of 10000 digits": b'{"ok": true, "value": ' + b"9" * 10_000 + b"}",
    "not utf-8": b'{"ok": true, "value": "\xff"}',
    "a shape of 40 dimensions": b'{"ok": true, "value": {"$nd": 0, "dtype": "<f8", "shape": [' + b"1," * 39 + b"1]}}",
    "a scalar with a shape": b'{"ok": true, "value": {"$nd": 0, "dtype": "<f8", "shape": [1], "scalar": true}}',
}
ACCEPTED_HEADERS = {  # text is made safe later, where it enters the report
    "brackets inside strings are not nesting": (b'{"ok": true, "value": "' + b"[" * 10_000 + b'"}', "[" * 10_000),
    "a lone surrogate": (b'{"ok": true, "value": "\\ud800"}', "\ud800"),
}


def test_a_handles_type_name_is_cut_to_what_a_report_quotes():
    header = b'{"ok": true, "value": {"$handle": 1, "type": "' + b"T" * 1_000_000 + b'"}}'
    assert len(read_answer(frame_of(header))["value"].type_name) == 100


def frame_of(header, blobs=(b"\0" * 8,)):
    parts = [struct.pack("<I", len(header)), header, struct.pack("<I", len(blobs))]
    for blob in blobs:
        parts += [struct.pack("<Q", len(blob)), blob]
    return b"".join(parts)


@pytest.mark.parametrize("header", REFUSED_HEADERS.values(), ids=REFUSED_HEADERS.keys())
def test_hostile_headers_are_refused(header):
    with pytest.raises(ProtocolError):
        read_answer(frame_of(header))


@pytest.mark.parametrize("header, value", ACCEPTED_HEADERS.values(), ids=ACCEPTED_HEADERS.keys())
def test_odd_but_valid_headers_are_read(header, value):
    assert read_answer(frame_of(header))["value"] == value


def test_caps_are_checked_before_anything_is_read():
    for frame in (struct.pack("<I", 2**32 - 1),                           # a 4 GB header
                  frame_of(b'{"ok": true}', ())[:-4] + struct.pack("<I", 2**32 - 1),  # 4 billion arrays
                  frame_of(b'{"ok": true}', ())[:-4] + struct.pack("<IQ", 1, 2**63)):  # an 8 EB array
        try:
            read_answer(frame)
        except ProtocolError:
            continue
        raise AssertionError(f"accepted {frame[:20]!r}")
