"""A pytest plugin (``-p simulated_windows``) that makes this Linux look like Windows to
the test suite: the POSIX-only modules refuse to import, the POSIX-only calls and signals
are gone, and ``sys.platform`` is ``win32`` (``SIMULATED_PLATFORM`` names another).

It is for one question only, asked by ``test_platforms.py``: does every test module import
there, and does each test that needs what Windows lacks skip? Libraries that choose their
own Windows code by ``sys.platform`` (click, psutil, asyncio, ...) are imported first, as
Linux builds: their Windows code cannot run here, and it is not what is tested.
"""

import importlib
import os
import signal
import sys
import sysconfig

LIBRARIES = ("asyncio", "click", "copydetect", "hypothesis", "ipykernel", "jupyter_client", "matplotlib.pyplot",
             "nbclient", "nbformat", "numpy", "psutil", "xmlschema", "yaml", "zmq")
POSIX_MODULES = ("fcntl", "grp", "posix", "pty", "pwd", "resource", "termios", "tty")
POSIX_CALLS = ("chown", "fork", "getegid", "geteuid", "getgid", "getpgid", "getuid", "initgroups", "killpg",
               "memfd_create", "setgid", "setgroups", "setpgid", "setsid", "setuid", "wait4")
POSIX_SIGNALS = ("SIGALRM", "SIGCHLD", "SIGCONT", "SIGHUP", "SIGKILL", "SIGPIPE", "SIGQUIT", "SIGSTOP", "SIGUSR1",
                 "SIGUSR2", "SIGXCPU", "SIGXFSZ")

sysconfig.get_config_vars()  # read once, under the real platform's name
for library in LIBRARIES:
    try:
        importlib.import_module(library)
    except ImportError:
        pass
for name in POSIX_MODULES:
    sys.modules[name] = None  # `import fcntl` raises ImportError
for owner, names in ((os, POSIX_CALLS), (signal, POSIX_SIGNALS)):
    for name in names:
        if hasattr(owner, name):
            delattr(owner, name)
sys.platform = os.environ.get("SIMULATED_PLATFORM", "win32")
