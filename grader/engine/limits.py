"""What the child process may see and use: its environment and its resource limits.

The environment is an allow-list: nothing of the grader's own environment (CI tokens,
home folder, proxies) reaches student code. On POSIX, resource limits are rlimits the
child applies to itself before it imports anything of the student's (see
``child.apply_limits``), which keeps the parent free of ``preexec_fn`` and safe to run
children from threads. Windows has no rlimits: its limits are the Job Object's
(``jobs.py``). Where no memory limit holds (macOS ignores RLIMIT_AS), the parent
watches the child's memory instead (``watched_memory``).
"""

import importlib.util
import os
import sys

from . import portable

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
    return ",".join(f"{k}={v}" for k, v in rlimits(memory_mb, cpu_seconds).items())


def rlimits(memory_mb=None, cpu_seconds=None):
    """The rlimits the child sets itself, those this platform has and enforces (none on
    Windows, whose limits are the Job Object's: see ``job_limits``)."""
    if not has_rlimits():
        return {}
    limits = {
        "RLIMIT_AS": int(memory_mb or DEFAULT_MEMORY_MB) * 2**20,
        "RLIMIT_CORE": 0,
        "RLIMIT_FSIZE": MAX_FILE_BYTES,
        "RLIMIT_NOFILE": MAX_OPEN_FILES,
    }
    if sys.platform == "darwin":  # macOS accepts RLIMIT_AS but does not enforce it
        del limits["RLIMIT_AS"]
    if cpu_seconds:
        limits["RLIMIT_CPU"] = int(cpu_seconds) + 1
    if hasattr(os, "getuid"):  # root is exempt: the sandbox drops the child to nobody first
        limits["RLIMIT_NPROC"] = MAX_PROCESSES
    return limits


def has_rlimits():
    return importlib.util.find_spec("resource") is not None


def job_limits(memory_mb=None, cpu_seconds=None):
    """The limits of the child's Job Object on Windows (see ``jobs.py``)."""
    return {"memory_bytes": int(memory_mb or DEFAULT_MEMORY_MB) * 2**20,
            "cpu_seconds": int(cpu_seconds) + 1 if cpu_seconds else None,
            "processes": MAX_PROCESSES}


RLIMIT_NAMES = {"RLIMIT_AS": "memory", "RLIMIT_CPU": "cpu time", "RLIMIT_FSIZE": "file size",
                "RLIMIT_NOFILE": "open files", "RLIMIT_NPROC": "processes", "RLIMIT_CORE": "no core dumps"}
JOB_NAMES = {"memory_bytes": "memory", "cpu_seconds": "cpu time", "processes": "processes"}


def limit_names():
    """What limits the child here, in words, for the report's record of how it ran."""
    if portable.on_windows():
        return sorted(JOB_NAMES[name] for name in job_limits(cpu_seconds=1))
    names = sorted(RLIMIT_NAMES[name] for name in rlimits(cpu_seconds=1))
    if "memory" not in names and portable.psutil_module():
        names.append(MEMORY_WATCH)
    return names


MEMORY_WATCH = "memory watch"  # no memory limit here (macOS): the parent measures the child's tree


def watched_memory(memory_mb=None):
    """The bytes the parent lets the child's tree use where no limit holds it (macOS
    does not enforce RLIMIT_AS), or None where a limit does or nothing can measure it."""
    return int(memory_mb or DEFAULT_MEMORY_MB) * 2**20 if MEMORY_WATCH in limit_names() else None


def nobody_can_run_python():
    """Whether, as root, the child drops to an unprivileged user outside the sandbox too
    (on a Python that user can run, see ``runtime.py``)."""
    from . import runtime

    return runtime.is_root() and runtime.unprivileged_python()[0] is not None
