# %% [markdown]
# # 01 · Word embeddings: from one-hot vectors to word2vec
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/01_word_embeddings.ipynb)
#
# **What you will learn**
# - why one-hot vectors are a poor way to feed words to a network (size, and no notion of similarity), and why
#   an embedding lookup is the same as multiplying a one-hot vector by a weight matrix;
# - how the skip-gram task *learns* dense vectors by predicting a word's neighbours, written in PyTorch, and the
#   lowest loss it can reach;
# - why the full softmax does not scale, and the skip-gram with negative sampling (SGNS) and frequent-word
#   subsampling that word2vec really uses, on an offline Wikipedia excerpt, side by side with gensim's `Word2Vec`;
# - how to measure word vectors (WordSim353, SimLex-999, analogies), use them (cosine similarity, nearest
#   neighbours, *king − man + woman*) and draw them on a 2-D map.
#
# Sections 1–5 are the core path, then a summary. *Going further* after it holds optional depth: why gensim's
# default five epochs leave crowded vectors, CBOW (word2vec's other model), and pretrained vectors (online only).
# The exercises come last.
#
# **Run time:** about a minute on a 2-core CPU, offline (training word2vec takes most of it). The course's own
# PyTorch training uses the GPU when there is one (`device="auto"`); gensim runs on the CPU.
#
# Lines that start with ✔ are *claims*: a sentence of the lesson checked against the numbers this run computed
# (a ✘ would mean the numbers on your machine do not support it).

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from IPython.display import Markdown, display
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity

from helpers import embeddings as emb
from helpers import exercises
from helpers.claims import claim
from helpers.data import OfflineError, load_corpus, load_pretrained_vectors
from helpers.device import pick_device, seed_everything
from helpers.plots import plot_word_map, tsne_perplexity
from helpers.show import show_code

seed_everything(0)
plt.rcParams["figure.dpi"] = 80
device = pick_device("auto")

# %% tags=["nbval-ignore-output"]
print("device:", device)

# %% [markdown]
# ## 1. One word, one position: one-hot vectors
#
# The lesson's corpus has five short sentences. A vocabulary gives each distinct word an index; `word_vocab`
# builds the course's `Vocab`, sorting the words by how often they occur (ties alphabetically), so index 0 is the
# most frequent word.

# %%
toy = load_corpus("toy")
vocab = emb.word_vocab(toy)
for sentence in toy:
    print(" ".join(sentence))
print(f"\n{len(vocab)} distinct words:", vocab.tokens)

# %% [markdown]
# A one-hot vector for word *i* is all zeros except a 1 at position *i*. Its length is the vocabulary size, and
# any two different words get orthogonal vectors, so their cosine similarity is exactly 0: to a one-hot
# representation, *love* is as far from *enjoy* as from *networks*. (scikit-learn's `cosine_similarity` gives the
# whole matrix of cosines at once.)

# %%
one_hot = F.one_hot(torch.arange(len(vocab)), num_classes=len(vocab)).float()
cosine = cosine_similarity(one_hot)
print("one-hot matrix shape:", tuple(one_hot.shape))
print("cosine(love, enjoy)    =", cosine[vocab.index("love"), vocab.index("enjoy")])
print("cosine(love, networks) =", cosine[vocab.index("love"), vocab.index("networks")])
print("largest cosine between two different words:", (cosine - np.eye(len(vocab))).max())

# %% [markdown]
# The size problem shows up as soon as the vocabulary is realistic. Nobody stores a table of one-hot vectors (each
# is just an index); the cost is in what a network does with one. A one-hot input is V numbers wide, and a first
# layer of 100 units multiplies it by a [V, 100] weight matrix W: V × 100 multiply-adds per word, almost all of
# them by zero. Looking up row *i* of the same W reads 100 numbers. The weights themselves are the same size
# either way. The rows are this toy corpus, the Wikipedia excerpt used later, the GloVe vocabulary and the Google
# News word2vec vocabulary.

# %%
costs = emb.storage_table([len(vocab), 9_002, 400_000, 3_000_000], dim=100)
costs.round(2)

# %%
work = costs["multiply-adds, one_hot @ W"].iloc[-1] / costs["numbers read, W[i]"].iloc[-1]
display(Markdown(f"On the toy corpus the one-hot vector is the *shorter* one ({len(vocab)} numbers against 100, a "
                 f"ratio of {costs['one-hot / dense'].iloc[0]:.2f}); at Google News' 3 million words it is "
                 f"{costs['one-hot / dense'].iloc[-1]:,.0f} times longer, and `one_hot @ W` does "
                 f"{work:,.0f} times as many multiply-adds as the lookup `W[i]` reads numbers."))

# %% [markdown]
# A dense **embedding** gives each word a short vector of real numbers instead: a row of a `[vocabulary, dim]`
# weight matrix *W* that `nn.Embedding` looks up by index. Looking up row *i* is exactly what multiplying the
# one-hot vector of *i* by *W* computes (every other row is multiplied by 0), so an embedding layer is a
# **bias-free** linear layer on one-hot inputs that skips the multiplications by zero. The cells below show it,
# with an `nn.Linear(bias=False)` holding the same weights:

# %%
table = torch.nn.Embedding(len(vocab), 10)
ids = vocab.encode(["i", "love", "pytorch"])
print("embedding table:", tuple(table.weight.shape), "-> looked-up batch:", tuple(table(ids).shape))

# %%
W = table.weight
print("one_hot(ids) @ W == W[ids]:", torch.equal(F.one_hot(ids, num_classes=len(vocab)).float() @ W, W[ids]))
linear = torch.nn.Linear(len(vocab), 10, bias=False)
with torch.no_grad():
    linear.weight.copy_(W.T)  # nn.Linear stores its weight as [out, in]
print("Linear(bias=False)(one_hot(ids)) == table(ids):",
      torch.allclose(linear(F.one_hot(ids, num_classes=len(vocab)).float()), table(ids)))

# %% [markdown]
# At first the rows are random; training moves them so that words used in similar contexts end up with similar
# vectors.
#
# ## 2. Skip-gram: learn vectors by predicting neighbours
#
# Skip-gram turns running text into a classification task: for each **centre** word, predict each **context** word
# within `window` positions of it in the same sentence. With `window=2`, *love* in "i love deep learning" gives
# the pairs (love, i), (love, deep) and (love, learning). `skipgram_pairs` builds all pairs at once as one integer
# array, so training can shuffle and batch them.

# %%
sentences = emb.encode_corpus(toy, vocab)
pairs = emb.skipgram_pairs(sentences, window=2)
print("pairs:", pairs.shape)
print("first six:", [tuple(vocab.decode(pair)) for pair in pairs[:6]])
print("all pairs whose centre is 'love':", sorted(vocab.decode(pairs[pairs[:, 0] == vocab.index("love"), 1])))

# %% [markdown]
# The lesson's model is `SkipGram`: an embedding table followed by a linear layer that scores **every** vocabulary
# word as the possible context, turned into probabilities by a softmax and trained with cross-entropy. Here is
# the whole model, as `helpers/embeddings.py` defines it:

# %%
show_code(emb.SkipGram)

# %% [markdown]
# `train_skipgram` trains it on shuffled mini-batches of 16 pairs: each optimiser step handles 16 pairs at once
# instead of one, in a single batched forward pass. After each epoch it records the loss on all pairs in a
# `History`.

# %%
show_code(emb.train_skipgram)

# %% tags=["nbval-ignore-output"]
started = time.perf_counter()
toy_vectors, toy_history = emb.train_skipgram(pairs, vocab.tokens, dim=10, epochs=300, batch_size=16, lr=0.02,
                                              device=device, progress=False)
print(f"300 epochs of {len(pairs)} pairs in {time.perf_counter() - started:.1f} s")

# %% [markdown]
# **How low can the loss go?** Not to 0, because one centre word has several different contexts. Here are all the
# contexts of *i* in the pairs above (`window=2`), with how often each occurs:

# %%
contexts_of_i = pd.Series(vocab.decode(pairs[pairs[:, 0] == vocab.index("i"), 1])).value_counts()
display(Markdown(f"*i* has {contexts_of_i.sum()} pairs: "
                 + ", ".join(f"*{w}* {n}" for w, n in contexts_of_i.items())
                 + ". So the best any model can do for the centre *i* is to predict each context with its share ("
                 + ", ".join(sorted({f"{n}/{contexts_of_i.sum()}" for n in contexts_of_i}, reverse=True))
                 + "), which still leaves a cross-entropy above 0 on these pairs."))

# %% [markdown]
# Over all pairs, the lowest reachable mean cross-entropy is the **conditional entropy** of the context given the centre,
# H(context | centre) = −Σ p(centre, context) · log p(context | centre), with the probabilities counted from the
# pairs (`pair_entropy`). It depends only on the data:

# %%
floor = emb.pair_entropy(pairs)
print(f"log of {len(vocab)} words (a uniform guess): {np.log(len(vocab)):.3f} nats")
print(f"H(context | centre) of the toy pairs:   {floor:.3f} nats")

# %% tags=["nbval-ignore-output"]
losses = toy_history["loss"]
print(f"loss on all pairs: after epoch 1 {losses[0]:.3f}, after epoch {len(losses)} {losses[-1]:.3f}")
fig, ax = plt.subplots(figsize=(6.5, 3.2))
ax.plot(range(1, len(losses) + 1), losses, label="loss on all pairs")
ax.axhline(np.log(len(vocab)), color="grey", ls=":", label=f"uniform guess, log {len(vocab)}")
ax.axhline(floor, color="k", ls="--", label="floor: H(context | centre)")
ax.set(xlabel="epoch", ylabel="mean cross-entropy (nats)", title="Full-softmax skip-gram on the toy corpus")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %%
claim(f"after the first epoch the loss is still near a uniform guess (within 0.5 of log {len(vocab)})",
      abs(losses[0] - np.log(len(vocab))) < 0.5, f"{losses[0]:.3f} vs {np.log(len(vocab)):.3f}")
