"""Reference solutions of the nnlab exercises (instructors only).

The student stubs in exercises/ are generated from these files by `nnlab make-stubs`:
edit the docstrings and the `# BEGIN SOLUTION: <TODO>` texts here, never in exercises/.
A TODO says in words what to compute, never the code (tests/test_stubs.py).
"""
