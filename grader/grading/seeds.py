"""The seed of the random test inputs: an integer, or read from an environment variable.

Instructors grade with a seed students do not know (``--seed env:NNLAB_SEED``, a CI
secret): a report then names the variable and a fingerprint of the seed, never the seed.
"""

import hashlib
import os
from dataclasses import dataclass

ENV_PREFIX = "env:"
GUESSABLE = 2**32  # a secret seed below this is found by trying every seed against its fingerprint


@dataclass(frozen=True)
class Seed:
    value: int
    variable: str = ""  # the environment variable it was read from, if any

    @classmethod
    def parse(cls, text, environ=os.environ):
        """``"42"`` or ``"env:NAME"``; ValueError with a message that says what to do."""
        text = str(text).strip()
        variable = text[len(ENV_PREFIX):] if text.startswith(ENV_PREFIX) else ""
        if text.startswith(ENV_PREFIX):
            if variable not in environ:
                raise ValueError(f"the environment variable {variable} is not set: "
                                 f"set it to an integer, or give the seed itself (--seed 42)")
            text = environ[variable].strip()
        where = f"{variable} holds {text!r}" if variable else f"{text!r}"
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{where}: a seed is a non-negative integer (or env:NAME)") from None
        if value < 0:
            raise ValueError(f"{where}: a seed is a non-negative integer (or env:NAME)")
        return cls(value, variable)

    @property
    def secret(self):
        return bool(self.variable)

    @property
    def fingerprint(self):
        """The first 12 hex digits of the seed's SHA-256: the same seed, the same fingerprint."""
        return hashlib.sha256(str(self.value).encode()).hexdigest()[:12]

    @property
    def shown(self):
        """What a report says: the seed, or ``env:NAME`` for a secret one."""
        return f"{ENV_PREFIX}{self.variable}" if self.secret else self.value

    def argument(self):
        """The ``--seed`` argument that gives this seed again (a secret stays in its variable)."""
        return f"{ENV_PREFIX}{self.variable}" if self.secret else str(self.value)

    @property
    def guessable(self):
        return self.secret and self.value < GUESSABLE


def as_seed(seed):
    return seed if isinstance(seed, Seed) else Seed(int(seed))
