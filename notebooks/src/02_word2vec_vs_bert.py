# %% [markdown]
# # 02 · Word2Vec vs BERT: one vector per word, or one per context?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/02_word2vec_vs_bert.ipynb)
#
# "I sat on the **bank** of the river" and "I paid the cheque into the **bank**" use one word for two things.
# Word2Vec stores one vector per word, so both sentences get the same vector. A contextual model such as BERT
# computes each word's vector from the whole sentence, so the two "bank"s can differ. We measure how much, and
# at what cost.
#
# **What you will learn**
# - why one vector per word cannot tell the senses of an ambiguous word apart;
# - how to get the vector of one word in one sentence from a BERT-style model, in PyTorch;
# - how to measure whether vectors separate senses: a similarity gap, and a held-out sense test;
# - what contextual vectors cost compared with a table look-up.
#
# The model, offline, is **all-MiniLM-L6-v2**: BERT's architecture and vocabulary, smaller ([section 3](#s3)).
# Sections 1 to 7 are the lesson; the [exercises](#exercises) follow the summary and need only them. The
# optional *Going further* studies come last.

# %% [markdown]
# ### The two models side by side
#
# | | Word2Vec | BERT-style encoder |
# |---|---|---|
# | **representation** | one vector per word: a row of a table ([§2](#s2)) | one vector per *occurrence*, from the whole sentence ([§4](#s4)) |
# | **ambiguous words** | all senses share one vector | the senses can separate ([§5](#s5), [§6](#s6)) |
# | **input units** | whole words; an unseen word has no vector | word pieces, which also spell unseen words ([§3](#s3)) |
# | **depth** | a look-up | an embedding layer and a stack of Transformer layers (6 here, 12 in bert-base) |
# | **cost** | a row read per word | a forward pass per sentence ([§7](#s7)) |

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from sklearn.model_selection import StratifiedKFold
from torch.utils.benchmark import Timer

from helpers import contextual, exercises
from helpers.claims import claim
from helpers.contextual import (
    cosine_spread,
    layer_label,
    load_bert,
    loo_credits,
    nearest_centroid_loo,
    sense_report_by_layer,
    shuffled_loo,
    static_context_vectors,
    static_word_vectors,
    word_embeddings,
    word_embeddings_by_layer,
)
from helpers.data import load_corpus, load_polysemy, tokenize
from helpers.device import pick_device, seed_everything
from helpers.embeddings import centred, random_pair_cosine, train_word2vec
from helpers.plots import plot_accuracy_by_layer, plot_gap_by_layer, plot_sense_heatmap, plot_sense_pca
from helpers.show import show_code

seed_everything(0)
plt.rcParams["figure.dpi"] = 80
pd.set_option("display.precision", 3)
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU; pass "cpu" to force the CPU
print(f"device: {device.type}")

# %% [markdown]
# <a id="s1"></a>
# ## 1. The data: ambiguous words in labelled sentences
#
# `data/polysemy.tsv` holds sentences written for this course: five ambiguous words, two senses each, and twelve
# labelled sentences per sense.

# %%
rows = load_polysemy()
polysemy = pd.DataFrame(rows, columns=["word", "sense", "sentence"])
WORDS = list(dict.fromkeys(polysemy["word"]))
sentences_of = {word: list(polysemy.loc[polysemy["word"] == word, "sentence"]) for word in WORDS}
senses = {word: list(polysemy.loc[polysemy["word"] == word, "sense"]) for word in WORDS}
print(len(polysemy), "sentences for", WORDS)
polysemy.groupby(["word", "sense"], sort=False).agg(**{"sentences": ("sentence", "size")}).reset_index()

# %%
with pd.option_context("display.max_colwidth", 100):
    display(polysemy.groupby(["word", "sense"], sort=False).head(1).reset_index(drop=True))

# %% [markdown]
# <a id="s2"></a>
# ## 2. Word2Vec: one vector per word
#
# We train a skip-gram Word2Vec on the small Wikipedia excerpt gensim ships plus our 120 sentences, so that
# every ambiguous word has a vector. (One "plant" sentence says "plant's", a token of its own.)

# %%
wiki = load_corpus("wiki")
corpus = wiki + [tokenize(sentence) for sentence in polysemy["sentence"]]
kv = train_word2vec(corpus, dim=100, epochs=10, seed=0, sample=1e-4)
print(f"{sum(map(len, corpus)):,} tokens, vocabulary of {len(kv):,} words, vectors of size {kv.vector_size}")
counts = pd.DataFrame({"in Wikipedia": {w: sum(a.count(w) for a in wiki) for w in WORDS},
                       "in our sentences": {w: sum(tokenize(s).count(w) for s in sentences_of[w]) for w in WORDS}}).T
counts

# %% [markdown]
# Whatever the sentence, Word2Vec answers with the same row of its table:

# %%
w2v_bank = static_word_vectors(sentences_of["bank"], "bank", kv)
print(f"Word2Vec vectors of 'bank' in {len(w2v_bank)} sentences: {len(np.unique(w2v_bank, axis=0))} distinct")

# %% [markdown]
# Its nearest neighbours are all that one vector knows (they can differ slightly between machines):

# %% tags=["nbval-ignore-output"]
pd.DataFrame({word: [f"{n} ({s:.2f})" for n, s in kv.most_similar(word, topn=8)] for word in WORDS})

# %% [markdown]
# Which sense did Word2Vec see? Eight of the excerpt's contexts of *bank*, drawn at random:

# %%
bank_contexts = [" ".join(article[max(0, i - 4):i + 5]) for article in wiki
                 for i, token in enumerate(article) if token == "bank"]
for k in sorted(np.random.default_rng(0).choice(len(bank_contexts), 8, replace=False)):
    print("...", bank_contexts[k], "...")

# %% [markdown]
# Six of these eight contexts are banks that hold money (the World Bank, a national bank, a micro-finance bank);
# the other two are a bookshop's name and a sentence about the word itself; none is a river bank. One vector
# follows the word's usual contexts, and *bank*'s neighbours above are about money. Whatever a word's neighbours are, they come from one vector for both senses, so they cannot say which
# sense a sentence uses. *bat*, *mouse* and *bark* are rare in the excerpt (the counts above), so their vectors
# learned from little more than our 24 sentences each; each has another of them among its three nearest
# neighbours ([*Going further* G](#g7) checks this, and what it says about rare words).

# %% [markdown]
# <a id="s3"></a>
# ## 3. A BERT-style model, offline
#
# `load_bert()` loads **all-MiniLM-L6-v2** from disk. It has BERT's architecture and uncased vocabulary, but 6
# layers instead of 12 and vectors of 384 numbers instead of 768, and it was fine-tuned for sentence similarity.
# Every number below measures **this** model; what transfers to BERT is the structure: one vector per
# occurrence, layer 0 without context, and context entering through attention.

# %%
tokenizer, bert = load_bert()
n_params = sum(p.numel() for p in bert.parameters())
print(f"{type(bert).__name__}: {bert.config.num_hidden_layers} layers, hidden size {bert.config.hidden_size}, "
      f"{tokenizer.vocab_size:,} WordPiece tokens, {n_params / 1e6:.1f} M parameters, eval mode: {not bert.training}")

# %% [markdown]
# ### The vector of one word in one sentence
#
# BERT reads **word pieces**, between a `[CLS]` token and a `[SEP]` token. To get the vector of one word:
# 1. tokenise the sentence, asking for each token's **offsets**: the characters it came from (`[CLS]`, `[SEP]`
#    and padding get `(0, 0)`);
# 2. keep the tokens whose offsets overlap the word's characters (`word_span` finds those characters): the word's pieces;
# 3. run the model and average those pieces' hidden states at the chosen layer. Layer 0 is the input embedding
#    (piece + position + segment embeddings, summed and normalised by a LayerNorm, before any attention); the
#    last layer is the output.

