# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 03 · RNN, LSTM and GRU as character-level language models
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/03_rnn_sequence_models.ipynb)
#
# **What you will learn**
#
# - what a character-level language model predicts, and how to score it in **bits per character** (bpc);
# - how one long text becomes contiguous batches for **truncated back-propagation through time**, and why the
#   hidden state is carried from one window to the next but *detached*;
# - how the plain RNN, the LSTM (which carries a pair `(h, c)`) and the GRU differ in state and parameter count,
#   and how they compare on the same text and budget;
# - how to generate text one character at a time, and what the **temperature** does;
# - why a **bidirectional** RNN cannot be a left-to-right language model (it reads the answer), yet helps a tagger
#   or classifier that is given the whole input;
# - the RNN lab: a control panel for RNN type, sequence length, gradient clipping and device.
#
# **Run time:** about 55 s on a 2-core CPU, offline. Every model here is trained for only a few epochs,
# so the texts it writes are far from fluent; the point is the comparison, made under equal conditions.
# **On a GPU:** not measured yet (no GPU was available when these outputs were made); every helper uses the GPU when there is one (`device="auto"`), and most scripts in `benchmarks/` take `--device cuda` to time it.

# %%
import math
import time

import matplotlib.pyplot as plt
import pandas as pd
import torch

from helpers import plots, rnn
from helpers.device import pick_device, seed_everything
from helpers.rnn import CharRNN, CharTagger, count_parameters

seed_everything(0)
# Small models gain little from several threads (benchmarks/bench_rnn.py measures it), and on one thread the
# numbers do not depend on how many cores the computer has.
torch.set_num_threads(1)
plt.rcParams["figure.dpi"] = 80
started = time.perf_counter()

# %%
# NBVAL_IGNORE_OUTPUT
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU: every training helper below takes device=...
print("device:", device)

# %% [markdown]
# > **Apple silicon (MPS).** LSTMs on the MPS backend have been known to give wrong losses in some PyTorch
# > versions. If the losses below look odd on a Mac (NaN, or far above the CPU numbers in this notebook), run the
# > cell above with `device = pick_device("cpu")` instead: the models are small and the CPU is fast enough.

# %% [markdown]
# ## 1. The task: predict the next character
#
# A language model assigns a probability to every possible next symbol given everything before it. At the level
# of **characters**, the vocabulary is tiny (letters, digits, punctuation, the space) and there are no unknown
# words: the model has to learn spelling, frequent words and a bit of grammar from scratch.
#
# Our text is offline and real: the news articles of the *Lee background corpus*, which ships with gensim. We
# lower-case it, turn every run of white space into one space, and keep the last 10 % (read in order, not
# shuffled) as validation text.

# %%
vocab, train_ids, val_ids = rnn.load_char_data("lee", val_fraction=0.1)
print(f"training characters:   {len(train_ids):,}")
print(f"validation characters: {len(val_ids):,}")
print(f"vocabulary: {len(vocab)} characters:", "".join(vocab.chars))
print()
print(vocab.decode(train_ids[:300]))

# %% [markdown]
# **Bits per character.** If a model gives the true next character probability $p$, it pays $-\log_2 p$ bits.
# The average over a text is its bits per character: 0 means it always knew the next character for sure;
# guessing uniformly among the whole alphabet costs $\log_2(\text{vocabulary size})$ bits. A model that knows only
# how frequent each character is (no context at all) sits in between. These two references tell us whether an RNN
# has learnt anything from context.

# %%
uniform_bpc = math.log2(len(vocab))
unigram = rnn.unigram_bpc(train_ids, val_ids, len(vocab))
print(f"uniform guess over {len(vocab)} characters: {uniform_bpc:.3f} bits per character")
print(f"character frequencies, no context:  {unigram:.3f} bits per character")

