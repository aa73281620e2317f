# %% [markdown]
# # 01 · Word embeddings: from one-hot vectors to word2vec
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/01_word_embeddings.ipynb)
#
# **What you will learn**
# - why an embedding lookup is a one-hot vector times a matrix, without the multiplications by zero;
# - how skip-gram *learns* dense vectors by predicting a word's neighbours, and how low its loss can go;
# - skip-gram with negative sampling (SGNS), as word2vec trains, in PyTorch and with gensim;
# - how to evaluate word vectors, use them (neighbours, *king − man + woman*) and draw them on a 2-D map.
#
# Sections 1–5 are the core. The Summary and the [exercises](#exercises) follow them, and the exercises use only
# the core; *Going further*, after the exercises, is optional.
# It runs offline in about a minute on an idle 2-core CPU, longer on a busy one (this run's training times:
# *Going further* E).
# Lines starting with ✔ are *claims*: sentences checked against this run's numbers (a cross instead of the tick
# would mean that your numbers do not support it).

# %% tags=["nbval-ignore-output"]
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from scipy.stats import spearmanr
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity

from helpers import embeddings as emb
from helpers import exercises
from helpers.claims import claim
from helpers.data import OfflineError, load_corpus, load_pretrained_vectors
from helpers.device import pick_device, seed_everything
from helpers.i18n import listing
from helpers.plots import plot_word_map, skipgram_scheme, tsne_perplexity
from helpers.show import show_code

seed_everything(0)
torch.set_num_threads(1)  # small models: one CPU thread, so the numbers do not depend on the machine's cores
plt.rcParams["figure.dpi"] = 80
device = pick_device("auto")
print("device:", device)

# %% [markdown]
# ## 1. One word, one position: one-hot vectors
#
# A vocabulary gives each distinct word an index (`word_vocab` puts the most frequent word at 0). The one-hot vector
# of word *i* is as long as the vocabulary, zeros with a 1 at position *i*. Any two different words are orthogonal,
# so *love* is as far from *enjoy* as from *networks*.

# %%
toy = load_corpus("toy")
vocab = emb.word_vocab(toy)
print("\n".join(" ".join(sentence) for sentence in toy))
print(f"\n{len(vocab)} distinct words:", vocab.tokens)
one_hot = F.one_hot(torch.arange(len(vocab)), num_classes=len(vocab)).float()
cosine = cosine_similarity(one_hot)
print("one-hot matrix:", tuple(one_hot.shape), "| cosine(love, enjoy) =", cosine[vocab.index("love"),
      vocab.index("enjoy")], "| largest cosine of two different words:", (cosine - np.eye(len(vocab))).max())

# %% [markdown]
# The cost shows at a realistic vocabulary size V. A first layer of 100 units multiplies the one-hot input by a
# [V, 100] matrix W: V × 100 multiply-adds per word, almost all by zero, where looking up row *i* reads 100 numbers.
# The table's rows are four vocabularies: this toy corpus, the Wikipedia excerpt used later, GloVe and Google News.

# %%
emb.storage_table([len(vocab), 9_002, 400_000, 3_000_000], dim=100).round(2)

# %% [markdown]
# A dense **embedding** is a row of a `[vocabulary, dim]` matrix, looked up by index (`nn.Embedding`). One-hot *i*
# times *W* is exactly row *i*: an embedding layer is a bias-free linear layer on one-hot inputs, minus the
# multiplications by zero:

# %%
table = torch.nn.Embedding(len(vocab), 10)
ids = vocab.encode(["i", "love", "pytorch"])
W = table.weight
linear = torch.nn.Linear(len(vocab), 10, bias=False)
with torch.no_grad():
    linear.weight.copy_(W.T)  # nn.Linear stores its weight as [out, in]
print("looked-up batch:", tuple(table(ids).shape))
print("one_hot(ids) @ W == W[ids]:", torch.equal(F.one_hot(ids, num_classes=len(vocab)).float() @ W, W[ids]))
print("Linear(bias=False)(one_hot(ids)) equals table(ids) to float tolerance (allclose):",
      torch.allclose(linear(F.one_hot(ids, num_classes=len(vocab)).float()), table(ids)))

# %% [markdown]
# The rows start random; training gives words used in similar contexts similar vectors.
#
# ## 2. Skip-gram: learn vectors by predicting neighbours
#
# Skip-gram turns a corpus into a prediction task (the figure draws it for one sentence):
#
# 1. Take each word in turn as the **centre**. Each word within `window` positions of it, in the same sentence,
#    gives one (centre, **context**) pair.
# 2. Train the centre word's vector to predict the context: score *every* word with a softmax (left), or, with
#    negative sampling (section 3), the true context and *k* random words, each with a sigmoid (right).

# %%
skipgram_scheme("i enjoy natural language processing".split(), centre=1, window=2, vocabulary=vocab.tokens,
                negatives=["pytorch", "are", "like"])
plt.show()

# %% [markdown]
# `skipgram_pairs` builds all the pairs of the corpus as one integer array, here with `window=2`:

# %%
sentences = emb.encode_corpus(toy, vocab)
pairs = emb.skipgram_pairs(sentences, window=2)
print("pairs:", pairs.shape, "| love's:", [tuple(vocab.decode(pair)) for pair in pairs[pairs[:, 0] == vocab.index("love")]])

# %% [markdown]
# The model is an embedding table and a linear layer that scores **every** word as the context, trained with
# cross-entropy. Each epoch shuffles the pairs and takes one optimiser step per mini-batch:

# %%
show_code(emb.SkipGram, emb.skipgram_epoch)

# %% [markdown]
# The training loop below is yours to edit: it runs 300 epochs with Adam (try another `dim`, `lr` or number of
# epochs).

# %% tags=["nbval-ignore-output"]
torch.manual_seed(0)  # the same starting vectors on every run
model = emb.SkipGram(len(vocab), dim=10)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
pair_ids, shuffle = torch.as_tensor(pairs), torch.Generator().manual_seed(0)
with torch.no_grad():
    untrained = model.loss(pair_ids[:, 0], pair_ids[:, 1]).item()
    top = model(torch.arange(len(vocab))).softmax(-1).max(-1).values.mean().item()  # largest probability per centre