# %%
example = "Unbelievably, the river bank held."
encoded = tokenizer(example, return_tensors="pt", return_offsets_mapping=True, return_special_tokens_mask=True)
offsets = encoded.pop("offset_mapping")[0]              # [tokens, 2]: the characters of each token
special = encoded.pop("special_tokens_mask")[0].bool()  # [tokens]: True for [CLS] and [SEP]
pd.DataFrame({"token": tokenizer.convert_ids_to_tokens(encoded["input_ids"][0]), "offsets": offsets.tolist(),
              "special": special.tolist()}).T

# %% [markdown]
# "unbelievably" is five pieces. Steps 2 and 3, on the page:

# %%
span = contextual.word_span(example, "unbelievably")         # (start, end) characters of the word
pieces = (offsets[:, 0] < span[1]) & (offsets[:, 1] > span[0]) & ~special  # tokens overlapping the word
with torch.no_grad():
    states = bert(**encoded.to(bert.device), output_hidden_states=True).hidden_states  # layer 0, 1, ..., 6
vector = states[-1][0, pieces.to(bert.device)].mean(dim=0)   # mean of the word's pieces at the last layer
print(f"pieces: {pieces.nonzero().flatten().tolist()} | hidden states: {len(states)} of shape "
      f"{tuple(states[-1].shape)} | vector: {tuple(vector.shape)}")
print(f"a word with a character the vocabulary lacks: {tokenizer.tokenize('caf☃ naïve')}")

# %% [markdown]
# A word with a character no piece covers ("caf☃") becomes one `[UNK]`. The uncased tokenizer also lowercases
# and strips accents, so "naïve" becomes "naive". `word_embeddings` runs the same steps
# on a padded batch, in one forward pass (you write the batch version in [Exercise 1](#ex1)):

# %%
matches_helper = torch.allclose(
    vector.cpu(), word_embeddings([example], "unbelievably", tokenizer, bert, device=device)[0], atol=1e-5)
print(f"same vector as word_embeddings: {matches_helper}")

# %% [markdown]
# <a id="s4"></a>
# ## 4. "bank" in 24 sentences: similarity heat maps
#
# We take the vector of "bank" in each of its 24 sentences, at every layer, and compare every pair by cosine
# similarity: one matrix product of the unit-length vectors.

# %%
bank_senses = senses["bank"]
bank_layers = word_embeddings_by_layer(sentences_of["bank"], "bank", tokenizer, bert, device=device)
last = bank_layers.shape[0] - 1
print(f"vectors of 'bank': {tuple(bank_layers.shape)} = (layers 0 to {last}, sentences, hidden size)")


def cosines(vectors: torch.Tensor) -> torch.Tensor:
    """All pairwise cosine similarities of the rows of `vectors` [n, dim]: a matrix [n, n]."""
    unit = vectors / vectors.norm(dim=1, keepdim=True)  # each row scaled to length 1
    return unit @ unit.T


# %% [markdown]
# First, one river sentence and one finance sentence: which of the other 23 "bank" sentences are nearest to each,
# at the last layer? (For Word2Vec, all 23 tie at cosine 1.)

# %%
bank_sims = cosines(bank_layers[last]).fill_diagonal_(-2)  # -2: a sentence is not its own neighbour
probes = [bank_senses.index("river"), bank_senses.index("finance")]
top3 = {probe: bank_sims[probe].topk(3).indices.tolist() for probe in probes}
for probe in probes:
    print(f"[{bank_senses[probe]}] {sentences_of['bank'][probe]}")
    for j in top3[probe]:
        print(f"    {bank_sims[probe, j]:.2f} [{bank_senses[j]}] {sentences_of['bank'][j]}")
same_sense = sum(bank_senses[j] == bank_senses[probe] for probe in probes for j in top3[probe])
claim(f"at layer {last}, the 3 nearest sentences of both are of their own sense", same_sense == 6,
      f"{same_sense} of 6")

# %% [markdown]
# Now all the pairs at once, grouped by sense: if the vectors know the sense, the two same-sense blocks are
# brighter.

# %%
maps = {"Word2Vec: one vector": cosines(torch.from_numpy(w2v_bank)),
        "MiniLM layer 0 (input embeddings)": cosines(bank_layers[0]),
        f"MiniLM layer {last} (output)": cosines(bank_layers[last])}
low = min(sims.min().item() for sims in maps.values())  # one colour scale for all three panels
fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), layout="constrained")
for ax, (title, sims) in zip(axes, maps.items()):
    image = plot_sense_heatmap(ax, sims, bank_senses, title, vmin=low, vmax=1.0, colorbar=False)
for ax in axes[1:]:
    ax.set_ylabel("")  # one axis title per row
fig.colorbar(image, ax=axes, fraction=0.02, pad=0.01, label="cosine similarity")
fig.suptitle("Cosine similarity of the vectors of 'bank' in 24 sentences")
plt.show()
w2v_map, layer0_map, last_map = (sims.min().item() for sims in maps.values())
print(f"Word2Vec (one vector, the same in every sentence): every pair has cosine similarity {w2v_map:.4f}")
claim(f"layer 0 is nearly flat: its least similar pair is closer by more than 0.2 than at layer {last}",
      layer0_map > last_map + 0.2, f"lowest pair {layer0_map:.3f} vs {last_map:.3f}")

# %% [markdown]
# Word2Vec's map is one flat colour. At layer 0 the vectors differ only through the position embedding, so the
# map is nearly flat. At the last layer we see same-sense blocks, and stripes of sentences unlike all others.

# %% [markdown]
# <a id="s5"></a>
# ## 5. Layer by layer: within-sense vs across-sense similarity
#
# For each word and layer, let $C = $ `cosines(v)` be the matrix of section 4 for the word's vectors in its $n$
# sentences, and $s_i$ the sense of sentence $i$:
#
# $$\text{within} = \operatorname*{mean}_{i \ne j,\; s_i = s_j} C_{ij}, \qquad
#   \text{across} = \operatorname*{mean}_{s_i \ne s_j} C_{ij}, \qquad \text{gap} = \text{within} - \text{across}.$$
#
# The diagonal (a sentence with itself) is left out of `within`. A gap of 0 means same-sense pairs are no more
# alike than others. `sense_report_by_layer` computes the gap for every layer; you write it in
# torch in [Exercise 2](#ex2).

# %%
layer_vectors = {word: word_embeddings_by_layer(sentences_of[word], word, tokenizer, bert, device=device)
                 for word in WORDS}
reports = {word: sense_report_by_layer(layer_vectors[word], senses[word]) for word in WORDS}
gaps = pd.DataFrame({word: report["gap"] for word, report in reports.items()})
gaps = gaps.assign(**{"mean": gaps.mean(axis=1)})
word_gaps = gaps[WORDS]
fig, ax = plt.subplots(figsize=(8, 4.5))
plot_gap_by_layer(ax, word_gaps, title="Same-sense minus different-sense cosine similarity, per word and layer")
plt.show()
gap_0, gap_later = word_gaps.loc[0].abs().max(), word_gaps.loc[1:].min().min()
claim("from layer 1 on, every word's gap is positive and larger than any layer-0 gap", gap_later > gap_0,
      f"layer 0 within ±{gap_0:.3f}, later layers from {gap_later:.3f}")

# %% [markdown]
# At layer 0 the word has not yet attended to the sentence, and its gap is close to 0. From layer 1 on,
# same-sense pairs are more alike, for every word.

