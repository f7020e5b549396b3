"""A forked child's own sandbox inside the submission's: Linux namespaces, by hand.

Under the sandbox, the fork server runs inside one bubblewrap sandbox per submission
(``forkserver.py``), and each exercise's child is a fork of it. A fork would share the
server's sandbox with its siblings: their workspaces, /tmp, processes. So before it
imports any student code, the fork makes itself what bubblewrap makes a spawned child
(``sandbox.py``), in the same way bubblewrap does it, with system calls:

    enter(root, ...)   a user namespace of its own (its uid mapped to itself), and mount,
                       PID, IPC and network namespaces owned by it; a fresh size-capped
                       /tmp that holds only its workspace (and the Python, if it lives in
                       /tmp), bound read-only; its home, /dev/shm: size-capped tmpfs of
                       its own; terminals (/dev/pts) of its own; not dumpable, so that no
                       other process of its user can read it
    become_init()      fork again: the grandchild is PID 1 of the new PID namespace, so
                       everything it starts dies with it, and leads a session of its own;
                       the fork in between only waits, and exits as the grandchild did
                       (the grader kills it, and then the grandchild: see forkserver.py)
    lock_down()        no /proc (the server and the siblings stay out of sight), no
                       capabilities, no new privileges, killed when the fork in between dies

Linux only; a fork that cannot (no user namespaces allowed, say) fails, and the grader
then starts the child the way it did before, a sandbox of its own.
"""

import ctypes
import os
import signal

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


def enter(root, visible, tmp_bytes):
    """Namespaces of this process's own, and the mounts of a child with the workspace
    ``root``; of the server's folders in /tmp, only ``visible`` (the Python) stay in sight."""
    uid, gid = os.getuid(), os.getgid()
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # changing uid cleared it: /proc/self/*_map stay ours
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET), "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the server
    kept = {path: os.open(path, os.O_PATH | os.O_DIRECTORY)  # before the fresh /tmp covers them
            for path in [root, *visible] if os.path.commonpath([path, "/tmp"]) == "/tmp"}
    try:
        _tmpfs("/tmp", tmp_bytes)
        for path, folder in kept.items():
            os.makedirs(path)
            _mount(f"/proc/self/fd/{folder}", path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    finally:
        for folder in kept.values():
            os.close(folder)
    _tmpfs(os.path.join(root, "home"), tmp_bytes)
    if os.path.isdir("/dev/shm"):
        _tmpfs("/dev/shm", tmp_bytes)
    if os.path.isdir("/dev/pts"):  # terminals of its own: the server's are its siblings' too
        _mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
        _mount("/dev/pts/ptmx", "/dev/ptmx", None, MS_BIND)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # done with /proc/self: no other process of its user may read it


def become_init():
    """Fork into the new PID namespace and return there, as its PID 1. This process waits
    for it, holding nothing of the child's (its pipes closed), then exits the way it did."""
    pid = os.fork()
    if pid == 0:
        os.setsid()  # a group of its own: its kill(0, ...) must not reach the fork that waits
        return
    os.closerange(0, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        if signum not in (signal.SIGKILL, signal.SIGSTOP):  # whose handlers cannot be set
            signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status))


def lock_down():
    """Hide /proc, give up every capability for good, and die with the fork that waits."""
    _tmpfs("/proc", 4096, mode="555")
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    nothing = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice, none set
    _check(_libc.capset(header, nothing), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def _tmpfs(path, size, mode="1777"):
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode={mode}")


def _mount(source, target, fstype, flags, data=None):
    encoded = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_libc.mount(encoded[0], encoded[1], encoded[2], flags, encoded[3]), f"mount {target}")


def _write(path, text):
    with open(path, "w") as file:
        file.write(text)


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")