claim("the loss approaches the floor H(context | centre) and never goes below it (ends within 0.15 nats above)",
      floor - 1e-4 <= min(losses) and losses[-1] - floor < 0.15, f"last {losses[-1]:.3f}, floor {floor:.3f}")

# %% [markdown]
# Which words ended up close? On twenty tokens, closeness can only reflect which words share neighbours (*deep*
# and *pytorch*, for instance, both follow *love*), not what they mean. The lists depend on the random start.

# %% tags=["nbval-ignore-output"]
for word in ["love", "deep", "neural"]:
    print(f"{word:>7s} ->", ", ".join(f"{w} ({s:.2f})" for w, s in emb.most_similar(toy_vectors, word, topn=3)))

# %% [markdown]
# **Why the full softmax does not scale.** Every training pair scores the whole vocabulary, so the cost of one
# step grows with the number of words. On the Wikipedia excerpt below (words seen at least 5 times) that is
# thousands of scores per pair; negative sampling needs only the true context plus a few random "negative" words.

# %%
wiki = load_corpus("wiki")
wiki_vocab = emb.word_vocab(wiki, min_count=5)
counts = emb.count_array(wiki_vocab)
all_tokens = sum(len(article) for article in wiki)
print(f"'wiki': {len(wiki)} articles, {all_tokens:,} tokens, {len(wiki_vocab):,} words seen at least 5 times "
      f"({counts.sum():,} of the tokens)")
print(f"scores per pair: full softmax {len(wiki_vocab):,}, negative sampling with 5 negatives {1 + 5}")

# %% [markdown]
# ## 3. Skip-gram with negative sampling (SGNS)
#
# Word2vec replaces "which of all words is the context?" with many yes/no questions. For a real pair
# (centre *c*, context *o*) the model should say *yes*: σ(**c**·**o**) near 1. For *k* words drawn at random, the
# negatives *n₁…n_k*, it should say *no*: σ(−**c**·**n**ᵢ) near 1. The loss is
# −log σ(**c**·**o**) − Σᵢ log σ(−**c**·**n**ᵢ). Each word has two vectors, one as a centre and one as a context;
# we keep the centre vectors at the end. In PyTorch the loss is three lines, and the model only looks up the
# vectors it needs:

# %%
show_code(emb.sgns_loss, emb.SGNS.forward)

# %% [markdown]
# Two more details come from word2vec itself:
# - **Negatives** are drawn from the word counts raised to the power 0.75, which flattens the distribution: frequent
#   words are still drawn most, rare words more often than their raw share.
# - **Subsampling** drops each occurrence of a frequent word with a probability that grows with its frequency
#   (`keep_probabilities`), so *the* and *of* stop dominating the pairs. Like word2vec, it counts a word's share
#   *f* among the tokens of the vocabulary (the words seen at least 5 times), not among all tokens of the corpus.

# %%
keep = emb.keep_probabilities(counts, sample=1e-4)
noise = emb.noise_distribution(counts, power=0.75)
rows = [wiki_vocab.index(w) for w in ["the", "of", "city", "music", "king", "queen"]]
pd.DataFrame({"count": counts[rows], "share f of the vocabulary's tokens": counts[rows] / counts.sum(),
              "chance of being kept": keep[rows], "chance as a negative": noise[rows]},
             index=wiki_vocab.decode(rows)).round(5)

# %% [markdown]
# `train_sgns` puts this together. Each epoch it subsamples the corpus and builds all (centre, context) pairs with
# word2vec's *dynamic window* (each centre draws a window size from 1 to 5, so near neighbours count more):

# %%
show_code(emb.epoch_pairs)

# %% [markdown]
# then shuffles the pairs and trains on batches of them. The two embedding tables are *sparse*: a batch only
# touches the rows of the words in it, and `SparseAdam` updates only those rows. The learning rate falls linearly
# as in word2vec. Here is the whole training loop; it returns gensim `KeyedVectors`, so everything after training
# uses gensim's own tools:

# %%
show_code(emb.train_sgns)

# %% [markdown]
# We train it for two epochs and, for comparison, gensim's `Word2Vec` (skip-gram, same dimension, window,
# negatives and minimum count, gensim's default subsampling `sample=1e-3`) on the same corpus twice: with gensim's
# default five epochs, and with fifteen. The timing line after the scores gives the seconds each took on this run.

# %% tags=["nbval-ignore-output"]
started = time.perf_counter()
sgns, sgns_history = emb.train_sgns(wiki, dim=100, window=5, negative=5, epochs=2, min_count=5, seed=0,
                                    device=device, progress=False)