# %% [markdown]
# <a id="s6"></a>
# ## 6. A held-out sense test
#
# Can we predict the sense of a sentence we have not looked at? Leave each sentence out in turn, average the
# unit-length vectors of each sense over the others (the *sense centroids*), and predict the sense whose
# centroid is most cosine-similar. A right prediction earns 1, a wrong one 0, a tie ½. Here is the loop. Its
# step `centroid_cosines`, one cosine per sense, is yours to write in [Exercise 3](#ex3), so the course's version
# is folded after the exercises:

# %%
show_code(contextual.sense_credits)

# %% [markdown]
# Two Word2Vec baselines take the same test:
# - **the word's own vector**: the same in every sentence, so every prediction is a tie, worth ½;
# - **the mean of the other words' vectors**: the context as a bag of words.
#
# Our Word2Vec learned from section 2's excerpt of about 454,000 tokens (these 120 sentences included, so its
# vectors have seen the contexts it is tested on, which may favour it), MiniLM from vastly more text, so a gap
# between them compares these two trained models, not the architectures alone.

# %% tags=["nbval-ignore-output"]
accuracy = pd.DataFrame({word: report["loo_accuracy"] for word, report in reports.items()}).T
layer_columns = [layer_label(layer) for layer in range(last + 1)]  # "layer 0" to "layer 6"
accuracy.columns = layer_columns
w2v_baselines = {"W2V word": static_word_vectors, "W2V context mean": static_context_vectors}
for word in WORDS:
    for column, vectors_of in w2v_baselines.items():
        accuracy.loc[word, column] = nearest_centroid_loo(vectors_of(sentences_of[word], word, kv), senses[word])
accuracy.loc["mean"] = accuracy.mean()
mean_accuracy = accuracy.loc["mean", layer_columns].to_numpy(dtype=float)  # per layer, over the 5 words
accuracy.round(3)

# %%
transformer = mean_accuracy[1:]
ordered = np.sort(transformer)
context_mean = accuracy.loc["mean", "W2V context mean"]
claim(f"on average, every layer from 1 to {last} beats layer 0 and the Word2Vec context mean",
      transformer.min() > max(mean_accuracy[0], context_mean),
      f"layers 1 on from {transformer.min():.3f}; layer 0 {mean_accuracy[0]:.3f}; context mean {context_mean:.3f}")
best_layer, worst_layer = int(np.argmax(transformer)) + 1, int(np.argmin(transformer)) + 1
print(f"Layers 1 to {last}: best layer {best_layer} ({ordered[-1]:.3f}), worst layer {worst_layer} ({ordered[0]:.3f}), "
      f"{round((ordered[-1] - ordered[0]) * len(polysemy))} of {len(polysemy)} sentences apart")

# %% [markdown]
# What does this test score when the labels mean nothing? `shuffled_loo` gives a word's vectors random sense
# labels (12 and 12, 500 times) and scores them the same way. The middle 95% of these scores is the
# *random-label band*: a score inside it says nothing about sense. The band depends on the vectors, so each word
# gets its own at every layer. The grey area in the figure spans the five words' bands; a dash of a word's colour
# marks the top of its own band.

# %%
random_scores = {word: [shuffled_loo(vectors, 500) for vectors in layer_vectors[word]] for word in WORDS}
bottoms = pd.DataFrame({word: [np.quantile(s, 0.025) for s in random_scores[word]] for word in WORDS}).T
tops = pd.DataFrame({word: [np.quantile(s, 0.975) for s in random_scores[word]] for word in WORDS}).T
bottoms.columns = tops.columns = layer_columns
above_band = accuracy.loc[WORDS, layer_columns].astype(float) - tops  # > 0: above what random labels give
thinnest = above_band[layer_columns[1:]].stack().idxmin()  # (word, layer) with the smallest lead
lead_0 = above_band[layer_columns[0]]
claim("no word's layer-0 score is above its band", (lead_0 <= 0).all(),
      f"closest to the top: {lead_0.max():+.3f} ({lead_0.idxmax()})")
claim("from layer 1 on, every word scores above its own band", (above_band[layer_columns[1:]] > 0).all().all(),
      f"thinnest: {thinnest[0]}, {thinnest[1]}, {accuracy.loc[thinnest] * 24:.1f} of 24 against a band top of "
      f"{tops.loc[thinnest] * 24:.1f}")

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), width_ratios=[3, 2], layout="constrained")
for title, ax, layers in [("Leave-one-out sense accuracy, 24 sentences per word", axes[0], None),
                          (f"Zoom on layers 1 to {last}", axes[1], list(range(1, last + 1)))]:
    plot_accuracy_by_layer(ax, reports, {"Word2Vec, mean of the other words (mean over words)":
                                         accuracy.loc["mean", "W2V context mean"]},
                           chance_label="0.5: all ties (Word2Vec, the word's own vector)", title=title,
                           band=(bottoms.min(), tops.max()), band_label="random-label bands (all five words)",
                           tops={word: tops.loc[word] for word in WORDS}, layers=layers, legend=False)
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=9)
plt.show()

# %% [markdown]
# So layer 0's scores are consistent with chance, and every Transformer layer scores above its band, for every
# word. The layers are too close for 120 sentences to rank (*Going further* A, B).
#
# [Exercise 4](#ex4) asks about a sentence that uses both senses, and [Exercise 5](#ex5) runs this test on a
# new word.

# %% [markdown]
# <a id="s7"></a>
# ## 7. What each approach costs
#
# Word2Vec reads a table; MiniLM runs one batched forward pass per ambiguous word (its 24 sentences). We time both
# on the same 120 vectors (run the cell to get your machine's speeds). The look-up time covers only reading the
# 120 rows; MiniLM's covers tokenizing, the forward passes and averaging each word's pieces. Word2Vec's size is
# what it needs at use time, its table of word vectors: skip-gram training also had an output table of the same
# size, thrown away afterwards.

# %%
groups = [(word, sentences_of[word]) for word in WORDS]
n_vectors = len(polysemy)
threads = torch.get_num_threads()  # Timer would use 1 thread unless told
rows = [kv.key_to_index[word] for word, sentences in groups for _ in sentences]  # one table row per vector
lookup = Timer("kv.vectors[rows]", globals=globals(), num_threads=threads).timeit(1000).mean
forward = Timer("[word_embeddings(s, w, tokenizer, bert, device=device) for w, s in groups]", globals=globals(),
                num_threads=threads).timeit(3).mean
pd.DataFrame({
    "Word2Vec (look-up)": {"parameters (at use)": f"{kv.vectors.size / 1e6:.1f} M",
                           "size (float32)": f"{kv.vectors.nbytes / 1e6:.1f} MB",
                           "vector size": kv.vector_size, "context-aware": "no"},
    "MiniLM (forward pass)": {"parameters (at use)": f"{n_params / 1e6:.1f} M", "size (float32)": f"{n_params * 4 / 1e6:.1f} MB",
                              "vector size": bert.config.hidden_size, "context-aware": "yes"},
}).T

# %% tags=["nbval-ignore-output"]
piece_table = bert.get_input_embeddings().weight  # [word pieces, hidden]: MiniLM's own look-up table
print(f"speeds on this run ({device.type}, two significant figures: timings vary): "
      f"Word2Vec {float(f'{n_vectors / lookup:.2g}'):,.0f} vectors/s, MiniLM {float(f'{n_vectors / forward:.2g}'):,.0f} vectors/s")
ratio = forward / lookup
print(f"the look-up was about {float(f'{ratio:.2g}'):,.0f} times faster")
print(f"MiniLM's word-piece table: {piece_table.shape[0]:,} x {piece_table.shape[1]}, "
      f"{piece_table.numel() / n_params:.0%} of its parameters; Word2Vec's table: {len(kv):,} words")

