"""The parent's side of one child process: start it, talk to it, and always stop it."""

import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from . import limits
from .protocol import Handle, ProtocolError, decode, encode, pack, unpack

CHILD_SCRIPT = Path(__file__).with_name("child.py")
MAX_ANSWER_BYTES = 256 * 2**20
MAX_OUTPUT_BYTES = 64 * 2**10


class ChildGone(Exception):
    """The child exited, was killed, or broke the protocol; it can answer no more."""


class ChildTimeout(ChildGone):
    """The child did not answer before the deadline and was killed."""


class ChildProcess:
    """A running ``child.py`` that imported one module of a submission."""

    def __init__(self, workspace, module, deadline, memory_mb=None, sandbox=None):
        self.deadline = deadline
        self.output = CappedOutput(MAX_OUTPUT_BYTES)
        argv = [sys.executable, "-I", str(workspace.child_script), str(workspace.root),
                workspace.package, module]
        env = limits.child_environment(workspace.home, memory_mb, deadline - time.monotonic())
        self.token = env["NNLAB_CHILD"] = uuid.uuid4().hex
        if sandbox is not None:
            argv = sandbox.wrap(argv, workspace, env)
        elif limits.nobody_can_run_python():  # root without the sandbox: still not as root
            env["NNLAB_RUN_AS"] = f"{limits.NOBODY}:{limits.NOBODY}"
            workspace.open_to(limits.NOBODY)
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workspace.root,
            env=env,
            start_new_session=True,
        )
        self._drain = threading.Thread(target=self.output.drain, args=(self.process.stderr,), daemon=True)
        self._drain.start()
        self._fd = self.process.stdout.fileno()
        self.hello = self._receive()

    # -- talking -------------------------------------------------------------------

    def request(self, message):
        """Send ``message`` (its "args" and "kwargs" encoded here); return the answer."""
        blobs = []
        message = dict(message)
        for key in ("args", "kwargs"):
            if key in message:
                message[key] = encode(message[key], blobs)
        try:
            self.process.stdin.write(pack(message, blobs))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._receive()  # reports how the child went away
        return self._receive()

    def _receive(self):
        try:
            message, blobs = unpack(self._read_exact, MAX_ANSWER_BYTES)
            for key in ("value", "args_after", "originals_after"):
                if key in message:
                    message[key] = decode(message[key], blobs)
            return message
        except ProtocolError as error:
            self.kill()
            raise ChildGone(f"sent an answer the grader cannot accept ({error})") from None

    def _read_exact(self, n):
        chunks = []
        while n:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._fd], [], [], remaining)[0]:
                self.kill()
                raise ChildTimeout("timed out")
            chunk = os.read(self._fd, min(n, 1 << 20))
            if not chunk:
                raise ChildGone(self._exit_reason() + self._last_output())
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

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
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else -code
            reason = {"SIGKILL": " (memory or CPU limit?)", "SIGXCPU": " (CPU time limit)",
                      "SIGSEGV": " (a crash in native code)"}.get(name, "")
            return f"was killed by {name}{reason}"
        return f"exited with status {code} (sys.exit() or os._exit() in your code?)"

    # -- stopping ------------------------------------------------------------------

    def kill(self):
        """Kill the child's whole process group; safe to call more than once."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # grandchildren left in the group
        except (ProcessLookupError, PermissionError):
            pass
        kill_marked(self.token)

    def close(self):
        """End the child: its input closes, it exits by itself or is killed soon after."""
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        self._drain.join(timeout=1)
        self.process.stderr.close()


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

    def drain(self, stream):
        try:
            while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
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
