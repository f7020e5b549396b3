"""The reference MLP's training speed against the same network in PyTorch on CPU.

Each configuration runs :mod:`benchmarks.mlp_training` in its own process, so that the
thread settings are in place before NumPy is imported: single-threaded (OPENBLAS_NUM_THREADS=1
and torch.set_num_threads(1)) and the libraries' default threading. Where the environment
sets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (for older OpenBLAS builds), each is also run
with both unset, in that process only, and the kernel OpenBLAS picks is reported.
"""

import importlib.util
import json
import os
import subprocess
import sys

from . import ROOT
from .measure import Sample, Section, Table

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CORE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REFERENCE, TORCH64, TORCH32 = "reference Sequential.fit", "torch float64", "torch float32"


def run(settings):
    section = Section("Training the reference MLP against PyTorch")
    if importlib.util.find_spec("torch") is None:
        section.notes.append("skipped: PyTorch is not installed (`pip install torch` to compare; it is "
                             "not a dependency of nnlab).")
        return section
    configurations = [(threads, core) for threads in ("single", "default")
                      for core in (("as set", "unset") if any(v in os.environ for v in CORE_VARIABLES) else ("as set",))]
    if settings.quick:
        configurations = configurations[:1]
    results = {config: train(*config, settings) for config in configurations}
    section.tables.append(comparison_table(results, settings))
    ratios = [results[c]["seconds"][REFERENCE].median / results[c]["seconds"][torch].median
              for c in configurations for torch in (TORCH64, TORCH32)]
    section.figures = {"ratio": max(ratios)}
    some = next(iter(results.values()))
    section.notes += [
        f"64-25-15-10 relu MLP, softmax cross-entropy on the logits, Adam(1e-3), batch 32, digits train split "
        f"(1438 images): {settings.epochs} epochs = {some['steps']} steps for each contender, after a warm-up "
        f"epoch; PyTorch {some['torch']}. The contenders run interleaved in one process.",
        "ratio = the reference's time / PyTorch's (below 1: the reference is faster).",
    ]
    return section


def train(threads, core, settings):
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env.pop(name, None)
        if threads == "single":
            env[name] = "1"
    if core == "unset":
        for name in CORE_VARIABLES:
            env.pop(name, None)
    argv = [sys.executable, "-m", "benchmarks.mlp_training", "--epochs", str(settings.epochs),
            "--repeats", str(settings.repeats)] + (["--single-thread"] if threads == "single" else [])
    result = json.loads(subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                                       check=True).stdout)
    result["seconds"] = {name: Sample(values) for name, values in result["seconds"].items()}
    return result


def comparison_table(results, settings):
    names = list(next(iter(results.values()))["seconds"])
    table = Table(["threads", "OPENBLAS_CORETYPE/L2_SIZE", *names, "per step: reference / torch float64",
                   "ratio vs torch float64", "ratio vs torch float32", "BLAS kernels (threadpoolctl)"],
                  title=f"Training time, {settings.epochs} epochs")
    for (threads, core), result in results.items():
        seconds = result["seconds"]
        row = [f"{threads} ({result['torch_threads']} torch)", core] + [seconds[name].show() for name in names]
        row.append(" / ".join(f"{seconds[name].median / result['steps'] * 1e6:.0f} us" for name in (REFERENCE, TORCH64)))
        row += [f"{seconds[REFERENCE].median / seconds[torch].median:.2f}" for torch in (TORCH64, TORCH32)]
        table.rows.append(row + ["; ".join(result["kernels"])])
    return table