# %%
claim("the look-up is more than 1,000 times faster than MiniLM's forward passes", ratio > 1000,
      f"{lookup * 1e3:.3f} ms vs {forward * 1e3:.0f} ms per run, {ratio:,.0f} times")

# %% [markdown]
# MiniLM has a look-up table too, its word-piece embeddings, and its pieces also spell unseen words. But every
# MiniLM vector then costs a pass through the Transformer layers: a GPU and batching make it faster, but the work
# still grows with every token.

# %% [markdown]
# ## Summary
#
# - **Word2Vec gives a word one vector.** Every sentence gets the same vector, so a sense test on it scores
#   exactly 0.5 (all ties), and *bank*'s neighbours follow its usual sense in the Wikipedia excerpt, money (section 2).
# - **A BERT-style model gives one vector per occurrence.** The tokenizer's offsets find the word's pieces; the
#   model's hidden states at those pieces give its vector (section 3). The two probe "bank"s then find
#   neighbours of their own sense (section 4).
# - **Layer 0 has no context**: its similarity gap is close to 0, and its sense scores are not above what
#   random labels give. From the first Transformer layer on, same-sense vectors are closer than different-sense
#   ones (section 5), and a nearest-centroid test predicts the sense of held-out sentences above what random labels
#   give, for every word at each of those layers (section 6). 120 sentences cannot rank those layers.
# - **Context words alone carry part of the sense**: the average of the other words' Word2Vec vectors beats
#   random labels for some words, not all (*Going further* A); every Transformer layer beats it on average
#   (section 6). That compares these two trained models: our Word2Vec learned from a small excerpt, MiniLM was
#   pretrained on vastly more text.
# - **Context costs compute**: a forward pass through the model instead of a table look-up (section 7).
#
# **When to use which.**
#
# | | Word2Vec (static) | BERT-style encoder (contextual) |
# |---|---|---|
# | strengths | cheap to train and to use (a look-up per word), easy to inspect; its size is vocabulary × dimension (section 7's 9,027 × 100 table is 3.6 MB; a 3-million-word, 300-d pretrained one is about 3.6 GB); good enough where one vector per word is: word similarity, features for simple classifiers, search over word lists | one vector per occurrence, so it can separate senses (in a sentence that mixes two, an occurrence can be called by the other's sense: Exercise 4); word pieces cover unseen words (a character no piece covers makes the word `[UNK]`: section 3); pretrained on large text, and fine-tuned it is strong on most downstream tasks |
# | weaknesses | one vector for all senses; no vector for an unseen word; needs a lot of text to train well | a forward pass per sentence, a much bigger model (section 7's table); which layer to read must be measured |
# | choose it when | compute is tight, the words are mostly unambiguous, or you need vectors for a vocabulary, not for sentences | meaning depends on context (senses, tagging, classification, question answering) and a forward pass per sentence is affordable |
#
# The table mixes what this notebook measured (senses, the mixed sentence of Exercise 4, the cost) with the field's
# experience, such as "strong downstream when fine-tuned" (notebook 05 uses MiniLM frozen, as features).
#
# **Next: [the exercises](#exercises)**, just below. They need only sections 1 to 7; the seven optional
# *Going further* studies come after them.


# %% [markdown]
# <a id="exercises"></a>
# ## Exercises
#
# Each exercise has an answer cell for your code and, after it, a check cell that prints ✔ or says what is
# wrong. A worked solution is folded after each check: try the exercise first.
# If *Run all* stops at a check you have not answered yet (an unanswered check raises an error), run the *Going further* part from
# its heading: Colab's Runtime ▸ Run after, JupyterLab's Run ▸ Run Selected Cell and All Below.
#
# <a id="ex1"></a>
# ### Exercise 1 — word vectors for a batch, in one forward pass
# Complete `word_vectors(sentences, spans, layer)`: one vector per sentence, the mean of the hidden states at
# `layer` (0 = input embeddings, -1 = last) of the pieces that overlap the word's characters `spans[i]`
# (`start` included, `end` excluded), shape `[len(sentences), hidden size]` (384 for MiniLM). Section 3 did this for one sentence; here
# the starter code pads the batch to one length, and `bert` must run **once** on the whole batch, under
# `torch.no_grad()`. Build the `[batch, tokens]` mask of each row's pieces with broadcasting and average with it
# (padding and `[CLS]`/`[SEP]` have offsets `(0, 0)`, so no span overlaps them).

# %% nbgrader={"grade": false, "grade_id": "ex02-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def word_vectors(sentences: list[str], spans: list[tuple[int, int]], layer: int = -1) -> torch.Tensor:
    """Per sentence, the mean of the word's pieces at `layer`, in one forward pass: [len(sentences), hidden]."""
    encoded = tokenizer(sentences, padding=True, return_tensors="pt", return_offsets_mapping=True)
    offsets = encoded.pop("offset_mapping")  # [batch, tokens, 2]; (0, 0) for [CLS], [SEP] and padding
    ### BEGIN SOLUTION
    with torch.no_grad():
        hidden = bert(**encoded.to(bert.device), output_hidden_states=True).hidden_states[layer].cpu()
    starts, ends = (torch.tensor([span[k] for span in spans])[:, None] for k in (0, 1))  # [batch, 1]
    pieces = ((offsets[..., 0] < ends) & (offsets[..., 1] > starts)).unsqueeze(-1).float()  # [batch, tokens, 1]
    return (hidden * pieces).sum(dim=1) / pieces.sum(dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_02_word_vector(word_vectors, tokenizer, bert)

# %% [markdown]
# <a id="ex2"></a>
# ### Exercise 2 — the within − across gap in torch
# Write `sense_gap(vectors, senses)` with torch operations: `vectors` is a tensor `[n, dim]`, `senses` a list of
# `n` labels. Normalise each vector to length 1, compute all pairwise cosine similarities with one matrix
# product, and return the mean over same-sense pairs (**without** a vector paired with itself) minus the mean
# over different-sense pairs, as a Python `float` (`.item()` turns a one-number tensor into one).

# %% nbgrader={"grade": false, "grade_id": "ex02-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def sense_gap(vectors: torch.Tensor, senses: list[str]) -> float:
    """Mean cosine similarity of same-sense pairs (no self-pairs) minus that of different-sense pairs."""
    ### BEGIN SOLUTION
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    sims = unit @ unit.T
    ids = torch.tensor([sorted(set(senses)).index(sense) for sense in senses])
    same = ids[:, None] == ids[None, :]
    within = sims[same & ~torch.eye(len(ids), dtype=torch.bool)]
    return (within.mean() - sims[~same].mean()).item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_02_sense_gap(sense_gap)

# %% [markdown]
# <a id="ex3"></a>
# ### Exercise 3 — predict the sense of a vector
# Write `predict_sense(vector, vectors, labels)` in torch: `vectors` is a tensor `[n, dim]` of labelled
# vectors, `labels` a list of their `n` sense names, `vector` one new vector `[dim]`. Compute each sense's
# **centroid**, the mean of that sense's vectors after normalising each to length 1 (as in section 6), and return
# the name of the sense whose centroid is most **cosine**-similar to `vector`.

# %% nbgrader={"grade": false, "grade_id": "ex02-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution"]
def predict_sense(vector: torch.Tensor, vectors: torch.Tensor, labels: list[str]) -> str:
    """The label whose centroid of unit-length vectors is most cosine-similar to `vector`."""
    ### BEGIN SOLUTION
    names = list(dict.fromkeys(labels))
    unit = vectors / vectors.norm(dim=1, keepdim=True)
    ids = torch.tensor([names.index(label) for label in labels])
    centroids = torch.stack([unit[ids == k].mean(dim=0) for k in range(len(names))])
    scores = torch.cosine_similarity(centroids, vector[None, :], dim=1)
    return names[int(scores.argmax())]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_02_predict_sense(predict_sense)

# %% [markdown]
# <a id="ex4"></a>
# ### Exercise 4 — one sentence, two senses
# In *"After a walk along the river bank, I went to the bank to withdraw some cash."* the word occurs twice,
# with two senses. `word_embeddings_by_layer` takes the first occurrence unless you pass `occurrence=1`
# (second) or `occurrence=-1` (last). For every layer 0 to last, compute
# - `two_banks`: the cosine similarity between the vectors of the two occurrences;
# - `two_senses`: a pair `(sense of the first, sense of the second)`, each predicted by your `predict_sense`
#   from the 24 labelled vectors of "bank" at that layer (`layer_vectors["bank"]`, `senses["bank"]`);
# - `first_margins`, in torch, a tensor `[last + 1]`: at each layer, the first occurrence's cosine to the river
#   centroid minus its cosine to the finance centroid (centroids of unit-length vectors, as in Exercise 3, from
#   the labelled vectors of the same layer). Positive reads as river;
# - `river_margins`, in torch, a tensor `[last + 1, 12]`: the same margin for each of the 12 river sentences of
#   "bank", with that sentence **left out** of its own river centroid (the mean of the other 11). It shows what
#   margins river sentences get.
#
# At which layer are the two vectors most alike, and where least? Does each occurrence get its own sense, at
# every layer? How does the first *bank*'s margin compare with the river sentences'?

# %% nbgrader={"grade": false, "grade_id": "ex02-4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution", "nbval-ignore-output"]
double = "After a walk along the river bank, I went to the bank to withdraw some cash."
two_banks = None   # a list of last + 1 cosine similarities
two_senses = None  # a list of last + 1 pairs of sense names
first_margins = None  # a tensor [last + 1]
river_margins = None  # a tensor [last + 1, 12]
### BEGIN SOLUTION
first = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=0)[:, 0]
second = word_embeddings_by_layer([double], "bank", tokenizer, bert, device=device, occurrence=1)[:, 0]
two_banks = torch.cosine_similarity(first, second, dim=1).tolist()
two_senses = [(predict_sense(first[layer], layer_vectors["bank"][layer], senses["bank"]),
               predict_sense(second[layer], layer_vectors["bank"][layer], senses["bank"])) for layer in range(last + 1)]