than_uniform = "above" if untrained > np.log(len(vocab)) else "not above"
print(f"before training: loss on all {len(pairs)} pairs {untrained:.3f}, {than_uniform} a uniform guess (log {len(vocab)} = "
      f"{np.log(len(vocab)):.3f}): the random output layer's softmax is not uniform, its largest probability "
      f"averages {top:.3f}, not 1/{len(vocab)} = {1 / len(vocab):.3f}")
losses = []  # the loss on all pairs after each epoch
for epoch in range(1, 301):
    losses.append(emb.skipgram_epoch(model, optimizer, pair_ids, batch_size=16, shuffle=shuffle))
    if epoch % 100 == 0:
        print(f"epoch {epoch}: loss on all {len(pairs)} pairs {losses[-1]:.3f}")
toy_vectors = emb.to_keyed_vectors(vocab.tokens, model.embeddings.weight)

# %% [markdown]
# **How low can the loss go?** Not to 0, because one centre word has several contexts.

# %%
contexts_of_i = pd.Series(vocab.decode(pairs[pairs[:, 0] == vocab.index("i"), 1])).value_counts()
floor = emb.pair_entropy(pairs)
display(Markdown(f"*i* has {contexts_of_i.sum()} pairs: " + listing(f"*{w}* {n}" for w, n in contexts_of_i.items())
                 + ". The best a model can do for *i* is to predict each context with its share (Gibbs' inequality). "
                 "Over all pairs, that best is the **conditional entropy** "
                 "H(context | centre) = −Σ p(centre, context) · log p(context | centre). Counted from the pairs "
                 f"(`pair_entropy`), it is **{floor:.3f}** nats; a uniform guess scores log {len(vocab)} = "
                 f"{np.log(len(vocab)):.3f}. A small model need not reach the bound."))

# %% tags=["nbval-ignore-output"]
curve = [untrained, *losses]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, first_epoch in zip(axes, [0, 30]):  # all epochs; then from epoch 30, close to the bound
    ax.plot(range(first_epoch, len(curve)), curve[first_epoch:], label="loss on all pairs")
    ax.axhline(floor, color="k", ls="--", label="bound: H(context | centre)")
    ax.set(xlabel="epoch", ylabel="mean cross-entropy (nats)")
    ax.grid(alpha=0.3)
axes[0].axhline(np.log(len(vocab)), color="grey", ls=":", label=f"uniform guess, log {len(vocab)}")
axes[0].set(title="Full-softmax skip-gram on the toy corpus", ylim=(floor - 0.2, max(curve) + 0.1))
axes[0].legend(loc="center right")
axes[1].set(title="From epoch 30: close to the bound", ylim=(floor - 0.03, max(curve[30:]) + 0.03))
axes[1].legend(loc="upper right")
axes[1].annotate(f"last epoch: {losses[-1] - floor:.2f} nats above the bound", xy=(len(losses), losses[-1]),
                 xytext=(0.25 * len(losses), floor + 0.01),
                 arrowprops={"arrowstyle": "->"})
plt.show()

# %%
claim("after 300 epochs the loss is close to the bound (within 0.15 nats)", losses[-1] - floor < 0.15,
      f"last loss {losses[-1]:.3f}, bound {floor:.3f}")

# %% [markdown]
# **What training bought.** With one-hot vectors no word has a nearest neighbour (every cosine is 0). The table
# compares both kinds of vector for the four pairs whose contexts overlap most (shared contexts over all contexts
# of the two), and for *love* – *enjoy*:

# %%
members = np.zeros((len(vocab), len(vocab)))
members[pairs[:, 0], pairs[:, 1]] = 1  # row w marks the words seen as w's context
shared = members @ members.T
overlap = shared / (members.sum(1)[:, None] + members.sum(1)[None, :] - shared)  # shared / all contexts of the two
unit = toy_vectors.get_normed_vectors()[[toy_vectors.key_to_index[w] for w in vocab.tokens]]
trained = unit @ unit.T
upper = np.triu_indices(len(vocab), 1)
best = np.argsort(-overlap[upper], kind="stable")[:4]
shown = [(int(upper[0][k]), int(upper[1][k])) for k in best] + [(vocab.index("love"), vocab.index("enjoy"))]
pd.DataFrame([{"words": f"{vocab.tokens[i]} – {vocab.tokens[j]}",
               "contexts in common": ", ".join(vocab.decode(np.flatnonzero(members[i] * members[j]))),
               "one-hot cosine": cosine[i, j], "trained cosine": trained[i, j],
               "first word's nearest, trained": toy_vectors.most_similar(vocab.tokens[i], topn=1)[0][0]}
              for i, j in shown]).set_index("words").round(2)

# %% [markdown]
# *love* and *enjoy* share only *i*, so training does not bring them together: vectors can only reflect the
# contexts the corpus gives. Does the pattern hold over all pairs of words? A rank correlation answers:

# %%
different = ~np.eye(len(vocab), dtype=bool)
follows = spearmanr(trained[different], overlap[different]).statistic
claim("the more contexts two words share, the higher their trained cosine (Spearman ρ above 0.5)", follows > 0.5,
      f"ρ = {follows:.2f}")

# %% [markdown]
# **The full softmax does not scale**: every pair scores the whole vocabulary, where negative sampling scores the
# true context and a few random words. Here are the numbers for the Wikipedia excerpt, keeping the words seen at
# least 5 times:

# %%
wiki = load_corpus("wiki")
wiki_vocab = emb.word_vocab(wiki, min_count=5)
counts = emb.count_array(wiki_vocab)
word_counts = dict(zip(wiki_vocab.tokens, counts.tolist()))
print(f"'wiki': {len(wiki)} articles, {sum(map(len, wiki)):,} tokens, {len(wiki_vocab):,} words seen ≥ 5 times")
print(f"scores per pair: full softmax {len(wiki_vocab):,}, negative sampling with 5 negatives {1 + 5}")

# %% [markdown]
# ## 3. Skip-gram with negative sampling (SGNS)
#
# For a real pair (centre *c*, context *o*) the model should say *yes*: σ(**c**·**o**) near 1. For *k* random
# negatives *n₁…n_k* it should say *no*: σ(−**c**·**n**ᵢ) near 1. The loss is
# −log σ(**c**·**o**) − Σᵢ log σ(−**c**·**n**ᵢ). Each word has a centre and a context vector; the centre vectors
# are the word vectors we keep.

