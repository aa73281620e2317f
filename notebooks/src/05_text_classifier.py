# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 05 · A sentiment classifier with RNN variants, trained and compared honestly
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nlp-basics-course/nlp-basics-pytorch/blob/main/notebooks/05_text_classifier.ipynb)
#
# **What you will learn**
#
# - the pipeline from sentences to a prediction: vocabulary with `<pad>` and `<unk>`, padded batches, an
#   embedding, an RNN / LSTM / GRU read over **packed** sequences so that padding never reaches the final state;
# - why "100 % training accuracy" on twelve sentences tells you nothing, and what a held-out check says instead;
# - a classic bug in comparison loops (every model trained with the *first* model's optimizer) and how to see it;
# - how to compare models fairly on small data: the same stratified folds for everyone, early stopping on a
#   validation slice, mean ± standard deviation over folds;
# - why, with 200 labelled sentences, the frozen features of a **pretrained encoder** (a small BERT) beat recurrent
#   networks trained from scratch, which stay close to chance, and why Word2Vec vectors from a small corpus do not.
#
# **Run time:** about 25 s on a 2-core CPU, offline (the models are tiny; the slowest steps are training
# Word2Vec on a Wikipedia excerpt and encoding 200 sentences with a small BERT). The optional IMDB section at the
# end runs only when the computer is online.
# **On a GPU:** not measured yet (no GPU was available when these outputs were made); every helper uses the GPU when there is one (`device="auto"`), and most scripts in `benchmarks/` take `--device cuda` to time it.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from helpers import classify, plots
from helpers.classify import TextClassifier, Vocab
from helpers.contextual import load_bert, sentence_embeddings
from helpers.data import load_corpus, load_sentiment, tokenize
from helpers.device import pick_device, seed_everything
from helpers.embeddings import train_word2vec

seed_everything(0)
plt.rcParams["figure.dpi"] = 80
started = time.perf_counter()

# %%
# NBVAL_IGNORE_OUTPUT
device = pick_device("auto")  # CUDA, then Apple MPS, then CPU: every helper below takes device=...
print("device:", device)

# %% [markdown]
# ## 1. The pipeline on the lesson's twelve sentences
#
# Six positive and six negative movie remarks. A classifier sees numbers, not words, so we first build a
# **vocabulary**: every word of the training sentences gets an id; id 0 is reserved for `<pad>` (filling short
# sentences up to the length of the longest one in a batch) and id 1 for `<unk>` (any word the vocabulary has never
# seen, so that new sentences can always be encoded).

# %%
toy_texts, toy_labels = load_sentiment("toy")
for text, label in zip(toy_texts, toy_labels):
    print("positive" if label else "negative", "|", text)

# %%
toy_vocab = Vocab.build(toy_texts)
print(toy_vocab)
print("first ten entries:", toy_vocab.itos[:10])
tokens, lengths = toy_vocab.encode_batch(["I love this movie", "This is boring", "I love brilliant films"])
print(tokens)
print("lengths:", lengths.tolist())

# %% [markdown]
# The third row shows both special ids: "brilliant" and "films" are not in the twelve sentences, so they become
# `<unk>` (1), and the two shorter rows are padded with `<pad>` (0).
#
# ### Training on all twelve sentences
#
# `TextClassifier` embeds each id (`nn.Embedding(..., padding_idx=0)` keeps the `<pad>` vector at zero), reads
# the sentence with a recurrent layer and turns the **final hidden state** into one logit (positive if > 0).
# `train_classifier` shuffles the sentences into mini-batches, creates **its own Adam optimizer for the model it
# is given**, and records the mean training loss of every epoch. With no validation data it simply runs all
# epochs.

# %%
seed_everything(0)
toy_data = toy_vocab.encode_dataset(toy_texts, toy_labels)
toy_model = TextClassifier(len(toy_vocab), embed_dim=16, hidden_dim=16, kind="lstm")
toy_history = classify.train_classifier(toy_model, toy_data, epochs=40, lr=0.01, batch_size=4, device=device,
                                        progress=False)
train_loss, train_accuracy = classify.evaluate(toy_model, toy_data, device=device)
print(f"{sum(p.numel() for p in toy_model.parameters())} parameters; training loss "
      f"{toy_history.train_loss[0]:.3f} (epoch 1) -> {train_loss:.3f}; training accuracy {train_accuracy:.3f}")

