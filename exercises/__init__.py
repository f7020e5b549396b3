"""Your nnlab exercises: one module per exercise, in the order `nnlab list` shows.

Each function to write raises NotImplementedError with a TODO saying what to compute;
its docstring gives the formula, the shapes and the classic pitfalls. `nnlab grade`
checks your code, `nnlab watch` checks it on every save, `nnlab hint NAME` helps.
"""
