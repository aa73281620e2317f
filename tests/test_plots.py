"""Tests for the shared plotting helpers, one section per notebook topic."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers import plots  # noqa: E402

# --- RNN gradients ---

def test_step_norms_plot_time_steps_from_one_on_a_log_scale_and_skip_zeros():
    fig, ax = plt.subplots()
    plots.plot_step_norms(ax, {"a": [0.0, 0.1, 1.0], "b": [1.0, 1.0, 1.0]}, ylabel="g")
    x, y = ax.lines[0].get_data()
    assert list(x) == [1, 2, 3] and np.isnan(y[0]) and list(y[1:]) == [0.1, 1.0]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "g" and "time step" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_training_steps_plot_draws_each_threshold_in_its_curves_colour_and_marks_short_runs():
    fig, ax = plt.subplots()
    plots.plot_training_steps(ax, {"off": [5.0, np.nan, np.nan], "1": [5.0, 2.0, 1.0, 1.0, 0.5, 0.2]}, "norm",
                              "t", log=True, thresholds={"1": 1.0})
    off, one, threshold = ax.lines
    assert off.get_marker() == "o" and one.get_marker() in ("None", None, "")
    assert threshold.get_ydata()[0] == 1.0 and threshold.get_linestyle() == "--"
    assert threshold.get_color() == one.get_color()
    assert "threshold 1" in ax.get_legend().get_texts()[-1].get_text()
    with pytest.raises(ValueError, match="not plotted"):
        plots.plot_training_steps(ax, {"a": [1.0]}, "norm", "t", thresholds={"b": 1.0})
    plt.close(fig)


def test_accuracy_vs_length_draws_the_mean_per_variant():
    import pandas as pd

    table = pd.DataFrame({"variant": ["rnn"] * 4 + ["gru"] * 4, "seq_len": [5, 5, 20, 20] * 2,
                          "seed": [0, 1] * 4, "accuracy": [1.0, 0.5, 0.25, 0.35, 1.0, 1.0, 1.0, 0.9]})
    fig, ax = plt.subplots()
    plots.plot_accuracy_vs_length(ax, table)
    rnn, gru = ax.lines[0], ax.lines[1]
    assert list(rnn.get_xdata()) == [5, 20] and np.allclose(rnn.get_ydata(), [0.75, 0.3])
    assert np.allclose(gru.get_ydata(), [1.0, 0.95]) and ax.lines[2].get_ydata()[0] == 0.25
    plt.close(fig)


def test_accuracy_panels_share_the_colours_they_are_given():
    import pandas as pd

    table = pd.DataFrame({"variant": ["rnn"] * 4 + ["gru"] * 4, "seq_len": [5, 5, 20, 20] * 2,
                          "seed": [0, 1] * 4, "accuracy": [1.0, 0.5, 0.25, 0.35, 1.0, 1.0, 1.0, 0.9]})
    colors = {"rnn": "C3", "gru": "C5"}
    fig, (left, right) = plt.subplots(1, 2)
    plots.plot_accuracy_vs_length(left, table[table["variant"] == "gru"], colors=colors)
    plots.plot_accuracy_bars(right, table, seq_len=20, colors=colors)
    assert left.lines[0].get_color() == "C5"
    rnn_bar, gru_bar = right.patches  # first variant on top
    assert rnn_bar.get_y() > gru_bar.get_y() and np.isclose(rnn_bar.get_width(), 0.3)
    assert np.isclose(gru_bar.get_width(), 0.95)
    to_rgb = matplotlib.colors.to_rgb
    assert to_rgb(gru_bar.get_facecolor()) == to_rgb("C5") == to_rgb(left.lines[0].get_color())
    assert to_rgb(rnn_bar.get_facecolor()) == to_rgb("C3")
    labels = {tick: label.get_text() for tick, label in zip(right.get_yticks(), right.get_yticklabels())}
    centre = {bar: bar.get_y() + bar.get_height() / 2 for bar in (rnn_bar, gru_bar)}
    assert labels == {centre[rnn_bar]: "rnn", centre[gru_bar]: "gru"}
    with pytest.raises(ValueError, match="seq_len=7"):
        plots.plot_accuracy_bars(right, table, seq_len=7)
    plt.close(fig)


def test_lab_figure_has_three_labelled_panels_a_chance_line_and_an_unzoomed_loss_axis():
    from matplotlib.figure import Figure

    from helpers.gradients import LabResult
    from helpers.history import History

    history = History(unit="step")
    for loss, norm in [(1.40, 2.0), (1.39, 1.0), (1.38, 0.3)]:
        history.log(loss=loss, grad_norm=norm, applied_norm=min(norm, 0.5))
    result = LabResult("gru", 4, 0.5, "cpu", 3, np.array([1e-3, 1e-2, 1e-1, 1.0]), np.array([0.1, 0.2, 0.5, 1.0]),
                       history, accuracy=0.25)
    fig = Figure()
    plots.plot_lab_result(fig, result)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["GRU, T = 4: gradient per time step", "Training loss", "Total gradient norm"]
    assert fig.axes[0].get_xlabel().startswith("time step") and fig.axes[1].get_xlabel() == "training step"
    loss_ax, norm_ax = fig.axes[1], fig.axes[2]
    assert loss_ax.get_ylim()[0] == 0 and loss_ax.get_ylim()[1] >= 1.5  # a loss at chance is not zoomed into
    chance = [line for line in loss_ax.lines if "chance" in line.get_label()]
    assert len(chance) == 1 and chance[0].get_ydata()[0] == pytest.approx(np.log(4))
    assert [line.get_ydata()[0] for line in norm_ax.lines if line.get_linestyle() == "--"] == [0.5]


# --- text classifier ---

def test_loss_curves_draw_train_and_validation_and_mark_the_kept_epoch():
    from helpers.history import History

    with_val, train_only = History(), History()
    for loss, val in [(0.7, 0.69), (0.5, 0.6), (0.3, 0.65)]:
        with_val.log(loss=loss, val_loss=val)
    for loss in [0.7, 0.6]:
        train_only.log(loss=loss)
    fig, ax = plt.subplots()
    plots.plot_loss_curves(ax, {"LSTM": with_val, "GRU": train_only})
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["LSTM (train)", "LSTM (validation)"]
    assert lines[2].get_xydata().tolist() == [[2.0, 0.6]]  # the dot on the kept epoch
    assert lines[3].get_ydata().tolist() == [0.7, 0.6] and len(lines) == 4
    assert ax.get_xlabel() == "epoch"
    plt.close(fig)


def test_confusion_matrix_counts():
    fig, ax = plt.subplots()
    plots.plot_confusion(ax, [0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    assert [t.get_text() for t in ax.texts] == ["1", "1", "1", "2"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["negative", "positive"]
    plt.close(fig)


def test_compared_confusion_matrices_share_one_colour_scale():
    fig, axes = plt.subplots(1, 2)
    labels = [0] * 10 + [1] * 10
    plots.plot_confusions(axes, labels, {"coin": [0, 1] * 10, "good": labels})
    scales = [ax.images[0].get_clim() for ax in axes]
    assert scales[0] == scales[1] == (0, 10)
    assert [ax.get_title() for ax in axes] == ["coin", "good"] and axes[1].get_ylabel() == ""
    with pytest.raises(ValueError, match="one Axes per model"):
        plots.plot_confusions(axes[:1], labels, {"a": labels, "b": labels})
    plt.close(fig)


def test_accuracy_comparison_shades_the_chance_band():
    fig, ax = plt.subplots()
    plots.plot_accuracy_comparison(ax, {"a": [0.5, 0.7], "b": [0.9, 0.9]}, band=0.07)
    assert [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "D"] == pytest.approx([0.6, 0.9])
    names = {tick: label.get_text() for tick, label in zip(ax.get_yticks(), ax.get_yticklabels())}
    assert names == {1: "a", 0: "b"}  # the first model on top
    assert any("± 0.07" in text.get_text() for text in ax.get_legend().get_texts())
    plt.close(fig)

# --- Word2Vec vs BERT ---

def test_sense_heatmap_groups_items_by_sense():
    sims = np.array([[1.0, 0.1, 0.9], [0.1, 1.0, 0.2], [0.9, 0.2, 1.0]])
    fig, ax = plt.subplots()
    plots.plot_sense_heatmap(ax, sims, ["river", "money", "river"], vmin=0.0, vmax=1.0)
    shown = ax.get_images()[0].get_array()
    assert ax.get_images()[0].get_clim() == (0.0, 1.0)
    np.testing.assert_allclose(shown, [[1.0, 0.9, 0.1], [0.9, 1.0, 0.2], [0.1, 0.2, 1.0]])  # river, river, money
    assert [t.get_text() for t in ax.get_xticklabels()] == ["river", "money"]
    assert ax.get_xlabel() == ax.get_ylabel() == "sentence, grouped by sense"
    assert len(fig.axes) == 2  # the panel and its colour bar
    image = plots.plot_sense_heatmap(fig.add_subplot(2, 1, 2), sims, ["river", "money", "river"], colorbar=False)
    assert len(fig.axes) == 3 and image.get_array().shape == (3, 3)  # no second colour bar: the caller shares one
    with pytest.raises(ValueError, match="one row per sense"):
        plots.plot_sense_heatmap(ax, sims, ["river", "money"])
    plt.close(fig)


def test_gap_by_layer_draws_one_line_per_word_and_their_mean():
    import pandas as pd

    gaps = pd.DataFrame({"bank": [0.0, 0.1], "bat": [0.0, 0.3]}, index=pd.Index([0, 1], name="layer"))
    fig, ax = plt.subplots()
    plots.plot_gap_by_layer(ax, gaps.assign(mean=gaps.mean(axis=1)))  # a "mean" column is not a word
    assert [line.get_label() for line in ax.get_lines()] == ["bank", "bat", "mean over words", "no separation (0)"]
    assert ax.get_lines()[2].get_ydata().tolist() == pytest.approx([0.0, 0.2])
    assert ax.get_ylabel() and ax.get_xlabel() and ax.get_title()
    plt.close(fig)


def test_accuracy_by_layer_draws_words_their_mean_and_one_chance_line():
    import pandas as pd

    index = pd.Index([0, 1], name="layer")
    reports = {"bank": pd.DataFrame({"loo_accuracy": [0.5, 1.0]}, index=index),
               "bat": pd.DataFrame({"loo_accuracy": [0.5, 0.8]}, index=index)}
    fig, ax = plt.subplots()
    plots.plot_accuracy_by_layer(ax, reports, baselines={"context mean": 0.7}, chance_label="chance = Word2Vec")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["bank", "bat", "mean over words", "context mean", "chance = Word2Vec"]
    assert ax.get_lines()[2].get_ydata().tolist() == pytest.approx([0.5, 0.9])
    assert [line.get_label() for line in ax.get_lines()].count("chance (0.5)") == 0
    plots.plot_accuracy_by_layer(ax, reports)
    assert ax.get_lines()[-1].get_label() == "chance (0.5)"
    plt.close(fig)


def test_accuracy_by_layer_shades_the_band_and_zooms_onto_layers():
    import pandas as pd

    index = pd.Index([0, 1, 2], name="layer")
    reports = {"bank": pd.DataFrame({"loo_accuracy": [0.5, 0.90, 0.94]}, index=index),
               "bat": pd.DataFrame({"loo_accuracy": [0.5, 0.92, 0.93]}, index=index)}
    fig, ax = plt.subplots()
    plots.plot_accuracy_by_layer(ax, reports, band=([0.3, 0.35, 0.4], [0.7, 0.65, 0.6]), band_label="band",
                                 layers=[1, 2], legend=False, tops={"bank": [0.6, 0.55, 0.5], "bat": [0.7, 0.6, 0.6]},
                                 tops_label="own top")
    dashes = [line for line in ax.get_lines() if line.get_marker() == "_"]
    assert [line.get_label().startswith("_") for line in dashes] == [True, True, False]  # one legend entry, grey
    assert dashes[0].get_ydata().tolist() == pytest.approx([0.55, 0.5]) and dashes[1].get_color() == "C1"
    assert dashes[2].get_label() == "own top" and dashes[2].get_color() == "0.4"
    (shade,) = ax.collections
    assert shade.get_label() == "band" and ax.get_legend() is None
    ys = shade.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.35) and ys.max() == pytest.approx(0.65)  # layers 1 and 2 only
    low, high = ax.get_ylim()
    assert low == pytest.approx(0.50 - 0.022) and high == pytest.approx(0.94 + 0.022)  # scores, band top, own tops
    assert ax.get_xlim() == pytest.approx((0.7, 2.3))
    plt.close(fig)


def test_sense_pca_projects_the_single_point_with_the_clouds_pca():
    vectors = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 3.0], [4.0, 0.0, 1.0], [4.0, 0.0, 3.0]])
    fig, ax = plt.subplots()
    coords = plots.plot_sense_pca(ax, vectors, ["a", "a", "b", "b"], "test", single=[2.0, 0.0, 2.0],
                                  single_label="one vector")
    assert coords.shape == (5, 2)
    np.testing.assert_allclose(coords[-1], [0.0, 0.0], atol=1e-12)  # the single point is the mean: PCA origin
    assert abs(coords[0, 0] - coords[2, 0]) == pytest.approx(4.0)     # PC 1 is the a-b direction
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "one vector"]
    far = plots.plot_sense_pca(plt.subplots()[1], vectors, ["a", "a", "b", "b"], "test", single=[2.0, 9.0, 2.0])
    np.testing.assert_allclose(far[:4], coords[:4], atol=1e-12)     # the cloud's PCA ignores the single point
    with pytest.raises(ValueError, match="one sense label per vector"):
        plots.plot_sense_pca(ax, vectors, ["a"], "test")
    plt.close("all")


# --- RNN sequence models ---

def test_tbptt_windows_draw_one_box_per_window_and_row_and_a_boundary_between_windows():
    fig, ax = plt.subplots()
    plots.plot_tbptt_windows(ax, [["abcd", "ijkl"], ["efg", "mno"]])
    texts = [text.get_text() for text in ax.texts]
    assert len(ax.patches) == 4 and "a b c d" in texts and "m n o" in texts
    assert {"window 1", "window 2"} <= set(texts) and sum("gradients stop" in t for t in texts) == 1
    assert [label.get_text() for label in ax.get_yticklabels()] == ["stream 2", "stream 1"]
    plt.close(fig)


def test_bpc_curves_draw_validation_and_end_of_epoch_training_bits_per_model():
    fig, ax = plt.subplots()
    history = {"epoch": [1, 2], "train_loss": [9.0, 9.0], "train_bpc": [2.4, 2.0], "val_bpc": [2.5, 2.2]}
    plots.plot_bpc_curves(ax, {"lstm": history, "gru": history})
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["lstm: validation", "lstm: training (at epoch end)",
                                                    "gru: validation", "gru: training (at epoch end)"]
    np.testing.assert_allclose(lines[1].get_ydata(), [2.4, 2.0])  # measured at epoch end, not the running mean
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert ax.get_xlabel() == "epoch" and "bits per character" in ax.get_ylabel()
    plt.close(fig)


def test_running_mean_lag_converts_the_mean_loss_to_bits():
    fig, ax = plt.subplots()
    history = {"epoch": [1, 2], "train_loss": [np.log(2) * 3, np.log(2) * 2], "train_bpc": [2.4, 1.9],
               "val_bpc": [2.5, 2.2]}
    plots.plot_running_mean_lag(ax, history, "lstm")
    lines = ax.get_lines()
    assert len(lines) == 3 and "mean over the epoch" in lines[0].get_label()
    np.testing.assert_allclose(lines[0].get_ydata(), [3.0, 2.0])  # nats converted to bits
    np.testing.assert_allclose(lines[0].get_xdata(), [0.5, 1.5])  # a mean over epoch k, drawn at its middle
    np.testing.assert_allclose(lines[2].get_ydata(), [2.5, 2.2])
    plt.close(fig)


def test_lm_lab_plot_highlights_the_current_run_and_draws_references():
    fig, ax = plt.subplots()
    runs = {("rnn", 32): {"chars_seen": [10, 20], "val_bpc": [3.0, 2.8]},
            ("gru", 64): {"chars_seen": [10, 20], "val_bpc": [3.1, 2.6]}}
    plots.plot_lm_lab(ax, runs, ("gru", 64), uniform=5.75, unigram=4.25)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["RNN, seq_len 32", "GRU, seq_len 64"]
    assert lines[1].get_linewidth() > lines[0].get_linewidth()
    assert [line.get_ydata()[0] for line in lines[2:]] == [5.75, 4.25]
    plt.close(fig)


def test_influence_plot_marks_the_changed_step():
    fig, ax = plt.subplots()
    plots.plot_influence(ax, {"left to right": [0, 0, 0.5, 0.2], "bidirectional": [0.1, 0.3, 0.6, 0.2]}, t=2)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["left to right", "bidirectional", "changed input (step 2)"]
    assert np.isnan(lines[0].get_ydata()[:2]).all()  # exact zeros have no place on a log scale
    assert lines[0].get_ydata()[2:].tolist() == [0.5, 0.2] and list(lines[2].get_xdata()) == [2, 2]
    assert ax.get_yscale() == "log"
    plt.close(fig)


# --- word embeddings ---

def test_tsne_perplexity_fits_small_and_large_sets():
    assert plots.tsne_perplexity(14) == pytest.approx(13 / 3)  # the lesson's 14 words: 30 would crash t-SNE
    assert plots.tsne_perplexity(1000) == 30.0
    assert plots.tsne_perplexity(2) == 1.0
    with pytest.raises(ValueError, match="at least 2 points"):
        plots.tsne_perplexity(1)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_word_map_labels_every_word_for_any_size(method):
    words = [f"w{i}" for i in range(14)]
    vectors = np.random.default_rng(0).normal(size=(14, 10))
    fig, ax = plt.subplots()
    points = plots.plot_word_map(ax, words, vectors, method=method)
    assert points.shape == (14, 2)
    assert [t.get_text() for t in ax.texts] == words
    assert ("PCA" if method == "pca" else "perplexity 4.3") in ax.get_title()
    plt.close(fig)


def test_word_map_labels_only_the_chosen_words_and_rejects_bad_input():
    vectors = np.eye(5)
    fig, ax = plt.subplots()
    plots.plot_word_map(ax, list("abcde"), vectors, labels=["b", "d"])
    assert [t.get_text() for t in ax.texts] == ["b", "d"]
    line = plots.project_2d(np.array([[0.0, 0, 0], [2, 0, 0], [4, 0, 0]]))  # points on a line stay on a line
    np.testing.assert_allclose(np.abs(line[:, 0]), [2, 0, 2], atol=1e-9)
    np.testing.assert_allclose(line[:, 1], 0, atol=1e-9)
    with pytest.raises(ValueError, match="one vector per word"):
        plots.plot_word_map(ax, ["a"], vectors)
    with pytest.raises(ValueError, match="one group per word"):
        plots.plot_word_map(ax, list("abcde"), vectors, groups=["x"])
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.plot_word_map(ax, list("abcde"), vectors, groups=["x", "y", "x", "y", "z"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y", "z"]
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 2, 1]
    with pytest.raises(ValueError, match="unknown projection 'umap'"):
        plots.project_2d(vectors, "umap")
    plt.close(fig)


def test_word_map_labels_do_not_overlap_even_for_crowded_points():
    words = [f"word{i}" for i in range(30)]
    vectors = np.random.default_rng(0).normal(size=(30, 5)) * 0.01  # nearly one point: every label collides at first
    fig, ax = plt.subplots(figsize=(6, 5))
    plots.plot_word_map(ax, words, vectors, groups=["a", "b", "c"] * 10)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert [t.get_text() for t in ax.texts] == words
    overlapping = [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []
    inside = ax.get_window_extent(renderer).expanded(1.01, 1.01)
    assert all(inside.contains(b.x0, b.y0) and inside.contains(b.x1, b.y1) for b in boxes)
    plt.close(fig)


def test_place_labels_needs_one_point_per_label():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="one point per label"):
        plots.place_labels(ax, ["a", "b"], np.zeros((3, 2)))
    plt.close(fig)


def test_an_rnn_figure_is_labelled_in_chinese_in_the_chinese_edition(monkeypatch):
    from support import helpers_translation

    zh = helpers_translation()
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    fig, ax = plt.subplots()
    history = {"epoch": [1, 2], "train_loss": [9.0, 9.0], "train_bpc": [2.4, 2.0], "val_bpc": [2.5, 2.2]}
    plots.plot_bpc_curves(ax, {"lstm": history})
    assert ax.get_title() == zh["Bits per character while training"] == "训练过程中的每字符比特数"
    assert ax.get_xlabel() == zh["epoch"] and ax.get_lines()[0].get_label() == zh["{label}: validation"].format(
        label="lstm")
    plt.close(fig)


# --- Word embeddings ---


def test_skipgram_scheme_draws_the_pairs_skipgram_pairs_builds_and_both_ways_of_scoring_one():
    from matplotlib.text import Text

    from helpers.embeddings import skipgram_pairs

    sentence = "i enjoy natural language processing".split()
    vocabulary = sorted(set(sentence) | {"pytorch", "are", "like", "deep"})
    fig = plots.skipgram_scheme(sentence, centre=1, window=2, vocabulary=vocabulary, negatives=["pytorch", "are"])
    texts = {}
    for text in fig.findobj(Text):
        texts.setdefault(text.get_gid(), []).append(text.get_text())
    positions = skipgram_pairs([np.arange(len(sentence))], window=2)
    expected = [f"(enjoy, {sentence[j]})" for j in sorted(positions[positions[:, 0] == 1, 1])]
    assert texts["pair"] == expected == ["(enjoy, i)", "(enjoy, natural)", "(enjoy, language)"]
    assert texts["sentence"] == sentence and sorted(texts["vocabulary"]) == vocabulary
    assert texts["positive"] == ["natural"] and texts["negative"] == ["pytorch", "are"]
    others = " ".join(t for gid, ts in texts.items() if gid is None for t in ts)
    assert "softmax" in others and "1 + k sigmoids (k = 2 here)" in others and "3 scores" in others
    assert f"{len(vocabulary)} scores" in others and "window = 2" in others
    plt.close(fig)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        plots.skipgram_scheme(sentence, 1, 2, [w for w in vocabulary if w != "i"], ["pytorch"])
    with pytest.raises(ValueError, match="not within"):
        plots.skipgram_scheme(sentence, 1, 2, vocabulary, ["pytorch"], context=4)
    with pytest.raises(ValueError, match="centre must be"):
        plots.skipgram_scheme(sentence, 5, 2, vocabulary, ["pytorch"])
    plt.close("all")
