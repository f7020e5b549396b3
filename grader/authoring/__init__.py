"""The course author's tools: stubs generated from the reference solutions, and the rule
that their TODO texts and hints are words, not code.

    stubs.py     exercises/ from solutions/ (# BEGIN SOLUTION: <todo> / # END SOLUTION)
    wording.py   tells code from prose in TODO texts and hints
"""
