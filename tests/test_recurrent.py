import pytest
import torch

from helpers.recurrent import (
    GRU,
    KINDS,
    LSTM,
    RNN,
    ElmanRNN,
    Recurrent,
    count_parameters,
    detach_state,
    final_hidden,
    recurrent_kind,
)


@pytest.mark.parametrize("kind", KINDS)
def test_output_and_state_shapes(kind):
    torch.manual_seed(0)
    body = Recurrent(vocab_size=7, hidden_size=5, kind=kind, embed_size=3, num_layers=2, bidirectional=True)
    outputs, state = body(torch.randint(0, 7, (4, 6)))
    assert outputs.shape == (4, 6, 10) and body.output_size == 10
    hidden = state[0] if kind == "lstm" else state
    assert hidden.shape == (4, 4, 5)  # layers x directions, batch, hidden
    assert final_hidden(state, bidirectional=True).shape == (4, 10)


def test_packing_ignores_padding():
    torch.manual_seed(0)
    body = Recurrent(vocab_size=5, hidden_size=4, kind="gru", padding_idx=0).eval()
    short = torch.tensor([[3, 4]])
    padded = torch.tensor([[3, 4, 0, 0], [1, 2, 3, 4]])
    _, alone = body(short)
    outputs, state = body(padded, lengths=torch.tensor([2, 4]))
    assert torch.allclose(final_hidden(state)[0], final_hidden(alone)[0], atol=1e-6)
    assert torch.all(outputs[0, 2:] == 0)  # padded steps produce no output


def test_state_is_carried_between_calls():
    torch.manual_seed(0)
    body = Recurrent(vocab_size=5, hidden_size=4, kind="lstm").eval()
    tokens = torch.randint(0, 5, (2, 6))
    whole, _ = body(tokens)
    _, state = body(tokens[:, :3])
    second, _ = body(tokens[:, 3:], detach_state(state))
    assert torch.allclose(whole[:, 3:], second, atol=1e-6)


def test_detach_state_cuts_the_graph():
    h = torch.ones(1, requires_grad=True) * 2
    assert not detach_state(h).requires_grad
    assert all(not s.requires_grad for s in detach_state((h, h)))
    assert detach_state(None) is None


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="unknown RNN kind 'cnn'"):
        Recurrent(5, 4, kind="cnn")
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1"):
        Recurrent(5, 0)
    with pytest.raises(TypeError, match="tokens must be an integer tensor"):
        Recurrent(5, 4)(torch.zeros(2, 3))


def test_count_parameters_counts_only_trainable_ones():
    body = Recurrent(vocab_size=3, hidden_size=2, kind="rnn", embed_size=2)
    expected = 3 * 2 + (2 * 2 + 2 * 2 + 2 + 2)
    assert count_parameters(body) == expected
    body.embed.weight.requires_grad_(False)
    assert count_parameters(body) == expected - 6


def test_each_kind_has_one_record_that_matches_pytorch():
    for kind in KINDS:
        record = recurrent_kind(kind)
        body = Recurrent(vocab_size=5, hidden_size=4, kind=kind, embed_size=3)
        assert body.spec is record and isinstance(body.rnn, record.layer) and recurrent_kind(body.rnn) is record
        assert body.rnn.weight_hh_l0.shape == (len(record.blocks) * 4, 4)  # the blocks are stacked in rows
        _, state = body(torch.zeros(2, 3, dtype=torch.long))
        assert isinstance(state, tuple) == record.has_cell
    assert (LSTM.memory_gate, GRU.memory_gate, RNN.gated) == ("forget", "update", False)
    with pytest.raises(TypeError, match="not one of the course's recurrent layers"):
        recurrent_kind(torch.nn.Linear(2, 2))


def test_gru_blocks_by_name_give_pytorchs_own_step():
    torch.manual_seed(0)
    layer, x, h = torch.nn.GRU(3, 4, batch_first=True), torch.randn(2, 3), torch.randn(2, 4)
    i = GRU.split(x @ layer.weight_ih_l0.T + layer.bias_ih_l0)  # the input's share of each block
    g = GRU.split(h @ layer.weight_hh_l0.T + layer.bias_hh_l0)  # the old state's share
    r, z = torch.sigmoid(i["reset"] + g["reset"]), torch.sigmoid(i["update"] + g["update"])
    n = torch.tanh(i["new"] + r * g["new"])
    _, expected = layer(x[:, None], h[None])
    torch.testing.assert_close((1 - z) * n + z * h, expected[0])
    assert GRU.block("update", 4) == slice(4, 8) and LSTM.block("Forget", 4) == slice(4, 8)


def test_variants_of_the_vanilla_rnn_and_their_limits():
    assert Recurrent(5, 4, "rnn", nonlinearity="relu").rnn.nonlinearity == "relu"
    assert isinstance(Recurrent(5, 4, "rnn", residual=True).rnn, ElmanRNN)
    with pytest.raises(ValueError, match="kind='rnn' only"):
        Recurrent(5, 4, "gru", nonlinearity="relu")
    with pytest.raises(ValueError, match="one layer, one direction"):
        Recurrent(5, 4, "rnn", nonlinearity="linear", bidirectional=True)
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        Recurrent(5, 4, "rnn", nonlinearity="sigmoid")
