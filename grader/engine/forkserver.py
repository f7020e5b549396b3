"""One fork server per submission: the children of its exercises start as forks.

Starting a child is a fresh Python importing NumPy (about 64 ms), ten times or more per
submission. A fork server is a Python that has imported NumPy and the child's server
once (``serve_forks.py``, never any student code) and forks one child per exercise and
per restart, in a millisecond or two; the fork becomes exactly what a spawned child is
(its session, user, limits, environment, workspace) before it imports the student's
module. Without the sandbox, on Linux and macOS; under the sandbox, inside one bubblewrap
sandbox per submission, where each fork shuts itself in a sandbox of its own
(``namespaces.py``) and finds its workspace in ``forks.workspaces``:

    forks = ForkServer.start(sandbox=box)     # None where children cannot be forked
    process = forks.fork(python, root, package, module, env, pass_fds)
    process.pid, .stdin, .stdout, .stderr, .poll(), .wait(timeout), .returncode
    forks.close()                             # every child it forked, then the server

``ForkedProcess`` has what ``ChildProcess`` uses of ``subprocess.Popen``: the parent still
kills a child's process group itself. The server reports pids and exit statuses; it is
the grader's code, but it runs beside untrusted children (as the same user, unless the
grader is root or the sandbox shuts each fork in), so what it says is checked: a pid
must be a session leader whose parent is the server (a pid in the sandbox is looked up
in the kernel's own numbering, never taken from the server), a status a small integer, a
message one short JSON line. A server that dies, is too slow or says anything else is
killed with every child it forked (their exercises see a child that stopped, with the
reason); the next child starts on a fresh server, or, where none starts, the way it did
before (``ChildProcess`` spawns it).
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from . import limits, reaper, runtime

# child.py imports blackbox; a fork under the sandbox imports namespaces
ENGINE_FILES = ("child.py", "protocol.py", "blackbox.py", "namespaces.py", "serve_forks.py")
MAX_LINE = 4096            # one message of the server
FORK_SECONDS = 10          # the longest a fork may take before the server counts as stuck
MAX_FAILURES = 2           # servers in a row that could not fork: then children are spawned


class ForkServerGone(Exception):
    """The fork server cannot fork this child; start it another way."""


def available():
    """Whether children can be forked here (POSIX, with descriptors passed over sockets)."""
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and sys.platform != "win32"


def child_python():
    """The interpreter children run on without the sandbox (see ``process.choose_python_and_user``),
    or None. As root, the prepared one, before the probe of whether the child's user can run
    it: the server imports NumPy meanwhile, and a child on another Python is spawned."""
    if not runtime.is_root():
        return sys.executable
    try:
        return runtime.prepared_python()
    except (OSError, RuntimeError):
        return None


class ForkServer:
    """The fork server of one submission, started again whenever the last one failed."""

    def __init__(self, python, sandbox=None):
        self.python = Path(python)
        self.sandbox = sandbox
        self.workspaces = workspaces_folder() if sandbox is not None else None
        self._lock = threading.Lock()
        self._server = None
        self._closed = False
        self._failures = 0

    @classmethod
    def start(cls, python=None, sandbox=None):
        """A fork server for children on ``python`` (under ``sandbox``, a
        :class:`~grader.engine.sandbox.Sandbox`: inside it, on its Python), or None where
        there can be none. It exits, killing its children, when the grader closes it or
        dies (its socket ends)."""
        python = sandbox.python if sandbox is not None else python or child_python()
        if not available() or python is None or (sandbox is not None and not sandboxed_pids_visible()):
            return None
        forks = cls(python, sandbox)
        try:
            forks._running()
        except ForkServerGone:
            forks.close()
            return None
        return forks

    @property
    def pid(self):
        return self._server.process.pid if self._server else None

    def fork(self, python, root, package, module, env, pass_fds=()):
        """A ``ForkedProcess`` serving ``package.module`` of the workspace ``root``; raises
        ForkServerGone when this server cannot fork it (then spawn it)."""
        if Path(python) != self.python:
            raise ForkServerGone(f"the fork server runs {self.python}, not {python}")
        with self._lock:
            try:
                process = self._running().fork(root, package, module, env, pass_fds)
            except ForkServerGone:
                self._failures += 1
                raise
            self._failures = 0
            return process

    def _running(self):
        if self._closed:
            raise ForkServerGone("the fork server is closed")
        if self._failures >= MAX_FAILURES:
            raise ForkServerGone(f"{MAX_FAILURES} fork servers in a row could not fork")
        if self._server is None or self._server.broken:
            self._server = Server(self.python, self.sandbox, self.workspaces)
        return self._server

    def close(self):
        """Kill every child forked and the server. Safe to call twice."""
        with self._lock:
            self._closed = True
            if self._server is not None:
                self._server.stop("closed")
            if self.workspaces is not None:
                shutil.rmtree(self.workspaces, ignore_errors=True)


class Server:
    """One running ``serve_forks.py``: its process, its folder, its control socket, its children."""

    def __init__(self, python, sandbox=None, workspaces=None):
        self.folder = folder = engine_folder()
        self.sandbox, self.workspaces = sandbox, workspaces
        self.token = uuid.uuid4().hex
        env = server_environment(python, folder, self.token)
        isolation = ["-I"] if Path(python) == Path(sys.executable) else ["-I", "-S"]
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = [str(python), *isolation, str(folder / "serve_forks.py"), str(theirs.fileno())]
        if sandbox is not None:
            argv = sandbox.enclose(argv, [folder, workspaces])
        reaper.adopt_orphans()
        try:
            self.process = reaper.popen(
                argv, cwd=folder, env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as error:
            ours.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise ForkServerGone(f"the fork server could not start ({error})") from None
        finally:
            theirs.close()
        self.control = ours
        self.broken = ""
        self.server_pid = self.process.pid if sandbox is None else None  # in the sandbox: found once
        self.children = {}          # the pid the server reports -> ForkedProcess, until it exits
        self.replies = queue.Queue()
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # -- forking ---------------------------------------------------------------------

    def fork(self, root, package, module, env, pass_fds):
        targets = [0, 1, 2, *pass_fds]
        pipes = [os.pipe() for _ in range(3)]  # stdin, stdout, stderr: ours are not inherited
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], *pass_fds]
        request = {"root": str(root), "package": package, "module": module, "env": env, "fds": targets}
        if self.sandbox is not None:
            request["own_sandbox"] = {"tmp_bytes": self.sandbox.tmp_bytes, "visible": [str(self.sandbox.prefix)]}
        request = json.dumps(request).encode() + b"\n"
        try:
            try:
                sent = socket.send_fds(self.control, [request], theirs)
                self.control.sendall(request[sent:])
            except OSError as error:
                self.stop(f"its socket failed ({error})")
            reply = self._reply()
        finally:
            for fd in theirs[:3]:
                os.close(fd)
        if reply is None or not isinstance(reply.get("forked"), ForkedProcess):
            for fd in (pipes[0][1], pipes[1][0], pipes[2][0]):
                os.close(fd)
            raise ForkServerGone(self.broken or f"the fork server could not fork ({reply.get('failed')!r:.100})")
        process = reply["forked"]
        process.attach(open(pipes[0][1], "wb", buffering=0), open(pipes[1][0], "rb", buffering=0),
                       open(pipes[2][0], "rb", buffering=0))
        return process

    def _reply(self):
        try:
            return self.replies.get(timeout=FORK_SECONDS)
        except queue.Empty:
            self.stop(f"it did not fork within {FORK_SECONDS} s")
            return None

    # -- what the server says --------------------------------------------------------

    def _read(self):
        pending = b""
        while True:
            try:
                data = self.control.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.stop("it exited")
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not self._take(line):
                    self.stop(f"it sent {line[:80]!r}, which is not a message of a fork server")
                    return
            if len(pending) > MAX_LINE:
                self.stop("it sent a line too long")
                return

    def _take(self, line):
        """Act on one message; False for anything but a well-formed, plausible one."""
        try:
            message = json.loads(line) if len(line) <= MAX_LINE else None
        except ValueError:
            return False
        if type(message) is not dict:
            return False
        if set(message) == {"forked"} and self._plausible(message["forked"]):
            pid = self._host_pid(message["forked"])
            if pid is False:
                return False
            process = ForkedProcess(pid, self)
            with self.changed:
                self.children[message["forked"]] = process
            self.replies.put({"forked": process})
            return True
        if set(message) == {"failed"} and type(message["failed"]) is str:
            self.replies.put({"failed": message["failed"][:200]})
            return True
        if set(message) == {"exited", "status"} and type(message["status"]) is int and -64 <= message["status"] <= 255:
            if self.sandbox is not None:
                self._end_lost_namespaces()
            with self.changed:
                process = self.children.pop(message["exited"], None)
                if process is not None:
                    process.returncode = message["status"]
                self.changed.notify_all()
            return process is not None
        return False

    def _end_lost_namespaces(self):
        """Kill each PID 1 of a fork's namespace whose fork, the process that waited for it,
        has died (the grader killed it, say): the server adopted it, and it lives on if
        student code cleared its parent-death signal. The grader kills it; the server
        could not (its forks are in namespaces of their own)."""
        for pid in child_pids(self.server_pid) if self.server_pid else []:
            if len(namespace_pids(pid)) > 2:  # two namespaces below the grader's: only those
                try:
                    os.kill(pid, signal.SIGKILL)  # and with it, everything in its namespace
                except (ProcessLookupError, PermissionError):
                    pass

    def _plausible(self, pid):
        return type(pid) is int and pid > 1 and pid not in self.children

    def _host_pid(self, reported):
        """The pid the grader kills for a fork the server reports as ``reported``: a child of
        the server that leads its own session (where the system tells; elsewhere a plausible
        pid). None: it is gone already, there is nothing to kill. False: not the server's."""
        if self.sandbox is None:
            if reported in (os.getpid(), os.getpgrp(), self.process.pid):
                return False
            if not Path("/proc/self/stat").exists():
                return reported
            pid = reported
        else:
            pid = self._in_the_sandbox(reported)
            if pid is None:
                return None
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited and reaped already: there is no group left to kill
            return None
        except (OSError, IndexError):
            return False
        return pid if int(fields[1]) == self.server_pid and int(fields[3]) == pid else False  # ppid, session

    def _in_the_sandbox(self, reported):
        """The grader's pid of the server's child that is ``reported`` in the sandbox's
        numbering (the kernel's NSpid), or None."""
        if self.server_pid is None:  # PID 1 of the sandbox: the one child of bwrap
            servers = [pid for pid in child_pids(self.process.pid) if namespace_pids(pid)[-1:] == [1]]
            self.server_pid = servers[0] if len(servers) == 1 else None
        for pid in child_pids(self.server_pid) if self.server_pid else []:
            if namespace_pids(pid)[1:2] == [reported]:
                return pid
        return None

    # -- stopping --------------------------------------------------------------------

    def stop(self, why):
        """Kill every child still running and the server; each child's exercise then reads
        ``why`` as the reason its child stopped. Safe to call more than once."""
        with self.changed:
            if self.broken:
                return
            self.broken = f"the grader's fork server stopped: {why}"
            orphaned = list(self.children.values())
            self.children.clear()
        for process in orphaned:
            kill_group(process.pid)
        kill_group(self.server_pid)  # under the sandbox, its PID 1: everything in it dies
        kill_group(self.process.pid)
        try:
            self.control.shutdown(socket.SHUT_RDWR)  # wakes the reader
        except OSError:
            pass
        self.control.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        reaper.forget(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)
        reaper.kill_orphans()  # the killed children, now ours to reap
        from .process import kill_marked

        kill_marked(self.token)  # anything forked from the server that never took its own token
        with self.changed:
            for process in orphaned:
                process.returncode = -signal.SIGKILL
                process.lost = "" if why == "closed" else self.broken
            self.changed.notify_all()
        self.replies.put(None)


