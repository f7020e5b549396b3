"""Reference solutions of the nnlab exercises (the student stubs are generated from them)."""
