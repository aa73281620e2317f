import pytest
import torch

from helpers.device import one_cpu_thread
from helpers.recurrent import Recurrent, count_parameters, detach_state
from helpers.rnn import KINDS, CharLM


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one thread is faster than several, and the tight values below do not depend on the core count."""
    with one_cpu_thread(torch.device("cpu")):
        yield


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_state_per_kind(kind):
    torch.manual_seed(0)
    model = CharLM(vocab_size=11, hidden_size=7, kind=kind, num_layers=2, embed_size=5)
    logits, state = model(torch.randint(0, 11, (3, 4)))
    assert logits.shape == (3, 4, 11)
    if kind == "lstm":
        h, c = state
        assert h.shape == c.shape == (2, 3, 7)
    else:
        assert isinstance(state, torch.Tensor) and state.shape == (2, 3, 7)
    assert isinstance(model.body, Recurrent) and isinstance(model.head, torch.nn.Linear)
    assert model.body.rnn.batch_first and model.kind == kind and model.body.hidden_size == 7


@pytest.mark.parametrize("kind", KINDS)
def test_carried_state_equals_one_long_pass(kind):
    torch.manual_seed(0)
    model = CharLM(vocab_size=9, hidden_size=6, kind=kind)
    x = torch.randint(0, 9, (2, 10))
    whole, _ = model(x)
    first, state = model(x[:, :6])
    second, _ = model(x[:, 6:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)


def test_parameter_counts_follow_the_gates():
    # embedding 10*4 + head (4*10 + 10); recurrent layer: gates * (4*4 + 4*4 + 4 + 4)
    counts = {kind: count_parameters(CharLM(10, 4, kind=kind)) for kind in KINDS}
    assert counts == {"rnn": 90 + 40, "lstm": 90 + 160, "gru": 90 + 120}


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"unknown RNN kind 'transformer'.*'rnn', 'lstm', 'gru'"):
        CharLM(10, 4, kind="transformer")
    with pytest.raises(ValueError, match="hidden_size must be an integer >= 1, got 0"):
        CharLM(10, 0)
    with pytest.raises(ValueError, match="vocab_size must be an integer >= 1, got -3"):
        CharLM(-3, 4)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        CharLM(10, 4.5)
    with pytest.raises(ValueError, match=r"integer tensor \[batch, steps\], got shape \(5,\)"):
        CharLM(10, 4)(torch.zeros(5, dtype=torch.long))
    with pytest.raises(TypeError, match=r"integer tensor \[batch, steps\] of token ids, not a torch.float32"):
        CharLM(10, 4)(torch.zeros(1, 5))


# --- text, vocabulary and batches ---

from helpers.history import History  # noqa: E402
from helpers.rnn import (  # noqa: E402
    Tagger,
    batchify,
    char_text,
    decode,
    evaluate_bpc,
    influence_of_one_input,
    load_char_data,
    next_char_probs,
    sample,
    segmentation_data,
    split_text,
    spread_sample,
    tagging_accuracy,
    tbptt_step,
    train_char_lm,
    train_tagger,
    unigram_bpc,
    windows,
)
from helpers.vocab import Vocab  # noqa: E402


def test_char_text_is_lower_case_with_single_spaces():
    text = char_text("lee", max_chars=5000)
    assert len(text) == 5000 and text.startswith("hundreds of people have been forced")
    assert text == text.lower() and "  " not in text and "\n" not in text
    assert char_text("toy", max_chars=30) == char_text("toy")[:30]
    with pytest.raises(ValueError, match=r"unknown corpus 'shakespeare'.*'lee', 'wiki', 'toy'"):
        char_text("shakespeare")


def test_split_and_load_char_data():
    assert split_text("abcdefghij", 0.2) == ("abcdefgh", "ij")
    with pytest.raises(ValueError, match=r"val_fraction must be a number in \(0, 1\)"):
        split_text("abcdefghij", 1.5)
    vocab, train, val = load_char_data("lee", max_chars=2000, val_fraction=0.25)
    assert isinstance(vocab, Vocab) and (len(train), len(val)) == (1500, 500)
    assert decode(vocab, train[:8]) == "hundreds"
    assert vocab.tokens[0] == " " and vocab.counts[" "] == max(vocab.counts.values())  # most frequent first


def test_batchify_makes_contiguous_streams_and_windows_shift_by_one():
    ids = torch.arange(23)
    streams = batchify(ids, 4)
    assert streams.tolist()[1] == [5, 6, 7, 8, 9]  # row 1 continues where row 0 would; 3 ids left over
    pairs = list(windows(streams, 3))
    assert [x.shape[1] for x, _ in pairs] == [3, 1]  # 4 targets per row: one full window, one short
    x, y = pairs[0]
    assert x[0].tolist() == [0, 1, 2] and y[0].tolist() == [1, 2, 3]
    assert pairs[1][0][0].tolist() == [3] and pairs[1][1][0].tolist() == [4]
    with pytest.raises(ValueError, match="too few"):
        batchify(ids, 20)
    with pytest.raises(ValueError, match="seq_len must be an integer >= 1, got 0"):
        next(windows(streams, 0))


def test_spread_sample_takes_evenly_spaced_pieces():
    ids = torch.arange(100)
    sample_ids = spread_sample(ids, 12, pieces=4)
    assert sample_ids.tolist() == [0, 1, 2, 32, 33, 34, 64, 65, 66, 97, 98, 99]
    assert batchify(sample_ids, 4)[1].tolist() == [32, 33, 34]  # one piece per stream
    with pytest.raises(ValueError, match="fewer than 2 per piece"):
        spread_sample(ids, 6, pieces=4)


# --- one truncated-BPTT step ---

def test_tbptt_step_carries_the_state_and_cuts_the_graph():
    torch.manual_seed(0)
    model = CharLM(6, 8, kind="lstm")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randint(0, 6, (2, 5)), torch.randint(0, 6, (2, 5))
    before = [p.detach().clone() for p in model.parameters()]
    loss, state = tbptt_step(model, optimizer, x, y, None)
    assert isinstance(state, tuple) and state[0].grad_fn is not None  # the new state still has its graph
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the weights moved
    # The next window gets that state: without the detach inside, this backward would run into the freed graph.
    loss2, _ = tbptt_step(model, optimizer, x, y, state)
    with torch.no_grad():
        carried = torch.nn.functional.cross_entropy(model(x, detach_state(state))[0].flatten(0, 1), y.flatten())
        fresh = torch.nn.functional.cross_entropy(model(x)[0].flatten(0, 1), y.flatten())
    assert not torch.isclose(carried, fresh)  # the carried state changes the predictions: memory flows on


def test_tbptt_step_clips_the_gradient_norm():
    torch.manual_seed(0)
    model = CharLM(6, 8, kind="rnn")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    x, y = torch.randint(0, 6, (2, 5)), torch.randint(0, 6, (2, 5))
    tbptt_step(model, optimizer, x, y, None, clip=1e-3)
    norm = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    assert norm.item() == pytest.approx(1e-3, rel=1e-3)


# --- training, evaluation and sampling ---

PATTERN = "abcd" * 150


def _trained(kind="lstm", epochs=15, global_seed=None):
    vocab = Vocab.of_characters(PATTERN)
    ids = vocab.encode(PATTERN)
    model = CharLM(len(vocab), 16, kind=kind, seed=0)
    if global_seed is not None:  # disturb the global random state between building and training
        torch.manual_seed(global_seed)
    history = train_char_lm(model, ids[:480], ids[480:], seq_len=10, batch_size=4, epochs=epochs, lr=0.03,
                            device="cpu", progress=False)
    return model, vocab, history


@pytest.mark.parametrize("kind", KINDS)
def test_training_on_a_repeated_pattern_learns_it(kind):
    model, vocab, history = _trained(kind)
    assert isinstance(history, History) and history.unit == "epoch"
    assert history.names() == ["epoch", "train_loss", "seconds", "cpu_seconds", "train_bpc", "val_bpc"]
    assert history["epoch"] == list(range(1, 16)) and len(history["val_bpc"]) == 15
    assert history["val_bpc"][0] > history.last("val_bpc")
    assert history.last("val_bpc") < 0.05  # the next letter is certain after the first few characters
    # epoch 1's running mean includes the untrained start, so it lies above the model measured at the epoch's end
    assert history["train_loss"][0] / torch.log(torch.tensor(2.0)).item() > history["train_bpc"][0]


def test_training_does_not_depend_on_the_global_random_state():
    runs = [_trained("gru", epochs=2, global_seed=disturbance)[2] for disturbance in (1, 2)]
    assert runs[0]["val_bpc"] == runs[1]["val_bpc"] and runs[0]["train_loss"] == runs[1]["train_loss"]


def test_untrained_model_is_close_to_uniform():
    torch.manual_seed(0)
    ids = torch.randint(0, 8, (400,))
    assert evaluate_bpc(CharLM(8, 16), ids, seq_len=10, batch_size=4, device="cpu") == pytest.approx(3.0, abs=0.1)


def test_sampling_is_repeatable_and_follows_the_pattern():
    model, vocab, _ = _trained()
    text = sample(model, vocab, "ab", length=10, temperature=0.5, device="cpu", seed=1)
    assert text == "ab" + "cdabcdabcd"
    wild = [sample(model, vocab, "a", length=30, temperature=50.0, device="cpu", seed=s) for s in (1, 1, 2)]
    assert wild[0] == wild[1] != wild[2] and len(wild[0]) == 31


def test_training_and_sampling_reject_bad_settings():
    model, vocab, _ = _trained(epochs=1)
    ids = vocab.encode(PATTERN)
    for bad, message in [({"clip": -1.0}, "clip must be a number > 0"), ({"clip": 0}, "clip must be a number > 0"),
                         ({"lr": 0}, "lr must be a number > 0"), ({"seq_len": 0}, "seq_len must be an integer >= 1"),
                         ({"device": "tpu"}, "unknown device 'tpu'")]:
        with pytest.raises(ValueError, match=message):
            train_char_lm(model, ids, ids, **{"epochs": 1, "progress": False, "device": "cpu", **bad})
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        sample(model, vocab, "ab", temperature=0, device="cpu")
    with pytest.raises(TypeError, match="temperature must be a number > 0, not str"):
        sample(model, vocab, "ab", temperature="hot", device="cpu")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        sample(model, vocab, "az", device="cpu")
    with pytest.raises(ValueError, match="prompt must be a non-empty string"):
        sample(model, vocab, "", device="cpu")
    with pytest.raises(ValueError, match="length must be an integer >= 0"):
        sample(model, vocab, "ab", length=-1, device="cpu")


# --- bidirectional models ---

def test_only_a_bidirectional_model_reacts_to_a_future_input():
    torch.manual_seed(0)
    x = torch.randint(0, 6, (2, 9))
    uni = influence_of_one_input(CharLM(6, 5), x, t=4)
    bi = influence_of_one_input(CharLM(6, 5, bidirectional=True), x, t=4)
    assert uni[:4].tolist() == [0.0] * 4 and (uni[4:] > 0).all()
    assert (bi > 0).all()
    with pytest.raises(ValueError, match="t must be an integer from 0 to 8"):
        influence_of_one_input(CharLM(6, 5), x, t=9)


def test_bidirectional_language_model_predicts_random_text_it_has_read():
    torch.manual_seed(0)
    ids = torch.randint(0, 8, (1200,))  # random letters: nothing to learn, log2(8) = 3 bits each
    bpc = {}
    for bidirectional in (False, True):
        model = CharLM(8, 16, bidirectional=bidirectional)
        train_char_lm(model, ids[:1000], ids[1000:], seq_len=10, batch_size=8, epochs=8, lr=0.02,
                      device="cpu", progress=False)
        bpc[bidirectional] = evaluate_bpc(model, ids[1000:], seq_len=10, batch_size=4, device="cpu")
    assert bpc[False] > 2.9 and bpc[True] < 1.5  # chance is 3 bits: only a model that reads ahead goes below


def test_segmentation_labels_mark_word_ends():
    text, labels = segmentation_data(" the cat  sat\n")
    assert text == "thecatsat" and labels.tolist() == [0, 0, 1, 0, 0, 1, 0, 0, 1]
    with pytest.raises(ValueError, match="no words"):
        segmentation_data("   ")


def test_bidirectional_tagger_segments_what_a_left_to_right_one_cannot():
    # "ab" and "abc" words: after "ab" only the NEXT letter (a new "a" or a "c") tells whether the word ended.
    generator = torch.Generator().manual_seed(0)
    words = ["ab" if coin else "abc" for coin in torch.randint(0, 2, (600,), generator=generator).tolist()]
    text, labels = segmentation_data(" ".join(words))
    vocab = Vocab.of_characters(text)
    ids = vocab.encode(text)
    accuracy = {}
    for bidirectional in (False, True):
        torch.manual_seed(0)
        tagger = Tagger(len(vocab), 12, bidirectional=bidirectional)
        history = train_tagger(tagger, ids[:1000], labels[:1000], steps=120, seq_len=20, batch_size=16, lr=0.03,
                               device="cpu", progress=False)
        assert history.unit == "step" and len(history) == 120
        accuracy[bidirectional] = tagging_accuracy(tagger, ids[1000:], labels[1000:], seq_len=20, device="cpu")
    assert accuracy[True] > 0.98
    assert 0.7 < accuracy[False] < 0.9  # the "b" positions are a coin toss for it


def test_unigram_bpc_is_the_cross_entropy_of_training_frequencies():
    train = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])  # add-one counts 4, 4, 3 of 11
    val = torch.tensor([0, 2])
    expected = -(torch.log2(torch.tensor(4 / 11)) + torch.log2(torch.tensor(3 / 11))).item() / 2
    assert unigram_bpc(train, val, 3) == pytest.approx(expected)


def test_next_char_probs_sharpen_as_temperature_falls():
    model, vocab, _ = _trained()
    warm, cold = (next_char_probs(model, vocab, "abcda", t, device="cpu") for t in (1.0, 0.1))
    assert warm.sum().item() == pytest.approx(1.0) and vocab.tokens[int(warm.argmax())] == "b"
    assert cold.max() > warm.max() and cold.max().item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        next_char_probs(model, vocab, "ab", temperature=-1, device="cpu")


def test_step_cpu_ms_times_one_training_step_with_onednn_on_and_off():
    from helpers import rnn

    for onednn in (True, False):
        ms = rnn.step_cpu_ms("lstm", 10, onednn=onednn, hidden_size=8, embed_size=4, batch_size=2, seq_len=5,
                             repeats=3)
        assert isinstance(ms, float) and ms >= 0