# %% [markdown]
# ## 2. One long text, many streams: truncated back-propagation through time
#
# We cannot back-propagate through hundreds of thousands of steps, nor would we want to train on one window at a
# time. Instead:
#
# 1. **Cut the text into `batch_size` contiguous streams** (rows). Row 0 is the first part of the text, row 1 the
#    next part, and so on; a batch is a slice of columns, so every row of the next batch continues exactly where the
#    same row of this batch stopped.
# 2. **Walk along the streams in windows of `seq_len` characters.** The target of each input character is the
#    character after it: the same window shifted by one.
# 3. **Carry the hidden state** from one window to the next (the model keeps its memory of the text so far), but
#    **detach** it: its values are kept, the record of how they were computed is dropped, so back-propagation stops
#    at the window boundary. That is the *truncation*.
#
# Here is the procedure on the alphabet, with 3 streams and windows of 4 characters:

# %%
alphabet = rnn.CharVocab.from_text("abcdefghijklmnopqrstuvwxyz")
streams = rnn.batchify(alphabet.encode("abcdefghijklmnopqrstuvwxyz"), batch_size=3)
print("streams:", [alphabet.decode(row) for row in streams])
for number, (x, y) in enumerate(rnn.windows(streams, seq_len=4), start=1):
    print(f"window {number}: input {[alphabet.decode(row) for row in x]}  target {[alphabet.decode(row) for row in y]}")

# %% [markdown]
# The two leftover letters (`y`, `z`) do not fill a row and are dropped. Row 1 starts at `i`, right after the
# end of row 0, and window 2 of each row continues window 1 of the *same* row: that is why the state of row $i$
# may be carried into the next window.
#
# ## 3. Three recurrent cells, one model
#
# `CharRNN` embeds each character id, runs a recurrent layer over the window, and maps each hidden vector to a
# score for every character of the vocabulary. Only the recurrent layer changes:
#
# | kind | state carried | gates (weight blocks per layer) |
# |---|---|---|
# | `rnn` | $h$ | 1: $h_t = \tanh(W x_t + U h_{t-1} + b)$ |
# | `lstm` | $(h, c)$: hidden state and **cell state** | 4: input, forget, cell candidate, output |
# | `gru` | $h$ | 3: reset, update, candidate |
#
# The LSTM's state is a *pair*. Code that keeps only `h` (or indexes the pair like a tensor) breaks the LSTM;
# here the state is passed back exactly as the layer returned it.

