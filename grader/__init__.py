"""nnlab's grader: checks that teach, run against student code in a separate process."""


def __getattr__(name):
    # `from grader import check` in a notebook; importing grader stays cheap everywhere else.
    if name == "check":
        from .notebooks.support import check

        return check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
