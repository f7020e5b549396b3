"""nnlab's grader: checks that teach, run against student code in a separate process."""