unit = layer_vectors["bank"] / layer_vectors["bank"].norm(dim=-1, keepdim=True)  # [layers, 24, hidden]
is_river = torch.tensor([sense == "river" for sense in senses["bank"]])  # the other 12 are finance
river_centroid, finance_centroid = unit[:, is_river].mean(dim=1), unit[:, ~is_river].mean(dim=1)  # [layers, hidden]
first_margins = (torch.cosine_similarity(first, river_centroid, dim=-1)
                 - torch.cosine_similarity(first, finance_centroid, dim=-1))
rivers = unit[:, is_river]  # [layers, 12, hidden]
others = (rivers.sum(dim=1, keepdim=True) - rivers) / (rivers.shape[1] - 1)  # each one's river centroid without it
river_margins = (torch.cosine_similarity(rivers, others, dim=-1)
                 - torch.cosine_similarity(rivers, finance_centroid[:, None], dim=-1))
display(pd.DataFrame({"cosine of the two": two_banks, "first 'bank' (river)": [a for a, _ in two_senses],
                      "second 'bank' (finance)": [b for _, b in two_senses], "first's margin": first_margins,
                      "river sentences: lowest margin": river_margins.min(dim=1).values,
                      "median": river_margins.median(dim=1).values}).rename_axis("layer").round(3))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex02-4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_02_two_banks(two_banks, two_senses, double, tokenizer, bert, layer_vectors["bank"], senses["bank"],
                             predict_sense)
exercises.check_02_margins(first_margins, river_margins, double, tokenizer, bert, layer_vectors["bank"], senses["bank"])

# %%
exercises.discuss_02_two_banks(double, tokenizer, bert, layer_vectors["bank"], senses["bank"])

# %% [markdown]
# <a id="ex5"></a>
# ### Exercise 5 — a new word: *pupil*
# *Pupil* names a school student and the dark opening in the middle of the eye. `pupil_sentences`, printed below,
# holds twelve sentences with it, six of each sense, in mixed order; two of them mix the senses on purpose (an eye
# examined by a teacher, a student with sharp eyes). Write:
# - `my_senses`: the sense of each sentence, `"student"` or `"eye"`, in the order of `pupil_sentences`;
# - `my_report`: section 5's `sense_report_by_layer(...)` of the vectors of *pupil* in these sentences
#   (`word_embeddings_by_layer`) with your labels;
# - `always_misread(layer_vectors, labels)`: the numbers (from 0) of the sentences that section 6's held-out test
#   gets wrong at **every** layer after layer 0; `layer_vectors` is `[layers, sentences, dim]` as
#   `word_embeddings_by_layer` returns it. `loo_credits(vectors, labels)` gives one layer's credits, one per
#   sentence (1 right, 0 wrong, ½ a tie): a sentence is wrong at a layer when its credit is below 1.
#
# Then run `always_misread` on *pupil* and read the sentences it returns. What in their context belongs to the
# other sense? The check also runs your function on vectors of its own. It prints the mean held-out accuracy of
# *pupil* beside the notebook's words', and the discussion after it tests one answer.
#
# *Your own sentences (not checked):* write six sentences for each of two senses of *match* (a game; the stick
# that lights a fire) and run the same lines on them. Nothing can check this part: the check knows the senses of
# `pupil_sentences` only, and the model reads the context you wrote, not the sense you meant.

# %%
pupil_sentences = exercises.PUPIL_SENTENCES  # twelve sentences with "pupil", six of each sense, in mixed order
for number, sentence in enumerate(pupil_sentences):
    print(f"{number:2}  {sentence}")

# %% nbgrader={"grade": false, "grade_id": "ex02-5-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} jupyter={"source_hidden": true} tags=["solution", "nbval-ignore-output"]
my_senses = None   # one label per sentence of pupil_sentences: "student" or "eye"
my_report = None   # sense_report_by_layer(...) of these sentences, with your labels


def always_misread(layer_vectors: torch.Tensor, labels: list[str]) -> list[int]:
    """The numbers of the sentences whose held-out credit is below 1 at every layer after layer 0."""
    ### BEGIN SOLUTION
    credits = np.stack([loo_credits(vectors, labels) for vectors in layer_vectors[1:]])  # [layers 1 on, sentences]
    return np.flatnonzero((credits < 1).all(axis=0)).tolist()
    ### END SOLUTION


### BEGIN SOLUTION
my_senses = ["student", "eye", "student", "eye", "eye", "student", "eye", "student", "eye", "student", "eye",
             "student"]
pupil_vectors = word_embeddings_by_layer(pupil_sentences, "pupil", tokenizer, bert, device=device)
my_report = sense_report_by_layer(pupil_vectors, my_senses)
display(my_report.round(3))
print("wrong at every layer after layer 0:", always_misread(pupil_vectors, my_senses))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex02-5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_02_pupil(my_senses, my_report, always_misread, tokenizer, bert, ours=mean_accuracy[1:].mean())

# %%
exercises.discuss_02_pupil(tokenizer, bert)


# %% [markdown]
# ### The course's versions, for comparison
# The helpers behind sections 3, 5 and 6, to compare with your answers to Exercises 1 to 3 (`centroid_cosines` is
# the step of section 6's loop). They are folded, because they answer those exercises: open them once you have
# tried.

# %%
show_code(contextual.word_vectors_in_batch, contextual.sense_similarity, contextual.centroid_cosines, folded=True,
          summary="The course's versions of Exercises 1 to 3 (open after trying them)")