# %%
show_code(emb.sgns_loss, emb.SGNS)

# %% [markdown]
# Two details from word2vec. **Negatives** are drawn from the counts raised to the power 0.75, so rare words come up
# more often than their raw share. **Subsampling** drops occurrences of frequent words: the larger a word's share
# *f* of the tokens, the less often it is kept.

# %%
display(show_code(emb.keep_probabilities))  # word2vec's formula, with s = sample
keep = emb.keep_probabilities(counts, sample=1e-4)
noise = emb.noise_distribution(counts, power=0.75)
rows = [wiki_vocab.index(w) for w in ["the", "of", "city", "king", "queen"]]
pd.DataFrame({"count": counts[rows], "share f": counts[rows] / counts.sum(), "chance of being kept": keep[rows],
              "chance as a negative": noise[rows]}, index=wiki_vocab.decode(rows)).round(5)

# %% [markdown]
# **The training loop** is `sgns_epochs` and its batch loop `sgns_epoch` (`run` holds the settings). Each epoch
# **subsamples** the corpus and builds its **pairs** afresh, with word2vec's *dynamic window* (each centre draws a
# window from 1 to 5). It shuffles the pairs and draws all their **negatives** at once. For each **batch** it lowers
# the learning rate (linearly, as word2vec does), computes the loss and takes one **step**. The gradients are sparse
# (`sparse=True`), so `SparseAdam` updates only the rows a batch touches. `show_code(emb.train_sgns)` shows the
# set-up around the loop.

# %%
show_code(emb.sgns_epochs, emb.sgns_epoch)

# %% [markdown]
# We train ours for two epochs, and gensim's skip-gram `Word2Vec` with the same dimension, window, negatives and
# minimum count (but its own optimiser and subsampling: see below) for five epochs (its default) and fifteen. All
# three give gensim `KeyedVectors`.

# %% tags=["nbval-ignore-output"]
BATCH_SIZE = 8192  # pairs per optimiser step of our SGNS
seconds, started = {}, time.perf_counter()
sgns, sgns_history = emb.train_sgns(wiki, dim=100, window=5, negative=5, epochs=2, min_count=5, seed=0,
                                    batch_size=BATCH_SIZE, device=device, progress=False)
seconds["our SGNS (2 epochs)"] = time.perf_counter() - started
w2v = {}
for name, epochs in [("gensim (5 epochs)", 5), ("gensim (15 epochs)", 15)]:
    started = time.perf_counter()
    w2v[epochs] = emb.train_word2vec(wiki, dim=100, window=5, negative=5, epochs=epochs, min_count=5, seed=0)
    seconds[name] = time.perf_counter() - started

# %% [markdown]
# The plot shows our SGNS's loss, batch by batch:

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(8, 2.8))
ax.plot(sgns_history.batch_losses)
epoch_one = -(-sgns_history["pairs"][0] // BATCH_SIZE)  # batches in epoch 1
ax.axvline(epoch_one, color="grey", ls=":")
start = sgns_history.batch_losses[0]
ax.annotate(f"start {start:.2f}; (1 + 5) · ln 2 = {6 * np.log(2):.2f}:\ncontext rows start at zero, every σ = ½",
            xy=(0, start), xytext=(1.06 * epoch_one, start - 0.1), fontsize=10, va="top",
            arrowprops={"arrowstyle": "->"})
low, high = ax.get_ylim()
ax.text(epoch_one, low + 0.3 * (high - low), " epoch 2", color="grey", fontsize=10)
ax.set(xlabel=f"batch ({BATCH_SIZE:,} pairs)", ylabel="mean SGNS loss per pair (nats)",
       title="Our SGNS on the Wikipedia excerpt, 2 epochs")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# ### How good are the vectors?
#
# - **WordSim353** and **SimLex-999** are word pairs rated by people. The score is the Spearman correlation ρ of
#   the pairs' cosines with the ratings. SimLex rates *similarity* (cup–mug), not relatedness (cup–coffee), which
#   co-occurrence models find hard.
# - The **Google analogy set** asks questions such as "Athens is to Greece as Baghdad is to ?". A model answers
#   with the word nearest Greece − Athens + Baghdad, leaving out the three words of the question.
# - The **cosine of random pairs** is near 1 when all the vectors point one way.
#
# The *known* and *answerable* rows say what share of the pairs and questions a model's vocabulary covers.

# %% tags=["nbval-ignore-output"]
models = {"our SGNS (2 epochs)": sgns, "gensim (5 epochs)": w2v[5], "gensim (15 epochs)": w2v[15]}
scores = emb.compare(models)
ours, five, fifteen = (scores[name] for name in models)
scores.round(2)

# %%
ws_ours, ws_five, ws_fifteen = (scores[name]["WordSim353 ρ"] for name in models)
claim("on WordSim353 ours clearly beats gensim-5 (by more than 0.1)", ws_ours - ws_five > 0.1,
      f"ours {ws_ours:.3f}, gensim-5 {ws_five:.3f}")
claim("on WordSim353 ours is close to gensim-15 (within 0.05)", abs(ws_ours - ws_fifteen) < 0.05,
      f"ours {ws_ours:.3f}, gensim-15 {ws_fifteen:.3f}")

# %% [markdown]
# On this small text five epochs are too few for gensim: its vectors are crowded (high random-pair cosine, last
# row). With fifteen epochs it catches up. Our recipe differs from gensim's in Adam, in large batches and in
# `sample=1e-4`; which of these differences matters is not measured here.
#
# ## 4. Using word vectors: similarity, neighbours and analogies
#
# Cosine similarity is the dot product divided by the two lengths. gensim computes it for us:

# %%
u, v = sgns["france"], sgns["germany"]
print(f"cosine(france, germany): by hand {float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v))):.3f}, "
      f"gensim {emb.similarity(sgns, 'france', 'germany'):.3f}; cosine(france, music) "
      f"{emb.similarity(sgns, 'france', 'music'):.3f}")

# %% [markdown]
# **Nearest neighbours.** The table lists each query word's four nearest words, each with its count in the corpus:

# %% tags=["nbval-ignore-output"]
pd.set_option("display.max_colwidth", 90)
query_words = ["france", "three", "music", "war", "computer", "king"]
emb.neighbours_table(models, query_words, topn=4, counts=word_counts)

# %% [markdown]
# Our lists hold rarer words than gensim's, although our WordSim353 ρ is close to gensim-15's (*Going further* A
# measures this).
#
# **Vector arithmetic.** The answer to "man is to king as woman is to ?" is the word nearest *king − man + woman*:
# *queen*, if the corpus gives the vectors a consistent male → female direction. `analogy_rank` says where *queen*
# lands among all words but the three inputs.

# %% tags=["nbval-ignore-output"]
answers = {name: emb.analogy(kv, "king", "man", "woman", topn=5) for name, kv in models.items()}
for name, top in answers.items():
    print(f"{name}:", ", ".join(f"{w} ({s:.2f})" for w, s in top))
queen_rank = {name: emb.analogy_rank(kv, "king", "man", "woman", "queen") for name, kv in models.items()}
print(f"rank of queen among the {len(sgns) - 3:,} words other than king, man and woman:", queen_rank)
print("occurrences in the corpus:", {w: word_counts[w] for w in ["king", "queen", "man", "woman"]})

# %%
claim(f"queen ranks in the top 10 of the {len(sgns) - 3:,} candidates for our SGNS and for gensim-15",
      max(queen_rank["our SGNS (2 epochs)"], queen_rank["gensim (15 epochs)"]) <= 10,
      f"ours {queen_rank['our SGNS (2 epochs)']}, gensim-15 {queen_rank['gensim (15 epochs)']}")

# %% [markdown]
# *queen* is rarer in this corpus than each of the three input words (the counts above), so these ranks rest on
# few examples. *Going further* C asks the same question of vectors trained on far more text.
#
# ## 5. Maps of the trained vectors
#
# Two ways of drawing 100-d vectors in 2-D answer different questions:
#
# - **PCA** projects the vectors onto the two directions along which they vary most. A projection can shrink
#   distances but never stretch them, so words far apart in 100 dimensions can land close together.
# - **t-SNE** places the points so that each point's nearest neighbours stay near it. Distances *between* groups
#   on its map mean little.
#
# The maps show words from five groups; to keep the PCA map readable, only some of its points carry a label:

# %% tags=["nbval-ignore-output"]
groups = {"country": "france germany italy spain china japan india russia".split(),
          "number": "two three four five six seven eight".split(),
          "month": "january february march april june july august".split(),
          "family": "father mother son daughter brother sister wife".split(),
          "science": "physics chemistry biology mathematics".split()}
map_words = [w for ws in groups.values() for w in ws]
map_groups = [g for g, ws in groups.items() for _ in ws]
emb.check_words(sgns, map_words)
kept = PCA(n_components=2).fit(sgns[map_words]).explained_variance_ratio_.sum()
print(f"{len(map_words)} words; t-SNE perplexity {tsne_perplexity(len(map_words)):.2f}; "
      f"PCA's two directions keep {kept:.0%} of these vectors' variance")
fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), dpi=90)
pca_labels = [w for g, ws in groups.items() for w in (ws if g in ("country", "science") else ws[:2])]
maps = {method: plot_word_map(ax, map_words, sgns[map_words], method=method, groups=map_groups, seed=0,
                              labels=pca_labels if method == "pca" else None)
        for ax, method in zip(axes, ["pca", "tsne"])}
