"""The parent's side of one child process: start it, talk to it, and always stop it.

Nothing the child sends is trusted: every answer is read within the exercise's deadline
and within caps (its header, its arrays, the arrays of the whole exercise), decoded
strictly and checked field by field before a check sees it. Anything else is "not an
answer" and ends the child, never the grader. Writes to the child have the same
deadline as reads, so a child that stops reading cannot stall the grader either.
Without the sandbox (whose writable folders are size-capped tmpfs), the workspace's size
is watched while the child runs, and the child stopped past its disk quota. What this
needs from the operating system (pipes with deadlines, the child's tree killed) is
asked of it in ``portable.py``, the same way on Linux, macOS and Windows.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from . import limits, portable, reaper, runtime
from .arena import Arena
from .forkserver import ForkServerGone
from .protocol import Handle, ProtocolError, decode, encode, pack, unpack

CHILD_SCRIPT = Path(__file__).with_name("child.py")
MAX_ANSWER_BYTES = 64 * 2**20      # one answer, its arrays included
MAX_EXERCISE_BYTES = 1024 * 2**20  # every answer of one exercise, its restarts included
MAX_HEADER_BYTES = 4 * 2**20       # the JSON of one answer
MAX_OUTPUT_BYTES = 64 * 2**10
MAX_TEXT = 2000                    # an error message, a warning
MAX_DISK_BYTES = 128 * 2**20       # what the child may write to its workspace without the sandbox
MAX_DISK_FILES = 10_000
DRAIN_SECONDS = 0.25               # for the last of the child's output, once it is killed
DISK_CHECK_SECONDS = 0.2
NOT_AN_ANSWER = "sent something that is not an answer"


class ChildGone(Exception):
    """The child exited, was killed, or broke the protocol; it can answer no more."""


class ChildTimeout(ChildGone):
    """The child did not answer before the deadline and was killed."""


class ByteBudget:
    """The bytes of answers an exercise may still receive, shared by its children."""

    def __init__(self, total=MAX_EXERCISE_BYTES):
        self.left = total
        self.total = total

    def spend(self, n):
        self.left -= n
        if self.left < 0:
            raise ProtocolError(f"answers of over {self.total / 2**20:g} MiB in one exercise")


class ChildProcess:
    """A running ``child.py`` that imported one module of a submission."""

    def __init__(self, workspace, module, deadline, memory_mb=None, sandbox=None, budget=None, forks=None):
        self.deadline = deadline
        self.budget = budget or ByteBudget()
        self.workspace = workspace
        self.watch_disk = sandbox is None
        self.output = CappedOutput(MAX_OUTPUT_BYTES)
        env = limits.child_environment(workspace.home, memory_mb, deadline - time.monotonic())
        self.job_limits = limits.job_limits(memory_mb, deadline - time.monotonic())  # Windows only
        self.memory_cap = limits.watched_memory(memory_mb)  # macOS: no RLIMIT_AS
        python, self.ran_as = choose_python_and_user(sandbox, env, workspace)
        isolation = ["-I"] if python == sys.executable else ["-I", "-S"]  # the prepared one: no site
        argv = [str(python), *isolation, str(workspace.child_script), str(workspace.root),
                workspace.package, module]
        self.token = env["NNLAB_CHILD"] = uuid.uuid4().hex
        self.arena = Arena.create()
        if self.arena is not None:
            env["NNLAB_ARENA"] = self.arena.environment()
        if sandbox is not None:
            sandbox.prepare(env, workspace)
            argv = sandbox.wrap(argv, workspace, env)
        reaper.adopt_orphans()
        try:
            if forks is not None and forks.sandbox is not sandbox:
                forks = None
            self.process = self._fork(forks, python, env, workspace, module) or self._start(argv, env, workspace)
            self.tree = self._contain(self.process)
        except BaseException:
            if self.arena is not None:
                self.arena.close()
            raise
        self._stop_draining = threading.Event()
        self._drain = threading.Thread(target=self.output.drain,
                                       args=(self.process.stderr.fileno(), self._stop_draining), daemon=True)
        self._drain.start()
        self.pipes = portable.Pipes(self.process.stdout.fileno(), self.process.stdin.fileno())
        try:
            self.hello = self._receive(hello=True)
        except BaseException:
            self.close()
            raise

    def _fork(self, forks, python, env, workspace, module):
        """The child forked by the submission's fork server (see ``forkserver.py``), or None:
        then it is spawned."""
        if forks is None:
            return None
        try:
            return forks.fork(python, workspace.root, workspace.package, module, env,
                              (self.arena.fd,) if self.arena else ())
        except ForkServerGone:
            return None

    def _start(self, argv, env, workspace):
        return reaper.popen(
            argv,
            pass_fds=(self.arena.fd,) if self.arena else (),
            bufsize=0,  # raw pipes: no buffer whose flush could block on a child that stops reading
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workspace.root,
            env=env,
            **portable.start_options(),
        )

    def _contain(self, process):
        """The child's process tree, to kill as one; the report records how (see portable.py)."""
        tree = portable.ProcessTree(process, self.job_limits)
        self.ran_as["kill"] = tree.mechanism
        return tree

    # -- talking -------------------------------------------------------------------

    def request(self, message):
        """Send ``message`` (its "args" and "kwargs" encoded here); return the answer.

        With "return_args", the arrays of "args" go into the arena, and the answer's
        evidence about them is what the parent reads there (see ``arena.py``)."""
        observe = self.arena is not None and bool(message.get("return_args"))
        first_place = len(self.arena.places) if observe else 0
        data = pack_request(message, self.arena.place if observe else None)
        try:
            self._write_all(data)
        except (BrokenPipeError, OSError):
            self._receive()  # reports how the child went away
        answer = self._receive()
        if observe:
            self.arena.observe(message.get("args", []), answer, first_place)
        return answer

    def _write_all(self, data):
        """Write ``data`` to the child before the deadline, however slowly it reads."""
        view = memoryview(data)
        while view:
            self._wait_until_ready(write=True)
            view = view[self.pipes.write(view[:1 << 20]):]

    def _receive(self, hello=False):
        try:
            message, blobs = unpack(self._read_exact, MAX_ANSWER_BYTES, MAX_HEADER_BYTES)
            return check_answer(message, blobs, hello)
        except ProtocolError as error:
            self.kill()
            raise ChildGone(f"{NOT_AN_ANSWER} ({error})") from None

    def _read_exact(self, n):
        self.budget.spend(n)
        chunks = []
        while n:
            self._wait_until_ready()
            chunk = self.pipes.read(min(n, 1 << 20))
            if not chunk:
                raise ChildGone(self._exit_reason() + self._last_output())
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _wait_until_ready(self, write=False):
        """Wait until the child's pipe can be read (or written); kill it at the deadline,
        or as soon as it is over its disk quota."""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise ChildTimeout("timed out")
            if self.pipes.ready(min(remaining, DISK_CHECK_SECONDS), write):
                return
            self._check_disk()
            self._check_memory()

    def _check_disk(self):
        if not self.watch_disk:
            return
        used, files = self.workspace.usage(MAX_DISK_BYTES, MAX_DISK_FILES)
        if used > MAX_DISK_BYTES or files > MAX_DISK_FILES:
            self.kill()
            self.workspace.clear_home()
            raise ChildGone(f"wrote more than {MAX_DISK_BYTES // 2**20} MiB or {MAX_DISK_FILES} files "
                            "to its folder (the disk quota of an exercise)")

    def _check_memory(self):
        if self.memory_cap is None:
            return
        used = self.tree.memory()
        if used is not None and used > self.memory_cap:
            self.kill()
            raise ChildGone(f"used more than {self.memory_cap // 2**20} MiB of memory (the memory limit)")

    def _last_output(self):
        self._drain.join(timeout=1)
        lines = self.output.text().strip().splitlines()[-3:]
        return "; its last output: " + " | ".join(lines) if lines else ""

    def _exit_reason(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "closed its connection to the grader"
        finally:
            self.kill()
        if getattr(self.process, "lost", ""):  # a forked child: its server went first
            return f"was stopped: {self.process.lost}"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
            reason = {"SIGKILL": " (memory or CPU limit?)", "SIGXCPU": " (CPU time limit)",
                      "SIGSEGV": " (a crash in native code)"}.get(name, "")
            return f"was killed by {name}{reason}"
        if portable.windows_crash(code):
            return f"crashed: {portable.windows_crash(code)}"
        return f"exited with status {code} (sys.exit() or os._exit() in your code?)"

    # -- stopping ------------------------------------------------------------------

    def kill(self):
        """Kill the child, its process group and whatever it left behind; safe to call
        more than once."""
        if self.process.poll() is None:
            self.tree.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.tree.kill()  # grandchildren left in the group
        if self.process.returncode is not None:
            reaper.forget(self.process)
        reaper.kill_orphans()
        kill_marked(self.token)

    def close(self):
        """End the child: its input closes, it exits by itself or is killed soon after.
        Every step has a deadline, whatever the child (or what it started) holds open."""
        self.pipes.stop()  # before the pipes close: their threads must not read a reused fd
        close_quietly(self.process.stdin)
        try:
            self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        close_quietly(self.process.stdout)  # after the kill: on Windows, closing a pipe that a
        self.tree.close()                   # thread is reading waits until that read ends
        self._drain.join(timeout=DRAIN_SECONDS)  # to the pipe's end, unless something the child left holds it
        self._stop_draining.set()
        self._drain.join(timeout=1)
        self.process.stderr.close()
        if self.arena is not None:
            self.arena.close()
            self.arena = None


def close_quietly(stream):
    try:
        stream.close()
    except OSError:
        pass


def choose_python_and_user(sandbox, env, workspace):
    """``(python, ran_as)``: the interpreter the child runs on, and how it runs
    (``{"sandbox": bool, "uid": int}``, recorded in the report). Never as root unless the
    instructor allowed it: without the sandbox, root's child runs as an unprivileged user
    on a Python holding only the standard library and NumPy (see ``runtime.py``)."""
    ran_as = child_identity(sandbox)
    if sandbox is not None:
        env.update(runtime.runtime_environment(sandbox.python))
        return sandbox.python, ran_as
    if not runtime.is_root():
        return sys.executable, ran_as
    python, _ = runtime.unprivileged_python()
    if python is None:
        if not runtime.root_allowed():
            raise runtime.RootRefused(runtime.refusal())
        return sys.executable, ran_as
    uid, gid = runtime.own_user()
    env.update(runtime.runtime_environment(python))
    env["NNLAB_RUN_AS"] = f"{uid}:{gid}"
    workspace.give_to(uid, gid)
    return python, {**ran_as, "uid": uid}


def child_identity(sandbox):
    """How a child runs: ``{"sandbox": bool, "uid": int}`` (None where there are no uids),
    with what limits it and how it is killed here (see ``containment``)."""
    return {**user_identity(sandbox), **containment()}


def containment():
    """``{"limits": [...], "kill": ...}``: the limits this platform puts on the child, in
    words, and how it kills the child's process tree (``portable.kill_mechanism``)."""
    return {"limits": limits.limit_names(), "kill": portable.kill_mechanism()}


def user_identity(sandbox):
    if not hasattr(os, "getuid"):
        return {"sandbox": sandbox is not None, "uid": None}
    if sandbox is not None:
        return {"sandbox": True, "uid": runtime.child_user()[0] if sandbox.drop_to_nobody else os.getuid()}
    if runtime.is_root() and runtime.unprivileged_python()[0] is not None:
        return {"sandbox": False, "uid": runtime.child_user()[0]}
    return {"sandbox": False, "uid": os.getuid()}


def pack_request(message, place=None):
    """The bytes of ``message`` with its "args" and "kwargs" encoded, the arrays of
    "args" put in the arena by ``place`` when given."""
    blobs, message = [], dict(message)
    for key in ("args", "kwargs"):
        if key in message:
            message[key] = encode(message[key], blobs, place=place if key == "args" else None)
    return pack(message, blobs)


def check_answer(message, blobs, hello=False):
    """The child's ``message`` with its values decoded, once it has been checked to be
    an answer: ``{"ok": true, ...}`` with the fields of a call (the hello: none), or
    ``{"ok": false, "error": {...}}``. Raises ProtocolError for anything else."""
    if type(message.get("ok")) is not bool:
        raise ProtocolError("no ok field")
    if not message["ok"]:
        if set(message) != {"ok", "error"}:
            raise ProtocolError(f"a failure with the fields {sorted(message)!r:.80}")
        return {"ok": False, "error": check_error(message["error"])}
    allowed = {"ok"} if hello else {"ok", "value", "warnings", "args_after", "originals_after"}
    if not set(message) <= allowed:
        raise ProtocolError(f"unexpected fields {sorted(set(message) - allowed)!r:.80}")
    answer = {"ok": True}
    for key in ("value", "args_after", "originals_after"):
        if key in message:
            answer[key] = decode(message[key], blobs)
    for key in ("args_after", "originals_after"):
        if key in answer and type(answer[key]) is not list:
            raise ProtocolError(f"{key} is not a list")
    if "warnings" in message:
        answer["warnings"] = text_list(message["warnings"], "warnings")
    return answer


def check_error(error):
    """An error description: type, message, where (and unsendable), of the right types."""
    if type(error) is not dict or not set(error) <= {"type", "message", "where", "unsendable"}:
        raise ProtocolError("a malformed error")
    checked = {"type": text(error.get("type", "Exception"), "the error's type")[:100],
               "message": text(error.get("message", ""), "the error's message"),
               "where": text_list(error.get("where", []), "the error's place")}
    if "unsendable" in error:
        if type(error["unsendable"]) is not bool:
            raise ProtocolError("a malformed error")
        checked["unsendable"] = error["unsendable"]
    return checked


def text(value, what):
    if type(value) is not str:
        raise ProtocolError(f"{what} is not text")
    return value[:MAX_TEXT]


def text_list(values, what):
    if type(values) is not list:
        raise ProtocolError(f"{what} is not a list")
    return [text(v, what) for v in values[:10]]


def kill_marked(token):
    """Kill every process that still carries this child's token in its environment.

    Without the sandbox this is how a process that detached itself (a double fork and
    setsid) is found after its group was killed. Linux only; elsewhere a no-op.
    """
    marker = f"NNLAB_CHILD={token}".encode()
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc/self/environ").exists() else []:
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass


class CappedOutput:
    """Keeps the first ``cap`` bytes of what the child prints, and counts the rest."""

    def __init__(self, cap):
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    def drain(self, fd, stop):
        """Read ``fd`` until its end, or until ``stop`` is set (a process the child left
        behind may hold the pipe open for ever)."""
        try:
            for chunk in portable.chunks(fd, stop):
                room = self.cap - len(self.kept)
                self.kept += chunk[:room]
                self.dropped += max(0, len(chunk) - room)
        except (OSError, ValueError):
            pass

    def text(self):
        text = self.kept.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n... ({self.dropped} more bytes of output not kept)"
        return text


__all__ = ["ChildProcess", "ChildGone", "ChildTimeout", "Handle"]