# %% [markdown]
# ## Going further
#
# Seven optional studies, for after the [exercises](#exercises); the exercises do not need them.

# %% [markdown]
# <a id="g1"></a>
# ### A. Can the layers be ranked? Scale and noise
#
# *What this adds:* whether the small differences between layers 1 to 6 are more than noise, how far each score
# lies above its random-label band (the Word2Vec context mean's included), and where layer 0's low scores sit
# among random-label scores.
#
# Two things stand between sections 5 and 6 and a ranking of the layers.
#
# **The scale of the cosines.** Section 5 measured each gap in cosine. How widely a word's cosines spread can
# change with depth, so a gap of 0.05 may mean more at one layer than at another. Dividing each gap by the
# spread (standard deviation) of the word's pairwise cosines at that layer (`cosine_spread`) takes out much of
# that scale, not all: the spread is over all pairs, across-sense pairs included, so it contains the gap itself.
# Below: the raw and the scaled gaps of layers 1 to 6, averaged over the words.

# %% tags=["nbval-ignore-output"]
spread = pd.DataFrame({word: [cosine_spread(vectors) for vectors in layer_vectors[word]] for word in WORDS})
scaled_gaps = word_gaps / spread  # each gap in standard deviations of that word's pairwise cosines
scaled = scaled_gaps.mean(axis=1)  # section 5's gaps over the spread of the cosines, mean over the words
raw_best, scaled_best = int(gaps["mean"].loc[1:].idxmax()), int(scaled.loc[1:].idxmax())
pd.DataFrame({"spread of the cosines": spread.mean(axis=1), "raw gap": gaps["mean"],
              "gap / spread": scaled}).loc[1:].rename_axis("layer (mean over the words)").round(3)

# %%
claim(f"the spread of the cosines grows with depth: more than 1.5 times as wide at layer {last} as at layer 1",
      spread.mean(axis=1)[last] > 1.5 * spread.mean(axis=1)[1],
      f"{spread.mean(axis=1)[1]:.3f} at layer 1, {spread.mean(axis=1)[last]:.3f} at layer {last}")
claim("the raw gap and the gap divided by the spread put a different layer first", raw_best != scaled_best,
      f"raw gap: layer {raw_best}; divided by the spread: layer {scaled_best}")
runner_up = scaled.loc[1:].drop(scaled_best).max()
print(f"layer {scaled_best} leads the scaled gaps by {scaled.loc[scaled_best] - runner_up:.3f} standard deviations")
scaled_0, scaled_later = scaled_gaps.loc[0].abs().max(), scaled_gaps.loc[1:].min().min()
claim("divided by the spread too, every layer-0 gap is smaller than every later gap", scaled_0 < scaled_later,
      f"layer 0 up to {scaled_0:.2f}, later layers from {scaled_later:.2f}")

# %% [markdown]
# The cosines spread wider in deeper layers (first check), and dividing by the spread changes which layer comes
# first (second check), by a lead of a small fraction of a spread (printed). So the gap's ranking of the layers
# depends on a choice of scale, and nothing here measures its noise: the gaps do not rank the layers. The held-out
# accuracies below come with a noise estimate (the tie margin).
# Section 5's finding survives the scaling (third check).

# %% [markdown]
# **The luck of the sentences.** Two layers are scored on the *same* 120 sentences. The fair question: how much
# would their difference change with other sentences? Each sentence gives one credit per layer (1 right,
# 0 wrong, ½ for a tie between the two senses). The difference of two accuracies is the mean of the 120 per-sentence differences. Its standard error
# is their standard deviation over √120. We call a difference a *tie* when it is within two such standard
# errors: the *tie margin*. That is about a 95% interval, and rougher still here: it treats the leave-one-out
# outcomes as independent, and they are not (each sentence is in the others' centroids).

# %% tags=["nbval-ignore-output"]
def tie_margin(a: np.ndarray, b: np.ndarray) -> float:
    """Two standard errors of the mean of the paired differences a - b (one pair of outcomes per sentence)."""
    differences = a - b
    return 2 * differences.std(ddof=1) / np.sqrt(len(differences))


credits = np.stack([np.concatenate([loo_credits(layer_vectors[word][layer], senses[word]) for word in WORDS])
                    for layer in range(last + 1)])  # [layers, 120 sentences]: 1, 0 or ½ (a tie)
pairs = pd.DataFrame([{"layers": f"{a} vs {b}", "difference": credits[a].mean() - credits[b].mean(),
                       "sentences they disagree on": int((credits[a] != credits[b]).sum()),
                       "tie margin": tie_margin(credits[a], credits[b])}
                      for a in range(1, last + 1) for b in range(a + 1, last + 1)]).set_index("layers")
pairs = pairs.assign(**{"difference / margin": pairs["difference"].abs() / pairs["tie margin"]})
pairs.round(3)

# %%
claim(f"no two of layers 1 to {last} differ by more than their tie margin: too close to rank on this data",
      (pairs["difference / margin"] <= 1).all(), f"largest {pairs['difference / margin'].max():.2f} of the margin")
context_credits = np.concatenate([loo_credits(static_context_vectors(sentences_of[word], word, kv), senses[word])
                                  for word in WORDS])  # the bag of context words of section 6, per sentence
beats = credits[1:].mean(axis=1) - context_credits.mean()
beat_margins = np.array([tie_margin(layer_credits, context_credits) for layer_credits in credits[1:]])
claim("every Transformer layer beats the Word2Vec context mean by more than their tie margin",
      (beats > beat_margins).all(), f"smallest difference / margin {(beats / beat_margins).min():.2f}")

# %% [markdown]
# Every pair of layers 1 to 6 differs by less than its tie margin (first check): the order of the layers in
# section 6 is within the luck of 120 sentences. The bag of context words is another matter: every layer beats it
# by more than the tie margin (second check). *Going further* B shows how to pick a layer without flattering it.

# %% [markdown]
# **Each word against its own band.** Section 6 compared every score with its own random-label band. Here are the
# margins, each score minus its band's top (> 0: above the band), with a band for the Word2Vec context mean too:

# %%
context_tops = [np.quantile(shuffled_loo(static_context_vectors(sentences_of[word], word, kv), 500), 0.975)
                for word in WORDS]
margins = above_band.assign(**{"W2V context mean": accuracy.loc[WORDS, "W2V context mean"].astype(float)
                               - context_tops})
print(margins.round(3))
print(f"{above_band[layer_columns[1:]].size} band tests for the Transformer layers ({len(WORDS)} words, layers 1 "
      f"to {last}): by chance alone we would expect at most about {0.025 * above_band[layer_columns[1:]].size:.2f} "
      "passes")
context_inside = [word for word in WORDS if margins.loc[word, "W2V context mean"] <= 0]
claim("the Word2Vec context mean lies above its band for some words, within it for others",
      0 < len(context_inside) < len(WORDS), f"within for {', '.join(context_inside)}")

# %% [markdown]
# Each test is one-sided: a score passes when it beats the 97.5th percentile of its random-label scores, so among
# the 30 tests of layers 1 to 6 chance alone would give at most about 0.75 passes (printed; at most, because a
# pass must lie strictly above that percentile). All 30 pass. The bag of context words passes for some words and
# not for others (the check names them).
#
# **Layer-0 scores below 0.5.** No layer-0 score is above its band, but some lie below 0.5. Random labels give
# such scores too: below, each word's layer-0 score next to the mean, the bottom and the top of its random-label
# scores.

# %%
chance_0 = pd.DataFrame({word: random_scores[word][0] for word in WORDS})  # [500, words]: section 6's scores
layer_0 = pd.DataFrame({"layer-0 score": accuracy.loc[WORDS, layer_columns[0]].astype(float),
                        "random-label mean": chance_0.mean(), "band bottom": bottoms[layer_columns[0]],
                        "band top": tops[layer_columns[0]]})
