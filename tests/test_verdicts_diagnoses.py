"""Exercises 7-8: every correct form keeps full marks, and a wrong one is told its own mistake."""

import pytest

from conftest import grade_folder

ADAM_STEP = '''
def step(self, params, grads):
    self.t += 1
    for key, grad in grads.items():
        m = self.m.get(key, 0.0)
        v = self.v.get(key, 0.0)
        self.m[key] = m = self.beta1 * m + (1 - self.beta1) * grad
        self.v[key] = v = self.beta2 * v + (1 - self.beta2) * grad ** 2
        {update}
'''
EPSILON_HAT = ("lr_t = self.lr * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)\n"
               "        params[key] -= lr_t * m / (np.sqrt(v) + {eps})")
PAPER = ("t = {t}\n"
         "        params[key] -= self.lr * (m / (1 - self.beta1 ** t)) / (np.sqrt(v / (1 - self.beta2 ** t)) + {eps})")
ADAM_CHECKS = {"adam_first_step_moves_by_lr", "adam_one_time_step_per_call", "adam_trajectory_matches_formulas"}


def adam_messages(submission, update, seed=0):
    code = ADAM_STEP.format(update=update)
    report = grade_folder(submission(replacements={"optimizers.Adam.step": code}), names=["optimizers"], seed=seed)
    return report.exercises[0], {c.name: c.message for c in report.exercises[0].checks if not c.passed}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adam_in_the_epsilon_hat_form_gets_full_marks(submission, seed):
    exercise, failures = adam_messages(submission, EPSILON_HAT.format(eps="self.eps"), seed)
    assert exercise.score == exercise.max_score, failures


def test_adam_with_t_starting_at_2_is_told_so(submission):
    _, failures = adam_messages(submission, PAPER.format(t="self.t + 1", eps="self.eps"))
    assert ADAM_CHECKS <= set(failures)
    for name in ADAM_CHECKS:
        assert "t is 2 on the first step" in failures[name], failures[name]


@pytest.mark.parametrize("update, form", [(PAPER.format(t="self.t", eps="1e-7"), "sqrt(v_hat) + eps"),
                                          (EPSILON_HAT.format(eps="1e-7"), "epsilon-hat form")])
def test_adam_with_a_fixed_eps_is_told_which_eps_it_uses(submission, update, form):
    _, failures = adam_messages(submission, update)
    assert ADAM_CHECKS <= set(failures)
    for name in ADAM_CHECKS:
        assert "with eps = 1e-07" in failures[name] and form in failures[name], failures[name]
        assert "Compare your m, v" not in failures[name]


def test_an_eps_inside_the_square_root_in_the_epsilon_hat_form_is_named(submission):
    update = EPSILON_HAT.format(eps="0").replace("np.sqrt(v) + 0", "np.sqrt(v + self.eps)")
    _, failures = adam_messages(submission, update)
    assert {"adam_first_step_moves_by_lr", "adam_trajectory_matches_formulas"} <= set(failures)
    assert all("eps is in the wrong place" in message for name, message in failures.items()
               if name != "optimizers_match_reference"), failures


TRUNCATED_HE = """
def he_normal(n_in, n_out, rng):
    std = np.sqrt(2.0 / n_in)
    W = rng.normal(0.0, std, size=(n_in, n_out))
    outside = np.abs(W) > 2 * std
    while outside.any():
        W[outside] = rng.normal(0.0, std, size=int(outside.sum()))
        outside = np.abs(W) > 2 * std
    return W
"""


def test_a_truncated_normal_he_init_is_called_truncated_not_xavier(submission):
    report = grade_folder(submission(replacements={"initialization.he_normal": TRUNCATED_HE}),
                          names=["initialization"])
    failures = {c.name: c.message for c in report.exercises[0].checks if not c.passed}
    assert set(failures) == {"he_normal_has_he_variance", "init_params_honours_method"}
    for message in failures.values():
        assert "truncated normal" in message and "Xavier" not in message, message