class ForkedProcess:
    """A child forked by the server, seen through the subset of ``subprocess.Popen`` that
    ``ChildProcess`` uses."""

    def __init__(self, pid, server):
        self.pid = pid
        self.server = server
        self.returncode = None
        self.lost = ""  # why its status is not known: the server stopped
        self.stdin = self.stdout = self.stderr = None

    def attach(self, stdin, stdout, stderr):
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    def poll(self):
        return self.returncode

    def kill(self):
        if self.pid is None:  # gone before the grader could see it: nothing is left of it
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        with self.server.changed:
            while self.returncode is None:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    raise subprocess.TimeoutExpired(f"forked child {self.pid}", timeout)
                self.server.changed.wait(left)
        return self.returncode


def engine_folder():
    """A fresh folder holding the server's code (it removes it itself if the grader dies)."""
    folder = Path(tempfile.mkdtemp(prefix="nnlab-forks-"))
    os.chmod(folder, 0o755)
    for name in ENGINE_FILES:
        shutil.copyfile(Path(__file__).with_name(name), folder / name)
    return folder


def server_environment(python, folder, token):
    """The fork server's environment: what a child's Python reads as it starts (the hash
    seed, the output encoding, NumPy's threads), and no more; each fork replaces it."""
    env = limits.child_environment(folder)
    del env["NNLAB_LIMITS"]
    env["NNLAB_CHILD"] = token
    if Path(python) != Path(sys.executable):
        env.update(runtime.runtime_environment(python))
    return env


def workspaces_folder():
    """Where the exercises of a sandboxed fork server lay out their workspaces: the
    server's sandbox sees this folder, and each fork then only its own workspace in it."""
    folder = Path(tempfile.mkdtemp(prefix="nnlab-sandboxed-"))
    os.chmod(folder, 0o711)
    return folder


def sandboxed_pids_visible():
    """Whether the grader can number the forks of a sandboxed server as the kernel does
    (Linux's /proc: a process's children, its pid in each PID namespace)."""
    return Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists() and namespace_pids(os.getpid())


def child_pids(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def namespace_pids(pid):
    """``pid`` as each PID namespace numbers it, the grader's first (Linux's NSpid)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return [int(n) for n in line.split()[1:]]
    except (OSError, ValueError):
        pass
    return []


def kill_group(pid):
    if pid is None:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
