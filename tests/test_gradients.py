"""Per-time-step gradient norms, spectral radius, clipping and the long-range task, on tiny configurations."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from helpers.checks import clip_threshold
from helpers.gradients import (
    LabResult,
    SequenceClassifier,
    clipping_experiment,
    clipping_summary,
    clipping_table,
    first_token_accuracy,
    first_token_batch,
    fit_table,
    geometric_fit,
    hidden_grad_norms,
    init_memory_gate,
    input_grad_norms,
    lab_experiment,
    long_range_experiment,
    lstm_step,
    make_model,
    norm_ratios,
    norms_at_init,
    output_grad_norms,
    radius_curve,
    radius_experiment,
    set_spectral_radius,
    spectral_radius,
    step_gradients,
    train_first_token,
)
from helpers.history import History
from helpers.recurrent import ElmanRNN


def scalar_linear_model(w: float) -> SequenceClassifier:
    """One hidden unit, linear recurrence h_t = w h_{t-1} + u e(x_t) + b, two classes."""
    torch.manual_seed(0)
    model = SequenceClassifier(vocab_size=3, n_classes=2, hidden_size=1, nonlinearity="linear", embed_size=1)
    with torch.no_grad():
        model.body.rnn.weight_hh_l0.fill_(w)
    return model


def scalar_states(model, x):
    """h_t for the scalar model, computed by hand with numpy: [batch, steps]."""
    e = model.body.embed.weight.detach().numpy()[:, 0][x.numpy()]
    u, b, w = (p.item() for p in (model.body.rnn.weight_ih_l0, model.body.rnn.bias_hh_l0, model.body.rnn.weight_hh_l0))
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
    naive = output_grad_norms(model, x, y)
    assert np.all(naive[:-1] == 0) and np.all(ours > 0)
    assert ours[-1] == pytest.approx(naive[-1], rel=1e-5)
    assert all(p.grad is None for p in model.parameters())


def test_with_a_loss_at_every_step_the_output_sequence_holds_only_the_local_share():
    torch.manual_seed(0)
    model = SequenceClassifier(8, 4, hidden_size=6, kind="rnn")
    x = torch.randint(0, 8, (5, 7), generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 4, (5, 7), generator=torch.Generator().manual_seed(1))
    ours, naive = hidden_grad_norms(model, x, y, "cpu"), output_grad_norms(model, x, y)
    assert np.all(naive > 0) and ours[-1] == pytest.approx(naive[-1], rel=1e-5)
    assert not np.allclose(ours[:-1], naive[:-1], rtol=1e-3)  # the part carried back by the recurrence is missing


def test_step_gradients_obey_the_chain_rule_back_to_the_first_input():
    model = make_model("gru", hidden_size=6)
    x, y = first_token_batch(4, 5, generator=torch.Generator().manual_seed(0))
    grads = step_gradients(model, x, y)
    assert len(grads) == 5 and grads[0].shape == (1, 4, 6)
    # dL/de_1 computed directly must equal (dh_1/de_1)^T dL/dh_1 with the probe's dL/dh_1.
    e = model.body.embed(x).detach().requires_grad_(True)
    state, logits, h1 = None, [], None
    for t in range(5):
        _, state = model.body.rnn(e[:, t:t + 1], state)
        h1 = state if t == 0 else h1
        logits.append(model.head(state[-1]))
    (direct,) = torch.autograd.grad(F.cross_entropy(torch.stack(logits, 1)[:, -1], y), e, retain_graph=True)
    (via_h1,) = torch.autograd.grad(h1, e, grad_outputs=grads[0])
    torch.testing.assert_close(via_h1[:, 0], direct[:, 0], rtol=1e-4, atol=1e-7)


def test_norms_have_one_entry_per_step_and_leave_the_model_untouched():
    model = make_model("lstm", hidden_size=8).train()
    x = torch.randint(0, 8, (3, 12), generator=torch.Generator().manual_seed(0))
    norms = hidden_grad_norms(model, x, torch.randint(0, 4, (3, 12)), "cpu")
    assert norms.shape == (12,) and np.all(norms > 0)
    assert model.training and all(p.grad is None for p in model.parameters())


def test_lstm_cell_gradient_is_measured_and_differs_from_the_output_state():
    model = make_model("lstm", hidden_size=8)
    x, y = first_token_batch(16, 30, generator=torch.Generator().manual_seed(0))
    h, c = hidden_grad_norms(model, x, y, "cpu"), hidden_grad_norms(model, x, y, "cpu", cell=True)
    assert c.shape == h.shape == (30,) and np.all(c > 0) and not np.allclose(c, h)
    # With the forget gate near sigma(3) ~ 0.95, the cell path keeps the gradient: a slow geometric change.
    assert 0.85 < geometric_fit(c).factor < 1 / 0.85
    # Written out, the LSTM step gives nn.LSTM's own result.
    layer, e = model.body.rnn, model.body.embed(x[:, :1])
    _, (h_ref, c_ref) = layer(e)
    h1, c1 = lstm_step(layer, e[:, 0], torch.zeros(16, 8), torch.zeros(16, 8))
    torch.testing.assert_close((h1, c1), (h_ref[0], c_ref[0]))
    with pytest.raises(ValueError, match="only an LSTM"):
        hidden_grad_norms(make_model("gru", hidden_size=8), x, y, "cpu", cell=True)


@pytest.mark.parametrize("radius, shrinking", [(0.5, True), (1.5, False)])
def test_linear_rnn_norms_scale_by_the_spectral_radius_per_step(radius, shrinking):
    norms = radius_experiment((radius,), nonlinearity="linear", seq_len=20, hidden_size=8)[radius]
    steps_back = norms[:-1] / norms[1:]  # norm at t divided by norm at t+1
    assert np.all(steps_back < 1) if shrinking else np.all(steps_back > 1)
    # W_hh is a scaled orthogonal matrix, so every step back multiplies the norm by exactly the radius.
    fit = geometric_fit(norms)
    assert fit.factor == pytest.approx(1 / radius, rel=1e-4) and fit.deviation < 1e-4


def test_radius_curve_is_what_radius_experiment_runs_and_sets_w_hh_to_radius_times_orthogonal():
    x, y = first_token_batch(64, 12, generator=torch.Generator().manual_seed(1))  # norms_at_init's batch, seed 0
    curves = radius_experiment((0.7, 1.3), nonlinearity="tanh", seq_len=12, hidden_size=8)
    for radius, norms in curves.items():
        np.testing.assert_array_equal(norms, radius_curve(radius, "tanh", x, y, hidden_size=8))
        # the same curve as the probe on make_model's own orthogonal initialisation at that radius
        reference = hidden_grad_norms(make_model("rnn", 8, init="orthogonal", radius=radius), x, y, "cpu")
        np.testing.assert_allclose(norms, reference, rtol=1e-4)
    # linear: exactly the radius per step back, so W_hh really is radius * Q with Q orthogonal
    linear = radius_curve(0.7, "linear", x, y, hidden_size=8)
    assert 1 / geometric_fit(linear).factor == pytest.approx(0.7, rel=1e-5)


def test_tanh_shrinks_the_gradient_even_at_radius_one():
    linear = radius_experiment((1.0,), nonlinearity="linear", seq_len=30, hidden_size=8)[1.0]
    tanh = radius_experiment((1.0,), nonlinearity="tanh", seq_len=30, hidden_size=8)[1.0]
    assert geometric_fit(linear).factor == pytest.approx(1.0, rel=1e-4)
    assert geometric_fit(tanh).factor > 1 / 0.95  # tanh'(z) < 1 wherever z != 0: it shrinks going back


def test_residual_connection_passes_the_gradient_unchanged_when_the_branch_is_zero():
    torch.manual_seed(0)
    model = SequenceClassifier(8, 4, hidden_size=5, nonlinearity="linear", residual=True)
    with torch.no_grad():
        model.body.rnn.weight_hh_l0.zero_()  # Jacobian dh_t/dh_{t-1} = I + W_hh = I
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
    default = make_model("lstm", hidden_size=4, remember_bias=None)
    assert not torch.all(default.body.rnn.bias_hh_l0[4:8] == 3.0)
    assert torch.all(make_model("gru", hidden_size=4).body.rnn.bias_hh_l0[4:8] == 3.0)  # the default: +3
    with pytest.raises(ValueError, match="no gate"):
        init_memory_gate(torch.nn.RNN(3, 4))


def test_the_variants_are_built_as_asked_not_swapped_in_later():
    relu, linear, residual = (make_model("rnn", 6, nonlinearity=nl, residual=res)
                              for nl, res in (("relu", False), ("linear", False), ("tanh", True)))
    assert isinstance(relu.body.rnn, torch.nn.RNN) and relu.body.rnn.nonlinearity == "relu"
    assert isinstance(linear.body.rnn, ElmanRNN) and linear.body.rnn.nonlinearity == "linear"
    assert isinstance(residual.body.rnn, ElmanRNN) and residual.body.rnn.residual
    assert isinstance(make_model("rnn", 6).body.rnn, torch.nn.RNN) and make_model("rnn", 6).kind == "rnn"


def test_set_spectral_radius_and_its_limits():
    model = make_model("rnn", hidden_size=6)
    assert set_spectral_radius(model, 0.9) == pytest.approx(0.9, rel=1e-5)
    assert spectral_radius(model.body.rnn.weight_hh_l0) == pytest.approx(0.9, rel=1e-5)
    weight = model.body.rnn.weight_hh_l0.detach() / 0.9
    torch.testing.assert_close(weight @ weight.T, torch.eye(6), atol=1e-5, rtol=0)  # orthogonal before scaling
    identity = make_model("rnn", hidden_size=6, nonlinearity="relu", init="identity", radius=1.1)
    assert torch.equal(identity.body.rnn.weight_hh_l0.detach(), 1.1 * torch.eye(6))
    with pytest.raises(ValueError, match="square"):
        set_spectral_radius(make_model("lstm", hidden_size=6), 0.9)
    with pytest.raises(ValueError, match="radius"):
        set_spectral_radius(model, -1.0)


def test_clipping_caps_the_applied_norm_and_off_leaves_it():
    runs = {clip: train_first_token(make_model("rnn", 8, nonlinearity="relu", init="identity", radius=1.1), 10,
                                    steps=6, lr=0.01, clip=clip, optimizer="sgd", device="cpu")
            for clip in ("off", 0.5)}
    clipped, free = runs[0.5], runs["off"]
    assert isinstance(clipped, History) and clipped.unit == "step" and len(clipped) == 6
    np.testing.assert_allclose(clipped["applied_norm"], np.minimum(clipped["grad_norm"], 0.5), rtol=1e-5)
    assert np.all(np.array(clipped["grad_norm"]) > 0.5)  # so every step was clipped
    np.testing.assert_allclose(free["applied_norm"], free["grad_norm"], rtol=1e-5)
    assert clipped["grad_norm"][0] == pytest.approx(free["grad_norm"][0], rel=1e-6)


def test_clipping_experiment_without_clipping_diverges_and_with_it_does_not():
    runs = clipping_experiment(("off", 1.0), seeds=(0, 1), seq_len=40, steps=5)
    table = clipping_table(runs)
    assert list(table.index) == ["off", "1"] and list(table["runs"]) == [2, 2]
    assert table.loc["off", "runs with non-finite loss"] == 2  # one huge SGD step, then overflow
    for run in runs["off"]:  # and training stops at the first non-finite loss
        assert len(run["history"]) < 5 and not np.isfinite(run["history"]["loss"][-1])
        assert np.all(np.isfinite(run["history"]["loss"][:-1]))
    assert table.loc["1", "runs with non-finite loss"] == 0 and np.isfinite(table.loc["1", "final loss (mean)"])
    assert table.loc["1", "accuracy min"] <= table.loc["1", "accuracy mean"] <= table.loc["1", "accuracy max"]
    assert np.isnan(table.loc["off", "share of steps clipped"]) and table.loc["1", "share of steps clipped"] == 1.0
    # a diverged run reports the step it diverged at, and no accuracy or norm of a NaN model
    assert table.loc["off", "diverged at step"] == ", ".join(str(len(run["history"])) for run in runs["off"])
    assert np.isnan(table.loc["off", "accuracy mean"]) and np.isnan(table.loc["off", "largest gradient norm"])
    assert table.loc["1", "diverged at step"] == "-" and np.isfinite(table.loc["1", "largest gradient norm"])


def test_training_stops_once_solved_only_when_asked():
    model = make_model("gru", 16, seed=0)
    history = train_first_token(model, 5, steps=400, device="cpu", progress=False, stop_below=0.05)
    assert 20 <= len(history) < 400 and np.mean(history["loss"][-20:]) < 0.05
    assert len(train_first_token(make_model("gru", 16, seed=0), 5, steps=30, device="cpu", progress=False)) == 30


def test_the_cell_path_alone_is_the_product_of_the_forget_gates():
    from helpers.gradients import cell_grad_norms, mean_forget_gate

    model = make_model("lstm", 16, seed=0)
    x, y = first_token_batch(32, 30, generator=torch.Generator().manual_seed(1))
    full, alone = cell_grad_norms(model, x, y), cell_grad_norms(model, x, y, through_gates=False)
    np.testing.assert_allclose(full, hidden_grad_norms(model, x, y, "cpu", cell=True), rtol=1e-5)
    assert alone[-1] == pytest.approx(full[-1], rel=1e-5)  # at t = T both have only the read-out's path
    forget = mean_forget_gate(model, x)
    assert 0.9 < forget < 0.99  # bias 3: sigma(3) = 0.95, moved a little by the inputs
    # along the cell path alone each step back multiplies by f_t: close to the mean gate's power
    assert 1 / geometric_fit(alone).factor == pytest.approx(forget, abs=0.02)


def test_first_token_batch_puts_the_label_first_and_distractors_after():
    x, y = first_token_batch(50, 6, n_classes=3, n_distractors=2, generator=torch.Generator().manual_seed(0))
    assert x.shape == (50, 6) and torch.equal(x[:, 0], y)
    assert int(y.min()) >= 0 and int(y.max()) <= 2
    assert int(x[:, 1:].min()) >= 3 and int(x[:, 1:].max()) <= 4


def test_lstm_learns_a_short_first_token_task_and_results_repeat():
    variants = {"LSTM": {"kind": "lstm"}, "attention": {"kind": "attention", "lengths": (4,)}}
    table = long_range_experiment(variants, lengths=(5,), steps=120, device="cpu")
    again = long_range_experiment(variants, lengths=(5,), steps=120, device="cpu")
    assert list(table.columns) == ["variant", "seq_len", "seed", "accuracy", "final loss", "steps"]
    assert list(table["seq_len"]) == [5, 4]
    assert list(table["steps"]) == [120, 120]  # no early stop unless stop_below is given
    assert table.loc[0, "accuracy"] == 1.0 and table.equals(again)


def test_a_learning_rate_grid_in_worker_processes_gives_the_same_numbers():
    variants = {"GRU": {"kind": "gru"}, "RNN": {"kind": "rnn"}}
    grid = dict(lengths=(4,), seeds=(0, 1), steps=30, lr=(0.003, 0.01), device="cpu", progress=False)
    table = long_range_experiment(variants, **grid)
    assert list(table["lr"]) == [0.003] * 4 + [0.01] * 4
    assert list(table["variant"]) == ["GRU", "GRU", "RNN", "RNN"] * 2
    assert table.equals(long_range_experiment(variants, workers=2, **grid))


def test_accuracy_is_measured_on_sequences_the_training_never_drew():
    model = make_model("gru", hidden_size=8)
    assert 0.0 <= first_token_accuracy(model, 6, size=64, device="cpu") <= 1.0
    x_eval, _ = first_token_batch(64, 6, generator=torch.Generator().manual_seed(10_000))
    x_train, _ = first_token_batch(64, 6, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(x_eval, x_train)


def test_geometric_fit_recovers_the_rate_and_reports_non_geometric_curves():
    fit = geometric_fit(np.array([0.125, 0.25, 0.5, 1.0, 3.0]))  # the last step is left out by default
    assert fit.factor == pytest.approx(2.0) and fit.deviation == pytest.approx(0.0, abs=1e-12) and fit.steps == 4
    underflow = geometric_fit(np.array([0.0, 0.0, 0.01, 0.1, 1.0]), last=5)
    assert underflow.factor == pytest.approx(10.0) and underflow.steps == 3
    flat_then_jump = geometric_fit(np.array([1e-3] * 10 + [1.0]))
    assert flat_then_jump.factor == pytest.approx(1.0)  # the endpoint ratio would have said 2x per step
    kinked = geometric_fit(np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-3, 1e-3, 1e-3, 1.0]))
    assert kinked.deviation > 0.3
    table = fit_table({"a": np.array([0.125, 0.25, 0.5, 1.0, 3.0])})
    assert table.loc["a", "fitted factor"] == pytest.approx(0.5)
    for bad in (np.array([1.0, 2.0]), np.array([0.0, 0.0, 0.0, 1.0])):
        with pytest.raises(ValueError):
            geometric_fit(bad)


def test_attention_gradient_reaches_every_position():
    model = make_model("attention", hidden_size=16)
    x, y = first_token_batch(8, 50, generator=torch.Generator().manual_seed(0))
    norms = input_grad_norms(model, x, y, "cpu")
    assert norms.shape == (50,) and norms[0] > 1e-3 * norms[:-1].max()
    with pytest.raises(TypeError, match="recurrent"):
        hidden_grad_norms(model, x, y, "cpu")


def test_lab_experiment_returns_a_typed_record_with_history_and_arrays():
    result = lab_experiment("lstm", 8, clip=0.5, device="cpu", steps=3, hidden_size=8, progress=False)
    assert isinstance(result, LabResult) and isinstance(result.history, History) and len(result.loss) == 3
    assert result.clip == 0.5 and len(result.norms_before) == 8 and 0 <= result.accuracy <= 1
    np.testing.assert_array_equal(result.grad_norm, result.history["grad_norm"])
    assert np.all(result.applied_norm <= 0.5 * (1 + 1e-5))
    with pytest.raises(AttributeError):
        result.kind = "gru"  # a record of what was measured: frozen


@pytest.mark.parametrize("call, error, message", [
    (lambda: first_token_batch(4, 0), ValueError, "seq_len must be an integer >= 1"),
    (lambda: make_model("rnn", hidden_size=0), ValueError, "hidden_size must be an integer >= 1"),
    (lambda: make_model("transformer"), ValueError, r"\['rnn', 'lstm', 'gru', 'attention'\]"),
    (lambda: make_model("lstm", nonlinearity="relu"), ValueError, "kind='rnn' only"),
    (lambda: make_model(init="xavier"), ValueError, "orthogonal"),
    (lambda: ElmanRNN(3, 4, nonlinearity="sigmoid"), ValueError, "tanh"),
    (lambda: train_first_token(make_model(), 5, steps=2, clip=-1.0), ValueError, "clip"),
    (lambda: train_first_token(make_model(), 5, steps=2, clip="big"), ValueError, "'off'"),
    (lambda: train_first_token(make_model(), 5, steps=2, optimizer="rmsprop"), ValueError, "adam"),
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
    from helpers.rnn import CharLM

    model = CharLM(8, 4, "gru", bidirectional=True)  # a Recurrent body and a head, like SequenceClassifier
    with pytest.raises(ValueError, match="bidirectional"):
        hidden_grad_norms(model, torch.zeros(1, 3, dtype=torch.long), torch.zeros(1, dtype=torch.long), "cpu")


def test_the_course_clip_check_accepts_off_and_positive_numbers():
    assert clip_threshold(None) is None and clip_threshold("off") is None and clip_threshold(" OFF ") is None
    assert clip_threshold(2) == 2.0 and math.isclose(clip_threshold(0.1), 0.1)


def test_norm_ratios_by_hand():
    # W = 2 (1 x 1): every step back doubles the norm, so all three columns are powers or roots of 2
    table = norm_ratios(torch.tensor([[2.0]]), torch.tensor([3.0]), 3)
    assert list(table.index) == [0, 1, 2, 3]
    np.testing.assert_allclose(table["ratio"], [1, 2, 4, 8])
    np.testing.assert_allclose(table["single-step factor"][1:], [2, 2, 2])
    np.testing.assert_allclose(table["k-th-root factor"][1:], [2, 2, 2])
    assert np.isnan(table.loc[0, "single-step factor"]) and np.isnan(table.loc[0, "k-th-root factor"])
    # W = [[0, 1], [0, 0]] (nilpotent): W^T [1, 0] = [0, 1], then W^T [0, 1] = 0
    table = norm_ratios(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), torch.tensor([1.0, 0.0]), 3)
    np.testing.assert_allclose(table["ratio"], [1, 1, 0, 0])
    np.testing.assert_allclose(table["single-step factor"][1:3], [1, 0])
    assert np.isnan(table.loc[3, "single-step factor"])  # 0 / 0: no factor
    np.testing.assert_allclose(table["k-th-root factor"][1:], [1, 0, 0])
    # W = [[0.5, 1], [0, 0.5]], g = [1, 0]: W^T g = [0.5, 1], ratio sqrt(1.25); then [0.25, 0.5 + 0.5], sqrt(1.0625)
    table = norm_ratios(torch.tensor([[0.5, 1.0], [0.0, 0.5]]), torch.tensor([1.0, 0.0]), 2)
    np.testing.assert_allclose(table["ratio"], [1, math.sqrt(1.25), math.sqrt(1.0625)])
    assert table.loc[2, "single-step factor"] == pytest.approx(math.sqrt(1.0625 / 1.25))
    assert table.loc[2, "k-th-root factor"] == pytest.approx(1.0625 ** 0.25)


def test_clipping_summary_counts_runs_and_probes_the_trained_models():
    runs = clipping_experiment(("off", 1.0), seeds=(0, 1), seq_len=40, steps=5, progress=False)
    x, y = first_token_batch(8, 40, generator=torch.Generator().manual_seed(0))
    summary = clipping_summary(runs, x, y)
    assert list(summary.columns) == ["runs", "diverged", "longest", "first loss", "accuracy min", "accuracy max",
                                     "final loss", "kept min", "kept max"]  # notebook 04 unpacks them in this order
    off, one = summary.loc["off"], summary.loc["1"]
    assert off["runs"] == 2 and off["diverged"] == 2 and np.isnan(off["kept max"]) and np.isnan(off["final loss"])
    assert off["longest"] == max(len(run["history"]) for run in runs["off"]) < 5
    assert one["diverged"] == 0 and one["longest"] == 5
    assert one["first loss"] == min(run["history"]["loss"][0] for run in runs["1"])
    kept = [n[0] / n[-1] for n in (hidden_grad_norms(run["model"], x, y) for run in runs["1"])]
    assert one["kept min"] == pytest.approx(min(kept)) and one["kept max"] == pytest.approx(max(kept))
    assert one["accuracy min"] <= one["accuracy max"]


def test_distance_summary_by_hand():
    from helpers.gradients import distance_summary
    norms = {4: {"lstm": np.array([4.0, 2, 1, 3]), "att": np.array([1.0, 1, 1, 2])},
             6: {"lstm": np.array([8.0, 4, 2, 1, 0.5, 1]), "att": np.array([0.5] * 5 + [1.0])}}
    s = distance_summary(norms, short=4, long=6, positions=2, lstm="lstm", attention="att")
    # the LSTM halves per step: over T-2 steps 4 times at T = 4, 16 times at T = 6; attention is level
    expected = {"lstm_line_short": 4, "lstm_line_long": 16, "attention_line_short": 1, "attention_line_long": 1,
                "lstm_jump": 3, "attention_jump": 2, "lstm_drop": 6 / 3, "attention_drop": 0.5,
                "share_short": 1 / 3, "share_long": 0.5 / 6}
    assert s.to_dict() == pytest.approx(expected)
