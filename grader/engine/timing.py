"""An exercise's time: each check its own budget, the exercise a bounded total."""

import time

CHECK_SHARE = 3  # a check's default budget: its exercise's time limit divided by this
MIN_CHECK_SECONDS = 1.0
BLACK_BOX_SLOWDOWN = 4  # an exercise that calls the reference's black boxes gets this times its limit
TIMEOUT_ALLOWANCE = 2  # time lost to timed-out checks granted on top, in exercise time limits


class Clock:
    """An exercise's time: each check its own budget, the exercise a bounded total.

    A check may run for its budget: the ``timeout`` it declares, else a third of
    the exercise's limit (at least a second); past it the child is killed, the check fails
    and a new child runs the next check. Checks start while the time the exercise spent
    outside timed-out checks is under its limit; the time lost to timeouts comes on top, up
    to twice the limit, so a function that hangs costs only the checks that call it, and
    the exercise always ends within three times its limit (:func:`time_bound`).
    """

    def __init__(self, limit):
        self.limit = limit
        self.factor = 1
        self.started = time.monotonic()
        self.lost = 0.0

    def stretch(self, factor):
        """Multiply the limit: code that calls black boxes (see ``reference_calls.py``) pays
        a round trip per call, which must not cost the student checks."""
        self.limit *= factor
        self.factor *= factor

    def elapsed(self):
        return time.monotonic() - self.started

    def end(self):
        return self.started + time_bound(self.limit)

    def can_start(self):
        elapsed = self.elapsed()
        return elapsed - self.lost < self.limit and elapsed < time_bound(self.limit)

    def budget(self, check):
        declared = getattr(check, "timeout", None)  # Check.timeout: None means the default
        if declared:
            return min(declared * self.factor, self.limit)
        return min(max(self.limit / CHECK_SHARE, min(self.limit, MIN_CHECK_SECONDS)), self.limit)

    def check_deadline(self, budget):
        return min(time.monotonic() + budget, self.end())

    def start_deadline(self):
        """How long a child may take to import the module (it keeps this as its CPU limit)."""
        return min(time.monotonic() + self.limit, self.end())

    def lose(self, seconds):
        self.lost += seconds

    def out_of_time_message(self):
        return (f"not run: the exercise's time ({self.limit:g} s, and {TIMEOUT_ALLOWANCE * self.limit:g} s more "
                "for checks that timed out) ran out before this check")


def time_bound(limit):
    """The longest an exercise with time limit ``limit`` can take, timed-out checks included."""
    return TIMEOUT_ALLOWANCE * limit + limit