fig.suptitle(f"Our SGNS vectors (2 epochs) for {len(map_words)} words from {len(groups)} groups")
plt.tight_layout()
plt.show()

# %% [markdown]
# How well does a map keep the groups? The *group-neighbour share* counts the words whose nearest neighbour is in
# their own group, on each map and in 100 dimensions. (*Going further* F explains how t-SNE's perplexity is picked.)

# %% tags=["nbval-ignore-output"]
unit_map = sgns.get_normed_vectors()[[sgns.key_to_index[w] for w in map_words]]
own_group = {"PCA map": emb.group_neighbour_share(maps["pca"], map_groups),
             "t-SNE map": emb.group_neighbour_share(maps["tsne"], map_groups),
             "100-d vectors (cosine)": emb.group_neighbour_share(unit_map, map_groups, metric="cosine")}
display(Markdown(f"**Group-neighbour share** (of {len(map_words)} words): " + listing(
    f"{name} **{value:.0%}**" for name, value in own_group.items()) + ". The PCA map keeps "
    + ("fewer than the t-SNE map: two directions of largest variance need not separate the groups."
       if own_group["PCA map"] < own_group["t-SNE map"] else "at least as many as the t-SNE map.")))

# %% [markdown]
# On the PCA map most science words sit among the countries; on the t-SNE map they do not (*Going further* F
# counts them and shows why). A map is only a picture; the scores of section 3 are the measurement.
#
# ## Summary
#
# - One-hot vectors are as long as the vocabulary and give every pair of words cosine 0. An embedding lookup picks
#   the row a one-hot vector times the matrix would: a bias-free linear layer without the multiplications by zero.
# - Skip-gram learns the rows by predicting each word's neighbours, in shuffled mini-batches; the conditional
#   entropy of the context given the centre bounds its loss from below.
# - The full softmax scores the whole vocabulary per pair; negative sampling scores the true context and a few
#   noise words drawn from counts^0.75, and subsampling thins out frequent words. SGNS rebuilds its pairs each
#   epoch, with subsampling and a dynamic window.
# - Evaluate with human ratings (WordSim353, SimLex-999) and analogies, with coverage and the random-pair cosine.
#   Raw neighbour lists can be topped by rare words (ours more than gensim's), so look at the neighbours' counts.
# - PCA and t-SNE maps answer different questions; pick t-SNE's perplexity for the number of points.
#
# Next: [the exercises](#exercises), which need only sections 1–5.

# %% [markdown]
# <a id="exercises"></a>
#
# ## Exercises
#
# Each exercise has a cell for your answer, a function you write, and a check cell that prints ✔ or says what is
# wrong. A worked solution is folded after each check; open it once you have tried.
#
# If *Run all* stops at a check you have not answered yet (Colab stops there), run the *Going further* part from
# its heading: Colab's Runtime ▸ Run after, JupyterLab's Run ▸ Run Selected Cell and All Below.
#
# ### Exercise 1 — count pairs
# Write `count_pairs(sentences, window)`: how many (centre, context) pairs `skipgram_pairs` would build from
# `sentences` (lists of word ids) with that `window`, computed from the sentence lengths alone, without building
# the pairs or walking through the positions. (Hint: in a sentence of *n* words, *n − d* positions have a neighbour
# *d* words to their right.)

