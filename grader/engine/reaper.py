"""Processes that student code leaves behind are adopted and killed, whatever they did.

A process the child starts can detach itself: fork twice, call ``setsid``, exec with an
empty environment. Linux still hands every orphan to the nearest *child subreaper*
above it (``prctl(PR_SET_CHILD_SUBREAPER)``), and the process that grades becomes one.
Then an orphan is simply a child of ours that we did not start ourselves:

    popen(...)       start a process of ours (a child, a worker); it is never an orphan
    forget(process)  it has ended
    kill_orphans()   kill and reap every other child of ours in another session

Processes we start without a new session (``subprocess.run`` of a probe) share our
session and are left alone; a process of student code can never join our session, since
``setsid`` only makes a new one. Elsewhere than Linux this is all a no-op, and the token
in the child's environment (``process.kill_marked``) remains the only net.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
ROUNDS = 100  # an orphan's own children are adopted when it dies: sweep until none is left

_ours = set()
_lock = threading.Lock()
_adopting = []


def adopt_orphans():
    """Make this process a child subreaper (once); return whether it is one."""
    with _lock:
        if not _adopting:
            _adopting.append(sys.platform.startswith("linux") and _set_child_subreaper())
        return _adopting[0]


def _set_child_subreaper():
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def popen(*args, **kwargs):
    """``subprocess.Popen(...)``, known as ours before any sweep can see it."""
    with _lock:
        process = subprocess.Popen(*args, **kwargs)
        _ours.add(process.pid)
    return process


def forget(process):
    with _lock:
        _ours.discard(process.pid)


def kill_orphans(timeout=5.0):
    """Kill and reap every adopted orphan, and the orphans those leave; return how many."""
    if not _adopting or not _adopting[0]:
        return 0
    killed, deadline = 0, time.monotonic() + timeout
    for _ in range(ROUNDS):
        with _lock:
            orphans = [pid for pid in adopted() if pid not in _ours]
            for pid in orphans:
                _kill(pid)
        if not orphans:
            break
        killed += len(orphans)
        for pid in orphans:
            _reap(pid, deadline)
    return killed


def adopted():
    """Our children in another session than ours: what student code left behind."""
    me, session = os.getpid(), os.getsid(0)
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the name: state, ppid, pgrp, session
        if int(fields[1]) == me and int(fields[3]) != session:
            found.append(int(entry.name))
    return found


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid, deadline):
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done or time.monotonic() > deadline:
            return
        time.sleep(0.005)