seconds = {"our SGNS (2 epochs)": time.perf_counter() - started}
print(f"our SGNS: {seconds['our SGNS (2 epochs)']:.1f} s; mean loss per epoch:",
      [round(loss, 2) for loss in sgns_history["loss"]])

# %% tags=["nbval-ignore-output"]
w2v = {}
for epochs in (5, 15):
    started = time.perf_counter()
    w2v[epochs] = emb.train_word2vec(wiki, dim=100, window=5, negative=5, epochs=epochs, min_count=5, seed=0)
    seconds[f"gensim ({epochs} epochs)"] = time.perf_counter() - started
    print(f"gensim Word2Vec, {epochs} epochs: {seconds[f'gensim ({epochs} epochs)']:.1f} s")

# %%
print("pairs per epoch (our SGNS):", [int(n) for n in sgns_history["pairs"]])
print("vocabulary sizes:", len(sgns), len(w2v[5]), "| vector shape:", sgns.vectors.shape)

# %% [markdown]
# ### How good are the vectors?
#
# - **WordSim353** and **SimLex-999** list word pairs with human similarity ratings. We compute the cosine
#   similarity of each pair whose words are both in the vocabulary and report the Spearman rank correlation ρ with
#   the human scores (1 = same ranking). SimLex is stricter: it rates *similarity* (cup–mug), not relatedness
#   (cup–coffee), which co-occurrence models find hard.
# - The **Google analogy set** asks *a* is to *b* as *c* is to ? (Athens : Greece :: Paris : ?). A question counts
#   only if all four words are in the vocabulary; accuracy is over those questions.
# - The **cosine of random pairs** is the mean cosine similarity of 20,000 random pairs of different words. Vectors
#   that use all directions give about 0; a value near 1 means every vector points roughly the same way.
#
# `compare` calls gensim's `evaluate_word_pairs` and `evaluate_word_analogies` for each model.

# %% tags=["nbval-ignore-output"]
models = {"our SGNS (2 epochs)": sgns, "gensim (5 epochs)": w2v[5], "gensim (15 epochs)": w2v[15]}
scores = emb.compare(models)
scores.round(2)

# %% tags=["nbval-ignore-output"]
ours, five, fifteen = (scores[name] for name in models)
ratio = seconds["gensim (15 epochs)"] / seconds["our SGNS (2 epochs)"]
gap = fifteen["WordSim353 ρ"] - ours["WordSim353 ρ"]
display(Markdown("Training time on this run: " + ", ".join(f"{name} **{s:.1f} s**" for name, s in seconds.items())
                 + f"; gensim's fifteen epochs took **{ratio:.1f}×** the time of our two "
                 f"({'less' if ratio < 1 else 'more'} time). On WordSim353, gensim's "
                 f"fifteen epochs score **{abs(gap):.3f} {'above' if gap > 0 else 'below'}** our two "
                 f"({fifteen['WordSim353 ρ']:.3f} against {ours['WordSim353 ρ']:.3f})."))

# %%
claim("our two-epoch SGNS reaches WordSim353 ρ ≥ 0.35", ours["WordSim353 ρ"] >= 0.35,
      f"{ours['WordSim353 ρ']:.3f}")
claim("ours beats gensim's 5 epochs, by more than 0.1 on WordSim353 and more than 0.05 on SimLex-999",
      ours["WordSim353 ρ"] - five["WordSim353 ρ"] > 0.1 and ours["SimLex-999 ρ"] - five["SimLex-999 ρ"] > 0.05,
      f"WordSim353 {ours['WordSim353 ρ']:.3f} vs {five['WordSim353 ρ']:.3f}, "
      f"SimLex-999 {ours['SimLex-999 ρ']:.3f} vs {five['SimLex-999 ρ']:.3f}")
claim("on WordSim353, ours lands close to gensim's 15 epochs (within 0.05)",
      abs(ours["WordSim353 ρ"] - fifteen["WordSim353 ρ"]) < 0.05,
      f"ours {ours['WordSim353 ρ']:.3f}, gensim-15 {fifteen['WordSim353 ρ']:.3f}")
claim("fewer than a third of the analogy questions are answerable with this vocabulary",
      ours["analogies answerable"] < 1 / 3, f"{ours['analogies answerable']:.0%}")
claim("SimLex-999 stays below 0.35 for all three models", max(scores.loc["SimLex-999 ρ"]) < 0.35,
      ", ".join(f"{v:.2f}" for v in scores.loc["SimLex-999 ρ"]))