# %% [markdown]
# ### Padding must not reach the classifier
#
# The lesson classified from the last time step of the padded batch. For a short sentence that is the state after
# reading several `<pad>` tokens, so its prediction depends on how long the *other* sentences in the batch are.
# `TextClassifier` packs the batch with `torch.nn.utils.rnn.pack_padded_sequence`, so the recurrence stops at each
# sentence's true length. The trained model, the same sentence, alone and inside a padded batch:

# %%
toy_model.eval()
alone = toy_vocab.encode_batch(["This is boring"])
batch = toy_vocab.encode_batch(["This is boring", "The acting was great and the plot was engaging"])
with torch.no_grad():
    packed_alone = toy_model(alone[0].to(device), alone[1])[0].item()
    packed_in_batch = toy_model(batch[0].to(device), batch[1])[0].item()
    _, (h_unpacked, _) = toy_model.rnn(toy_model.embedding(batch[0].to(device)))  # the lesson's way: no packing
    unpacked_in_batch = toy_model.head(h_unpacked[-1])[0, 0].item()
print(f"logit of 'This is boring', packed, alone:          {packed_alone:+.4f}")
print(f"logit of 'This is boring', packed, in a batch:     {packed_in_batch:+.4f}")
print(f"logit of 'This is boring', not packed, in a batch: {unpacked_in_batch:+.4f}  "
      f"<- after {batch[0].shape[1] - 3} extra <pad> steps")

# %% [markdown]
# Packed, the logit is the same alone and in a batch; unpacked, the extra `<pad>` steps change it a lot — the
# lesson's predictions depended on the batch. (`tests/test_classify.py` checks this for every kind of RNN, one-
# and bidirectional.)
#
# Back to the perfect training score: it was measured on the sentences the model was trained on. Twelve sentences
# with the 47 words printed above can be memorised by a model with the few thousand parameters printed above; the
# score says nothing about new sentences. Here are the lesson's four test sentences, with the words the vocabulary does not know:

# %%
lesson_tests = ["I really enjoyed this film", "This movie is terrible and boring", "The acting was quite good",
                "I fell asleep during the movie"]
for sentence in lesson_tests:
    prob, label = classify.predict_sentiment(toy_model, toy_vocab, sentence, device=device)
    print(f"{sentence!r:38} P(positive) = {prob:.3f} -> {label:8}  unknown: {toy_vocab.unknown_words(sentence)}")

# %% [markdown]
# Read the unknown words: "good" is not in the training sentences, so for "The acting was quite good" the model
# sees `the acting was <unk> <unk>` — and "the acting was" opens one positive and one negative training sentence.
# In "I fell asleep during the movie" it knows only "i", "the" and "movie", which also occur on both sides, yet
# it answers with high confidence. Whatever it answers for such sentences is luck, not understanding, and four
# hand-picked sentences are not a measurement either.
# The honest check is **held-out data**: split the twelve sentences into three stratified folds, train on eight
# (two of them kept aside for early stopping), test on the four the model never saw, and repeat for every fold.

# %%
toy_folds = classify.stratified_folds(toy_labels, n_splits=3, seed=0)
toy_cv = classify.cross_validate_rnn(lambda vocab: TextClassifier(len(vocab), 16, 16, kind="lstm"), toy_texts,
                                     toy_labels, toy_folds, name="LSTM on 12 sentences", val_fraction=0.25,
                                     epochs=40, lr=0.01, batch_size=4, device=device, progress=False)
print(toy_cv, "| accuracy per fold of 4 test sentences:", toy_cv.scores)

# %% [markdown]
# On sentences it has not seen, the same model is no better than a coin, and each fold has only four test
# sentences, so one sentence moves the fold's score by 0.25. Twelve examples can show that the code runs; they
# cannot show that a model works. We need more data — and an honest protocol — before comparing anything.
#
# ## 2. The lesson's comparison that compared nothing
#
# The lesson then "compares" RNN, LSTM and GRU in a loop: it creates a new model and a new optimizer for each,
# but its `train` function steps the global `optimizer`, which belongs to the **first** LSTM. For every compared
# model, `backward()` fills its gradients, but `optimizer.zero_grad()` and `optimizer.step()` act on somebody
# else's parameters. Nothing is ever updated, so the three loss curves stay flat near log 2 ≈ 0.693. Here is that
# mistake in miniature:

# %%
seed_everything(0)
first = TextClassifier(len(toy_vocab), 16, 16, kind="lstm")
optimizer = torch.optim.Adam(first.parameters(), lr=0.01)  # the global optimizer of the lesson
compared = TextClassifier(len(toy_vocab), 16, 16, kind="gru")
before = [p.detach().clone() for p in compared.parameters()]
loss_fn = torch.nn.BCEWithLogitsLoss()
buggy_losses = []
for epoch in range(40):  # full batch, as in the lesson
    optimizer.zero_grad()
    loss = loss_fn(compared(toy_data.tokens, toy_data.lengths), toy_data.labels)
    loss.backward()
    optimizer.step()  # steps `first`, not `compared`
    buggy_losses.append(loss.item())
unchanged = all(torch.equal(b, p) for b, p in zip(before, compared.parameters()))
print(f"loss: epoch 1 {buggy_losses[0]:.4f}, epoch 40 {buggy_losses[-1]:.4f}; GRU parameters unchanged: {unchanged}")

# %% [markdown]
# The fix is structural: the optimizer is created **inside** `train_classifier` from the model it trains
# (`classify.make_optimizer(model, lr)`), so no model can borrow another's. Each of the three now learns its
# training set — the loss curves really fall:

# %%
toy_histories = {}
for kind in ["rnn", "lstm", "gru"]:
    seed_everything(0)
    model = TextClassifier(len(toy_vocab), 16, 16, kind=kind)
    start = [p.detach().clone() for p in model.parameters()]
    toy_histories[kind.upper()] = classify.train_classifier(model, toy_data, epochs=40, lr=0.01, batch_size=4,
                                                            device=device, progress=False)
    moved = all(not torch.equal(s, p.cpu()) for s, p in zip(start, model.parameters()))
    print(f"{kind.upper():4} loss {toy_histories[kind.upper()].train_loss[0]:.3f} -> "
          f"{toy_histories[kind.upper()].train_loss[-1]:.3f}; every parameter tensor changed: {moved}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, len(buggy_losses) + 1), buggy_losses, color="k", ls=":", label="GRU, borrowed optimizer (lesson)")
plots.plot_loss_curves(ax, toy_histories, title="Training loss on the 12 toy sentences")
plt.show()

# %% [markdown]
# Falling *training* loss is the minimum requirement, not evidence of a good model: section 1 showed these
# models memorise. For a real comparison we need a bigger data set and held-out evaluation.
#
# ## 3. A fair comparison on 200 real movie-review sentences
#
# gensim ships a 200-sentence sample of the Pang & Lee sentence-polarity data (100 positive, 100 negative). The
# file is Windows-1252, not UTF-8; `load_sentiment("pang-lee")` decodes it correctly.

# %%
texts, labels = load_sentiment("pang-lee")
labels = np.array(labels)
n_words = np.array([len(tokenize(t)) for t in texts])
print(f"{len(texts)} sentences, {labels.sum()} positive; words per sentence: median {np.median(n_words):.0f}, "
      f"max {n_words.max()}")
for i in [0, 1, 120, 150]:
    print("positive" if labels[i] else "negative", "|", texts[i])

# %% [markdown]
# **The protocol**, identical for every model:
#
# 1. Five **stratified** folds (`StratifiedKFold`, shuffled, seed 0): each test fold holds 20 positive and 20
#    negative sentences, and each sentence is tested exactly once.
# 2. Inside each training part (160 sentences): the vocabulary is built from training sentences only; 20 % of them
#    (stratified) are held out as a **validation** set; training stops when the validation loss has not improved for
#    5 epochs, and the weights of the best epoch are restored.
# 3. Accuracy on the untouched test fold; we report the mean ± standard deviation over the five folds.
#
# Baselines from scikit-learn are scored on exactly the same folds.

# %%
folds = classify.stratified_folds(labels, n_splits=5, seed=0)
for k, (train_index, test_index) in enumerate(folds):
    print(f"fold {k}: train {len(train_index)} ({labels[train_index].sum()} positive), "
          f"test {len(test_index)} ({labels[test_index].sum()} positive)")

# %% [markdown]
# ### Recurrent networks trained from scratch
#
# Four small models (50-dimensional embeddings, 32 hidden units, dropout 0.3 before the output layer): a plain RNN,
# an LSTM, a GRU, and a bidirectional LSTM, whose final state joins the forward direction's state after the last
# word with the backward direction's state after the first word.

# %%
TRAIN = dict(epochs=30, lr=3e-3, batch_size=16, patience=5, device=device, progress=False)
rnn_variants = {"RNN": ("rnn", False), "LSTM": ("lstm", False), "GRU": ("gru", False), "BiLSTM": ("lstm", True)}
results = {}
for name, (kind, bidirectional) in rnn_variants.items():
    make_model = lambda vocab, kind=kind, bi=bidirectional: TextClassifier(  # noqa: E731
        len(vocab), embed_dim=50, hidden_dim=32, kind=kind, bidirectional=bi, dropout=0.3)
    results[name] = classify.cross_validate_rnn(make_model, texts, labels, folds, name=name, **TRAIN)
for result in results.values():
    print(f"{result}   best epochs per fold: {[h.best_epoch for h in result.histories]}")
band = 1.96 * np.sqrt(0.25 / len(labels))
print(f"a coin-flip classifier scores 0.5 ± {band:.3f} on {len(labels)} sentences (95 % of the time)")

# %% [markdown]
# A yardstick for "near chance": a classifier that guesses at random would land inside the band printed last
# 95 % of the time. The four recurrent networks score inside that band or just at its edge, and the spread over
# folds is as large as the differences between them: none of them has learned much about sentiment. The loss
# curves of the first fold show why:

# %%
fig, ax = plt.subplots(figsize=(7, 4))
plots.plot_loss_curves(ax, {name: result.histories[0] for name, result in results.items()},
                       title="Fold 0: training loss falls, validation loss does not (dot = epoch kept)")
ax.legend(fontsize="small", ncol=2)
plt.show()

# %% [markdown]
# Each training loss falls steadily — every model learns, with its own optimizer — but the validation loss hardly
# moves below log 2 ≈ 0.69 and then climbs: what the models learn about the training sentences does not carry
# over to new ones. Early stopping keeps the epoch with the lowest validation loss, which is very early.
#
# Why? Look at the words of fold 0. Most of the vocabulary of its 160 training sentences occurs only once, and a
# large share of the words in its test sentences never appears in training, so the network meets them as `<unk>`:

# %%
train_index, test_index = folds[0]
fold_vocab = Vocab.build([texts[i] for i in train_index])
test_words = sum(len(tokenize(texts[i])) for i in test_index)
test_unknown = sum(len(fold_vocab.unknown_words(texts[i])) for i in test_index)
train_counts = np.bincount([fold_vocab.index(w) for i in train_index for w in tokenize(texts[i])])
print(f"fold 0: {len(fold_vocab) - 2} training words, {np.mean(train_counts[2:] == 1):.0%} of them seen only once")
print(f"fold 0: {test_unknown / test_words:.0%} of the test words are <unk> for the model")

# %% [markdown]
# ### Baselines measured on the same folds
#
# - **TF-IDF + logistic regression**: a bag of words (same tokens as the RNNs), no word order, no pretraining.
# - **Averaged word vectors + logistic regression**: each sentence becomes the mean of its Word2Vec vectors. The
#   vectors are notebook 01's gensim skip-gram (`train_word2vec`, same settings), trained on the Wikipedia
#   excerpt that gensim ships — text that has nothing to do with our labels.
# - **Frozen BERT features + logistic regression**: each sentence becomes the mean of the last hidden layer of a
#   small pretrained BERT-style encoder (all-MiniLM-L6-v2, installed offline, see notebook 02); the encoder is not
#   trained at all, only the logistic regression on top.
# - One more recurrent model: the **LSTM with its embedding initialised from the same Word2Vec vectors**.

# %%
results["TF-IDF + LR"] = classify.cross_validate_sklearn(classify.tfidf_logreg(), texts, labels, folds,
                                                          name="TF-IDF + LR")

wiki = load_corpus("wiki")
wiki_vectors = train_word2vec(wiki, dim=100, window=5, negative=5, epochs=5, min_count=5, seed=0)
covered = np.mean([w in wiki_vectors.key_to_index for t in texts for w in tokenize(t)])
print(f"Word2Vec on the Wikipedia excerpt ({sum(map(len, wiki)):,} words): {len(wiki_vectors):,} vectors; they "
      f"cover {covered:.0%} of the words in our 200 sentences")
print("most similar to 'good':", [w for w, _ in wiki_vectors.most_similar("good", topn=5)],
      f"| similarity(good, bad) = {wiki_vectors.similarity('good', 'bad'):.2f}")
results["avg Word2Vec + LR"] = classify.cross_validate_sklearn(
    classify.feature_logreg(), classify.average_vectors(texts, wiki_vectors), labels, folds, name="avg Word2Vec + LR")

# %%
coverages = []


def lstm_from_word2vec(vocab: Vocab) -> TextClassifier:
    """LSTM whose embedding starts from the Wikipedia Word2Vec vectors (fine-tuned during training)."""
    model = TextClassifier(len(vocab), embed_dim=wiki_vectors.vector_size, hidden_dim=32, kind="lstm", dropout=0.3)
    coverages.append(classify.init_embeddings(model, vocab, wiki_vectors))
    return model


results["LSTM + Word2Vec init"] = classify.cross_validate_rnn(lstm_from_word2vec, texts, labels, folds,
                                                              name="LSTM + Word2Vec init", **TRAIN)
print("fold 0:", coverages[0])

# %%
tokenizer, bert = load_bert()
bert_features = sentence_embeddings(texts, tokenizer, bert, layer=-1, batch_size=32, device=device).numpy()
print("BERT sentence features:", bert_features.shape)
results["BERT features + LR"] = classify.cross_validate_sklearn(classify.feature_logreg(), bert_features, labels,
                                                                folds, name="BERT features + LR")

# %%
for result in results.values():
    print(f"{result.name:22} {result.mean:.3f} ± {result.std:.3f}   folds: {np.round(result.scores, 3).tolist()}")
fig, ax = plt.subplots(figsize=(7, 4))
plots.plot_accuracy_comparison(ax, {name: result.scores for name, result in results.items()})
plt.show()

# %% [markdown]
# **Reading the comparison.** Only the frozen BERT features are clearly above chance; everything trained on the
# 200 sentences alone — four recurrent networks and the bag of words — stays inside or at the edge of the chance
# band, and neither way of using the Wikipedia Word2Vec vectors helps measurably. This is what one should expect:
#
# - *160 training sentences are far too few to learn word meanings.* A bag-of-words model or an RNN from scratch
#   can only use words it saw in training with a label, and the cell above shows how many test words are new or
#   were seen once. The RNNs additionally have thousands of embedding parameters per fold to fit from those
#   same sentences.
# - *Word order does not rescue them.* An RNN can in principle read "not good" or "but", yet it first needs to
#   know what "good" means.
# - *Pretraining brings the knowledge in from outside.* The encoder behind the BERT features was trained on
#   very large amounts of text (and then for sentence similarity): words like "tedious" or "captivating" already
#   have useful representations, and similar sentences already lie close together. The logistic regression only
#   needs to find a direction in that space, and 160 examples are enough for that.
# - *Word2Vec trained on a small Wikipedia excerpt is a weak pretraining*: it misses many of the review words
#   (see the coverage printed above), and vectors learned from co-occurrence place opposites close together,
#   since they appear in the same contexts (see the neighbours of "good" and its similarity to "bad" above).
#
# With five folds of 40 test sentences, the standard deviations are a reminder that differences of a few points
# between models are noise here.
#
# ### Where does the best model go wrong?
#
# The out-of-fold predictions (every sentence predicted by the model that did not train on it) of the BERT
# features next to those of the LSTM trained from scratch:

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, name in zip(axes, ["LSTM", "BERT features + LR"]):
    plots.plot_confusion(ax, labels, results[name].predictions, title=f"{name} ({results[name].mean:.2f})")
fig.tight_layout()
plt.show()

# %%
best = results["BERT features + LR"]
wrong = np.flatnonzero(best.predictions != labels)
most_confident = wrong[np.argsort(-np.abs(best.probabilities[wrong] - 0.5))][:6]
for i in most_confident:
    print(f"true {'positive' if labels[i] else 'negative'}, P(positive) = {best.probabilities[i]:.2f} | {texts[i]}")

# %% [markdown]
# A short reading of these errors: the model is confidently wrong where the words point one way and the sentence
# means the other. "so perfect, it will certainly succeed in alienating most viewers" is irony built from praise;
# "has its moments -- and almost as many subplots" is a backhanded compliment; "spooky", "sulky" and
# "calculating" describe a performance the critic admires; "run out of steam" opens a sentence that ends in
# praise. A mean over word-piece vectors blurs exactly these cases: it knows *which* words occur, far less *how*
# they combine. Fine-tuning the whole encoder on many labelled sentences is what fixes this in practice; 200
# sentences are not enough for that either.

# %% [markdown]
# ## 4. The same code on IMDB (online only)
#
# The 50,000 IMDB reviews (Maas et al., 2011) are downloaded with the `datasets` library the first time and
# cached. Offline, `load_sentiment("imdb")` fails at once with an `OfflineError`, and this cell says so instead of
# crashing. Online it runs the same functions as above (stratified 5-fold CV) on a stratified sample of 500
# training reviews, each cut to its first 100 words so that a CPU copes; even so, the download, the LSTM on long
# texts and the encoding of 500 reviews make it the slowest cell of the notebook.
#
# **What to expect (from the literature, not measured here):** trained on all 25,000 training reviews, a linear
# bag-of-words model reaches about 88 % test accuracy (Maas et al., 2011), an LSTM trained from scratch about
# 86 % (Dai & Le, 2015), and a fine-tuned BERT-base about 95 % (Sun et al., 2019). With only 500 reviews of 100
# words, expect the from-scratch models to stay well below these numbers and the frozen features to hold up best —
# the same pattern as above, at a higher level, because even 100 words of a review carry many sentiment words.

# %% tags=["online", "nbval-ignore-output"]
try:
    imdb_texts, imdb_labels = load_sentiment("imdb", split="train")
except (OSError, ImportError) as err:  # OfflineError (no network: the message says what to do), or no `datasets`
    print(f"Skipped the IMDB section ({type(err).__name__}): {err}")
else:
    sample = classify.stratified_folds(imdb_labels, n_splits=50, seed=0)[0][1]  # a stratified 1/50: 500 reviews
    imdb_texts = [" ".join(imdb_texts[i].replace("<br />", " ").split()[:100]) for i in sample]
    imdb_labels = np.array(imdb_labels)[sample]
    imdb_folds = classify.stratified_folds(imdb_labels, n_splits=5, seed=0)
    imdb_results = {
        "TF-IDF + LR": classify.cross_validate_sklearn(classify.tfidf_logreg(), imdb_texts, imdb_labels, imdb_folds,
                                                       name="TF-IDF + LR"),
        "LSTM": classify.cross_validate_rnn(
            lambda vocab: TextClassifier(len(vocab), 50, 32, kind="lstm", dropout=0.3), imdb_texts, imdb_labels,
            imdb_folds, name="LSTM", min_count=2, **TRAIN),
        "BERT features + LR": classify.cross_validate_sklearn(
            classify.feature_logreg(), sentence_embeddings(imdb_texts, tokenizer, bert, device=device).numpy(),
            imdb_labels, imdb_folds, name="BERT features + LR"),
    }
    for result in imdb_results.values():
        print(f"IMDB sample of {len(imdb_texts)} reviews | {result}")

# %% [markdown]
# ## Exercises
#
# Each exercise has a check cell: run it after your answer. The checks print "not attempted yet" until you
# replace the `None`.
#
# **Exercise 1 — what the toy model can read.** Using `toy_vocab`, make `known` the list of words of
# "The acting was quite good" that the toy vocabulary knows (in sentence order).

# %%
known = None  # your answer here

# %%
if known is None:
    print("Exercise 1: not attempted yet")
else:
    assert known == [w for w in tokenize("The acting was quite good") if toy_vocab.index(w) != toy_vocab.unk_index], \
        "use tokenize(...) and keep the words whose id is not the <unk> id"
    print("Exercise 1: correct —", known)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# known = [w for w in tokenize("The acting was quite good") if w in toy_vocab]
# # ['the', 'acting', 'was']: 'quite' and 'good' are <unk>
# ```
# </details>
#
# **Exercise 2 — bigrams in the bag of words.** Build a TF-IDF + logistic regression pipeline that also uses word
# pairs (`TfidfVectorizer(ngram_range=(1, 2))`), score it with `classify.cross_validate_sklearn` on the same
# `folds`, and store the result in `bigram_result`. Does it beat the unigram version by more than one standard
# deviation?

# %%
bigram_result = None  # your answer here

# %%
if bigram_result is None:
    print("Exercise 2: not attempted yet")
else:
    assert len(bigram_result.scores) == len(folds), "use the same five folds"
    assert not np.isnan(bigram_result.probabilities).any(), "every sentence should get an out-of-fold prediction"
    print(f"Exercise 2: {bigram_result} vs {results['TF-IDF + LR']}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# from sklearn.feature_extraction.text import TfidfVectorizer
# from sklearn.linear_model import LogisticRegression
# from sklearn.pipeline import make_pipeline
#
# bigrams = make_pipeline(TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None,
#                                         ngram_range=(1, 2)), LogisticRegression(max_iter=2000))
# bigram_result = classify.cross_validate_sklearn(bigrams, texts, labels, folds, name="TF-IDF 1-2 grams + LR")
# ```
# Word pairs are even rarer than words in 160 sentences, so there is no reliable gain: the difference stays well
# inside one standard deviation.
# </details>
#
# **Exercise 3 — which BERT layer?** Compute sentence features from a middle layer (`layer=3`) instead of the last
# one, score them like `bert_features`, and store the `CVResult` in `layer3_result`.

# %%
layer3_result = None  # your answer here

# %%
if layer3_result is None:
    print("Exercise 3: not attempted yet")
else:
    assert len(layer3_result.scores) == len(folds), "use the same five folds"
    print(f"Exercise 3: layer 3 {layer3_result.mean:.3f} ± {layer3_result.std:.3f} vs last layer "
          f"{results['BERT features + LR'].mean:.3f} ± {results['BERT features + LR'].std:.3f}")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# layer3 = sentence_embeddings(texts, tokenizer, bert, layer=3, device=device).numpy()
# layer3_result = classify.cross_validate_sklearn(classify.feature_logreg(), layer3, labels, folds, name="layer 3")
# ```
# Middle layers often make better frozen features than the last one, which the model tuned to its own training
# objective. Compare the means and remember the standard deviations: with 40 test sentences per fold, only a
# difference larger than those means something.
# </details>
#
# **Exercise 4 — freeze the pretrained embedding.** Write `make_frozen(vocab)` that builds an LSTM like
# `lstm_from_word2vec` but passes `freeze=True` to `classify.init_embeddings`. The check trains it on fold 0 and
# verifies that the embedding did not move while the LSTM did.

# %%
make_frozen = None  # your answer here

# %%
if make_frozen is None:
    print("Exercise 4: not attempted yet")
else:
    fit_vocab = Vocab.build([texts[i] for i in train_index])
    frozen = make_frozen(fit_vocab)
    embedding_before, lstm_before = frozen.embedding.weight.detach().clone(), frozen.rnn.weight_ih_l0.detach().clone()
    classify.train_classifier(frozen, fit_vocab.encode_dataset([texts[i] for i in train_index], labels[train_index]),
                              epochs=3, lr=3e-3, device=device, progress=False)
    assert torch.equal(frozen.embedding.weight.detach().cpu(), embedding_before), "the embedding should stay frozen"
    assert not torch.equal(frozen.rnn.weight_ih_l0.detach().cpu(), lstm_before), "the LSTM should still learn"
    print("Exercise 4: correct — embedding frozen, LSTM trained")

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def make_frozen(vocab):
#     model = TextClassifier(len(vocab), embed_dim=wiki_vectors.vector_size, hidden_dim=32, kind="lstm")
#     classify.init_embeddings(model, vocab, wiki_vectors, freeze=True)
#     return model
# ```
# `classify.make_optimizer` only hands trainable parameters to Adam, so a frozen embedding is never updated.
# You can cross-validate it with `classify.cross_validate_rnn(make_frozen, texts, labels, folds, **TRAIN)`.
# </details>

# %% [markdown]
# ## Summary
#
# - A text classifier needs a vocabulary with `<pad>` and `<unk>`, padded batches, and **packed sequences** so
#   that the final state is the state after each sentence's last real word — not after its padding.
# - **Training accuracy proves nothing** on twelve sentences: the model memorises them and is no better than a
#   coin on held-out ones.
# - When comparing models, each must have **its own optimizer**; otherwise the compared models never change and
#   their flat loss curves look like "this architecture does not learn".
# - A fair comparison uses the **same stratified folds** for every model, a validation slice for early stopping,
#   and reports **mean ± std**. On 200 sentences, RNN, LSTM, GRU and BiLSTM from scratch are near chance, and so is
#   a bag of words.
# - **A pretrained encoder wins on small data**: frozen BERT features with a logistic regression are the only
#   model clearly above chance here, because the knowledge comes from pretraining, not from 160 labels; Word2Vec
#   vectors from a small, unrelated corpus are not enough.

# %%
# NBVAL_IGNORE_OUTPUT
print(f"notebook run time: {time.perf_counter() - started:.0f} s")