# %% nbgrader={"grade": false, "grade_id": "ex01-1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def count_pairs(sentences: list[list[int]], window: int) -> int:
    """The number of (centre, context) pairs within `window` words of each other in the same sentence."""
    ### BEGIN SOLUTION
    return sum(2 * max(len(sentence) - d, 0) for sentence in sentences for d in range(1, window + 1))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_pair_count(count_pairs)

# %% [markdown]
# ### Exercise 2 — one SGNS training step
# Section 3 spread one step over two functions: `sgns_epochs` draws a whole epoch's negatives, `sgns_epoch` steps
# through the batches. Put the step together for one batch, drawing its negatives yourself.
# `sgns_step(model, optimizer, centres, contexts, noise, negative)` gets an `emb.SGNS` model, its optimiser (step
# with that one), a batch of pairs as two `[B]` tensors of word ids, and the noise distribution as a tensor of
# probabilities, one per word. Draw `negative` negatives for every pair from `noise` (`torch.multinomial`, with
# replacement) as a `[B, negative]` tensor, compute the model's loss, then clear the old gradients, backpropagate
# and step. Return the loss as a float.

# %% nbgrader={"grade": false, "grade_id": "ex01-2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def sgns_step(model: emb.SGNS, optimizer: torch.optim.Optimizer, centres: torch.Tensor, contexts: torch.Tensor,
              noise: torch.Tensor, negative: int) -> float:
    """One training step of skip-gram with negative sampling on a batch of (centre, context) pairs."""
    ### BEGIN SOLUTION
    negatives = torch.multinomial(noise, len(centres) * negative, replacement=True).view(len(centres), negative)
    loss = model(centres, contexts, negatives)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_sgns_step(sgns_step)

# %% [markdown]
# ### Exercise 3 — rank an analogy's answer yourself
# Write `analogy_rank(kv, word, minus, plus, target)`: the rank (1 = top) of `target` for *word − minus + plus*
# (*king − man + woman*), as section 4 used it. Add the unit-length vectors of *word* and *plus* and subtract
# *minus*'s. Score every word by its cosine to that sum, leave the three input words out, and count the words that
# score higher. (`kv.get_normed_vectors()` is the
# unit-length table, `kv.key_to_index[word]` a word's row; do not call `emb.analogy_rank` or `kv.most_similar`.)
# The check also runs it on our SGNS for these male → female pairs:

# %%
family_pairs = [("king", "queen"), ("father", "mother"), ("brother", "sister"), ("son", "daughter"),
                ("husband", "wife"), ("he", "she"), ("his", "her"), ("men", "women"), ("prince", "princess")]

# %% nbgrader={"grade": false, "grade_id": "ex01-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def analogy_rank(kv, word: str, minus: str, plus: str, target: str) -> int:
    """Rank (1 = top) of `target` by cosine to unit(word) - unit(minus) + unit(plus), the three left out."""
    ### BEGIN SOLUTION
    table = kv.get_normed_vectors()  # [V, D], one unit-length row per word
    rows = [kv.key_to_index[w] for w in (word, minus, plus)]
    query = table[rows[0]] - table[rows[1]] + table[rows[2]]
    scores = table @ query  # the cosine to the query, times the query's length: the same order
    scores[rows] = -np.inf
    return int((scores > scores[kv.key_to_index[target]]).sum()) + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_analogy_rank(analogy_rank, sgns, family_pairs)

# %% [markdown]
# ### Exercise 4 — shared negatives: the loss, and its gradients by hand
# A cheaper variant of SGNS draws one set of K negatives per batch and scores every pair against all of them.
#
# **(a)** Write `shared_negatives_loss(centre, context, negatives)`: `centre` and `context` are `[B, D]` (one row
# per pair), `negatives` is `[K, D]`. Return the mean over the batch of −log σ(**c**·**o**) − Σₖ log σ(−**c**·**n**ₖ)
# as a one-number tensor that autograd can differentiate, with the B × K scores **c**·**n**ₖ as one batched
# operation (a matrix product is simplest).
# (Use `torch.nn.functional.logsigmoid`: it never forms σ(x), so it stays finite where σ(x) underflows to 0; for
# x = −200 in float32, `torch.log(torch.sigmoid(x))` is −inf and `logsigmoid(x)` is −200. Do not call
# `emb.sgns_loss`.)
#
# **(b)** Autograd computes the gradients of that loss for you; work them out by hand. Write
# `shared_negatives_grads(centre, context, negatives)`, returning `(grad_centre, grad_context, grad_negatives)`,
# the gradients of the loss of (a) with respect to each input, shaped like it, with tensor operations only (no
# `.backward()`, `torch.autograd`, `torch.func` or finite differences). You need two derivatives:
# d/dx (−log σ(x)) = σ(x) − 1 and d/dx (−log σ(−x)) = σ(x). Remember that the loss is a mean over the B pairs, and that each shared negative
# appears in every pair's loss. The check compares your three gradients with autograd's.

# %% nbgrader={"grade": false, "grade_id": "ex01-4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def shared_negatives_loss(centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Mean SGNS loss for centre and context vectors [B, D] and negative vectors [K, D] shared by every pair."""
    ### BEGIN SOLUTION
    positive = (centre * context).sum(dim=1)  # c·o for each pair: [B]
    negative = centre @ negatives.T           # c·n_k for each pair and negative: [B, K]
    return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(dim=1)).mean()
    ### END SOLUTION


def shared_negatives_grads(centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor):
    """The gradients of shared_negatives_loss with respect to centre [B, D], context [B, D] and negatives [K, D]."""
    ### BEGIN SOLUTION
    pairs = len(centre)
    positive = torch.sigmoid((centre * context).sum(dim=1)) - 1  # d loss_b / d(c·o), one per pair: [B]
    negative = torch.sigmoid(centre @ negatives.T)                # d loss_b / d(c·n_k): [B, K]
    grad_centre = (positive[:, None] * context + negative @ negatives) / pairs
    grad_context = positive[:, None] * centre / pairs
    grad_negatives = negative.T @ centre / pairs                  # every pair's term, summed: [K, D]
    return grad_centre, grad_context, grad_negatives
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_sgns_loss(shared_negatives_loss)
exercises.check_01_sgns_grads(shared_negatives_grads)

