"""A pytest plugin (``-p simulated_platform``) that makes this Linux look like another
system to the test suite, ``SIMULATED_PLATFORM`` (``win32``, the default, or ``darwin``).
As Windows: the POSIX-only modules refuse to import, the POSIX-only calls and signals are
gone. As macOS: the Linux-only calls are gone. Either way ``sys.platform`` says so.

It is for one question only, asked by ``test_platforms.py``: does every test module import
there, and does each test that needs what the system lacks skip? Libraries that choose
their own code by ``sys.platform`` (click, psutil, asyncio, ...) are imported first, as
Linux builds: their Windows code cannot run here, and it is not what is tested.
"""

import importlib
import os
import shutil
import signal
import sys
import sysconfig

LIBRARIES = ("asyncio", "click", "copydetect", "hypothesis", "ipykernel", "jupyter_client", "matplotlib.pyplot",
             "nbclient", "nbformat", "numpy", "psutil", "xmlschema", "yaml", "zmq")
POSIX_MODULES = ("fcntl", "grp", "posix", "pty", "pwd", "resource", "termios", "tty")
POSIX_CALLS = ("chown", "fork", "getegid", "geteuid", "getgid", "getpgid", "getuid", "initgroups", "killpg",
               "setgid", "setgroups", "setpgid", "setsid", "setuid", "wait4")
LINUX_CALLS = ("memfd_create", "pipe2", "sched_getaffinity")
POSIX_SIGNALS = ("SIGALRM", "SIGCHLD", "SIGCONT", "SIGHUP", "SIGKILL", "SIGPIPE", "SIGQUIT", "SIGSTOP", "SIGUSR1",
                 "SIGUSR2", "SIGXCPU", "SIGXFSZ")

sysconfig.get_config_vars()  # read once, under the real platform's name
for library in LIBRARIES:
    try:
        importlib.import_module(library)
    except ImportError:
        pass
PLATFORM = os.environ.get("SIMULATED_PLATFORM", "win32")
if PLATFORM == "win32":
    for name in POSIX_MODULES:
        sys.modules[name] = None  # `import fcntl` raises ImportError
    missing = ((os, POSIX_CALLS + LINUX_CALLS), (signal, POSIX_SIGNALS))
else:
    missing = ((os, LINUX_CALLS),)
for owner, names in missing:
    for name in names:
        if hasattr(owner, name):
            delattr(owner, name)
if PLATFORM == "win32":  # Python 3.13's shutil.which asks _winapi, which Linux has not: no program is found
    shutil.which = lambda *args, **kwargs: None
sys.platform = PLATFORM
