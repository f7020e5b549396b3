"""The fork server: forks the child of each exercise from a Python that has NumPy loaded.

Started by the grader (``forkserver.py``) as ``python -I [-S] serve_forks.py FD``, FD its
control socket (under the sandbox, as PID 1 of the submission's bubblewrap sandbox). It
imports the child's server (``child.py``, and NumPy with it) once, and never imports
student code. For each request (a JSON line, the child's pipes
attached as file descriptors) it forks a child, which then becomes what a freshly
started ``child.py`` is, in the same order:

    a new session                    the grader kills its process group
    the pipes at 0, 1, 2 (and the arena's fd), every other descriptor closed
    its user (NNLAB_RUN_AS), the parent-death signal
    under the sandbox: namespaces    a sandbox of its own inside the server's (namespaces.py)
    its resource limits (NNLAB_LIMITS)
    its own environment              the one the grader computed for it
    its workspace                    the working folder, and the only folder on sys.path
    child.main()                     the import policy, the student's module, serving

The server tells the grader each child's pid (in the sandbox, as the sandbox numbers it)
once it is a session leader, and its exit
status once reaped: ``{"forked": pid}`` (or ``{"failed": why}``), ``{"exited": pid,
"status": code}``, one JSON line each. When the socket ends (the grader died), it kills
every child it forked, removes its folder and exits.
"""

import fcntl
import json
import os
import select
import signal
import socket
import sys
import traceback

ENGINE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ENGINE)

import child  # noqa: E402 -- NumPy and the child's server, imported once for every child
import numpy.random  # noqa: E402,F401 -- NumPy imports it when first used: here, once

MAX_FDS = 8
MARK = "NNLAB_CHILD"  # the token process.kill_marked looks for in /proc/<pid>/environ
SERVER_TOKEN = os.environ.get(MARK, "")  # the server's own, in the block its forks inherit


def main():
    outlive_the_starting_thread()
    control = socket.socket(fileno=int(sys.argv[1]))
    children = set()
    try:
        serve(control, children)
    except OSError:  # the socket failed: the grader died with answers unread, say
        pass
    for pid in children:  # the grader is gone: so is everything it asked for
        kill_group(pid)
    remove_own_folder()
    os._exit(0)


def serve(control, children):
    """Fork a child for each request and report what becomes of it, until the socket ends."""
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # wakes select: a child to reap
    pending, fds = b"", []
    while True:
        ready = select.select([control, wake_read], [], [])[0]
        if wake_read in ready:
            drain(wake_read)
            reap(control, children)
        if control not in ready:
            continue
        data, received, _, _ = socket.recv_fds(control, 1 << 16, MAX_FDS)
        fds += received
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            reply = fork(json.loads(line), fds, control)
            if "forked" in reply:
                children.add(reply["forked"])
            for fd in fds:
                os.close(fd)
            fds = []
            send(control, reply)


def outlive_the_starting_thread():
    """Undo the parent-death signal that importing ``child`` set: it fires when the grader's
    thread that started the server ends, not the grader. The end of the control socket is
    the grader's end, on every system (see ``main``)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 0, 0, 0, 0)  # PR_SET_PDEATHSIG, none


def fork(request, fds, control):
    """Fork the child ``request`` describes; its pid once it leads a session of its own
    (and, under the sandbox, has namespaces of its own: see ``become_child``)."""
    ready_read, ready_write = os.pipe()
    server = os.getpid()
    try:
        pid = os.fork()
    except OSError as error:  # out of processes, say: the grader spawns this child instead
        os.close(ready_read)
        os.close(ready_write)
        return {"failed": f"fork: {error}"}
    if pid == 0:
        try:
            os.close(ready_read)
            os.setsid()
            become_child(request, fds, control, server, ready_write)
        except BaseException:  # noqa: BLE001 -- never back into the server's loop
            print_quietly()
        finally:
            os._exit(1)
    os.close(ready_write)
    started = os.read(ready_read, 1)
    os.close(ready_read)
    return {"forked": pid} if started else {"failed": "the child did not start"}


def print_quietly():
    """The traceback of a fork that failed, on its stderr, if it still has one."""
    try:
        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 -- closed (the fork that waits, namespaces.py)
        pass


def become_child(request, fds, control, server, ready):
    """What ``child.py`` does at start, here in a fork: then serve the exercise. Under the
    sandbox (``request["own_sandbox"]``), the fork first shuts itself in namespaces of its
    own (``namespaces.py``); it tells the server it started once that worked."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control.detach()  # its descriptor is closed below: no object may close a reused number
    ready = place(fds, request["fds"], ready)
    env = request["env"]
    child.drop_privileges(env.get("NNLAB_RUN_AS", ""))
    child.die_with_parent()  # after the drop: changing uid clears the parent-death signal
    if os.getppid() != server:  # the server died before the signal was asked for
        os._exit(1)
    if request.get("own_sandbox"):
        import namespaces

        namespaces.enter(request["root"], request["own_sandbox"]["visible"], request["own_sandbox"]["tmp_bytes"])
        namespaces.become_init()
        namespaces.lock_down()
    os.write(ready, b"1")
    os.close(ready)
    child.apply_limits(env.get("NNLAB_LIMITS", ""))
    take_environment(env)
    os.chdir(request["root"])
    sys.path[:] = [path for path in sys.path if path != ENGINE]  # child.main adds the workspace
    sys.path_importer_cache.clear()
    child.np.random.seed()  # fresh entropy, as a newly started NumPy has (random reseeds itself)
    sys.modules["__main__"] = child
    sys.argv = [os.path.join(request["root"], "_engine", "child.py"), request["root"], request["package"],
                request["module"]]
    child.main()


def place(received, targets, ready):
    """Put each received descriptor at its number in the grader's request (0, 1, 2, then
    the arena's), and close every other one (the control socket above all) but ``ready``;
    return the number ``ready`` moved to."""
    floor = max(targets) + 1
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, floor) for fd in received]
    ready = fcntl.fcntl(ready, fcntl.F_DUPFD, floor)
    for fd, target in zip(moved, targets):
        os.dup2(fd, target)
    for fd in map(int, os.listdir("/dev/fd")):
        if fd not in targets and fd != ready:
            try:
                os.close(fd)
            except OSError:  # the listing's own descriptor, closed already
                pass
    return ready


def take_environment(env):
    """The grader's environment for this child, instead of the server's; and its token in
    the environment block that /proc shows (the server's own token, rewritten in place),
    so that ``process.kill_marked`` finds what this child leaves behind."""
    os.environ.clear()
    os.environ.update(env)
    token = env.get(MARK, "")
    if os.path.exists("/proc/self/stat") and token:  # Linux, and /proc not hidden (namespaces.py)
        mark_environment_block(f"{MARK}={SERVER_TOKEN}".encode(), f"{MARK}={token}".encode())


def mark_environment_block(old, new):
    import ctypes

    fields = open("/proc/self/stat", "rb").read().rsplit(b")", 1)[1].split()
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51
    block = ctypes.string_at(start, end - start)
    where = block.find(old + b"\0")
    if where >= 0 and len(old) == len(new):
        ctypes.memmove(start + where, new, len(new))


def remove_own_folder():
    """The grader removes this folder, unless it died first."""
    import shutil

    shutil.rmtree(ENGINE, ignore_errors=True)


def reap(control, children):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:  # not a fork that failed to start: the grader never heard of it
            children.discard(pid)
            send(control, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def send(control, message):
    control.sendall(json.dumps(message).encode() + b"\n")


if __name__ == "__main__":
    main()