print(layer_0.round(3))
above_bottom = layer_0["layer-0 score"] - layer_0["band bottom"]  # > 0: above the band's bottom
claim("every layer-0 score lies within its random-label band, bottom and top",
      (above_bottom >= 0).all() and (above_band[layer_columns[0]] <= 0).all(),
      f"closest to the bottom: {above_bottom.min():+.3f} ({above_bottom.idxmin()})")

# %% [markdown]
# Scores below 0.5 at layer 0 lie within the spread that random labels give: they are consistent with chance.

# %% [markdown]
# <a id="g2"></a>
# ### B. Choosing a layer honestly: pick on one half, report on the other
#
# *What this adds:* a score for "the best layer" that is not flattered by choosing it on the same sentences.
#
# If a layer is chosen because it scored best on these sentences, its score is optimistic: with six layers
# that tie, the winner is partly luck. So we split each word's sentences into two halves (6 per sense,
# `StratifiedKFold`), pick the layer with the best mean leave-one-out accuracy on one half, and report its
# accuracy on the **other** half; then the same the other way round. Where layers tie for best on a half, the
# lowest of them is picked (the table lists the tied ones).

# %%
def loo_by_layer(word: str, index: np.ndarray) -> list[float]:
    """Leave-one-out sense accuracy of every layer, on the sentences `index` of `word` only."""
    labels = list(np.array(senses[word])[index])
    return [nearest_centroid_loo(vectors[index], labels) for vectors in layer_vectors[word]]


halves = {word: [test for _, test in StratifiedKFold(2, shuffle=True, random_state=0).split(senses[word], senses[word])]
          for word in WORDS}
on_half = [np.mean([loo_by_layer(word, halves[word][h]) for word in WORDS], axis=0) for h in (0, 1)]
choices = pd.DataFrame([{"picked on": f"half {pick + 1}", "layer picked": int(np.argmax(on_half[pick])),  # on a tie: the lowest
                         "layers tied for best": ", ".join(map(str, np.flatnonzero(np.isclose(on_half[pick],
                                                                                               on_half[pick].max())))),
                         "accuracy where picked": on_half[pick].max(),
                         "same layer, other half": on_half[1 - pick][np.argmax(on_half[pick])]}
                        for pick in (0, 1)]).set_index("picked on")

# %%
def half_band_top(pick: int) -> float:
    """The top of the random-label band of the five words' mean score on the other half, at the layer picked."""
    layer = int(np.argmax(on_half[pick]))
    scores = np.mean([shuffled_loo(layer_vectors[word][layer][halves[word][1 - pick]], 500, seed=k)
                      for k, word in enumerate(WORDS)], axis=0)  # 500 random-label means over the five words
    return float(np.quantile(scores, 0.975))


choices = choices.assign(**{"random-label band top": [half_band_top(pick) for pick in (0, 1)]})

# %% tags=["nbval-ignore-output"]
choices.round(3)

# %%
other_half, band_tops = choices["same layer, other half"], choices["random-label band top"]
claim("the layer picked on one half scores above the random-label band on the other half",
      (other_half > band_tops).all(), f"{other_half.round(3).tolist()}, band tops {band_tops.round(3).tolist()}")


# %% [markdown]
# A layer chosen without looking at the sentences it is scored on still predicts their sense above what random
# labels give on those halves of twelve sentences per word (the check). Which layer is best, 120 sentences cannot
# decide, so the pictures of section 4 and *Going further* E simply show the last layer.

# %% [markdown]
# <a id="g3"></a>
# ### C. Does keeping `[CLS]` and `[SEP]` matter? Measured
#
# *What this adds:* what the special tokens change, measured.
#
# A shortcut one sometimes sees tokenises without the special tokens (or strips them before the model), so the
# model sees a sentence without the `[CLS]` at the start and the `[SEP]` at the end that it always had in training. Our
# helpers keep them. What does that change? We compute every vector again with `special_tokens=False` and
# compare (a) the word's vector itself, as the mean cosine similarity between the two versions, and (b) the
# sense test of section 6.

# %%
print(f"with:    {tokenizer.convert_ids_to_tokens(tokenizer(example)['input_ids'])}")
print(f"without: {tokenizer.convert_ids_to_tokens(tokenizer(example, add_special_tokens=False)['input_ids'])}")
bare_vectors = {word: word_embeddings_by_layer(sentences_of[word], word, tokenizer, bert, device=device,
                                               special_tokens=False) for word in WORDS}
same_vector = pd.DataFrame({word: torch.cosine_similarity(layer_vectors[word], bare_vectors[word], dim=2).mean(1)
                            for word in WORDS})
bare_credits = np.stack([np.concatenate([loo_credits(bare_vectors[word][layer], senses[word]) for word in WORDS])
                         for layer in range(last + 1)])  # as in A, without the special tokens
with_without = pd.DataFrame({"cosine, with vs without (mean)": same_vector.mean(axis=1),
                             "lowest cosine (a word's mean)": same_vector.min(axis=1),
                             "sense accuracy with": credits.mean(axis=1),
                             "sense accuracy without": bare_credits.mean(axis=1),
                             "tie margin": [tie_margin(a, b) for a, b in zip(credits, bare_credits)]})
with_without = with_without.rename_axis("layer")

# %% tags=["nbval-ignore-output"]
with_without.round(3)

# %%
accuracy_change = (with_without["sense accuracy with"] - with_without["sense accuracy without"]).abs()
claim("leaving out [CLS]/[SEP] changes the sense accuracy by less than its tie margin (as in A) at every layer",
      (accuracy_change <= with_without["tie margin"]).all(),
      f"at most {(accuracy_change / with_without['tie margin']).max():.2f} of the margin")


# %% [markdown]
# Without the special tokens the vectors move a little (the table's first two columns), even at layer 0, where
# only the positions shift by one, and the accuracy changes by less than the tie margin (the check). So the reason to keep them is
# not a measured gain here but that the model was trained with them. Whether bert-base behaves the same,
# *Going further* F lets you measure.

# %% [markdown]
# <a id="g4"></a>
# ### D. The first piece or the mean of the pieces?
#
# *What this adds:* a second common way to get a split word's vector. The BERT paper tags named entities with
# the **first piece** alone; this notebook averages all pieces. Above layer 0 the first piece has attended to the
# whole sentence, so it is not a vector of "un" alone. How close are the two choices for "unbelievably"?

# %% tags=["nbval-ignore-output"]
first_piece = int(pieces.nonzero()[0, 0])
first_vs_mean = [float(torch.cosine_similarity(h[0, first_piece], h[0, pieces.to(h.device)].mean(0), dim=0))
                 for h in states]
print(f"cosine of the first piece's vector with the mean of the {int(pieces.sum())} pieces of 'unbelievably':")
print(pd.Series(first_vs_mean, name="cosine").rename_axis("layer").round(2).to_string())

# %%
word_pieces = {word: tokenizer.tokenize(word) for word in WORDS}
claim("the two choices differ for 'unbelievably' at every layer (cosine < 0.9)", max(first_vs_mean) < 0.9,
      f"highest cosine {max(first_vs_mean):.3f}")
claim("the five ambiguous words are one piece each, so the choice does not touch sections 4 to 6",
      all(len(p) == 1 for p in word_pieces.values()), " | ".join(" ".join(p) for p in word_pieces.values()))

# %% [markdown]
# At layer 0 the first piece's vector is built from "un"'s own embedding (with its position, then LayerNorm), with
# nothing from the other pieces. For this word the two choices give different vectors at every layer (the check); how far apart they are for other split words, this one example does not say.

