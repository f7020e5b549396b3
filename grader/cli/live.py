"""A one-line progress display on stderr while exercises are graded, for terminals only."""

import sys
import threading
import time

from ..report.console import encodes

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PLAIN_FRAMES = "|/-\\"  # for a console without braille (cp1252)


class ProgressLine:
    """Shows ``⠹ grading model, minibatch  4 s`` on stderr, and erases it when done.

    Pass it to ``grading.grade(progress=...)``, which calls :meth:`started` and
    :meth:`finished` from its worker threads; use it as a context manager around the call.
    """

    def __init__(self, stream=None, interval=0.1):
        self.stream = stream or sys.stderr
        self.frames = FRAMES if encodes(FRAMES, self.stream) else PLAIN_FRAMES
        self.interval = interval
        self.running = {}  # exercise name -> when it started
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._animate, daemon=True)

    @classmethod
    def on_terminal(cls, wanted=True):
        """A ProgressLine when ``wanted`` and stderr is a terminal, else None."""
        return cls() if wanted and sys.stderr.isatty() else None

    def started(self, name):
        with self.lock:
            self.running[name] = time.monotonic()

    def finished(self, result):
        with self.lock:
            self.running.pop(result.name, None)

    def line(self, frame):
        with self.lock:
            if not self.running:
                return ""
            seconds = time.monotonic() - min(self.running.values())
            return f"{self.frames[frame % len(self.frames)]} grading {', '.join(self.running)}  {seconds:.0f} s"

    def _animate(self):
        frame = 0
        while not self.done.wait(self.interval):
            self.stream.write("\r\033[K" + self.line(frame))
            self.stream.flush()
            frame += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.thread.join()
        self.stream.write("\r\033[K")
        self.stream.flush()