# %% [markdown]
# ## Going further
#
# These optional studies come after the exercises, which do not need them.
#
# ### A. Crowded vectors and rare neighbours
#
# *What this adds:* two checks that work on any word vectors: the cosine of random pairs, and neighbour lists
# limited to frequent words.
#
# **Crowding.** gensim-5's random pairs have a high mean cosine: its vectors share one common direction.
# Subtracting the mean vector (*centring*) removes that direction. If crowding were the whole problem, centring
# would repair the scores:

# %% tags=["nbval-ignore-output"]
centred = {name: emb.evaluate(emb.centred(kv), analogies=False) for name, kv in models.items()}
pd.DataFrame({name: {"cosine of random pairs": scores[name]["cosine of random pairs"],
                     "cosine of random pairs, after centring": centred[name]["cosine of random pairs"],
                     "WordSim353 ρ": scores[name]["WordSim353 ρ"],
                     "WordSim353 ρ, after centring": centred[name]["WordSim353 ρ"]} for name in models}).round(3)

# %% tags=["nbval-ignore-output"]
first, second = np.random.default_rng(0).integers(len(sgns), size=(2, 20_000))  # the same random pairs for all
fig, axes = plt.subplots(1, 2, figsize=(10, 3), sharex=True, sharey=True)
for ax, (title, prepare) in zip(axes, {"as trained": lambda kv: kv, "after centring": emb.centred}.items()):
    for name, kv in models.items():
        unit = prepare(kv).get_normed_vectors()
        ax.hist((unit[first] * unit[second]).sum(1), bins=60, range=(-1, 1), histtype="step", label=name)
    ax.set(title=title, xlabel="cosine of a random pair of words")
axes[0].set_ylabel("pairs")
axes[1].legend(loc="upper left")
plt.tight_layout()
plt.show()

# %%
crowd = {name: scores[name]["cosine of random pairs"] for name in models}  # ours, gensim-5, gensim-15
rho = {name: scores[name]["WordSim353 ρ"] for name in models}
rho_c = {name: centred[name]["WordSim353 ρ"] for name in models}  # after centring
c_ours, c_five, c_fifteen = crowd.values()
r_five, (rc_ours, rc_five, rc_fifteen) = rho["gensim (5 epochs)"], rho_c.values()
claim("gensim-5's vectors are crowded: their random-pair cosine is more than twice ours", c_five > 2 * c_ours,
      f"gensim-5 {c_five:.2f}, ours {c_ours:.2f}")
claim("gensim-15's random-pair cosine is close to ours (within 0.1)", abs(c_fifteen - c_ours) < 0.1,
      f"gensim-15 {c_fifteen:.2f}, ours {c_ours:.2f}")
claim("centring clearly raises gensim-5's WordSim353 ρ (by more than 0.05)", rc_five - r_five > 0.05,
      f"{r_five:.3f} → {rc_five:.3f}")
claim("centred, gensim-5 still scores clearly below ours and gensim-15 (by more than 0.05)",
      min(rc_ours, rc_fifteen) - rc_five > 0.05, f"centred: gensim-5 {rc_five:.3f}, ours {rc_ours:.3f}, "
      f"gensim-15 {rc_fifteen:.3f}")

# %% [markdown]
# Centring helps gensim-5 but does not close the gap: the common direction is only part of what five epochs leave
# wrong. gensim-15, with ten more epochs, is close to ours in spread and scores close to it.
#
# **Rare neighbours.** Why our raw neighbour lists in section 4 hold more rare words than gensim's is not tested
# here. "A rare word gets few updates, so its vector stays near where chance put it" holds for gensim's models
# too, so it cannot tell the models apart. Two differences of our recipe could, and both are untested hypotheses:
# Adam's step (`SparseAdam`) is normalised, so an update moves a rare word's row about as far as a frequent word's,
# where plain SGD's step is as small as the gradient; and `sample=1e-4` thins out frequent words more than gensim's
# 1e-3, so rare words make up a larger share of our pairs. Below, the median corpus count of each model's listed
# neighbours, and the same queries with the neighbours limited to frequent words:

# %% tags=["nbval-ignore-output"]
raw = {name: {q: [w for w, _ in kv.most_similar(q, topn=4)] for q in query_words} for name, kv in models.items()}
seen = {name: float(np.median([word_counts[w] for ws in lists.values() for w in ws])) for name, lists in raw.items()}
frequent = int((counts >= 50).sum())  # the vocabulary is sorted by count: these are its first words
limited = {name: {q: [w for w, _ in kv.most_similar(q, topn=4, restrict_vocab=frequent)] for q in query_words}
           for name, kv in models.items()}
display(Markdown("Median count of the listed neighbours: " + listing(f"{name} **{n:.0f}**" for name, n in
                 seen.items()) + f". Neighbours limited to the {frequent:,} words seen at least 50 times:"),
        pd.DataFrame({name: {q: ", ".join(ws) for q, ws in lists.items()} for name, lists in limited.items()}))

# %%
ours_name, five_name, fifteen_name = models


def shared_words(lists: dict, first: str, second: str) -> int:
    """How many listed neighbours the models `first` and `second` have in common, over all queries."""
    return sum(len(set(lists[first][q]) & set(lists[second][q])) for q in query_words)


compared = {"ours ↔ gensim-5": (ours_name, five_name), "ours ↔ gensim-15": (ours_name, fifteen_name),
            "gensim-5 ↔ gensim-15": (five_name, fifteen_name)}
agree = pd.DataFrame({label: {"raw lists": shared_words(raw, *pair), "limited to frequent words":
                              shared_words(limited, *pair)} for label, pair in compared.items()})
display(Markdown(f"Neighbours two models have in common, of the {4 * len(query_words)} each lists:"), agree)

# %%
claim("our raw neighbours are the rarest: their median count is the lowest of the three",
      seen[ours_name] < min(v for n, v in seen.items() if n != ours_name),
      listing(f"{name} {v:.0f}" for name, v in seen.items()))
