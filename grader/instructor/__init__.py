"""The instructor's side: a class of submissions graded in batch, gradebooks and releases.

    intake     folders, zips and notebooks taken in safely
    worker     one submission graded in a process of its own (``python -m grader.instructor.worker``)
    batch      many submissions, resumable and shardable
    gradebook  the CSV every LMS import starts from
    release    the student's copy of the course
"""