# %% [markdown]
# Reading the table: on the same 450k-token text, our two-epoch SGNS ranks the WordSim353 pairs far more like
# people do than gensim with its default five epochs. Given fifteen epochs, gensim lands within a few hundredths
# of ours (the line above says on which side, and how long each took; gensim ran on one CPU thread, `workers=1`,
# the default of `train_word2vec`). Our recipe is not gensim's: Adam with per-parameter step sizes instead of plain
# SGD, large batches of pairs, and stronger subsampling (`sample=1e-4` against
# gensim's 1e-3); this notebook does not measure which of these differences matters. On a corpus this small,
# five passes are too few for gensim's recipe; *Going further* looks at what they leave behind (the last row of
# the table: gensim-5's random pairs have a far higher mean cosine). SimLex-999 stays below 0.35 for all three,
# and analogies are where the small corpus shows most: most questions are not even answerable.
#
# ## 4. Using word vectors: similarity, neighbours and analogies
#
# Cosine similarity is the dot product of the two vectors divided by their lengths. The course writes it out once
# here to teach it; everywhere else gensim computes it.

# %% tags=["nbval-ignore-output"]
a, b = sgns["france"], sgns["germany"]
by_hand = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
print(f"cosine(france, germany): by hand {by_hand:.3f}, gensim {emb.similarity(sgns, 'france', 'germany'):.3f}")
print(f"cosine(france, music):   {emb.similarity(sgns, 'france', 'music'):.3f}")

# %%
claim("the cosine by hand equals gensim's", abs(by_hand - emb.similarity(sgns, "france", "germany")) < 1e-5,
      f"{by_hand:.6f}")

# %% [markdown]
# Asking for a word the model never saw gives a `KeyError` that names the word and suggests the vocabulary
# words spelled most like it.

# %%
try:
    emb.most_similar(sgns, "pytorchh")
except KeyError as err:
    print("KeyError:", err.args[0])

# %% [markdown]
# **Nearest neighbours** make the scores concrete. Each word is followed by the number of times it occurs in the
# corpus, so you can see which neighbours are frequent words and which are rare ones: a word seen a handful of
# times gets a vector from a handful of contexts.

# %% tags=["nbval-ignore-output"]
pd.set_option("display.max_colwidth", 90)
word_counts = dict(zip(wiki_vocab.tokens, counts.tolist()))
query_words = ["france", "three", "music", "war", "computer", "king"]
emb.neighbours_table(models, query_words, topn=4, counts=word_counts)

# %% tags=["nbval-ignore-output"]
listed = {name: [w for q in query_words for w, _ in kv.most_similar(q, topn=4)] for name, kv in models.items()}
rare = {name: sum(word_counts[w] < 20 for w in words) for name, words in listed.items()}
per_model = len(listed["our SGNS (2 epochs)"])
display(Markdown(f"Neighbours seen fewer than 20 times, out of the {per_model} listed per model: "
                 + ", ".join(f"{name} **{n}**" for name, n in rare.items()) + "."))

# %%
claim("our SGNS lists more rare neighbours (seen fewer than 20 times) than either gensim model",
      rare["our SGNS (2 epochs)"] > max(rare["gensim (5 epochs)"], rare["gensim (15 epochs)"]),
      ", ".join(f"{name} {n}" for name, n in rare.items()))

# %% [markdown]
# So our SGNS, whose WordSim353 ρ is far above gensim-5's, lists the most rare neighbours, and a rare word's vector
# comes from a handful of contexts: such neighbours rest on little evidence. WordSim353 scores only its own pairs,
# so a good ρ does not make every neighbour list meaningful. This notebook does not measure why our recipe lists
# more rare neighbours. With correlations of about 0.5 at best, none of the three models
# is reliable on 450k tokens.
#
# **Vector arithmetic.** *king − man + woman* should land near *queen* if the corpus gives the vectors a consistent
# "male → female" direction. gensim ranks the vocabulary by cosine to that sum, excluding the three input words;
# `analogy_rank` says where *queen* lands in that ranking.

# %% tags=["nbval-ignore-output"]
answers = {name: emb.analogy(kv, "king", "man", "woman", topn=5) for name, kv in models.items()}
for name, top in answers.items():
    print(f"{name:20s}", ", ".join(f"{w} ({s:.2f})" for w, s in top))
queen_rank = {name: emb.analogy_rank(kv, "king", "man", "woman", "queen") for name, kv in models.items()}
display(Markdown(f"Rank of *queen* for king − man + woman, out of {len(sgns):,} words: "
                 + ", ".join(f"{name} **{rank}**" for name, rank in queen_rank.items())))

# %%
print("occurrences in the corpus:", {w: word_counts[w] for w in ["king", "queen", "man", "woman"]})
five_scores = [score for _, score in answers["gensim (5 epochs)"]]
random_five = emb.random_pair_cosines(w2v[5])
above = float((random_five > max(five_scores)).mean())
claim("gensim-5's best answer scores less than one standard deviation above the mean cosine of its random pairs, "
      "and a fifth or more of its random pairs score higher still",
      max(five_scores) < random_five.mean() + random_five.std() and above >= 0.2,
      f"answers {min(five_scores):.2f}..{max(five_scores):.2f}; random pairs {random_five.mean():.2f} ± "
      f"{random_five.std():.2f} (mean ± std), {above:.0%} of them above {max(five_scores):.2f}")
