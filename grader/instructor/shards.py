"""Which shard of a class this machine grades: ``--shard K/N``, or ``--shard auto``.

``auto`` reads the shard from the scheduler that started the job:

    Kubernetes Indexed Job   JOB_COMPLETION_INDEX (0-based); N from --shard-count (the
                             Job's completions: Kubernetes does not pass it on)
    Slurm array job          SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT
    GitHub Actions matrix    NNLAB_JOB_INDEX and NNLAB_JOB_TOTAL, which the workflow sets
                             from ${{ strategy.job-index }} and ${{ strategy.job-total }}
                             (GitHub passes the matrix position to expressions only)

Shards are 1-based here, whatever the scheduler counts from.
"""


class ShardError(Exception):
    """--shard auto found no scheduler, or an incomplete one; the message says what to set."""


def auto_shard(environ, count=None):
    """``(K, N, scheduler)`` from the environment ``environ`` (see the module's docstring)."""
    if "JOB_COMPLETION_INDEX" in environ:
        if not count:
            raise ShardError("a Kubernetes Indexed Job gives the index, not the count: add --shard-count N "
                             "(the Job's completions)")
        return checked(number(environ, "JOB_COMPLETION_INDEX") + 1, count, "Kubernetes Indexed Job")
    if "SLURM_ARRAY_TASK_ID" in environ:
        first = number(environ, "SLURM_ARRAY_TASK_MIN")
        tasks = count or number(environ, "SLURM_ARRAY_TASK_COUNT")
        if "SLURM_ARRAY_TASK_MAX" in environ and number(environ, "SLURM_ARRAY_TASK_MAX") - first + 1 != tasks:
            raise ShardError("the Slurm array has gaps or a step (--array=1-8:2?): use --array=1-N, "
                             "or --shard K/N with your own numbering")
        return checked(number(environ, "SLURM_ARRAY_TASK_ID") - first + 1, tasks, "Slurm array job")
    if "NNLAB_JOB_INDEX" in environ:
        total = count or number(environ, "NNLAB_JOB_TOTAL")
        return checked(number(environ, "NNLAB_JOB_INDEX") + 1, total, "GitHub Actions matrix")
    raise ShardError("--shard auto found no Kubernetes Indexed Job (JOB_COMPLETION_INDEX), Slurm array job "
                     "(SLURM_ARRAY_TASK_ID) or GitHub Actions matrix (NNLAB_JOB_INDEX): use --shard K/N")


def number(environ, name):
    try:
        return int(environ[name])
    except KeyError:
        raise ShardError(f"--shard auto: {name} is not set") from None
    except ValueError:
        raise ShardError(f"--shard auto: {name}={environ[name]!r} is not a whole number") from None


def checked(shard, shards, scheduler):
    if not 1 <= shard <= shards:
        raise ShardError(f"--shard auto: shard {shard} of {shards} from the {scheduler} is out of range")
    return shard, shards, scheduler
