"""Hints that fit: each ladder goes nudge, idea, formula, never code, and each check names
the hint that helps with it."""

import pytest

from grader.checks import EXERCISES
from grader.checks.core import Exercise, Hint
from grader.authoring.wording import code_in_hint, code_in_todo

IDS = [exercise.module for exercise in EXERCISES]


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_every_check_named_in_a_hint_exists(exercise):
    checks = {check.name for check in exercise.checks}
    named = {name for hint in exercise.ladder for name in hint.helps}
    assert named - checks == set(), f"{exercise.module}: the hints name checks that do not exist"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_every_visible_check_has_a_hint_that_fits(exercise):
    assert [c.name for c in exercise.checks if not c.hidden and exercise.hint_for(c.name) is None] == []


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_the_ladder_goes_from_a_nudge_to_a_formula_and_never_to_code(exercise):
    assert len(exercise.hints) >= 3
    assert code_in_todo(exercise.hints[0]) == [], "the first hint is a nudge, in words"
    for level, text in enumerate(exercise.hints, start=1):
        assert code_in_hint(text) == [], f"{exercise.module} hint {level} holds code"


def test_hint_for_names_the_level_and_text_of_the_hint_that_helps():
    exercise = Exercise("softmax", "Softmax", hints=[
        "Exponentiate, then normalise each row.",
        Hint("Subtract the row's maximum first.", helps=("stable_for_large_logits", "shift_invariant")),
        Hint("log_softmax(z) = (z - c) - log(sum(exp(z - c))).", helps=("log_softmax_is_stable",)),
    ])
    assert exercise.hint_for("shift_invariant") == (2, "Subtract the row's maximum first.")
    assert exercise.hint_for("log_softmax_is_stable")[0] == 3
    assert exercise.hint_for("rows_sum_to_one") is None
    assert exercise.hints == ["Exponentiate, then normalise each row.", "Subtract the row's maximum first.",
                              "log_softmax(z) = (z - c) - log(sum(exp(z - c)))."]  # what `nnlab hint` shows


def test_a_check_is_helped_by_one_hint_only():
    with pytest.raises(ValueError, match="named more than once: rows_sum_to_one"):
        Exercise("softmax", "Softmax", hints=[Hint("a", helps=("rows_sum_to_one",)),
                                              Hint("b", helps=("rows_sum_to_one",))])