claim(f"queen ranks in the top 10 of the {len(sgns):,} words for our SGNS and for gensim's 15 epochs",
      max(queen_rank["our SGNS (2 epochs)"], queen_rank["gensim (15 epochs)"]) <= 10,
      f"ours {queen_rank['our SGNS (2 epochs)']}, gensim-15 {queen_rank['gensim (15 epochs)']}")

# %% [markdown]
# Read the ranks with the counts printed above: *queen* is a rare word in this excerpt (about a hundred
# encyclopaedia articles), yet our SGNS and gensim's fifteen epochs put it among the first ten words of the whole
# vocabulary. That is close, but not first. gensim-5's answers have high cosines, but no higher than many random
# pairs of words score (the claim above): its vectors are crowded (the last row of the scores table), and when
# every vector points roughly the same way, every word looks "similar" to every other.
#
# The Google analogy set groups its questions by relation. Two sections, for our SGNS:

# %% tags=["nbval-ignore-output"]
sections = emb.analogy_sections(sgns, ["gram6-nationality-adjective", "family"])
sections.round(3)

# %%
nationality, family = sections["accuracy"]
claim("our SGNS answers nationality-adjective analogies (china : chinese) more often than family ones",
      nationality > family, f"{nationality:.1%} vs {family:.1%}")

# %% [markdown]
# Both are low on 450k tokens, and each accuracy is over only the questions whose four words the vocabulary
# has (the *answerable* column).
#
# ## 5. Maps of the trained vectors
#
# A 2-D map needs a projection from 100 dimensions to 2. **PCA** keeps the two directions along which the vectors
# vary most: it is linear, so distances between groups mean something, but two directions keep only part of the
# variance (the next cell prints how much). **t-SNE** moves points so that each one's nearest neighbours stay near:
# tight groups separate more clearly, but the distances *between* groups and the axes mean nothing. Its
# *perplexity* (roughly, how many neighbours each point considers) must be smaller than the number of points, so
# `tsne_perplexity` lowers it for small sets. Below, 33 words from five groups, coloured by group. The PCA map
# labels only two words per group (its number and month groups lie close together); the t-SNE map labels every
# word. A thin line joins a label that had to move away from its point.

# %%
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

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), dpi=90)
pca_labels = [w for ws in groups.values() for w in ws[:2]]  # two words per group: the colours give the rest
for ax, method in zip(axes, ["pca", "tsne"]):
    plot_word_map(ax, map_words, sgns[map_words], method=method, groups=map_groups, seed=0,
                  labels=pca_labels if method == "pca" else None)
fig.suptitle(f"Our SGNS vectors (2 epochs) for {len(map_words)} words from {len(groups)} groups")
plt.tight_layout()
plt.show()

# %% [markdown]
# On the left (PCA), look at which groups lie apart along the two main directions; on the right (t-SNE), look at
# which words of a group sit together. Neither map is a measurement: the scores of section 3 are.
#
# ## Summary
#
# - One-hot vectors are as long as the vocabulary and say nothing about similarity: every pair of words has cosine 0.
#   Multiplying a one-hot vector by a weight matrix picks one row, which is all an embedding lookup does: an
#   embedding layer is a bias-free linear layer on one-hot inputs, without the multiplications by zero.
# - Dense embeddings are learned rows of a table; skip-gram learns them by predicting each word's neighbours. Its
#   loss cannot go below the conditional entropy of the context given the centre, which the data fixes.
# - The pairs are built once as one array and trained on in shuffled mini-batches: one batched forward pass and
#   one optimiser step per batch.
# - The full softmax scores the whole vocabulary for every pair; negative sampling scores the true context and a
#   few noise words drawn from counts^0.75, and subsampling thins out very frequent words.
# - SGNS is a few lines of PyTorch (the loss, two sparse embedding tables, SparseAdam). On this corpus our two
#   epochs score far above gensim's default five; gensim's fifteen epochs (on one CPU thread, `workers=1`) land
#   within a few hundredths of ours, and section 3's rendered line says on which side and which took longer on
#   this run. More of our SGNS's nearest neighbours are rare words.
# - Evaluate with human similarity ratings (WordSim353, SimLex-999) and analogies, read coverage alongside
#   accuracy, and check the mean cosine of random pairs. A 450k-token corpus groups words by topic but cannot
#   support most analogies.
# - For 2-D maps, pick t-SNE's perplexity for the number of points, and read PCA and t-SNE for different things.
#
# ## Going further
#
# ### A. What five epochs leave behind
#
# The last row of the scores table: gensim's five-epoch vectors have a mean cosine between *random* words far
# above the others, so every word looks similar to every other. Ten more epochs spread them out. This notebook
# measures that crowding; it does not establish its cause. Subtracting the mean vector from every vector removes
# one shared direction. If that direction were the whole problem, this would repair the scores:

