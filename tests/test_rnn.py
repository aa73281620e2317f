import pytest
import torch

from helpers.rnn import KINDS, CharRNN, count_parameters, detach_state


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_state_per_kind(kind):
    torch.manual_seed(0)
    model = CharRNN(vocab_size=11, hidden_size=7, kind=kind, num_layers=2, embed_size=5)
    logits, state = model(torch.randint(0, 11, (3, 4)))
    assert logits.shape == (3, 4, 11)
    if kind == "lstm":
        h, c = state
        assert h.shape == c.shape == (2, 3, 7)
    else:
        assert isinstance(state, torch.Tensor) and state.shape == (2, 3, 7)
    assert isinstance(model.embed, torch.nn.Embedding) and isinstance(model.head, torch.nn.Linear)
    assert model.rnn.batch_first and model.kind == kind and model.hidden_size == 7


@pytest.mark.parametrize("kind", KINDS)
def test_carried_state_equals_one_long_pass(kind):
    torch.manual_seed(0)
    model = CharRNN(vocab_size=9, hidden_size=6, kind=kind)
    x = torch.randint(0, 9, (2, 10))
    whole, _ = model(x)
    first, state = model(x[:, :6])
    second, _ = model(x[:, 6:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)


def test_parameter_counts_follow_the_gates():
    # embedding 10*4 + head (4*10 + 10); recurrent layer: gates * (4*4 + 4*4 + 4 + 4)
    counts = {kind: count_parameters(CharRNN(10, 4, kind=kind)) for kind in KINDS}
    assert counts == {"rnn": 90 + 40, "lstm": 90 + 160, "gru": 90 + 120}


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"unknown RNN kind 'transformer'.*'rnn', 'lstm', 'gru'"):
        CharRNN(10, 4, kind="transformer")
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got 0"):
        CharRNN(10, 0)
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 1, got -3"):
        CharRNN(-3, 4)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        CharRNN(10, 4.5)
    with pytest.raises(ValueError, match=r"shape \[batch, steps\]"):
        CharRNN(10, 4)(torch.zeros(5, dtype=torch.long))
