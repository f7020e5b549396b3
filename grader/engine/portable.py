"""What the engine needs from the operating system, on Linux, macOS and Windows alike.

Talking to the child and stopping it takes three things that POSIX and Windows give in
different ways:

    Pipes(stdout, stdin)   wait with a deadline until the child's answer pipe can be read,
                           or its request pipe written: ``select`` on POSIX; on Windows
                           (where ``select`` takes sockets only) a reader thread fills a
                           buffer and a writer thread does the blocking writes
    chunks(fd, stop)       what the child prints, read until its end or until ``stop``
    ProcessTree            start the child in a group of its own and kill that whole group:
                           a process group on POSIX (``os.killpg``); a Job Object on Windows,
                           which also holds the child's memory, CPU time and process limits
                           and kills everything in it when the grader dies (kill on close);
                           elsewhere the tree of descendants, walked with psutil

The threaded path works on POSIX too, and the tests run it on Linux with ``select`` and
``os.killpg`` taken away (tests/test_portable.py).
"""

import os
import select
import signal
import subprocess
import threading

from .jobs import JobObject

CHUNK = 1 << 20
KILL_ROUNDS = 50  # a process tree that forks while it is killed: walk it again until it is empty

PROCESS_GROUP, JOB_OBJECT, PROCESS_TREE, PROCESS_ONLY = (
    "process group", "job object", "process tree", "the process only")


def on_windows():
    return os.name == "nt"


def select_works_on_pipes():
    """Whether ``select.select`` takes pipes here (POSIX); on Windows it takes sockets only."""
    return os.name == "posix"


# -- pipes with deadlines ----------------------------------------------------------------

def Pipes(read_fd, write_fd):  # noqa: N802 -- a factory that reads like a class
    """The child's answer pipe (``read_fd``) and request pipe (``write_fd``), waited on with
    deadlines: :class:`SelectPipes` where select takes pipes, else :class:`ThreadedPipes`."""
    return SelectPipes(read_fd, write_fd) if select_works_on_pipes() else ThreadedPipes(read_fd, write_fd)


class SelectPipes:
    """``select`` on the pipes themselves; the request pipe is non-blocking."""

    def __init__(self, read_fd, write_fd):
        self.read_fd, self.write_fd = read_fd, write_fd
        os.set_blocking(write_fd, False)

    def ready(self, timeout, write=False):
        fds = ([], [self.write_fd]) if write else ([self.read_fd], [])
        return any(select.select(*fds, [], timeout)[:2])

    def read(self, n):
        return os.read(self.read_fd, n)

    def write(self, data):
        """Write what the pipe takes now; return how many bytes that was."""
        try:
            return os.write(self.write_fd, data)
        except BlockingIOError:
            return 0

    def stop(self):
        pass


class ThreadedPipes:
    """A reader thread keeps what the child sends in a buffer (at most ``CHUNK`` ahead of
    what was asked for), and a writer thread writes one chunk at a time, blocking: the
    caller only ever waits on them, with a deadline. A thread blocked on a child that is
    killed wakes up when the pipe closes, and ends."""

    def __init__(self, read_fd, write_fd):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.changed = threading.Condition()
        self.buffer = bytearray()
        self.ended = False        # the answer pipe reached its end (or failed)
        self.pending = None       # the chunk the writer thread is writing
        self.write_error = None   # BrokenPipeError and the like, raised on the next write
        self.stopped = False
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._write_loop, daemon=True).start()

    def ready(self, timeout, write=False):
        with self.changed:
            return bool(self.changed.wait_for(self._can_write if write else self._can_read, timeout))

    def _can_read(self):
        return self.buffer or self.ended

    def _can_write(self):
        return self.pending is None

    def read(self, n):
        """Up to ``n`` bytes already received; b"" at the pipe's end (call after ``ready``)."""
        with self.changed:
            data = bytes(self.buffer[:n])
            del self.buffer[:n]
            self.changed.notify_all()
            return data

    def write(self, data):
        """Hand ``data`` to the writer thread (call after ``ready(write=True)``)."""
        with self.changed:
            if self.write_error is not None:
                raise self.write_error
            self.pending = bytes(data[:CHUNK])
            self.changed.notify_all()
            return len(self.pending)

    def stop(self):
        """Let both threads end (once the pipes are closed or the child is gone)."""
        with self.changed:
            self.stopped = True
            self.changed.notify_all()

    def _read_loop(self):
        while True:
            with self.changed:
                self.changed.wait_for(lambda: len(self.buffer) < CHUNK or self.stopped)
                if self.stopped:  # checked before every read: the fd may be closed and reused
                    return
            try:
                chunk = os.read(self.read_fd, CHUNK)
            except OSError:
                chunk = b""
            with self.changed:
                self.buffer += chunk
                self.ended = not chunk
                self.changed.notify_all()
                if not chunk:
                    return

    def _write_loop(self):
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.pending is not None or self.stopped)
                if self.stopped:
                    return
                data = self.pending
            try:
                view = memoryview(data)
                while view and not self.stopped:  # checked before every write, as for reads
                    view = view[os.write(self.write_fd, view):]
            except OSError as error:
                with self.changed:
                    self.write_error, self.pending = error, None
                    self.changed.notify_all()
                return
            with self.changed:
                self.pending = None
                self.changed.notify_all()