# %% tags=["nbval-ignore-output"]
centred = {name: emb.evaluate(emb.centred(kv), analogies=False) for name, kv in models.items()}
pd.DataFrame({name: {"cosine of random pairs": scores[name]["cosine of random pairs"],
                     "cosine of random pairs, after centring": centred[name]["cosine of random pairs"],
                     "WordSim353 ρ": scores[name]["WordSim353 ρ"],
                     "WordSim353 ρ, after centring": centred[name]["WordSim353 ρ"]} for name in models}).round(3)

# %%
five_c = centred["gensim (5 epochs)"]
claim("gensim's 5-epoch vectors crowd into one direction: random pairs have mean cosine > 0.5, twice ours or more",
      five["cosine of random pairs"] > 0.5 and five["cosine of random pairs"] > 2 * ours["cosine of random pairs"],
      f"gensim-5 {five['cosine of random pairs']:.2f}, ours {ours['cosine of random pairs']:.2f}")
claim("ten more epochs spread gensim's vectors: its random-pair cosine falls by more than 0.2 from 5 to 15 epochs",
      five["cosine of random pairs"] - fifteen["cosine of random pairs"] > 0.2,
      f"{five['cosine of random pairs']:.2f} -> {fifteen['cosine of random pairs']:.2f}")
claim("centring brings gensim-5's random-pair cosine near 0 and raises its WordSim353 ρ by more than 0.05",
      abs(five_c["cosine of random pairs"]) < 0.05 and five_c["WordSim353 ρ"] - five["WordSim353 ρ"] > 0.05,
      f"{five_c['cosine of random pairs']:.3f}; ρ {five['WordSim353 ρ']:.3f} -> {five_c['WordSim353 ρ']:.3f}")
claim("but centred gensim-5 stays more than 0.05 below our SGNS and gensim-15 on WordSim353",
      min(ours["WordSim353 ρ"], fifteen["WordSim353 ρ"]) - five_c["WordSim353 ρ"] > 0.05,
      f"{five_c['WordSim353 ρ']:.3f} vs ours {ours['WordSim353 ρ']:.3f}, gensim-15 {fifteen['WordSim353 ρ']:.3f}")

# %% [markdown]
# So the shared direction explains part of the five-epoch gap, not all of it: with it removed, gensim-5's vectors
# still rank word pairs worse than our SGNS (2 epochs) and gensim-15.
#
# ### B. CBOW: word2vec's other model
#
# Skip-gram predicts each context word from the centre word. **CBOW** (continuous bag of words) does the reverse:
# it averages the vectors of the context words and predicts the centre word from that average, one prediction per
# word instead of one per (centre, context) pair. gensim trains it with `sg=0`. Everything else stays the same as
# gensim's five-epoch skip-gram above: same corpus, dimension, window, negatives, minimum count and epochs.

# %% tags=["nbval-ignore-output"]
started = time.perf_counter()
cbow = emb.train_word2vec(wiki, dim=100, window=5, negative=5, epochs=5, min_count=5, sg=0, seed=0)
seconds["gensim CBOW (5 epochs)"] = time.perf_counter() - started
sg_vs_cbow = pd.DataFrame({"skip-gram (sg=1)": scores["gensim (5 epochs)"],  # scored above
                           "CBOW (sg=0)": pd.Series(emb.evaluate(cbow)).round(3)})
sg_s, cbow_s = seconds["gensim (5 epochs)"], seconds["gensim CBOW (5 epochs)"]
display(Markdown(f"Training time on this run, 5 epochs each: skip-gram **{sg_s:.1f} s**, CBOW **{cbow_s:.1f} s** "
                 f"(CBOW {sg_s / cbow_s:.1f}× as fast)."))
sg_vs_cbow.round(2)

# %%
sg, cb = sg_vs_cbow["skip-gram (sg=1)"], sg_vs_cbow["CBOW (sg=0)"]
claim("at 5 epochs each, skip-gram beats CBOW by more than 0.05 on WordSim353",
      sg["WordSim353 ρ"] - cb["WordSim353 ρ"] > 0.05,
      f"WordSim353 {sg['WordSim353 ρ']:.3f} vs {cb['WordSim353 ρ']:.3f}")
claim("CBOW's epochs are cheaper: it trains in less time than skip-gram", cbow_s < sg_s,
      f"{cbow_s:.1f} s vs {sg_s:.1f} s")

# %% [markdown]
# On this small corpus skip-gram gives the better vectors for the same number of passes, and CBOW the cheaper
# passes (one prediction per word rather than one per pair). That matches the advice of the word2vec authors:
# skip-gram for small corpora and rare words, CBOW when the corpus is large and speed matters. Whether CBOW
# catches up at equal *time* is not measured here; try `emb.train_word2vec(wiki, sg=0, epochs=15)`.
#
# ### C. Pretrained vectors (online only)
#
# Pretrained vectors are trained once on huge corpora and shared. `load_pretrained_vectors` fetches them through
# gensim's downloader (the first time only; they are cached) and returns `KeyedVectors`, so every function above
# works on them unchanged. The committed copy of this notebook was run offline, so the cell below shows only the
# message you get without a network, and this page cannot show how GloVe, trained on 6 billion tokens, answers
# *king − man + woman*: run it online to see that answer and GloVe's scores next to ours. `load_corpus("text8")` works the same way
# for a 17-million-token Wikipedia corpus to train your own vectors on.

