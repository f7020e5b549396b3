"""Time spent inside the reference's own functions while an exercise's checks run.

The checks run here against the real child server (``grader/engine/child.py``) loaded in
this process instead of a child process, so every request is handled exactly as in a
child, minus the process and the pipe; only the calls of the reference's functions (and
methods, and the items of its generators) are timed.

Loading child.py has process-wide effects (it asks Linux to kill this process with its
parent, and puts the engine folder on sys.path), so this runs as its own process:

    python -m benchmarks.in_process activations backprop --repeats 3     # prints JSON
"""

import argparse
import importlib.util
import inspect
import json
import sys
import time

from grader import grading
from grader.checks.core import CheckFailed
from grader.engine.process import CHILD_SCRIPT
from grader.engine.protocol import decode, encode
from grader.engine.student import StudentCode
from grader.submission import Reference

from . import ROOT, SOLUTIONS


def load_child_module():
    spec = importlib.util.spec_from_file_location("nnlab_child_in_process", CHILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed_server_class(child):
    class TimedServer(child.Server):
        """The child's server, adding up the seconds spent in the functions it calls."""

        seconds = 0.0
        timing = False

        def call(self, request, blobs):
            self.timing = True
            try:
                return super().call(request, blobs)
            finally:
                self.timing = False

        def resolve(self, target):
            found = super().resolve(target)
            return Timed(found, self) if self.timing else found

    return TimedServer


class Timed:
    """A function (or an object whose method is called) that adds its run time to ``clock``.

    A generator's time is spent as it is consumed, so the items it yields are timed too.
    """

    def __init__(self, target, clock):
        self.target = target
        self.clock = clock

    def __getattr__(self, name):
        return Timed(getattr(self.target, name), self.clock)

    def __call__(self, *args, **kwargs):
        value = self._timed(self.target, *args, **kwargs)
        return self._items(value) if inspect.isgenerator(value) else value

    def _items(self, generator):
        while True:
            try:
                yield self._timed(next, generator)
            except StopIteration:
                return

    def _timed(self, function, *args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            self.clock.seconds += time.perf_counter() - started


class LocalChild:
    """Stands in for :class:`~grader.engine.process.ChildProcess`: same messages, no process."""

    def __init__(self, server):
        self.server = server
        self.requests = 0
        self.seconds = 0.0
        server.load()

    def request(self, message):
        started = time.perf_counter()
        try:
            return self._request(message)
        finally:
            self.requests += 1
            self.seconds += time.perf_counter() - started

    def _request(self, message):
        blobs, message = [], dict(message)
        for key in ("args", "kwargs"):
            if key in message:
                message[key] = encode(message[key], blobs)
        try:
            fields = {"ok": True, **self.server.handle(json.loads(json.dumps(message)), blobs)}
        except BaseException as error:  # noqa: BLE001 -- as the child answers it
            fields = {"ok": False, "error": self.server.describe(error)}
        answer, answer_blobs = self.server.answer(**fields)
        answer = json.loads(json.dumps(answer))
        for key in ("value", "args_after", "originals_after"):
            if key in answer:
                answer[key] = decode(answer[key], answer_blobs)
        return answer


def time_exercise(name, server_class, reference, seed=0):
    """One run of the checks: ``seconds`` in all, ``function_seconds`` in the reference's functions,
    ``request_seconds`` handling requests (the functions plus encoding and decoding both ways),
    the number of ``requests``, and the checks that ``failed`` (none, for the reference)."""
    exercise = grading.find_exercise(name)
    child = LocalChild(server_class(str(ROOT), SOLUTIONS.name, name))
    ref = reference.module(name)
    failed = []
    started = time.perf_counter()
    for check in exercise.checks:
        try:
            check.run(StudentCode(child), seed, ref if check.hidden else None, [])
        except CheckFailed:
            failed.append(check.name)
    return {"seconds": time.perf_counter() - started, "function_seconds": child.server.seconds,
            "request_seconds": child.seconds, "requests": child.requests, "failed": failed}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", choices=grading.exercise_names())
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    server_class = timed_server_class(load_child_module())
    reference = Reference(SOLUTIONS)
    runs = {name: [time_exercise(name, server_class, reference) for _ in range(options.repeats)]
            for name in options.names}
    json.dump(runs, sys.stdout)


if __name__ == "__main__":
    main()