# %%
x = train_ids[:20].view(2, 10)  # a tiny batch: 2 rows of 10 characters
for kind in rnn.KINDS:
    model = CharRNN(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    logits, state = model(x)
    shapes = [tuple(s.shape) for s in state] if isinstance(state, tuple) else tuple(state.shape)
    print(f"{kind:4}  logits {tuple(logits.shape)}  state {shapes}")

# %% [markdown]
# `logits` has one score per (row, step, vocabulary character); the state has one vector per (layer, row).
#
# Carrying the state is exact: running two windows one after the other, handing the state over, gives the same
# outputs as running their concatenation in one pass.

# %%
for kind in rnn.KINDS:
    model = CharRNN(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    whole, _ = model(x)
    first, state = model(x[:, :6])
    second, _ = model(x[:, 6:], rnn.detach_state(state))
    gap = (torch.cat([first, second], dim=1) - whole).abs().max().item()
    print(f"{kind:4}  largest difference, two windows vs one pass: {gap:.1e}")

# %% [markdown]
# ## 4. RNN vs LSTM vs GRU on the same text and budget
#
# Each model gets the same embedding size (32), hidden size (128), windows of 64 characters, 32 streams, Adam with
# learning rate 0.005, gradients clipped at norm 1, and the same number of epochs. Training shows a progress bar;
# after each epoch we measure the validation bits per character.

# %%
SETTINGS = dict(seq_len=64, batch_size=32, epochs=8, lr=5e-3, clip=1.0)

# %%
# NBVAL_IGNORE_OUTPUT
models, histories = {}, {}
for kind in rnn.KINDS:
    seed_everything(0)
    models[kind] = CharRNN(len(vocab), hidden_size=128, kind=kind, embed_size=32)
    histories[kind] = rnn.train_char_lm(models[kind], train_ids, val_ids, device=device, **SETTINGS)

# %%
table = pd.DataFrame({
    "parameters": {kind: count_parameters(models[kind]) for kind in rnn.KINDS},
    "in the recurrent layer": {kind: count_parameters(models[kind].rnn) for kind in rnn.KINDS},
    "validation bpc, epoch 1": {kind: histories[kind]["val_bpc"][0] for kind in rnn.KINDS},
    "validation bpc, last epoch": {kind: histories[kind]["val_bpc"][-1] for kind in rnn.KINDS},
}).rename_axis("model")
table["gain since epoch 1"] = table["validation bpc, epoch 1"] - table["validation bpc, last epoch"]
print(f"lowest validation bpc: {table['validation bpc, last epoch'].idxmin()}; "
      f"largest gain since epoch 1: {table['gain since epoch 1'].idxmax()}")
table.round(2)

# %% [markdown]
# Time per epoch depends on the computer (and on what else it is doing), so it has its own cell:

# %%
# NBVAL_IGNORE_OUTPUT
timing = pd.DataFrame({kind: {"seconds per epoch (mean)": sum(h["seconds"]) / len(h["seconds"]),
                              "relative to rnn": sum(h["seconds"]) / sum(histories["rnn"]["seconds"])}
                       for kind, h in histories.items()}).T.rename_axis("model")
print(f"device: {device}")
timing.round(2)

# %%
fig, ax = plt.subplots(figsize=(7, 4))
plots.plot_bpc_curves(ax, histories, title="Character language models on the Lee news text")
ax.axhline(unigram, color="grey", ls=":", label="frequencies only, no context")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# What the table and curves show:
#
# - **Parameters**: with the same sizes, the LSTM's recurrent layer has four times and the GRU's three times the
#   weights of the plain RNN's (one weight block per gate: compare the second column). The embedding and output
#   layer are the same for all.
# - **Bits per character**: all three go far below the no-context baseline (the dotted line), so they use the
#   context. Read the ranking from the table, not from a general rule: it depends on the budget. Compare also
#   the first-epoch column with the gain column: a model with more weights may start no better and keep gaining
#   for longer, so a short run can reorder models that a long run would separate differently.
# - **Honesty about the level reached**: the validation curves are still falling when training stops, so this is
#   not what these models can do, only what a couple of CPU minutes buy. More epochs, a bigger hidden size and a
#   longer text (on a GPU) are the usual ways down (see "Going further"). The comparison here is fair (same data,
#   same budget) but short.
# - **Time**: the gated cells do more work per step, so an epoch takes longer (see the timing table).
#
# ## 5. Writing text, one character at a time
#
# To generate, we feed a prompt, take the scores for the next character, turn them into probabilities with a
# **temperature** $T$, $p_i \propto \exp(\text{score}_i / T)$, draw one character, feed it back in with the
# carried state, and repeat. $T < 1$ sharpens the distribution (safe, repetitive choices); $T > 1$ flattens it
# (more variety, more misspellings). Here is what that does to the model's next-character distribution after one
# prompt:

# %%
best = table["validation bpc, last epoch"].idxmin()
prompt = "the prime minister says the governmen"
rows = {}
for temperature in (0.5, 1.0, 2.0):
    probs = rnn.next_char_probs(models[best], vocab, prompt, temperature, device=device)
    top = probs.topk(3)
    rows[f"T = {temperature}"] = {f"choice {rank + 1}": f"{vocab.chars[int(i)]!r} {p:.2f}"
                                  for rank, (p, i) in enumerate(zip(top.values.tolist(), top.indices.tolist()))}
print(f"model: {best}; prompt: {prompt!r}")
pd.DataFrame(rows).T

# %% [markdown]
# And the texts it writes at two temperatures (the sampler has its own seeded random generator, so each line
# can be reproduced):

# %%
# NBVAL_IGNORE_OUTPUT
training_words = set(vocab.decode(train_ids).split())
for temperature in (0.5, 1.0):
    text = rnn.sample(models[best], vocab, "the government ", length=1000, temperature=temperature,
                      device=device, seed=0)
    words = text.split()[2:-1]  # leave out the prompt and the last, possibly cut, word
    real = sum(word in training_words for word in words) / len(words)
    print(f"--- {best}, temperature {temperature}: {real:.0%} of its {len(words)} words occur in the training text ---")
    print(text[:250], "...\n")

# %% [markdown]
# Read the two samples side by side, and the share of real words above each (counted over 1,000 generated
# characters): at the lower temperature the model sticks to its most likely spellings and frequent words; at
# temperature 1 it samples its real, still uncertain distribution, and more invented words appear. Both are far
# from fluent English after this short training, as the bits per character predicted.
#
# ## 6. Bidirectional RNNs: cheating as a language model, useful as a tagger
#
# A bidirectional layer runs a second RNN from right to left and concatenates both hidden states at every
# step. So the output at step $t$ depends on the characters **after** $t$ too. Let us measure it: change a single
# input character (step 20 of a window) and see which outputs move. The models are freshly initialised: this is
# a property of the wiring, not of training.

# %%
seed_everything(0)
window = val_ids[:40].view(1, 40)
t_changed = 20
profiles = {}
for bidirectional in (False, True):
    fresh = CharRNN(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional)
    name = "bidirectional (LSTM)" if bidirectional else "left to right (LSTM)"
    profiles[name] = rnn.influence_of_one_input(fresh, window, t_changed)
for name, change in profiles.items():
    before = change[:t_changed]
    print(f"{name}: outputs before step {t_changed} that changed: {int((before > 0).sum())} of {t_changed}, "
          f"largest change {before.max().item():.1e}")
fig, ax = plt.subplots(figsize=(7, 3.5))
plots.plot_influence(ax, profiles, t_changed)
plt.show()

# %% [markdown]
# The left-to-right model's outputs before step 20 do not move at all: they cannot depend on a character they
# have not read. The bidirectional model's outputs move at every step, most near the changed character (in these
# untrained models the effect fades with distance). For next-character prediction that is fatal:
# the output at step $t$ is supposed to *predict* character $t+1$, and the backward direction has already *read*
# it. Training it as a language model, it learns to copy. Same data, same budget for both, hidden size 64,
# two epochs on the first 100,000 training characters:

# %%
# NBVAL_IGNORE_OUTPUT
leak_models, leak_bpc = {}, {}
for bidirectional in (False, True):
    seed_everything(0)
    leak_models[bidirectional] = CharRNN(len(vocab), 64, "lstm", embed_size=32, bidirectional=bidirectional)
    history = rnn.train_char_lm(leak_models[bidirectional], train_ids[:100_000], val_ids, seq_len=64,
                                batch_size=32, epochs=2, lr=5e-3, device=device)
    leak_bpc["bidirectional" if bidirectional else "left to right"] = history["val_bpc"][-1]

# %%
print("validation bits per character after two epochs:")
for name, bpc in leak_bpc.items():
    print(f"  {name:14} {bpc:.2f}")
print(f"  (frequencies only: {unigram:.2f}; the full left-to-right LSTM of section 4: "
      f"{histories['lstm']['val_bpc'][-1]:.2f})")

# %% [markdown]
# The bidirectional "language model" is too good to be true: far better than every honest model in this
# notebook after a fraction of their training. It did not learn English; it learnt to look one character ahead.
# When it must *write*, there is no future text to peek at, and it falls apart:

# %%
# NBVAL_IGNORE_OUTPUT
for bidirectional in (False, True):
    name = "bidirectional" if bidirectional else "left to right"
    text = rnn.sample(leak_models[bidirectional], vocab, "the government ", length=120, temperature=0.5,
                      device=device, seed=0)
    print(f"--- {name} ---\n{text}\n")

# %% [markdown]
# **Where reading both ways is legitimate.** When the whole input is given and we only label it, looking right
# is not cheating, it is information. Take **word segmentation** (a real task for languages written without
# spaces, or for hashtags like `#nowhiring`): remove the spaces from the text and ask, for every character,
# "does a word end here?". A left-to-right tagger must decide before it sees the next letters; a bidirectional
# one sees them. Same model size, same training:

# %%
joined, ends = rnn.segmentation_data(vocab.decode(torch.cat([train_ids, val_ids])))
joined_ids = vocab.encode(joined)
cut = int(0.9 * len(joined_ids))
print(joined[:80])
print("".join(str(label) for label in ends[:80].tolist()))
print(f"share of characters that end a word: {ends.float().mean():.3f}")

# %%
# NBVAL_IGNORE_OUTPUT
taggers = {}
for bidirectional in (False, True):
    seed_everything(0)
    taggers[bidirectional] = CharTagger(len(vocab), 64, bidirectional=bidirectional)
    rnn.train_tagger(taggers[bidirectional], joined_ids[:cut], ends[:cut], steps=300, seq_len=64, batch_size=32,
                     lr=1e-2, device=device)

# %%
baseline = 1 - ends[cut:].float().mean().item()
print(f"always 'no word end':        {baseline:.3f} accuracy on held-out text, errors {1 - baseline:.3f}")
for bidirectional, tagger in taggers.items():
    accuracy = rnn.tagging_accuracy(tagger, joined_ids[cut:], ends[cut:], device=device)
    name = "bidirectional" if bidirectional else "left-to-right"
    print(f"{name} LSTM tagger:  {accuracy:.3f} accuracy on held-out text, errors {1 - accuracy:.3f}")

# %% [markdown]
# Both taggers beat the trivial baseline, and the bidirectional one makes far fewer errors, because whether
# `...governmen` + `t` ends a word is clearest from what comes *after* it. The same holds for sentence
# classification (notebook 05 uses a bidirectional LSTM for sentiment): the classifier is handed the whole
# sentence, so the backward direction may read it too. The rule: **use a bidirectional model when the whole input
# is known at prediction time (tagging, classification); never when it must predict or generate what comes next.**
#
# ## 7. The RNN lab
#
# The panel below trains a small recurrent classifier for a few seconds and plots, for each time step, how much
# gradient reaches it, together with the loss. Try switching the RNN type at a long sequence length, and then
# turning gradient clipping on and off for the plain RNN; notebook 04 explains what you see.

# %%
# NBVAL_IGNORE_OUTPUT
from helpers.widgets import rnn_lab
rnn_lab()

# %% [markdown]
# ## Exercises
#
# Each exercise has a check cell: run it after your answer. The checks print "not attempted yet" until you fill
# in the `None`.
#
# **Exercise 1 — count the weights of a 2-layer LSTM.** Without building it, compute the number of trainable
# parameters of `CharRNN(len(vocab), hidden_size=128, kind="lstm", num_layers=2, embed_size=32)`. Hint: PyTorch's
# LSTM layer has, per layer, input weights `4 * hidden * input`, recurrent weights `4 * hidden * hidden` and two
# bias vectors of `4 * hidden`; the second layer's input is the first layer's output.

# %%
lstm2_parameters = None  # your formula here

# %%
if lstm2_parameters is None:
    print("Exercise 1: not attempted yet")
else:
    truth = count_parameters(CharRNN(len(vocab), hidden_size=128, kind="lstm", num_layers=2, embed_size=32))
    assert lstm2_parameters == truth, f"{lstm2_parameters} is off by {lstm2_parameters - truth}"
    print(f"Exercise 1: correct — {truth:,} parameters")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# V, E, H = len(vocab), 32, 128
# embedding = V * E
# layer1 = 4 * H * E + 4 * H * H + 2 * 4 * H
# layer2 = 4 * H * H + 4 * H * H + 2 * 4 * H
# head = H * V + V
# lstm2_parameters = embedding + layer1 + layer2 + head
# ```
# </details>
#
# **Exercise 2 — bits per character and perplexity.** Perplexity is the number of equally likely choices that
# would be as uncertain as the model: $2^{\text{bpc}}$. Compute `perplexities`, a dict mapping each kind in
# `histories` to the perplexity of its last validation bpc. How many characters is the best model, on average,
# still hesitating between?

# %%
perplexities = None  # {kind: ...}

# %%
if perplexities is None:
    print("Exercise 2: not attempted yet")
else:
    for kind, h in histories.items():
        assert abs(perplexities[kind] - 2 ** h["val_bpc"][-1]) < 1e-6, f"check the value for {kind}"
    print("Exercise 2: correct —", {kind: round(p, 1) for kind, p in perplexities.items()})

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# perplexities = {kind: 2 ** h["val_bpc"][-1] for kind, h in histories.items()}
# ```
# The best model still hesitates between a handful of characters on average; a uniform guess would hesitate
# between all the characters of the vocabulary.
# </details>
#
# **Exercise 3 — windows by hand.** With the alphabet streams of section 2 (`streams`, 3 rows) and windows of
# 3 characters, what are the input and the target of the **second** window of row 2? Write them as strings, then
# run the check, which compares with `rnn.windows`.

# %%
second_window_row2 = None  # (input string, target string)

# %%
if second_window_row2 is None:
    print("Exercise 3: not attempted yet")
else:
    x2, y2 = list(rnn.windows(streams, seq_len=3))[1]
    truth = (alphabet.decode(x2[2]), alphabet.decode(y2[2]))
    start = alphabet.decode(streams[2, :1])
    assert tuple(second_window_row2) == truth, f"not quite: try again (row 2 starts at {start!r})"
    print("Exercise 3: correct —", truth)

# %% [markdown]
# <details><summary>Solution</summary>
#
# Row 2 is `qrstuvwx`. The first window reads `qrs` with target `rst`; the second reads `tuv` with target `uvw`:
# `second_window_row2 = ("tuv", "uvw")`. The last window would read only `w` (target `x`), because the final
# character of a row has no target.
# </details>
#
# **Exercise 4 — greedy decoding.** Write `greedy(model, prompt, length)` that appends, `length` times, the
# single most likely next character (use `rnn.next_char_probs(model, vocab, text, device=device)` and `argmax`).
# The check compares it with `rnn.sample` at a temperature so low that sampling always picks the top character.
# Then look at what greedy decoding writes: why do people sample instead?

# %%
greedy = None  # def greedy(model, prompt, length): ...

# %%
if greedy is None:
    print("Exercise 4: not attempted yet")
else:
    mine = greedy(models[best], "the government ", 60)
    assert mine == rnn.sample(models[best], vocab, "the government ", 60, temperature=1e-4, device=device), mine
    print("Exercise 4: correct —", repr(mine))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def greedy(model, prompt, length):
#     text = prompt
#     for _ in range(length):
#         probs = rnn.next_char_probs(model, vocab, text, device=device)
#         text += vocab.chars[int(probs.argmax())]
#     return text
# ```
# Greedy text soon loops over the same few frequent words: always taking the top character never explores the
# rest of the distribution. (Re-reading the whole text at every step is simple but slow; `rnn.sample` carries the
# state instead.)
# </details>
#
# **Going further (no check).** Re-train the GRU of section 4 with `epochs=20`: does its validation curve
# flatten, and where? On a GPU, also try `hidden_size=512` and compare the time per epoch on the CPU and the GPU.
# For a much longer (but punctuation-free) offline text, `rnn.load_char_data("wiki")` joins the words of the
# Wikipedia excerpt that gensim ships.
#
# ## Summary
#
# - A character language model predicts the next character; its quality is **bits per character** on held-out
#   text, to be read against the uniform guess and the context-free frequency model.
# - **Truncated BPTT**: cut the text into contiguous streams, walk along them in windows, carry the state from
#   window to window and detach it, so memory flows forward while gradients stop at the window boundary.
# - The RNN, LSTM and GRU differ in their state (the LSTM carries `(h, c)`) and in their number of gates, hence
#   parameters and time per step. Compare them on the same data and budget, and report the budget.
# - **Temperature** trades safety for variety when sampling; a seeded generator makes samples reproducible.
# - A **bidirectional** model sees the future: as a language model it reads the answer and scores "too good to be
#   true" while being unable to write; as a tagger or classifier of a complete input it genuinely helps.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"notebook run time: {time.perf_counter() - started:.0f} s")
