"""What the figures were measured on: CPU, cores, memory, Python, NumPy and its BLAS."""

import os
import platform
import sys
from pathlib import Path

import numpy as np

from .measure import Table

BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def cpu_model():
    fields = dict(_proc_fields("/proc/cpuinfo", ":"))
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    return f"{fields['model name']} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def memory():
    total = dict(_proc_fields("/proc/meminfo", ":")).get("MemTotal", "")
    return f"{int(total.split()[0]) / 2**20:.1f} GiB" if total else "unknown"


def _proc_fields(path, separator):
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    return [tuple(part.strip() for part in line.split(separator, 1)) for line in lines if separator in line]


def blas():
    """NumPy's BLAS library and version, and the kernel it runs when threadpoolctl can tell."""
    info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    text = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return text + " (kernel: install threadpoolctl to see it)"
    kernels = {f"{pool.get('architecture', '?')}, {pool['num_threads']} threads"
               for pool in threadpool_info() if pool["user_api"] == "blas"}
    return text + (f" (kernel: {'; '.join(sorted(kernels))})" if kernels else "")


def cores():
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{os.cpu_count()} logical, {usable} usable"


def describe():
    variables = ", ".join(f"{k}={os.environ[k]}" for k in BLAS_VARIABLES if k in os.environ) or "none set"
    rows = [
        ("CPU", cpu_model()),
        ("cores", cores()),
        ("memory", memory()),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("NumPy", np.__version__),
        ("BLAS", blas()),
        ("BLAS environment", variables),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]
    return Table(["", ""], [list(row) for row in rows], title="Machine")
