"""The instructor's side: a class of submissions graded in batch, gradebooks and releases.

    intake     folders, zips and notebooks taken in safely
    worker     one submission graded in a process of its own (``python -m grader.instructor.worker``)
    batch      many submissions, resumable and shardable
    runs       the options a batch was graded with (OUT/run.json), compared before adding to it
    deadline   git repositories graded at their commit for a deadline
    shards     --shard auto: the shard from Kubernetes, Slurm or a CI matrix
    reports    reading a batch's report files
    feedback   each student's page and Markdown to hand back
    gradebook  the CSV every LMS import starts from
    summary    the class summary: distributions, medians, most failed checks
    export     Canvas and Moodle import files, through a roster
    similarity similar submissions, per exercise (copydetect)
    release    the student's copy of the course
"""
