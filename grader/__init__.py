"""nnlab's grader: checks that teach, run against student code in a separate process."""


def __getattr__(name):
    # `from grader import check` in a notebook; importing grader stays cheap everywhere else.
    if name == "check":
        from .notebooks.support import check

        return check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")


def coordinate_single_threaded():
    """Run this process's NumPy on one BLAS thread: call it before NumPy loads, in processes
    that coordinate (the CLI, the batch and its workers), where a pool of BLAS threads only
    costs start-up time. Their children inherit it; the children that run student code get
    a complete environment of their own (``engine.limits``), where these are 1 as well."""
    import os

    os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
