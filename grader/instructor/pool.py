"""Warm workers: one ``python -m grader.instructor.worker --serve`` grades submission after
submission, so that the grader and NumPy are imported once per worker, not once per submission.

    worker = WarmWorker(command, cwd, alive_fd)
    code, stdout, stderr = worker.grade(arguments, backstop)   # as a worker of its own would exit
    html, markdown = worker.feedback(feedback_arguments, timeout)  # drawn there: matplotlib stays there
    worker.close()

A worker grades one submission at a time, each with fresh children (see ``worker.serve``).
When a submission's grading outlives its backstop the worker is killed with its whole
process group, and when a worker dies its submission gets the exit status it died with:
either way the next submission starts a fresh worker (``alive`` is False).
"""

import collections
import json
import os
import select
import signal
import subprocess
import threading
import time

from ..engine import reaper

TAIL_LINES = 20  # of the worker's stderr, for the reason of a worker that died


class BackstopExpired(Exception):
    """The submission's grading outlived its wall-clock backstop; the worker was killed."""


class WarmWorker:
    """A worker process that grades the requests sent to it, one after the other."""

    def __init__(self, command, cwd, alive_fd):
        # a session of its own: killing its group kills everything it started
        self.process = reaper.popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True, pass_fds=(alive_fd,))
        self._answers = b""
        self._tail = collections.deque(maxlen=TAIL_LINES)
        self._drain = threading.Thread(target=self._keep_tail, daemon=True)
        self._drain.start()

    @property
    def alive(self):
        return self.process.poll() is None

    def grade(self, arguments, backstop):
        """``(exit status, stdout, stderr)`` of the worker's arguments ``arguments``, as a
        worker process of its own would have ended; BackstopExpired after ``backstop`` s."""
        line = self._exchange([str(a) for a in arguments], backstop)
        if line is None:
            return self._died()
        try:
            answer = json.loads(line)
            found = int(answer["status"]), answer["report"].encode(), answer["error"].encode()
        except (ValueError, TypeError, KeyError, AttributeError):
            return 0, line, b""  # read_worker_answer says it is unreadable
        self._end_if_last(answer)
        return found

    def feedback(self, arguments, timeout):
        """``(html, markdown)`` of ``feedback.feedback_texts(**arguments)``, drawn by the
        worker; None when it could not (it failed, died or took longer than ``timeout`` s)."""
        try:
            line = self._exchange({"feedback": arguments}, timeout)
        except BackstopExpired:
            return None
        if line is None:
            self._died()
            return None
        try:
            answer = json.loads(line)
            texts = answer.get("html"), answer.get("markdown")
        except (ValueError, AttributeError):
            return None
        self._end_if_last(answer)
        return texts if all(isinstance(text, str) for text in texts) else None

    def _exchange(self, request, timeout):
        """The answer line to ``request``, or None when the worker is gone."""
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            return None
        return self._read_line(time.monotonic() + timeout)

    def _end_if_last(self, answer):
        if answer.get("last"):  # it ends after this answer: the next request gets a fresh worker
            self.close()

    def _read_line(self, deadline):
        """The next answer line, or None when the worker closed its end (it died)."""
        fd, chunks = self.process.stdout.fileno(), [self._answers]
        while b"\n" not in chunks[-1]:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise BackstopExpired
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            chunks.append(chunk)
        line, _, self._answers = b"".join(chunks).partition(b"\n")
        return line

    def _died(self):
        """The exit status the worker died with (it is gone), and its last words."""
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # its answers' end closed, yet alive: killed below
        self.kill()
        self._drain.join(timeout=5)
        return self.process.returncode, b"", b"\n".join(self._tail)

    def _keep_tail(self):
        for line in self.process.stderr:
            self._tail.append(line.rstrip(b"\n"))

    def signal_stop(self):
        """Kill the worker and everything it started; from any thread (its own reaps it)."""
        if self.process.returncode is None:  # not reaped yet: its pid is still its own
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self):
        """Kill the worker and everything it started, and reap it."""
        self.signal_stop()
        self.process.wait()
        self._forget()

    def close(self):
        """Let the worker end after its last answer (stdin closed); kill it if it lingers."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def _forget(self):
        reaper.forget(self.process)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
