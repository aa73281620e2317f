"""Per-time-step gradient norms, spectral radius, clipping and the long-range task, on tiny configurations."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from helpers.gradients import (
    ElmanRNN, SequenceClassifier, check_clip, clipping_experiment, clipping_table, first_token_batch,
    hidden_grad_norms, init_memory_gate, long_range_experiment, make_model, norms_at_init, per_step_factor,
    radius_experiment, set_spectral_radius, spectral_radius, train_first_token,
)


def scalar_linear_model(w: float) -> SequenceClassifier:
    """One hidden unit, linear recurrence h_t = w h_{t-1} + u e(x_t) + b, two classes."""
    torch.manual_seed(0)
    model = SequenceClassifier(vocab_size=3, n_classes=2, hidden_size=1, nonlinearity="linear", embed_size=1)
    with torch.no_grad():
        model.rnn.weight_hh_l0.fill_(w)
    return model


def scalar_states(model, x):
    """h_t for the scalar model, computed by hand with numpy: [batch, steps]."""
    e = model.embed.weight.detach().numpy()[:, 0][x.numpy()]
    u, b, w = (p.item() for p in (model.rnn.weight_ih_l0, model.rnn.bias_hh_l0, model.rnn.weight_hh_l0))
    h, states = np.zeros(x.shape[0]), []
    for t in range(x.shape[1]):
        h = w * h + u * e[:, t] + b
        states.append(h)
    return np.stack(states, axis=1)


def dloss_dlogits(model, h, y, scale):
    """d cross-entropy / d h for a read-out a*h + c, per example: (softmax - one-hot) . a * scale."""
    a = model.head.weight.detach().numpy()[:, 0]
    c = model.head.bias.detach().numpy()
    z = h[:, None] * a + c
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return (p @ a) * scale


def test_norms_match_hand_computed_chain_rule_for_a_loss_at_the_end():
    model, w = scalar_linear_model(0.7), 0.7
    x = torch.tensor([[0, 1, 2, 1, 0], [2, 2, 1, 0, 1], [1, 0, 0, 2, 2]])
    y = torch.tensor([0, 1, 1])
    h = scalar_states(model, x)
    grad_last = dloss_dlogits(model, h[:, -1], y.numpy(), 1 / 3)  # mean over 3 sequences
    expected = [np.linalg.norm(grad_last) * w ** (5 - t) for t in range(1, 6)]  # dh_T/dh_t = w^(T-t)
    np.testing.assert_allclose(hidden_grad_norms(model, x, y, "cpu"), expected, rtol=1e-5)


def test_norms_match_hand_computed_backward_recursion_for_a_loss_at_every_step():
    model, w = scalar_linear_model(-1.3), -1.3
    x = torch.tensor([[0, 1, 2, 1], [2, 2, 1, 0]])
    y = torch.tensor([[0, 1, 1, 0], [1, 1, 0, 0]])
    h = scalar_states(model, x)
    local = [dloss_dlogits(model, h[:, t], y[:, t].numpy(), 1 / 8) for t in range(4)]  # mean over 2 x 4 labels
    delta, expected = np.zeros(2), []
    for t in reversed(range(4)):  # dL/dh_t = local gradient at t + w * dL/dh_{t+1}
        delta = local[t] + w * delta
        expected.append(np.linalg.norm(delta))
    np.testing.assert_allclose(hidden_grad_norms(model, x, y, "cpu"), expected[::-1], rtol=1e-5)


def test_gradient_through_the_recurrence_is_counted_unlike_the_output_sequence():
    torch.manual_seed(0)
    model = SequenceClassifier(8, 4, hidden_size=6, kind="rnn")
    x, y = first_token_batch(5, 7, generator=torch.Generator().manual_seed(0))
    ours = hidden_grad_norms(model, x, y, "cpu")
    # The common mistake: retain_grad on nn.RNN's output sequence sees only the read-out path (zero before T).
    outputs, _ = model.rnn(model.embed(x))
    outputs.retain_grad()
    F.cross_entropy(model.head(outputs)[:, -1], y).backward()
    naive = outputs.grad.norm(dim=(0, 2)).numpy()
    assert np.all(naive[:-1] == 0) and np.all(ours > 0)
    assert ours[-1] == pytest.approx(naive[-1], rel=1e-5)


def test_norms_have_one_entry_per_step_and_leave_the_model_untouched():
    from helpers.rnn import CharRNN

    model = CharRNN(vocab_size=10, hidden_size=8, kind="lstm", num_layers=2).train()
    x = torch.randint(0, 10, (3, 12), generator=torch.Generator().manual_seed(0))
    norms = hidden_grad_norms(model, x, torch.roll(x, -1, dims=1), "cpu")
    assert norms.shape == (12,) and np.all(norms > 0)
    assert model.training and all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("radius, shrinking", [(0.5, True), (1.5, False)])
def test_linear_rnn_norms_scale_by_the_spectral_radius_per_step(radius, shrinking):
    norms = radius_experiment((radius,), nonlinearity="linear", seq_len=20, hidden_size=8)[radius]
    steps_back = norms[:-1] / norms[1:]  # norm at t divided by norm at t+1
    assert np.all(steps_back < 1) if shrinking else np.all(steps_back > 1)
    # W_hh is a scaled orthogonal matrix, so every step back multiplies the norm by exactly the radius.
    assert per_step_factor(norms) == pytest.approx(radius, rel=1e-4)


def test_tanh_shrinks_the_gradient_even_at_radius_one():
    linear = radius_experiment((1.0,), nonlinearity="linear", seq_len=30, hidden_size=8)[1.0]
    tanh = radius_experiment((1.0,), nonlinearity="tanh", seq_len=30, hidden_size=8)[1.0]
    assert per_step_factor(linear) == pytest.approx(1.0, rel=1e-4)
    assert per_step_factor(tanh) < 0.95  # tanh'(z) < 1 wherever z != 0


def test_residual_connection_passes_the_gradient_unchanged_when_the_branch_is_zero():
    torch.manual_seed(0)
    model = SequenceClassifier(8, 4, hidden_size=5, nonlinearity="linear", residual=True)
    with torch.no_grad():
        model.rnn.weight_hh_l0.zero_()  # Jacobian dh_t/dh_{t-1} = I + W_hh = I
    x, y = first_token_batch(4, 9, generator=torch.Generator().manual_seed(0))
    norms = hidden_grad_norms(model, x, y, "cpu")
    np.testing.assert_allclose(norms, norms[-1], rtol=1e-6)


def test_gated_models_keep_more_gradient_than_the_vanilla_rnn_at_init():
    norms = norms_at_init({"rnn": {"kind": "rnn"}, "lstm": {"kind": "lstm"}, "gru": {"kind": "gru"}},
                          seq_len=40, batch_size=8)
    ratio = {k: v[0] / v[-1] for k, v in norms.items()}
    assert ratio["lstm"] > 1e3 * ratio["rnn"] and ratio["gru"] > 1e3 * ratio["rnn"]


def test_memory_gate_bias_sets_the_forget_and_update_blocks():
    for layer in (torch.nn.LSTM(3, 4), torch.nn.GRU(3, 4)):
        init_memory_gate(layer, 2.5)
        assert torch.all(layer.bias_hh_l0[4:8] == 2.5) and not torch.all(layer.bias_hh_l0[:4] == 2.5)


def test_set_spectral_radius_and_its_limits():
    model = make_model("rnn", hidden_size=6)
    assert set_spectral_radius(model, 0.9) == pytest.approx(0.9, rel=1e-5)
    assert spectral_radius(model.rnn.weight_hh_l0) == pytest.approx(0.9, rel=1e-5)
    identity = make_model("rnn", hidden_size=6, nonlinearity="relu", init="identity", radius=1.1)
    assert torch.equal(identity.rnn.weight_hh_l0.detach(), 1.1 * torch.eye(6))
    with pytest.raises(ValueError, match="square"):
        set_spectral_radius(make_model("lstm", hidden_size=6), 0.9)
    with pytest.raises(ValueError, match="positive"):
        set_spectral_radius(model, -1.0)


def test_clipping_caps_the_applied_norm_and_off_leaves_it():
    runs = {clip: train_first_token(make_model("rnn", 8, nonlinearity="relu", init="identity", radius=1.1), 10,
                                    steps=6, lr=0.01, clip=clip, optimizer="sgd", device="cpu")
            for clip in ("off", 0.5)}
    clipped, free = runs[0.5], runs["off"]
    np.testing.assert_allclose(clipped["applied_norm"], np.minimum(clipped["grad_norm"], 0.5), rtol=1e-5)
    assert np.all(clipped["grad_norm"] > 0.5)  # so every step was clipped
    np.testing.assert_allclose(free["applied_norm"], free["grad_norm"], rtol=1e-5)
    assert clipped["grad_norm"][0] == pytest.approx(free["grad_norm"][0], rel=1e-6)


def test_clipping_experiment_without_clipping_diverges_and_with_it_does_not():
    runs = clipping_experiment(("off", 1.0), seq_len=40, steps=5)
    table = clipping_table(runs)
    assert table.loc["off", "first non-finite loss at step"] == 2  # one huge SGD step, then overflow
    assert pd.isna(table.loc["1", "first non-finite loss at step"]) and np.isfinite(table.loc["1", "final loss"])


def test_first_token_batch_puts_the_label_first_and_distractors_after():
    x, y = first_token_batch(50, 6, n_classes=3, n_distractors=2, generator=torch.Generator().manual_seed(0))
    assert x.shape == (50, 6) and torch.equal(x[:, 0], y)
    assert int(y.min()) >= 0 and int(y.max()) <= 2
    assert int(x[:, 1:].min()) >= 3 and int(x[:, 1:].max()) <= 4


def test_lstm_learns_a_short_first_token_task_and_results_repeat():
    table = long_range_experiment(lengths=(5,), kinds=("lstm",), steps=120)
    again = long_range_experiment(lengths=(5,), kinds=("lstm",), steps=120)
    assert list(table.columns) == ["kind", "seq_len", "seed", "accuracy", "final loss"]
    assert table.loc[0, "accuracy"] == 1.0 and table.equals(again)


def test_per_step_factor_of_a_geometric_sequence():
    assert per_step_factor(np.array([0.125, 0.25, 0.5, 1.0])) == pytest.approx(0.5)
    assert per_step_factor(np.array([0.0, 0.0, 0.01, 0.1, 1.0])) == pytest.approx(0.1)  # underflowed steps skipped
    assert per_step_factor(np.array([0.0, 0.0, 1.0])) == 0.0
    with pytest.raises(ValueError):
        per_step_factor(np.array([1.0]))



@pytest.mark.parametrize("call, error, message", [
    (lambda: first_token_batch(4, 0), ValueError, "seq_len must be an integer >= 1"),
    (lambda: make_model("rnn", hidden_size=0), ValueError, "hidden_size must be an integer >= 1"),
    (lambda: make_model("transformer"), ValueError, r"\['rnn', 'lstm', 'gru'\]"),
    (lambda: make_model("lstm", nonlinearity="relu"), ValueError, "kind='rnn' only"),
    (lambda: ElmanRNN(3, 4, nonlinearity="sigmoid"), ValueError, "tanh"),
    (lambda: check_clip(-1.0), ValueError, "positive"),
    (lambda: check_clip(0), ValueError, "positive"),
    (lambda: check_clip("big"), TypeError, "'off'"),
    (lambda: train_first_token(make_model(), 5, steps=2, device="tpu"), ValueError, "device"),
    (lambda: hidden_grad_norms(make_model(), torch.zeros(2, 0, dtype=torch.long), torch.zeros(2, dtype=torch.long)),
     ValueError, "length >= 1"),
    (lambda: hidden_grad_norms(make_model(), torch.zeros(2, 3, dtype=torch.long), torch.zeros(3, dtype=torch.long)),
     ValueError, "targets must have shape"),
])
def test_bad_input_raises_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_bidirectional_model_is_refused():
    from helpers.rnn import CharRNN

    model = CharRNN(5, 4, kind="gru", bidirectional=True)
    with pytest.raises(ValueError, match="bidirectional"):
        hidden_grad_norms(model, torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, dtype=torch.long), "cpu")


def test_check_clip_accepts_off_and_positive_numbers():
    assert check_clip(None) is None and check_clip("off") is None and check_clip(" OFF ") is None
    assert check_clip(2) == 2.0 and math.isclose(check_clip(0.1), 0.1)