raw_lists, limited_lists = agree.loc["raw lists"], agree.loc["limited to frequent words"]
rise = listing(f"{label} {raw_lists[label]} → {limited_lists[label]}" for label in compared)
claim("limiting the lists to frequent words raises the overlap of every pair of models",
      (limited_lists > raw_lists).all(), rise)
ours15, gensim_pair = agree["ours ↔ gensim-15"].tolist(), agree["gensim-5 ↔ gensim-15"].tolist()
claim("ours and gensim-15 agree about as much as the two gensim models (at most 2 fewer shared neighbours)",
      all(a >= b - 2 for a, b in zip(ours15, gensim_pair)), f"raw, limited: {ours15} vs {gensim_pair}")

# %% [markdown]
# Limiting the lists to frequent words raises the overlap of every pair, the two gensim models' too, so a rise
# alone says nothing about our model; the gensim pair is the baseline. Against it, ours and gensim-15 agree about as
# much as the two gensim models agree with each other, before limiting and after. So the overlap does not show our
# lists to be worse than gensim's; what sets them apart is how rare their words are (median count). Before you
# judge vectors by their neighbours, look at the neighbours' counts and compare the lists limited to frequent
# words too (`restrict_vocab`).

# %% [markdown]
# ### B. CBOW: word2vec's other model
#
# *What this adds:* word2vec's cheaper model, compared at equal epochs.
#
# Skip-gram predicts each context word from the centre word. **CBOW** (continuous bag of words) does the reverse:
# it averages the vectors of the context words and predicts the centre word from that average, one prediction per
# word instead of one per (centre, context) pair. gensim trains it with `sg=0`. Everything else stays the same as
# gensim's five-epoch skip-gram of section 3: same corpus, dimension, window, negatives, minimum count and epochs.

# %% tags=["nbval-ignore-output"]
started = time.perf_counter()
cbow = emb.train_word2vec(wiki, dim=100, window=5, negative=5, epochs=5, min_count=5, sg=0, seed=0)
seconds.update({"gensim CBOW (5 epochs)": time.perf_counter() - started})
sg_vs_cbow = pd.DataFrame({"skip-gram (sg=1)": scores["gensim (5 epochs)"],  # scored above
                           "CBOW (sg=0)": pd.Series(emb.evaluate(cbow)).round(3)})
sg_vs_cbow.round(2)

# %%
sg, cb = sg_vs_cbow["skip-gram (sg=1)"], sg_vs_cbow["CBOW (sg=0)"]
(sg_rho, cb_rho), (sg_crowd, cb_crowd) = ((sg[k], cb[k]) for k in ("WordSim353 ρ", "cosine of random pairs"))
claim("at 5 epochs each, skip-gram clearly beats CBOW on WordSim353 (by more than 0.05)", sg_rho - cb_rho > 0.05,
      f"skip-gram {sg_rho:.3f}, CBOW {cb_rho:.3f}")
claim("CBOW's vectors are more crowded than skip-gram's (higher random-pair cosine)", cb_crowd > sg_crowd,
      f"CBOW {cb_crowd:.2f}, skip-gram {sg_crowd:.2f}")

# %% [markdown]
# CBOW's vectors are even more crowded than skip-gram's five-epoch ones, and in *A* centring raised gensim-5's ρ.
# Could crowding explain the gap? Centre CBOW's vectors as in *A* and score them again:

# %% tags=["nbval-ignore-output"]
cbow_centred = emb.evaluate(emb.centred(cbow), analogies=False)
print(f"CBOW, centred: random-pair cosine {cb['cosine of random pairs']:.2f} -> "
      f"{cbow_centred['cosine of random pairs']:.2f}, WordSim353 ρ {cb['WordSim353 ρ']:.3f} -> "
      f"{cbow_centred['WordSim353 ρ']:.3f}")

# %%
cb_crowd_c, cb_rho_c = cbow_centred["cosine of random pairs"], cbow_centred["WordSim353 ρ"]
claim("centring spreads CBOW's vectors out (random-pair cosine below 0.3)", cb_crowd_c < 0.3,
      f"{cb_crowd:.2f} → {cb_crowd_c:.2f}")
claim("but centring lowers CBOW's WordSim353 ρ (by more than 0.05)", cb_rho - cb_rho_c > 0.05,
      f"{cb_rho:.3f} → {cb_rho_c:.3f}")

# %% [markdown]
# Centring does not rescue CBOW here: its ρ falls while its random pairs spread out, so crowding does not explain
# the gap. In this one setting skip-gram gives the better vectors. Both ran 5 epochs at gensim's default learning rate
# 0.025; word2vec's C tool uses 0.05 for CBOW. CBOW makes one prediction per word, not one per pair, so its epochs
# are cheaper (times in *E*). One setting does not settle the comparison: İrsoy, Benton and Stratos
# ([*Corrected CBOW Performs as well as Skip-gram*](https://aclanthology.org/2021.insights-1.1), 2021) traced
# CBOW's weaker vectors to a bug in the CBOW gradient update of word2vec's C tool and gensim; corrected, their
# CBOW was competitive with skip-gram on their tasks. Tomas Mikolov, word2vec's author, wrote
# on the word2vec-toolkit mailing list (2013) that skip-gram "works well with small amount of the training data,
# represents well even rare words or phrases", and CBOW is "several times faster to train … slightly better
# accuracy for the frequent words" (quoted, with a link to the post, in [this Stack Overflow
# question](https://stackoverflow.com/questions/39224236)). Try `emb.train_word2vec(wiki, sg=0, epochs=15)`.
#
# ### C. Pretrained vectors (online only)
#
# *What this adds:* the same tools on vectors trained on billions of tokens.
#
# Pretrained vectors are trained once on huge corpora and shared. `load_pretrained_vectors` fetches them through
# gensim's downloader (the first time only; they are cached) and returns `KeyedVectors`, so every function above
# works on them unchanged. Without a network connection the cell below prints a one-line notice. Online, it
# downloads GloVe (trained on 6 billion tokens, 66 MB, once) and prints its five nearest words to
# *king − man + woman* and its WordSim353 and SimLex-999 scores. `load_corpus("text8")` works the same way: a
# 17-million-token Wikipedia corpus to train your own vectors on.

