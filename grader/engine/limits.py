"""What the child process may see and use: its environment and its resource limits.

The environment is an allow-list: nothing of the grader's own environment (CI tokens,
home folder, proxies) reaches student code. Resource limits are applied by the child to
itself before it imports anything of the student's (see ``child.apply_limits``), which
keeps the parent free of ``preexec_fn`` and safe to run children from threads.
"""

import os
import sys

DEFAULT_MEMORY_MB = 2048
MAX_FILE_BYTES = 64 * 2**20
MAX_OPEN_FILES = 256
MAX_PROCESSES = 256

NOBODY = 65534

PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SYSTEMROOT")


def child_environment(home, memory_mb=None, cpu_seconds=None):
    """The complete environment of a child: a few fixed values and nothing inherited."""
    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8:replace",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NNLAB_LIMITS": limits_spec(memory_mb, cpu_seconds),
    }
    env.update({k: os.environ[k] for k in PASSED_THROUGH if k in os.environ})
    return env


def limits_spec(memory_mb=None, cpu_seconds=None):
    """``"name=value,..."`` for ``child.apply_limits``: resource names of ``resource``."""
    limits = {
        "RLIMIT_AS": int(memory_mb or DEFAULT_MEMORY_MB) * 2**20,
        "RLIMIT_CORE": 0,
        "RLIMIT_FSIZE": MAX_FILE_BYTES,
        "RLIMIT_NOFILE": MAX_OPEN_FILES,
    }
    if cpu_seconds:
        limits["RLIMIT_CPU"] = int(cpu_seconds) + 1
    if hasattr(os, "getuid"):  # root is exempt: the sandbox drops the child to nobody first
        limits["RLIMIT_NPROC"] = MAX_PROCESSES
    return ",".join(f"{k}={v}" for k, v in limits.items())


def nobody_can_run_python():
    """Whether, as root, the child drops to an unprivileged user outside the sandbox too
    (on a Python that user can run, see ``runtime.py``)."""
    from . import runtime

    return runtime.is_root() and runtime.unprivileged_python()[0] is not None