# %% [markdown]
# <a id="g5"></a>
# ### E. A picture: one cloud per sense, and the single Word2Vec point
#
# *What this adds:* the senses of *bank* drawn in 2-D, and why Word2Vec cannot be drawn in the same plot.
#
# A tempting picture projects the Word2Vec vector with a PCA fitted on BERT vectors. That cannot be right:
# the two models live in **different spaces** (here 384 vs 100 numbers, with unrelated axes), so a Word2Vec
# vector has no place in a BERT plot. We draw two panels instead, each with its own PCA:
# - left: the MiniLM vectors of "bank" at the last layer, one point per sentence;
# - right: in Word2Vec's space, the context mean of each sentence (one point per sentence) **and** the one
#   vector of "bank" (star), projected with the same PCA. All 24 sentences map to that star.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
plot_sense_pca(axes[0], bank_layers[last], bank_senses, title=f"MiniLM layer {last}: 'bank' in 24 sentences")
w2v_contexts = static_context_vectors(sentences_of["bank"], "bank", kv)
coords = plot_sense_pca(axes[1], w2v_contexts, bank_senses, title="Word2Vec space: context means and the one 'bank'",
                        single=kv["bank"], single_label="Word2Vec 'bank' (every sentence)")
for ax in axes:  # legends beside the panels, where they cover no point
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()
plt.show()

# %% [markdown]
# On the left the two senses form two clouds; how separable they are, section 6's table says (row *bank*). On the
# right, the PCA is fitted on the context means and the star is projected with it: it is the only place
# Word2Vec can put "bank", whatever the sentence. The context means of the two senses lean apart (section 6's
# table, *bank*'s `W2V context mean`), but the word's own vector cannot follow them. Where exactly the star lands in a 2-D
# projection means little; that it is one point for all 24 sentences is the whole story.

# %% [markdown]
# <a id="g6"></a>
# ### F. Switching to `bert-base-uncased` (online)
#
# *What this adds:* the same code on the original BERT.
#
# `load_bert` takes any Hugging Face model name or local folder. When you are online, set `USE_BERT_BASE = True`
# below: it checks that the model loads, and leaves MiniLM in place for the rest of this page. To repeat every
# measurement with the original BERT (about 440 MB to download once), change `load_bert()` in section 3 to
# `load_bert("bert-base-uncased")` and run the whole notebook again, exercises included. What changes:
# - **12 layers and vectors of 768 numbers** (printed below from transformers' default BERT configuration,
#   which is bert-base's): the layer plots get 13 points, and the model is several times bigger (printed
#   below), so expect it to be slower too.
# - **The same tokens**: both use the uncased WordPiece vocabulary of 30,522 pieces, so word pieces and
#   `word_embeddings` work unchanged.
# - **A different training objective**: bert-base was trained to predict masked words (and whether two
#   sentences follow each other), not fine-tuned for sentence similarity, so its layers may behave differently.
#   Two studies describe BERT's layers. Tenney, Das & Pavlick (2019, *BERT Rediscovers the Classical NLP
#   Pipeline*; bert-base and bert-large) find part-of-speech tags resolved in lower layers, semantic roles and
#   coreference in higher ones. Ethayarajh (2019, *How Contextual are Contextualized Word Representations?*;
#   ELMo, GPT-2 and bert-base-cased) finds a word's vectors in different sentences less alike in upper layers:
#   those layers are more context-specific. Neither names a best layer for word senses. Measure it with sections 5 and 6.
# - **The exercises**: Exercise 1's vectors get 768 numbers, and Exercise 5's misread sentences may differ.

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
        base_tokenizer, base_bert = load_bert("bert-base-uncased")
    except OSError as err:  # no network, or no such model
        print(f"Could not load bert-base-uncased ({type(err).__name__}): {err}")
    else:
        bank = [row[2] for row in load_polysemy("bank")[:2]]
        by_layer = word_embeddings_by_layer(bank, "bank", base_tokenizer, base_bert, device=device)
        print(f"Loaded bert-base-uncased: {base_bert.config.num_hidden_layers} layers, hidden size "
              f"{base_bert.config.hidden_size}; 'bank' in 2 sentences gives vectors of shape "
              f"{tuple(by_layer.shape)} (layers + 1, sentences, hidden). To measure it, edit section 3 as above.")

# %% [markdown]
# <a id="g7"></a>
# ### G. Word2Vec's rare words: each other's neighbours
#
# *What this adds:* what one vector learns from few contexts, and a control for the direction all vectors share.
#
# Three of the five words are rare in the Wikipedia part. For each: its count there and in our sentences, and its
# three nearest neighbours (machine-dependent), as trained and after `centred`, which subtracts the mean vector
# from every vector and so removes the one direction all vectors share. Then their cosine similarities, pair by
# pair, beside the mean cosine of random pairs of words.

# %% tags=["nbval-ignore-output"]
rare = [word for word in WORDS if counts.loc["in Wikipedia", word] < 10]
kv_centred = centred(kv)
nearest = {word: [n for n, _ in kv.most_similar(word, topn=3)] for word in rare}
nearest_centred = {word: [n for n, _ in kv_centred.most_similar(word, topn=3)] for word in rare}
display(pd.DataFrame({"in Wikipedia": counts.loc["in Wikipedia", rare],
                      "in our sentences": counts.loc["in our sentences", rare],
                      "3 nearest": map(", ".join, nearest.values()),
                      "3 nearest, centred": map(", ".join, nearest_centred.values())}, index=rare))
rare_pairs = [(a, b) for i, a in enumerate(rare) for b in rare[i + 1:]]
pair_cosines = pd.DataFrame.from_dict(
    {**{f"{a}, {b}": {"as trained": kv.similarity(a, b), "centred": kv_centred.similarity(a, b)} for a, b in rare_pairs},
     "random pairs (mean)": {"as trained": random_pair_cosine(kv), "centred": random_pair_cosine(kv_centred)}},
    orient="index")
pair_cosines.round(2)

# %%
shared = sum(len({a, b} & set(tokenize(s))) == 2 for s in polysemy["sentence"] for a in WORDS for b in WORDS if a < b)
random_row, rare_rows = pair_cosines.loc["random pairs (mean)"], pair_cosines["centred"][:-1]
in_wiki, in_ours = counts.loc["in Wikipedia", rare], counts.loc["in our sentences", rare]
claim(f"{', '.join(rare)}: each rarer in the Wikipedia part than in our sentences",
      all(in_wiki[w] < in_ours[w] for w in rare), ", ".join(f"{w} {in_wiki[w]} vs {in_ours[w]}" for w in rare))
near_rare = sum(bool(set(nearest[w]) & set(rare) and set(nearest_centred[w]) & set(rare)) for w in rare)
claim("each has another of them among its 3 nearest, as trained and centred", near_rare == len(rare),
      f"{near_rare} of {len(rare)}")
claim("no two of the five words share a sentence", shared == 0, f"{shared} sentences with two")
claim("centred, every rare pair stays above 0.6", (rare_rows > 0.6).all(), f"lowest {rare_rows.min():.2f}")
claim("as trained, random pairs are above 0.3: the vectors share a direction", random_row["as trained"] > 0.3,
      f"{random_row['as trained']:.2f} as trained, {random_row['centred']:+.3f} centred")

# %% [markdown]
# Most of what Word2Vec saw of *bat*, *mouse* and *bark* is our own sentences, and each has another of them among
# its nearest neighbours, though no two share a sentence. Centring brings the mean cosine of random pairs from
# well above 0 to about 0 (the table's last row), as expected once the shared direction is removed. The finding
# is that the rare pairs stay close (the checks): their closeness is not that shared direction. It says nothing
# about their senses; a likely reason, not measured here, is that nearly all their contexts are our sentences,
# which share one style and many context words.
