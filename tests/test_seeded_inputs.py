"""Exercises 1-5: answers recorded under one seed earn nothing under another.

A lookup table is the cheapest cheat: run the reference once, write down every answer, hand
back the written answer to the same question. Every check draws inputs from its seed as well
as its textbook examples, so under another seed the table knows none of the questions.
"""

import base64
import hashlib
import pickle

import numpy as np
import pytest

from conftest import grade_folder
from do_nothing import contract_names
from grader.engine import student

KEY_SOURCE = '''
def _part(value):
    if isinstance(value, _np.ndarray):
        return ("a", str(value.dtype), value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("d", tuple(sorted((k, _part(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("l", tuple(_part(v) for v in value))
    if isinstance(value, (bool, _np.bool_)):
        return ("b", bool(value))
    if isinstance(value, (int, _np.integer)):
        return ("i", int(value))
    if isinstance(value, (float, _np.floating)):
        return ("f", float(value).hex())
    return ("r", repr(value))


def _key(name, args, kwargs):
    return _hashlib.sha256(repr((name, _part(list(args)), _part(dict(kwargs)))).encode()).hexdigest()
'''

REPLAY = '''
import base64 as _base64
import hashlib as _hashlib
import pickle as _pickle

import numpy as _np
{key_source}
_TABLE = _pickle.loads(_base64.b64decode({table!r}))


def _answer(name, args, kwargs):
    try:
        return _TABLE[_key(name, args, kwargs)]
    except KeyError:
        raise ValueError(f"{{name}}: no answer recorded for these arguments") from None


{functions}
'''

namespace = {"_np": np, "_hashlib": hashlib}
exec(KEY_SOURCE, namespace)  # the same key in the child (REPLAY) and here
key = namespace["_key"]


def recorded_answers(submission, monkeypatch, module, seed):
    """Every answer the reference gives while ``module`` is graded under ``seed``."""
    table, run = {}, student.StudentCode.run

    def recording(self, target, args=(), kwargs=None, **options):
        outcome = run(self, target, args, kwargs, **options)
        if isinstance(target, str) and not options.get("method"):
            table[key(target.split(":")[-1], args, kwargs or {})] = outcome.value
        return outcome

    monkeypatch.setattr(student.StudentCode, "run", recording)
    grade_folder(submission(), names=[module], seed=seed)
    monkeypatch.undo()
    return table


def lookup_table_module(module, table):
    functions = "\n\n".join(f"def {name}(*args, **kwargs):\n    return _answer({name!r}, args, kwargs)"
                            for name in contract_names(module))
    table = base64.b64encode(pickle.dumps(table)).decode()
    return REPLAY.format(key_source=KEY_SOURCE, table=table, functions=functions)


FIRST_FIVE = ["activations", "softmax", "losses", "logistic", "forward"]


@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_the_reference_keeps_full_marks_under_other_seeds(submission, seed):
    report = grade_folder(submission(), names=FIRST_FIVE, seed=seed)
    assert {e.name: e.score for e in report.exercises} == {e.name: e.max_score for e in report.exercises}


@pytest.mark.parametrize("module", FIRST_FIVE)
def test_answers_recorded_under_one_seed_earn_nothing_under_another(submission, monkeypatch, module):
    folder = submission(modules={module: lookup_table_module(
        module, recorded_answers(submission, monkeypatch, module, seed=0))})
    replayed = grade_folder(folder, names=[module], seed=0).exercises[0]
    assert replayed.score == replayed.max_score, {c.name: c.message for c in replayed.checks if not c.passed}
    elsewhere = grade_folder(folder, names=[module], seed=1).exercises[0]
    assert elsewhere.score == 0, [c.name for c in elsewhere.checks if c.passed]