# %% tags=["online", "nbval-ignore-output"]
try:
    glove = load_pretrained_vectors("glove-wiki-gigaword-50")  # 66 MB, 400k words, trained on 6 billion tokens
except OfflineError:  # no network, or the download failed
    print("Offline: GloVe is not downloaded here. With a network connection this cell shows its answers and scores.")
else:
    print("king - man + woman:", emb.analogy(glove, "king", "man", "woman", topn=5))
    print(emb.compare({"GloVe 50d": glove}, analogies=False).round(2))

# %% [markdown]
# ### D. Analogies by relation
#
# *What this adds:* a first look at which relations a small corpus supports. The Google analogy set groups its
# questions by relation. Below are two of its sections for our SGNS. Each accuracy is over the questions whose four
# words are in the vocabulary (the *answerable* column):

# %% tags=["nbval-ignore-output"]
sections = emb.analogy_sections(sgns, ["gram6-nationality-adjective", "family"])
sections.round(3)

# %%
answerable, accuracy = sections.columns  # the table's two column names
nationality, family = sections[accuracy]
right = (sections[accuracy] * sections[answerable]).round().astype(int)
claim("our SGNS answers nationality-adjective analogies (china : chinese) more often than family ones",
      nationality > family, f"{nationality:.1%} vs {family:.1%}")
display(Markdown(f"That is **{right.iloc[0]}** of {sections[answerable].iloc[0]} against **{right.iloc[1]}** of "
                 f"{sections[answerable].iloc[1]}: two sections and few hits, a hint rather than a ranking."))

# %% [markdown]
# ### E. Training time
#
# *What this adds:* what the comparison of section 3 cost. On a CPU both sides use one thread: gensim runs with
# `workers=1`, and PyTorch is set to one thread. With a GPU our SGNS trains there, so the times are not like for
# like.

# %% tags=["nbval-ignore-output"]
ratio = seconds["gensim (15 epochs)"] / seconds["our SGNS (2 epochs)"]
display(Markdown(f"Training time on this run ({device}): " + listing(f"{name} **{s:.1f} s**"
                 for name, s in seconds.items()) + f"; gensim's fifteen epochs took **{ratio:.1f}×** the time of "
                 "our two."))

# %% [markdown]
# ### F. Why the PCA map mixes the science words with the countries
#
# *What this adds: the section 5 maps checked against the 100-d vectors, and how t-SNE's perplexity is picked.*
#
# **Perplexity.** t-SNE's *perplexity* is roughly how many neighbours each point keeps near. scikit-learn needs it
# below the number of points *n* and looks at about 3 × perplexity neighbours of each point, so `tsne_perplexity`
# takes max(1, min(30, (n − 1)/3)): for our 33 words, 32/3 ≈ 10.67, as printed above the maps of section 5.
#
# Where do the science words land? The mean cosine of two words by group, in 100 dimensions, and on each map the
# group of each science word's nearest word:

# %% tags=["nbval-ignore-output"]
in_group = {g: np.array(map_groups) == g for g in groups}


def mean_cosine(first: str, second: str) -> float:
    """Mean 100-d cosine of a word of group `first` and a word of group `second` (two different words)."""
    block = unit_map[in_group[first]] @ unit_map[in_group[second]].T
    return float(block[~np.eye(len(block), dtype=bool)].mean() if first == second else block.mean())


group_cosine = pd.DataFrame({a: {b: mean_cosine(a, b) for b in groups} for a in groups})
science_rows = [map_words.index(w) for w in groups["science"]]
nearest_group = {}  # on each map, the group of each science word's nearest other word
for method, points in maps.items():
    nearest = emb.nearest_groups(points, map_groups)
    nearest_group[method] = [nearest[i] for i in science_rows]
display(Markdown("Mean cosine in 100 dimensions of two different words, by group:"), group_cosine.round(2))
print("group of each science word's nearest word on the map:", nearest_group)

# %%
on_pca, on_tsne = nearest_group["pca"].count("country"), nearest_group["tsne"].count("country")
claim("on the PCA map most science words (3 or more of 4) have a country as their nearest word", on_pca >= 3,
      f"{on_pca} of 4")
claim("on the t-SNE map at most one science word has a country as its nearest word", on_tsne <= 1, f"{on_tsne} of 4")
sci_sci, sci_country = group_cosine.loc["science", "science"], group_cosine.loc["science", "country"]
claim("in 100-d, science words are far more alike than science words and countries (mean cosine, by over 0.15)",
      sci_sci - sci_country > 0.15, f"science–science {sci_sci:.2f}, science–country {sci_country:.2f}")

# %% [markdown]
# PCA works on the raw vectors and their straight-line (Euclidean) distances, not on cosines. In those terms too,
# the raw 100-d vectors keep the science words apart from the countries:

# %% tags=["nbval-ignore-output"]
raw_map = sgns[map_words]  # the raw vectors PCA was fitted on
raw_distance = np.linalg.norm(raw_map[:, None] - raw_map[None], axis=-1)
science, country = in_group["science"], in_group["country"]
within = raw_distance[np.ix_(science, science)][~np.eye(science.sum(), dtype=bool)].mean()
across = raw_distance[np.ix_(science, country)].mean()
raw_groups = emb.nearest_groups(raw_map, map_groups)  # each word's nearest word's group, in 100 d
raw_nearest = [raw_groups[i] for i in science_rows]
print(f"mean Euclidean distance in 100 d: science–science {within:.2f}, science–country {across:.2f}")
print("group of each science word's nearest word in 100 d (Euclidean):", raw_nearest)

# %%
claim("in raw 100-d Euclidean distance, every science word's nearest word is a science word",
      raw_nearest.count("science") == len(raw_nearest), f"nearest groups {raw_nearest}")
claim("in raw 100-d distance, science words are further from countries than from each other", across > within,
      f"science–country {across:.2f}, science–science {within:.2f}")
claim("PCA's two directions keep under half of these vectors' variance", kept < 0.5, f"{kept:.0%}")

# %% [markdown]
# So the PCA map puts the science words among the countries although in 100 dimensions the two groups are apart.
# Its two directions keep under half of the variance, and a projection can only shrink distances: what separates
# these two groups lies in the directions it drops. On the t-SNE map, no more than one science word has a country as
# its nearest word (the claim above).
