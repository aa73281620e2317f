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

def _rnn_setup():
    import torch

    from helpers.rnn import CharLM, batchify
    from helpers.vocab import Vocab

    vocab = Vocab.of_characters("the government prime minister abcdefghijklmnopqrstuvwxyz")
    torch.manual_seed(0)
    model = CharLM(len(vocab), 16, "gru")
    alphabet = Vocab.of_characters("abcdefghijklmnopqrstuvwxyz")
    streams = batchify(alphabet.encode("abcdefghijklmnopqrstuvwxyz"), 3)
    return torch, vocab, model, alphabet, streams


def test_03_lstm_parameters_accepts_the_count_and_names_common_mistakes():
    V, E, H = 54, 32, 128
    right = V * E + (4 * H * E + 4 * H * H + 8 * H) + (8 * H * H + 8 * H) + H * V + V
    exercises.check_03_lstm_parameters(right, V)
    for wrong, message in [(None, "not attempted"), (float(right), "whole number"),
                           (right - 2 * 4 * H, "two, b_ih and b_hh"), (right - 4 * H * (H - E), "second layer"),
                           (right - H * V - V, "head"), (right - V * E, "embedding"), (right + 1, r"off by \+1")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_lstm_parameters(wrong, V)


def test_03_perplexities_wants_base_two_of_the_last_epoch():
    import math

    histories = {"rnn": {"val_bpc": [3.0, 2.5]}, "gru": {"val_bpc": [2.9, 2.2]}}
    exercises.check_03_perplexities({k: 2 ** h["val_bpc"][-1] for k, h in histories.items()}, histories)
    for wrong, message in [(None, "not attempted"), ([1, 2], "dict"), ({"rnn": 2 ** 2.5}, "one entry per model"),
                           ({k: math.e ** h["val_bpc"][-1] for k, h in histories.items()}, "base is 2"),
                           ({k: 2 ** h["val_bpc"][0] for k, h in histories.items()}, "last epoch"),
                           ({k: h["val_bpc"][-1] for k, h in histories.items()}, "expected 2 \\*\\*")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_perplexities(wrong, histories)


def test_03_second_window_rejects_the_first_window_and_an_unshifted_target():
    _, _, _, alphabet, streams = _rnn_setup()
    exercises.check_03_second_window(("tuv", "uvw"), streams, alphabet)
    for wrong, message in [(None, "not attempted"), ("tuv", "two strings"), (("qrs", "rst"), "FIRST window"),
                           (("tuv", "tuv"), "shifted by one"), (("efg", "fgh"), "not quite")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_second_window(wrong, streams, alphabet)


def test_03_greedy_accepts_state_carrying_decoding_and_spots_a_lost_state():
    torch, vocab, model, _, _ = _rnn_setup()

    def decode_with(carry):
        @torch.no_grad()
        def greedy(model, vocab, prompt, length):
            logits, state = model(vocab.encode(prompt).unsqueeze(0))
            out = []
            for _ in range(length):
                out.append(int(logits[0, -1].argmax()))
                logits, state = model(torch.tensor([[out[-1]]]), state if carry else None)
            return prompt + "".join(vocab.decode(out))
        return greedy

    exercises.check_03_greedy(decode_with(carry=True), model, vocab)

    def without_prompt(model, vocab, prompt, length):
        return decode_with(True)(model, vocab, prompt, length)[len(prompt):]

    def sampled(model, vocab, prompt, length):
        from helpers.rnn import sample
        return sample(model, vocab, prompt, length, temperature=1.0, device="cpu", seed=0)

    for wrong, message in [(None, "not attempted"), (decode_with(carry=False), "empty memory"),
                           (without_prompt, "prompt followed by"),
                           (lambda m, v, p, n: p + "e" * (n - 1), "asked for 40"),
                           (sampled, "most likely next character")]:
        with pytest.raises(exercises.ExerciseError, match=message):
            exercises.check_03_greedy(wrong, model, vocab)


# --- 04 gradients ---


# --- 05 text classifier ---