def chunks(fd, stop, poll=0.1):
    """What arrives on ``fd``, chunk by chunk, until its end or until ``stop`` is set
    (a process the child left behind may hold the pipe open for ever)."""
    while not stop.is_set():
        if select_works_on_pipes() and not select.select([fd], [], [], poll)[0]:
            continue
        chunk = os.read(fd, 65536)  # without select: blocking, in a thread of its own
        if not chunk:
            return
        yield chunk


# -- the child's process tree --------------------------------------------------------------

def kill_mechanism():
    """How this platform kills a child and everything it started (see the module's docstring)."""
    if on_windows():
        return JOB_OBJECT
    if hasattr(os, "killpg"):
        return PROCESS_GROUP
    return PROCESS_TREE if psutil_module() else PROCESS_ONLY


def start_options():
    """Popen's arguments that put the child in a group of its own: a new session on POSIX
    (so its process group is its own), a new process group on Windows (so a Ctrl-C in the
    grader's console does not reach it)."""
    if on_windows():
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": kill_mechanism() == PROCESS_GROUP}


class ProcessTree:
    """A started child and whatever it starts, to be killed together.

    ``job_limits`` (``limits.job_limits``) go into the Job Object on Windows; POSIX
    limits are rlimits the child sets itself. ``mechanism`` says what was obtained:
    the Job Object may be refused (an old Windows that does not nest jobs)."""

    def __init__(self, process, job_limits=None):
        self.process = process
        self.mechanism = kill_mechanism()
        self.job = None
        if self.mechanism == JOB_OBJECT:
            try:
                self.job = JobObject(job_limits or {})
                self.job.assign(process)
            except (OSError, AttributeError):  # refused, or a kernel32 without these calls
                self.close()
                self.mechanism = PROCESS_TREE if psutil_module() else PROCESS_ONLY

    def kill(self):
        """Kill the child and everything in its group (or tree); safe to call again."""
        if self.job is not None:
            self.job.terminate()
        elif self.mechanism == PROCESS_GROUP:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        elif self.mechanism == PROCESS_TREE:
            kill_descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()

    def memory(self):
        """Bytes of memory the child and its descendants use (resident), or None where
        psutil is missing or the child is gone."""
        psutil = psutil_module()
        if psutil is None:
            return None
        try:
            root = psutil.Process(self.process.pid)
            return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            return None

    def close(self):
        if self.job is not None:
            self.job.close()  # kill on close: nothing of the child outlives its handle
            self.job = None


def kill_descendants(pid):
    """Stop ``pid`` and every process below it (walking the tree again while new ones
    appear, so that a fork bomb cannot outrun us), then kill them all."""
    psutil = psutil_module()
    stopped = {}
    for _ in range(KILL_ROUNDS):
        try:
            root = psutil.Process(pid)
            found = [root] + root.children(recursive=True)
        except psutil.Error:
            break
        new = [p for p in found if p.pid not in stopped]
        if not new:
            break
        for process in new:
            stopped[process.pid] = process
            try:
                process.suspend()
            except psutil.Error:
                pass
    for process in stopped.values():
        try:
            process.kill()
        except psutil.Error:
            pass


WINDOWS_CRASHES = {  # exit statuses of a Windows process that crashed (NTSTATUS codes)
    0xC0000005: "an access violation (a crash in native code)",
    0xC00000FD: "a stack overflow (a recursion too deep for native code?)",
    0xC0000409: "a buffer overrun detected in native code",
    0xC0000017: "out of memory (the memory limit?)",
}


def windows_crash(code):
    """What a Windows exit status says about a crash, or "" for an ordinary exit."""
    return WINDOWS_CRASHES.get(code & 0xFFFFFFFF, "") if on_windows() else ""


def psutil_module():
    try:
        import psutil
    except ImportError:
        return None
    return psutil


__all__ = ["Pipes", "ProcessTree", "chunks", "kill_mechanism", "start_options"]