# %% tags=["online", "nbval-ignore-output"]
try:
    glove = load_pretrained_vectors("glove-wiki-gigaword-50")  # 66 MB, 400k words, trained on 6 billion tokens
except OfflineError as err:  # no network, or the download failed: its first sentence says what was tried
    print(f"Skipped the pretrained vectors ({type(err).__name__}): {str(err).split('. ')[0]}.")
else:
    print("king - man + woman:", emb.analogy(glove, "king", "man", "woman", topn=3))
    print(emb.compare({"GloVe 50d": glove}, analogies=False).round(2))

# %% [markdown]
# ## Exercises
#
# Each exercise has a cell for your answer, a function you write, and a check cell that prints ✔ or says what is
# wrong. A worked solution is folded after each check; open it once you have tried.
#
# ### Exercise 1 — count pairs
# Write `count_pairs(sentences, window)`: how many (centre, context) pairs `skipgram_pairs` would build from
# `sentences` (a list of lists of word ids) with that `window`, without building them: the check refuses
# `skipgram_pairs` while your function runs. (Hint: in a sentence of *n* words, *n − d* positions have a neighbour
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
# Write the step that `train_sgns` repeats for every batch. `sgns_step(model, optimizer, centres, contexts, noise,
# negative)` gets an `emb.SGNS` model, its optimiser (step with that one: it may have settings and a history of its
# own), a batch of pairs as two `[B]` tensors of word ids, and the noise distribution as a tensor of probabilities,
# one per word. Draw `negative` negatives for every pair from
# `noise` (`torch.multinomial`, with replacement) as a `[B, negative]` tensor, compute the model's loss, then clear
# the old gradients, backpropagate and step. Return the loss as a float. The check runs your step on a small model
# and confirms that exactly the right rows move, by exactly one step.

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
# ### Exercise 3 — which male → female pair does the corpus carry best?
# Where *queen* lands for *king − man + woman* depends on very few sentences. Does the male → female relation work
# better for other pairs? Write `best_pair(kv, pairs)`: for each (male, female) pair, the rank of the female word
# for *male − man + woman* (`emb.analogy_rank(kv, male, "man", "woman", female)`), and return the pair with the
# best rank. The check tries it on small vectors of its own and on our SGNS with `family_pairs`.

# %%
family_pairs = [("king", "queen"), ("father", "mother"), ("brother", "sister"), ("son", "daughter"),
                ("husband", "wife"), ("he", "she"), ("his", "her"), ("men", "women"), ("prince", "princess")]

# %% nbgrader={"grade": false, "grade_id": "ex01-3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def best_pair(kv, pairs: list[tuple[str, str]]) -> tuple[str, str]:
    """The (male, female) pair whose female word ranks best for male - man + woman in `kv`."""
    ### BEGIN SOLUTION
    ranks = {pair: emb.analogy_rank(kv, pair[0], "man", "woman", pair[1]) for pair in pairs}
    return min(ranks, key=ranks.get)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_best_pair(best_pair, sgns, family_pairs)

# %% [markdown]
# ### Exercise 4 — the negative-sampling loss with shared negatives, in PyTorch
# `train_sgns` draws K negatives for every pair. A cheaper variant draws one set of K negatives per batch and
# scores every pair of the batch against all of them. Write `shared_negatives_loss(centre, context, negatives)`:
# `centre` and `context` are `[B, D]` tensors (one row per pair), `negatives` is `[K, D]` (K context vectors
# shared by all B pairs). Return the mean over the batch of −log σ(**c**·**o**) − Σₖ log σ(−**c**·**n**ₖ) as a
# one-number tensor that autograd can differentiate (with respect to the negatives too). Compute all B × K dot
# products with one matrix product, and use `torch.nn.functional.logsigmoid`, which stays exact where
# `torch.log(torch.sigmoid(x))` underflows. The check compares your loss and its gradients with `emb.sgns_loss`
# given each pair its own copy of the negatives; your function may not call `emb.sgns_loss` itself.

# %% nbgrader={"grade": false, "grade_id": "ex01-4-answer", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["solution"]
def shared_negatives_loss(centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Mean SGNS loss for centre and context vectors [B, D] and negative vectors [K, D] shared by every pair."""
    ### BEGIN SOLUTION
    positive = (centre * context).sum(dim=1)  # c·o for each pair: [B]
    negative = centre @ negatives.T           # c·n_k for each pair and negative: [B, K]
    return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(dim=1)).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01-4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["check"]
exercises.check_01_sgns_loss(shared_negatives_loss)
