"""The one optimizer step: zero_grad, backward, clip, step; and every training loop goes through it."""

import pytest
import torch
from torch.nn import functional as F

from helpers import classify, embeddings, gradients, rnn, training
from helpers.data import load_sentiment
from helpers.gradients import first_token_batch, make_model
from helpers.vocab import Vocab


def _flat(tensors) -> torch.Tensor:
    return torch.cat([t.detach().flatten() for t in tensors]).clone()


def _loss(model, x, y):
    return F.cross_entropy(model(x)[0][:, -1], y)


def test_a_clipped_step_keeps_the_direction_and_moves_the_weights_by_at_most_lr_times_clip():
    model = make_model("rnn", hidden_size=6)
    x, y = first_token_batch(8, 5, generator=torch.Generator().manual_seed(0))
    grad = _flat(torch.autograd.grad(_loss(model, x, y), list(model.parameters())))
    before = _flat(model.parameters())
    clip = float(grad.norm()) / 4
    norm = training.optimizer_step(torch.optim.SGD(model.parameters(), lr=1.0), _loss(model, x, y), clip=clip)
    assert norm == pytest.approx(float(grad.norm()), rel=1e-5)  # the norm before clipping
    assert float(_flat(p.grad for p in model.parameters()).norm()) == pytest.approx(clip, rel=1e-5)
    torch.testing.assert_close(before - _flat(model.parameters()), grad / 4, rtol=1e-3, atol=1e-6)


def test_without_clipping_the_step_is_plain_sgd_and_old_gradients_are_cleared():
    model = make_model("rnn", hidden_size=6)
    x, y = first_token_batch(8, 5, generator=torch.Generator().manual_seed(0))
    _loss(model, x, y).backward()  # a stale gradient: optimizer_step must clear it first
    grad = _flat(torch.autograd.grad(_loss(model, x, y), list(model.parameters())))
    before = _flat(model.parameters())
    norm = training.optimizer_step(torch.optim.SGD(model.parameters(), lr=0.5), _loss(model, x, y))
    assert norm == pytest.approx(float(grad.norm()), rel=1e-5)
    torch.testing.assert_close(before - _flat(model.parameters()), 0.5 * grad, rtol=1e-4, atol=1e-6)


def test_only_the_optimizers_own_parameters_are_clipped_and_moved():
    model, other = make_model("rnn", hidden_size=4, seed=0), make_model("rnn", hidden_size=4, seed=1)
    x, y = first_token_batch(8, 5, generator=torch.Generator().manual_seed(0))
    frozen = _flat(other.parameters())
    training.optimizer_step(torch.optim.SGD(model.parameters(), lr=0.1), _loss(model, x, y) + _loss(other, x, y),
                            clip=1e-3)
    assert torch.equal(_flat(other.parameters()), frozen)
    assert float(_flat(p.grad for p in other.parameters()).norm()) > 1e-3  # its gradient was not rescaled


def _counting(monkeypatch, module) -> list[float]:
    calls = []

    def counted(optimizer, loss, clip=None):
        calls.append(clip)
        return training.optimizer_step(optimizer, loss, clip)

    monkeypatch.setattr(module, "optimizer_step", counted)
    return calls


def test_every_training_loop_after_notebook_01_takes_its_steps_through_optimizer_step(monkeypatch):
    calls = _counting(monkeypatch, gradients)
    gradients.train_first_token(make_model("rnn", 4), 5, steps=3, clip=0.5, device="cpu", progress=False)
    assert calls == [0.5] * 3

    calls = _counting(monkeypatch, rnn)
    vocab = Vocab.of_characters("abcd" * 30)
    ids = vocab.encode("abcd" * 30)
    rnn.train_char_lm(rnn.CharLM(len(vocab), 4, seed=0), ids[:100], ids[100:], seq_len=5, batch_size=4,
                      device="cpu", progress=False)
    assert calls == [1.0] * 5  # 100 ids in 4 streams of 25: 5 windows of 5 (the last one shorter)
    text, ends = rnn.segmentation_data("ab cd " * 20)
    rnn.train_tagger(rnn.Tagger(len(vocab), 4, seed=0), vocab.encode(text), ends, steps=2, seq_len=8,
                     batch_size=2, device="cpu", progress=False)
    assert calls[5:] == [None] * 2

    calls = _counting(monkeypatch, classify)
    texts, labels = load_sentiment("toy")
    cvocab = classify.build_vocab(texts)
    data = classify.encode_dataset(cvocab, texts, labels)
    classify.train_classifier(classify.TextClassifier(len(cvocab), 4, 4), data, epochs=1, batch_size=4,
                              device="cpu", progress=False)
    assert calls == [None] * -(-len(texts) // 4)  # one step per mini-batch


def test_notebook_01s_first_loop_writes_its_step_out_one_step_per_mini_batch(monkeypatch):
    # The course's first training loops (skipgram_epoch, sgns_epoch) show zero_grad / backward / step written out,
    # so the learner sees them before optimizer_step bundles them; counted on the optimiser itself.
    calls = _counting(monkeypatch, embeddings) if hasattr(embeddings, "optimizer_step") else []
    steps = []
    original = torch.optim.Adam.step
    monkeypatch.setattr(torch.optim.Adam, "step", lambda self, *a, **k: steps.append(1) or original(self, *a, **k))
    words = [["a", "b", "c"], ["b", "c", "a"]]
    vocab = embeddings.word_vocab(words)
    pairs = embeddings.skipgram_pairs(embeddings.encode_corpus(words, vocab), window=1)
    embeddings.train_skipgram(pairs, vocab.tokens, dim=2, epochs=2, batch_size=4, device="cpu", progress=False)
    assert len(steps) == 4 and calls == []  # 8 pairs in batches of 4, two epochs; optimizer_step not used
