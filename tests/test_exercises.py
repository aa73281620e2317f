"""The exercise checks accept the worked solution and reject the obvious wrong answers."""

from __future__ import annotations

import pytest

from helpers import exercises


def test_require_raises_with_the_message():
    with pytest.raises(exercises.ExerciseError, match="✘ ex: wrong because"):
        exercises.require("ex", False, "wrong because")
    exercises.require("ex", True, "never shown")


# --- 01 word embeddings ---


# --- 02 Word2Vec vs BERT ---


# --- 03 RNN, LSTM, GRU ---


# --- 04 gradients ---


def _probe_04(model, inputs, targets):
    import torch
    from torch.nn import functional as F

    x = model.body.embed(inputs)
    state, kept = None, []
    for t in range(inputs.shape[1]):
        _, state = model.body.rnn(x[:, t:t + 1], state)
        kept.append(state)
    return torch.autograd.grad(F.cross_entropy(model.head(state[-1]), targets), kept)


def _retain_grad_probe_04(model, inputs, targets):
    from torch.nn import functional as F

    outputs, _ = model.body(inputs)
    outputs.retain_grad()
    F.cross_entropy(model.head(outputs)[:, -1], targets).backward()
    return [outputs.grad[:, t] for t in range(inputs.shape[1])]


def test_04_gradient_probe_accepts_the_solution_and_rejects_the_classic_mistakes(capsys):
    exercises.check_04_gradient_probe(_probe_04)
    assert "✔ Exercise 1" in capsys.readouterr().out
    wrong = {
        "returns None": lambda m, x, y: None,
        "retain_grad": _retain_grad_probe_04,
        "reverse order": lambda m, x, y: list(_probe_04(m, x, y))[::-1],
        "one step short": lambda m, x, y: list(_probe_04(m, x, y))[1:],
        "loss at every step": lambda m, x, y: _probe_04(m, x, y[:, None].expand_as(x)) if False else
        [g * 2 for g in _probe_04(m, x, y)],
    }
    messages = {"returns None": "returns None", "retain_grad": "retain_grad", "reverse order": "reverse order",
                "one step short": "expected 12 gradients", "loss at every step": "differ"}
    for name, probe in wrong.items():
        with pytest.raises(exercises.ExerciseError, match=messages[name]):
            exercises.check_04_gradient_probe(probe)


def test_04_slope_accepts_the_radius_and_rejects_its_inverse_and_other_numbers(capsys):
    exercises.check_04_slope(0.7)
    assert "✔ Exercise 2" in capsys.readouterr().out
    for wrong, message in [(1 / 0.7, "GROWS"), (0.49, "not what the measurement gives"), (1.0, "not what"),
                           ("0.7", "must be a number"), (None, "must be a number")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_slope(wrong)


def _step_04(model, optimizer, inputs, targets, clip, zero=True, clipping=True, after=False, norm_after=False):
    import math

    import torch
    from torch.nn import functional as F

    if zero:
        optimizer.zero_grad()
    F.cross_entropy(model(inputs)[0][:, -1], targets).backward()
    if after:
        optimizer.step()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clipping else math.inf)
    if not after:
        optimizer.step()
    if norm_after:
        return min(float(norm), clip)
    return norm


def test_04_training_step_accepts_the_solution_and_rejects_each_mistake(capsys):
    exercises.check_04_training_step(_step_04)
    assert "✔ Exercise 3" in capsys.readouterr().out
    for kwargs, message in [({"clipping": False}, "not clipped"), ({"after": True}, "not clipped|differ"),
                            ({"zero": False}, "zero_grad"), ({"norm_after": True}, "BEFORE clipping")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_04_training_step(lambda *args, kw=kwargs: _step_04(*args, **kw))
    with pytest.raises(exercises.ExerciseError, match="a number"):
        exercises.check_04_training_step(lambda *args: (_step_04(*args), None)[1])


# --- 05 text classifier ---
