"""Array arguments in memory the parent owns, so that the parent sees what a call did to them.

For a call whose arguments are checked afterwards (``return_args``), each array among
its positional arguments is copied into a shared memory segment (a Linux memfd) that
the child maps at start-up, and the student's function gets arrays backed by it. After
the call the parent reads that memory itself:

    originals_after   the arguments as sent, each array replaced by what its memory holds now
    args_after[i]     for an array argument: what its memory holds now

So "did it change its inputs" and "did it update the caller's arrays in place" are
observed by the parent, and code that rewrites what the child reports (by walking up
its frames) changes nothing. Still the child's word: which arrays a dict argument holds
after the call (``args_after`` of a dict) and NumPy's warnings. Places are never
reused, since student code may keep an argument (a model its data); when the segment
is full, or where there is no memfd (not Linux), arguments travel as bytes and the
child's report is used, as before.
"""

import mmap
import os

import numpy as np

from .protocol import ARRAY_KINDS

ARENA_BYTES = 16 * 2**20
ALIGN = 64


class Arena:
    def __init__(self, size=ARENA_BYTES):
        self.fd = os.memfd_create("nnlab-arguments")  # close-on-exec: only the child gets it (pass_fds)
        os.ftruncate(self.fd, size)
        self.memory = mmap.mmap(self.fd, size)
        self.size = size
        self.used = 0
        self.places = []

    @classmethod
    def create(cls):
        """An arena, or None where shared memory of this kind does not exist."""
        try:
            return cls()
        except (AttributeError, OSError):
            return None

    def environment(self):
        """``NNLAB_ARENA`` for the child: ``fd:size``."""
        return f"{self.fd}:{self.size}"

    def place(self, array):
        """The wire description of ``array`` copied into the arena, or None when full."""
        data = np.ascontiguousarray(array)
        start = -(-self.used // ALIGN) * ALIGN
        if start + data.nbytes > self.size:
            self.places.append(None)
            return None
        self.memory[start:start + data.nbytes] = data.tobytes()
        self.used = start + data.nbytes
        self.places.append((start, data.dtype, data.shape))
        return {"$shm": start, "dtype": data.dtype.str, "shape": list(data.shape)}

    def observe(self, args, answer, first_place):
        """Replace the child's report of ``args`` in ``answer`` by what the parent reads,
        for the places from ``first_place`` on (this call's), when all of them fit."""
        places = self.places[first_place:]
        if None in places or not answer.get("ok"):
            return
        taken = iter(places)
        answer["originals_after"] = [self._read_tree(arg, taken) for arg in args]
        reported = answer.get("args_after")
        if type(reported) is list and len(reported) == len(args):
            for index, arg in enumerate(args):
                if placed(arg):
                    reported[index] = answer["originals_after"][index]

    def _read_tree(self, value, taken):
        """``value`` with every array replaced by its place's content, in the order that
        ``protocol.encode`` placed them."""
        if placed(value):
            start, dtype, shape = next(taken)
            count = int(np.prod(shape, dtype=np.int64))
            return np.frombuffer(self.memory, dtype, count, start).reshape(shape).copy()
        if type(value) in (list, tuple):
            return type(value)(self._read_tree(item, taken) for item in value)
        if type(value) is dict and all(type(k) is str for k in value):
            return {key: self._read_tree(item, taken) for key, item in value.items()}
        return value

    def close(self):
        self.memory.close()
        os.close(self.fd)


def placed(value):
    """Whether ``protocol.encode`` puts ``value`` in the arena (exactly a numeric ndarray)."""
    return type(value) is np.ndarray and value.dtype.kind in ARRAY_KINDS
